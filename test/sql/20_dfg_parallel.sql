-- collmine.dfg_agg and dfg_union as partial aggregates: in parallel plans, in partitionwise
-- plans, and merged from per-partition maps after a round trip through text. Every result must
-- equal the serial one exactly (compared as text, which is canonical).
CREATE SCHEMA dfg_par;
SET search_path = dfg_par, public;

-- receipt.csv traces, four copies under different case ids: 5,736 traces
CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE traces (case_id text, grp int, amount numeric, t collmine.trace);
INSERT INTO traces
  SELECT case_id || '/' || k, k, (length(case_id) * k)::numeric / 3, t
    FROM (SELECT case_id, collmine.trace_agg(activity, ts::timestamptz, event_seq) AS t
            FROM raw GROUP BY case_id) s,
         generate_series(1, 4) AS k;
ALTER TABLE traces SET (parallel_workers = 2);
ANALYZE traces;

-- true when the plan of a query contains a partial aggregate step
CREATE FUNCTION has_partial_agg(query text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN plan::text LIKE '%"Partial Mode": "Partial"%';
END
$$;

-- serial results
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial AS SELECT
  (SELECT collmine.dfg_agg(t)::text FROM traces) AS plain,
  (SELECT collmine.dfg_agg(t, amount)::text FROM traces) AS weighted;
CREATE TABLE serial_grouped AS SELECT grp, collmine.dfg_agg(t)::text AS d FROM traces GROUP BY grp;
SELECT has_partial_agg('SELECT collmine.dfg_agg(t) FROM traces') AS serial_is_partial;

-- parallel: forced, with workers doing all the work
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

SELECT has_partial_agg('SELECT collmine.dfg_agg(t) FROM traces') AS partial_plain,
       has_partial_agg('SELECT collmine.dfg_agg(t, amount) FROM traces') AS partial_weighted,
       has_partial_agg('SELECT grp, collmine.dfg_agg(t) FROM traces GROUP BY grp') AS partial_grouped;
SELECT (SELECT collmine.dfg_agg(t)::text FROM traces) = plain AS plain_equal,
       (SELECT collmine.dfg_agg(t, amount)::text FROM traces) = weighted AS weighted_equal
  FROM serial;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.d = s.d) AS equal
  FROM (SELECT grp, collmine.dfg_agg(t)::text AS d FROM traces GROUP BY grp) p
  JOIN serial_grouped s USING (grp);

-- dfg_union is a partial aggregate too
CREATE TABLE per_case AS SELECT case_id, collmine.dfg_agg(t) AS d FROM traces GROUP BY case_id;
ALTER TABLE per_case SET (parallel_workers = 2);
ANALYZE per_case;
SELECT has_partial_agg('SELECT collmine.dfg_union(d) FROM per_case') AS partial_union;
SELECT (SELECT collmine.dfg_union(d)::text FROM per_case) = plain AS union_equal FROM serial;

-- partitionwise aggregation (partial aggregates per partition, combined in one process)
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SET enable_partitionwise_aggregate = on;
CREATE TABLE parted (case_id text, grp int, t collmine.trace) PARTITION BY HASH (case_id);
CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO parted SELECT case_id, grp, t FROM traces;
ANALYZE parted;
SELECT has_partial_agg('SELECT grp, collmine.dfg_agg(t) FROM parted GROUP BY grp') AS partial_partitionwise;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.d = s.d) AS equal
  FROM (SELECT grp, collmine.dfg_agg(t)::text AS d FROM parted GROUP BY grp) p
  JOIN serial_grouped s USING (grp);
SELECT (SELECT collmine.dfg_agg(t)::text FROM parted) = plain AS partitioned_equal FROM serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

-- per-partition maps, stored as text (as a rollup table or another server would hold them),
-- merge to the same map as one dfg_agg over everything
CREATE TABLE rollup AS
  SELECT tableoid::regclass::text AS part, collmine.dfg_agg(t)::text AS d FROM parted GROUP BY 1;
SELECT count(*) AS parts FROM rollup;
SELECT (SELECT collmine.dfg_union(d::collmine.dfg)::text FROM rollup) = plain AS rollup_equal
  FROM serial;
-- and in any order of merging
SELECT (SELECT collmine.dfg_union(d::collmine.dfg ORDER BY part DESC)::text FROM rollup) = plain
       AS rollup_reversed_equal
  FROM serial;

DROP SCHEMA dfg_par CASCADE;
