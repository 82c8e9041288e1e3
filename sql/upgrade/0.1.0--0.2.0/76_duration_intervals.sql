-- Issue 11.3 (intervals in functions, days only in BI views): activity_pairs gains the result
-- column "duration interval", and duration_stats, cycle_time, posting_lag,
-- dispute_resolution_time and credit_approval_time gain "avg_duration, median_duration,
-- p90_duration, max_duration interval", after the columns of 0.1.0 (whose *_days columns stay,
-- for the views built on them). Appended to each function's catalog row in place, as
-- docs/release.md ("Result columns") says; 80_functions.sql then replaces the bodies with the
-- longer rows. Runs after 75_vocabulary.sql, which appended the argument "strict" to two of them.
DO $grow$
DECLARE
    a record;
BEGIN
    FOR a IN SELECT x.f::regprocedure AS f, x.cols FROM (VALUES
        ('collmine.activity_pairs(name, text, text, text, boolean)', ARRAY['duration']),
        ('collmine.duration_stats(name, text, text, date, date, text, boolean)',
         ARRAY['avg_duration', 'median_duration', 'p90_duration', 'max_duration']),
        ('collmine.cycle_time(name, date, date, text)', ARRAY['avg_duration', 'median_duration', 'p90_duration', 'max_duration']),
        ('collmine.posting_lag(name, date, date, text)', ARRAY['avg_duration', 'median_duration', 'p90_duration', 'max_duration']),
        ('collmine.dispute_resolution_time(name, date, date, text)',
         ARRAY['avg_duration', 'median_duration', 'p90_duration', 'max_duration']),
        ('collmine.credit_approval_time(name, date, date, text)',
         ARRAY['avg_duration', 'median_duration', 'p90_duration', 'max_duration'])) AS x(f, cols) LOOP
        UPDATE pg_catalog.pg_proc
           SET proallargtypes = proallargtypes || pg_catalog.array_fill('pg_catalog.interval'::pg_catalog.regtype::pg_catalog.oid,
                                                                        ARRAY[pg_catalog.cardinality(a.cols)]),
               proargmodes    = proargmodes || pg_catalog.array_fill('t'::"char", ARRAY[pg_catalog.cardinality(a.cols)]),
               proargnames    = proargnames || a.cols
         WHERE oid = a.f;
    END LOOP;
END
$grow$;
