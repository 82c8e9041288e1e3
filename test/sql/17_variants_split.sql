-- variants() in parallel on an ordinary (unpartitioned) table: when the plain query gets no
-- parallel plan, _variants splits the log into disjoint sets of whole cases
-- (_case_in_part, _case_split_sql) that parallel workers aggregate on their own. On the
-- receipt log of test/data/real-logs (provenance in its README; 1,434 cases, 116 variants):
-- which plan is chosen, that the parts partition the cases, and that every row equals serial
-- variants() and an independent plain-SQL computation from the raw events (array_agg of the
-- activities in (timestamp, event_seq) order, max - min of the timestamps, GROUP BY).
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
CREATE SCHEMA t17s;
SET search_path = t17s, public;

CREATE TABLE raw16 (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text,
                    c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw16 FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE receipt AS SELECT c1::bigint AS seq, c2 AS case_id, c3 AS activity, c4::timestamptz AS ts FROM raw16;
DROP TABLE raw16;
-- two events without a case: variants() leaves them out in every plan (they fall in part 0)
INSERT INTO receipt VALUES (100000, NULL, 'Confirmation of receipt', '2011-10-11 12:00+00'),
                           (100001, NULL, 'T02 Check confirmation of receipt', '2011-10-12 12:00+00');
ANALYZE receipt;

-- the parts partition the events by case: every event in exactly one part, a case in one part
SELECT count(*) AS events,
       count(*) FILTER (WHERE collmine._case_in_part(case_id, 0, 2)) + count(*) FILTER (WHERE collmine._case_in_part(case_id, 1, 2)) AS in_parts,
       count(*) FILTER (WHERE collmine._case_in_part(case_id, 0, 2) = collmine._case_in_part(case_id, 1, 2)) AS in_both_or_none,
       count(*) FILTER (WHERE case_id IS NULL AND collmine._case_in_part(case_id, 0, 2)) AS null_in_part_0
FROM receipt;
SELECT count(*) AS cases_split_across_parts
FROM (SELECT case_id FROM receipt GROUP BY case_id
      HAVING count(DISTINCT collmine._case_in_part(case_id, 0, 3)::int * 1 + collmine._case_in_part(case_id, 1, 3)::int * 2) > 1) s;
-- both parts hold cases (the hash spreads them), and a bad part count is a user error
SELECT bool_and(n > 300) AS both_parts_used
FROM (SELECT collmine._case_in_part(case_id, 0, 2) AS p, count(DISTINCT case_id) AS n FROM receipt GROUP BY 1) s;
SELECT collmine._case_in_part('x', 0, 0);

-- the reference from the raw events: one text per variant row, in rank order
CREATE FUNCTION reference() RETURNS SETOF text LANGUAGE sql AS $$
    WITH c AS (SELECT array_agg(activity ORDER BY ts, seq) AS acts, max(ts) - min(ts) AS tp
               FROM receipt WHERE case_id IS NOT NULL GROUP BY case_id),
         g AS (SELECT acts, count(*) AS n, avg(tp) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY tp) AS med,
                      min(tp) AS mn, max(tp) AS mx
               FROM c GROUP BY acts)
    SELECT ROW(row_number() OVER r, acts, n, mean, med, mn, mx)::text
    FROM g WINDOW r AS (ORDER BY n DESC, acts COLLATE "C")
    ORDER BY row_number() OVER r
$$;
CREATE FUNCTION got() RETURNS SETOF text LANGUAGE sql AS $$
    SELECT ROW(v.rank, v.activities, v.cases, v.mean_throughput, v.median_throughput,
               v.min_throughput, v.max_throughput)::text
    FROM collmine.variants('receipt', 'case_id', 'activity', 'ts', 'seq') v
$$;
CREATE FUNCTION same() RETURNS boolean LANGUAGE sql AS $$
    SELECT (SELECT array_agg(r) FROM got() r) = (SELECT array_agg(r) FROM reference() r)
$$;
-- the whole rows of variants(), as text, for the comparison of plans
CREATE FUNCTION rows_now() RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(v::text ORDER BY v.rank) FROM collmine.variants('receipt', 'case_id', 'activity', 'ts', 'seq') v
$$;
CREATE FUNCTION parts() RETURNS integer LANGUAGE sql AS $$
    SELECT collmine._variants_parts(collmine._trace_sql('receipt', 'case_id', 'activity', 'ts', 'seq', NULL))
$$;
-- true when the plan of the variants query over the log split into 2 parts matches the pattern
CREATE FUNCTION split_plan_has(pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || collmine._variants_sql(collmine._case_split_sql(
        collmine._trace_sql('receipt', 'case_id', 'activity', 'ts', 'seq', NULL), 2)) LOOP
        IF line ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;

-- serial: the plain query, equal to the reference
SET max_parallel_workers_per_gather = 0;
SELECT parts() AS parts, same() AS same_as_reference;
CREATE TABLE serial_rows AS SELECT rows_now() AS r;

-- parallel workers allowed (made cheap, the leader only gathers): the plain query gets no
-- parallel plan on the ordinary table, so the log is split in 2; each part's traces and
-- variant groups are built by a worker (Parallel Append), and every row stays the same
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT parts() AS parts, split_plan_has('Parallel Append') AS parallel_append, split_plan_has('Gather') AS gather;
SELECT same() AS same_as_reference, rows_now() = (SELECT r FROM serial_rows) AS same_as_serial;
-- the events without a case are still reported as left out
SELECT count(*) AS variants FROM collmine.variants('receipt', 'case_id', 'activity', 'ts', 'seq');
-- with sorted grouping instead of hashing
SET enable_hashagg = off;
SELECT same() AS same_as_reference, rows_now() = (SELECT r FROM serial_rows) AS same_as_serial;
RESET enable_hashagg;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_setup_cost;

SET client_min_messages = warning;
DROP SCHEMA t17s CASCADE;
RESET client_min_messages;
