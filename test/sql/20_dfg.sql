-- collmine.dfg on hand-checkable inputs: the 6-case running example of the process-mining
-- textbooks, a small weighted invoice log, edge cases, filters and renderings.
CREATE SCHEMA dfg_test;
SET search_path = dfg_test, public;
SET IntervalStyle = postgres;

-- the running example (test/data/real-logs/running_example.csv), traces ordered by
-- (timestamp, event_seq)
CREATE TABLE running_raw (event_seq bigint, case_id text, activity text, ts text, resource text,
  lifecycle text, activity2 text, costs text, resource2 text, creator text);
\copy running_raw FROM 'test/data/real-logs/running_example.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE running AS
  SELECT event_seq, case_id, activity, ts::timestamptz AS ts FROM running_raw;
CREATE TABLE running_traces AS
  SELECT case_id, collmine.trace_agg(activity, ts, event_seq) AS t FROM running GROUP BY case_id;
CREATE TABLE running_map AS SELECT collmine.dfg_agg(t) AS d FROM running_traces;

-- totals: 6 cases, 42 events (running_example.json "cases", "events"); unweighted maps weigh
-- every case 1, so the weight is the number of cases
SELECT collmine.dfg_cases(d), collmine.dfg_events(d), collmine.dfg_skipped(d), collmine.dfg_weight(d)
  FROM running_map;

-- every edge with its count, as published in running_example.json ("dfg_all", 16 edges,
-- 36 occurrences), copied here as literals
CREATE TABLE running_pub_edges (source text, target text, frequency bigint);
INSERT INTO running_pub_edges VALUES
  ('check ticket', 'decide', 6), ('examine casually', 'check ticket', 4),
  ('decide', 'pay compensation', 3), ('decide', 'reinitiate request', 3),
  ('decide', 'reject request', 3), ('register request', 'examine casually', 3),
  ('check ticket', 'examine casually', 2), ('examine casually', 'decide', 2),
  ('examine thoroughly', 'check ticket', 2), ('register request', 'check ticket', 2),
  ('check ticket', 'examine thoroughly', 1), ('examine thoroughly', 'decide', 1),
  ('register request', 'examine thoroughly', 1), ('reinitiate request', 'check ticket', 1),
  ('reinitiate request', 'examine casually', 1), ('reinitiate request', 'examine thoroughly', 1);
-- activity counts ("activity_counts"), starts ("start_activities") and ends ("end_activities")
CREATE TABLE running_pub_acts (activity text, events bigint, starts bigint, ends bigint);
INSERT INTO running_pub_acts VALUES
  ('check ticket', 9, 0, 0), ('decide', 9, 0, 0), ('register request', 6, 6, 0),
  ('examine casually', 6, 0, 0), ('reinitiate request', 3, 0, 0), ('examine thoroughly', 3, 0, 0),
  ('pay compensation', 3, 0, 3), ('reject request', 3, 0, 3);

-- both differences are empty
(SELECT source, target, frequency FROM collmine.dfg_edges((SELECT d FROM running_map))
 EXCEPT SELECT * FROM running_pub_edges)
UNION ALL
(SELECT * FROM running_pub_edges
 EXCEPT SELECT source, target, frequency FROM collmine.dfg_edges((SELECT d FROM running_map)));
(SELECT activity, events, starts, ends FROM collmine.dfg_activities((SELECT d FROM running_map))
 EXCEPT SELECT * FROM running_pub_acts)
UNION ALL
(SELECT * FROM running_pub_acts
 EXCEPT SELECT activity, events, starts, ends FROM collmine.dfg_activities((SELECT d FROM running_map)));

-- the whole edge table, most frequent first (ties by source, then target)
SELECT source, target, frequency, cases, min_duration, mean_duration, max_duration
  FROM collmine.dfg_edges((SELECT d FROM running_map));

-- durations worked out by hand from the CSV:
--   register request -> examine casually:
--     case 3  2010-12-30 14:32 -> 15:06              34 min
--     case 6  2011-01-06 15:02 -> 16:06            1 h 04 min
--     case 5  2011-01-06 09:02 -> 01-07 10:16  1 d 1 h 14 min  (1514 min)
--     min 00:34, max 1 day 01:14, mean (34+64+1514)/3 min = 537 min 20 s = 08:57:20,
--     true median 01:04:00
--   decide -> pay compensation:
--     case 2  01-05 11:22 -> 01-08 12:05   3 d 00:43
--     case 3  01-09 09:55 -> 01-15 10:45   6 d 00:50
--     case 6  01-07 16:52 -> 01-16 11:47   8 d 18:55
--     min 3 days 00:43, max 8 days 18:55, true median 6 days 00:50
-- the sketch's medians are within 1% of the true ones
SELECT source, target, min_duration, mean_duration, max_duration,
       abs(extract(epoch FROM median_duration) - extract(epoch FROM true_median))
         <= 0.01 * extract(epoch FROM true_median) AS median_within_1pct
  FROM collmine.dfg_edges((SELECT d FROM running_map))
  JOIN (VALUES ('register request', 'examine casually', interval '01:04:00'),
               ('decide', 'pay compensation', interval '6 days 00:50')) AS h(s, t, true_median)
    ON source = s AND target = t
 ORDER BY source;

-- cases per activity and per edge (a loop counts its case once)
--   reinitiate request: 3 events in 2 cases (3 once, 5 twice); decide -> reinitiate request: 3, 2
SELECT activity, events, cases FROM collmine.dfg_activities((SELECT d FROM running_map))
 WHERE activity = 'reinitiate request';
SELECT source, target, frequency, cases FROM collmine.dfg_edges((SELECT d FROM running_map))
 WHERE target = 'reinitiate request';

-- the text form round-trips exactly, and so does the binary form
SELECT d::text::collmine.dfg::text = d::text AS text_round_trip,
       collmine.dfg_from_binary(collmine.dfg_send(d))::text = d::text AS binary_round_trip
  FROM running_map;

-- the result does not depend on the order of the input rows
SELECT (SELECT collmine.dfg_agg(t ORDER BY case_id DESC) FROM running_traces)::text = d::text
       AS order_independent
  FROM running_map;

------------------------------------------------------------------------------------------------
-- a weighted map: five invoices, the case weight is the invoice amount
------------------------------------------------------------------------------------------------
CREATE TABLE inv_events (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO inv_events VALUES
  ('INV-1', 'Invoice Generated',     '2024-01-01 09:00+00', 1),
  ('INV-1', 'Invoice Sent',          '2024-01-01 10:00+00', 2),
  ('INV-1', 'Payment Received',      '2024-01-20 10:00+00', 3),
  ('INV-1', 'Invoice Settled',       '2024-01-21 10:00+00', 4),
  ('INV-2', 'Invoice Generated',     '2024-01-02 09:00+00', 1),
  ('INV-2', 'Invoice Sent',          '2024-01-02 10:00+00', 2),
  ('INV-2', 'Overdue Reminder Sent', '2024-02-05 09:00+00', 3),
  ('INV-2', 'Payment Received',      '2024-02-10 09:00+00', 4),
  ('INV-2', 'Invoice Settled',       '2024-02-11 09:00+00', 5),
  ('INV-3', 'Invoice Generated',     '2024-01-03 09:00+00', 1),
  ('INV-3', 'Invoice Sent',          '2024-01-03 10:00+00', 2),
  ('INV-3', 'Overdue Reminder Sent', '2024-02-05 09:00+00', 3),
  ('INV-3', 'Overdue Reminder Sent', '2024-03-05 09:00+00', 4),
  ('INV-3', 'Invoice Written Off',   '2024-06-30 09:00+00', 5),
  ('INV-4', 'Invoice Generated',     '2024-01-04 09:00+00', 1),
  ('INV-4', 'Invoice Sent',          '2024-01-04 10:00+00', 2),
  ('INV-4', 'Payment Received',      '2024-01-10 09:00+00', 3),
  ('INV-4', 'Invoice Settled',       '2024-01-10 09:00+00', 4),
  ('INV-5', 'Invoice Generated',     '2024-01-05 09:00+00', 1),
  ('INV-5', 'Invoice Sent',          '2024-01-05 12:00+00', 2);
CREATE TABLE invoices (case_id text, amount numeric);
INSERT INTO invoices VALUES
  ('INV-1', 1000.00), ('INV-2', 250.50), ('INV-3', 80.12345), ('INV-4', -40), ('INV-5', NULL);
-- weights are fixed point with 4 decimals, rounded half away from zero: 80.12345 -> 80.1235;
-- a negative amount (a credit) is summed as such; a NULL amount counts the case with weight 0
CREATE TABLE inv_map AS
  SELECT collmine.dfg_agg(tr.t, i.amount) AS d
    FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM inv_events GROUP BY case_id) tr
    JOIN invoices i USING (case_id);

-- total weight 1000 + 250.5 + 80.1235 - 40 + 0 = 1290.6235
SELECT collmine.dfg_cases(d), collmine.dfg_events(d), collmine.dfg_weight(d) FROM inv_map;

-- per activity (weight = sum of the amounts of the cases that contain it, once per case):
--   Invoice Generated      5 events, 5 cases, 5 starts          1290.6235
--   Invoice Sent           5 events, 5 cases, 1 end (INV-5)     1290.6235
--   Invoice Settled        3 events, 3 cases, 3 ends            1000 + 250.5 - 40 = 1210.5000
--   Overdue Reminder Sent  3 events, 2 cases (INV-3 twice)      250.5 + 80.1235 = 330.6235
--   Payment Received       3 events, 3 cases                    1210.5000
--   Invoice Written Off    1 event,  1 case,  1 end             80.1235
SELECT * FROM collmine.dfg_activities((SELECT d FROM inv_map));

-- per edge (weight = sum over occurrences of the case amount):
--   Generated -> Sent             5 (5 cases)   1290.6235
--   Payment Received -> Settled   3             1210.5000
--   Sent -> Overdue Reminder      2             250.5 + 80.1235 = 330.6235
--   Sent -> Payment Received      2             1000 - 40 = 960.0000
--   Overdue -> Overdue            1             80.1235
--   Overdue -> Payment Received   1             250.5000
--   Overdue -> Written Off        1             80.1235
-- durations: Generated -> Sent takes 1h in INV-1..4 and 3h in INV-5: min 01:00, median 01:00
-- (the sketch says 01:00:23, within 1%), mean 7h/5 = 01:24, max 03:00; Payment Received ->
-- Settled takes 1 day, 1 day and 0 (INV-4): min 0, median 1 day, max 1 day, mean 16:00;
-- Sent -> Payment Received takes 19 days (INV-1) and 5 days 23h (INV-4): percentile_disc's
-- median is the lower one, 5 days 23:00 (sketch: 5 days 23:32:42, 0.4% off), mean 12 days 11:30
SELECT source, target, frequency, cases, weight, min_duration, mean_duration,
       median_duration, max_duration
  FROM collmine.dfg_edges((SELECT d FROM inv_map));

-- the text form of a small map: names sorted bytewise, edges by (from, to), weights with 4
-- decimals, durations in microseconds, sketches as [bucket, count] pairs
SELECT d::text FROM inv_map;

-- unweighted, every case weighs 1: activity weight = cases, edge weight = frequency
SELECT count(*) FILTER (WHERE weight <> cases) AS activity_weight_not_cases
  FROM collmine.dfg_activities((SELECT collmine.dfg_agg(t) FROM running_traces));
SELECT count(*) FILTER (WHERE weight <> frequency) AS edge_weight_not_frequency
  FROM collmine.dfg_edges((SELECT collmine.dfg_agg(t) FROM running_traces));

------------------------------------------------------------------------------------------------
-- edge cases
------------------------------------------------------------------------------------------------
-- no rows: NULL, like every other aggregate; same for dfg_union of nothing
SELECT collmine.dfg_agg(t) IS NULL AS agg_of_nothing FROM running_traces WHERE false;
SELECT collmine.dfg_union(d) IS NULL AS union_of_nothing FROM running_map WHERE false;
-- NULL traces are left out, as aggregates do
SELECT collmine.dfg_agg(NULL::collmine.trace) IS NULL AS all_null;
SELECT collmine.dfg_cases(collmine.dfg_agg(t))
  FROM (SELECT t FROM running_traces UNION ALL SELECT NULL) s;
-- a trace whose only event has a NULL activity has no events: it still counts as a case (with
-- no start and no end), and its left-out event is counted as skipped
-- a single-event trace starts and ends with its one activity and has no edge
SELECT collmine.dfg_cases(d), collmine.dfg_events(d), collmine.dfg_skipped(d),
       (SELECT count(*) FROM collmine.dfg_edges(d)) AS edges
  FROM (SELECT collmine.dfg_agg(t) AS d
          FROM (SELECT collmine.trace_agg(a, ts) AS t
                  FROM (VALUES ('c1', NULL, timestamptz '2024-01-01 00:00+00'),
                               ('c2', 'Invoice Generated', '2024-01-01 00:00+00')) v(c, a, ts)
                 GROUP BY c) s) m;
SELECT * FROM collmine.dfg_activities((SELECT collmine.dfg_agg(t) FROM (
  SELECT collmine.trace_agg('Invoice Generated', timestamptz '2024-01-01 00:00+00') AS t) s));
-- zero durations go to the sketch's zero bucket and give exactly 0
SELECT source, target, frequency, min_duration, median_duration, max_duration
  FROM collmine.dfg_edges((SELECT collmine.dfg_agg(t) FROM (
    SELECT collmine.trace_agg(a, timestamptz '2024-01-01 00:00+00', o) AS t
      FROM (VALUES ('x', 1), ('y', 2)) v(a, o)) s));

------------------------------------------------------------------------------------------------
-- merging
------------------------------------------------------------------------------------------------
-- dfg_merge and dfg_union over any split give the same map as one dfg_agg
SELECT collmine.dfg_merge(a.d, b.d)::text = m.d::text AS merge_equals_agg
  FROM (SELECT collmine.dfg_agg(t) d FROM running_traces WHERE case_id IN ('1', '2')) a,
       (SELECT collmine.dfg_agg(t) d FROM running_traces WHERE case_id NOT IN ('1', '2')) b,
       running_map m;
SELECT (SELECT collmine.dfg_union(d) FROM (
          SELECT collmine.dfg_agg(t) d FROM running_traces GROUP BY case_id) s)::text = m.d::text
       AS union_equals_agg
  FROM running_map m;
-- as a window aggregate: the running map grows case by case (cases 1..6 have 5, 5, 9, 5, 13
-- and 5 events: running totals 5, 10, 19, 24, 37, 42)
SELECT case_id, collmine.dfg_cases(m), collmine.dfg_events(m)
  FROM (SELECT case_id, collmine.dfg_agg(t) OVER (ORDER BY case_id) AS m FROM running_traces) s
 ORDER BY case_id;
-- merging a weighted and an unweighted map just adds
SELECT collmine.dfg_weight(collmine.dfg_merge(m.d, i.d)) FROM running_map m, inv_map i;

------------------------------------------------------------------------------------------------
-- the filter sliders
------------------------------------------------------------------------------------------------
-- activities 0.5 of 8 keeps 4: check ticket (9), decide (9), examine casually (6) and register
-- request (6; ties by name). Of the 6 edges between them, paths 0.5 keeps 3: check ticket ->
-- decide (6), examine casually -> check ticket (4), register request -> examine casually (3).
-- Every kept activity already has its most frequent in- and outgoing edge among them.
SELECT source, target, frequency FROM collmine.dfg_edges(
  collmine.dfg_filter((SELECT d FROM running_map), 0.5, 0.5));
SELECT activity, events FROM collmine.dfg_activities(
  collmine.dfg_filter((SELECT d FROM running_map), 0.5, 0.5));
-- paths 0.01 keeps ceil(0.01 * 16) = 1 edge, plus each activity's most frequent in- and
-- outgoing edge, so nothing is disconnected. In frequency order: check ticket -> decide (the 1),
-- examine casually -> check ticket (first out of examine casually), decide -> pay compensation,
-- decide -> reinitiate request, decide -> reject request (first into each), register request ->
-- examine casually (first out of register request), examine thoroughly -> check ticket (first
-- out), check ticket -> examine thoroughly (first in), reinitiate request -> check ticket (first
-- out): 9 edges
SELECT source, target, frequency FROM collmine.dfg_edges(
  collmine.dfg_filter((SELECT d FROM running_map), paths => 0.01));
-- 1.0 and 1.0 keep everything: the same map, not flagged as filtered
SELECT collmine.dfg_filter(d)::text = d::text AS unchanged FROM running_map;
-- a filtered map is still a valid value (it says "filtered":true) and round-trips
SELECT f::text::collmine.dfg::text = f::text AS filtered_round_trip,
       f::text LIKE '{"v":1,"filtered":true,%' AS flagged
  FROM (SELECT collmine.dfg_filter(d, 0.3) AS f FROM running_map) s;

------------------------------------------------------------------------------------------------
-- renderings
------------------------------------------------------------------------------------------------
SELECT collmine.dfg_to_dot(d) FROM inv_map;
SELECT collmine.dfg_to_dot(d, 'performance') FROM inv_map;
SELECT collmine.dfg_to_mermaid(d, 'weight') FROM inv_map;
-- names that would break the syntax are escaped: quotes, backslashes, newlines, Mermaid's
-- special characters
SELECT collmine.dfg_to_dot(d), collmine.dfg_to_mermaid(d)
  FROM (SELECT collmine.dfg_agg(t) AS d FROM (SELECT collmine.trace_agg(a, ts) AS t
          FROM (VALUES (E'say "hi"\\', timestamptz '2024-01-01 00:00+00'),
                       (E'two\nlines <b>#1</b> | `x` & y', '2024-01-01 00:30+00')) v(a, ts)) s) m;
-- equal maps render identically
SELECT collmine.dfg_to_dot(d) = collmine.dfg_to_dot(d::text::collmine.dfg) AS deterministic
  FROM running_map;

DROP SCHEMA dfg_test CASCADE;
