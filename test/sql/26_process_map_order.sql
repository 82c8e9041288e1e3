-- process_map() over a log stored in case order: when a btree index leads with the case column
-- and the statistics say the table is stored in that order (collmine._in_case_order), the map is
-- built from an index scan one case at a time (GroupAggregate, no hash table of cases). The map
-- must be the same value, byte for byte, as the hashed plan's, on a real log (receipt.csv, 1,434
-- cases, 8,577 events; provenance: test/data/real-logs/README.md), weighted and unweighted.
SET timezone = 'UTC';
CREATE SCHEMA t26;
SET search_path = t26, public;

CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
-- the same events three times: in file order without an index, sorted by case with an index on
-- (case_id, ts, ord), and in a shuffled order with the same index; each with a per-case weight
CREATE TABLE plain_log AS
  SELECT case_id, activity, ts::timestamptz AS ts, event_seq AS ord, length(case_id) * 10.5 AS amount FROM raw;
CREATE TABLE sorted_log AS SELECT * FROM plain_log ORDER BY case_id, ts, ord;
CREATE INDEX ON sorted_log (case_id, ts, ord);
CREATE TABLE shuffled_log AS SELECT * FROM plain_log ORDER BY md5(ord::text);
CREATE INDEX ON shuffled_log (case_id, ts, ord);
ANALYZE plain_log;
ANALYZE sorted_log;
ANALYZE shuffled_log;

-- Only the sorted, indexed copy is taken in case order (the shuffled copy has the index, but
-- reading it through the index would jump around the table; the plain copy has no index).
SELECT collmine._in_case_order('plain_log', 'case_id') AS plain,
       collmine._in_case_order('sorted_log', 'case_id') AS sorted,
       collmine._in_case_order('shuffled_log', 'case_id') AS shuffled,
       collmine._in_case_order('sorted_log', 'activity') AS other_column;

-- The plan the in-case-order path gets for the trace query (the settings of
-- _process_map_in_case_order): one case at a time from the index.
BEGIN;
SET LOCAL enable_hashagg = off;
SET LOCAL enable_sort = off;
SET LOCAL max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT case_id::text AS case_id, collmine.trace_agg(activity::text, ts::timestamptz, ord::bigint) AS trace,
       NULL::numeric AS weight, count(*) AS events FROM sorted_log GROUP BY case_id;
ROLLBACK;

-- Same maps, byte for byte, whichever path and copy: unweighted and weighted, and the
-- in-case-order path forced on the copies it would not choose (still exact, only slower).
CREATE TABLE maps AS
  SELECT 'plain' AS copy, collmine.process_map('plain_log', 'case_id', 'activity', 'ts', 'ord') AS m,
         collmine.process_map('plain_log', 'case_id', 'activity', 'ts', 'ord', 'amount') AS w
  UNION ALL
  SELECT 'sorted', collmine.process_map('sorted_log', 'case_id', 'activity', 'ts', 'ord'),
         collmine.process_map('sorted_log', 'case_id', 'activity', 'ts', 'ord', 'amount')
  UNION ALL
  SELECT 'shuffled', collmine.process_map('shuffled_log', 'case_id', 'activity', 'ts', 'ord'),
         collmine.process_map('shuffled_log', 'case_id', 'activity', 'ts', 'ord', 'amount')
  UNION ALL
  SELECT 'forced ' || c,
         collmine._process_map_in_case_order(collmine._trace_sql(c::regclass, 'case_id', 'activity', 'ts', 'ord', NULL), false),
         collmine._process_map_in_case_order(collmine._trace_sql(c::regclass, 'case_id', 'activity', 'ts', 'ord', 'amount'), true)
    FROM unnest(ARRAY['plain_log', 'shuffled_log']) AS c;
SELECT count(*) AS maps,
       count(DISTINCT collmine.dfg_send(m)) AS distinct_maps,
       count(DISTINCT collmine.dfg_send(w)) AS distinct_weighted_maps,
       min(collmine.dfg_cases(m)) AS cases, max(collmine.dfg_events(m)) AS events,
       min(collmine.dfg_weight(w)) AS weight,
       -- independently: the case weights summed once per case
       min(collmine.dfg_weight(w)) = (SELECT sum(length(case_id) * 10.5)
                                        FROM (SELECT DISTINCT case_id FROM plain_log) c) AS weight_ok
  FROM maps;

-- The log-schema form decides the same way for <schema>.events (connectors write it in
-- (case_id, ts, ord) order with that index): covered by 54_log_entry's expected maps.
SET client_min_messages = warning;
DROP SCHEMA t26 CASCADE;
