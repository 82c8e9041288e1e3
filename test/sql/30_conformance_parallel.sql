-- Layer 4 in parallel query: policy adherence and replay fitness run below a partial aggregate
-- in the workers (each worker compiles the rule set and the net once) and give the same results
-- as the serial plan.
SET timezone = 'UTC';
CREATE SCHEMA cpar;
-- 4000 generated cases over the dunning vocabulary, with many equal timestamps
CREATE TABLE cpar.ev AS
SELECT 'c' || c AS case_id,
       (ARRAY['Invoice Generated', 'Invoice Sent to Customer', 'Payment Due Date Passed',
              'Overdue Reminder Sent', 'Dunning Procedure Initiated', 'Collection Call Made',
              'Payment Received', 'Payment Posted', 'Invoice Settled', 'Invoice Written Off'])
         [1 + abs(hashtext(c || ':' || i)) % 10] AS activity,
       timestamptz '2024-01-01' + (i + abs(hashtext(i || '/' || c)) % 3) * interval '1 day' AS ts,
       i::bigint AS ord
FROM generate_series(1, 4000) c, generate_series(1, 1 + c % 9) i;
CREATE TABLE cpar.traces AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM cpar.ev GROUP BY case_id;
ALTER TABLE cpar.traces SET (parallel_workers = 2);
ANALYZE cpar.traces;

CREATE FUNCTION cpar.has_partial_agg(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN jsonb_path_exists(plan, 'strict $.**."Partial Mode" ? (@ == "Partial")');
END $$;

CREATE VIEW cpar.adherence AS
  WITH pol AS (SELECT ARRAY(SELECT collmine.default_dunning_policy()) AS rules)
  SELECT o.rule_name, sum(o.activations) AS activations, sum(o.violations) AS violations,
         count(*) FILTER (WHERE o.satisfied) AS satisfied_cases
  FROM cpar.traces x CROSS JOIN pol, collmine.rule_outcomes(x.t, pol.rules) o
  GROUP BY o.rule_name;
-- pol is used twice: NOT MATERIALIZED keeps it an init plan instead of a (parallel-restricted)
-- CTE scan, so that the aggregate can still run in the workers
CREATE VIEW cpar.tally AS
  WITH pol AS NOT MATERIALIZED (SELECT ARRAY(SELECT collmine.default_dunning_policy()) AS rules)
  SELECT a.rule_name, a.cases, a.activated_cases, a.satisfied_cases, a.activations, a.violations
  FROM (SELECT collmine.policy_tally(x.t, pol.rules) AS tally FROM cpar.traces x CROSS JOIN pol) s
  CROSS JOIN pol, collmine.policy_adherence(pol.rules, s.tally) a;
CREATE VIEW cpar.fitness AS
  SELECT sum((r).produced) AS p, sum((r).consumed) AS c, sum((r).missing) AS m,
         sum((r).remaining) AS r, count(*) FILTER (WHERE (r).fits) AS fitting
  FROM (SELECT collmine.replay(t, collmine.sequence_net(ARRAY['Invoice Generated',
          'Invoice Sent to Customer', 'Payment Due Date Passed', 'Payment Received',
          'Payment Posted', 'Invoice Settled'])) AS r FROM cpar.traces) s;
-- the log-level replay aggregate over the same net, and the raw tallies (their fingerprints too)
CREATE VIEW cpar.log_fitness AS
  SELECT (collmine.replay_fitness(collmine.replay_tally(t, collmine.sequence_net(ARRAY['Invoice Generated',
          'Invoice Sent to Customer', 'Payment Due Date Passed', 'Payment Received',
          'Payment Posted', 'Invoice Settled'])))).*
  FROM cpar.traces;
CREATE VIEW cpar.raw_tally AS
  WITH pol AS NOT MATERIALIZED (SELECT ARRAY(SELECT collmine.default_dunning_policy()) AS rules)
  SELECT collmine.policy_tally(x.t, pol.rules) AS tally FROM cpar.traces x CROSS JOIN pol;

SET max_parallel_workers_per_gather = 0;
SELECT cpar.has_partial_agg('SELECT * FROM cpar.adherence') AS serial_partial;
CREATE TABLE cpar.serial_adherence AS SELECT * FROM cpar.adherence;
CREATE TABLE cpar.serial_fitness AS SELECT * FROM cpar.fitness;
CREATE TABLE cpar.serial_tally AS SELECT * FROM cpar.tally;
CREATE TABLE cpar.serial_log_fitness AS SELECT * FROM cpar.log_fitness;
CREATE TABLE cpar.serial_raw_tally AS SELECT * FROM cpar.raw_tally;
-- the replay tally's sums are those of the per-trace replay() results
SELECT (f.produced, f.consumed, f.missing, f.remaining, f.fitting_traces) = (s.p, s.c, s.m, s.r, s.fitting)
       AND f.traces = 4000 AND f.missing > 0 AS replay_tally_equals_sums
FROM cpar.serial_log_fitness f, cpar.serial_fitness s;
-- the tally agrees with the rule_outcomes aggregation
SELECT NOT EXISTS (SELECT rule_name, activations, violations, satisfied_cases FROM cpar.serial_tally
                   EXCEPT SELECT rule_name, activations, violations, satisfied_cases FROM cpar.serial_adherence)
       AND (SELECT count(*) FROM cpar.serial_tally) = 10 AS tally_equals_outcomes;
SELECT count(*) AS rules, sum(activations) > 0 AS activated, sum(violations) > 0 AS violated
FROM cpar.serial_adherence;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT cpar.has_partial_agg('SELECT * FROM cpar.adherence') AS parallel_partial_adherence,
       cpar.has_partial_agg('SELECT * FROM cpar.fitness') AS parallel_partial_fitness,
       cpar.has_partial_agg('SELECT * FROM cpar.tally') AS parallel_partial_tally,
       cpar.has_partial_agg('SELECT * FROM cpar.log_fitness') AS parallel_partial_replay_tally;
SELECT NOT EXISTS ((SELECT * FROM cpar.adherence EXCEPT SELECT * FROM cpar.serial_adherence)
                   UNION ALL
                   (SELECT * FROM cpar.serial_adherence EXCEPT SELECT * FROM cpar.adherence))
       AS adherence_parallel_equals_serial;
SELECT (SELECT row(f.*)::text FROM cpar.fitness f) = (SELECT row(s.*)::text FROM cpar.serial_fitness s)
       AS fitness_parallel_equals_serial;
SELECT NOT EXISTS ((SELECT * FROM cpar.tally EXCEPT SELECT * FROM cpar.serial_tally)
                   UNION ALL
                   (SELECT * FROM cpar.serial_tally EXCEPT SELECT * FROM cpar.tally))
       AS tally_parallel_equals_serial;
SELECT (SELECT row(f.*)::text FROM cpar.log_fitness f) = (SELECT row(s.*)::text FROM cpar.serial_log_fitness s)
       AS replay_tally_parallel_equals_serial,
       (SELECT tally FROM cpar.raw_tally) = (SELECT tally FROM cpar.serial_raw_tally)
       AS raw_tally_parallel_equals_serial;
RESET ALL;

SET client_min_messages = warning;
DROP SCHEMA cpar CASCADE;
