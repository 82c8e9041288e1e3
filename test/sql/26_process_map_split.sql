-- process_map() over an ordinary (unpartitioned) table keeps each case in one process
-- (src/split_plan.c): it runs the plain plan, the plan over the log split into disjoint sets of
-- whole cases (_case_split_sql, one set per worker), or the serial plan, never a parallel plan
-- that builds part of a case in each worker and merges the parts. On the receipt log of
-- test/data/real-logs (provenance in its README; 1,434 cases, 8,577 events), stored in a
-- shuffled order so that the map takes the hashed path: which plan is chosen in each setting,
-- and that the map is byte for byte the serial one in every setting.
SET timezone = 'UTC';
CREATE SCHEMA t26s;
SET search_path = t26s, public;

CREATE TABLE raw16 (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text,
                    c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw16 FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE receipt AS
    SELECT c1::bigint AS seq, c2 AS case_id, c3 AS activity, c4::timestamptz AS ts FROM raw16 ORDER BY md5(c1);
DROP TABLE raw16;
ANALYZE receipt;

-- the choice for the map's query, and the map's bytes now
CREATE FUNCTION choice() RETURNS integer LANGUAGE sql AS $$
    SELECT collmine._case_split_choice('SELECT collmine.dfg_agg(trace) FROM (%s) t',
                                       collmine._trace_sql('receipt', 'case_id', 'activity', 'ts', 'seq', NULL))
$$;
-- true when the plain map query's plan has a line matching the pattern
CREATE FUNCTION plain_plan_has(pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT collmine.dfg_agg(trace) FROM (%s) t',
                               collmine._trace_sql('receipt', 'case_id', 'activity', 'ts', 'seq', NULL)) LOOP
        IF line ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
CREATE FUNCTION map_now() RETURNS bytea LANGUAGE sql AS $$
    SELECT collmine.dfg_send(collmine.process_map('receipt', 'case_id', 'activity', 'ts', 'seq'))
$$;

-- serial: no worker may be used, so the plain query (1); its map is the reference, and it has
-- every case and event of the log
SET max_parallel_workers_per_gather = 0;
SELECT choice() AS choice;
CREATE TABLE serial_map AS SELECT map_now() AS m;
SELECT collmine.dfg_cases(collmine.dfg_from_binary(m)) AS cases FROM serial_map;

-- workers made cheap (and the leader only gathering, as in process_map()): the plain query gets
-- no parallel plan on the ordinary table, so the log is split in 2 (2), and the map is the same
SET parallel_leader_participation = off;
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT choice() AS choice, map_now() = (SELECT m FROM serial_map) AS same_as_serial;
-- sorted grouping: the split again (2), same map
SET enable_hashagg = off;
SELECT choice() AS choice, map_now() = (SELECT m FROM serial_map) AS same_as_serial;
-- rows made free to pass through a Gather, so that the plain query's parallel plan builds part
-- of every case in each worker (a partial per-case aggregate, sorted), and the split made
-- impossible (no Parallel Append): the serial plan (0), through a cursor; same map
SET enable_parallel_append = off;
SET parallel_tuple_cost = 0;
SELECT plain_plan_has('Partial GroupAggregate') AS plain_plan_merges_cases,
       choice() AS choice, map_now() = (SELECT m FROM serial_map) AS same_as_serial;
RESET parallel_tuple_cost;
RESET enable_parallel_append;
RESET enable_hashagg;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_setup_cost;
RESET parallel_leader_participation;

DROP SCHEMA t26s CASCADE;
