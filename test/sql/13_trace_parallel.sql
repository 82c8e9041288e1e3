-- trace_agg runs as a partial aggregate when parallel query is forced, and gives the same
-- traces as the serial plan, even when each case's events are spread over both workers.
SET timezone = 'UTC';
CREATE SCHEMA t13;
CREATE TABLE t13.raw (event_seq text, case_id text, activity text, "timestamp" text, resource text, lifecycle text,
  "concept:instance" text, "org:group" text, "case:channel" text, "case:deadline" text, "case:department" text,
  "case:enddate" text, "case:enddate_planned" text, "case:group" text, "case:responsible" text, "case:startdate" text);
\copy t13.raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
-- scatter each case's events over the table, so both workers see part of most cases
CREATE TABLE t13.ev AS
  SELECT event_seq::bigint AS seq, case_id, activity, "timestamp"::timestamptz AS ts
  FROM t13.raw ORDER BY md5(event_seq);
ALTER TABLE t13.ev SET (parallel_workers = 2);
ANALYZE t13.ev;

-- true when the plan of a query contains a partial aggregate (version-independent check)
CREATE FUNCTION t13.has_partial_agg(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN jsonb_path_exists(plan, 'strict $.**."Partial Mode" ? (@ == "Partial")');
END $$;

CREATE FUNCTION t13.traces_digest() RETURNS text LANGUAGE sql AS $$
  SELECT md5(string_agg(case_id || ':' || t::text, ',' ORDER BY case_id))
  FROM (SELECT case_id, collmine.trace_agg(activity, ts, seq) AS t FROM t13.ev GROUP BY case_id) s
$$;

-- serial
SET max_parallel_workers_per_gather = 0;
SELECT t13.has_partial_agg('SELECT case_id, collmine.trace_agg(activity, ts, seq) FROM t13.ev GROUP BY case_id') AS serial_partial;
CREATE TABLE t13.serial AS SELECT t13.traces_digest() AS d;

-- forced parallel
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- trace_agg's state is small (SSPACE), so on a log this size a serial hash aggregate is cheaper
-- than partial aggregation; a sort-based plan makes the partial path the cheaper one again.
SET enable_hashagg = off;
SELECT t13.has_partial_agg('SELECT case_id, collmine.trace_agg(activity, ts, seq) FROM t13.ev GROUP BY case_id') AS parallel_partial;
SELECT t13.has_partial_agg('SELECT collmine.trace_agg(activity, ts, seq) FROM t13.ev') AS parallel_partial_whole_table;
SELECT t13.traces_digest() = (SELECT d FROM t13.serial) AS parallel_equals_serial;
-- one trace over the whole log: every worker holds part of it and the combine merges them
SELECT collmine.trace_length(t) AS events, collmine.trace_skipped(t) AS skipped
FROM (SELECT collmine.trace_agg(activity, ts, seq) AS t FROM t13.ev) s;
RESET ALL;

DROP SCHEMA t13 CASCADE;
