-- Issue 11.7: the connector builds are short sequences of named internal steps, and the settings
-- travel as arguments (the settings jsonb and the parse context that _cm_parse_context derives
-- from it) instead of transaction-local settings (set_config 'collmine.cm_*'). The new and
-- changed functions are restated by 80_functions.sql; this fragment drops the 0.1.0 signatures
-- that took their settings from those session settings. They are internal (underscore names)
-- and no user object can depend on them: SQL-language bodies record no dependencies, and only
-- the builds call them.
DROP FUNCTION IF EXISTS collmine._cm_bad(text, text, text, text, text, text);
DROP FUNCTION IF EXISTS collmine._cm_date(text, text, text, text);
DROP FUNCTION IF EXISTS collmine._cm_ts(text, text, text, text);
DROP FUNCTION IF EXISTS collmine._cm_date_strict(text);
DROP FUNCTION IF EXISTS collmine._cm_num(text, text, text, text);
DROP FUNCTION IF EXISTS collmine._cm_day(text, text, text, text);
DROP FUNCTION IF EXISTS collmine._cm_begin(text, name, jsonb);
