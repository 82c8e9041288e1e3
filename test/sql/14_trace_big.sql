-- A single case with 100,000 events, and one with 100,000 distinct activities: built,
-- queried and round-tripped without trouble.
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
CREATE SCHEMA t14;
-- 100,000 events cycling through 7 activities, one second apart
CREATE TABLE t14.big AS
  SELECT collmine.trace_agg('A' || (i % 7), '2024-01-01'::timestamptz + i * interval '1 second', i) AS t
  FROM generate_series(1, 100000) i;
-- length 100000; 7 distinct, so rework 99993; throughput 99999 s = 1 day 03:46:39;
-- 99999 steps; as of 2024-01-01 00:00:10 the prefix holds events 1..10
SELECT collmine.trace_length(t), collmine.trace_rework(t), collmine.trace_throughput(t),
       (SELECT count(*) FROM collmine.trace_steps(t)) AS steps,
       collmine.trace_length(collmine.trace_as_of(t, '2024-01-01 00:00:10')) AS prefix_len,
       collmine.trace_count(t, 'A0') AS a0,   -- i % 7 = 0 for i in 7..99995: 14285 values
       collmine.trace_matches(t, '.*') AS any,
       collmine.trace_matches(t, '("A1" "A2" "A3" "A4" "A5" "A6" "A0")* ("A1" "A2" "A3" "A4" "A5")') AS cyclic,
       collmine.trace_matches(t, '.* "A3" "A3" .*') AS never_twice
FROM t14.big;
SELECT t::text::collmine.trace::text = t::text AS text_roundtrip,
       collmine.trace_from_binary(collmine.trace_send(t))::text = t::text AS binary_roundtrip,
       length(t::text) AS text_length
FROM t14.big;

-- 100,000 distinct activities: no rework, the dictionary holds them all
SELECT collmine.trace_length(t), collmine.trace_rework(t), collmine.trace_count(t, 'act 99999') AS last_one,
       collmine.trace_end_activity(t)
FROM (SELECT collmine.trace_agg('act ' || i, '2024-01-01'::timestamptz + i * interval '1 minute') AS t
      FROM generate_series(1, 100000) i) s;

DROP SCHEMA t14 CASCADE;
