-- Argument names follow one rule in 0.2.0 (docs/conventions.md): full words, no `p_` prefixes,
-- no one-letter names; a log is `log_schema`, a schema objects are created in `target_schema`.
--
-- PostgreSQL cannot rename an input argument with CREATE OR REPLACE FUNCTION, and a DROP would
-- fail on (or cascade to) every user view that calls the function. So the names are changed in
-- place in pg_proc, before 80_functions.sql restates the bodies under the new names. Stored
-- views and rules refer to functions by oid and position, so they are unaffected; only calls
-- in named notation (`p_schema => 'erp'`) must be rewritten (CHANGELOG, 0.2.0).
-- The same map is applied to sql/parts; test/t/70_upgrade.sh proves the two catalogs equal.
WITH renamed(old, new) AS (VALUES
        ('t', 'trace'), ('a', 'from_activity'), ('b', 'to_activity'), ('at', 'as_of'), ('d', 'dfg'),
        ('schema_name', 'target_schema'), ('table_name', 'rule_table'),
        ('p_schema', 'log_schema'), ('p_source', 'source'), ('p_settings', 'settings'),
        ('p_table', 'staging_table'), ('p_delimiter', 'delimiter'),
        ('start_activity', 'from_activity'), ('end_activity', 'to_activity')),
     ours AS (
        SELECT p.oid, p.proargnames, p.proargmodes
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_proc'::regclass AND dep.objid = p.oid
                                     AND dep.deptype = 'e'
        JOIN pg_catalog.pg_extension x ON x.oid = dep.refobjid AND x.extname = 'collmine'
        WHERE p.proname !~ '^_' AND p.proargnames IS NOT NULL)
UPDATE pg_catalog.pg_proc p
SET proargnames = (SELECT pg_catalog.array_agg(CASE WHEN coalesce(o.proargmodes[a.i], 'i') IN ('i', 'b', 'v')
                                                    THEN coalesce(r.new, a.name) ELSE a.name END ORDER BY a.i)
                   FROM pg_catalog.unnest(o.proargnames) WITH ORDINALITY a(name, i)
                   LEFT JOIN renamed r ON r.old = a.name)
FROM ours o
WHERE p.oid = o.oid
  AND EXISTS (SELECT 1 FROM pg_catalog.unnest(o.proargnames) WITH ORDINALITY a(name, i)
              JOIN renamed r ON r.old = a.name
              WHERE coalesce(o.proargmodes[a.i], 'i') IN ('i', 'b', 'v'));
