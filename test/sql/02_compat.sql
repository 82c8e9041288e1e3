-- The PostgreSQL version differences of src/compat.[ch], one check each, run on every server
-- version that `make test` covers (15, 17, 18). The output must be the same on all of them.
-- (Building with -Werror on each version is checked by `make test` itself: test/run-tests.sh
-- builds with WERROR=1.)

-- cm_noreturn (pg_attribute_noreturn() before 18, pg_noreturn from 18 on): the text-input
-- syntax error reporter never returns; a malformed value is an error with SQLSTATE 22P02, and
-- the session goes on.
\set VERBOSITY sqlstate
SELECT '{"v":1,"events":[' ::collmine.trace;
SELECT '{"v":1,' ::collmine.dfg;
\set VERBOSITY default
SELECT 1 AS session_goes_on;

-- varatt.h (a header of its own from 16 on): varlena access on values that are stored
-- compressed and out of line (TOAST), read back whole.
CREATE TEMP TABLE compat_big AS
    SELECT collmine.trace_agg('Activity ' || (i % 7), timestamptz '2024-01-01 00:00+00' + i * interval '1 minute', i) AS t
    FROM generate_series(1, 20000) i;
SELECT pg_column_size(t) < octet_length(t::text) AS stored_smaller_than_text,
       collmine.trace_length(t) AS events,
       collmine.trace_start_activity(t) AS first, collmine.trace_end_activity(t) AS last
FROM compat_big;
SELECT count(*) AS steps FROM compat_big, collmine.trace_steps(t);

-- cm_srf_begin (one materialize-mode set-up on every major): a set-returning C function called
-- once per row (LATERAL) returns every row of every call.
SELECT g, count(*) AS events
FROM generate_series(1, 3) g,
     LATERAL collmine.trace_events(
         (SELECT collmine.trace_agg('A' || i, timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', i)
            FROM generate_series(1, g) i))
GROUP BY g ORDER BY g;

-- cm_flatten_scratch_context (from 17 on, tuplesort flattens expanded values in a bump context
-- that has no pfree): process maps built by a partial hash aggregate per partition and sorted
-- for the final grouped aggregate equal the plain aggregate.
CREATE TEMP TABLE compat_parted (case_id int, grp int, t collmine.trace) PARTITION BY HASH (case_id);
CREATE TEMP TABLE compat_parted_0 PARTITION OF compat_parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TEMP TABLE compat_parted_1 PARTITION OF compat_parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO compat_parted
    SELECT c, c % 4, (SELECT collmine.trace_agg(a, timestamptz '2024-01-01 00:00+00' + k * interval '1 day', k)
                        FROM unnest(ARRAY['Invoice Generated', 'Overdue Reminder Sent', 'Payment Received', 'Invoice Settled'])
                             WITH ORDINALITY AS x(a, k)
                       WHERE k <= 2 + c % 3)
    FROM generate_series(1, 400) c;
ANALYZE compat_parted;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
SET enable_hashagg = on;
CREATE FUNCTION pg_temp.plan_has(q text, node text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line LIKE '%' || node || '%' THEN RETURN true; END IF;
    END LOOP;
    RETURN false;
END $$;
SELECT pg_temp.plan_has('SELECT grp, collmine.dfg_agg(t) FROM compat_parted GROUP BY grp', 'Partial HashAggregate') AS partial_hash,
       pg_temp.plan_has('SELECT grp, collmine.dfg_agg(t) FROM compat_parted GROUP BY grp', 'Sort') AS sorted;
CREATE TEMP TABLE compat_partitionwise AS SELECT grp, collmine.dfg_agg(t)::text AS d FROM compat_parted GROUP BY grp;
RESET enable_partitionwise_aggregate;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.d = s.d) AS equal
FROM compat_partitionwise p
JOIN (SELECT grp, collmine.dfg_agg(t)::text AS d FROM compat_parted GROUP BY grp) s USING (grp);
