-- collmine.dfg against the published statistics of two real logs and against an independent
-- plain-SQL computation (LEAD() over each case ordered by (timestamp, event_seq), GROUP BY):
--   rtfmp_100traces.csv  100 cases of the Road Traffic Fine Management Process
--   receipt.csv          the WABO "receipt phase" log, 1,434 cases, 8,577 events
-- (provenance: test/data/real-logs/README.md). Every check prints a count of mismatches that
-- must be 0, rather than the tables themselves.
CREATE SCHEMA dfg_real;
SET search_path = dfg_real, public;

CREATE TABLE raw (event_seq bigint, case_id text, activity text, ts text, c5 text, c6 text,
  c7 text, c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text);
CREATE TABLE ev (log text, event_seq bigint, case_id text, activity text, ts timestamptz);
\copy raw FROM 'test/data/real-logs/rtfmp_100traces.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO ev SELECT 'rtfmp', event_seq, case_id, activity, ts::timestamptz FROM raw;
TRUNCATE raw;
\copy raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO ev SELECT 'receipt', event_seq, case_id, activity, ts::timestamptz FROM raw;

CREATE TABLE maps AS
  SELECT log, collmine.dfg_agg(t) AS d
    FROM (SELECT log, case_id, collmine.trace_agg(activity, ts, event_seq) AS t
            FROM ev GROUP BY log, case_id) s
   GROUP BY log;

-- The published values, from the .json file next to each CSV ("dfg_all", "activity_counts",
-- "start_activities", "end_activities", "cases", "events"). Generated once with:
--   python3 -c 'import json ...' over test/data/real-logs/{rtfmp_100traces,receipt}.json:
--   for each edge e in dfg_all: (log, e["from"], e["to"], e["count"]); for each activity a in
--   activity_counts: (log, a, count, start_activities.get(a, 0), end_activities.get(a, 0))
CREATE TABLE pub_edges (log text, source text, target text, frequency bigint);
CREATE TABLE pub_acts (log text, activity text, events bigint, starts bigint, ends bigint);
CREATE TABLE pub_totals (log text, cases bigint, events bigint);
-- rtfmp_100traces.json: 100 cases, 390 events, 18 edges, 10 activities
INSERT INTO pub_edges VALUES
  ('rtfmp', 'Create Fine', 'Send Fine', 77),
  ('rtfmp', 'Send Fine', 'Insert Fine Notification', 56),
  ('rtfmp', 'Insert Fine Notification', 'Add penalty', 52),
  ('rtfmp', 'Add penalty', 'Send for Credit Collection', 36),
  ('rtfmp', 'Create Fine', 'Payment', 23),
  ('rtfmp', 'Add penalty', 'Payment', 20),
  ('rtfmp', 'Payment', 'Payment', 5),
  ('rtfmp', 'Send Fine', 'Payment', 5),
  ('rtfmp', 'Insert Fine Notification', 'Payment', 4),
  ('rtfmp', 'Payment', 'Add penalty', 4),
  ('rtfmp', 'Add penalty', 'Send Appeal to Prefecture', 1),
  ('rtfmp', 'Insert Date Appeal to Prefecture', 'Add penalty', 1),
  ('rtfmp', 'Insert Fine Notification', 'Insert Date Appeal to Prefecture', 1),
  ('rtfmp', 'Notify Result Appeal to Offender', 'Payment', 1),
  ('rtfmp', 'Payment', 'Insert Fine Notification', 1),
  ('rtfmp', 'Payment', 'Send Fine', 1),
  ('rtfmp', 'Receive Result Appeal from Prefecture', 'Notify Result Appeal to Offender', 1),
  ('rtfmp', 'Send Appeal to Prefecture', 'Receive Result Appeal from Prefecture', 1);
INSERT INTO pub_acts VALUES
  ('rtfmp', 'Add penalty', 57, 0, 0),
  ('rtfmp', 'Create Fine', 100, 100, 0),
  ('rtfmp', 'Insert Date Appeal to Prefecture', 1, 0, 0),
  ('rtfmp', 'Insert Fine Notification', 57, 0, 0),
  ('rtfmp', 'Notify Result Appeal to Offender', 1, 0, 0),
  ('rtfmp', 'Payment', 58, 0, 47),
  ('rtfmp', 'Receive Result Appeal from Prefecture', 1, 0, 0),
  ('rtfmp', 'Send Appeal to Prefecture', 1, 0, 0),
  ('rtfmp', 'Send Fine', 78, 0, 17),
  ('rtfmp', 'Send for Credit Collection', 36, 0, 36);
INSERT INTO pub_totals VALUES ('rtfmp', 100, 390);
-- receipt.json: 1434 cases, 8577 events, 99 edges, 27 activities
INSERT INTO pub_edges VALUES
  ('receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 1177),
  ('receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 1165),
  ('receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 1119),
  ('receipt', 'Confirmation of receipt', 'T02 Check confirmation of receipt', 1079),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T06 Determine necessity of stop advice', 791),
  ('receipt', 'Confirmation of receipt', 'T06 Determine necessity of stop advice', 239),
  ('receipt', 'T02 Check confirmation of receipt', 'T06 Determine necessity of stop advice', 178),
  ('receipt', 'T10 Determine necessity to stop indication', 'T02 Check confirmation of receipt', 155),
  ('receipt', 'T10 Determine necessity to stop indication', 'T04 Determine confirmation of receipt', 141),
  ('receipt', 'T04 Determine confirmation of receipt', 'T06 Determine necessity of stop advice', 103),
  ('receipt', 'T10 Determine necessity to stop indication', 'T05 Print and send confirmation of receipt', 102),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T10 Determine necessity to stop indication', 86),
  ('receipt', 'T06 Determine necessity of stop advice', 'T02 Check confirmation of receipt', 75),
  ('receipt', 'T03 Adjust confirmation of receipt', 'T02 Check confirmation of receipt', 51),
  ('receipt', 'T02 Check confirmation of receipt', 'T03 Adjust confirmation of receipt', 43),
  ('receipt', 'T06 Determine necessity of stop advice', 'T04 Determine confirmation of receipt', 43),
  ('receipt', 'T11 Create document X request unlicensed', 'T12 Check document X request unlicensed', 39),
  ('receipt', 'T06 Determine necessity of stop advice', 'T07-1 Draft intern advice aspect 1', 38),
  ('receipt', 'T12 Check document X request unlicensed', 'T14 Determine document X request unlicensed', 38),
  ('receipt', 'T14 Determine document X request unlicensed', 'T15 Print document X request unlicensed', 38),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T06 Determine necessity of stop advice', 34),
  ('receipt', 'T10 Determine necessity to stop indication', 'T11 Create document X request unlicensed', 34),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T06 Determine necessity of stop advice', 22),
  ('receipt', 'T06 Determine necessity of stop advice', 'T07-5 Draft intern advice aspect 5', 21),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 'T06 Determine necessity of stop advice', 21),
  ('receipt', 'T16 Report reasons to hold request', 'T17 Check report Y to stop indication', 20),
  ('receipt', 'T17 Check report Y to stop indication', 'T19 Determine report Y to stop indication', 20),
  ('receipt', 'T19 Determine report Y to stop indication', 'T20 Print report Y to stop indication', 20),
  ('receipt', 'T10 Determine necessity to stop indication', 'T16 Report reasons to hold request', 19),
  ('receipt', 'T06 Determine necessity of stop advice', 'T07-2 Draft intern advice aspect 2', 18),
  ('receipt', 'T04 Determine confirmation of receipt', 'T10 Determine necessity to stop indication', 17),
  ('receipt', 'T06 Determine necessity of stop advice', 'T05 Print and send confirmation of receipt', 16),
  ('receipt', 'T02 Check confirmation of receipt', 'T10 Determine necessity to stop indication', 15),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T11 Create document X request unlicensed', 10),
  ('receipt', 'T06 Determine necessity of stop advice', 'T08 Draft and send request for advice', 8),
  ('receipt', 'T08 Draft and send request for advice', 'T09-3 Process or receive external advice from party 3', 8),
  ('receipt', 'T04 Determine confirmation of receipt', 'T03 Adjust confirmation of receipt', 6),
  ('receipt', 'T06 Determine necessity of stop advice', 'T06 Determine necessity of stop advice', 6),
  ('receipt', 'T17 Check report Y to stop indication', 'T18 Adjust report Y to stop indicition', 6),
  ('receipt', 'T18 Adjust report Y to stop indicition', 'T17 Check report Y to stop indication', 6),
  ('receipt', 'T06 Determine necessity of stop advice', 'T07-3 Draft intern advice hold for aspect 3', 5),
  ('receipt', 'T07-4 Draft internal advice to hold for type 4', 'T06 Determine necessity of stop advice', 5),
  ('receipt', 'T08 Draft and send request for advice', 'T09-1 Process or receive external advice from party 1', 5),
  ('receipt', 'T09-1 Process or receive external advice from party 1', 'T06 Determine necessity of stop advice', 5),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T08 Draft and send request for advice', 4),
  ('receipt', 'T07-3 Draft intern advice hold for aspect 3', 'T07-2 Draft intern advice aspect 2', 4),
  ('receipt', 'T09-3 Process or receive external advice from party 3', 'T06 Determine necessity of stop advice', 4),
  ('receipt', 'T09-4 Process or receive external advice from party 4', 'T06 Determine necessity of stop advice', 4),
  ('receipt', 'T10 Determine necessity to stop indication', 'T03 Adjust confirmation of receipt', 4),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T07-2 Draft intern advice aspect 2', 3),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T07-5 Draft intern advice aspect 5', 3),
  ('receipt', 'T06 Determine necessity of stop advice', 'T07-4 Draft internal advice to hold for type 4', 3),
  ('receipt', 'T08 Draft and send request for advice', 'T09-4 Process or receive external advice from party 4', 3),
  ('receipt', 'T20 Print report Y to stop indication', 'T02 Check confirmation of receipt', 3),
  ('receipt', 'T02 Check confirmation of receipt', 'T07-1 Draft intern advice aspect 1', 2),
  ('receipt', 'T03 Adjust confirmation of receipt', 'T06 Determine necessity of stop advice', 2),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T08 Draft and send request for advice', 2),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T13 Adjust document X request unlicensed', 2),
  ('receipt', 'T06 Determine necessity of stop advice', 'T03 Adjust confirmation of receipt', 2),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T07-2 Draft intern advice aspect 2', 2),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T07-4 Draft internal advice to hold for type 4', 2),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T02 Check confirmation of receipt', 2),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T07-1 Draft intern advice aspect 1', 2),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T08 Draft and send request for advice', 2),
  ('receipt', 'T07-3 Draft intern advice hold for aspect 3', 'T06 Determine necessity of stop advice', 2),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 'T07-1 Draft intern advice aspect 1', 2),
  ('receipt', 'T09-1 Process or receive external advice from party 1', 'T07-3 Draft intern advice hold for aspect 3', 2),
  ('receipt', 'T09-3 Process or receive external advice from party 3', 'T07-2 Draft intern advice aspect 2', 2),
  ('receipt', 'T12 Check document X request unlicensed', 'T02 Check confirmation of receipt', 2),
  ('receipt', 'T20 Print report Y to stop indication', 'T05 Print and send confirmation of receipt', 2),
  ('receipt', 'T02 Check confirmation of receipt', 'T05 Print and send confirmation of receipt', 1),
  ('receipt', 'T02 Check confirmation of receipt', 'T07-2 Draft intern advice aspect 2', 1),
  ('receipt', 'T02 Check confirmation of receipt', 'T07-5 Draft intern advice aspect 5', 1),
  ('receipt', 'T04 Determine confirmation of receipt', 'T08 Draft and send request for advice', 1),
  ('receipt', 'T04 Determine confirmation of receipt', 'T14 Determine document X request unlicensed', 1),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T12 Check document X request unlicensed', 1),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T15 Print document X request unlicensed', 1),
  ('receipt', 'T05 Print and send confirmation of receipt', 'T16 Report reasons to hold request', 1),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T02 Check confirmation of receipt', 1),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 'T04 Determine confirmation of receipt', 1),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T05 Print and send confirmation of receipt', 1),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T07-3 Draft intern advice hold for aspect 3', 1),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 'T09-1 Process or receive external advice from party 1', 1),
  ('receipt', 'T07-3 Draft intern advice hold for aspect 3', 'T07-4 Draft internal advice to hold for type 4', 1),
  ('receipt', 'T07-3 Draft intern advice hold for aspect 3', 'T07-5 Draft intern advice aspect 5', 1),
  ('receipt', 'T07-4 Draft internal advice to hold for type 4', 'T07-2 Draft intern advice aspect 2', 1),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 'T08 Draft and send request for advice', 1),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 'T09-2 Process or receive external advice from party 2', 1),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 'T09-4 Process or receive external advice from party 4', 1),
  ('receipt', 'T08 Draft and send request for advice', 'T07-1 Draft intern advice aspect 1', 1),
  ('receipt', 'T08 Draft and send request for advice', 'T07-5 Draft intern advice aspect 5', 1),
  ('receipt', 'T09-2 Process or receive external advice from party 2', 'T09-4 Process or receive external advice from party 4', 1),
  ('receipt', 'T09-3 Process or receive external advice from party 3', 'T04 Determine confirmation of receipt', 1),
  ('receipt', 'T09-3 Process or receive external advice from party 3', 'T09-1 Process or receive external advice from party 1', 1),
  ('receipt', 'T09-4 Process or receive external advice from party 4', 'T07-2 Draft intern advice aspect 2', 1),
  ('receipt', 'T11 Create document X request unlicensed', 'T04 Determine confirmation of receipt', 1),
  ('receipt', 'T12 Check document X request unlicensed', 'T04 Determine confirmation of receipt', 1),
  ('receipt', 'T13 Adjust document X request unlicensed', 'T12 Check document X request unlicensed', 1),
  ('receipt', 'T14 Determine document X request unlicensed', 'T05 Print and send confirmation of receipt', 1);
INSERT INTO pub_acts VALUES
  ('receipt', 'Confirmation of receipt', 1434, 1434, 116),
  ('receipt', 'T02 Check confirmation of receipt', 1368, 0, 8),
  ('receipt', 'T03 Adjust confirmation of receipt', 55, 0, 2),
  ('receipt', 'T04 Determine confirmation of receipt', 1307, 0, 2),
  ('receipt', 'T05 Print and send confirmation of receipt', 1300, 0, 400),
  ('receipt', 'T06 Determine necessity of stop advice', 1416, 0, 16),
  ('receipt', 'T07-1 Draft intern advice aspect 1', 45, 0, 1),
  ('receipt', 'T07-2 Draft intern advice aspect 2', 32, 0, 1),
  ('receipt', 'T07-3 Draft intern advice hold for aspect 3', 8, 0, 0),
  ('receipt', 'T07-4 Draft internal advice to hold for type 4', 6, 0, 0),
  ('receipt', 'T07-5 Draft intern advice aspect 5', 27, 0, 1),
  ('receipt', 'T08 Draft and send request for advice', 18, 0, 0),
  ('receipt', 'T09-1 Process or receive external advice from party 1', 7, 0, 0),
  ('receipt', 'T09-2 Process or receive external advice from party 2', 1, 0, 0),
  ('receipt', 'T09-3 Process or receive external advice from party 3', 8, 0, 0),
  ('receipt', 'T09-4 Process or receive external advice from party 4', 5, 0, 0),
  ('receipt', 'T10 Determine necessity to stop indication', 1283, 0, 828),
  ('receipt', 'T11 Create document X request unlicensed', 44, 0, 4),
  ('receipt', 'T12 Check document X request unlicensed', 41, 0, 0),
  ('receipt', 'T13 Adjust document X request unlicensed', 2, 0, 1),
  ('receipt', 'T14 Determine document X request unlicensed', 39, 0, 0),
  ('receipt', 'T15 Print document X request unlicensed', 39, 0, 39),
  ('receipt', 'T16 Report reasons to hold request', 20, 0, 0),
  ('receipt', 'T17 Check report Y to stop indication', 26, 0, 0),
  ('receipt', 'T18 Adjust report Y to stop indicition', 6, 0, 0),
  ('receipt', 'T19 Determine report Y to stop indication', 20, 0, 0),
  ('receipt', 'T20 Print report Y to stop indication', 20, 0, 15);
INSERT INTO pub_totals VALUES ('receipt', 1434, 8577);

CREATE TABLE our_edges AS SELECT m.log, e.* FROM maps m, collmine.dfg_edges(m.d) e;
CREATE TABLE our_acts AS SELECT m.log, a.* FROM maps m, collmine.dfg_activities(m.d) a;

-- totals
SELECT m.log, collmine.dfg_cases(d) AS cases, collmine.dfg_events(d) AS events,
       collmine.dfg_cases(d) = p.cases AND collmine.dfg_events(d) = p.events AS as_published,
       collmine.dfg_skipped(d) AS skipped
  FROM maps m JOIN pub_totals p USING (log) ORDER BY log;

-- every edge count equals the published one (an edge missing on either side counts too)
SELECT coalesce(o.log, p.log) AS log, count(*) AS edges,
       count(*) FILTER (WHERE o.frequency IS DISTINCT FROM p.frequency) AS mismatches
  FROM our_edges o FULL JOIN pub_edges p USING (log, source, target)
 GROUP BY 1 ORDER BY 1;

-- every activity count, start count and end count equals the published one
SELECT coalesce(o.log, p.log) AS log, count(*) AS activities,
       count(*) FILTER (WHERE o.events IS DISTINCT FROM p.events OR o.starts IS DISTINCT FROM p.starts
                          OR o.ends IS DISTINCT FROM p.ends) AS mismatches
  FROM our_acts o FULL JOIN pub_acts p USING (log, activity)
 GROUP BY 1 ORDER BY 1;

-- the independent plain-SQL process map: consecutive events of each case
CREATE TABLE steps AS
  SELECT log, case_id, activity AS source,
         lead(activity) OVER w AS target,
         lead(ts) OVER w - ts AS dur,
         row_number() OVER w AS pos,
         count(*) OVER (PARTITION BY log, case_id) AS n
    FROM ev
  WINDOW w AS (PARTITION BY log, case_id ORDER BY ts, event_seq);
CREATE FUNCTION usecs(interval) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS $$ SELECT extract(epoch FROM $1)::numeric * 1000000 $$;
CREATE TABLE sql_edges AS
  SELECT log, source, target, count(*) AS frequency, count(DISTINCT case_id) AS cases,
         min(dur) AS min_duration, max(dur) AS max_duration,
         round(avg(usecs(dur))) AS mean_us,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY dur) AS p50,
         percentile_disc(0.9) WITHIN GROUP (ORDER BY dur) AS p90,
         percentile_disc(0.95) WITHIN GROUP (ORDER BY dur) AS p95
    FROM steps WHERE target IS NOT NULL
   GROUP BY log, source, target;
CREATE TABLE sql_acts AS
  SELECT log, source AS activity, count(*) AS events, count(DISTINCT case_id) AS cases,
         count(*) FILTER (WHERE pos = 1) AS starts, count(*) FILTER (WHERE pos = n) AS ends
    FROM steps GROUP BY log, source;

-- edges: count, cases, min, max and mean duration equal the plain-SQL ones exactly
SELECT coalesce(o.log, s.log) AS log, count(*) AS edges,
       count(*) FILTER (WHERE o.frequency IS DISTINCT FROM s.frequency
                          OR o.cases IS DISTINCT FROM s.cases) AS count_mismatches,
       count(*) FILTER (WHERE o.min_duration IS DISTINCT FROM s.min_duration
                          OR o.max_duration IS DISTINCT FROM s.max_duration
                          OR usecs(o.mean_duration) IS DISTINCT FROM s.mean_us) AS duration_mismatches
  FROM our_edges o FULL JOIN sql_edges s USING (log, source, target)
 GROUP BY 1 ORDER BY 1;

-- activities: events, cases, starts and ends equal the plain-SQL ones
SELECT coalesce(o.log, s.log) AS log, count(*) AS activities,
       count(*) FILTER (WHERE o.events IS DISTINCT FROM s.events OR o.cases IS DISTINCT FROM s.cases
                          OR o.starts IS DISTINCT FROM s.starts OR o.ends IS DISTINCT FROM s.ends)
         AS mismatches
  FROM our_acts o FULL JOIN sql_acts s USING (log, activity)
 GROUP BY 1 ORDER BY 1;

-- The sketch's guarantee: every median, p90 and p95 is within 1% of percentile_disc's value
-- over the same durations (and exactly 0 when that is 0), on every edge of both logs.
SELECT o.log, count(*) AS edges,
       count(*) FILTER (WHERE abs(usecs(o.median_duration) - usecs(s.p50)) > 0.01 * usecs(s.p50)) AS median_off,
       count(*) FILTER (WHERE abs(usecs(o.p90_duration) - usecs(s.p90)) > 0.01 * usecs(s.p90)) AS p90_off,
       count(*) FILTER (WHERE abs(usecs(o.p95_duration) - usecs(s.p95)) > 0.01 * usecs(s.p95)) AS p95_off,
       count(*) FILTER (WHERE s.p50 = '0' OR s.p90 = '0' OR s.p95 = '0') AS edges_with_zero_quantiles
  FROM our_edges o JOIN sql_edges s USING (log, source, target)
 GROUP BY o.log ORDER BY o.log;

-- and the estimate is not trivially exact: how many quantiles differ from percentile_disc at all
SELECT o.log,
       count(*) FILTER (WHERE o.median_duration <> s.p50) > 0 AS some_medians_approximate
  FROM our_edges o JOIN sql_edges s USING (log, source, target)
 GROUP BY o.log ORDER BY o.log;

DROP SCHEMA dfg_real CASCADE;
