-- The inline (fast) parse of the connector builds (src/fast_parse.c): a value that is sure to
-- parse, and for dates and times to lie inside the plausible window, is read in C; any other
-- value gives NULL there and takes the checked path. 41_netsuite_rules compares the inline and
-- checked paths value by value over 130 years; this file checks the edges by hand.

-- dates in the NetSuite display format MM/DD/YYYY, window 1900-01-01 .. 2030-06-30, so years
-- 1901 to 2029 are read inline:
--   '1/13/2024', '01/13/2024', '  1/13/2024 '  -> 2024-01-13 (one or two digits; spaces trimmed)
--   '2/29/2024' -> 2024-02-29 (a leap day); '2/29/2023' -> NULL (no such day: the checked path
--   reports it); '1/31/2024' -> 2024-01-31; '4/31/2024' -> NULL
--   '13/1/2024', '0/1/2024', '1/0/2024', '1/123/2024' -> NULL (no such month or day field)
--   '1/1/1900', '1/1/2030' -> NULL (the window's edge years go to the checked path);
--   '1/1/1901' -> 1901-01-01; '12/31/2029' -> 2029-12-31
--   '1/13/24', '1-13-2024', '1/13/2024 8:00 am', '' -> NULL (not the format)
SELECT v, collmine._cm_fast_date(v, 'MM/DD/YYYY', '1900-01-01', '2030-06-30') AS inline
FROM unnest(ARRAY['1/13/2024', '01/13/2024', '  1/13/2024 ', '2/29/2024', '2/29/2023', '1/31/2024',
                  '4/31/2024', '13/1/2024', '0/1/2024', '1/0/2024', '1/123/2024', '1/1/1900', '1/1/2030',
                  '1/1/1901', '12/31/2029', '1/13/24', '1-13-2024', '1/13/2024 8:00 am', '']) WITH ORDINALITY u(v, o)
ORDER BY o;

-- ISO dates (YYYY-MM-DD): four, two and two digits, then nothing or a space or T and anything
-- (the checked path reads the first ten characters): '2024-09-14' and '2024-09-14T10:00:00Z'
-- -> 2024-09-14; '2024-9-14' -> NULL (one digit); a format with a month name reads nothing
SELECT collmine._cm_fast_date('2024-09-14', 'YYYY-MM-DD', '1900-01-01', '2030-06-30') AS iso,
       collmine._cm_fast_date('2024-09-14T10:00:00Z', 'YYYY-MM-DD', '1900-01-01', '2030-06-30') AS iso_with_time,
       collmine._cm_fast_date('2024-9-14', 'YYYY-MM-DD', '1900-01-01', '2030-06-30') AS one_digit,
       collmine._cm_fast_date('14 Sep 2024', 'DD Mon YYYY', '1900-01-01', '2030-06-30') AS month_name;

-- times in the display format MM/DD/YYYY HH12:MI am, as local times in Europe/Berlin (UTC+1 in
-- January, UTC+2 in July), the session in UTC:
--   '1/13/2024 8:00 am' -> 07:00 UTC; '1/13/2024 8:00 PM' -> 19:00 UTC (any case of am/pm)
--   '1/13/2024 12:05 am' -> 00:05 local -> 2024-01-12 23:05 UTC; '1/13/2024 12:05 pm' -> 11:05 UTC
--   '7/1/2024 9:30 Am' -> 07:30 UTC (summer time)
--   '1/13/2024 13:00 am', '1/13/2024 0:00 am', '1/13/2024 8:0 am', '1/13/2024 8:00' -> NULL
SET TimeZone = 'UTC';
SELECT v, collmine._cm_fast_ts(v, 'MM/DD/YYYY HH12:MI am', 'Europe/Berlin', '1900-01-01', '2030-06-30') AS inline
FROM unnest(ARRAY['1/13/2024 8:00 am', '1/13/2024 8:00 PM', '1/13/2024 12:05 am', '1/13/2024 12:05 pm',
                  '7/1/2024 9:30 Am', '1/13/2024 13:00 am', '1/13/2024 0:00 am', '1/13/2024 8:0 am',
                  '1/13/2024 8:00']) WITH ORDINALITY u(v, o)
ORDER BY o;

-- no format: ISO 8601 local time, T or space, seconds and up to six fraction digits optional:
--   '2024-09-14 13:05' -> 11:05 UTC; '2024-09-14T13:05:09.5' -> 11:05:09.5 UTC;
--   '2024-09-14 13:05:09.1234567' (seven digits, rounded by the checked path), '2024-09-14',
--   '2024-09-14 13:05+02' (an offset) -> NULL
SELECT v, collmine._cm_fast_ts(v, NULL, 'Europe/Berlin', '1900-01-01', '2030-06-30') AS inline
FROM unnest(ARRAY['2024-09-14 13:05', '2024-09-14T13:05:09.5', '2024-09-14 13:05:09.1234567',
                  '2024-09-14', '2024-09-14 13:05+02']) WITH ORDINALITY u(v, o)
ORDER BY o;

-- a display time in a daylight-saving gap of the session's time zone moves as to_timestamp
-- moves it: 3/10/2024 2:30 am does not exist in New York, to_timestamp reads it as 3:30 EDT,
-- whose local time 03:30 is then read in UTC -> 2024-03-10 03:30 UTC, inline and checked alike
BEGIN;
SET LOCAL TimeZone = 'America/New_York';
SELECT collmine._cm_fast_ts('3/10/2024 2:30 am', 'MM/DD/YYYY HH12:MI am', 'UTC', '1900-01-01', '2030-06-30') AT TIME ZONE 'UTC' AS inline,
       (to_timestamp('3/10/2024 2:30 am', 'MM/DD/YYYY HH12:MI am')::timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS to_timestamp;
ROLLBACK;

-- seconds, and the fields that begin like those read here but mean something else: 'SSSS' is
-- seconds past midnight (to_timestamp reads '3600' as 01:00), so a format with it reads nothing
-- inline -> 2024-01-13 08:05:09 UTC, then NULL
SELECT collmine._cm_fast_ts('2024-01-13 08:05:09', 'YYYY-MM-DD HH24:MI:SS', 'UTC', '1900-01-01', '2030-06-30') AS with_seconds,
       collmine._cm_fast_ts('2024-01-13 3600', 'YYYY-MM-DD SSSS', 'UTC', '1900-01-01', '2030-06-30') AS seconds_past_midnight;
-- formats to_timestamp refuses or reads its own way are left to it (NULL inline): a field twice,
-- AM/PM beside HH24 ('1/13/2024 13:00 pm' is an error there), AM/PM without an hour field
SELECT collmine._cm_fast_date('2024 1/13/2024', 'YYYY MM/DD/YYYY', '1900-01-01', '2030-06-30') AS year_twice,
       collmine._cm_fast_ts('1/13/2024 13:00 pm', 'MM/DD/YYYY HH24:MI am', 'UTC', '1900-01-01', '2030-06-30') AS am_with_hh24,
       collmine._cm_fast_date('1/13/2024 pm', 'MM/DD/YYYY am', '1900-01-01', '2030-06-30') AS am_without_hour;

-- a field followed by another without a separator is read as two digits, as to_date reads it:
-- 'YYYYMMDD' reads '20240105' -> 2024-01-05, and '2024015' as 2024, 01 and 5 -> 2024-01-05
SELECT collmine._cm_fast_date('20240105', 'YYYYMMDD', '1900-01-01', '2030-06-30') AS packed,
       collmine._cm_fast_date('2024015', 'YYYYMMDD', '1900-01-01', '2030-06-30') AS packed_short,
       to_date('2024015', 'YYYYMMDD') AS to_date_short;

-- amounts: a sign, digits, a decimal point, an exponent of one to three digits; anything else
-- (thousands separators, a currency sign, a lone point or sign, four exponent digits) -> NULL
SELECT v, collmine._cm_fast_num(v) AS inline
FROM unnest(ARRAY['1234.56', ' -10 ', '+.5', '7.', '1e3', '1.5E-2', '1e1000', '1,234.56', '$10', '.', '-',
                  '1e', '']) WITH ORDINALITY u(v, o)
ORDER BY o;

-- random strings of the characters these formats use, and mangled real values, read inline
-- and checked: wherever the inline read gives a value, the checked path gives the same
-- (expected: no differences, and some of each kind read inline)
BEGIN;
CREATE TEMP TABLE _cm_issue (check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
SELECT setseed(0.25);
CREATE TEMP TABLE noise AS
SELECT string_agg(substr('0123456789/ :-.+eapmAPMT', 1 + floor(random() * 24)::int, 1), '') AS v
FROM generate_series(1, 6000) g, LATERAL generate_series(1, 5 + g % 16) k GROUP BY g
UNION ALL
SELECT overlay(x.v PLACING substr('0123456789/ :-.', 1 + floor(random() * 15)::int, 1)
               FROM 1 + floor(random() * length(x.v))::int FOR (random() < 0.5)::int)
FROM (SELECT to_char(timestamp '1899-06-01' + random() * interval '135 years', f) AS v
      FROM generate_series(1, 1500), unnest(ARRAY['MM/DD/YYYY HH12:MI am', 'FMMM/FMDD/YYYY FMHH12:MI am',
                                                    'YYYY-MM-DD HH24:MI', 'YYYY-MM-DD"T"HH24:MI:SS.US',
                                                    'MM/DD/YYYY', 'DD.MM.YYYY', 'DD.MM.YYYY HH24:MI', 'FM9999990.00']) f) x;
SET LOCAL TimeZone = 'America/New_York';
WITH f(df, tf) AS (VALUES ('MM/DD/YYYY', 'MM/DD/YYYY HH12:MI am'), ('YYYY-MM-DD', NULL), ('DD.MM.YYYY', 'DD.MM.YYYY HH24:MI')),
c AS (SELECT f.df, n.v,
             collmine._cm_fast_date(n.v, f.df, '1900-01-01', '2030-06-30') AS fd,
             collmine._cm_fast_ts(n.v, f.tf, 'Europe/Berlin', '1900-01-01', '2030-06-30') AS ft,
             jsonb_build_object('on_error', 'report', 'timezone', 'Europe/Berlin', 'min_date', '1900-01-01',
                                'max_date', '2030-06-30', 'date_format', f.df, 'timestamp_format', f.tf) AS pc
      FROM noise n, f)
SELECT df, count(fd) > 0 AS some_dates_inline, count(ft) > 0 AS some_times_inline,
       count(*) FILTER (WHERE fd IS NOT NULL AND fd IS DISTINCT FROM collmine._cm_date_parse(v, 't', 'c', 'r', pc)) AS date_differences,
       count(*) FILTER (WHERE ft IS NOT NULL AND ft IS DISTINCT FROM collmine._cm_ts_parse(v, 't', 'c', 'r', pc)) AS time_differences
FROM c GROUP BY df ORDER BY df;
SELECT count(collmine._cm_fast_num(v)) > 0 AS some_amounts_inline,
       count(*) FILTER (WHERE collmine._cm_fast_num(v) IS DISTINCT FROM collmine._cm_num_parse(v, 't', 'c', 'r', '{"on_error": "report"}')
                          AND collmine._cm_fast_num(v) IS NOT NULL) AS amount_differences
FROM noise;
ROLLBACK;

-- a value that does not read inline takes the checked path: a finding naming table, column and
-- row (on_error = report), and a good value still reads
BEGIN;
CREATE TEMP TABLE _cm_issue (check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
-- the parse context of a build with these settings (what the parsers read of the settings)
CREATE TEMP TABLE ctx AS
SELECT collmine._cm_parse_context(collmine._cm_settings('netsuite', '{"on_error": "report", "date_format": "DD Mon YYYY"}')) AS pc;
SELECT pc->>'on_error' AS on_error, pc->>'date_format' AS date_format, pc->>'min_date' AS min_date
FROM ctx;
SELECT collmine._cm_date('14 Sep 2024', 'transaction', 'trandate', 'id=1', pc) AS good,
       collmine._cm_date('14 Sepp 2024', 'transaction', 'trandate', 'id=2', pc) AS bad,
       collmine._cm_num('1,5', 'transaction', 'foreigntotal', 'id=3', pc) AS bad_amount
FROM ctx;
SELECT check_name, source_table, source_ref, detail FROM _cm_issue ORDER BY source_ref;
ROLLBACK;

-- _cm_key: numeric ids up to 30 digits (optionally negative) as numbers, anything else NULL
SELECT v, collmine._cm_key(v) AS key
FROM unnest(ARRAY['17', ' 100 ', '-5', '007', '-', '', '1.5', '--1', '1-', 'a1',
                  repeat('9', 30), repeat('9', 31), '-' || repeat('9', 30), '-' || repeat('9', 31)]) WITH ORDINALITY u(v, o)
ORDER BY o;
