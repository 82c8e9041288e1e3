-- Layer 4: conformance checking. Declare-style rules with time windows (policies as data) and
-- token-based replay against a Petri net. Semantics and formats: docs/conformance.md.

-- rules and policies -------------------------------------------------------------------------

CREATE TYPE collmine.rule AS (
    rule_name   text,       -- unique within a rule set
    template    text,       -- existence, absence, exactly, init, end, responded_existence, response,
                            -- precedence, succession, chain_response, chain_precedence,
                            -- not_succession, co_existence
    activity_a  text,       -- the (first) activity
    activity_b  text,       -- the second activity of binary templates, else NULL
    n           integer,    -- count of existence (default 1), absence (default 0), exactly (required)
    min_delay   interval,   -- time window [min_delay, max_delay]; NULL = no bound
    max_delay   interval,
    severity    text,       -- free text, default 'error'
    description text
);
COMMENT ON TYPE collmine.rule IS 'one Declare-style rule with an optional time window';

CREATE FUNCTION collmine.validate_rules(rules collmine.rule[], activities text[] DEFAULT NULL)
    RETURNS collmine.rule[]
    AS 'MODULE_PATHNAME', 'cm_validate_rules' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION collmine.validate_rules(collmine.rule[], text[]) IS
    'raises an error for a malformed rule (strict: every activity must be in activities); returns the rules';

CREATE FUNCTION collmine.check_trace(trace collmine.trace, rules collmine.rule[],
        OUT rule_name text, OUT template text, OUT severity text,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT explanation text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_check_trace' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION collmine.check_trace(collmine.trace, collmine.rule[]) IS
    'the violations of a trace: one row per violated activation';

CREATE FUNCTION collmine.rule_outcomes(trace collmine.trace, rules collmine.rule[],
        OUT rule_name text, OUT template text, OUT severity text,
        OUT activations bigint, OUT violations bigint, OUT satisfied boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_rule_outcomes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.rule_outcomes(collmine.trace, collmine.rule[]) IS
    'per rule: activations, violated activations and whether the trace satisfies the rule';

CREATE FUNCTION collmine.policy_fitness(trace collmine.trace, rules collmine.rule[])
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'cm_policy_fitness' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.policy_fitness(collmine.trace, collmine.rule[]) IS
    'share of rule activations that are satisfied (1 when nothing activates)';

-- log-level adherence in one pass: a mergeable bigint[] tally, then its rows. The tally's last
-- element is its rule set's fingerprint (policy_fingerprint); 0.1.0 tallies have none and are
-- still read, checked by their length only (docs/conformance.md).
CREATE FUNCTION collmine.policy_tally_trans(bigint[], collmine.trace, collmine.rule[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_policy_tally_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.policy_tally_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_policy_tally_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE collmine.policy_tally(trace collmine.trace, rules collmine.rule[]) (
    SFUNC = collmine.policy_tally_trans,
    STYPE = bigint[],
    INITCOND = '{}',
    COMBINEFUNC = collmine.policy_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.policy_tally(collmine.trace, collmine.rule[]) IS
    'per-rule counters over many traces (cases, activated and satisfied cases, activations, violations), ending with the rule set''s fingerprint';

CREATE AGGREGATE collmine.policy_tally_union(tally bigint[]) (
    SFUNC = collmine.policy_tally_combine,
    STYPE = bigint[],
    COMBINEFUNC = collmine.policy_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.policy_tally_union(bigint[]) IS
    'merges policy tallies of the same rule set (rollups, partitions, shards); different fingerprints are an error';

CREATE FUNCTION collmine.policy_adherence(rules collmine.rule[], tally bigint[],
        OUT rule_name text, OUT template text, OUT severity text, OUT cases bigint,
        OUT activated_cases bigint, OUT satisfied_cases bigint,
        OUT activations bigint, OUT violations bigint, OUT adherence double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_policy_adherence' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.policy_adherence(collmine.rule[], bigint[]) IS
    'one row per rule from a policy tally of that rule set (checked by its fingerprint); adherence = satisfied cases / cases';

CREATE FUNCTION collmine.policy_fingerprint(rules collmine.rule[]) RETURNS bigint
    AS 'MODULE_PATHNAME', 'cm_policy_fingerprint_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.policy_fingerprint(collmine.rule[]) IS
    'the 64-bit fingerprint of a rule set (names, templates, activities, n, windows, in order) that its policy tallies end with';

CREATE FUNCTION collmine.create_policy_table(target_schema name, rule_table name DEFAULT 'policy_rules')
    RETURNS regclass
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format($f$
        CREATE TABLE %I.%I (
            policy      text     NOT NULL,
            rule_name   text     NOT NULL,
            template    text     NOT NULL,
            activity_a  text     NOT NULL,
            activity_b  text,
            n           integer,
            min_delay   interval,
            max_delay   interval,
            severity    text     NOT NULL DEFAULT 'error',
            description text,
            PRIMARY KEY (policy, rule_name)
        )$f$, target_schema, rule_table);
    RETURN format('%I.%I', target_schema, rule_table)::regclass;
END
$$;
COMMENT ON FUNCTION collmine.create_policy_table(name, name) IS
    'creates a user-owned table of policy rules in the documented format';

CREATE FUNCTION collmine.policy(rule_table regclass, policy_name text, activities text[] DEFAULT NULL)
    RETURNS collmine.rule[]
    LANGUAGE plpgsql STABLE SECURITY INVOKER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rules collmine.rule[];
BEGIN
    EXECUTE format(
        'SELECT pg_catalog.array_agg(ROW(rule_name, template, activity_a, activity_b, n,'
        ' min_delay, max_delay, severity, description)::collmine.rule ORDER BY rule_name)'
        ' FROM %s WHERE policy OPERATOR(pg_catalog.=) $1', rule_table)
        INTO rules USING policy_name;
    IF rules IS NULL THEN
        RAISE EXCEPTION 'policy "%" has no rules in %', policy_name, rule_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Insert rules with that policy name, e.g. from collmine.default_dunning_policy().';
    END IF;
    RETURN collmine.validate_rules(rules, activities);
END
$$;
COMMENT ON FUNCTION collmine.policy(regclass, text, text[]) IS
    'the validated rule set of one policy in a rule table (strict when activities is given)';

-- The activities are named through their roles (collmine.activity_roles(), template names), so
-- the policy names no activity of its own; policy_adherence(log_schema, ...) reads them through
-- a log's vocabulary.
CREATE FUNCTION collmine.default_dunning_policy() RETURNS SETOF collmine.rule
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ROW(r.rule_name, r.template, a.activity, b.activity, r.n,
               r.min_delay::interval, r.max_delay::interval, r.severity, r.description)::collmine.rule
    FROM (VALUES
        (1, 'starts_with_invoice', 'init', 'invoice_created', NULL, NULL, NULL, NULL, 'error',
         'every case starts with Invoice Generated'),
        (2, 'invoice_sent_in_2_days', 'response', 'invoice_created', 'invoice_sent', NULL,
         NULL, '2 days', 'warning', 'the invoice reaches the customer within 2 days'),
        (3, 'reminder_in_7_days', 'response', 'due_date_passed', 'reminder', NULL,
         NULL, '7 days', 'error', 'Overdue Reminder Sent within 7 days after Payment Due Date Passed'),
        (4, 'dunning_after_due_date', 'precedence', 'due_date_passed', 'dunning_started', NULL,
         NULL, NULL, 'error', 'no Dunning Procedure Initiated before Payment Due Date Passed'),
        (5, 'no_write_off_without_dunning', 'precedence', 'dunning_started', 'written_off', NULL,
         NULL, NULL, 'error', 'no Invoice Written Off without an earlier Dunning Procedure Initiated'),
        (6, 'call_after_reminder', 'precedence', 'reminder', 'call', NULL,
         NULL, NULL, 'error', 'Collection Call Made only after an Overdue Reminder Sent'),
        (7, 'dispute_resolved', 'response', 'dispute_opened', 'dispute_closed', NULL,
         NULL, '30 days', 'warning', 'every dispute is resolved within 30 days'),
        (8, 'posted_in_3_days', 'response', 'payment_received', 'payment_posted', NULL,
         NULL, '3 days', 'warning', 'payments are posted within 3 days of receipt'),
        (9, 'no_reminder_after_settlement', 'not_succession', 'settled', 'reminder', NULL,
         NULL, NULL, 'error', 'no Overdue Reminder Sent after Invoice Settled'),
        (10, 'settled_at_most_once', 'absence', 'settled', NULL, 1,
         NULL, NULL, 'error', 'Invoice Settled happens at most once')
    ) AS r(k, rule_name, template, role_a, role_b, n, min_delay, max_delay, severity, description)
    LEFT JOIN collmine.activity_roles() a ON a.role OPERATOR(pg_catalog.=) r.role_a
    LEFT JOIN collmine.activity_roles() b ON b.role OPERATOR(pg_catalog.=) r.role_b
    ORDER BY r.k
$$;
COMMENT ON FUNCTION collmine.default_dunning_policy() IS
    'an example dunning policy of 10 rules, to insert into a policy table';

-- Petri nets and token replay ----------------------------------------------------------------

CREATE FUNCTION collmine.petri_net_transitions(net text,
        OUT transition text, OUT silent boolean, OUT inputs text[], OUT outputs text[])
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_petri_net_transitions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.petri_net_transitions(text) IS
    'validates a Petri net in collmine''s text form and lists its transitions';

CREATE TYPE collmine.replay_result AS (
    produced  bigint,
    consumed  bigint,
    missing   bigint,
    remaining bigint,
    unmapped  integer,
    fitness   double precision,
    fits      boolean
);
COMMENT ON TYPE collmine.replay_result IS 'token-replay counts and fitness of one trace';

CREATE FUNCTION collmine.replay(trace collmine.trace, net text) RETURNS collmine.replay_result
    AS 'MODULE_PATHNAME', 'cm_replay' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.replay(collmine.trace, text) IS
    'token-based replay of a trace on a Petri net: produced, consumed, missing, remaining, fitness';

CREATE FUNCTION collmine.replay_deviations(trace collmine.trace, net text,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT kind text,
        OUT tokens bigint, OUT places text[], OUT explanation text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_replay_deviations' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION collmine.replay_deviations(collmine.trace, text) IS
    'the steps where a trace deviates from a Petri net during token replay';

-- log-level replay in one pass: a mergeable bigint[] tally (traces, fitting traces, produced,
-- consumed, missing, remaining, unmapped, the net's fingerprint), then its fitness
CREATE FUNCTION collmine.replay_tally_trans(bigint[], collmine.trace, text) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_replay_tally_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.replay_tally_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_replay_tally_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION collmine.replay_tally_trans(bigint[], collmine.trace, text) IS
    'transition function of replay_tally: adds one trace''s replay counts to the tally';
COMMENT ON FUNCTION collmine.replay_tally_combine(bigint[], bigint[]) IS
    'combine function of replay_tally and replay_tally_union: adds two tallies of the same net';

CREATE AGGREGATE collmine.replay_tally(trace collmine.trace, net text) (
    SFUNC = collmine.replay_tally_trans,
    STYPE = bigint[],
    INITCOND = '{}',
    COMBINEFUNC = collmine.replay_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.replay_tally(collmine.trace, text) IS
    'token replay of many traces on one net: traces, fitting traces, produced, consumed, missing, remaining, unmapped, net fingerprint';

CREATE AGGREGATE collmine.replay_tally_union(tally bigint[]) (
    SFUNC = collmine.replay_tally_combine,
    STYPE = bigint[],
    COMBINEFUNC = collmine.replay_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.replay_tally_union(bigint[]) IS
    'merges replay tallies of the same net (rollups, partitions, shards); different nets are an error';

CREATE FUNCTION collmine.replay_fitness(tally bigint[],
        OUT traces bigint, OUT fitting_traces bigint, OUT produced bigint, OUT consumed bigint,
        OUT missing bigint, OUT remaining bigint, OUT unmapped bigint, OUT fitness double precision)
    RETURNS record
    AS 'MODULE_PATHNAME', 'cm_replay_fitness' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.replay_fitness(bigint[]) IS
    'the sums of a replay tally and the log fitness 1/2(1 - m/c) + 1/2(1 - r/p) over them (NULL for no traces)';

CREATE FUNCTION collmine.token_fitness(produced numeric, consumed numeric,
                                       missing numeric, remaining numeric)
    RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- OPERATOR() forms all share one precedence, so every subexpression is parenthesized
    SELECT ((0.5 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-)
                CASE WHEN consumed OPERATOR(pg_catalog.>) 0
                     THEN (missing OPERATOR(pg_catalog./) consumed) ELSE 0 END))
            OPERATOR(pg_catalog.+)
            (0.5 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-)
                CASE WHEN produced OPERATOR(pg_catalog.>) 0
                     THEN (remaining OPERATOR(pg_catalog./) produced) ELSE 0 END)))::double precision
$$;
COMMENT ON FUNCTION collmine.token_fitness(numeric, numeric, numeric, numeric) IS
    'token-replay fitness 1/2(1 - m/c) + 1/2(1 - r/p); pass sums over traces for the log fitness';

CREATE FUNCTION collmine.sequence_net(activities text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT 'places ' OPERATOR(pg_catalog.||)
           (SELECT pg_catalog.string_agg('p' OPERATOR(pg_catalog.||) i::text, ' ' ORDER BY i)
              FROM pg_catalog.generate_series(0, pg_catalog.cardinality(activities)) AS i)
           OPERATOR(pg_catalog.||) E'\ninitial p0\nfinal p'
           OPERATOR(pg_catalog.||) pg_catalog.cardinality(activities)::text
           OPERATOR(pg_catalog.||) pg_catalog.string_agg(
               E'\ntransition "' OPERATOR(pg_catalog.||) pg_catalog.replace(a, '"', '""')
               OPERATOR(pg_catalog.||) '": p' OPERATOR(pg_catalog.||) (i OPERATOR(pg_catalog.-) 1)::text
               OPERATOR(pg_catalog.||) ' -> p' OPERATOR(pg_catalog.||) i::text, '' ORDER BY i)
    FROM pg_catalog.unnest(activities) WITH ORDINALITY AS u(a, i)
$$;
COMMENT ON FUNCTION collmine.sequence_net(text[]) IS
    'a Petri net (text form) that allows exactly the given sequence of activities';
