-- A misspelt activity given to a trace function (issue 11, item 6). The trace functions see one
-- trace at a time, never the log, so an activity that a trace does not contain gives 0, false or
-- NULL, as before; what is new is that a CONSTANT activity argument that none of the statement's
-- traces contained is reported when the statement ends, with a WARNING (SQLSTATE 01000) naming
-- the function and the number of traces it was given (src/name_watch.c).
SET timezone = 'UTC';
CREATE SCHEMA t10n;
CREATE TABLE t10n.ev (case_id text, activity text, ts timestamptz);
-- Two invoices: A paid, B settled without a payment event.
INSERT INTO t10n.ev VALUES
  ('A', 'Invoice Generated', '2024-01-01'), ('A', 'Payment Received', '2024-01-05'),
  ('B', 'Invoice Generated', '2024-01-02'), ('B', 'Invoice Settled',  '2024-01-09');
CREATE TABLE t10n.tr AS SELECT case_id, collmine.trace_agg(activity, ts) AS t FROM t10n.ev GROUP BY case_id;

-- 'Payment Recieved' (misspelt) is in neither trace: 0 and 0, one warning for 2 traces.
SELECT case_id, collmine.trace_count(t, 'Payment Recieved') FROM t10n.tr ORDER BY case_id;
-- Spelt right: A has it once, B not at all; B alone does not make a warning.
SELECT case_id, collmine.trace_count(t, 'Payment Received') FROM t10n.tr ORDER BY case_id;
-- 'Invoice settled' (lower-case s) is in no trace; 'Invoice Generated' is: one warning, for the
-- second argument only. Both durations are NULL (A has no settlement, B's is not that name).
SELECT case_id, collmine.trace_duration(t, 'Invoice Generated', 'Invoice settled') FROM t10n.tr ORDER BY case_id;
-- Both names unknown: one warning each.
SELECT count(*) FILTER (WHERE collmine.trace_eventually_follows(t, 'X', 'Y')) FROM t10n.tr;
-- In a list (trace_project) and in a pattern (trace_matches): only the unknown names are
-- reported ('Zahlung'; 'Writen Off'). A keeps 1 event; A does not match (it ends with a
-- payment), B does (Generated, then Settled).
SELECT case_id, collmine.trace_length(collmine.trace_project(t, ARRAY['Invoice Generated', 'Zahlung']))
FROM t10n.tr ORDER BY case_id;
SELECT case_id, collmine.trace_matches(t, '"Invoice Generated" .* ["Invoice Settled" "Writen Off"]')
FROM t10n.tr ORDER BY case_id;
-- A name given as a query parameter is a constant too: reported.
PREPARE t10n_count(text) AS SELECT collmine.trace_count(t, $1) FROM t10n.tr ORDER BY case_id;
EXECUTE t10n_count('Qqq');
DEALLOCATE t10n_count;

-- Not reported:
-- a name that varies from row to row (here from a join): 'Zzz' is in no trace, but the argument
-- is a column, so the call site is not watched (a row's name is data, not a typo);
SELECT v.a, collmine.trace_count(t, v.a) FROM t10n.tr, (VALUES ('Zzz'), ('Invoice Generated')) v(a)
ORDER BY v.a, case_id;
-- a statement that read no trace;
SELECT collmine.trace_count(t, 'Zzz') FROM t10n.tr WHERE false;
-- a statement that failed (the division by zero on B; A's row came first);
SELECT case_id, collmine.trace_count(t, 'Zzz'), 1 / (CASE WHEN case_id = 'B' THEN 0 ELSE 1 END)
FROM t10n.tr ORDER BY case_id;
-- a parallel plan: each process sees part of the traces, and a name missing from one part is no
-- evidence of a typo.
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
ALTER TABLE t10n.tr SET (parallel_workers = 2);
EXPLAIN (COSTS OFF) SELECT sum(collmine.trace_count(t, 'Par')) FROM t10n.tr;
SELECT sum(collmine.trace_count(t, 'Par')) FROM t10n.tr;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP SCHEMA t10n CASCADE;
