-- test/t/upgrade/grow_column.sql: the procedure of docs/release.md "Result columns" for
-- appending a result column to a released RETURNS TABLE function, applied to
-- collmine.cycle_time in a database whose user views were built on 0.1.0. Run by
-- test/t/70_upgrade.sh inside a transaction that it rolls back: nothing here ships.
--
-- 1. append the OUT parameter in the catalog (the result stays "record", as the user views'
--    stored calls expect: only the column list defined by the OUT parameters grows);
UPDATE pg_catalog.pg_proc
   SET proallargtypes = proallargtypes || 'pg_catalog.int4'::regtype::oid,
       proargmodes    = proargmodes || 't'::"char",
       proargnames    = proargnames || 'grown_column'::text
 WHERE oid = 'collmine.cycle_time(name, date, date, text)'::regprocedure;
-- 2. replace the function with the longer row: CREATE OR REPLACE now accepts it.
CREATE OR REPLACE FUNCTION collmine.cycle_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval, grown_column integer)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT d.*, 42 FROM collmine.duration_stats(log_schema, 'Invoice Generated', 'Invoice Settled', period_start, period_end, group_by) d $$;
-- the new column is there for new queries
SELECT 'grown: ' || string_agg(DISTINCT grown_column::text, ',') FROM collmine.cycle_time('erp', '2024-01-01', '2025-06-30');
