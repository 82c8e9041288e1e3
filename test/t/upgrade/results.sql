-- test/t/upgrade/results.sql: one line per user object of test/t/upgrade/user_objects.sql:
-- its name, row count and an md5 of its rows in a stable order, so that results before and after
-- ALTER EXTENSION UPDATE can be diffed. Run with psql -At.
SELECT format($q$SELECT %L || ' rows ' || count(*) || ' md5 ' || coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '-') FROM %s r$q$,
              c.oid::regclass::text, c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('u', 'dash') AND c.relkind IN ('r', 'v', 'm')
ORDER BY c.oid::regclass::text
\gexec
