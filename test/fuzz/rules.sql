-- test/fuzz/rules.sql: in-server random fuzzing of rule sets (collmine.rule[]), which need the
-- server's catalogs and so cannot run in the libFuzzer binaries. Run by test/fuzz/rules.sh with
-- :seconds set. Each round builds a random rule set by mutating valid rules (templates, activity
-- names, n, windows, severities, duplicates, NULLs), validates it (also in strict mode) and, when
-- valid, evaluates it over random traces with every entry point. Any error must carry a real
-- SQLSTATE: an internal error (XX000) or a crash (the connection is lost) fails the run.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS cm_fuzz CASCADE;
CREATE SCHEMA cm_fuzz;

CREATE FUNCTION cm_fuzz.pick(VARIADIC a text[]) RETURNS text LANGUAGE sql AS
$$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;

-- a random activity name: mostly from a small alphabet (so rules match), sometimes odd
CREATE FUNCTION cm_fuzz.act() RETURNS text LANGUAGE sql AS $$
SELECT CASE WHEN random() < 0.8 THEN cm_fuzz.pick('A', 'B', 'C', 'D', 'Invoice Settled')
            WHEN random() < 0.5 THEN NULL
            ELSE cm_fuzz.pick('', ' ', 'a -> b', E'new\nline', 'ünï', repeat('x', 300), 'r1') END $$;

-- a random interval: NULL, small, negative, huge, month-based
CREATE FUNCTION cm_fuzz.iv() RETURNS interval LANGUAGE sql AS $$
SELECT CASE floor(random() * 7)::int
         WHEN 0 THEN NULL WHEN 1 THEN NULL
         WHEN 2 THEN make_interval(secs => floor(random() * 100000))
         WHEN 3 THEN -make_interval(days => floor(random() * 10)::int)
         WHEN 4 THEN interval '178000000 years'
         WHEN 5 THEN make_interval(months => floor(random() * 1000)::int, days => floor(random() * 100)::int)
         ELSE interval '0' END $$;

CREATE FUNCTION cm_fuzz.rule(i int) RETURNS collmine.rule LANGUAGE sql AS $$
SELECT ROW(CASE WHEN random() < 0.03 THEN NULL WHEN random() < 0.05 THEN 'r1' ELSE 'r' || i END,
           CASE WHEN random() < 0.03 THEN cm_fuzz.pick('Response', 'nope', '', NULL)
                ELSE cm_fuzz.pick('existence', 'absence', 'exactly', 'init', 'end', 'responded_existence',
                                  'response', 'precedence', 'succession', 'chain_response',
                                  'chain_precedence', 'not_succession', 'co_existence') END,
           cm_fuzz.act(), cm_fuzz.act(),
           CASE floor(random() * 5)::int WHEN 0 THEN NULL WHEN 1 THEN -1 WHEN 2 THEN 2147483647
                ELSE floor(random() * 4)::int END,
           cm_fuzz.iv(), cm_fuzz.iv(),
           cm_fuzz.pick('error', 'warning', NULL, ''), cm_fuzz.pick(NULL, 'why'))::collmine.rule $$;

-- a random trace over the same alphabet, with ties, gaps and extreme times
CREATE FUNCTION cm_fuzz.trace() RETURNS collmine.trace LANGUAGE sql AS $$
SELECT collmine.trace_agg(cm_fuzz.pick('A', 'B', 'C', 'D', 'Invoice Settled'),
                          CASE WHEN random() < 0.05 THEN timestamptz '4714-11-24 00:00:00+00 BC'
                               WHEN random() < 0.05 THEN timestamptz '287000-01-01 00:00:00+00'
                               ELSE timestamptz '2024-01-01' + floor(random() * 20) * interval '1 day' END,
                          floor(random() * 5)::bigint)
FROM generate_series(1, floor(random() * 30)::int) $$;

CREATE FUNCTION cm_fuzz.run(seconds float8) RETURNS TABLE (rounds int, valid int, errors int) LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => seconds);
    rs collmine.rule[];
    t collmine.trace;
    state text;
    msg text;
    n int;
BEGIN
    rounds := 0; valid := 0; errors := 0;
    WHILE clock_timestamp() < deadline LOOP
        rounds := rounds + 1;
        n := floor(random() * 12)::int;
        SELECT array_agg(cm_fuzz.rule(i)) INTO rs FROM generate_series(1, n) i;
        IF random() < 0.05 THEN rs := rs || NULL::collmine.rule; END IF;
        BEGIN
            PERFORM collmine.validate_rules(rs);
            PERFORM collmine.validate_rules(rs, ARRAY['A', 'B', 'C', NULL]);
            valid := valid + 1;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            IF state = 'XX000' THEN RAISE EXCEPTION 'internal error for rule set %: %', rs, msg; END IF;
            errors := errors + 1;
        END;
        FOR k IN 1..5 LOOP
            t := cm_fuzz.trace();
            BEGIN
                PERFORM count(*) FROM collmine.check_trace(t, rs);
                PERFORM count(*) FROM collmine.rule_outcomes(t, rs);
                PERFORM collmine.policy_fitness(t, rs);
                PERFORM count(*) FROM collmine.policy_adherence(rs,
                    (SELECT collmine.policy_tally(x, rs) FROM (VALUES (t), (t), (NULL::collmine.trace)) v(x)));
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                IF state = 'XX000' THEN RAISE EXCEPTION 'internal error for rule set % on %: %', rs, t, msg; END IF;
            END;
        END LOOP;
    END LOOP;
    RETURN NEXT;
END $$;

SELECT setseed(extract(epoch FROM clock_timestamp())::numeric % 1 * 2 - 1);
SELECT 'rules: ' || rounds || ' rule sets (' || valid || ' valid, ' || errors || ' refused with an SQLSTATE)' AS result
FROM cm_fuzz.run(:seconds);
DROP SCHEMA cm_fuzz CASCADE;
