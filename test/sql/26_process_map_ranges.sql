-- process_map() with parallel workers on an ordinary table stored case after case: the table is
-- streamed in block ranges, one per worker (collmine._process_map_streamed_ranges), and the
-- ranges' maps are merged only when no case is in two ranges (collmine._stream_parts_disjoint);
-- otherwise the table is streamed again, serially. Every way must give the hashed plan's map,
-- byte for byte: on a real log (receipt.csv, 1,434 cases, 8,577 events; provenance:
-- test/data/real-logs/README.md) and on hand-made tables whose rows are placed page by page.
SET timezone = 'UTC';
CREATE SCHEMA t26r;
SET search_path = t26r, public;

CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
-- in file order, which lists each case's events together
CREATE TABLE plain_log AS SELECT case_id, activity, ts::timestamptz AS ts, event_seq AS ord FROM raw;
ANALYZE plain_log;
CREATE TABLE hashed AS
  SELECT collmine.dfg_agg(t) AS m
    FROM (SELECT collmine.trace_agg(activity, ts, ord) AS t FROM plain_log GROUP BY case_id) s;

-- Rows of rel that a row filter keeps.
CREATE FUNCTION pg_temp.count_where(rel regclass, f text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ONLY %s WHERE %s', rel, f) INTO n;
  RETURN n;
END $$;
-- Cases of rel with rows in more than one of the ranges.
CREATE FUNCTION pg_temp.split_cases(rel regclass, filters text[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE (SELECT format('SELECT count(*) FROM (SELECT case_id FROM (%s) u GROUP BY case_id HAVING count(DISTINCT k) > 1) x',
                         string_agg(format('SELECT %s AS k, case_id FROM ONLY %s WHERE %s', k, rel, f), ' UNION ALL ')))
    FROM unnest(filters) WITH ORDINALITY r(f, k)
    INTO n;
  RETURN n;
END $$;
CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;

-- How many ranges: one per worker PostgreSQL would give a scan of the table, at most
-- max_parallel_workers_per_gather; one (serial) for a small table, a view, a partitioned table
-- or one with inheritance children, or with no workers.
CREATE VIEW plain_view AS SELECT * FROM plain_log;
CREATE TABLE parent_log (LIKE plain_log);
CREATE TABLE child_log () INHERITS (parent_log);
SELECT collmine._stream_range_count('plain_log') AS small_table_default;
BEGIN;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT collmine._stream_range_count('plain_log') AS two_workers,
       collmine._stream_range_count('plain_view') AS view,
       collmine._stream_range_count('parent_log') AS with_children;
SET LOCAL max_parallel_workers_per_gather = 4;
SELECT collmine._stream_range_count('plain_log') AS four_workers;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT collmine._stream_range_count('plain_log') AS no_workers;
ROLLBACK;

-- The ranges cover the table, each row once, and no case of the file is cut by a bound.
SELECT n, (SELECT sum(pg_temp.count_where('plain_log', f)) FROM unnest(collmine._stream_range_filters('plain_log', 'case_id', n)) f)
            = (SELECT count(*) FROM plain_log) AS each_row_once,
       pg_temp.split_cases('plain_log', collmine._stream_range_filters('plain_log', 'case_id', n)) AS cases_cut
  FROM generate_series(1, 5) n;

-- Same map from 2 to 5 ranges, and from process_map() with workers; the plan gives each range,
-- a TID range scan, to one worker.
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT n, collmine.dfg_send(collmine._process_map_streamed_ranges('plain_log', 'case_id', 'activity', 'ts', 'ord', n))
            = (SELECT collmine.dfg_send(m) FROM hashed) AS same_map
  FROM generate_series(2, 5) n;
SELECT collmine.dfg_send(collmine.process_map('plain_log', 'case_id', 'activity', 'ts', 'ord'))
         = (SELECT collmine.dfg_send(m) FROM hashed) AS same_process_map;
SELECT bool_or(l LIKE '%Parallel Append%') AS parallel_append,
       count(*) FILTER (WHERE l LIKE '%Tid Range Scan on plain_log%') AS range_scans
  FROM pg_temp.plan_lines((SELECT format('SELECT collmine.dfg_union((p).m) FROM (%s) u',
                                          string_agg(format('SELECT collmine._dfg_stream_part(case_id, activity, ts, ord) AS p FROM ONLY plain_log WHERE %s', f),
                                                     ' UNION ALL '))
                             FROM unnest(collmine._stream_range_filters('plain_log', 'case_id', 2)) f)) l;
ROLLBACK;

-- Hand-made: 8 cases of 5 events a, b, c, d, e (case k's event j at day k, hour j), one case a
-- page. The padding (1,500 bytes, stored as it is) puts 5 rows on an 8 kB page, so each row's
-- page is known: case k fills page k - 1.
CREATE TABLE hand_log (case_id integer, activity text, ts timestamptz, pad text);
ALTER TABLE hand_log ALTER pad SET STORAGE PLAIN;
INSERT INTO hand_log
  SELECT k, chr(96 + j), '2024-01-01'::timestamptz + make_interval(days => k, hours => j), repeat('x', 1500)
    FROM generate_series(1, 8) k, generate_series(1, 5) j ORDER BY k, j;
-- Two ranges of 4 pages: the bound is page 4's first row, where case 5 starts. The first range
-- holds cases 1 to 4, the second 5 to 8; no case is in both.
SELECT collmine._stream_range_filters('hand_log', 'case_id', 2) AS filters;
SELECT collmine._stream_parts_disjoint(array_agg((p).seen)) AS disjoint
  FROM (SELECT collmine._dfg_stream_part(case_id, activity, ts) AS p FROM ONLY hand_log WHERE ctid < '(4,1)'
        UNION ALL
        SELECT collmine._dfg_stream_part(case_id, activity, ts) FROM ONLY hand_log WHERE ctid >= '(4,1)') x;

-- The same cases, but case 5's event e stored on page 2, before case 3 (as a row that went back
-- to an earlier page with room for it), so that every case after it is one row later. Rows in
-- storage order (5 a page): page 0 1a-1e; page 1 2a-2e; page 2 5e, 3a-3d; page 3 3e, 4a-4d;
-- page 4 4e, 5a-5d; page 5 case 6; page 6 case 7; page 7 case 8. Page 4's first row would cut
-- case 4 and put case 5's row e apart from its others. The places where every case lies on one
-- side are before rows (1,1), (2,1), (5,1), (6,1) and (7,1); the nearest to page 4 is (5,1):
-- cases 1 to 5 in the first range, 6 to 8 in the second.
CREATE TABLE near_log (LIKE hand_log);
ALTER TABLE near_log ALTER pad SET STORAGE PLAIN;
INSERT INTO near_log
  SELECT case_id, activity, ts, pad FROM hand_log
   ORDER BY CASE WHEN (case_id, activity) = (5, 'e') THEN 2.5 ELSE case_id END, case_id, activity;
SELECT ctid, case_id, activity FROM near_log WHERE ctid IN ('(2,1)', '(2,2)', '(4,1)', '(4,2)', '(5,1)') ORDER BY ctid;
SELECT collmine._stream_range_filters('near_log', 'case_id', 2) AS filters;
SELECT collmine._stream_parts_disjoint(array_agg((p).seen)) AS disjoint
  FROM (SELECT collmine._dfg_stream_part(case_id, activity, ts) AS p FROM ONLY near_log WHERE ctid < '(5,1)'
        UNION ALL
        SELECT collmine._dfg_stream_part(case_id, activity, ts) FROM ONLY near_log WHERE ctid >= '(5,1)') x;

-- The same cases, but case 8's event e stored first, on page 0 (as a row that went back to an
-- earlier page with room for it), and case 8's other events last. Page 0: 8e, 1a-1d; page 1:
-- 1e, 2a-2d; ... page 7: 7e, 8a-8d. Case 8 has rows at both ends, so no place in the table keeps
-- every case on one side: the bound stays at the start of page 4, (4,0), and case 8 is in both
-- ranges. The first range hands its row e on as a case of its own, the second its rows a-d: the
-- parts are not disjoint.
CREATE TABLE stray_log (LIKE hand_log);
ALTER TABLE stray_log ALTER pad SET STORAGE PLAIN;
INSERT INTO stray_log
  SELECT case_id, activity, ts, pad FROM hand_log
   ORDER BY (case_id, activity) <> (8, 'e'), case_id, activity;
SELECT ctid, case_id, activity FROM stray_log WHERE case_id = 8 OR ctid IN ('(0,2)', '(7,1)') ORDER BY ctid;
SELECT collmine._stream_range_filters('stray_log', 'case_id', 2) AS filters;
SELECT collmine._stream_parts_disjoint(array_agg((p).seen)) AS disjoint
  FROM (SELECT collmine._dfg_stream_part(case_id, activity, ts) AS p FROM ONLY stray_log WHERE ctid < '(4,0)'
        UNION ALL
        SELECT collmine._dfg_stream_part(case_id, activity, ts) FROM ONLY stray_log WHERE ctid >= '(4,0)') x;
-- So the ranges' maps are not used: the table is streamed serially, where the row set aside is
-- joined to case 8 when the case comes. The map is the one of 8 cases a, b, c, d, e: the
-- edges a->b, b->c, c->d and d->e 8 times each, each an hour (the ranges' maps merged would have
-- 9 cases, d->e 7 times and e as a case of one event).
SELECT e.source, e.target, e.frequency, e.cases, e.mean_duration
  FROM collmine.dfg_edges(collmine._process_map_streamed_ranges('stray_log', 'case_id', 'activity', 'ts', NULL, 2)) e
 ORDER BY 1, 2;
SELECT collmine.dfg_send(collmine._process_map_streamed_ranges(l, 'case_id', 'activity', 'ts', NULL, 2))
         = collmine.dfg_send((SELECT collmine.dfg_agg(t) FROM (SELECT collmine.trace_agg(activity, ts) AS t
                                                                 FROM hand_log GROUP BY case_id) s)) AS same_as_hashed
  FROM unnest(ARRAY['hand_log', 'near_log', 'stray_log']::regclass[]) l;

-- How a range reports its cases (src/case_stream.c): a range whose cases each started above the
-- ones before it (its stream kept the list of its cases to the end; rows set aside may still be
-- handed on lower) reports the interval all its cases lie in (first byte 'I', then the lowest and
-- the highest case's keys, each a 4-byte length and the bytes, then its hashes unsorted); any
-- other range its hashes sorted (first byte 'H'). Parts whose intervals do not overlap share no case,
-- with no hash looked at; otherwise their hashes are merged as before. An integer's key is its
-- 8 bytes big-endian with the sign bit flipped, so that bytes compare as the numbers do.
CREATE FUNCTION pg_temp.part_keys(seen bytea, OUT kind text, OUT lo text, OUT hi text) LANGUAGE sql AS $$
  SELECT chr(get_byte(seen, 0)),
         CASE WHEN get_byte(seen, 0) = 73 THEN encode(substring(seen FROM 6 FOR get_byte(seen, 4)), 'hex') END,
         CASE WHEN get_byte(seen, 0) = 73
              THEN encode(substring(seen FROM 10 + get_byte(seen, 4) FOR get_byte(seen, 8 + get_byte(seen, 4))), 'hex') END
$$;
-- the two ranges' parts of a table split before row bound, as _process_map_streamed_ranges reads them
CREATE FUNCTION pg_temp.range_seen(l regclass, bound tid) RETURNS TABLE (r int, seen bytea) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT 1, (collmine._dfg_stream_part(case_id, activity, ts)).seen FROM ONLY %1$s WHERE ctid < $1 '
                                'UNION ALL SELECT 2, (collmine._dfg_stream_part(case_id, activity, ts)).seen FROM ONLY %1$s WHERE ctid >= $1', l)
      USING bound;
END
$$;
-- hand_log: cases 1 to 4, then 5 to 8, each range in ascending order: 1 is 0x8000000000000001,
-- 4 is ...04, and so on; [1, 4] and [5, 8] are apart (disjoint t above). stray_log: the first
-- range (pages 0 to 3) hands on cases 1 to 4 (4 without its row e, on page 4) and, at its end,
-- the row e of case 8 set aside: [1, 8]; the second, cases 5 to 8 and, at its end, the row e of
-- case 4 set aside (below the top, so it lowers the bottom): [4, 8]. They overlap, and the
-- hashes find cases 4 and 8 in both (disjoint f above).
SELECT l AS log, p.r AS range, k.*
  FROM (VALUES ('hand_log'::regclass, '(4,1)'::tid), ('stray_log', '(4,0)')) b(l, bound),
       LATERAL pg_temp.range_seen(b.l, b.bound) p, LATERAL pg_temp.part_keys(p.seen) k
 ORDER BY 1, 2;
-- Negative ids: cases -4 to -1 (pages 0 to 3), then 1 to 4. The keys of -4 and -1 are
-- 0x7ffffffffffffffc and 0x7fffffffffffffff, below 1's 0x8000000000000001: apart.
CREATE TABLE neg_log (LIKE hand_log);
ALTER TABLE neg_log ALTER pad SET STORAGE PLAIN;
INSERT INTO neg_log
  SELECT CASE WHEN case_id <= 4 THEN case_id - 5 ELSE case_id - 4 END, activity, ts, pad FROM hand_log ORDER BY case_id, activity;
SELECT p.r AS range, k.* FROM pg_temp.range_seen('neg_log', '(4,1)') p, LATERAL pg_temp.part_keys(p.seen) k ORDER BY 1;
SELECT collmine._stream_parts_disjoint(array_agg(seen)) AS disjoint FROM pg_temp.range_seen('neg_log', '(4,1)');
-- Interleaved: odd cases 1, 3, 5, 7 on pages 0 to 3, even ones on pages 4 to 7. Each range
-- ascends, but [1, 7] and [2, 8] overlap: the hashes decide, and no case is in both ranges.
-- Mixed: cases 1 to 4, then 8, 7, 6, 5 (descending: that range reports hashes); the hashes decide.
CREATE TABLE odd_log (LIKE hand_log);
ALTER TABLE odd_log ALTER pad SET STORAGE PLAIN;
INSERT INTO odd_log SELECT * FROM hand_log ORDER BY case_id % 2 = 0, case_id, activity;
CREATE TABLE mixed_log (LIKE hand_log);
ALTER TABLE mixed_log ALTER pad SET STORAGE PLAIN;
INSERT INTO mixed_log SELECT * FROM hand_log ORDER BY case_id > 4, CASE WHEN case_id > 4 THEN -case_id ELSE case_id END, activity;
SELECT l AS log, string_agg(k.kind || coalesce(' [' || k.lo || ', ' || k.hi || ']', ''), '; ' ORDER BY p.r) AS parts,
       collmine._stream_parts_disjoint(array_agg(p.seen)) AS disjoint
  FROM unnest(ARRAY['odd_log', 'mixed_log']::regclass[]) l,
       LATERAL pg_temp.range_seen(l, '(4,1)') p, LATERAL pg_temp.part_keys(p.seen) k
 GROUP BY 1 ORDER BY 1;
-- Written by hand, that the intervals alone decide when they are apart: two parts holding the
-- same hash (42) but with keys [1, 2] and [3, 4] share no case (two cases of one hash); with
-- [1, 2] and [2, 4] they may, and the hash says they do. Bytes that are no part's are an error.
SELECT collmine._stream_parts_disjoint(ARRAY[
         '\x49000000010100000001022a00000000000000'::bytea,
         '\x49000000010300000001042a00000000000000'::bytea]) AS apart_same_hash,
       collmine._stream_parts_disjoint(ARRAY[
         '\x49000000010100000001022a00000000000000'::bytea,
         '\x49000000010200000001042a00000000000000'::bytea]) AS overlapping_same_hash;
\set VERBOSITY terse
SELECT collmine._stream_parts_disjoint(ARRAY['\x4900000009'::bytea]);
\set VERBOSITY default

-- variants() reads the same ranges ('ranges', before 'grouped'), merges the ranges' variants by
-- key and ranks them: every row and column as the serial stream gives them, on the real log
-- (2 to 4 ranges) and the hand-made tables. Where a case is in two ranges (stray_log) the ranged
-- read is refused (22000) and variants() streams the table as one.
CREATE FUNCTION pg_temp.variants_digest(l regclass) RETURNS text LANGUAGE sql AS $$
  SELECT md5(string_agg(v::text, '|' ORDER BY v.rank)) FROM collmine.variants(l, 'case_id', 'activity', 'ts') v
$$;
CREATE TEMP TABLE serial_variants AS
  SELECT l, pg_temp.variants_digest(l) AS d
    FROM unnest(ARRAY['plain_log', 'hand_log', 'near_log', 'stray_log']::regclass[]) l;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT collmine._variants_stream_ways('plain_log', 'case_id', NULL) AS ways;
-- the ranged read itself, and variants(), with 4 workers and with 2 (the hand-made tables, of 8
-- pages, get 2 ranges either way)
CREATE FUNCTION pg_temp.ranges_digest(l regclass) RETURNS text LANGUAGE sql AS $$
  SELECT md5(string_agg(v::text, '|' ORDER BY v.rank))
    FROM collmine._variants_stream_parts_rows(collmine._variants_stream_sql(l, 'case_id', 'activity', 'ts', NULL, NULL, 'ranges')) v
$$;
SET LOCAL max_parallel_workers_per_gather = 4;
SELECT l, collmine._stream_range_count(l) AS ranges, pg_temp.ranges_digest(l) = s.d AS same_ranged,
       pg_temp.variants_digest(l) = s.d AS same_variants
  FROM serial_variants s WHERE l <> 'stray_log'::regclass ORDER BY l::text;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT l, collmine._stream_range_count(l) AS ranges, pg_temp.ranges_digest(l) = s.d AS same_ranged,
       pg_temp.variants_digest(l) = s.d AS same_variants
  FROM serial_variants s WHERE l <> 'stray_log'::regclass ORDER BY l::text;
SELECT pg_temp.variants_digest('stray_log') = (SELECT d FROM serial_variants WHERE l = 'stray_log'::regclass) AS stray_same_variants;
\set VERBOSITY terse
SELECT count(*) FROM collmine._variants_stream_parts_rows(
  collmine._variants_stream_sql('stray_log', 'case_id', 'activity', 'ts', NULL, NULL, 'ranges'));
\set VERBOSITY default
ROLLBACK;

-- A log in time order: each range refuses it as the serial stream does (22000), and
-- process_map() hashes its cases.
CREATE TABLE time_log AS SELECT * FROM plain_log ORDER BY ts, ord;
\set VERBOSITY terse
SELECT collmine._process_map_streamed_ranges('time_log', 'case_id', 'activity', 'ts', 'ord', 2);
\set VERBOSITY default
BEGIN;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT (collmine._process_map_try_stream('time_log', 'case_id', 'activity', 'ts', 'ord', 'grouped')).streamed AS time_log_streamed,
       collmine.dfg_send(collmine.process_map('time_log', 'case_id', 'activity', 'ts', 'ord'))
         = (SELECT collmine.dfg_send(m) FROM hashed) AS same_map;
ROLLBACK;

SET client_min_messages = warning;
DROP SCHEMA t26r CASCADE;
