-- Layer 4: token-based replay on Petri nets, hand-worked on the running example of
-- van der Aalst's "Process Mining" book against the textbook model of that process.
SET timezone = 'UTC';
SET extra_float_digits = 0;
CREATE SCHEMA crp;

CREATE TABLE crp.raw (event_seq bigint, case_id text, activity text, "timestamp" text,
                      resource text, lifecycle text, "Activity" text, costs text,
                      "Resource" text, creator text);
\copy crp.raw FROM 'test/data/real-logs/running_example.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE crp.log AS
  SELECT case_id, activity, "timestamp"::timestamptz AS ts, event_seq AS ord FROM crp.raw;
CREATE TABLE crp.traces AS
  SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM crp.log GROUP BY case_id;
SELECT count(*) AS cases, sum(collmine.trace_length(t)) AS events FROM crp.traces;

-- The textbook net: register request, then (examine thoroughly XOR examine casually) in
-- parallel with check ticket, then decide; then reinitiate request (back to both branches),
-- pay compensation or reject request.
CREATE TABLE crp.model (net text);
INSERT INTO crp.model VALUES ($net$
# van der Aalst, Process Mining (2016), running example
places start c1 c2 c3 c4 c5 end
initial start
final end
transition "register request":    start -> c1 c2
transition "examine thoroughly":  c1 -> c3
transition "examine casually":    c1 -> c3
transition "check ticket":        c2 -> c4
transition "decide":              c3 c4 -> c5
transition "reinitiate request":  c5 -> c1 c2
transition "pay compensation":    c5 -> end
transition "reject request":      c5 -> end
$net$);
SELECT (collmine.petri_net_transitions(net)).* FROM crp.model;

-- Every case fits. Token counts by hand (p includes the initial token, c the final one):
--   cases 1, 2, 4, 6 (5 events, no reinitiation): p = 1 + 2 + 1 + 1 + 1 + 1 = 7,
--       c = 1 + 1 + 1 + 2 + 1 + 1 = 7
--   case 3 (one reinitiation, 9 events): each loop round (examine, check, decide,
--       reinitiate) adds p = 1 + 1 + 1 + 2 = 5 and c = 1 + 1 + 2 + 1 = 5: p = c = 7 + 5 = 12
--   case 5 (two reinitiations, 13 events): p = c = 7 + 2 * 5 = 17
SELECT x.case_id, (r).produced, (r).consumed, (r).missing, (r).remaining, (r).unmapped,
       (r).fitness, (r).fits
FROM (SELECT case_id, collmine.replay(t, (SELECT net FROM crp.model)) AS r FROM crp.traces) x
ORDER BY x.case_id::int;
-- the cases that deviate: none
SELECT count(*) AS deviating FROM crp.traces
WHERE NOT (collmine.replay(t, (SELECT net FROM crp.model))).fits;
-- log fitness: sums over all traces, then the formula
SELECT collmine.token_fitness(sum((r).produced), sum((r).consumed), sum((r).missing), sum((r).remaining)) AS log_fitness
FROM (SELECT collmine.replay(t, (SELECT net FROM crp.model)) AS r FROM crp.traces) x;

-- Case 1 with "check ticket" removed: register request, examine thoroughly, decide, reject request.
--   start: p = 1                     marking start
--   register request: c = 1, p = 3   marking c1 c2
--   examine thoroughly: c = 2, p = 4 marking c2 c3
--   decide needs c3 c4, c4 is empty: m = 1; c = 4, p = 5   marking c2 c5
--   reject request: c = 5, p = 6     marking c2 end
--   final marking (end): c = 6; left over: c2, r = 1
--   fitness = 1/2 (1 - 1/6) + 1/2 (1 - 1/6) = 5/6 = 0.8333...
-- Case 6 with "check ticket" and "decide" swapped: register request, examine casually,
-- decide, check ticket, pay compensation.
--   register request: c = 1, p = 3; examine casually: c = 2, p = 4   marking c2 c3
--   decide: c4 missing, m = 1; c = 4, p = 5                           marking c2 c5
--   check ticket: c = 5, p = 6                                        marking c4 c5
--   pay compensation: c = 6, p = 7                                    marking c4 end
--   final marking: c = 7; left over c4, r = 1
--   fitness = 1/2 (1 - 1/7) + 1/2 (1 - 1/7) = 6/7 = 0.857142...
CREATE TABLE crp.deviants AS
SELECT 'removed' AS case_id, collmine.trace_agg(activity, ts, ord) AS t
FROM crp.log WHERE case_id = '1' AND activity <> 'check ticket'
UNION ALL
SELECT 'swapped', collmine.trace_agg(activity, ts, ord)
FROM (SELECT activity,
             CASE activity WHEN 'decide' THEN t_check WHEN 'check ticket' THEN t_decide ELSE ts END AS ts,
             ord
      FROM crp.log,
           LATERAL (SELECT max(ts) FILTER (WHERE activity = 'check ticket') AS t_check,
                           max(ts) FILTER (WHERE activity = 'decide') AS t_decide
                    FROM crp.log WHERE case_id = '6') s
      WHERE case_id = '6') sw;
SELECT case_id, collmine.trace_variant(t) FROM crp.deviants ORDER BY 1;
SELECT d.case_id, (r).produced, (r).consumed, (r).missing, (r).remaining, (r).fitness, (r).fits,
       abs((r).fitness - CASE d.case_id WHEN 'removed' THEN 5.0 / 6 ELSE 6.0 / 7 END) < 1e-12 AS hand_value
FROM (SELECT case_id, collmine.replay(t, (SELECT net FROM crp.model)) AS r FROM crp.deviants) d
ORDER BY 1;
-- the steps where they deviate
SELECT d.case_id, v.*
FROM crp.deviants d, collmine.replay_deviations(d.t, (SELECT net FROM crp.model)) v
ORDER BY d.case_id, v.pos NULLS LAST;
-- log fitness of the running example with case 1 replaced by the "removed" trace:
-- p = 6 + 7 + 12 + 7 + 17 + 7 = 56, c = 56, m = 1, r = 1: 1/2 (1 - 1/56) * 2 = 55/56
SELECT collmine.token_fitness(sum((r).produced), sum((r).consumed), sum((r).missing), sum((r).remaining)) AS log_fitness,
       sum((r).produced) AS p, sum((r).consumed) AS c, sum((r).missing) AS m, sum((r).remaining) AS r
FROM (SELECT collmine.replay(t, (SELECT net FROM crp.model)) AS r
      FROM (SELECT t FROM crp.traces WHERE case_id <> '1'
            UNION ALL SELECT t FROM crp.deviants WHERE case_id = 'removed') u) x;
SELECT (55.0 / 56)::float8 AS expected_55_56;
-- token_fitness on its own: 1/2 (1 - 2/8) + 1/2 (1 - 1/4) = 0.75; nothing consumed counts as 1
SELECT collmine.token_fitness(4, 8, 2, 1) AS f, collmine.token_fitness(0, 0, 0, 0) AS empty;

-- silent transitions --------------------------------------------------------------------------
-- "B" may be skipped by the silent transition skip_b; the end is reached by silent "done".
CREATE TABLE crp.small (name text, t collmine.trace);
INSERT INTO crp.small
SELECT name, collmine.trace_agg(a, timestamptz '2024-01-01' + i * interval '1 hour', i)
FROM (VALUES ('ABC', 1, 'A'), ('ABC', 2, 'B'), ('ABC', 3, 'C'),
             ('AC', 1, 'A'), ('AC', 2, 'C'),
             ('A', 1, 'A'),
             ('AXC', 1, 'A'), ('AXC', 2, 'X'), ('AXC', 3, 'C'),
             ('CA', 1, 'C'), ('CA', 2, 'A')) v(name, i, a)
GROUP BY name;
-- A: p0 -> p1; B or skip_b: p1 -> p2; C: p2 -> p3; done: p3 -> p4 (final p4)
--   ABC: p = 1 + 1 + 1 + 1 + 1(done) = 5, c = 1 + 1 + 1 + 1 + 1(final) = 5, fits
--   AC:  skip_b fires to enable C: p = c = 5, fits
--   A:   at the end skip_b is not enough: C is visible, so p3 is never reached; the final
--        token is missing (m = 1) and p1's token remains (r = 1): p = 2, c = 2,
--        fitness = 1/2 (1 - 1/2) + 1/2 (1 - 1/2) = 0.5
--   AXC: X labels no transition: skipped and counted as unmapped; counts as for AC, fits = false
--   CA:  C needs p2: m = 1 (c = 1, p = 2 so far); A: c = 2, p = 3 (p1); done: c = 3, p = 4;
--        final c = 4; p1 remains: r = 1. fitness = 1/2 (1 - 1/4) + 1/2 (1 - 1/4) = 0.75
SELECT s.name, (r).produced, (r).consumed, (r).missing, (r).remaining, (r).unmapped, (r).fitness, (r).fits
FROM (SELECT name, collmine.replay(t, $n$
        places p0 p1 p2 p3 p4; initial p0; final p4
        transition "A": p0 -> p1
        transition "B": p1 -> p2
        silent skip_b: p1 -> p2
        transition "C": p2 -> p3
        silent done: p3 -> p4
      $n$) AS r FROM crp.small) s
ORDER BY 1;
SELECT s.name, v.pos, v.activity, v.kind, v.tokens, v.places
FROM crp.small s, collmine.replay_deviations(s.t, $n$
        places p0 p1 p2 p3 p4; initial p0; final p4
        transition "A": p0 -> p1
        transition "B": p1 -> p2
        silent skip_b: p1 -> p2
        transition "C": p2 -> p3
        silent done: p3 -> p4
      $n$) v
ORDER BY 1, 2 NULLS LAST, 4;

-- duplicate labels: two transitions "A"; replay takes the enabled one.
-- <A, A> fires the first "A" (p0 -> p1) and then the second (p1 -> p2): p = c = 3, fits.
SELECT (collmine.replay(collmine.trace_agg(a, timestamptz '2024-01-01' + i * interval '1 hour', i),
        'places p0 p1 p2; initial p0; final p2; transition "A": p0 -> p1; transition "A": p1 -> p2')).*
FROM (VALUES (1, 'A'), (2, 'A')) v(i, a);
-- arc weights: a place listed twice needs (and produces) two tokens.
-- <A, B>: A produces 2 tokens in p1, B consumes both: p = 1 + 2 + 1 = 4, c = 1 + 2 + 1 = 4
SELECT (collmine.replay(collmine.trace_agg(a, timestamptz '2024-01-01' + i * interval '1 hour', i),
        'places p0 p1 p2; initial p0; final p2; transition "A": p0 -> p1 p1; transition "B": p1 p1 -> p2')).*
FROM (VALUES (1, 'A'), (2, 'B')) v(i, a);
-- a silent loop back: <X, X, Z> fires X (a -> b), then "back" (b -> a) to enable the second X,
-- then Z (b -> c): p = 1 + 1 + 1 + 1 + 1 = 5, c = 1 + 1 + 1 + 1 + 1 (final) = 5, fits.
-- <Y>: Y labels nothing (unmapped); at the end the breadth-first search around the silent
-- cycle a <-> b never reaches the final place c (Z is visible): m = 1, and the initial token
-- remains: p = 1, c = 1, r = 1, fitness 1/2 (1 - 1) + 1/2 (1 - 1) = 0.
SELECT v.name, (collmine.replay(collmine.trace_agg(v.a, timestamptz '2024-01-01' + v.i * interval '1 hour', v.i),
        'places a b c; initial a; final c; transition "X": a -> b; silent back: b -> a;'
        ' silent fwd: a -> b; transition "Z": b -> c')).*
FROM (VALUES ('XXZ', 1, 'X'), ('XXZ', 2, 'X'), ('XXZ', 3, 'Z'), ('Y', 1, 'Y')) v(name, i, a)
GROUP BY v.name ORDER BY 1;

-- a model derived from a sequence: each running-example trace fits the net of its own variant
-- (p = c = events + 1). Case 2 (register request, check ticket, examine casually, decide, pay
-- compensation) on the sequence net p0 -> ... -> p5 of case 1's variant:
--   register request: c = 1, p = 2 (p1); check ticket needs p2: m = 1, c = 2, p = 3 (p1 p3);
--   examine casually and pay compensation label no transition (unmapped);
--   decide: c = 3, p = 4 (p1 p4); final p5 missing: m = 2, c = 4; p1 and p4 remain: r = 2
--   fitness = 1/2 (1 - 2/4) + 1/2 (1 - 2/4) = 0.5
SELECT collmine.sequence_net(ARRAY['register request', 'say "hi"']);
SELECT bool_and((r).fits AND (r).produced = collmine.trace_length(t) + 1) AS all_fit_own_sequence
FROM (SELECT t, collmine.replay(t, collmine.sequence_net(ARRAY(SELECT e.activity FROM collmine.trace_events(t) e ORDER BY e.pos))) AS r
      FROM crp.traces) x;
SELECT (collmine.replay(t, (SELECT collmine.sequence_net(ARRAY['register request', 'examine thoroughly',
            'check ticket', 'decide', 'reject request'])))).fitness
FROM crp.traces WHERE case_id = '2';

-- log-level replay in one aggregate pass ----------------------------------------------------
-- replay_tally sums the per-trace counts; replay_fitness applies the formula to the sums.
-- The running example on the textbook net: every case fits, p = c = 4 * 7 + 12 + 17 = 57 (the
-- per-case counts above), m = r = 0: log fitness 1.
SELECT (collmine.replay_fitness(collmine.replay_tally(t, (SELECT net FROM crp.model)))).*
FROM crp.traces;
-- the log with case 1 replaced by the "removed" trace: p = c = 56, m = r = 1 (worked out above),
-- log fitness 1/2 (1 - 1/56) + 1/2 (1 - 1/56) = 55/56; and the same sums as plain SQL over
-- the per-trace replay() results
CREATE TABLE crp.log2 AS
  SELECT case_id, t FROM crp.traces WHERE case_id <> '1'
  UNION ALL SELECT case_id, t FROM crp.deviants WHERE case_id = 'removed';
SELECT f.traces, f.fitting_traces, f.produced, f.consumed, f.missing, f.remaining, f.unmapped,
       abs(f.fitness - 55.0 / 56) < 1e-12 AS is_55_56,
       (f.produced, f.consumed, f.missing, f.remaining, f.unmapped, f.fitting_traces)
         = (SELECT sum((r).produced), sum((r).consumed), sum((r).missing), sum((r).remaining),
                   sum((r).unmapped), count(*) FILTER (WHERE (r).fits)
              FROM (SELECT collmine.replay(t, (SELECT net FROM crp.model)) AS r FROM crp.log2) x)
         AS sums_equal_plain_sql,
       abs(f.fitness - (SELECT collmine.token_fitness(sum((r).produced), sum((r).consumed),
                                                      sum((r).missing), sum((r).remaining))
                          FROM (SELECT collmine.replay(t, (SELECT net FROM crp.model)) AS r FROM crp.log2) x)) < 1e-12
         AS fitness_equals_token_fitness
FROM (SELECT (collmine.replay_fitness(collmine.replay_tally(t, (SELECT net FROM crp.model)))).*
      FROM crp.log2) f;
-- tallies roll up: the union of one tally per case is the tally of the whole log
SELECT (SELECT collmine.replay_tally_union(x) FROM (SELECT collmine.replay_tally(t, (SELECT net FROM crp.model)) AS x
                                                     FROM crp.log2 GROUP BY case_id) s)
       = (SELECT collmine.replay_tally(t, (SELECT net FROM crp.model)) FROM crp.log2) AS union_is_whole_log;
-- the tally ends with the net's fingerprint: comments, spaces and line breaks do not change it,
-- so tallies of the same net written differently merge; another net does not
SELECT (SELECT collmine.replay_tally(t, (SELECT net FROM crp.model)) FROM crp.traces)
       = (SELECT collmine.replay_tally(t, 'places start c1 c2 c3 c4 c5 end; initial start; final end
            transition "register request": start -> c1 c2   # the same net on fewer lines
            transition "examine thoroughly": c1 -> c3; transition "examine casually": c1 -> c3
            transition "check ticket": c2 -> c4; transition "decide": c3 c4 -> c5
            transition "reinitiate request": c5 -> c1 c2; transition "pay compensation": c5 -> end
            transition "reject request": c5 -> end') FROM crp.traces) AS same_net_same_tally;
SELECT collmine.replay_tally_union(x)
FROM (SELECT collmine.replay_tally(t, (SELECT net FROM crp.model)) AS x FROM crp.traces
      UNION ALL
      SELECT collmine.replay_tally(t, collmine.sequence_net(ARRAY['register request'])) FROM crp.traces) s;
-- the net may not change within one aggregate
SELECT collmine.replay_tally(t, CASE WHEN case_id = '1' THEN (SELECT net FROM crp.model)
                                     ELSE collmine.sequence_net(ARRAY['register request']) END)
FROM (SELECT * FROM crp.traces ORDER BY case_id) x;
-- malformed tallies; the empty tally (no traces) has zero sums and no fitness
SELECT collmine.replay_fitness('{1,2,3}');
SELECT collmine.replay_fitness('{1,2,3,4,5,6,NULL,8}');
SELECT (collmine.replay_fitness('{}')).*;

-- the same for a log schema in one call, per group of an invoices column
SELECT collmine.create_event_log('crp_log');
INSERT INTO crp_log.events (case_id, activity, ts, ord) SELECT case_id, activity, ts, ord FROM crp.log;
INSERT INTO crp_log.invoices (case_id, segment)
  SELECT DISTINCT case_id, CASE WHEN case_id IN ('3', '5') THEN 'reinitiated' ELSE 'straight' END FROM crp.log;
-- straight: cases 1, 2, 4, 6 with p = c = 7 each; reinitiated: cases 3 and 5, p = c = 12 + 17
SELECT * FROM collmine.replay_fitness('crp_log', (SELECT net FROM crp.model), 'segment');
SELECT * FROM collmine.replay_fitness('crp_log', (SELECT net FROM crp.model));
-- a label the log never uses is reported; a NULL net is an error
SELECT traces, unmapped, fitness FROM collmine.replay_fitness('crp_log',
    collmine.sequence_net(ARRAY['register request', 'Decide']));
SELECT * FROM collmine.replay_fitness('crp_log', NULL);

SET client_min_messages = warning;
DROP SCHEMA crp CASCADE;
DROP SCHEMA crp_log CASCADE;
