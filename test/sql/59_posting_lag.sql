-- 59_posting_lag: the aggregate collmine._posting_lag(ts, received), the one computation of the
-- data template's Payment Posting Lag ("Timestamp('Payment Posted') - Timestamp('Payment
-- Received')"; with several payments the mean over the k-th receipt and the k-th posting in
-- (ts, ord) order, over the k that have both). Hand-made cases worked out below, the same
-- figures from the plain-SQL formula it replaced (arrays in (ts, ord) order, paired by unnest,
-- avg(interval)), in any input order, in a forced parallel plan (combine, serialize,
-- deserialize), through _payment_facts_sql and invoice_facts, and its errors. Then the pairs
-- themselves from the same state (_paired_starts, _paired_ends: the rows of activity_pairs),
-- against the window pairing that activity_pairs had before, NULL times and cases included.
SET client_min_messages = warning;
SET timezone = 'UTC';

-- The cases (R: Payment Received, P: Payment Posted), rows inserted in no particular order:
--   L1 one receipt 01-10 10:00, one posting 01-11 12:00: 1 day 02:00 (the difference itself)
--   L2 receipts 01-05, 01-01; postings 01-08, 01-01 12:00 (each out of order): by time
--      01-01 pairs with 01-01 12:00 (12:00), 01-05 with 01-08 (3 days): sum 3 days 12:00,
--      over 2: 1.5 days = 1 day 18:00
--   L3 ties on ts: two receipts at 01-03 09:00 (ord 5 and 2), postings 01-04 09:00 and
--      01-03 10:00: pairs (01-03 09:00, 01-03 10:00) 01:00 and (01-03 09:00, 01-04 09:00)
--      1 day; whichever receipt ord puts first, both are 01-03 09:00: sum 1 day 01:00, over 2:
--      day 1/2 = 0 days and 12 hours, time 01:00/2 = 00:30: 12:30
--   L4 more receipts than postings: receipts 01-01, 01-02, 01-03, one posting 01-04: only the
--      first pair, 01-04 - 01-01 = 3 days
--   L5 three pairs 1 day, 1 day, 1 hour: sum 2 days 01:00, over 3: day 2/3 = 0 days and 16
--      hours, time 01:00/3 = 00:20: 16:20
--   L6 a posting before its receipt: receipt 01-10, posting 01-09: -1 days
--   L7 a posting 30 hours after its receipt: timestamptz - timestamptz gives 1 day 06:00
--   L8 postings only: NULL; L9 receipts only: NULL; L10 neither (another activity): NULL
CREATE TEMP TABLE pl_ev (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO pl_ev VALUES
    ('L1', 'Payment Posted',   '2024-01-11 12:00+00', 2), ('L1', 'Payment Received', '2024-01-10 10:00+00', 1),
    ('L2', 'Payment Received', '2024-01-05 00:00+00', 3), ('L2', 'Payment Posted',   '2024-01-08 00:00+00', 4),
    ('L2', 'Payment Posted',   '2024-01-01 12:00+00', 2), ('L2', 'Payment Received', '2024-01-01 00:00+00', 1),
    ('L3', 'Payment Posted',   '2024-01-04 09:00+00', 7), ('L3', 'Payment Received', '2024-01-03 09:00+00', 5),
    ('L3', 'Payment Received', '2024-01-03 09:00+00', 2), ('L3', 'Payment Posted',   '2024-01-03 10:00+00', 6),
    ('L4', 'Payment Received', '2024-01-03 00:00+00', 3), ('L4', 'Payment Posted',   '2024-01-04 00:00+00', 4),
    ('L4', 'Payment Received', '2024-01-01 00:00+00', 1), ('L4', 'Payment Received', '2024-01-02 00:00+00', 2),
    ('L5', 'Payment Received', '2024-01-01 00:00+00', 1), ('L5', 'Payment Posted',   '2024-01-02 00:00+00', 2),
    ('L5', 'Payment Received', '2024-01-03 00:00+00', 3), ('L5', 'Payment Posted',   '2024-01-04 00:00+00', 4),
    ('L5', 'Payment Received', '2024-01-05 00:00+00', 5), ('L5', 'Payment Posted',   '2024-01-05 01:00+00', 6),
    ('L6', 'Payment Posted',   '2024-01-09 00:00+00', 1), ('L6', 'Payment Received', '2024-01-10 00:00+00', 2),
    ('L7', 'Payment Received', '2024-01-01 00:00+00', 1), ('L7', 'Payment Posted',   '2024-01-02 06:00+00', 2),
    ('L8', 'Payment Posted',   '2024-01-02 00:00+00', 1), ('L8', 'Payment Posted',   '2024-01-03 00:00+00', 2),
    ('L9', 'Payment Received', '2024-01-02 00:00+00', 1),
    ('L10', 'Invoice Generated', '2024-01-01 00:00+00', 1);

-- the aggregate over each case's receipts and postings
CREATE TEMP VIEW pl_agg AS
SELECT case_id,
       collmine._posting_lag(ts, activity = 'Payment Received')
           FILTER (WHERE activity IN ('Payment Received', 'Payment Posted')) AS posting_lag
  FROM pl_ev GROUP BY case_id;
-- the plain-SQL formula: each role's timestamps in (ts, ord) order, the k-th with the k-th
-- (unnest pads the shorter with NULLs, which avg leaves out)
CREATE TEMP VIEW pl_sql AS
SELECT a.case_id, (SELECT avg(u.p - u.r) FROM unnest(a.recv, a.posted) u(r, p)) AS posting_lag
  FROM (SELECT case_id,
               array_agg(ts ORDER BY ts, ord) FILTER (WHERE activity = 'Payment Received') AS recv,
               array_agg(ts ORDER BY ts, ord) FILTER (WHERE activity = 'Payment Posted') AS posted
          FROM pl_ev GROUP BY case_id) a;

SELECT case_id, posting_lag FROM pl_agg ORDER BY length(case_id), case_id;
SELECT count(*) AS cases, count(*) FILTER (WHERE a.posting_lag IS NOT DISTINCT FROM s.posting_lag) AS same_as_sql
  FROM pl_agg a JOIN pl_sql s USING (case_id);

-- the input order does not matter: fed in reverse time order, in ord order, and by hash
SELECT count(*) FILTER (WHERE x.rev IS NOT DISTINCT FROM a.posting_lag AND x.by_ord IS NOT DISTINCT FROM a.posting_lag
                          AND x.by_md5 IS NOT DISTINCT FROM a.posting_lag) AS same_in_any_order
  FROM (SELECT case_id,
               collmine._posting_lag(ts, activity = 'Payment Received' ORDER BY ts DESC, ord DESC)
                   FILTER (WHERE activity IN ('Payment Received', 'Payment Posted')) AS rev,
               collmine._posting_lag(ts, activity = 'Payment Received' ORDER BY ord)
                   FILTER (WHERE activity IN ('Payment Received', 'Payment Posted')) AS by_ord,
               collmine._posting_lag(ts, activity = 'Payment Received' ORDER BY md5(ts::text || ord))
                   FILTER (WHERE activity IN ('Payment Received', 'Payment Posted')) AS by_md5
          FROM pl_ev GROUP BY case_id) x JOIN pl_agg a USING (case_id);

-- NULL inputs are left out (a NULL time or kind), and no rows at all give NULL
SELECT collmine._posting_lag(t, r) AS with_nulls
  FROM (VALUES ('2024-01-01 00:00+00'::timestamptz, true), (NULL, false), ('2024-01-01 06:00+00', NULL),
               ('2024-01-01 04:00+00', false)) v(t, r);
SELECT collmine._posting_lag(ts, true) AS no_rows FROM pl_ev WHERE false;

-- through _payment_facts_sql (the connectors' invoices), the same lags and the last receipts
CREATE FUNCTION pg_temp.lags() RETURNS TABLE (case_id text, last_received_at timestamptz, posting_lag interval)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE collmine._payment_facts_sql('pg_temp.pl_ev', $a$ARRAY['Payment Received']$a$,
                                                     $a$ARRAY['Payment Posted']$a$, $a$'infinity'::timestamptz$a$);
END $$;
SELECT count(*) AS cases_with_payments,
       count(*) FILTER (WHERE f.posting_lag IS NOT DISTINCT FROM s.posting_lag) AS same_as_sql,
       count(*) FILTER (WHERE f.last_received_at IS NOT DISTINCT FROM
                              (SELECT max(e.ts) FROM pl_ev e WHERE e.case_id = f.case_id AND e.activity = 'Payment Received'))
           AS same_last_receipt
  FROM pg_temp.lags() f JOIN pl_sql s USING (case_id);

-- a forced parallel plan: partial states serialized in the workers, combined in the leader,
-- each case's events spread over both workers; the same lags
-- (an ordinary table: temporary ones are never read in parallel)
CREATE SCHEMA t59;
CREATE TABLE t59.pl_big AS
SELECT 'C' || (g % 50) AS case_id, CASE WHEN g % 3 = 0 THEN 'Payment Posted' ELSE 'Payment Received' END AS activity,
       '2024-01-01 00:00+00'::timestamptz + make_interval(mins => (g * 7919) % 100000) AS ts, g AS ord
  FROM generate_series(1, 20000) g ORDER BY md5(g::text);
CREATE FUNCTION pg_temp.has_partial_agg(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN jsonb_path_exists(plan, 'strict $.**."Partial Mode" ? (@ == "Partial")');
END $$;
CREATE TEMP TABLE pl_big_sql AS
SELECT a.case_id, (SELECT avg(u.p - u.r) FROM unnest(a.recv, a.posted) u(r, p)) AS posting_lag
  FROM (SELECT case_id,
               array_agg(ts ORDER BY ts, ord) FILTER (WHERE activity = 'Payment Received') AS recv,
               array_agg(ts ORDER BY ts, ord) FILTER (WHERE activity = 'Payment Posted') AS posted
          FROM t59.pl_big GROUP BY case_id) a;
ALTER TABLE t59.pl_big SET (parallel_workers = 2);
ANALYZE t59.pl_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
SELECT pg_temp.has_partial_agg($q$SELECT case_id, collmine._posting_lag(ts, activity = 'Payment Received')
                                    FROM t59.pl_big GROUP BY case_id$q$) AS parallel_partial;
SELECT count(*) AS cases, count(*) FILTER (WHERE p.posting_lag IS NOT DISTINCT FROM s.posting_lag) AS same_as_sql
  FROM (SELECT case_id, collmine._posting_lag(ts, activity = 'Payment Received') AS posting_lag
          FROM t59.pl_big GROUP BY case_id) p JOIN pl_big_sql s USING (case_id);
-- one group over everything: every worker holds part of it, the combine merges both
SELECT collmine._posting_lag(ts, activity = 'Payment Received')
       IS NOT DISTINCT FROM (SELECT avg(u.p - u.r)
                               FROM unnest((SELECT array_agg(ts ORDER BY ts) FROM t59.pl_big WHERE activity = 'Payment Received'),
                                           (SELECT array_agg(ts ORDER BY ts) FROM t59.pl_big WHERE activity = 'Payment Posted')) u(r, p))
           AS whole_table_same_as_sql
  FROM t59.pl_big;
RESET ALL;
SET client_min_messages = warning;
SET timezone = 'UTC';

-- overflow is an error, as avg(interval) gives one: 25 lags of about 105.9M days each sum past
-- the 2^31 days an interval holds
SELECT collmine._posting_lag(v.t, v.r)
  FROM generate_series(1, 25) g,
       LATERAL (VALUES ('4000-01-01 00:00+00'::timestamptz, true), ('294000-01-01 00:00+00', false)) v(t, r);
SELECT (SELECT avg(u.p - u.r) FROM unnest(array_fill('4000-01-01 00:00+00'::timestamptz, ARRAY[25]),
                                          array_fill('294000-01-01 00:00+00'::timestamptz, ARRAY[25])) u(r, p)) AS sql_overflows_too;

-- ==== the pairs: _paired_starts and _paired_ends, from _posting_lag's state ====
-- With R as the start and P as the end, element k of the two arrays is the case's k-th receipt
-- and k-th posting in time order (the cases above):
--   L2 {01-01, 01-05} and {01-01 12:00, 01-08} (each put in order)
--   L3 {01-03 09:00, 01-03 09:00} and {01-03 10:00, 01-04 09:00} (ord only orders the tie)
--   L4 {01-01, 01-02, 01-03} and {01-04, NULL, NULL}: one end for three starts
--   L6 {01-10} and {01-09}: an end before its start is still its end
--   L8 postings only: no pair, NULL and NULL
SELECT case_id, collmine._paired_starts(ts, activity = 'Payment Received') AS starts,
       collmine._paired_ends(ts, activity = 'Payment Received') AS ends
  FROM pl_ev WHERE activity IN ('Payment Received', 'Payment Posted') AND case_id IN ('L2', 'L3', 'L4', 'L6', 'L8')
 GROUP BY case_id ORDER BY case_id;

-- the pairing that activity_pairs had before (a row_number per case and kind, the k-th start
-- joined with the k-th end), as the oracle; the aggregates' pairs unnested, k by k
CREATE FUNCTION pg_temp.window_pairs(events regclass, s text, f text)
RETURNS TABLE (case_id text, pair_no bigint, started_at timestamptz, ended_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH s AS (SELECT e.case_id::text AS case_id, e.ts, row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$s e WHERE e.activity = $1),
             f AS (SELECT e.case_id::text AS case_id, e.ts, row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$s e WHERE e.activity = $2)
        SELECT s.case_id, s.n, s.ts, f.ts FROM s LEFT JOIN f ON f.case_id = s.case_id AND f.n = s.n $q$, events) USING s, f;
END $$;
CREATE FUNCTION pg_temp.agg_pairs(events regclass, s text, f text)
RETURNS TABLE (case_id text, pair_no bigint, started_at timestamptz, ended_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT g.case_id, u.n, u.s, u.f
          FROM (SELECT e.case_id::text AS case_id, collmine._paired_starts(e.ts, e.activity = $1) AS s,
                       collmine._paired_ends(e.ts, e.activity = $1) AS f
                  FROM %1$s e WHERE e.activity IN ($1, $2) GROUP BY e.case_id) g,
               unnest(g.s, g.f) WITH ORDINALITY u(s, f, n) $q$, events) USING s, f;
END $$;
SELECT (SELECT count(*) FROM pg_temp.window_pairs('pl_ev', 'Payment Received', 'Payment Posted')) AS pairs,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.window_pairs('pl_ev', 'Payment Received', 'Payment Posted')
                              EXCEPT ALL SELECT * FROM pg_temp.agg_pairs('pl_ev', 'Payment Received', 'Payment Posted')) x)
     + (SELECT count(*) FROM (SELECT * FROM pg_temp.agg_pairs('pl_ev', 'Payment Received', 'Payment Posted')
                              EXCEPT ALL SELECT * FROM pg_temp.window_pairs('pl_ev', 'Payment Received', 'Payment Posted')) x)
       AS differ;

-- activity_pairs on a log of the user's own with NULL times and a NULL case (the connectors'
-- logs have neither), against the window pairing, row by row:
--   N1 starts 01-01 and NULL, ends 01-02, NULL and 01-05: in time order, NULL last, the starts
--      are 01-01, NULL and the ends 01-02, 01-05, NULL: (01-01, 01-02) 1 day, (NULL, 01-05) no duration
--   N2 an end only: no pair
--   N3 a start 01-01 and a NULL end: (01-01, NULL)
--   no case: starts 01-01 and 01-03 and an end 01-02: a NULL case_id joins no end, so two
--      unmatched starts, numbered 1 and 2 in time order
CREATE SCHEMA t59log;
CREATE TABLE t59log.events (case_id text, activity text, ts timestamptz, ord bigint, amount numeric);
CREATE TABLE t59log.invoices (case_id text, currency text, amount numeric, invoice_date date, due_date date, terms_days integer);
INSERT INTO t59log.events VALUES
    ('N1', 'Dispute Registered', '2024-01-01 00:00+00', 1), ('N1', 'Dispute Registered', NULL, 2),
    ('N1', 'Dispute Resolved', '2024-01-05 00:00+00', 3), ('N1', 'Dispute Resolved', NULL, 4),
    ('N1', 'Dispute Resolved', '2024-01-02 00:00+00', 5),
    ('N2', 'Dispute Resolved', '2024-01-02 00:00+00', 1),
    ('N3', 'Dispute Registered', '2024-01-01 00:00+00', 1), ('N3', 'Dispute Resolved', NULL, 2),
    (NULL, 'Dispute Registered', '2024-01-03 00:00+00', 1), (NULL, 'Dispute Resolved', '2024-01-02 00:00+00', 2),
    (NULL, 'Dispute Registered', '2024-01-01 00:00+00', 3);
SELECT case_id, pair_no, started_at, ended_at, duration_days, duration
  FROM collmine.activity_pairs('t59log', 'Dispute Registered', 'Dispute Resolved')
 ORDER BY case_id NULLS LAST, pair_no;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE w.case_id IS NOT DISTINCT FROM a.case_id AND w.ended_at IS NOT DISTINCT FROM a.ended_at)
           AS same_as_window_pairing
  FROM pg_temp.window_pairs('t59log.events', 'Dispute Registered', 'Dispute Resolved') w
  FULL JOIN collmine.activity_pairs('t59log', 'Dispute Registered', 'Dispute Resolved') a
    ON a.case_id IS NOT DISTINCT FROM w.case_id AND a.pair_no = w.pair_no
       AND a.started_at IS NOT DISTINCT FROM w.started_at;
DROP SCHEMA t59log CASCADE;

-- the pairs in a forced parallel plan (partial states with NULL times serialized in the workers
-- and combined in the leader), against the window pairing
INSERT INTO t59.pl_big
SELECT 'C' || (g % 50), CASE WHEN g % 2 = 0 THEN 'Payment Posted' ELSE 'Payment Received' END, NULL, 100000 + g
  FROM generate_series(1, 200) g;
ANALYZE t59.pl_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
SELECT pg_temp.has_partial_agg($q$SELECT case_id, collmine._paired_starts(ts, activity = 'Payment Received'),
                                         collmine._paired_ends(ts, activity = 'Payment Received')
                                    FROM t59.pl_big GROUP BY case_id$q$) AS parallel_partial;
SELECT (SELECT count(*) FROM pg_temp.window_pairs('t59.pl_big', 'Payment Received', 'Payment Posted')) AS pairs,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.window_pairs('t59.pl_big', 'Payment Received', 'Payment Posted')
                              EXCEPT ALL SELECT * FROM pg_temp.agg_pairs('t59.pl_big', 'Payment Received', 'Payment Posted')) x)
     + (SELECT count(*) FROM (SELECT * FROM pg_temp.agg_pairs('t59.pl_big', 'Payment Received', 'Payment Posted')
                              EXCEPT ALL SELECT * FROM pg_temp.window_pairs('t59.pl_big', 'Payment Received', 'Payment Posted')) x)
       AS differ;
RESET ALL;
SET client_min_messages = warning;
SET timezone = 'UTC';

DROP SCHEMA t59 CASCADE;
