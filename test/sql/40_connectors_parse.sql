-- The inline (fast) parse guard of the connector builds: the regular expression that lets a
-- date or time value skip the checked parse must accept only values that are sure to parse and
-- to lie inside the plausible window. 41_netsuite_rules compares the inline and checked paths
-- value by value; this file checks the pieces of the guard.

-- _cm_year_pattern spells the four-digit years lo..hi as a few ranges, not one branch per
-- year: 1901..2030 is 190[1-9] | 19[1-9][0-9] | 20[0-2][0-9] | 2030; an empty range is NULL
SELECT collmine._cm_year_pattern(1901, 2030) AS usual_window,
       collmine._cm_year_pattern(1995, 2003) AS across_a_century,
       collmine._cm_year_pattern(2024, 2024) AS one_year,
       collmine._cm_year_pattern(2025, 2024) IS NULL AS empty_is_null;

-- it matches exactly the years of its range: 40 windows around the usual ones, every year
-- from 1800 to 2400 (expected: 0 mismatches)
SELECT count(*) AS mismatches
FROM (SELECT lo, hi, '^' || coalesce(collmine._cm_year_pattern(lo, hi), '(?!)') || '$' AS re
      FROM generate_series(1890, 2040, 37) lo, generate_series(1890, 2300, 53) hi) w
CROSS JOIN LATERAL generate_series(1800, 2400) y
WHERE (y::text ~ w.re) IS DISTINCT FROM (y BETWEEN w.lo AND w.hi);

-- the guard of the NetSuite display format: non-capturing groups, days 1 to 28, years
-- strictly inside the window 1900-01-01 .. 2030-06-30
SELECT collmine._cm_fast_pattern('MM/DD/YYYY HH12:MI am', false, '1900-01-01', '2030-06-30') AS display_guard;
SELECT v, v ~ collmine._cm_fast_pattern('MM/DD/YYYY HH12:MI am', false, '1900-01-01', '2030-06-30') AS inline
FROM unnest(ARRAY['1/13/2024 8:00 am', '01/13/2024 08:00 PM', '1/29/2024 8:00 am', '13/1/2024 8:00 am',
                  '1/1/1900 8:00 am', '1/1/1901 8:00 am', '1/1/2029 8:00 am', '1/1/2030 8:00 am',
                  '1/1/2024 13:00 am', '1/1/2024 8:00']) v;

-- a format with a field the guard cannot spell (a month name) sends every value to the checked
-- path: the pattern matches nothing, not even the empty string
SELECT collmine._cm_fast_pattern('DD Mon YYYY', true, '1900-01-01', '2030-06-30') AS month_name_guard,
       '' ~ collmine._cm_fast_pattern('DD Mon YYYY', true, '1900-01-01', '2030-06-30') AS empty_matches,
       '14 Sep 2024' ~ collmine._cm_fast_pattern('DD Mon YYYY', true, '1900-01-01', '2030-06-30') AS value_matches;
-- ... where a value that does not read is a finding naming table, column and row (on_error =
-- report), and a good one still reads
BEGIN;
CREATE TEMP TABLE _cm_issue (check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
-- the parse context of a build with these settings (what the parsers read of the settings)
CREATE TEMP TABLE ctx AS
SELECT collmine._cm_parse_context(collmine._cm_settings('netsuite', '{"on_error": "report", "date_format": "DD Mon YYYY"}')) AS pc;
SELECT pc->>'on_error' AS on_error, pc->>'date_format' AS date_format, pc->>'min_date' AS min_date,
       pc->>'date_fast' = collmine._cm_fast_pattern('DD Mon YYYY', true, '1900-01-01', '2030-06-30') AS date_fast
FROM ctx;
SELECT collmine._cm_date('14 Sep 2024', 'transaction', 'trandate', 'id=1', pc) AS good,
       collmine._cm_date('14 Sepp 2024', 'transaction', 'trandate', 'id=2', pc) AS bad
FROM ctx;
SELECT check_name, source_table, source_ref, detail FROM _cm_issue;
ROLLBACK;

-- _cm_key: numeric ids up to 30 digits (optionally negative) as numbers, anything else NULL
SELECT v, collmine._cm_key(v) AS key
FROM unnest(ARRAY['17', ' 100 ', '-5', '007', '-', '', '1.5', '--1', '1-', 'a1',
                  repeat('9', 30), repeat('9', 31), '-' || repeat('9', 30), '-' || repeat('9', 31)]) WITH ORDINALITY u(v, o)
ORDER BY o;
