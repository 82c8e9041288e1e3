-- Trace engine on a hand-made invoice log: every function, with the expected value worked out
-- by hand in the comment above each query.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
CREATE SCHEMA t10;
CREATE TABLE t10.ev (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO t10.ev VALUES
  ('INV-1', 'Invoice Generated',        '2024-01-01 09:00', 1),
  ('INV-1', 'Invoice Sent to Customer', '2024-01-01 09:00', 2),  -- same time: ord decides
  ('INV-1', 'Payment Due Date Passed',  '2024-01-31 00:00', 3),
  ('INV-1', 'Overdue Reminder Sent',    '2024-02-02 08:00', 4),
  ('INV-1', 'Overdue Reminder Sent',    '2024-02-09 08:00', 5),
  ('INV-1', 'Collection Call Made',     '2024-02-12 14:30', 6),
  ('INV-1', 'Payment Received',         '2024-02-15 00:00', 7),
  ('INV-1', 'Payment Posted',           '2024-02-16 12:00', 8),
  ('INV-1', 'Invoice Settled',          '2024-02-16 12:00', 9),
  ('INV-2', 'Invoice Generated',        '2024-01-05 10:00', 1),
  ('INV-2', 'Payment Received',         '2024-01-20 00:00', 2),
  ('INV-2', 'Invoice Settled',          '2024-01-21 00:00', 3);
CREATE TABLE t10.tr AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM t10.ev GROUP BY case_id;

-- INV-1: 9 events, 8 distinct activities (the reminder repeats); INV-2: 3 events.
SELECT case_id, collmine.trace_length(t), collmine.trace_skipped(t),
       collmine.trace_start_activity(t), collmine.trace_end_activity(t),
       collmine.trace_start_time(t), collmine.trace_end_time(t)
FROM t10.tr ORDER BY case_id;

-- Activities in (ts, ord) order: Generated and Sent share 09:00, ord 1 < 2.
SELECT case_id, collmine.trace_activities(t) FROM t10.tr ORDER BY case_id;

-- Throughput: INV-1 2024-02-16 12:00 - 2024-01-01 09:00 = 46 days 03:00;
--             INV-2 2024-01-21 00:00 - 2024-01-05 10:00 = 15 days 14:00.
SELECT case_id, collmine.trace_throughput(t) FROM t10.tr ORDER BY case_id;

-- Durations between activities (CALC_THROUGHPUT), INV-1:
--   Generated -> Payment Received: 2024-02-15 00:00 - 2024-01-01 09:00 = 44 days 15:00
--   first -> last reminder:        2024-02-09 08:00 - 2024-02-02 08:00 = 7 days
--   last reminder -> payment:      2024-02-15 00:00 - 2024-02-09 08:00 = 5 days 16:00
--   first reminder -> payment:     2024-02-15 00:00 - 2024-02-02 08:00 = 12 days 16:00
--   backwards (payment -> generated) is negative: -44 days -15:00
--   an activity the case never has gives NULL
SELECT collmine.trace_duration(t, 'Invoice Generated', 'Payment Received') AS gen_to_pay,
       collmine.trace_duration(t, 'Overdue Reminder Sent', 'Overdue Reminder Sent', 'first', 'last') AS first_to_last_reminder,
       collmine.trace_duration(t, 'Overdue Reminder Sent', 'Payment Received', 'last') AS last_reminder_to_pay,
       collmine.trace_duration(t, 'Overdue Reminder Sent', 'Payment Received') AS first_reminder_to_pay,
       collmine.trace_duration(t, 'Payment Received', 'Invoice Generated') AS backwards,
       collmine.trace_duration(t, 'Invoice Generated', 'Dispute Registered') IS NULL AS missing_is_null
FROM t10.tr WHERE case_id = 'INV-1';

-- Occurrences and rework: 2 reminders, 0 disputes; rework = 9 events - 8 distinct = 1.
SELECT case_id, collmine.trace_count(t, 'Overdue Reminder Sent') AS reminders,
       collmine.trace_count(t, 'Dispute Registered') AS disputes,
       collmine.trace_rework(t), collmine.trace_rework_activities(t)
FROM t10.tr ORDER BY case_id;

-- Follows: in INV-1 a reminder directly follows a reminder; Generated is directly followed by
-- Sent, not by Payment Received, but eventually followed by it; never the other way round.
SELECT collmine.trace_directly_follows(t, 'Overdue Reminder Sent', 'Overdue Reminder Sent') AS rr,
       collmine.trace_directly_follows(t, 'Invoice Generated', 'Invoice Sent to Customer') AS gen_sent,
       collmine.trace_directly_follows(t, 'Invoice Generated', 'Payment Received') AS gen_pay_direct,
       collmine.trace_eventually_follows(t, 'Invoice Generated', 'Payment Received') AS gen_pay_eventually,
       collmine.trace_eventually_follows(t, 'Payment Received', 'Invoice Generated') AS pay_gen_eventually,
       collmine.trace_eventually_follows(t, 'Overdue Reminder Sent', 'Overdue Reminder Sent') AS repeated,
       collmine.trace_eventually_follows(t, 'Collection Call Made', 'Collection Call Made') AS single_not_repeated,
       collmine.trace_directly_follows(t, 'Nope', 'Invoice Settled') AS unknown_activity
FROM t10.tr WHERE case_id = 'INV-1';

-- First and last reminder: 2024-02-02 08:00 and 2024-02-09 08:00; no dispute: NULL.
SELECT collmine.trace_first_time(t, 'Overdue Reminder Sent'), collmine.trace_last_time(t, 'Overdue Reminder Sent'),
       collmine.trace_first_time(t, 'Dispute Registered')
FROM t10.tr WHERE case_id = 'INV-1';

-- Variants: readable string, and the stable id. The ids below were computed independently
-- (Python: FNV-1a 64 over 4-byte little-endian length + UTF-8 bytes of each activity):
--   ['Invoice Generated','Payment Received','Invoice Settled'] -> -1830351696636787422
--   []                                                         -> -3750763034362895579
SELECT collmine.trace_variant(t), collmine.trace_variant_id(t) = -1830351696636787422 AS id_ok,
       collmine.variant_id(collmine.trace_activities(t)) = collmine.trace_variant_id(t) AS array_form_agrees
FROM t10.tr WHERE case_id = 'INV-2';
SELECT collmine.variant_id('{}') = -3750763034362895579 AS empty_id_ok;

-- As of 2024-02-05 INV-1 had 4 events: Generated, Sent, Due Date Passed, first reminder.
SELECT collmine.trace_activities(collmine.trace_as_of(t, '2024-02-05')),
       collmine.trace_length(collmine.trace_as_of(t, '2023-12-31')) AS before_start
FROM t10.tr WHERE case_id = 'INV-1';

-- Projection onto two activities keeps 1 + 2 events, in order.
SELECT collmine.trace_activities(collmine.trace_project(t, ARRAY['Overdue Reminder Sent', 'Invoice Settled', 'Not There']))
FROM t10.tr WHERE case_id = 'INV-1';

-- Steps of INV-2: Generated -> Received (14 days 14:00), Received -> Settled (1 day).
SELECT s.* FROM t10.tr, collmine.trace_steps(t) s WHERE case_id = 'INV-2';

-- Events of INV-2 with their order keys.
SELECT e.* FROM t10.tr, collmine.trace_events(t) e WHERE case_id = 'INV-2';

-- Self-check against plain SQL: every step duration equals LEAD(ts) - ts over (ts, ord).
SELECT count(*) AS step_mismatches FROM (
  SELECT case_id, row_number() OVER w AS step, activity AS source, lead(activity) OVER w AS target,
         lead(ts) OVER w - ts AS duration
  FROM t10.ev WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)
) plain
FULL JOIN (SELECT case_id, s.* FROM t10.tr, collmine.trace_steps(t) s) c USING (case_id, step)
WHERE plain.target IS NOT NULL
  AND (c.source IS DISTINCT FROM plain.source OR c.target IS DISTINCT FROM plain.target
       OR c.duration IS DISTINCT FROM plain.duration);

-- Physical row order does not matter: the same events inserted in reverse give the same bytes.
CREATE TABLE t10.rev AS SELECT * FROM t10.ev ORDER BY case_id DESC, ord DESC;
SELECT count(*) AS differing_traces FROM t10.tr
JOIN (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM t10.rev GROUP BY case_id) r USING (case_id)
WHERE t10.tr.t::text <> r.t::text;

-- Ties without an order key fall back to the activity name, bytewise: 'Alpha' before 'Zeta'
-- whatever the insertion order; with an order key, the key decides.
SELECT collmine.trace_activities(collmine.trace_agg(a, ts)) AS by_name,
       collmine.trace_activities(collmine.trace_agg(a, ts, o)) AS by_order_key
FROM (VALUES ('Zeta', '2024-01-01'::timestamptz, 1), ('Alpha', '2024-01-01', 2)) v(a, ts, o);

-- NULL semantics: a NULL activity or timestamp leaves the event out and counts it in
-- trace_skipped; an infinite timestamp likewise. A NULL order key sorts after every key at
-- the same timestamp.
SELECT collmine.trace_activities(t), collmine.trace_skipped(t), t::text
FROM (SELECT collmine.trace_agg(a, ts, o) AS t
      FROM (VALUES ('A', '2024-01-01'::timestamptz, NULL::bigint), ('B', '2024-01-01', 7),
                   (NULL, '2024-01-02', 8), ('C', NULL, 9), ('D', 'infinity', 10)) v(a, ts, o)) s;

-- A case whose every event is skipped is an empty trace, not a lost case.
SELECT collmine.trace_length(t), collmine.trace_skipped(t), collmine.trace_start_activity(t) IS NULL AS no_start,
       collmine.trace_throughput(t) IS NULL AS no_throughput, collmine.trace_variant(t) = '' AS empty_variant
FROM (SELECT collmine.trace_agg(a, ts) AS t FROM (VALUES (NULL::text, now())) v(a, ts)) s;

-- No rows at all: the aggregate is NULL, like every SQL aggregate.
SELECT collmine.trace_agg(activity, ts) IS NULL AS null_on_no_rows FROM t10.ev WHERE false;

-- Functions are STRICT: NULL in, NULL out.
SELECT collmine.trace_length(NULL) IS NULL AS strict_length, collmine.trace_count(t, NULL) IS NULL AS strict_count
FROM t10.tr WHERE case_id = 'INV-2';

-- Bad occurrence choice is a user error with a hint.
SELECT collmine.trace_duration(t, 'Invoice Generated', 'Invoice Settled', 'middle') FROM t10.tr WHERE case_id = 'INV-2';

DROP SCHEMA t10 CASCADE;
