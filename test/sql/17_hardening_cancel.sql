-- Issue 13, item 1: every call can be cancelled, and what can be bounded is bounded.
--
-- Each slow input of the audit is built first (outside the timeout), then run under
-- statement_timeout = '1s'. An input that is still slow must end with the cancel error (so the
-- call reached CHECK_FOR_INTERRUPTS); an input that is now bounded or fast ends with its limit
-- error or its result. The slow inputs are sized to run for a minute or more without the cancel,
-- so the expected cancel does not depend on the machine's speed.
CREATE SCHEMA t17;
SET search_path = t17, public;

-- 1. nested counts over an empty group: 10^9 compile steps that emit no instruction; refused at
--    once by the expansion bound (54000), before any work
SET statement_timeout = '1s';
SELECT collmine.trace_matches('{"v":1,"skipped":0,"events":[]}', '(((){1000}){1000}){1000}');
SELECT collmine.trace_matches('{"v":1,"skipped":0,"events":[]}', '((){1000}){100}');
RESET statement_timeout;
-- the bound counts steps, not only instructions: 100 x 1000 empty groups are within it
SELECT collmine.trace_matches('{"v":1,"skipped":0,"events":[]}', '((){1000}){99}') AS empty_matches;

-- 2. a 30,000-name activity set, on a 20,000-event trace: each test costs at most the trace's
--    7 distinct activities now, so it returns well within the timeout
CREATE TABLE pat AS
SELECT '[' || string_agg(format('"n%s"', i), ' ') || ']*' AS p FROM generate_series(1, 30000) i;
CREATE TABLE long_trace AS
SELECT collmine.trace_agg('n' || (1 + i % 7), timestamptz '2024-01-01' + i * interval '1 minute') AS t
FROM generate_series(1, 20000) i;
SET statement_timeout = '1s';
SELECT collmine.trace_matches(t, p) AS all_in_set FROM long_trace, pat;
SELECT collmine.trace_matches(t, replace(p, '"n3"', '"x3"')) AS all_in_set FROM long_trace, pat;
RESET statement_timeout;

-- 3. Petri-net replay whose silent-transition search runs for every event: 60 silent
--    transitions keep making new markings and none enables "a" (its input place never gets a
--    token). About 1 ms per event, 50,000 events: cancelled after a second.
CREATE TABLE nets AS
SELECT 'places start x never ' || string_agg('y' || i, ' ') || E'\ninitial start\nfinal x\n'
       || E'transition "a": never -> x\ntransition "b": start -> x\n'
       || string_agg(format(E'silent s%s: x -> x y%s', i, i), E'\n') AS net
FROM generate_series(1, 60) i;
CREATE TABLE many_a AS
SELECT collmine.trace_agg('a', timestamptz '2024-01-01' + i * interval '1 minute') AS t
FROM generate_series(1, 50000) i;
SET statement_timeout = '1s';
SELECT (collmine.replay(t, net)).fitness FROM many_a, nets;
SELECT count(*) FROM many_a, nets, collmine.replay_deviations(t, net);
RESET statement_timeout;
-- the same net on a short trace still replays (the search is bounded per event)
SELECT r.produced, r.consumed, r.missing, r.remaining, r.unmapped, r.fits
FROM nets, collmine.replay('{"v":1,"skipped":0,"events":[["a","2024-01-01T00:00:00Z"]]}', net) r;

-- 4. Petri-net parsing: 10,000 places and one transition naming places 400,000 times (each
--    mention looked up among the places): cancelled after a second
CREATE TABLE bignet AS
SELECT (SELECT 'places ' || string_agg('p' || i, ' ') FROM generate_series(1, 10000) i)
       || E'\ninitial p1\nfinal p2\ntransition "a": '
       || (SELECT string_agg('p' || (9000 + i % 1000), ' ') FROM generate_series(1, 200000) i)
       || ' ' || (SELECT string_agg('p' || (8000 + i % 1000), ' ') FROM generate_series(1, 200000) i)
       || ' -> p2' AS net;
SET statement_timeout = '1s';
SELECT count(*) FROM bignet, collmine.petri_net_transitions(net);
RESET statement_timeout;
-- the documented size limits
SELECT collmine.petri_net_transitions('places ' || string_agg('p' || i, ' ') || E'\ninitial p1\nfinal p1\ntransition "a": p1 -> p1')
FROM generate_series(1, 10001) i;

-- 5. 40,000 rules: validation was quadratic in the rule count (duplicate names) and in
--    strict mode (rules x activities); both sort now and return within the timeout
CREATE TABLE rules AS
SELECT array_agg(ROW('r' || i, 'response', 'A' || i, 'B', NULL, NULL, NULL, NULL, NULL)::collmine.rule ORDER BY i) AS rs,
       array_agg('A' || i ORDER BY i) || ARRAY['B'] AS acts
FROM generate_series(1, 40000) i;
SET statement_timeout = '1s';
SELECT cardinality(collmine.validate_rules(rs)) AS rules FROM rules;
SELECT cardinality(collmine.validate_rules(rs, acts)) AS rules_strict FROM rules;
RESET statement_timeout;
-- the duplicate that comes first in array order is the one reported, as before
SELECT collmine.validate_rules(rs || ARRAY[ROW('r7', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule,
                                          ROW('r3', 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule])
FROM rules;
SELECT collmine.validate_rules(rs, acts[2:]) FROM rules;
-- at most 100,000 rules in one rule set
SELECT collmine.validate_rules(array_agg(ROW('r' || i, 'init', 'A', NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule))
FROM generate_series(1, 100001) i;

-- 6. rule evaluation and the renderers and SRFs over large inputs are cancellable too:
--    100,000 rules evaluated on a 20,000-event trace, row by row
CREATE TABLE many_rules AS
SELECT array_agg(ROW('r' || i, 'response', 'n' || (1 + i % 7), 'n' || (1 + (i + 1) % 7), NULL, NULL, NULL, NULL, NULL)::collmine.rule) AS rs
FROM generate_series(1, 100000) i;
SET statement_timeout = '1s';
SELECT count(*) FROM long_trace, many_rules, collmine.check_trace(t, rs);
RESET statement_timeout;

-- 7. the streamed entry points (process_map(), variants() over a relation stored case after
--    case) try the stream inside an exception block that falls back to hashing when the stream
--    refuses its input. A cancel is not a refusal: it must end the call, not start the fallback.
--    The log is a view whose every row waits 0.5 ms (100,000 rows: 50 s without the cancel), so
--    the cancel lands while the stream reads it.
CREATE TABLE stream_src AS
SELECT i / 4 AS case_id, 'a' || (i % 4) AS activity, timestamptz '2024-01-01' + i * interval '1 minute' AS ts
FROM generate_series(0, 99999) i;
CREATE FUNCTION slow_row() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN PERFORM pg_sleep(0.0005); RETURN true; END $$;
CREATE VIEW slow_log AS SELECT * FROM stream_src WHERE slow_row();
-- (terse: the error's context lists the stream's query, whose text is not what is tested; had
-- the cancel been taken for a refusal, the hashed fallback would run on for 50 s and answer)
\set VERBOSITY terse
SET statement_timeout = '1s';
SELECT count(*) FROM collmine.dfg_edges(collmine.process_map('slow_log', 'case_id', 'activity', 'ts'));
SELECT count(*) FROM collmine.variants('slow_log', 'case_id', 'activity', 'ts');
RESET statement_timeout;
\set VERBOSITY default
-- the session goes on, and the same calls on the table itself answer: 25,000 cases
-- of a0 -> a1 -> a2 -> a3 make 3 edges and one variant
SELECT count(*) AS edges FROM collmine.dfg_edges(collmine.process_map('stream_src', 'case_id', 'activity', 'ts'));
SELECT variant, cases FROM collmine.variants('stream_src', 'case_id', 'activity', 'ts');

DROP SCHEMA t17 CASCADE;
