-- Layer 4: Declare-style rule templates, hand-worked on small traces.
SET timezone = 'UTC';
CREATE SCHEMA cr;

-- Seven small cases. Day N means 2024-01-N 00:00 UTC; ord breaks ties at equal timestamps.
-- Trace order (positions):
--   c1: 1 A d1 | 2 B d3 | 3 A d5                 repeated activation, last A has no B after it
--   c2: 1 B d1 | 2 A d2 | 3 B d2 (ord after A)   A and B share a timestamp, A first
--   c3: 1 B d1 | 2 A d1 (ord after B)            A and B share a timestamp, B first
--   c4: 1 C d1 | 2 A d2 | 3 C d4 | 4 B d10       B only 8 days after A, not adjacent
--   c5: 1 B d1                                   only B
--   c6: 1 C d1                                   neither A nor B
--   c7: 1 A d1 | 2 A d2 | 3 B d3                 two activations, one target
CREATE TABLE cr.ev (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO cr.ev VALUES
  ('c1','A','2024-01-01',1), ('c1','B','2024-01-03',2), ('c1','A','2024-01-05',3),
  ('c2','B','2024-01-01',1), ('c2','A','2024-01-02',2), ('c2','B','2024-01-02',3),
  ('c3','B','2024-01-01',1), ('c3','A','2024-01-01',2),
  ('c4','C','2024-01-01',1), ('c4','A','2024-01-02',2), ('c4','C','2024-01-04',3), ('c4','B','2024-01-10',4),
  ('c5','B','2024-01-01',1),
  ('c6','C','2024-01-01',1),
  ('c7','A','2024-01-01',1), ('c7','A','2024-01-02',2), ('c7','B','2024-01-03',3);
CREATE TABLE cr.traces AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM cr.ev GROUP BY case_id;

-- a one-rule set; the rule is named after its template
CREATE FUNCTION cr.r(tmpl text, a text, b text, n integer DEFAULT NULL,
                     mind interval DEFAULT NULL, maxd interval DEFAULT NULL)
  RETURNS collmine.rule[] LANGUAGE sql IMMUTABLE
  AS $$ SELECT ARRAY[ROW(tmpl, tmpl, a, b, n, mind, maxd, NULL, NULL)::collmine.rule] $$;

-- "case:activations/violations" for every case, in case order
CREATE FUNCTION cr.outcomes(rules collmine.rule[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(format('%s:%s/%s', x.case_id, o.activations, o.violations), ' ' ORDER BY x.case_id)
  FROM cr.traces x, collmine.rule_outcomes(x.t, rules) o
$$;

-- existence(A): one activation per case; A must occur at least n (default 1) times.
SELECT cr.outcomes(cr.r('existence', 'A', NULL));
-- expected: c1:1/0 c2:1/0 c3:1/0 c4:1/0 c5:1/1 c6:1/1 c7:1/0
SELECT cr.outcomes(cr.r('existence', 'A', NULL, 2));
-- expected (two A only in c1, c7): c1:1/0 c2:1/1 c3:1/1 c4:1/1 c5:1/1 c6:1/1 c7:1/0
-- window measured from the case start: an A at least 2 days after the first event
SELECT cr.outcomes(cr.r('existence', 'A', NULL, NULL, '2 days'));
-- c1: A at d5 is 4d after d1 -> ok; c2: A 1d after start; c3: 0d; c4: 1d; c7: 0d and 1d
-- expected: c1:1/0 c2:1/1 c3:1/1 c4:1/1 c5:1/1 c6:1/1 c7:1/1

-- absence(A): at most n (default 0) occurrences; the violation points at the first one too many.
SELECT cr.outcomes(cr.r('absence', 'A', NULL));
-- expected: c1:1/1 c2:1/1 c3:1/1 c4:1/1 c5:1/0 c6:1/0 c7:1/1
SELECT x.case_id, v.pos, v.activity FROM cr.traces x, collmine.check_trace(x.t, cr.r('absence', 'A', NULL, 1)) v
ORDER BY 1;
-- at most one A: c1 violates at its second A (position 3), c7 at position 2
SELECT cr.outcomes(cr.r('absence', 'A', NULL, NULL, '2 days'));
-- no A 2 or more days after the case start: only c1 (A at d5, 4d after d1)
-- expected: c1:1/1 others x/0

-- exactly(A, n)
SELECT cr.outcomes(cr.r('exactly', 'A', NULL, 1));
-- c1 and c7 have two A, c5 and c6 none: c1:1/1 c2:1/0 c3:1/0 c4:1/0 c5:1/1 c6:1/1 c7:1/1
SELECT cr.outcomes(cr.r('exactly', 'A', NULL, 0));
-- exactly 0 is the same as absence: c1:1/1 c2:1/1 c3:1/1 c4:1/1 c5:1/0 c6:1/0 c7:1/1

-- init(A), end(A): first / last event in trace order. In c3 B and A share d1; ord puts B first.
SELECT cr.outcomes(cr.r('init', 'A', NULL));
-- expected: c1:1/0 c2:1/1 c3:1/1 c4:1/1 c5:1/1 c6:1/1 c7:1/0
SELECT cr.outcomes(cr.r('end', 'A', NULL));
-- expected: c1:1/0 c2:1/1 c3:1/0 c4:1/1 c5:1/1 c6:1/1 c7:1/1

-- responded_existence(A, B): every A needs a B anywhere else in the trace (before or after).
SELECT cr.outcomes(cr.r('responded_existence', 'A', 'B'));
-- every A has some B except where there is no B: c1:2/0 c2:1/0 c3:1/0 c4:1/0 c5:0/0 c6:0/0 c7:2/0
SELECT cr.outcomes(cr.r('responded_existence', 'A', 'B', NULL, NULL, '1 day'));
-- window on the distance |ts(B) - ts(A)| <= 1d:
--   c1: A d1 - B d3 = 2d, A d5 - B d3 = 2d -> 2 violations; c2: B d1 is 1d before A d2 -> ok;
--   c3: 0d -> ok; c4: 8d -> violation; c7: A d1 2d (violation), A d2 1d (ok)
-- expected: c1:2/2 c2:1/0 c3:1/0 c4:1/1 c5:0/0 c6:0/0 c7:2/1

-- response(A, B): every A must be followed (later in trace order) by a B.
SELECT cr.outcomes(cr.r('response', 'A', 'B'));
--   c1: A1 -> B2 ok, A3 has nothing after it -> 1 violation (activation with no target by the end)
--   c2: A2 -> B3 shares A's timestamp but comes after it in trace order -> ok
--   c3: the only B comes before A in trace order (same timestamp) -> violation
-- expected: c1:2/1 c2:1/0 c3:1/1 c4:1/0 c5:0/0 c6:0/0 c7:2/0
SELECT cr.outcomes(cr.r('response', 'A', 'B', NULL, NULL, '2 days'));
-- window [0, 2d], both ends inclusive: c1 A1 -> B 2d ok; c4 8d -> violation; c7 2d and 1d ok
-- expected: c1:2/1 c2:1/0 c3:1/1 c4:1/1 c5:0/0 c6:0/0 c7:2/0
SELECT cr.outcomes(cr.r('response', 'A', 'B', NULL, '1 day', NULL));
-- min_delay 1d: c2's B at the same timestamp (delay 0) no longer counts -> violation; c4 8d ok
-- expected: c1:2/1 c2:1/1 c3:1/1 c4:1/0 c5:0/0 c6:0/0 c7:2/0

-- precedence(A, B): every B (the activation) must be preceded by an A.
SELECT cr.outcomes(cr.r('precedence', 'A', 'B'));
--   c2: B1 has no A before it (violation), B3 follows A2 at the same timestamp (ok)
--   c3: B1 comes before A in trace order -> violation; c5: lone B -> violation
-- expected: c1:1/0 c2:2/1 c3:1/1 c4:1/0 c5:1/1 c6:0/0 c7:1/0
SELECT cr.outcomes(cr.r('precedence', 'A', 'B', NULL, NULL, '1 day'));
-- A at most 1d before B: c1 2d -> violation; c4 8d -> violation; c7 uses the latest A (d2, 1d) -> ok
-- expected: c1:1/1 c2:2/1 c3:1/1 c4:1/1 c5:1/1 c6:0/0 c7:1/0

-- succession(A, B) = response(A, B) + precedence(A, B); activations of both halves count.
SELECT cr.outcomes(cr.r('succession', 'A', 'B'));
-- c1 2/1 + 1/0; c2 1/0 + 2/1; c3 1/1 + 1/1; c4 1/0 + 1/0; c5 0/0 + 1/1; c7 2/0 + 1/0
-- expected: c1:3/1 c2:3/1 c3:2/2 c4:2/0 c5:1/1 c6:0/0 c7:3/0
SELECT cr.outcomes(cr.r('succession', 'A', 'B', NULL, NULL, '1 day'));
-- response [0,1d]: c1 2/2, c2 1/0, c3 1/1, c4 1/1, c7 (A1 2d no, A2 1d ok) 2/1
-- precedence [0,1d]: c1 1/1, c2 2/1, c3 1/1, c4 1/1, c5 1/1, c7 1/0
-- expected: c1:3/3 c2:3/1 c3:2/2 c4:2/2 c5:1/1 c6:0/0 c7:3/1

-- chain_response(A, B): the event right after every A must be B.
SELECT cr.outcomes(cr.r('chain_response', 'A', 'B'));
-- c1: A1 -> B ok, A3 is last; c3: A is last; c4: A -> C; c7: A1 -> A2 (violation), A2 -> B ok
-- expected: c1:2/1 c2:1/0 c3:1/1 c4:1/1 c5:0/0 c6:0/0 c7:2/1
SELECT cr.outcomes(cr.r('chain_response', 'A', 'B', NULL, NULL, '1 day'));
-- c1: A1 -> B after 2d -> violation too
-- expected: c1:2/2 c2:1/0 c3:1/1 c4:1/1 c5:0/0 c6:0/0 c7:2/1

-- chain_precedence(A, B): the event right before every B must be A.
SELECT cr.outcomes(cr.r('chain_precedence', 'A', 'B'));
-- c2: B1 is first (violation), B3 right after A2 (ok); c4: C before B; c5: B is first
-- expected: c1:1/0 c2:2/1 c3:1/1 c4:1/1 c5:1/1 c6:0/0 c7:1/0
SELECT cr.outcomes(cr.r('chain_precedence', 'A', 'B', NULL, '1 day', NULL));
-- min_delay 1d: c2's B3 has A2 right before it but at the same timestamp -> violation;
-- c1 A1 -> B2 is 2d -> ok; c7 A2 -> B3 is 1d -> ok
-- expected: c1:1/0 c2:2/2 c3:1/1 c4:1/1 c5:1/1 c6:0/0 c7:1/0

-- not_succession(A, B): no B may come after an A.
SELECT cr.outcomes(cr.r('not_succession', 'A', 'B'));
-- c1: A1 is followed by B (violation), A3 is not; c2, c4: violation; c3: B is before A -> ok; c7: both A
-- expected: c1:2/1 c2:1/1 c3:1/0 c4:1/1 c5:0/0 c6:0/0 c7:2/2
SELECT cr.outcomes(cr.r('not_succession', 'A', 'B', NULL, NULL, '2 days'));
-- the window narrows the prohibition to "no B within 2 days after A": c4's B (8d later) is allowed
-- expected: c1:2/1 c2:1/1 c3:1/0 c4:1/0 c5:0/0 c6:0/0 c7:2/2

-- co_existence(A, B): every A needs a B somewhere and every B needs an A.
SELECT cr.outcomes(cr.r('co_existence', 'A', 'B'));
-- expected: c1:3/0 c2:3/0 c3:2/0 c4:2/0 c5:1/1 c6:0/0 c7:3/0
SELECT cr.outcomes(cr.r('co_existence', 'A', 'B', NULL, NULL, '1 day'));
-- c1: every A-B distance is 2d -> 3 violations; c2: A d2 ~ B d1 1d, B3 0d -> ok; c4: 8d -> 2;
-- c7: A1 (2d) violates, A2 and B3 (1d) ok
-- expected: c1:3/3 c2:3/0 c3:2/0 c4:2/2 c5:1/1 c6:0/0 c7:3/1

-- readable violations -----------------------------------------------------------------------
SELECT x.case_id, v.rule_name, v.template, v.pos, v.activity, v.ts, v.explanation
FROM cr.traces x,
     collmine.check_trace(x.t, ARRAY[
        ROW('reply in 1 day', 'response', 'A', 'B', NULL, NULL, '1 day', 'warning', NULL)::collmine.rule,
        ROW('B after A', 'precedence', 'A', 'B', NULL, NULL, NULL, 'error', NULL)::collmine.rule,
        ROW('one A', 'exactly', 'A', NULL, 1, NULL, NULL, NULL, NULL)::collmine.rule,
        ROW('A then B', 'chain_response', 'A', 'B', NULL, NULL, NULL, NULL, NULL)::collmine.rule,
        ROW('starts with A', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule,
        ROW('no B after A', 'not_succession', 'A', 'B', NULL, NULL, NULL, NULL, NULL)::collmine.rule]) v
WHERE x.case_id IN ('c1', 'c4', 'c5')
ORDER BY x.case_id, v.rule_name, v.pos;

-- fitness: share of satisfied activations over all rules
SELECT x.case_id, collmine.policy_fitness(x.t, cr.r('response', 'A', 'B')
                                            || cr.r('precedence', 'A', 'B')) AS fitness
FROM cr.traces x ORDER BY 1;
-- response + precedence activations: c1 (2/1 + 1/0) -> 2/3; c2 (1/0 + 2/1) -> 2/3;
-- c3 (1/1 + 1/1) -> 0; c4 1; c5 (0 + 1/1) -> 0; c6 no activation -> 1; c7 1

-- activities a rule names but a trace lacks simply never occur; NULL arguments give NULL
SELECT count(*) FROM cr.traces x, collmine.check_trace(x.t, cr.r('response', 'Nope', 'B')) v;
SELECT collmine.policy_fitness(NULL, cr.r('init', 'A', NULL)) IS NULL AS null_trace,
       collmine.policy_fitness(t, NULL) IS NULL AS null_rules
FROM cr.traces WHERE case_id = 'c1';
-- an empty rule set has no violations and fitness 1
SELECT count(v.rule_name) AS violations, min(collmine.policy_fitness(x.t, '{}'::collmine.rule[])) AS fitness
FROM cr.traces x LEFT JOIN LATERAL collmine.check_trace(x.t, '{}'::collmine.rule[]) v ON true;

-- self-check against plain SQL on a generated log with many equal timestamps ------------------
-- 300 cases of 1..12 events over activities A, B, C and only 6 distinct days, so most events
-- share their timestamp with another; trace order is (ts, ord).
CREATE TABLE cr.gen AS
SELECT 'g' || c AS case_id,
       (ARRAY['A','B','C'])[1 + abs(hashtext(c || ':' || i)) % 3] AS activity,
       timestamptz '2024-01-01' + (abs(hashtext(i || '/' || c)) % 6) * interval '1 day' AS ts,
       i::bigint AS ord
FROM generate_series(1, 300) c, generate_series(1, 1 + c % 12) i;
CREATE TABLE cr.gtraces AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM cr.gen GROUP BY case_id;
CREATE VIEW cr.gpos AS
  SELECT case_id, activity, ts,
         row_number() OVER (PARTITION BY case_id ORDER BY ts, ord, activity COLLATE "C") AS pos
  FROM cr.gen;

-- response(A, B) within [1d, 3d] and precedence(A, B) within [0, 2d], per case, both ways
WITH sqlside AS (
  SELECT a.case_id, 'resp' AS rule, count(*) AS activations,
         count(*) FILTER (WHERE NOT EXISTS (
             SELECT 1 FROM cr.gpos b WHERE b.case_id = a.case_id AND b.activity = 'B'
               AND b.pos > a.pos AND b.ts - a.ts BETWEEN interval '1 day' AND interval '3 days')) AS violations
  FROM cr.gpos a WHERE a.activity = 'A' GROUP BY a.case_id
  UNION ALL
  SELECT b.case_id, 'prec', count(*),
         count(*) FILTER (WHERE NOT EXISTS (
             SELECT 1 FROM cr.gpos a WHERE a.case_id = b.case_id AND a.activity = 'A'
               AND a.pos < b.pos AND b.ts - a.ts <= interval '2 days'))
  FROM cr.gpos b WHERE b.activity = 'B' GROUP BY b.case_id
), cside AS (
  SELECT x.case_id, o.rule_name AS rule, o.activations, o.violations
  FROM cr.gtraces x, collmine.rule_outcomes(x.t, ARRAY[
      ROW('resp', 'response', 'A', 'B', NULL, '1 day', '3 days', NULL, NULL)::collmine.rule,
      ROW('prec', 'precedence', 'A', 'B', NULL, NULL, '2 days', NULL, NULL)::collmine.rule]) o
  WHERE o.activations > 0
)
SELECT 'differences' AS check, count(*) FROM (
  (SELECT * FROM sqlside EXCEPT SELECT * FROM cside)
  UNION ALL
  (SELECT * FROM cside EXCEPT SELECT * FROM sqlside)) d
UNION ALL
SELECT 'activations', sum(activations) FROM sqlside;

-- not_succession(B, A), chain_response(C, A), absence(A, 2) against plain SQL
WITH sqlside AS (
  SELECT a.case_id, 'ns' AS rule, count(*) AS activations,
         count(*) FILTER (WHERE EXISTS (
             SELECT 1 FROM cr.gpos b WHERE b.case_id = a.case_id AND b.activity = 'A' AND b.pos > a.pos)) AS violations
  FROM cr.gpos a WHERE a.activity = 'B' GROUP BY a.case_id
  UNION ALL
  SELECT a.case_id, 'cr', count(*),
         count(*) FILTER (WHERE NOT EXISTS (
             SELECT 1 FROM cr.gpos b WHERE b.case_id = a.case_id AND b.activity = 'A' AND b.pos = a.pos + 1))
  FROM cr.gpos a WHERE a.activity = 'C' GROUP BY a.case_id
  UNION ALL
  SELECT case_id, 'abs', 1, (count(*) FILTER (WHERE activity = 'A') > 2)::int
  FROM cr.gpos GROUP BY case_id
), cside AS (
  SELECT x.case_id, o.rule_name AS rule, o.activations, o.violations
  FROM cr.gtraces x, collmine.rule_outcomes(x.t, ARRAY[
      ROW('ns', 'not_succession', 'B', 'A', NULL, NULL, NULL, NULL, NULL)::collmine.rule,
      ROW('cr', 'chain_response', 'C', 'A', NULL, NULL, NULL, NULL, NULL)::collmine.rule,
      ROW('abs', 'absence', 'A', NULL, 2, NULL, NULL, NULL, NULL)::collmine.rule]) o
  WHERE o.activations > 0
)
SELECT 'differences' AS check, count(*) FROM (
  (SELECT * FROM sqlside EXCEPT SELECT * FROM cside)
  UNION ALL
  (SELECT * FROM cside EXCEPT SELECT * FROM sqlside)) d
UNION ALL
SELECT 'violations', sum(violations) FROM sqlside;

-- check_trace emits exactly the violations that rule_outcomes counts
SELECT (SELECT count(*) FROM cr.gtraces x, collmine.check_trace(x.t, cr.r('responded_existence', 'A', 'C', NULL, NULL, '1 day')))
     = (SELECT sum(o.violations) FROM cr.gtraces x, collmine.rule_outcomes(x.t, cr.r('responded_existence', 'A', 'C', NULL, NULL, '1 day')) o)
  AS same_count;

SET client_min_messages = warning;
DROP SCHEMA cr CASCADE;
