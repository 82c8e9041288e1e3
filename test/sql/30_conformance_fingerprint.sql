-- Layer 4: a policy tally carries its rule set's fingerprint, so that it is never read or merged
-- against another rule set, even one of the same length; tallies stored by 0.1.0 (no
-- fingerprint) are still read, checked by their length only. Hand-made cases, worked out below.
SET timezone = 'UTC';
CREATE SCHEMA cfp;
-- T1 = <A, B> (B one day after A), T2 = <A, C>, T3 = <B>
CREATE TABLE cfp.traces AS
SELECT c AS case_id, collmine.trace_agg(a, timestamptz '2024-01-01' + i * interval '1 day', i) AS t
FROM (VALUES ('T1', 1, 'A'), ('T1', 2, 'B'), ('T2', 1, 'A'), ('T2', 2, 'C'), ('T3', 1, 'B')) v(c, i, a)
GROUP BY c;
-- Two rule sets of the same length, with the same rule names, that differ in one activity:
--   r1 = (a: response A -> B within 2 days, b: init A), r2 = (a: response A -> C within 2 days, b: init A)
CREATE FUNCTION cfp.rules(target text, win interval DEFAULT '2 days', sev text DEFAULT 'error',
                          descr text DEFAULT NULL) RETURNS collmine.rule[] LANGUAGE sql AS $$
  SELECT ARRAY[ROW('a', 'response', 'A', target, NULL, NULL, win, sev, descr)::collmine.rule,
               ROW('b', 'init', 'A', NULL, NULL, NULL, NULL, sev, descr)::collmine.rule]
$$;
-- The tally of r1 (cases 3):
--   a: T1 activates (A) and is satisfied (B a day later); T2 activates and violates (no B);
--      T3 does not activate (vacuously satisfied): activated cases 2, satisfied 2,
--      activations 2, violations 1
--   b: every trace activates once; T3 starts with B: activated 3, satisfied 2, activations 3,
--      violations 1
-- and then r1's fingerprint. r2 gives the very same counters (T1 violates, T2 satisfies), so
-- the counters alone cannot tell the two rule sets apart: only the fingerprint can.
CREATE TABLE cfp.tallies AS
SELECT 'r1' AS rules, collmine.policy_tally(t, cfp.rules('B')) AS tally FROM cfp.traces
UNION ALL
SELECT 'r2', collmine.policy_tally(t, cfp.rules('C')) FROM cfp.traces;
SELECT rules, tally[1:9] AS counters, cardinality(tally) AS len FROM cfp.tallies ORDER BY 1;
-- the fingerprint is defined on bytes only (docs/conformance.md): these values are the same on
-- every platform and release, and must stay so, or stored tallies would no longer be read
SELECT rules, tally[10] AS fingerprint,
       tally[10] = collmine.policy_fingerprint(cfp.rules(CASE rules WHEN 'r1' THEN 'B' ELSE 'C' END)) AS is_policy_fingerprint
FROM cfp.tallies ORDER BY 1;

-- the same rule set: the rows are those of the per-trace outcomes, as before the fingerprint
SELECT a.* FROM cfp.tallies s, collmine.policy_adherence(cfp.rules('B'), s.tally) a WHERE s.rules = 'r1';
SELECT NOT EXISTS (
    (SELECT a.rule_name, a.cases, a.activated_cases, a.satisfied_cases, a.activations, a.violations
       FROM cfp.tallies s, collmine.policy_adherence(cfp.rules('B'), s.tally) a WHERE s.rules = 'r1'
     EXCEPT
     SELECT o.rule_name, count(*), count(*) FILTER (WHERE o.activations > 0),
            count(*) FILTER (WHERE o.satisfied), sum(o.activations), sum(o.violations)
       FROM cfp.traces x, collmine.rule_outcomes(x.t, cfp.rules('B')) o GROUP BY o.rule_name)) AS equals_outcomes;
-- another rule set of the same length: an error, with SQLSTATE 22023 and a hint
SELECT a.* FROM cfp.tallies s, collmine.policy_adherence(cfp.rules('C'), s.tally) a WHERE s.rules = 'r1';
-- merging tallies of the two rule sets: an error too
SELECT collmine.policy_tally_union(tally) FROM cfp.tallies;
-- the rule set may not change within one aggregate, even keeping its length
SELECT collmine.policy_tally(t, cfp.rules(CASE WHEN case_id = 'T1' THEN 'B' ELSE 'C' END))
FROM (SELECT * FROM cfp.traces ORDER BY case_id) x;

-- What the fingerprint covers: names, templates, activities, n and windows in order, as compiled.
-- '48 hours' is the same window as '2 days'; severity and description only describe a rule.
SELECT collmine.policy_fingerprint(cfp.rules('B')) = collmine.policy_fingerprint(cfp.rules('B', '48 hours')) AS same_window,
       collmine.policy_fingerprint(cfp.rules('B')) = collmine.policy_fingerprint(cfp.rules('B', '2 days', 'warning', 'text')) AS same_labels,
       collmine.policy_fingerprint(cfp.rules('B')) <> collmine.policy_fingerprint(cfp.rules('B', '3 days')) AS other_window,
       collmine.policy_fingerprint(cfp.rules('B')) <> collmine.policy_fingerprint(ARRAY[(cfp.rules('B'))[2], (cfp.rules('B'))[1]]) AS other_order,
       collmine.policy_fingerprint(cfp.rules('B')) <> collmine.policy_fingerprint(ARRAY[(cfp.rules('B'))[1]]) AS fewer_rules;
-- so a tally of r1 is read with r1 relabelled
SELECT rule_name, severity, adherence
FROM cfp.tallies s, collmine.policy_adherence(cfp.rules('B', '48 hours', 'warning'), s.tally) a WHERE s.rules = 'r1';

-- 0.1.0 tallies: 1 + 4n counters and no fingerprint. Read with their rule set they give the same
-- rows; the fallback checks the length only, so another rule set of that length is not detected
-- (documented), and one of another length is an error as in 0.1.0.
CREATE TABLE cfp.legacy AS SELECT tally[1:9] AS tally FROM cfp.tallies WHERE rules = 'r1';
SELECT NOT EXISTS ((SELECT a.* FROM cfp.legacy s, collmine.policy_adherence(cfp.rules('B'), s.tally) a
                    EXCEPT
                    SELECT a.* FROM cfp.tallies s, collmine.policy_adherence(cfp.rules('B'), s.tally) a
                     WHERE s.rules = 'r1')) AS legacy_same_rows,
       (SELECT count(*) FROM cfp.legacy s, collmine.policy_adherence(cfp.rules('C'), s.tally) a) AS legacy_length_check_only;
SELECT a.* FROM cfp.legacy s, collmine.policy_adherence(ARRAY[(cfp.rules('B'))[1]], s.tally) a;
-- merging a 0.1.0 tally with a new one keeps the new one's fingerprint (and so its check);
-- two 0.1.0 tallies merge into a 0.1.0 tally, as they did
SELECT collmine.policy_tally_union(tally) AS legacy_and_new
FROM (SELECT tally FROM cfp.legacy UNION ALL SELECT tally FROM cfp.tallies WHERE rules = 'r1') s;
SELECT collmine.policy_tally_union(tally) AS legacy_and_legacy
FROM (SELECT tally FROM cfp.legacy UNION ALL SELECT tally FROM cfp.legacy) s;
-- a 0.1.0 tally is taken to be of the other side's rule set: its length is all there is to check
SELECT u[1:9] AS counters, u[10] = (SELECT tally[10] FROM cfp.tallies WHERE rules = 'r2') AS carries_r2_fingerprint
FROM (SELECT collmine.policy_tally_union(tally) AS u
      FROM (SELECT tally FROM cfp.legacy UNION ALL SELECT tally FROM cfp.tallies WHERE rules = 'r2') s) x;

SET client_min_messages = warning;
DROP SCHEMA cfp CASCADE;
