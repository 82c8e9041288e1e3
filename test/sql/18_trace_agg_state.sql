-- trace_agg's compact state: events sorted in place only when they arrived out of order, ties
-- broken bytewise, states that grow, dictionaries that grow, and a final function that leaves
-- the state usable (running traces as a window aggregate).
SET timezone = 'UTC';
CREATE SCHEMA t18;

-- ties on (ts, ord) arriving in descending name order: the trace orders them bytewise
-- ('B' 0x42 < 'a' 0x61 < 'ab' < 'b'), as trace_in's canonical form does
SELECT collmine.trace_agg(act, ts, 1)::text AS t,
       collmine.trace_agg(act, ts, 1)::text = '{"v":1,"skipped":0,"events":[["B","2024-01-01T00:00:00Z",1],["a","2024-01-01T00:00:00Z",1],["ab","2024-01-01T00:00:00Z",1],["b","2024-01-01T00:00:00Z",1]]}'::collmine.trace::text AS canonical
FROM (VALUES ('b', timestamptz '2024-01-01'), ('ab', '2024-01-01'), ('a', '2024-01-01'), ('B', '2024-01-01')) v(act, ts);

-- 40 events over 30 activities (the state and the query dictionary both grow), fed in order,
-- reversed and shuffled: the same trace each time (in-order, insertion-sort and qsort paths)
CREATE TABLE t18.ev AS
  SELECT i, 'act ' || (i % 30) AS act, timestamptz '2024-01-01' + (i / 2) * interval '1 hour' AS ts
  FROM generate_series(1, 40) i;
SELECT count(DISTINCT t::text) AS distinct_traces, min(collmine.trace_length(t)) AS events,
       min(cardinality(ARRAY(SELECT DISTINCT unnest(collmine.trace_activities(t))))) AS activities
FROM (SELECT collmine.trace_agg(act, ts) AS t FROM (SELECT * FROM t18.ev ORDER BY i) s
      UNION ALL SELECT collmine.trace_agg(act, ts) FROM (SELECT * FROM t18.ev ORDER BY i DESC) s
      UNION ALL SELECT collmine.trace_agg(act, ts) FROM (SELECT * FROM t18.ev ORDER BY md5(i::text)) s
      UNION ALL SELECT collmine.trace_agg(act, ts) FROM ((SELECT * FROM t18.ev WHERE i <= 12 ORDER BY md5(i::text))
                                                          UNION ALL (SELECT * FROM t18.ev WHERE i > 12 ORDER BY i)) s) x;

-- as a running window aggregate the final function is called after every row and further
-- rows are added to the same state: each prefix trace equals the trace built from that prefix
-- (rows arrive out of time order, so the state is sorted in place between additions)
CREATE TABLE t18.shifted AS
  SELECT i, act, CASE WHEN i % 3 = 0 THEN ts - interval '1 day' ELSE ts END AS ts FROM t18.ev;
SELECT count(*) AS prefixes,
       count(*) FILTER (WHERE w::text = (SELECT collmine.trace_agg(act, ts)::text FROM t18.shifted e2 WHERE e2.i <= x.i)) AS equal
FROM (SELECT i, collmine.trace_agg(act, ts) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS w
      FROM t18.shifted) x;

-- the final function sizes a trace by the whole query dictionary when that holds at most 4 kB
-- of names, and counts the trace's own names first otherwise: 150 activities of 43 bytes
-- (6.4 kB) in one query take the second path; the per-case subquery starts with a small
-- dictionary (the first path) that grows as it is re-run; every trace equals the canonical
-- value (text, size) that trace_in builds
CREATE TABLE t18.big AS
  SELECT c, 'activity number ' || lpad(((c * 7 + k * 13) % 150)::text, 3, '0') || ' with a long enough name' AS act,
         timestamptz '2024-01-01' + (k * interval '1 hour') AS ts
  FROM generate_series(1, 60) c, generate_series(1, 3 + c % 6) k;
SELECT (SELECT sum(length(a)) FROM (SELECT DISTINCT act AS a FROM t18.big) d) > 4096 AS big_dictionary,
       count(*) AS cases,
       count(*) FILTER (WHERE t::text = t::text::collmine.trace::text
                          AND pg_column_size(t) = pg_column_size(t::text::collmine.trace)) AS canonical,
       count(*) FILTER (WHERE t::text = (SELECT collmine.trace_agg(act, ts)::text FROM t18.big b WHERE b.c = x.c)
                          AND pg_column_size(t) = (SELECT pg_column_size(collmine.trace_agg(act, ts)) FROM t18.big b WHERE b.c = x.c)) AS same_alone
FROM (SELECT c, collmine.trace_agg(act, ts) AS t FROM t18.big GROUP BY c) x;

-- the state stores each event as differences to the previous one: the extreme order keys (their
-- difference wraps around 64 bits) and the earliest and a far-future timestamp, fed out of
-- order, come back exactly, in canonical order, with the NULL key last at its timestamp
SELECT collmine.trace_agg(act, ts, ord)::text AS t,
       collmine.trace_agg(act, ts, ord)::text = collmine.trace_agg(act, ts, ord)::text::collmine.trace::text AS canonical
FROM (VALUES ('d', timestamptz '200000-01-01 00:00:00+00', 9223372036854775806),
             ('a', timestamptz '4714-11-24 00:00:00+00 BC', -9223372036854775808),
             ('c', timestamptz '200000-01-01 00:00:00+00', NULL),
             ('b', timestamptz '2024-01-01 00:00:00.000001+00', -1),
             ('b', timestamptz '2024-01-01 00:00:00+00', 9223372036854775806)) v(act, ts, ord);

DROP SCHEMA t18 CASCADE;
