-- collmine.trace text and binary forms: lossless round trips, independence from session
-- settings, and clear errors (with SQLSTATEs) for every kind of malformed or corrupt input.
\set VERBOSITY default
SET timezone = 'UTC';
CREATE SCHEMA t11;
-- names that need escaping: quote, backslash, newline, tab, a control character, non-ASCII
CREATE TABLE t11.tr AS
SELECT c, collmine.trace_agg(a, ts, o) AS t FROM (VALUES
  (1, 'say "hi"',        '2024-01-01 00:00:00.000001+00'::timestamptz, 1),
  (1, 'back\slash',      '2024-01-01 00:00:00.5+00', 2),
  (1, E'two\nlines\tand\x01', '2024-03-31 23:59:59.999999+00', 3),
  (1, 'Forderung über € 100', '2024-04-01 00:00:00+02', 4),
  (2, 'A', '1999-12-31 23:00:00-05', -5),
  (3, '', '2024-01-01', 0)               -- an empty activity name is a name like any other
) v(c, a, ts, o) GROUP BY c;

SELECT c, t FROM t11.tr ORDER BY c;

-- text round trip is lossless, and does not depend on TimeZone, DateStyle or extra_float_digits
SELECT count(*) FILTER (WHERE t::text::collmine.trace::text <> t::text) AS text_roundtrip_diffs FROM t11.tr;
SET timezone = 'America/New_York';
SET datestyle = 'SQL, DMY';
SELECT count(*) FILTER (WHERE t::text::collmine.trace::text <> t::text) AS text_roundtrip_diffs_other_settings,
       min(t::text) = (SELECT t::text FROM t11.tr WHERE c = 2) AS same_text FROM t11.tr WHERE c = 2;
RESET datestyle;
SET timezone = 'UTC';

-- binary round trip (the form binary COPY and drivers use)
SELECT count(*) FILTER (WHERE collmine.trace_from_binary(collmine.trace_send(t))::text <> t::text) AS binary_roundtrip_diffs
FROM t11.tr;
SELECT collmine.trace_send(t) FROM t11.tr WHERE c = 2;

-- input accepts any offset and normalises to UTC; the empty trace is valid
SELECT '{"v":1,"skipped":2,"events":[["B","2024-01-01T01:00:00+01:00"],["A","2024-01-01T00:00:00Z"]]}'::collmine.trace;
SELECT ' { "v" : 1 , "skipped" : 0 , "events" : [ ] } '::collmine.trace;

-- malformed text: each gives SQLSTATE 22P02 with the position
SELECT ''::collmine.trace;
SELECT 'nonsense'::collmine.trace;
SELECT '{}'::collmine.trace;
SELECT '{"v":2,"skipped":0,"events":[]}'::collmine.trace;
SELECT '{"v":1,"events":[]}'::collmine.trace;
SELECT '{"v":1,"skipped":-1,"events":[]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-13-01T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2023-02-29T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-01-01 00:00:00"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-01-01T00:00:00.1234567Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-01-01T00:00:00Z",1],["B","2024-01-02T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-01-01T00:00:00Z"],["B","2024-01-02T00:00:00Z",2]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A\q","2024-01-01T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A\u0000","2024-01-01T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A,"2024-01-01T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[]} trailing'::collmine.trace;
SELECT '{"v":1,"skipped":99999999999,"events":[]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["A","2024-01-01T00:00:00Z",99999999999999999999]]}'::collmine.trace;

-- corrupt binary: each gives an error, never a crash or a read past the end.
-- The valid form of trace 2 is: version 01, flags 01, skipped 0, 1 name of length 1 ('A'),
-- 1 event: ts, ord, activity index 0.
CREATE TABLE t11.bin AS SELECT collmine.trace_send(t) AS b FROM t11.tr WHERE c = 2;
SELECT collmine.trace_from_binary(substring(b FROM 1 FOR length(b) - 1)) FROM t11.bin;   -- truncated
SELECT collmine.trace_from_binary(''::bytea);                                             -- empty
SELECT collmine.trace_from_binary(overlay(b PLACING '\x02' FROM 1)) FROM t11.bin;         -- version 2
SELECT collmine.trace_from_binary(overlay(b PLACING '\x80' FROM 2)) FROM t11.bin;         -- unknown flag
SELECT collmine.trace_from_binary(overlay(b PLACING '\xffffffff' FROM 3)) FROM t11.bin;   -- skipped -1
SELECT collmine.trace_from_binary(overlay(b PLACING '\x7fffffff' FROM 7)) FROM t11.bin;   -- 2^31 names
SELECT collmine.trace_from_binary(overlay(b PLACING '\x7fffffff' FROM 11)) FROM t11.bin;  -- name longer than the data
SELECT collmine.trace_from_binary(overlay(b PLACING '\xff' FROM 15)) FROM t11.bin;        -- name not UTF-8
SELECT collmine.trace_from_binary(overlay(b PLACING '\x7fffffff' FROM 16)) FROM t11.bin;  -- 2^31 events claimed
SELECT collmine.trace_from_binary(overlay(b PLACING '\x00000001' FROM 36)) FROM t11.bin;  -- activity index 1 of 1
SELECT collmine.trace_from_binary(overlay(b PLACING '\x7fffffffffffffff' FROM 20)) FROM t11.bin; -- ts = infinity
SELECT collmine.trace_from_binary(b || '\x00'::bytea) FROM t11.bin;                        -- trailing byte
SELECT collmine.trace_from_binary(overlay(b PLACING '\x00' FROM 2)) FROM t11.bin;         -- order key without flag
-- and the unmangled bytes still read back
SELECT collmine.trace_from_binary(b) FROM t11.bin;

-- the SQLSTATE of each kind of failure
CREATE FUNCTION t11.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT what, t11.sqlstate_of(q) FROM (VALUES
  ('malformed text',       $$SELECT 'nonsense'::collmine.trace$$),
  ('bad date',             $$SELECT '{"v":1,"skipped":0,"events":[["A","2024-13-01T00:00:00Z"]]}'::collmine.trace$$),
  ('newer text version',   $$SELECT '{"v":2}'::collmine.trace$$),
  ('binary truncated',     $$SELECT collmine.trace_from_binary(substring(b FROM 1 FOR 5)) FROM t11.bin$$),
  ('binary empty',         $$SELECT collmine.trace_from_binary(''::bytea)$$),
  ('binary bad index',     $$SELECT collmine.trace_from_binary(overlay(b PLACING '\x00000001' FROM 36)) FROM t11.bin$$),
  ('binary bad encoding',  $$SELECT collmine.trace_from_binary(overlay(b PLACING '\xff' FROM 15)) FROM t11.bin$$),
  ('bad occurrence',       $$SELECT collmine.trace_duration('{"v":1,"skipped":0,"events":[]}', 'a', 'b', 'x')$$)
) v(what, q);

DROP SCHEMA t11 CASCADE;
