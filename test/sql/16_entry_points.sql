-- The analyst entry points process_map(), variants() and traces(): money per edge and per
-- variant worked out by hand, equality with the two-level query, reporting of left-out
-- events, quoting of identifiers, and row-level security.
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
CREATE SCHEMA t16;
CREATE TABLE t16.events (invoice text, activity text, ts timestamptz, seq bigint);
CREATE TABLE t16.invoices (invoice text PRIMARY KEY, amount numeric, collector text);
INSERT INTO t16.invoices VALUES ('A', 100, 'ann'), ('B', 250, 'ann'), ('C', 1000, 'bob'), ('D', 40, 'bob');
INSERT INTO t16.events VALUES
  ('A', 'Invoice Generated', '2024-01-01', 1), ('A', 'Payment Received', '2024-01-11', 2), ('A', 'Invoice Settled', '2024-01-12', 3),
  ('B', 'Invoice Generated', '2024-01-02', 4), ('B', 'Payment Received', '2024-01-22', 5), ('B', 'Invoice Settled', '2024-01-23', 6),
  ('C', 'Invoice Generated', '2024-01-03', 7), ('C', 'Overdue Reminder Sent', '2024-02-10', 8),
  ('C', 'Payment Received', '2024-02-20', 9), ('C', 'Invoice Settled', '2024-02-21', 10),
  ('D', 'Invoice Generated', '2024-01-04', 11), ('D', 'Overdue Reminder Sent', '2024-02-10', 12),
  ('D', 'Invoice Written Off', '2024-06-30', 13);
-- the log with the invoice amount on every event row, as weight_col expects
CREATE VIEW t16.log AS SELECT e.*, i.amount, i.collector FROM t16.events e JOIN t16.invoices i USING (invoice);

-- Variants with money, by hand:
--   G -> R -> S        cases A, B:  2 cases, 100 + 250 = 350, throughput 11 and 21 days: mean 16, median 16
--   G -> Rem -> W      case D:      1 case, 40, 178 days (2024-01-04 -> 2024-06-30)
--   G -> Rem -> R -> S case C:      1 case, 1000, 49 days
-- shares 0.5, 0.25, 0.25; ties ordered by activity sequence ('Invoice Written Off' < 'Payment Received').
SELECT rank, cases, share, cumulative_share, weight, variant, mean_throughput, median_throughput, min_throughput, max_throughput
FROM collmine.variants('t16.log', 'invoice', 'activity', 'ts', 'seq', 'amount');

-- Money per edge, by hand (counted once per occurrence, weight 4 decimals):
--   Invoice Generated -> Payment Received       A, B     2   350
--   Invoice Generated -> Overdue Reminder Sent  C, D     2  1040
--   Overdue Reminder Sent -> Payment Received   C        1  1000
--   Overdue Reminder Sent -> Invoice Written Off D       1    40
--   Payment Received -> Invoice Settled         A, B, C  3  1350
SELECT source, target, frequency, weight FROM collmine.dfg_edges(
  collmine.process_map('t16.log', 'invoice', 'activity', 'ts', 'seq', 'amount'))
ORDER BY source, target;

-- process_map equals dfg_agg over traces() and over the hand-written two-level query
SELECT collmine.process_map('t16.events', 'invoice', 'activity', 'ts', 'seq')::text
       = (SELECT collmine.dfg_agg(trace)::text FROM collmine.traces('t16.events', 'invoice', 'activity', 'ts', 'seq')) AS same_as_traces,
       collmine.process_map('t16.events', 'invoice', 'activity', 'ts', 'seq')::text
       = (SELECT collmine.dfg_agg(t)::text FROM (SELECT collmine.trace_agg(activity, ts, seq) AS t FROM t16.events GROUP BY invoice) s) AS same_as_query;

-- Left-out events are reported, not lost silently: 2 events without a case id (WARNING),
-- 1 event without an activity (NOTICE); the map covers the 4 real cases.
INSERT INTO t16.events VALUES (NULL, 'Payment Received', '2024-03-01', 14), (NULL, 'Payment Received', '2024-03-02', 15),
                              ('A', NULL, '2024-01-05', 16);
SELECT collmine.dfg_cases(collmine.process_map('t16.events', 'invoice', 'activity', 'ts', 'seq')) AS cases;
SELECT count(*) AS variants FROM collmine.variants('t16.events', 'invoice', 'activity', 'ts', 'seq');
SELECT count(*) AS traces FROM collmine.traces('t16.events', 'invoice', 'activity', 'ts');
DELETE FROM t16.events WHERE seq > 13;

-- An empty log: no variants, no traces, and a NULL map (like any aggregate over no rows).
CREATE TABLE t16.empty (LIKE t16.events);
SELECT (SELECT count(*) FROM collmine.variants('t16.empty', 'invoice', 'activity', 'ts')) AS variants,
       (SELECT count(*) FROM collmine.traces('t16.empty', 'invoice', 'activity', 'ts')) AS traces,
       collmine.process_map('t16.empty', 'invoice', 'activity', 'ts') IS NULL AS map_is_null;

-- Identifiers are quoted: a column "name" carrying SQL is just a missing column.
SELECT * FROM collmine.variants('t16.events', 'invoice', 'activity, ts); DROP TABLE t16.events; --', 'ts');
SELECT count(*) AS events_still_there FROM t16.events;
-- and a strange but real column name works
ALTER TABLE t16.events RENAME COLUMN activity TO "Activity ""Name""";
SELECT count(*) AS variants FROM collmine.variants('t16.events', 'invoice', 'Activity "Name"', 'ts');
ALTER TABLE t16.events RENAME COLUMN "Activity ""Name""" TO activity;

-- Missing arguments and relations are clear errors.
SELECT * FROM collmine.variants('t16.events', 'invoice', NULL, 'ts');
SELECT * FROM collmine.variants('t16.no_such_table', 'invoice', 'activity', 'ts');

-- The functions run as the caller: row-level security applies. Collector ann sees A and B only:
-- one variant, G -> R -> S, 2 cases, 350.
CREATE ROLE t16_ann;
GRANT USAGE ON SCHEMA t16 TO t16_ann;
GRANT SELECT ON t16.events, t16.invoices TO t16_ann;
ALTER TABLE t16.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_invoices ON t16.invoices USING (collector = current_user::text OR 't16_' || collector = current_user::text);
CREATE VIEW t16.log_rls WITH (security_barrier) AS
  SELECT e.*, i.amount FROM t16.events e JOIN t16.invoices i USING (invoice);
ALTER VIEW t16.log_rls OWNER TO t16_ann;
SET ROLE t16_ann;
SELECT cases, weight, variant FROM collmine.variants('t16.log_rls', 'invoice', 'activity', 'ts', 'seq', 'amount');
SELECT collmine.dfg_cases(collmine.process_map('t16.log_rls', 'invoice', 'activity', 'ts', 'seq')) AS cases_visible;
RESET ROLE;
-- Row-level security on the events table itself, which the streams read directly (as the table
-- lies, or through its case index): ann's policy shows the events of the invoices she sees, A's
-- and B's, so again one variant of 2 cases and a map of 2 cases.
CREATE INDEX ON t16.events (invoice);
ALTER TABLE t16.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_events ON t16.events USING (invoice IN (SELECT invoice FROM t16.invoices));
SET ROLE t16_ann;
SELECT cases, variant FROM collmine.variants('t16.events', 'invoice', 'activity', 'ts', 'seq');
SELECT collmine.dfg_cases(collmine.process_map('t16.events', 'invoice', 'activity', 'ts', 'seq')) AS cases_visible;
RESET ROLE;

DROP SCHEMA t16 CASCADE;
DROP ROLE t16_ann;
