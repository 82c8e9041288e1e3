-- 53_log_conformance: policy_adherence(log_schema, rules, group_by), conformance of a whole
-- log in one call, on the hand-made log of 50_kpi_log.inc, checked by hand for two rules and
-- against a plain-SQL computation from per-trace rule_outcomes for every rule.
\set log conf_log
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off
SET timezone = 'UTC';

-- By hand, the default dunning policy over the six invoices:
--   reminder_in_7_days (response: Payment Due Date Passed -> Overdue Reminder Sent within 7 days)
--     is activated in A1, A3, A4, U5, U6 (each has a due-date-passed event; A2 has none):
--     A1 due 12-31 00:00, reminder 01-05 08:00 (5 d 8 h): satisfied; A3 no reminder: violated;
--     A4 due 10-31, first reminder 11-10 08:00 (10 d 8 h): violated; U5 due 01-20, reminder
--     01-25 08:00: satisfied; U6 no reminder (only dunning initiated): violated. Satisfied cases
--     A1, U5 and A2 (not activated) -> cases 6, activated 5, satisfied 3, violations 3, 0.5.
--   posted_in_3_days (response: Payment Received -> Payment Posted within 3 days): activated in
--     A1, A2, A3, U5, every receipt posted within at most 2 days -> activated 4, satisfied 6
--     (A4, U6 vacuously), violations 0, adherence 1.
SELECT rule_name, cases, activated_cases, satisfied_cases, violations, round(adherence::numeric, 4) AS adherence
  FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()))
 WHERE rule_name IN ('reminder_in_7_days', 'posted_in_3_days');

-- every rule, per segment, equals plain SQL over per-trace outcomes
WITH pol AS (SELECT ARRAY(SELECT collmine.default_dunning_policy()) AS rules),
t AS (SELECT e.case_id, collmine.trace_agg(e.activity, e.ts, e.ord) AS trace FROM conf_log.events e GROUP BY 1),
plain AS (
  SELECT i.segment AS group_value, o.rule_name, count(*) AS cases,
         count(*) FILTER (WHERE o.activations > 0) AS activated_cases,
         count(*) FILTER (WHERE o.satisfied) AS satisfied_cases,
         sum(o.activations) AS activations, sum(o.violations) AS violations,
         avg(o.satisfied::int)::double precision AS adherence
    FROM t JOIN conf_log.invoices i USING (case_id) CROSS JOIN pol, collmine.rule_outcomes(t.trace, pol.rules) o
   GROUP BY 1, 2),
fn AS (SELECT * FROM collmine.policy_adherence('conf_log', (SELECT rules FROM pol), 'segment'))
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE fn.cases = plain.cases AND fn.activated_cases = plain.activated_cases
                          AND fn.satisfied_cases = plain.satisfied_cases AND fn.activations = plain.activations
                          AND fn.violations = plain.violations
                          AND abs(fn.adherence - plain.adherence) < 1e-12) AS rows_equal
  FROM fn FULL JOIN plain USING (group_value, rule_name);

-- groups come in byte order, rules in policy order
SELECT group_value, string_agg(rule_name, ',' ORDER BY ord) = (SELECT string_agg(r.rule_name, ',') FROM collmine.default_dunning_policy() r) AS policy_order
  FROM (SELECT *, row_number() OVER () AS ord FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()), 'segment')) x
 GROUP BY 1 ORDER BY min(ord);

-- a misspelled activity in a rule is reported; an empty rule set and a bad group are errors
SELECT rule_name, cases, satisfied_cases
  FROM collmine.policy_adherence('conf_log', ARRAY[ROW('typo', 'existence', 'Invoice Genrated', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule]);
SELECT * FROM collmine.policy_adherence('conf_log', '{}');
SELECT * FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()), 'no_such_column');

-- In case order (_log_in_case_order: a btree index leading with case_id, the events stored in
-- its order and analyzed, as the connectors leave them) the traces are read through the index
-- in (case_id, ts, ord) order and merge-joined with invoices (_log_tally_rows_in_case_order):
-- every row equals the hashed plan's above, in the same order, for both entry points.
CREATE TEMP TABLE pa_hashed AS
  SELECT row_number() OVER () AS n, p::text AS r
    FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()), 'segment') p;
CREATE TEMP TABLE rf_hashed AS
  SELECT row_number() OVER () AS n, f::text AS r
    FROM collmine.replay_fitness('conf_log', collmine.sequence_net(ARRAY['Invoice Generated', 'Payment Received']), 'segment') f;
SELECT collmine._log_in_case_order('conf_log') AS in_case_order;
CREATE INDEX conf_events_case_ts ON conf_log.events (case_id, ts, ord);
CLUSTER conf_log.events USING conf_events_case_ts;
ANALYZE conf_log.events;
SELECT collmine._log_in_case_order('conf_log') AS in_case_order;
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE h.r = x.r) AS rows_equal
  FROM pa_hashed h FULL JOIN (SELECT row_number() OVER () AS n, p::text AS r
                                FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()), 'segment') p) x USING (n);
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE h.r = x.r) AS rows_equal
  FROM rf_hashed h FULL JOIN (SELECT row_number() OVER () AS n, f::text AS r
                                FROM collmine.replay_fitness('conf_log', collmine.sequence_net(ARRAY['Invoice Generated', 'Payment Received']), 'segment') f) x USING (n);
-- with vocabulary rows the trace query joins the role names, which loses the order: the log is
-- hashed as before, and mapping an activity to the role it already names changes nothing
SELECT collmine.map_activity('conf_log', 'Payment Received', 'payment_received');
SELECT collmine._log_in_case_order('conf_log') AS in_case_order;
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE h.r = x.r) AS rows_equal
  FROM pa_hashed h FULL JOIN (SELECT row_number() OVER () AS n, p::text AS r
                                FROM collmine.policy_adherence('conf_log', ARRAY(SELECT collmine.default_dunning_policy()), 'segment') p) x USING (n);
