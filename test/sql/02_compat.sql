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
