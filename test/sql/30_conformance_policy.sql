-- Layer 4: policies as data. A user-owned rule table, the shipped dunning policy, per-trace
-- violations and fitness, and adherence per rule grouped by a case attribute.
SET timezone = 'UTC';
SET extra_float_digits = 0;
CREATE SCHEMA cpol;

SELECT collmine.create_policy_table('cpol');
INSERT INTO cpol.policy_rules SELECT 'dunning', r.* FROM collmine.default_dunning_policy() r;
SELECT rule_name, template, activity_a, activity_b, n, max_delay, severity
FROM cpol.policy_rules ORDER BY rule_name;

-- four invoices; day N = 2024-03-N 00:00 UTC
CREATE TABLE cpol.invoices (case_id text PRIMARY KEY, segment text, collector text);
INSERT INTO cpol.invoices VALUES ('INV1', 'SMB', 'Ann'), ('INV2', 'SMB', 'Bob'),
                                 ('INV3', 'ENT', 'Ann'), ('INV4', 'ENT', 'Bob');
CREATE TABLE cpol.events (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO cpol.events VALUES
  -- INV1 follows the policy
  ('INV1', 'Invoice Generated',           '2024-03-01', 1),
  ('INV1', 'Invoice Sent to Customer',    '2024-03-01', 2),
  ('INV1', 'Payment Due Date Passed',     '2024-03-10', 3),
  ('INV1', 'Dunning Procedure Initiated', '2024-03-11', 4),
  ('INV1', 'Overdue Reminder Sent',       '2024-03-12', 5),
  ('INV1', 'Payment Received',            '2024-03-20', 6),
  ('INV1', 'Payment Posted',              '2024-03-21', 7),
  ('INV1', 'Invoice Settled',             '2024-03-21', 8),
  -- INV2: sent 4 days after generation (> 2), reminder 10 days after the due date (> 7)
  ('INV2', 'Invoice Generated',           '2024-03-01', 1),
  ('INV2', 'Invoice Sent to Customer',    '2024-03-05', 2),
  ('INV2', 'Payment Due Date Passed',     '2024-03-10', 3),
  ('INV2', 'Overdue Reminder Sent',       '2024-03-20', 4),
  ('INV2', 'Collection Call Made',        '2024-03-22', 5),
  ('INV2', 'Dunning Procedure Initiated', '2024-03-25', 6),
  ('INV2', 'Invoice Written Off',         '2024-03-30', 7),
  -- INV3: a call before any reminder, a write-off without dunning; the reminder comes exactly
  -- 7 days after the due date (the window is inclusive)
  ('INV3', 'Invoice Generated',           '2024-03-01', 1),
  ('INV3', 'Invoice Sent to Customer',    '2024-03-01', 2),
  ('INV3', 'Collection Call Made',        '2024-03-03', 3),
  ('INV3', 'Payment Due Date Passed',     '2024-03-10', 4),
  ('INV3', 'Dispute Registered',          '2024-03-11', 5),
  ('INV3', 'Dispute Resolved',            '2024-03-15', 6),
  ('INV3', 'Overdue Reminder Sent',       '2024-03-17', 7),
  ('INV3', 'Invoice Written Off',         '2024-03-30', 8),
  -- INV4: sent and generated share a timestamp but the source order puts "sent" first; posted
  -- 4 days after receipt; a reminder after settlement; settled twice
  ('INV4', 'Invoice Sent to Customer',    '2024-03-01', 1),
  ('INV4', 'Invoice Generated',           '2024-03-01', 2),
  ('INV4', 'Payment Received',            '2024-03-05', 3),
  ('INV4', 'Payment Posted',              '2024-03-09', 4),
  ('INV4', 'Invoice Settled',             '2024-03-09', 5),
  ('INV4', 'Overdue Reminder Sent',       '2024-03-10', 6),
  ('INV4', 'Invoice Settled',             '2024-03-11', 7);
CREATE TABLE cpol.traces AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM cpol.events GROUP BY case_id;

-- violations, one row per violated activation
-- expected: INV2 invoice_sent_in_2_days at 1, reminder_in_7_days at 3;
--           INV3 call_after_reminder at 3, no_write_off_without_dunning at 8;
--           INV4 starts_with_invoice at 1 (Invoice Sent to Customer), invoice_sent_in_2_days at 2
--           (the only "sent" is before it), posted_in_3_days at 3, no_reminder_after_settlement
--           at 5, settled_at_most_once at 7
WITH pol AS (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules)
SELECT x.case_id, v.rule_name, v.severity, v.pos, v.activity, v.explanation
FROM cpol.traces x CROSS JOIN pol, collmine.check_trace(x.t, pol.rules) v
ORDER BY x.case_id, v.pos, v.rule_name;

-- fitness = satisfied activations / activations over all 10 rules:
--   INV1: 7 activations (init, sent, reminder, dunning-after-due, posted, settled for
--         not_succession, absence), none violated -> 1
--   INV2: 7 activations (init, sent, reminder, dunning, write-off, call, absence), 2 violated -> 5/7
--   INV3: 7 activations (init, sent, reminder, write-off, call, dispute, absence), 2 violated -> 5/7
--   INV4: 6 activations (init, sent, posted, two settlements for not_succession, absence),
--         5 violated -> 1/6
WITH pol AS (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules)
SELECT x.case_id, collmine.policy_fitness(x.t, pol.rules) AS fitness,
       (SELECT sum(activations) FROM collmine.rule_outcomes(x.t, pol.rules)) AS activations
FROM cpol.traces x CROSS JOIN pol ORDER BY 1;

-- adherence per rule and segment: the query pattern of docs/conformance.md.
-- SMB = INV1, INV2; ENT = INV3, INV4. satisfied_cases counts cases where the rule did not
-- activate (vacuous satisfaction) as satisfied; activated_cases says how many did activate.
-- Hand-worked: ENT: call_after_reminder 1 activated, 1 satisfied (INV4, vacuously); dispute_resolved
-- 1/2; invoice_sent_in_2_days 2/1; no_reminder_after_settlement 1/1; no_write_off_without_dunning
-- 1/1; posted_in_3_days 1/1; reminder_in_7_days 1/2; settled_at_most_once 2/1;
-- starts_with_invoice 2/1; dunning_after_due_date 0/2.
-- SMB: everything satisfied by both except invoice_sent_in_2_days and reminder_in_7_days (INV2).
WITH pol AS (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules)
SELECT i.segment, o.rule_name,
       count(*) FILTER (WHERE o.activations > 0) AS activated_cases,
       count(*) FILTER (WHERE o.satisfied) AS satisfied_cases,
       round(avg(o.satisfied::int), 2) AS adherence
FROM cpol.traces x JOIN cpol.invoices i USING (case_id) CROSS JOIN pol,
     collmine.rule_outcomes(x.t, pol.rules) o
GROUP BY 1, 2 ORDER BY 1, 2;

-- the same adherence in one aggregate pass: policy_tally per segment, then policy_adherence rows;
-- adherence = satisfied_cases / cases (the hand-worked numbers above)
WITH pol AS NOT MATERIALIZED (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules),
tallies AS (
  SELECT i.segment, collmine.policy_tally(x.t, pol.rules) AS tally
  FROM cpol.traces x JOIN cpol.invoices i USING (case_id) CROSS JOIN pol
  GROUP BY i.segment)
SELECT s.segment, a.rule_name, a.cases, a.activated_cases, a.satisfied_cases, a.activations,
       a.violations, a.adherence
FROM tallies s CROSS JOIN pol, collmine.policy_adherence(pol.rules, s.tally) a
ORDER BY 1, 2;
-- self-check: the tally agrees with summing rule_outcomes, and merging the two segment tallies
-- with policy_tally_union gives the tally of the whole log
WITH pol AS NOT MATERIALIZED (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules),
tallies AS (
  SELECT i.segment, collmine.policy_tally(x.t, pol.rules) AS tally
  FROM cpol.traces x JOIN cpol.invoices i USING (case_id) CROSS JOIN pol
  GROUP BY i.segment),
from_tally AS (
  SELECT s.segment, a.rule_name, a.activated_cases, a.satisfied_cases, a.activations, a.violations
  FROM tallies s CROSS JOIN pol, collmine.policy_adherence(pol.rules, s.tally) a),
from_outcomes AS (
  SELECT i.segment, o.rule_name, count(*) FILTER (WHERE o.activations > 0),
         count(*) FILTER (WHERE o.satisfied), sum(o.activations), sum(o.violations)
  FROM cpol.traces x JOIN cpol.invoices i USING (case_id) CROSS JOIN pol,
       collmine.rule_outcomes(x.t, pol.rules) o
  GROUP BY 1, 2)
SELECT NOT EXISTS ((SELECT * FROM from_tally EXCEPT SELECT * FROM from_outcomes)
                   UNION ALL (SELECT * FROM from_outcomes EXCEPT SELECT * FROM from_tally)) AS same_as_outcomes,
       (SELECT collmine.policy_tally_union(tally) FROM tallies)
         = (SELECT collmine.policy_tally(x.t, pol.rules) FROM cpol.traces x CROSS JOIN pol) AS union_is_whole_log,
       (SELECT collmine.policy_tally_union(tally) FROM tallies) AS whole_log_tally;
-- no traces: an empty tally, zero counts and NULL adherence
SELECT a.rule_name, a.cases, a.adherence
FROM collmine.policy_adherence(collmine.policy('cpol.policy_rules', 'dunning'), '{}') a
WHERE a.rule_name = 'reminder_in_7_days';

-- mean policy fitness per collector: Ann (INV1 1, INV3 5/7) = 6/7; Bob (INV2 5/7, INV4 1/6) = 37/84
WITH pol AS (SELECT collmine.policy('cpol.policy_rules', 'dunning') AS rules)
SELECT i.collector, avg(collmine.policy_fitness(x.t, pol.rules)) AS mean_fitness,
       CASE i.collector WHEN 'Ann' THEN 6.0 / 7 ELSE 37.0 / 84 END AS by_hand
FROM cpol.traces x JOIN cpol.invoices i USING (case_id) CROSS JOIN pol
GROUP BY 1 ORDER BY 1;

-- self-check of reminder_in_7_days against plain SQL: every Payment Due Date Passed needs a
-- later Overdue Reminder Sent at most 7 days after it
WITH pos AS (
  SELECT case_id, activity, ts, row_number() OVER (PARTITION BY case_id ORDER BY ts, ord) AS pos
  FROM cpol.events
), sqlside AS (
  SELECT a.case_id, a.pos::int AS pos FROM pos a
  WHERE a.activity = 'Payment Due Date Passed'
    AND NOT EXISTS (SELECT 1 FROM pos b WHERE b.case_id = a.case_id AND b.pos > a.pos
                      AND b.activity = 'Overdue Reminder Sent' AND b.ts - a.ts <= interval '7 days')
), cside AS (
  SELECT x.case_id, v.pos FROM cpol.traces x,
       collmine.check_trace(x.t, collmine.policy('cpol.policy_rules', 'dunning')) v
  WHERE v.rule_name = 'reminder_in_7_days'
)
SELECT (SELECT count(*) FROM sqlside) AS violations,
       NOT EXISTS ((SELECT * FROM sqlside EXCEPT SELECT * FROM cside)
                   UNION ALL (SELECT * FROM cside EXCEPT SELECT * FROM sqlside)) AS same;

-- strict mode: every rule activity must be in the given list (here: the log's activities)
SELECT cardinality(collmine.policy('cpol.policy_rules', 'dunning',
                                   ARRAY(SELECT DISTINCT activity FROM cpol.events))) AS rules;
INSERT INTO cpol.policy_rules (policy, rule_name, template, activity_a, activity_b)
VALUES ('typo', 'settle_after_payment', 'precedence', 'Payment Received', 'Invoice Setled');
-- without strict mode the misspelt activity simply never occurs
SELECT cardinality(collmine.policy('cpol.policy_rules', 'typo')) AS rules;
SELECT collmine.policy('cpol.policy_rules', 'typo', ARRAY(SELECT DISTINCT activity FROM cpol.events));
-- a policy name with no rules
SELECT collmine.policy('cpol.policy_rules', 'nonesuch');

SET client_min_messages = warning;
DROP SCHEMA cpol CASCADE;
