-- variants() groups cases by the 64-bit variant id; _variant_rep keeps each group's first trace
-- and checks every other trace of the group against it, so an id collision is an error.
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
