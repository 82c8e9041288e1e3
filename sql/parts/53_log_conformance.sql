-- Layer 5: conformance of a whole log schema in one call. Layer 4 gives the mergeable pieces
-- (trace_agg, policy_tally, policy_adherence(rules, tally)); an analyst with a connector log
-- should not have to assemble them: traces per invoice, one tally per group, one row per group
-- and rule.

-- Whether a log schema's traces can be streamed in case order: its events table is stored in
-- case order with its case index (_in_case_order, as the connectors write it), is not a
-- Citus-distributed table (whose ordered read would be pulled to the coordinator whole), and its
-- vocabulary maps no activity (the trace query would join the role names, which loses the
-- order; without hash joins that join would be a sort or a nested loop over every event).
CREATE FUNCTION collmine._log_in_case_order(log_schema name)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev regclass := to_regclass(format('%I.events', log_schema));
BEGIN
    RETURN collmine._in_case_order(ev, 'case_id')
       AND NOT EXISTS (SELECT 1 FROM collmine._role_names(log_schema))
       AND NOT collmine._citus_distributed(format('SELECT 1 FROM %s', ev));
END
$$;

-- The trace query of a log schema's events (_log_trace_sql's without a weight) over the events
-- read in (case_id, ts, ord) order, for a log that _log_in_case_order accepts (so without
-- vocabulary rows, whose role names this query does not put in): the planner then builds each
-- case's trace from the case index one case at a time (GroupAggregate) instead of hashing a
-- million cases' traces, and the traces come out in case order for a merge join with invoices
-- (_log_tally_rows_in_case_order).
CREATE FUNCTION collmine._log_traces_in_case_order(log_schema name)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN collmine._log_trace_source(
        format('SELECT case_id, activity, ts, ord FROM %s ORDER BY case_id, ts, ord',
               to_regclass(format('%I.events', log_schema))));
END
$$;

-- The one grouping of the log-schema conformance entry points: a CTE g of one tally per group
-- (gv: grp, an expression over the invoices row i from _group_expr), tallied by the aggregate
-- `tally`(trace, $1) over the log's traces as policy_adherence and replay_fitness read them
-- (_log_trace_sql with role names: a model in the template's names checks a log whose
-- vocabulary maps other names). in_case_order (_log_in_case_order): the traces are built from
-- the events read in case order (_log_traces_in_case_order).
CREATE FUNCTION collmine._log_tally_sql(log_schema name, grp text, tally text, in_case_order boolean)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    traces text := CASE WHEN in_case_order THEN collmine._log_traces_in_case_order(log_schema)
                        ELSE collmine._log_trace_sql(log_schema, NULL, true) END;
BEGIN
    RETURN format($q$
        WITH t AS (%3$s),
             g AS (SELECT (%2$s) AS gv, %4$s(t.trace, $1) AS tally
                     FROM t LEFT JOIN %1$I.invoices i ON i.case_id::text = t.case_id::text
                    GROUP BY 1)
    $q$, log_schema, grp, traces, tally);
END
$$;

-- The rows of query q (_log_tally_sql's, in case order, and the caller's SELECT over g; or
-- another query over _log_traces_in_case_order's traces, such as _process_maps_by_currency's)
-- with arg as $1, planned without hash joins: the traces, streamed in case order, are merge-joined with
-- invoices read through their primary key instead of a million traces being hashed (about 350 MB
-- at 1M invoices) for a hash join. The SET clause lasts for this call only; the rows are the same.
CREATE FUNCTION collmine._log_tally_rows_in_case_order(q text, arg anyelement)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
AS $$
BEGIN
    RETURN QUERY EXECUTE q USING arg;
END
$$;

-- A log in words of its own is checked against rules written with the template's names
-- (collmine.default_dunning_policy()) through its vocabulary: the traces carry each mapped
-- activity's role name (its template name), and a rule that names a mapped activity of the log
-- is read as naming its role. A log without vocabulary rows is checked as it is.
CREATE FUNCTION collmine.policy_adherence(log_schema name, rules collmine.rule[], group_by text DEFAULT NULL,
                                          strict boolean DEFAULT false)
RETURNS TABLE (group_value text, rule_name text, template text, severity text, cases bigint,
               activated_cases bigint, satisfied_cases bigint, activations bigint,
               violations bigint, adherence double precision)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text; ordered boolean; q text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF rules IS NULL OR cardinality(rules) = 0 THEN
        RAISE EXCEPTION 'the rule set is empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass collmine.policy(''my_schema.policy_rules'', ''dunning'') or ARRAY(SELECT collmine.default_dunning_policy()).';
    END IF;
    rules := collmine.validate_rules(rules);
    PERFORM collmine._warn_unknown_activities(log_schema,
        ARRAY(SELECT a FROM unnest(rules) r, LATERAL (VALUES (r.activity_a), (r.activity_b)) v(a)), strict);
    -- a rule naming a mapped activity names its role (no change without vocabulary rows);
    -- the log's role names are read once
    WITH m AS MATERIALIZED (SELECT * FROM collmine._role_names(log_schema))
    SELECT array_agg(ROW(r.rule_name, r.template, coalesce(ma.role_name, r.activity_a),
                         coalesce(mb.role_name, r.activity_b),
                         r.n, r.min_delay, r.max_delay, r.severity, r.description)::collmine.rule ORDER BY o)
      INTO rules FROM unnest(rules) WITH ORDINALITY AS r(rule_name, template, activity_a, activity_b, n,
                                                         min_delay, max_delay, severity, description, o)
                 LEFT JOIN m ma ON ma.activity = r.activity_a
                 LEFT JOIN m mb ON mb.activity = r.activity_b;
    -- one tally per group; the rule set is a parameter, so every group uses the same one
    ordered := collmine._log_in_case_order(log_schema);
    q := collmine._log_tally_sql(log_schema, grp, 'collmine.policy_tally', ordered) || $q$
        SELECT g.gv, a.rule_name, a.template, a.severity, a.cases, a.activated_cases,
               a.satisfied_cases, a.activations, a.violations, a.adherence
          FROM g CROSS JOIN LATERAL collmine.policy_adherence($1, g.tally) WITH ORDINALITY
               AS a(rule_name, template, severity, cases, activated_cases, satisfied_cases,
                    activations, violations, adherence, rule_no)
         ORDER BY g.gv COLLATE "C" NULLS FIRST, a.rule_no
    $q$;
    IF ordered THEN
        RETURN QUERY SELECT * FROM collmine._log_tally_rows_in_case_order(q, rules)
            AS r(group_value text, rule_name text, template text, severity text, cases bigint,
                 activated_cases bigint, satisfied_cases bigint, activations bigint,
                 violations bigint, adherence double precision);
    ELSE
        RETURN QUERY EXECUTE q USING rules;
    END IF;
END
$$;
COMMENT ON FUNCTION collmine.policy_adherence(name, collmine.rule[], text, boolean) IS
    'adherence of a log schema''s invoices to a rule set (template names read through the log''s vocabulary), one row per group (an invoices column) and rule';

CREATE FUNCTION collmine.replay_fitness(log_schema name, net text, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, traces bigint, fitting_traces bigint, produced bigint,
               consumed bigint, missing bigint, remaining bigint, unmapped bigint,
               fitness double precision)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text; ordered boolean; q text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF net IS NULL THEN
        RAISE EXCEPTION 'the net is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a Petri net in collmine''s text form, e.g. collmine.sequence_net(ARRAY[''Invoice Generated'', ''Payment Received'']).';
    END IF;
    -- parses the net (its errors come first) and warns about labels the log never uses
    PERFORM collmine._warn_unknown_activities(log_schema,
        ARRAY(SELECT p.transition FROM collmine.petri_net_transitions(net) p WHERE NOT p.silent));
    -- one replay tally per group; the net is a parameter, so every group uses the same one
    ordered := collmine._log_in_case_order(log_schema);
    q := collmine._log_tally_sql(log_schema, grp, 'collmine.replay_tally', ordered) || $q$
        SELECT g.gv, f.traces, f.fitting_traces, f.produced, f.consumed, f.missing,
               f.remaining, f.unmapped, f.fitness
          FROM g CROSS JOIN LATERAL collmine.replay_fitness(g.tally) f
         ORDER BY g.gv COLLATE "C" NULLS FIRST
    $q$;
    IF ordered THEN
        RETURN QUERY SELECT * FROM collmine._log_tally_rows_in_case_order(q, net)
            AS r(group_value text, traces bigint, fitting_traces bigint, produced bigint,
                 consumed bigint, missing bigint, remaining bigint, unmapped bigint,
                 fitness double precision);
    ELSE
        RETURN QUERY EXECUTE q USING net;
    END IF;
END
$$;
COMMENT ON FUNCTION collmine.replay_fitness(name, text, text) IS
    'token replay of a log schema''s invoices on a Petri net: sums and log fitness per group (an invoices column)';
