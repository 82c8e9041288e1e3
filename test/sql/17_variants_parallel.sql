-- variants() on the three real logs of test/data/real-logs (provenance in its README), in
-- serial, parallel and partitioned plans: every row, as text (so that '24:00:00' and '1 day'
-- differ), in the returned order, equals an independent plain-SQL computation from the
-- trace-level functions (trace_activities, trace_throughput) with GROUP BY on the activity
-- sequence, avg, percentile_cont(0.5), min, max, sum and window functions. Traces are ordered
-- by (timestamp, event_seq). Each case gets a money column (amount) so that weights are summed.
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
CREATE SCHEMA t17p;
SET search_path = t17p, public;

CREATE TABLE raw10 (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text);
CREATE TABLE raw16 (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text,
                    c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
\copy raw10 FROM 'test/data/real-logs/running_example.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE running AS SELECT c1::bigint AS seq, c2 AS case_id, c3 AS activity, c4::timestamptz AS ts FROM raw10;
\copy raw16 FROM 'test/data/real-logs/rtfmp_100traces.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE rtfmp AS SELECT c1::bigint AS seq, c2 AS case_id, c3 AS activity, c4::timestamptz AS ts FROM raw16;
TRUNCATE raw16;
\copy raw16 FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE receipt AS SELECT c1::bigint AS seq, c2 AS case_id, c3 AS activity, c4::timestamptz AS ts FROM raw16;
DROP TABLE raw10, raw16;

-- each log also hash-partitioned by case id; every event gets its case's amount
CREATE FUNCTION prepare(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ADD COLUMN amount numeric', name);
    EXECUTE format('UPDATE %I SET amount = (length(case_id) * 7 + ascii(right(case_id, 1))) / 4.0', name);
    EXECUTE format('CREATE TABLE %I (LIKE %I) PARTITION BY HASH (case_id)', name || '_p', name);
    FOR k IN 0..3 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS 4, REMAINDER %s)', name || '_p' || k, name || '_p', k);
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', name || '_p', name);
    EXECUTE format('ANALYZE %I', name);
    EXECUTE format('ANALYZE %I', name || '_p');
END
$$;
SELECT prepare('running'), prepare('rtfmp'), prepare('receipt');

-- the reference: one text per variant row, in rank order
CREATE FUNCTION reference(log regclass) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH tr AS (SELECT case_id, collmine.trace_agg(activity, ts, seq) AS t, max(amount) AS money
                    FROM %s GROUP BY case_id),
             pc AS (SELECT collmine.trace_activities(t) AS acts, collmine.trace_throughput(t) AS tp, money FROM tr),
             g AS (SELECT acts, count(*) AS n, sum(money) AS money, avg(tp) AS mean,
                          percentile_cont(0.5) WITHIN GROUP (ORDER BY tp) AS med, min(tp) AS mn, max(tp) AS mx
                   FROM pc GROUP BY acts)
        SELECT ROW(row_number() OVER r, collmine.variant_id(acts), array_to_string(acts, ' -> '), acts, n,
                   n::double precision / sum(n) OVER (),
                   (sum(n) OVER (r ROWS UNBOUNDED PRECEDING))::double precision / sum(n) OVER (),
                   money, mean, med, mn, mx)::text
        FROM g WINDOW r AS (ORDER BY n DESC, acts COLLATE "C")
        ORDER BY row_number() OVER r$q$, log);
END
$$;
CREATE FUNCTION got(log regclass) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT v::text FROM collmine.variants(log, 'case_id', 'activity', 'ts', 'seq', 'amount') v
$$;
-- true when variants() of the log equals the reference row by row, in order
CREATE FUNCTION same(log regclass) RETURNS boolean LANGUAGE sql AS $$
    SELECT (SELECT array_agg(r) FROM got(log) r) = (SELECT array_agg(r) FROM reference(log) r)
$$;
-- true when the plan of the variants query over the log matches the pattern
CREATE FUNCTION plan_has(log regclass, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' ||
        collmine._variants_sql(collmine._trace_sql(log, 'case_id', 'activity', 'ts', 'seq', 'amount')) LOOP
        IF line ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;

-- the logs: 6, 10 and 116 variants
SELECT (SELECT count(*) FROM got('running')) AS running, (SELECT count(*) FROM got('rtfmp')) AS rtfmp,
       (SELECT count(*) FROM got('receipt')) AS receipt;

-- serial, on the tables and on their partitioned copies
SET max_parallel_workers_per_gather = 0;
SET enable_partitionwise_aggregate = on;
SELECT same('running') AS running, same('rtfmp') AS rtfmp, same('receipt') AS receipt,
       same('running_p') AS running_p, same('rtfmp_p') AS rtfmp_p, same('receipt_p') AS receipt_p;

-- parallel (forced, the leader only gathers), on the tables and the partitioned copies: the
-- traces are built in the workers; on PostgreSQL 15 the variant groups of the partitioned logs
-- are too (a Partial aggregate of _variant_agg, its states serialized, sent and combined),
-- while PostgreSQL 18's planner gathers the traces and groups them in the leader. Either way
-- the results do not change.
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT plan_has('receipt_p', 'Gather') AS gather_receipt_p;
SELECT same('running') AS running, same('rtfmp') AS rtfmp, same('receipt') AS receipt,
       same('running_p') AS running_p, same('rtfmp_p') AS rtfmp_p, same('receipt_p') AS receipt_p;
-- with free tuple transfer the tables' traces are built in the workers too
SET parallel_tuple_cost = 0;
SELECT plan_has('receipt', 'Gather') AS gather_receipt;
SELECT same('running') AS running, same('rtfmp') AS rtfmp, same('receipt') AS receipt;
RESET parallel_tuple_cost;
-- the same with sorted grouping instead of hashing
SET enable_hashagg = off;
SELECT same('receipt') AS receipt, same('receipt_p') AS receipt_p;
RESET enable_hashagg;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_setup_cost;

SET client_min_messages = warning;
DROP SCHEMA t17p CASCADE;
RESET client_min_messages;
