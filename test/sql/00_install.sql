-- the extension installs into its own schema and nothing leaks into public
SELECT extname, extversion, extnamespace::regnamespace AS schema FROM pg_extension WHERE extname = 'collmine';
SELECT count(*) AS objects_in_public FROM pg_proc WHERE pronamespace = 'public'::regnamespace;
