-- Issues 9 and 13 (loading and access): the function changes (grants on staging_columns,
-- create_event_log/create_staging without CREATE on the database or a SHARE lock, settings that
-- name themselves, import_csv for CRLF, security_invoker dashboards, root causes rolled back)
-- are restated by 80_functions.sql. What an upgrade must do besides: dashboards made by 0.1.0
-- become security_invoker.
-- Dashboards made by 0.1.0 read the log with their owner's rights, past row-level security:
-- make them security_invoker where the upgrading role may, and say so where it may not.
DO $views$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.oid::regclass AS rel
               FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
              WHERE c.relkind = 'v' AND c.relname::text = ANY (collmine.dashboard_names())
                AND d.description LIKE '%(collmine dashboard over %'
                AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false) LOOP
        BEGIN
            EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', v.rel);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'dashboard view % still bypasses row-level security', v.rel
                USING HINT = pg_catalog.format('Its owner should run ALTER VIEW %s SET (security_invoker = true);', v.rel);
        END;
    END LOOP;
END
$views$;
