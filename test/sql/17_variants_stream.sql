-- variants() over a log stored case after case: streamed by collmine._variants_stream (the table
-- as it lies in case order, the case index, or the table as it lies with each case's events
-- adjacent), with a refused input read another way. Every path must give the same rows as the
-- hashed plan (_variants over _trace_sql's query), byte for byte, and report left-out events
-- once: on a hand-made log worked out by hand, and on a real log (receipt.csv, 1,434 cases,
-- 8,577 events; provenance: test/data/real-logs/README.md) stored in several orders.
SET timezone = 'UTC';
CREATE SCHEMA t17s;
SET search_path = t17s, public;

-- The hand-made log, grouped by case but not sorted (c before a), with a NULL case id between two
-- cases and the events of case a out of time order. Worked out by hand:
--   c: a (day 1 00:00) -> b (10:00)              variant a -> b, throughput 10 h, weight max(5, 7) = 7
--   a: a (day 2) -> b (day 3)                    variant a -> b, throughput 1 day, weight max(1, NULL) = 1
--   NULL case id: left out, a WARNING for 1 event
--   b: b, and an event with a NULL activity      variant b, throughput 0, weight max(2.50, 2.5) = 2.5
--                                                (equal: max keeps the later, 2.5); a NOTICE for 1 event
--   d: a (00:00) -> b (04:00)                    variant a -> b, throughput 4 h, no weight
--   e: b                                         variant b, throughput 0, no weight
--   f: c; h: B                                   one case each, no weight
-- 7 cases. a -> b: 3 cases (share 3/7), weight 7 + 1 = 8; throughputs 4 h, 10 h, 1 day: min
-- 04:00:00, median 10:00:00, max 1 day; mean as avg(interval): (1 day + 14 h) / 3 = 0 days
-- (a third of a day, 8 h, moves into the time) + 14 h / 3 (4 h 40 min) = 12:40:00, printed below
-- in the tests' interval style as "@ 12 hours 40 mins".
-- b: 2 cases (2/7, cumulative 5/7), weight 2.5, every throughput 00:00:00.
-- B and c: one case each, tied, ranked by the activity bytes: 'B' (0x42) before 'c' (0x63);
-- no weight (NULL).
CREATE TABLE hand (inv text, act text, ts timestamptz, amount numeric);
INSERT INTO hand VALUES
  ('c', 'a', '2024-01-01 00:00', 5), ('c', 'b', '2024-01-01 10:00', 7),
  ('a', 'b', '2024-01-03 00:00', NULL), ('a', 'a', '2024-01-02 00:00', 1),
  (NULL, 'x', '2024-01-01', 3),
  ('b', 'b', '2024-01-01 00:00', 2.50), ('b', NULL, '2024-01-01 01:00', 2.5),
  ('d', 'a', '2024-01-01 00:00', NULL), ('d', 'b', '2024-01-01 04:00', NULL),
  ('e', 'b', '2024-01-05 00:00', NULL),
  ('f', 'c', '2024-01-06 00:00', NULL),
  ('h', 'B', '2024-01-07 00:00', NULL);
-- no statistics, no index: only the grouped stream is tried
SELECT collmine._variants_stream_ways('hand', 'inv', 'amount') AS ways;
-- the grouped stream itself: one WARNING and one NOTICE
SELECT rank, variant, cases, share, cumulative_share, weight,
       mean_throughput, median_throughput, min_throughput, max_throughput
  FROM collmine._variants_stream_rows(collmine._variants_stream_sql('hand', 'inv', 'act', 'ts', NULL, 'amount', 'grouped'));
-- variants() takes it, with the same report, and gives the hashed plan's rows
CREATE TABLE hand_rows AS
  SELECT 'variants' AS path, v::text AS r FROM collmine.variants('hand', 'inv', 'act', 'ts', NULL, 'amount') v
  UNION ALL
  SELECT 'hashed', v::text FROM collmine._variants(collmine._trace_sql('hand', 'inv', 'act', 'ts', NULL, 'amount')) v;
SELECT count(*) AS rows, count(DISTINCT r) AS distinct_rows,
       count(*) FILTER (WHERE path = 'variants') AS streamed_rows FROM hand_rows;
-- the sorted stream refuses it (c comes before a); the grouped one takes a row of c added at the
-- end: c's run was short (at most 4 rows, which may be rows stored away from their case), so it
-- was set aside and the late row joins it (c = a -> b -> z, 8 days); variants() and the hashed
-- plan give the same rows, each reporting once
SELECT * FROM collmine._variants_stream_rows(collmine._variants_stream_sql('hand', 'inv', 'act', 'ts', NULL, NULL, 'table'));
INSERT INTO hand VALUES ('c', 'z', '2024-01-09 00:00', NULL);
SELECT * FROM collmine._variants_stream_rows(collmine._variants_stream_sql('hand', 'inv', 'act', 'ts', NULL, NULL, 'grouped'));
SELECT rank, variant, cases, weight FROM collmine.variants('hand', 'inv', 'act', 'ts', NULL, 'amount');
SELECT rank, variant, cases, weight FROM collmine._variants(collmine._trace_sql('hand', 'inv', 'act', 'ts', NULL, 'amount'));

-- Edge inputs of the aggregate: no rows (no result), only events without a case (only their
-- count), case values equal for GROUP BY but not byte for byte (numeric 1.0 and 1.00: one case),
-- and the mode must be given.
SELECT collmine._variants_stream(c, 'a', now(), NULL::numeric, true) FROM (SELECT 1 WHERE false) v(c);
SELECT r.left_out, r.total, r.st IS NULL AS no_stats
  FROM unnest((SELECT collmine._variants_stream(NULL::text, 'a', now(), NULL::numeric, true))) r;
SELECT (r.st).cases, collmine.trace_activities((r.st).rep) AS activities, r.total
  FROM unnest((SELECT collmine._variants_stream(c, a, t, NULL::numeric, false)
                 FROM (VALUES (1.0, 'a', timestamptz '2024-01-01'), (1.00, 'b', '2024-01-02'), (2, 'a', '2024-01-03')) v(c, a, t))) r;
SELECT collmine._variants_stream(1, 'a', now(), NULL::numeric, NULL);
-- a weight column that is not numeric is taken in its own type's order by max(): hashed
CREATE TABLE text_weight (inv int, act text, ts timestamptz, w text);
SELECT collmine._variants_stream_ways('text_weight', 'inv', 'w') AS ways;

-- The real log in four stored orders, each with a per-case weight: in file order without an
-- index; sorted by case with an index on (case_id, ts, ord); grouped by case in an order of its
-- own (md5 of the case id); shuffled, with the index. And late: sorted but for the first event of
-- the lowest case, moved to the end, so that the statistics still call it stored in case order.
CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE plain_log AS
  SELECT case_id, activity, ts::timestamptz AS ts, event_seq AS ord, length(case_id) * 10.5 AS amount FROM raw;
CREATE TABLE sorted_log AS SELECT * FROM plain_log ORDER BY case_id, ts, ord;
CREATE INDEX ON sorted_log (case_id, ts, ord);
CREATE TABLE grouped_log AS SELECT * FROM plain_log ORDER BY md5(case_id), ts, ord;
CREATE TABLE shuffled_log AS SELECT * FROM plain_log ORDER BY md5(ord::text);
CREATE INDEX ON shuffled_log (case_id, ts, ord);
CREATE TABLE late_log AS
  SELECT * FROM plain_log
   ORDER BY ord = (SELECT ord FROM plain_log ORDER BY case_id, ts, ord LIMIT 1), case_id, ts, ord;
CREATE INDEX ON late_log (case_id, ts, ord);
ANALYZE plain_log;
ANALYZE sorted_log;
ANALYZE grouped_log;
ANALYZE shuffled_log;
ANALYZE late_log;

-- The ways variants() tries, in order, before it hashes the cases.
SELECT c AS copy, collmine._variants_stream_ways(c::regclass, 'case_id', 'amount') AS ways
  FROM unnest(ARRAY['plain_log', 'sorted_log', 'grouped_log', 'shuffled_log', 'late_log']) AS c ORDER BY 1;

-- Which copies each way takes as they lie (t: streamed; f: refused with 22000), beside how they
-- lie, counted independently: a copy is in case order when no event's case id is below the
-- previous one's, and grouped when its runs of one case id in table order are as many as its
-- cases. The grouped stream also takes a copy whose only breaks are single rows stored away from
-- their case (plain_log: the table copy of receipt.csv, see 26_process_map_order).
CREATE FUNCTION streams(log regclass, how text) RETURNS boolean LANGUAGE plpgsql
SET client_min_messages = error AS $$
BEGIN
    PERFORM count(*) FROM collmine._variants_stream_rows(
        collmine._variants_stream_sql(log, 'case_id', 'activity', 'ts', 'ord', NULL, how));
    RETURN true;
EXCEPTION WHEN data_exception THEN
    IF NOT collmine._stream_refused(SQLERRM) THEN
        RAISE;
    END IF;
    RETURN false;
END
$$;
-- how a copy lies in table order, counted in plain SQL: descents (an event whose case id is below
-- the previous event's) and runs of one case id, against its cases
CREATE FUNCTION layout(log regclass, OUT descents bigint, OUT runs bigint, OUT cases bigint) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT count(*) FILTER (WHERE p > case_id), count(*) FILTER (WHERE p IS DISTINCT FROM case_id), '
                   'count(DISTINCT case_id) FROM (SELECT case_id, lag(case_id) OVER (ORDER BY ctid) AS p FROM %s) s', log)
      INTO descents, runs, cases;
END
$$;
SELECT c AS copy, streams(c::regclass, 'table') AS table_streams, l.descents = 0 AS in_case_order,
       streams(c::regclass, 'grouped') AS grouped_streams, l.runs = l.cases AS grouped
  FROM unnest(ARRAY['plain_log', 'sorted_log', 'grouped_log', 'shuffled_log', 'late_log']) AS c,
       LATERAL layout(c::regclass) l
 ORDER BY 1;

-- Same rows, byte for byte, whichever way and copy, weighted and not, with and without the order
-- key: variants() (which takes the first way that streams, or hashes), every way forced where it
-- streams (the index on every copy that has one, even where it would jump around the table), and
-- the hashed plan. The paths are written as SQL expressions over a copy (%1$L), the order column
-- (%2$s) and the weight column (%3$s).
CREATE TABLE runs (copy text, weighted boolean, with_ord boolean, path text, digest text, n bigint);
DO $$
DECLARE
    c text;
    w boolean;
    o boolean;
    p record;
BEGIN
    FOREACH c IN ARRAY ARRAY['plain_log', 'sorted_log', 'grouped_log', 'shuffled_log', 'late_log'] LOOP
        FOREACH w IN ARRAY ARRAY[false, true] LOOP
            FOREACH o IN ARRAY ARRAY[false, true] LOOP
                FOR p IN
                    SELECT * FROM (VALUES
                      ('variants', 'collmine.variants(%1$L, ''case_id'', ''activity'', ''ts'', %2$s, %3$s)'),
                      ('hashed', 'collmine._variants(collmine._trace_sql(%1$L, ''case_id'', ''activity'', ''ts'', %2$s, %3$s))'),
                      ('table', 'collmine._variants_stream_rows(collmine._variants_stream_sql(%1$L, ''case_id'', ''activity'', ''ts'', %2$s, %3$s, ''table''))'),
                      ('index', 'collmine._variants_stream_rows(collmine._variants_stream_sql(%1$L, ''case_id'', ''activity'', ''ts'', %2$s, %3$s, ''index''))'),
                      ('grouped', 'collmine._variants_stream_rows(collmine._variants_stream_sql(%1$L, ''case_id'', ''activity'', ''ts'', %2$s, %3$s, ''grouped''))')) v(path, expr)
                    WHERE CASE v.path WHEN 'index' THEN c NOT IN ('plain_log', 'grouped_log')
                                      WHEN 'table' THEN streams(c::regclass, 'table')
                                      WHEN 'grouped' THEN streams(c::regclass, 'grouped')
                                      ELSE true END
                LOOP
                    EXECUTE format('INSERT INTO runs SELECT %L, %L, %L, %L, md5(string_agg(v::text, ''|'' ORDER BY v.rank)), count(*) FROM %s v',
                                   c, w, o, p.path,
                                   format(p.expr, c, CASE WHEN o THEN '''ord''' ELSE 'NULL' END,
                                          CASE WHEN w THEN '''amount''' ELSE 'NULL' END));
                END LOOP;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;
SELECT weighted, with_ord, count(*) AS runs, count(DISTINCT digest) AS distinct_results, min(n) AS variants,
       string_agg(DISTINCT path, ', ' ORDER BY path) AS paths
  FROM runs GROUP BY 1, 2 ORDER BY 1, 2;
-- the variants and their weights against plain SQL: the activity sequence per case and the
-- largest amount per case, counted and summed per sequence
SELECT count(*) AS variants_matching
  FROM collmine.variants('grouped_log', 'case_id', 'activity', 'ts', 'ord', 'amount') v
  JOIN (SELECT acts, count(*) AS cases, sum(amount) AS weight
          FROM (SELECT array_agg(activity ORDER BY ts, ord) AS acts, max(amount) AS amount FROM plain_log GROUP BY case_id) s
         GROUP BY acts) p ON p.acts = v.activities AND p.cases = v.cases AND p.weight = v.weight;

-- A log hash-partitioned by case id is read as it lies, the partitions one after another; its
-- partitions hold their cases grouped but for rows an insert put on an earlier page, which the
-- grouped stream joins to their cases: streamed, the same rows.
CREATE TABLE parted_log (LIKE plain_log) PARTITION BY HASH (case_id);
CREATE TABLE parted_log_0 PARTITION OF parted_log FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parted_log_1 PARTITION OF parted_log FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO parted_log SELECT * FROM grouped_log;
ANALYZE parted_log;
SELECT streams('parted_log', 'grouped') AS grouped_streams,
       (SELECT md5(string_agg(v::text, '|' ORDER BY v.rank))
          FROM collmine.variants('parted_log', 'case_id', 'activity', 'ts', 'ord', 'amount') v)
     = (SELECT digest FROM runs WHERE copy = 'plain_log' AND path = 'hashed' AND weighted AND with_ord) AS same_rows;

-- Inside a parallel operation (variants() joined above a Gather, in the leader) no
-- subtransaction can start, so no stream is tried: the hashed plan, the same rows.
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM plain_log e JOIN collmine.variants('sorted_log', 'case_id', 'activity', 'ts', 'ord') v ON v.cases = e.ord;
SELECT count(*) AS joined, count(DISTINCT v.variant_id) AS variants
  FROM plain_log e JOIN collmine.variants('sorted_log', 'case_id', 'activity', 'ts', 'ord') v ON v.cases = e.ord;
ROLLBACK;
SELECT count(*) AS joined, count(DISTINCT v.variant_id) AS variants
  FROM plain_log e JOIN collmine.variants('sorted_log', 'case_id', 'activity', 'ts', 'ord') v ON v.cases = e.ord;

-- Left-out events are reported once, whichever way: NULL case ids (a WARNING) and NULL
-- activities or times (a NOTICE); streamed as it lies (sorted_gaps), and after the refused
-- streams, hashed (plain_gaps).
CREATE TABLE plain_gaps AS SELECT * FROM plain_log;
UPDATE plain_gaps SET case_id = NULL WHERE ord % 97 = 0;
UPDATE plain_gaps SET activity = NULL WHERE ord % 89 = 0;
UPDATE plain_gaps SET ts = NULL WHERE ord % 83 = 0;
CREATE TABLE sorted_gaps AS SELECT * FROM plain_gaps ORDER BY case_id, ts, ord;
ANALYZE sorted_gaps;
ANALYZE plain_gaps;
SELECT c AS copy, collmine._variants_stream_ways(c::regclass, 'case_id', 'amount') AS ways,
       streams(c::regclass, 'table') AS table_streams, streams(c::regclass, 'grouped') AS grouped_streams
  FROM unnest(ARRAY['plain_gaps', 'sorted_gaps']) AS c ORDER BY 1;
SELECT count(*) AS variants, md5(string_agg(v::text, '|' ORDER BY v.rank)) AS digest
  FROM collmine.variants('sorted_gaps', 'case_id', 'activity', 'ts', 'ord', 'amount') v;
SELECT count(*) AS variants, md5(string_agg(v::text, '|' ORDER BY v.rank)) AS digest
  FROM collmine.variants('plain_gaps', 'case_id', 'activity', 'ts', 'ord', 'amount') v;
-- the counts independently
SELECT count(*) FILTER (WHERE case_id IS NULL) AS null_case_events,
       count(*) FILTER (WHERE case_id IS NOT NULL AND (activity IS NULL OR ts IS NULL)) AS skipped_events
  FROM plain_gaps;

-- A log schema's events, written in (case_id, ts, ord) order as the connectors write them and
-- analyzed: variants(log_schema) takes the relation form, which streams them; same rows as the
-- hashed plan over the same events. (As it lies the table need not be quite in case order: an
-- INSERT may put a row into room left on an earlier page; the table stream then refuses it, as
-- counted, and the case index streams it.)
SET client_min_messages = warning;
SELECT collmine.create_event_log('t17slog');
RESET client_min_messages;
INSERT INTO t17slog.events (case_id, activity, ts, ord)
  SELECT case_id, activity, ts, ord FROM plain_log ORDER BY case_id, ts, ord;
ANALYZE t17slog.events;
SELECT collmine._variants_stream_ways('t17slog.events', 'case_id', NULL) AS ways,
       streams('t17slog.events', 'table') = ((layout('t17slog.events')).descents = 0) AS table_stream_as_counted,
       streams('t17slog.events', 'index') AS index_streams,
       (SELECT md5(string_agg(v::text, '|' ORDER BY v.rank)) FROM collmine.variants('t17slog') v)
     = (SELECT md5(string_agg(v::text, '|' ORDER BY v.rank))
          FROM collmine._variants(collmine._trace_sql('t17slog.events', 'case_id', 'activity', 'ts', 'ord', NULL)) v) AS same_rows;

-- Ties ranked without an order key: the stream compares the variants' activity names as the
-- order_key bytea compares (each name's bytes and a zero byte, memcmp, the shorter first). One
-- case each, so all eight tie; worked out on the keys: a\0 < a\0a\0 < a\0b\0 (a sequence that is a
-- prefix of another first, then the next name decides) < ab\0 (at the second byte \0 < b: a name
-- that is a prefix of another first) < ab\0a\0 < b\0 < z\0 < é\0 (bytes compared unsigned: é is
-- 0xc3 0xa9). The hashed plan sorts by the order key itself: the same order.
CREATE TABLE ties (inv int, act text, ts timestamptz);
INSERT INTO ties VALUES
  (1, 'é', '2024-01-01'), (2, 'z', '2024-01-01'), (3, 'b', '2024-01-01'),
  (4, 'ab', '2024-01-01'), (4, 'a', '2024-01-02'), (5, 'ab', '2024-01-01'),
  (6, 'a', '2024-01-01'), (6, 'b', '2024-01-02'), (7, 'a', '2024-01-01'), (7, 'a', '2024-01-02'),
  (8, 'a', '2024-01-01');
SELECT rank, variant FROM collmine._variants_stream_rows(collmine._variants_stream_sql('ties', 'inv', 'act', 'ts', NULL, NULL, 'grouped'));
SELECT (SELECT string_agg(v::text, '|' ORDER BY v.rank) FROM collmine.variants('ties', 'inv', 'act', 'ts') v)
     = (SELECT string_agg(v::text, '|' ORDER BY v.rank)
          FROM collmine._variants(collmine._trace_sql('ties', 'inv', 'act', 'ts', NULL, NULL)) v) AS same_rows;

-- Many variants: 400 cases, case k is 'a' (k % 20 + 1) times then 'b' (k / 20 + 1) times, each its
-- own variant, so 'a' and 'b' each come more than 256 times among the representatives and the
-- stream computes their variant ids through step tables (variant_hash_step_table): the ids, like
-- every other column, must equal the hashed plan's, which hashes each trace byte by byte.
CREATE TABLE many (inv int, act text, ts timestamptz);
INSERT INTO many
  SELECT k, CASE WHEN i <= k % 20 THEN 'a' ELSE 'b' END, timestamptz '2024-01-01' + i * interval '1 hour'
    FROM generate_series(0, 399) k, generate_series(0, k % 20 + k / 20 + 1) i;
SELECT count(*) AS variants,
       (SELECT string_agg(v::text, '|' ORDER BY v.rank) FROM collmine.variants('many', 'inv', 'act', 'ts') v)
     = (SELECT string_agg(v::text, '|' ORDER BY v.rank)
          FROM collmine._variants(collmine._trace_sql('many', 'inv', 'act', 'ts', NULL, NULL)) v) AS same_rows
  FROM collmine._variants_stream_rows(collmine._variants_stream_sql('many', 'inv', 'act', 'ts', NULL, NULL, 'grouped'));

-- variants() tries each streamed way in a subtransaction (src/variant_entry.c) and writes its
-- rows straight into its result. What that must keep:
-- 1. the rows, when the result outgrows work_mem and goes to a temporary file while the
--    subtransaction is open: 3,000 cases of one event each, each its own activity, so 3,000
--    variants, far over 64kB of rows; the same rows as the hashed plan with the default work_mem;
CREATE TABLE wide (inv int, act text, ts timestamptz);
INSERT INTO wide SELECT k, 'activity number ' || k, timestamptz '2024-01-01' FROM generate_series(1, 3000) k;
ANALYZE wide;
SELECT collmine._variants_stream_ways('wide', 'inv', NULL) AS ways;
SELECT pg_stat_force_next_flush();
SELECT temp_files AS temp_files_before FROM pg_stat_database WHERE datname = current_database() \gset
SET work_mem = '64kB';
CREATE TABLE wide_rows AS SELECT * FROM collmine.variants('wide', 'inv', 'act', 'ts');
RESET work_mem;
SELECT pg_stat_force_next_flush();
SELECT temp_files > :temp_files_before AS spilled FROM pg_stat_database WHERE datname = current_database();
SELECT count(*) AS variants,
       (SELECT string_agg(v::text, '|' ORDER BY v.rank) FROM wide_rows v)
     = (SELECT string_agg(v::text, '|' ORDER BY v.rank)
          FROM collmine._variants(collmine._trace_sql('wide', 'inv', 'act', 'ts', NULL, NULL)) v) AS same_rows
  FROM wide_rows;
-- 2. any error in a stream that is not its refusal, raised as it is: a division by zero (22012,
--    in the data_exception class as the refusal is) in a view's activity column, at case 3;
CREATE VIEW broken AS SELECT inv, CASE WHEN inv = 3 THEN (1 / (inv - 3))::text ELSE act END AS act, ts FROM many;
DO $$
BEGIN
    PERFORM * FROM collmine.variants('broken', 'inv', 'act', 'ts');
EXCEPTION WHEN division_by_zero THEN RAISE NOTICE 'division_by_zero raised: %', SQLERRM;
END $$;
-- 3. a cancel (here a statement timeout) in a stream, raised, and the session usable after it;
CREATE VIEW slow AS SELECT inv, act || (SELECT '' FROM pg_sleep(0.2)) AS act, ts FROM many;
SET statement_timeout = '100ms';
DO $$
BEGIN
    PERFORM * FROM collmine.variants('slow', 'inv', 'act', 'ts');
EXCEPTION WHEN query_canceled THEN RAISE NOTICE 'query_canceled raised: %', SQLERRM;
END $$;
RESET statement_timeout;
-- 4. the caller's settings, after a streamed read (many) and after a refused one that hashes the
--    cases (shuffled_log): each way's settings (those of _variants_stream_rows, or of
--    _variants_stream_parts_rows) and the hashed read's (those of _variants) end with it.
CREATE FUNCTION settings_now() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
     WHERE name IN ('enable_sort', 'jit', 'max_parallel_workers_per_gather', 'parallel_leader_participation',
                    'search_path', 'synchronize_seqscans')
$$;
SELECT settings_now() AS settings_before \gset
SELECT count(*) AS variants FROM collmine.variants('many', 'inv', 'act', 'ts');
SELECT settings_now() = :'settings_before' AS same_after_stream;
SELECT count(*) AS variants FROM collmine.variants('shuffled_log', 'case_id', 'activity', 'ts', 'ord');
SELECT settings_now() = :'settings_before' AS same_after_refusal;

SET client_min_messages = warning;
DROP SCHEMA t17s CASCADE;
DROP SCHEMA t17slog CASCADE;
