-- Issue 13, items 5, 6 and 8 (C parts): values that survive dump and restore, numbers that do
-- not wrap, the NULL order key, and extreme timestamps in the entry points.
CREATE SCHEMA t17v;
SET search_path = t17v, public;
SET timezone = 'UTC';

-- 6. the number reader refuses what does not fit instead of wrapping modulo 2^128
--    (2^128 + 1 used to read as version 1, 2^128 + 5 as order key 5, X + 2^128 as sum X)
SELECT '{"v":340282366920938463463374607431768211457,"skipped":0,"events":[]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z",340282366920938463463374607431768211461]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z",9223372036854775808]]}'::collmine.trace;
SELECT '{"v":1,"skipped":18446744073709551616,"events":[]}'::collmine.trace;
-- the extremes that do fit read back exactly
SELECT '{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z",-9223372036854775808],["b","2024-01-01T00:00:00Z",9223372036854775806]]}'::collmine.trace;
-- a dfg edge "sum" of X + 2^128 (X = 60000000) is refused; sums and weights are checked
CREATE TABLE one_edge AS
SELECT collmine.dfg_agg(t)::text AS s
FROM (SELECT collmine.trace_agg(a, ts) AS t
      FROM (VALUES ('a', timestamptz '2024-01-01 00:00'), ('b', timestamptz '2024-01-01 00:01')) v(a, ts)) x;
SELECT s FROM one_edge;
SELECT replace(s, '"sum":60000000', '"sum":340282366920938463463374607431828211456')::collmine.dfg FROM one_edge;
SELECT replace(s, '"sum":60000000', '"sum":170141183460469231731687303715884105728')::collmine.dfg FROM one_edge;
SELECT replace(s, '"sum":60000000', '"sum":-170141183460469231731687303715884105729')::collmine.dfg FROM one_edge;
-- the one place where weights are bounded (dfg_validate): |weight| <= cases (or edge count)
-- x 2^63 units, the most that many int64 case weights can sum to; the same in text and binary
SELECT replace(s, '"weight":1.0000,"activities"', '"weight":922337203685477.5808,"activities"')::collmine.dfg IS NOT NULL AS at_bound FROM one_edge;
SELECT replace(s, '"weight":1.0000,"activities"', '"weight":922337203685477.5809,"activities"')::collmine.dfg FROM one_edge;
SELECT replace(s, '"weight":1.0000,"activities"', '"weight":-922337203685477.5809,"activities"')::collmine.dfg FROM one_edge;
SELECT replace(s, '"weight":1.0000,"activities"', '"weight":17014118346046923173168730371588410.5728,"activities"')::collmine.dfg FROM one_edge;
-- the binary form of the same values: the total weight is the 16 bytes from offset 38
SELECT collmine.dfg_from_binary(overlay(collmine.dfg_send(s::collmine.dfg)
         PLACING '\x00000000000000008000000000000000'::bytea FROM 39 FOR 16)) IS NOT NULL AS at_bound_binary
FROM one_edge;
SELECT collmine.dfg_from_binary(overlay(collmine.dfg_send(s::collmine.dfg)
         PLACING '\x00000000000000008000000000000001'::bytea FROM 39 FOR 16))
FROM one_edge;
SELECT collmine.dfg_from_binary(overlay(collmine.dfg_send(s::collmine.dfg)
         PLACING '\x7fffffffffffffffffffffffffffffff'::bytea FROM 39 FOR 16))
FROM one_edge;
-- weights summed by dfg_union stay within the bound and print text that reads back
CREATE TABLE heavy AS
SELECT collmine.dfg_union(d) AS d
FROM (SELECT collmine.dfg_agg(t, 922337203685477.5807) AS d
      FROM (SELECT collmine.trace_agg('a', timestamptz '2024-01-01') AS t) x) y, generate_series(1, 1000);
SELECT collmine.dfg_weight(d), d::text::collmine.dfg::text = d::text AS text_same,
       collmine.dfg_from_binary(collmine.dfg_send(d))::text = d::text AS binary_same
FROM heavy;

-- 8. a real order key of 9223372036854775807 would read back as NULL: refused instead
SELECT collmine.trace_agg(a, ts, o)
FROM (VALUES ('x', timestamptz '2024-01-01', 9223372036854775807)) v(a, ts, o);
-- a NULL order key still works, sorts last at its timestamp and reads back as NULL
CREATE TABLE nullord AS
SELECT collmine.trace_agg(a, ts, o) AS t
FROM (VALUES ('x', timestamptz '2024-01-01', NULL::bigint), ('y', timestamptz '2024-01-01', 9223372036854775806)) v(a, ts, o);
SELECT t FROM nullord;
SELECT e.* FROM nullord, collmine.trace_events(t::text::collmine.trace) e;

-- 5. timestamps before 1 BC and after 9999 print in ISO 8601's expanded form and read back
CREATE TABLE extreme AS
SELECT collmine.trace_agg(a, ts, o) AS t
FROM (VALUES ('min', timestamptz '4714-11-24 00:00:00+00 BC', 1),
             ('ides', timestamptz '0044-03-15 12:00:00.5+00 BC', 2),
             ('1 BC', timestamptz '0001-12-31 23:59:59.999999+00 BC', 3),
             ('1 AD', timestamptz '0001-01-01 00:00:00+00', 4),
             ('9999', timestamptz '9999-12-31 23:59:59.999999+00', 5),
             ('10000', timestamptz '10000-01-01 00:00:00+00', 6),
             ('max', timestamptz '2000-01-01 00:00:00+00' + '9011558548854775807 us'::interval, 7)) v(a, ts, o);
SELECT t FROM extreme;
SELECT t::text::collmine.trace::text = t::text AS text_same,
       collmine.trace_from_binary(collmine.trace_send(t))::text = t::text AS binary_same,
       collmine.trace_throughput(t)
FROM extreme;
-- what collmine 0.1.0 printed for such years ("-043", "12000") still reads, so its dumps restore
SELECT '{"v":1,"skipped":0,"events":[["a","-043-03-15T00:00:00Z"],["b","-4713-11-24T00:00:00Z"],["c","12000-01-01T00:00:00Z"],["d","+12000-01-01T00:00:00Z"]]}'::collmine.trace;
-- and the forms that are not timestamps are still refused
SELECT '{"v":1,"skipped":0,"events":[["a","-43-03-15T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["a","+120000000-01-01T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["a","-4714-11-23T00:00:00Z"]]}'::collmine.trace;
SELECT '{"v":1,"skipped":0,"events":[["a","294277-01-01T00:00:00Z"]]}'::collmine.trace;

-- 8. an event so late that the duration back to PostgreSQL's earliest timestamp overflows
--    (after about year 287,000) is skipped and counted like a NULL: one such case no longer
--    makes variants() and process_map() fail for the whole log
CREATE TABLE ev (case_id text, activity text, ts timestamptz);
INSERT INTO ev VALUES
  ('c1', 'a', '2024-01-01'), ('c1', 'b', '2024-01-02'),
  ('c2', 'a', '4713-01-01 BC'), ('c2', 'b', '294276-12-31 23:00'),
  ('c3', 'a', '4714-11-24 00:00:00+00 BC'), ('c3', 'b', '287000-01-01');
SELECT variant, cases, max_throughput FROM collmine.variants('ev', 'case_id', 'activity', 'ts');
SELECT collmine.dfg_events(d), collmine.dfg_skipped(d) FROM collmine.process_map('ev', 'case_id', 'activity', 'ts') d;
SELECT case_id, collmine.trace_length(t), collmine.trace_skipped(t), collmine.trace_throughput(t)
FROM (SELECT case_id, collmine.trace_agg(activity, ts) AS t FROM ev GROUP BY case_id) x ORDER BY case_id;
-- the text and binary inputs skip such events the same way
SELECT '{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"],["b","+294276-12-31T23:00:00Z"]]}'::collmine.trace;
-- (binary: the event time is the 8 bytes from offset 19 of a one-event trace with activity "a")
SELECT collmine.trace_from_binary(overlay(collmine.trace_send('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"]]}')
         PLACING '\x7fffff5bb3b29fff'::bytea FROM 20 FOR 8)) AS last_microsecond_skipped;
SELECT collmine.trace_from_binary(overlay(collmine.trace_send('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"]]}')
         PLACING '\x7fffff5bb3b2a000'::bytea FROM 20 FOR 8)) AS beyond_range;

DROP SCHEMA t17v CASCADE;
