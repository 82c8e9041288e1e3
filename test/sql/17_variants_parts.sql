-- variants() over a table partitioned by the case column: each leaf streamed on its own
-- (_variants_stream_part, one branch of a UNION ALL each, so that a Parallel Append gives each
-- leaf to one worker) and the leaves' variants merged by variant key (_variants_stream_merge),
-- then ranked as one stream ranks them. Every row, every column and the rank order must equal
-- the serial stream's, the hashed plan's and the unpartitioned copy's, serially and with 2
-- workers: on a hand-made log worked out by hand, and on a real log (receipt.csv, 1,434 cases,
-- 8,577 events; provenance: test/data/real-logs/README.md).
SET timezone = 'UTC';
CREATE SCHEMA t17p;
SET search_path = t17p, public;

-- The hand-made log over 3 hash partitions of the case id (which leaf holds which case is shown
-- below). Worked out by hand:
--   c1: a (day 1 00:00) -> b (10:00)             variant a -> b, throughput 10 h, weight max(5, 7) = 7
--   c2: a (day 2) -> b (day 3)                   variant a -> b, throughput 1 day, weight max(1, NULL) = 1
--   c3: a (00:00) -> b (04:00)                   variant a -> b, throughput 4 h, no weight
--   c4: b, and an event with a NULL activity     variant b, throughput 0, weight max(2.50, 2.5) = 2.5;
--                                                a NOTICE for 1 event
--   c5: b                                        variant b, throughput 0, no weight
--   c6: c; c7: B                                 one case each, no weight
--   NULL case id: left out, a WARNING for 1 event
-- 7 cases. a -> b: 3 cases (share 3/7 = 0.42857142857142855 as a double), weight 7 + 1 = 8; throughputs 4 h,
-- 10 h, 1 day: min 04:00:00, median 10:00:00, max 1 day; mean as avg(interval): (1 day + 14 h) / 3
-- = 0 days (a third of a day, 8 h, moves into the time) + 14 h / 3 (4 h 40 min) = 12:40:00,
-- printed in the tests' interval style as "@ 12 hours 40 mins".
-- b: 2 cases (2/7 = 0.2857142857142857, cumulative 5/7 = 0.7142857142857143), weight 2.5, every
-- throughput 0.
-- B and c: one case each (1/7 = 0.14285714285714285), tied, ranked by the activity bytes: 'B'
-- (0x42, cumulative 6/7 = 0.8571428571428571) before 'c' (0x63, cumulative 1); no weight (NULL).
CREATE TABLE hand (inv text, act text, ts timestamptz, amount numeric) PARTITION BY HASH (inv);
CREATE TABLE hand_0 PARTITION OF hand FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE hand_1 PARTITION OF hand FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE hand_2 PARTITION OF hand FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO hand VALUES
  ('c1', 'a', '2024-01-01 00:00', 5), ('c1', 'b', '2024-01-01 10:00', 7),
  ('c2', 'b', '2024-01-03 00:00', NULL), ('c2', 'a', '2024-01-02 00:00', 1),
  (NULL, 'x', '2024-01-01', 3),
  ('c3', 'a', '2024-01-01 00:00', NULL), ('c3', 'b', '2024-01-01 04:00', NULL),
  ('c4', 'b', '2024-01-01 00:00', 2.50), ('c4', NULL, '2024-01-01 01:00', 2.5),
  ('c5', 'b', '2024-01-05 00:00', NULL),
  ('c6', 'c', '2024-01-06 00:00', NULL),
  ('c7', 'B', '2024-01-07 00:00', NULL);
CREATE TABLE hand_flat AS SELECT * FROM hand;
-- where the cases lie (hash partitioning puts a NULL case id in remainder 0): variant a -> b
-- spans two leaves (c2 in hand_0, c1 and c3 in hand_1), so does b (c5 in hand_1, c4 in hand_2),
-- and the tied B and c lie in different leaves (c7 in hand_2, c6 in hand_1)
SELECT tableoid::regclass AS leaf, string_agg(DISTINCT coalesce(inv, 'NULL'), ' ' ORDER BY coalesce(inv, 'NULL')) AS cases
  FROM hand GROUP BY 1 ORDER BY 1;
SELECT collmine._variants_stream_ways('hand', 'inv', 'amount') AS ways,
       collmine._variants_stream_ways('hand_flat', 'inv', 'amount') AS flat_ways;
-- the leaves merged: one WARNING and one NOTICE
SELECT rank, variant, cases, share, cumulative_share, weight,
       mean_throughput, median_throughput, min_throughput, max_throughput
  FROM collmine._variants_stream_parts_rows(collmine._variants_stream_sql('hand', 'inv', 'act', 'ts', NULL, 'amount', 'partitions'));
-- every column the same as the unpartitioned copy's stream and the hashed plan's, each reporting once
CREATE TABLE hand_rows AS
  SELECT 'variants' AS path, v::text AS r FROM collmine.variants('hand', 'inv', 'act', 'ts', NULL, 'amount') v
  UNION ALL
  SELECT 'flat', v::text FROM collmine.variants('hand_flat', 'inv', 'act', 'ts', NULL, 'amount') v
  UNION ALL
  SELECT 'hashed', v::text FROM collmine._variants(collmine._trace_sql('hand', 'inv', 'act', 'ts', NULL, 'amount')) v;
SELECT count(*) AS rows, count(DISTINCT r) AS distinct_rows,
       count(*) FILTER (WHERE path = 'variants') AS partitioned_rows FROM hand_rows;

-- Edge inputs: an empty leaf gives no part (NULL), and no part merges into no rows; a variant
-- whose key is found in two parts with different activities is a collision, an error as in
-- _variant_agg (forced here: the second part's key, its bytes 17 to 24, overwritten with the
-- first's); a damaged part is an error.
SELECT collmine._variants_stream_part(c, 'a', now(), NULL::numeric, true) IS NULL AS empty_part
  FROM (SELECT 1 WHERE false) v(c);
SELECT collmine._variants_stream_merge(p) IS NULL AS no_rows FROM (VALUES (NULL::bytea)) v(p);
CREATE TABLE two_parts AS
  SELECT (SELECT collmine._variants_stream_part(1, 'a', now(), NULL::numeric, true)) AS p1,
         (SELECT collmine._variants_stream_part(2, 'b', now(), NULL::numeric, true)) AS p2;
SELECT cardinality(collmine._variants_stream_merge(p)) AS variants
  FROM two_parts, LATERAL (VALUES (p1), (p2)) v(p);
SELECT collmine._variants_stream_merge(p)
  FROM two_parts, LATERAL (VALUES (p1), (overlay(p2 PLACING substr(p1, 17, 8) FROM 17))) v(p);
SELECT collmine._variants_stream_merge(substr(p1, 1, 30)) FROM two_parts;

-- Partitioned by anything but the case (here the time), a case can span two leaves: no leaf
-- streams apart, the whole table is streamed as one (refused here) or hashed: the same rows.
CREATE TABLE hand_by_time (LIKE hand_flat) PARTITION BY RANGE (ts);
CREATE TABLE hand_by_time_0 PARTITION OF hand_by_time FOR VALUES FROM (MINVALUE) TO ('2024-01-02 12:00');
CREATE TABLE hand_by_time_1 PARTITION OF hand_by_time FOR VALUES FROM ('2024-01-02 12:00') TO (MAXVALUE);
INSERT INTO hand_by_time SELECT * FROM hand_flat;
SELECT collmine._variants_stream_ways('hand_by_time', 'inv', 'amount') AS ways,
       (SELECT string_agg(v::text, '|' ORDER BY v.rank) FROM collmine.variants('hand_by_time', 'inv', 'act', 'ts', NULL, 'amount') v)
     = (SELECT string_agg(r, '|' ORDER BY r) FROM hand_rows WHERE path = 'hashed') AS same_rows;

-- A leaf read by name is checked against its own privileges and policies, not the parent's: a
-- caller who may read only the parent, or a parent with row-level security, gets the parent read
-- as one relation ('grouped'), with the rows the parent shows. Ann may read hand only: its
-- leaves are not read apart, and her rows are the hashed plan's (every column). Then with a
-- policy on hand that hides c1 (and the NULL case id), even with the leaves granted: grouped,
-- and a -> b has 2 cases (c2: 1 day, weight 1; c3: 4 h), median (4 h + 1 day) / 2 = 14 h, of 6
-- cases in all; b 2, B 1, c 1; no WARNING (the event without a case is hidden), one NOTICE (c4).
CREATE ROLE t17p_ann;
GRANT USAGE ON SCHEMA t17p TO t17p_ann;
GRANT SELECT ON hand, hand_rows TO t17p_ann;
SET ROLE t17p_ann;
SELECT collmine._variants_stream_ways('hand', 'inv', 'amount') AS ways,
       (SELECT string_agg(v::text, '|' ORDER BY v.rank) FROM collmine.variants('hand', 'inv', 'act', 'ts', NULL, 'amount') v)
     = (SELECT string_agg(r, '|' ORDER BY r) FROM hand_rows WHERE path = 'hashed') AS same_rows;
-- process_map() reads the leaves apart under the same condition: 7 cases, no error
SELECT collmine.dfg_cases(collmine.process_map('hand', 'inv', 'act', 'ts')) AS map_cases;
RESET ROLE;
GRANT SELECT ON hand_0, hand_1, hand_2 TO t17p_ann;
ALTER TABLE hand ENABLE ROW LEVEL SECURITY;
CREATE POLICY not_c1 ON hand USING (inv <> 'c1');
SET ROLE t17p_ann;
SELECT collmine._variants_stream_ways('hand', 'inv', 'amount') AS ways;
SELECT rank, variant, cases, weight, median_throughput FROM collmine.variants('hand', 'inv', 'act', 'ts', NULL, 'amount');
-- and its map has the 6 cases the policy shows
SELECT collmine.dfg_cases(collmine.process_map('hand', 'inv', 'act', 'ts')) AS map_cases;
RESET ROLE;
ALTER TABLE hand DISABLE ROW LEVEL SECURITY;
SELECT collmine._variants_stream_ways('hand', 'inv', 'amount') AS ways_without_policy;

-- The real log in 3 hash partitions of the case id, each leaf rewritten in case order (CLUSTER),
-- beside its unpartitioned copy; and a copy partitioned alike whose leaves lie in time order,
-- which a leaf refuses (22000): variants() then hashes the cases.
CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE plain_log AS
  SELECT case_id, activity, ts::timestamptz AS ts, event_seq AS ord, length(case_id) * 10.5 AS amount FROM raw;
UPDATE plain_log SET case_id = NULL WHERE ord % 97 = 0;
UPDATE plain_log SET activity = NULL WHERE ord % 89 = 0;
CREATE TABLE part_log (LIKE plain_log) PARTITION BY HASH (case_id);
CREATE TABLE part_log_0 PARTITION OF part_log FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE part_log_1 PARTITION OF part_log FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE part_log_2 PARTITION OF part_log FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO part_log SELECT * FROM plain_log;
CREATE INDEX part_log_case ON part_log (case_id, ts, ord);
CLUSTER part_log USING part_log_case;
CREATE TABLE time_log (LIKE plain_log) PARTITION BY HASH (case_id);
CREATE TABLE time_log_0 PARTITION OF time_log FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE time_log_1 PARTITION OF time_log FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO time_log SELECT * FROM plain_log ORDER BY ts, ord;
ANALYZE plain_log;
ANALYZE part_log;
ANALYZE time_log;
-- does a way stream a relation (t), or refuse it (f)?
CREATE FUNCTION streams(log regclass, how text) RETURNS boolean LANGUAGE plpgsql
SET client_min_messages = error AS $$
BEGIN
    PERFORM count(*) FROM collmine._variants_stream_parts_rows(
        collmine._variants_stream_sql(log, 'case_id', 'activity', 'ts', 'ord', NULL, how));
    RETURN true;
EXCEPTION WHEN data_exception THEN
    IF NOT collmine._stream_refused(SQLERRM) THEN
        RAISE;
    END IF;
    RETURN false;
END
$$;
SELECT c AS copy, collmine._variants_stream_ways(c::regclass, 'case_id', 'amount') AS ways,
       streams(c::regclass, 'partitions') AS parts_stream
  FROM unnest(ARRAY['part_log', 'time_log']) AS c ORDER BY 1;

-- Same rows, byte for byte, serially and with 2 workers forced, weighted and not, with and
-- without the order key: variants() on each copy, the leaves merged (forced), and the hashed
-- plan, each a digest of all its rows in rank order (time_log: refused, then hashed).
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;
CREATE TABLE runs (workers int, weighted boolean, with_ord boolean, path text, digest text, n bigint);
CREATE FUNCTION collect(workers int) RETURNS void LANGUAGE plpgsql
SET client_min_messages = error AS $$
DECLARE
    w boolean;
    o boolean;
    p record;
BEGIN
    FOREACH w IN ARRAY ARRAY[false, true] LOOP
        FOREACH o IN ARRAY ARRAY[false, true] LOOP
            FOR p IN
                SELECT * FROM (VALUES
                  ('variants part_log', 'collmine.variants(''part_log'', ''case_id'', ''activity'', ''ts'', %1$s, %2$s)'),
                  ('variants time_log', 'collmine.variants(''time_log'', ''case_id'', ''activity'', ''ts'', %1$s, %2$s)'),
                  ('variants plain_log', 'collmine.variants(''plain_log'', ''case_id'', ''activity'', ''ts'', %1$s, %2$s)'),
                  ('merged part_log', 'collmine._variants_stream_parts_rows(collmine._variants_stream_sql(''part_log'', ''case_id'', ''activity'', ''ts'', %1$s, %2$s, ''partitions''))'),
                  ('hashed plain_log', 'collmine._variants(collmine._trace_sql(''plain_log'', ''case_id'', ''activity'', ''ts'', %1$s, %2$s))')) v(path, expr)
            LOOP
                EXECUTE format('INSERT INTO runs SELECT %L, %L, %L, %L, md5(string_agg(v::text, ''|'' ORDER BY v.rank)), count(*) FROM %s v',
                               workers, w, o, p.path,
                               format(p.expr, CASE WHEN o THEN '''ord''' ELSE 'NULL' END,
                                      CASE WHEN w THEN '''amount''' ELSE 'NULL' END));
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;
SET max_parallel_workers_per_gather = 0;
SELECT collect(0);
RESET max_parallel_workers_per_gather;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
-- the plan of the merged leaves under these settings: a Parallel Append of whole leaves, each
-- an Aggregate over a Seq Scan (not a Parallel Seq Scan, which would split a leaf), merged above
-- the Gather
SELECT bool_or(l LIKE '%Parallel Append%') AS parallel_append,
       count(*) FILTER (WHERE l LIKE '%->  Seq Scan on part_log_%') AS whole_leaf_scans,
       bool_or(l LIKE '%Parallel Seq Scan%') AS split_leaf_scans
  FROM pg_temp.plan_lines(collmine._variants_stream_sql('part_log', 'case_id', 'activity', 'ts', 'ord', 'amount', 'partitions')) l;
-- a leaf's refusal raised in a worker reaches the leader as the same 22000, which the caller
-- catches (time_log's plan is a Parallel Append too)
SELECT bool_or(l LIKE '%Parallel Append%') AS time_log_parallel_append
  FROM pg_temp.plan_lines(collmine._variants_stream_sql('time_log', 'case_id', 'activity', 'ts', 'ord', NULL, 'partitions')) l;
SELECT streams('time_log', 'partitions') AS time_log_streams, streams('part_log', 'partitions') AS part_log_streams;
SELECT collect(2);
COMMIT;
-- and serially no Parallel Append
SET max_parallel_workers_per_gather = 0;
SELECT bool_or(l LIKE '%Parallel Append%') AS parallel_append
  FROM pg_temp.plan_lines(collmine._variants_stream_sql('part_log', 'case_id', 'activity', 'ts', 'ord', 'amount', 'partitions')) l;
RESET max_parallel_workers_per_gather;
SELECT weighted, with_ord, count(*) AS runs, count(DISTINCT digest) AS distinct_results, min(n) AS variants, max(n)
  FROM runs GROUP BY 1, 2 ORDER BY 1, 2;
-- the variants and their weights against plain SQL: the activity sequence per case (events with a
-- NULL activity left out; a case with none is the empty variant) and the largest amount per
-- case, counted and summed per sequence
SELECT count(*) AS variants_matching,
       (SELECT count(DISTINCT coalesce(acts, '{}'))
          FROM (SELECT array_agg(activity ORDER BY ts, ord) FILTER (WHERE activity IS NOT NULL) AS acts
                  FROM plain_log WHERE case_id IS NOT NULL GROUP BY case_id) s) AS variants_in_sql
  FROM collmine.variants('part_log', 'case_id', 'activity', 'ts', 'ord', 'amount') v
  JOIN (SELECT coalesce(acts, '{}') AS acts, count(*) AS cases, sum(amount) AS weight
          FROM (SELECT array_agg(activity ORDER BY ts, ord) FILTER (WHERE activity IS NOT NULL) AS acts,
                       max(amount) AS amount
                  FROM plain_log WHERE case_id IS NOT NULL GROUP BY case_id) s
         GROUP BY 1) p ON p.acts = v.activities AND p.cases = v.cases AND p.weight = v.weight;

SET client_min_messages = warning;
DROP SCHEMA t17p CASCADE;
DROP ROLE t17p_ann;
