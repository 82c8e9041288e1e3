-- Layer 4: malformed rules and nets give clear errors with SQLSTATEs.
SET timezone = 'UTC';
\set VERBOSITY default
CREATE SCHEMA cerr;
CREATE TABLE cerr.one AS
  SELECT collmine.trace_agg(a, timestamptz '2024-01-01' + i * interval '1 day', i) AS t
  FROM (VALUES (1, 'A'), (2, 'B')) v(i, a);
-- print SQLSTATE and message of a statement instead of failing
CREATE FUNCTION cerr.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION cerr.rule(tmpl text, a text, b text, n integer, mind interval, maxd interval,
                          name text DEFAULT 'r') RETURNS text LANGUAGE sql AS $$
  SELECT cerr.try(format('SELECT collmine.validate_rules(ARRAY[ROW(%L, %L, %L, %L, %L, %L::interval, %L::interval, NULL, NULL)::collmine.rule])',
                         name, tmpl, a, b, n, mind, maxd))
$$;

-- rules
SELECT cerr.rule('eventually', 'A', 'B', NULL, NULL, NULL);          -- unknown template
SELECT cerr.rule('Response', 'A', 'B', NULL, NULL, NULL);            -- names are case-sensitive
SELECT cerr.rule(NULL, 'A', 'B', NULL, NULL, NULL);                  -- no template
SELECT cerr.rule('response', 'A', 'B', NULL, '-1 day', NULL);        -- negative window
SELECT cerr.rule('response', 'A', 'B', NULL, NULL, '-1 hour');       -- negative window
SELECT cerr.rule('response', 'A', 'B', NULL, '3 days', '2 days');    -- min > max
SELECT cerr.rule('response', 'A', NULL, NULL, NULL, NULL);           -- binary without activity_b
SELECT cerr.rule('existence', 'A', 'B', NULL, NULL, NULL);           -- unary with activity_b
SELECT cerr.rule('existence', NULL, NULL, NULL, NULL, NULL);         -- no activity
SELECT cerr.rule('exactly', 'A', NULL, NULL, NULL, NULL);            -- exactly without n
SELECT cerr.rule('absence', 'A', NULL, -1, NULL, NULL);              -- negative n
SELECT cerr.rule('response', 'A', 'B', 2, NULL, NULL);               -- n on a binary template
SELECT cerr.rule('init', 'A', NULL, NULL, NULL, '1 day');            -- window on init
SELECT cerr.rule('response', 'A', 'B', NULL, NULL, NULL, '');        -- empty rule name
SELECT cerr.rule('response', 'A', 'B', NULL, NULL, NULL, NULL);      -- no rule name
-- windows at the edges are fine: [0, 0] means "at the same time"; months count as 30 days
SELECT cerr.rule('response', 'A', 'B', NULL, '0', '0');
SELECT cerr.rule('response', 'A', 'B', NULL, '1 mon', '1 mon 1 day');
SELECT cerr.rule('response', 'A', 'B', NULL, NULL, '100000000 years'); -- out of range
-- duplicate rule names, a NULL element, strict mode
SELECT cerr.try($q$SELECT collmine.validate_rules(ARRAY[
    ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule,
    ROW('r', 'end', 'B', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule])$q$);
SELECT cerr.try($q$SELECT collmine.validate_rules(ARRAY[
    ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule, NULL])$q$);
SELECT cerr.try($q$SELECT collmine.validate_rules(ARRAY[
    ROW('r', 'response', 'A', 'Bee', NULL, NULL, NULL, NULL, NULL)::collmine.rule], ARRAY['A', 'B'])$q$);
SELECT cerr.try($q$SELECT collmine.validate_rules(ARRAY[
    ROW('r', 'response', 'A', 'B', NULL, NULL, NULL, NULL, NULL)::collmine.rule], ARRAY['A', 'B'])$q$);
-- the full message with its hint, once
SELECT collmine.check_trace(t, ARRAY[ROW('r', 'responds', 'A', 'B', NULL, NULL, NULL, NULL, NULL)::collmine.rule])
FROM cerr.one;
SELECT collmine.policy_fitness(t, ARRAY[ROW('late', 'response', 'A', 'B', NULL, '2 days', '1 day', NULL, NULL)::collmine.rule])
FROM cerr.one;
-- a malformed rule is reported even for an empty log (the rule set is compiled first)
SELECT collmine.validate_rules(ARRAY[ROW('neg', 'precedence', 'A', 'B', NULL, '-5 minutes', NULL, NULL, NULL)::collmine.rule]);
SELECT collmine.validate_rules(NULL) IS NULL AS null_in_null_out;

-- tallies
SELECT cerr.try($q$SELECT collmine.policy_adherence(ARRAY[
    ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule], '{1,0,0,0,0,0,0,0,0}')$q$);
SELECT cerr.try($q$SELECT collmine.policy_adherence(ARRAY[
    ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule], '{1,2,3}')$q$);
SELECT cerr.try($q$SELECT collmine.policy_adherence(ARRAY[
    ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule], '{1,NULL,0,0,0}')$q$);
SELECT cerr.try($q$SELECT collmine.policy_tally_union(t) FROM (VALUES ('{1,0,0,0,0}'::bigint[]), ('{1,0,0,0,0,0,0,0,0}')) v(t)$q$);
SELECT cerr.try($q$SELECT collmine.policy_tally(t, r) FROM cerr.one,
    (VALUES (ARRAY[ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule]),
            (ARRAY[ROW('r', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule,
                   ROW('s', 'end', 'B', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule])) v(r)$q$);
SELECT cerr.try($q$SELECT collmine.policy_tally_trans('{}', t, NULL) FROM cerr.one$q$);

-- nets
CREATE FUNCTION cerr.net(net text) RETURNS text LANGUAGE sql AS $$
  SELECT cerr.try(format('SELECT count(*) FROM collmine.petri_net_transitions(%L)', net))
$$;
SELECT cerr.net('');                                                           -- empty
SELECT cerr.net('places a b; final b; transition "X": a -> b');                -- no initial marking
SELECT cerr.net('places a b; initial a; transition "X": a -> b');              -- no final marking
SELECT cerr.net('places a b; initial a; final b');                             -- no transitions
SELECT cerr.net('places a b; initial a; final b; transition "X": a -> c');     -- unknown place
SELECT cerr.net('places a b; initial z; final b; transition "X": a -> b');     -- unknown place in marking
SELECT cerr.net('places a b a; initial a; final b; transition "X": a -> b');   -- duplicate place
SELECT cerr.net('places a b; initial a; final b; transition X: a -> b');       -- label not quoted
SELECT cerr.net('places a b; initial a; final b; transition "X" a -> b');      -- missing colon
SELECT cerr.net('places a b; initial a; final b; transition "X": a b');        -- missing arrow
SELECT cerr.net('places a b; initial a; final b; transition "X: a -> b');      -- unterminated label
SELECT cerr.net('places a b; initial a; final b; transition "": a -> b');      -- empty label
SELECT cerr.net('places a b; initial a; final b; transition "X": -> b');       -- no input place
SELECT cerr.net('places a b; initial a; final b; arc a b');                    -- unknown statement
SELECT cerr.net('places a b; initial a; initial a; final b; transition "X": a -> b'); -- marking twice
SELECT cerr.net('places a b; initial a; final b; silent t: a -> b; silent t: b -> a'); -- duplicate silent
SELECT cerr.net('initial a; places a b; final b; transition "X": a -> b');     -- marking before places
SELECT cerr.net('places a b
initial a
final b
transition "X": a -> b extra!');                                               -- error on line 4
-- comments, blank lines and ';' are fine; a quote inside a label is written twice
SELECT * FROM collmine.petri_net_transitions($n$
  # a comment
  places a b   # trailing comment

  initial a; final b
  transition "say ""hi""": a -> b
  silent back: b -> a
$n$);
-- the full message with its hint, once
SELECT collmine.replay(t, 'places a b; initial a; final b; transition "A": a -> c') FROM cerr.one;

SET client_min_messages = warning;
DROP SCHEMA cerr CASCADE;
