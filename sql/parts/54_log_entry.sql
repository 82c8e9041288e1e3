-- Layer 5: the engine's entry points for a log named by its schema. A connector or
-- collmine.create_event_log leaves the canonical events and invoices tables there
-- (docs/architecture.md), so the analyst names the log, not its columns:
-- collmine.process_map('erp'), collmine.variants('erp', weight => 'amount'), collmine.traces('erp').
-- Each is the relation form's body (sql/parts/25_entry.sql, 26_process_map.sql) over a trace
-- query built here: the events' traces, with an invoices column as the case's money when asked.

-- Which numeric columns invoices has: the hint that follows a weight that is not one.
CREATE FUNCTION collmine._numeric_column_list(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a JOIN pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
      AND t.typcategory OPERATOR(pg_catalog.=) 'N'
$$;

-- The trace query of a log schema's events (_trace_sql's over <schema>.events) over source, a
-- query of the events' case_id, activity, ts and ord, in place of the events table itself (role
-- names, case order): the same text (_trace_query) with the subquery as its FROM item.
CREATE FUNCTION collmine._log_trace_source(source text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT collmine._trace_query(format('(%s) e', source), 'case_id', 'activity', 'ts', 'ord', NULL)
$$;

-- The trace query of a log schema's events (checked by the caller): over the events table, or,
-- when role_names is on and the vocabulary has rows, over the events with every activity that
-- the vocabulary maps named by its role's template name (collmine._role_names).
CREATE FUNCTION collmine._role_named_traces(log_schema name, role_names boolean)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev regclass := to_regclass(format('%I.events', log_schema));
BEGIN
    IF NOT role_names OR NOT EXISTS (SELECT 1 FROM collmine._role_names(log_schema)) THEN
        RETURN collmine._trace_sql(ev, 'case_id', 'activity', 'ts', 'ord', NULL);
    END IF;
    RETURN collmine._log_trace_source(
        format('SELECT e.case_id, coalesce(m.role_name, e.activity) AS activity, e.ts, e.ord'
               ' FROM %s e LEFT JOIN collmine._role_names(%L) m ON m.activity = e.activity',
               ev, log_schema));
END
$$;

-- The trace query (case_id, trace, weight, events) of a log schema: one trace per case of
-- <schema>.events in (ts, ord) order, and as its weight the named numeric column of
-- <schema>.invoices (NULL for a case without an invoices row), or NULL without a weight.
-- role_names: every activity that the log's vocabulary maps is named by its role's template
-- name (collmine._role_names), for rules written with the template's names.
CREATE FUNCTION collmine._log_trace_sql(log_schema name, weight text, role_names boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inv regclass;
    traces text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    traces := collmine._role_named_traces(log_schema, role_names);
    IF weight IS NULL THEN
        RETURN traces;
    END IF;
    inv := to_regclass(format('%I.invoices', log_schema));
    IF NOT collmine._has_column(inv, weight::name) THEN
        RAISE EXCEPTION 'column "%" of relation %.invoices does not exist', weight, quote_ident(log_schema)
            USING ERRCODE = 'undefined_column',
                  HINT = format('The weight is a numeric column of the invoices table: %s.',
                                coalesce(collmine._numeric_column_list(inv), 'it has none'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                    WHERE a.attrelid = inv AND a.attname = weight::name AND t.typcategory = 'N') THEN
        RAISE EXCEPTION 'column "%" of relation %.invoices is not numeric', weight, quote_ident(log_schema)
            USING ERRCODE = 'datatype_mismatch',
                  HINT = format('The weight is a numeric column of the invoices table: %s.',
                                coalesce(collmine._numeric_column_list(inv), 'it has none'));
    END IF;
    RETURN format('SELECT t.case_id, t.trace, i.%1$I::numeric AS weight, t.events FROM (%2$s) t '
                  'LEFT JOIN %3$I.invoices i ON i.case_id::text = t.case_id',
                  weight, traces, log_schema);
END
$$;

CREATE FUNCTION collmine.traces(log_schema name)
RETURNS TABLE (case_id text, trace collmine.trace)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY SELECT t.case_id, t.trace FROM collmine._traces(collmine._log_trace_sql(log_schema, NULL)) t;
END
$$;
COMMENT ON FUNCTION collmine.traces(name) IS
    'one trace per invoice of a log schema (its canonical events table)';

CREATE FUNCTION collmine.process_map(log_schema name, weight text DEFAULT NULL)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF weight IS NULL THEN
        -- the trace query would be the relation form's over <schema>.events: take that form, so
        -- that an events table stored in case order (as the connectors write it) is streamed
        PERFORM collmine._check_log(log_schema);
        RETURN collmine.process_map(to_regclass(format('%I.events', log_schema)), 'case_id', 'activity', 'ts', 'ord');
    END IF;
    RETURN collmine._process_map_of(to_regclass(format('%I.events', log_schema)), 'case_id',
                                    collmine._log_trace_sql(log_schema, weight), true);
END
$$;
COMMENT ON FUNCTION collmine.process_map(name, text) IS
    'the process map of a log schema, with a numeric invoices column (e.g. amount) as each invoice''s money when weight is given';

-- The variants of a log schema (src/variant_entry.c): without a weight, the relation form's over
-- <schema>.events, so that an events table stored in case order (as the connectors write it) is
-- streamed, as process_map(log_schema) is; with one, the cases hashed over _log_trace_sql's
-- query. In C, so that the rows are written once, into the result.
CREATE FUNCTION collmine.variants(log_schema name, weight text DEFAULT NULL)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
    AS 'MODULE_PATHNAME', 'variants_log_entry' LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION collmine.variants(name, text) IS
    'the variants of a log schema''s invoices, with a numeric invoices column (e.g. amount) summed as their money when weight is given';
