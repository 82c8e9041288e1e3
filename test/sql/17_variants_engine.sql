-- variants() groups cases by a 64-bit hash (_variant_key); _variant_agg (and the older
-- _variant_rep, which grouped by the variant id) keeps each group's first trace and checks every
-- other trace of the group against it, so a collision is an error.
SET timezone = 'UTC';
-- two traces of different variants fed to one group (as a collision would): an error
SELECT collmine._variant_rep(t) FROM (VALUES
  ('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"],["b","2024-01-02T00:00:00Z"]]}'::collmine.trace),
  ('{"v":1,"skipped":0,"events":[["b","2024-01-01T00:00:00Z"],["a","2024-01-02T00:00:00Z"]]}'::collmine.trace)) v(t);
-- the same variant with other times and order keys: the first trace is the representative
SELECT collmine.trace_activities(collmine._variant_rep(t)) AS acts FROM (VALUES
  ('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z",1],["b","2024-01-02T00:00:00Z",2]]}'::collmine.trace),
  ('{"v":1,"skipped":0,"events":[["a","2024-03-01T00:00:00Z",7],["b","2024-03-05T00:00:00Z",9]]}'::collmine.trace)) v(t);

-- ties in frequency are ordered by the activity sequence in byte order: 'B' (0x42) before
-- 'a' (0x61) before 'b', whatever the collation; 'x -> y' has 2 cases and ranks first.
CREATE TABLE t17 (inv text, act text, ts timestamptz);
INSERT INTO t17 VALUES
  ('1', 'x', '2024-01-01'), ('1', 'y', '2024-01-02'),
  ('2', 'x', '2024-01-01'), ('2', 'y', '2024-01-02'),
  ('3', 'b', '2024-01-01'),
  ('4', 'a', '2024-01-01'),
  ('5', 'B', '2024-01-01');
SELECT rank, variant, cases, variant_id = collmine.variant_id(activities) AS id_matches
FROM collmine.variants('t17', 'inv', 'act', 'ts');
DROP TABLE t17;

-- _median_interval equals percentile_cont(0.5) (odd and even counts, NULLs, mixed day/time
-- parts, a single value, only NULLs)
SELECT g, collmine._median_interval(array_agg(x)) IS NOT DISTINCT FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS same,
       collmine._median_interval(array_agg(x)) AS median
FROM (VALUES (1, interval '1 day 01:00'), (1, '00:30'), (1, '3 days'),
             (2, interval '1 day 01:00'), (2, '00:30'), (2, '3 days'), (2, '7 days 00:00:01'), (2, NULL),
             (3, interval '00:00:00.000001'), (3, '00:00:00.000002'),
             (4, interval '5 days'),
             (5, NULL::interval)) v(g, x)
GROUP BY g ORDER BY g;

-- _variant_agg, the one aggregate behind variants(): the same collision check as _variant_rep;
-- here the two variant ids differ, so it was the grouping key that collided
SELECT collmine._variant_agg(t) FROM (VALUES
  ('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"],["b","2024-01-02T00:00:00Z"]]}'::collmine.trace),
  ('{"v":1,"skipped":0,"events":[["b","2024-01-01T00:00:00Z"],["a","2024-01-02T00:00:00Z"]]}'::collmine.trace)) v(t);

-- The statistics in the interval form of avg and percentile_cont, worked out by hand. Two cases
-- of the variant a -> b: 20 hours and 1 day 4 hours. avg sums days and times separately
-- (1 day + 48 hours) and interval_div halves that: 0 days, the half day moved into the time as
-- 12 hours, plus 24 hours: '24:00:00', not '1 day'. percentile_cont interpolates halfway:
-- (1 day 4 hours - 20 hours) = 1 day -16 hours, halved = 12 hours - 8 hours = 4 hours, plus 20
-- hours: '24:00:00' as well. Min 20 hours, max 1 day 4 hours. The third case's two events have a
-- NULL activity or timestamp: its trace is empty (the empty variant), without a throughput.
SET intervalstyle = 'postgres';
CREATE TABLE t17s (inv text, act text, ts timestamptz);
INSERT INTO t17s VALUES
  ('1', 'a', '2024-01-01 00:00'), ('1', 'b', '2024-01-01 20:00'),
  ('2', 'a', '2024-01-01 00:00'), ('2', 'b', '2024-01-02 04:00'),
  ('3', NULL, '2024-01-01 00:00'), ('3', 'c', NULL);
SELECT rank, variant, cases, mean_throughput, median_throughput, min_throughput, max_throughput
FROM collmine.variants('t17s', 'inv', 'act', 'ts');
-- the same figures as avg, percentile_cont, min and max in plain SQL, as text
SELECT avg(d)::text AS mean, (percentile_cont(0.5) WITHIN GROUP (ORDER BY d))::text AS median
FROM (VALUES (interval '20:00'), (interval '1 day 04:00')) v(d);
DROP TABLE t17s;

-- A mean beyond what avg(interval) can sum (more than 2^31 days in one variant): 25 cases
-- from 4713 BC to 287000 AD (about 106.5 million days each, 2.66 billion in all); avg fails,
-- variants() gives the exact mean, which here is that same span.
CREATE TABLE t17m (inv int, act text, ts timestamptz);
INSERT INTO t17m SELECT i, a, t FROM generate_series(1, 25) i,
  (VALUES ('a', timestamptz '4713-01-01 00:00:00+00 BC'), ('b', timestamptz '287000-01-01 00:00:00+00')) v(a, t);
SELECT cases, mean_throughput, mean_throughput = min_throughput AS mean_is_the_span, min_throughput = max_throughput AS one_span,
       median_throughput = min_throughput AS median_is_the_span
FROM collmine.variants('t17m', 'inv', 'act', 'ts');
SELECT avg(collmine.trace_throughput(t)) FROM (SELECT collmine.trace_agg(act, ts) AS t FROM t17m GROUP BY inv) s;
-- The Citus form of variants() sums each throughput's day and time parts on the shards and
-- divides with _mean_interval, as _variant_agg does: the same span here, where avg() fails ...
SELECT collmine._mean_interval(sum(extract(day FROM tp)), sum((extract(epoch FROM tp) - extract(day FROM tp) * 86400) * 1000000),
                               count(tp)) AS mean_from_parts
FROM (SELECT collmine.trace_throughput(collmine.trace_agg(act, ts)) AS tp FROM t17m GROUP BY inv) s;
-- ... and avg(interval)'s value where avg() answers (day and time parts divided separately:
-- 1 day 02:00 + 2 days 00:00:00.000001 + 20:00 = 3 days 22:00:00.000001, over 3: 1 day 07:20,
-- the third of a microsecond rounded away)
SELECT collmine._mean_interval(sum(extract(day FROM d)), sum((extract(epoch FROM d) - extract(day FROM d) * 86400) * 1000000),
                               count(d))::text AS mean_from_parts, avg(d)::text AS avg
FROM (VALUES (interval '1 day 02:00'), (interval '2 days 00:00:00.000001'), (interval '20:00')) v(d);
SELECT collmine._mean_interval(0, 0, 0) IS NULL AS no_throughputs;
DROP TABLE t17m;

-- Ties ordered by the activity sequence in byte order, checked against ORDER BY activities
-- COLLATE "C" on names that are prefixes of each other, or differ below the space (a tab) or
-- just above it ('!'): one case each, so every rank is decided by the sequence.
CREATE TABLE t17o (inv int, act text, ts timestamptz);
INSERT INTO t17o (inv, act, ts) SELECT inv, acts[k], timestamptz '2024-01-01' + k * interval '1 hour'
FROM (VALUES (1, ARRAY['a']), (2, ARRAY['a', 'x']), (3, ARRAY['a b']), (4, ARRAY[E'a\tb']), (5, ARRAY['a!']),
             (6, ARRAY['a', 'a']), (7, ARRAY['ab']), (8, ARRAY['a', 'x', 'a']), (9, ARRAY['B']), (10, ARRAY['a b', 'a'])) v(inv, acts),
     generate_subscripts(acts, 1) k;
SELECT array_agg(rank ORDER BY activities COLLATE "C") = array_agg(rank ORDER BY rank) AS byte_order,
       string_agg(replace(variant, E'\t', '<tab>'), ' | ' ORDER BY rank) AS ranked
FROM collmine.variants('t17o', 'inv', 'act', 'ts');
DROP TABLE t17o;
