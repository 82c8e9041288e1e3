-- collmine install script, layer 5b: the credit & collections dashboards as views.
--
-- collmine.create_dashboards(log_schema, target_schema) creates, in a schema the user names and
-- owns, one view per dashboard over the canonical log in log_schema, and a materialized variant
-- <name>_mv of each with a unique index, so that collmine.refresh_dashboards() can refresh them
-- concurrently (from pg_cron, for example). Column names and types are stable and documented in
-- docs/dashboards/*.md; every output column carries an explicit cast.
--
-- The views call collmine functions, so they depend on the extension: DROP EXTENSION collmine
-- refuses while dashboards exist, and DROP EXTENSION collmine CASCADE drops the dashboard views
-- and materialized views (derived data only). The log tables never depend on collmine and are
-- never dropped. collmine.drop_dashboards() removes the dashboards on their own.

-- The dashboard names, in documentation order; the materialized variant of each is <name>_mv.
CREATE FUNCTION collmine.dashboard_names()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['collection_strategy_by_segment', 'overdue_invoices_aging',
                   'dispute_resolution_time', 'write_off_root_causes', 'manual_activity_impact',
                   'payment_posting_lag', 'payment_terms_compliance', 'invoice_to_cash_overview',
                   'process_map_edges', 'process_map_activities', 'variants', 'policy_adherence']::text[] $$;

-- The process map of each currency's invoices, weighted by the invoice amount: the one source of
-- the process_map_edges and process_map_activities dashboards (money is never summed across
-- currencies; a case without an invoices row or currency is in '(none)'). One aggregate over
-- the log's trace query, as _process_map builds a single map: the traces stream into dfg_agg
-- instead of passing one by one through traces() and two result sets (at 1M invoices each
-- holds a million traces and spills to disk), with the same report of events left out. On a log
-- stored in case order (_log_in_case_order) the traces are built one case at a time from the
-- case index and merge-joined with invoices (_log_traces_in_case_order,
-- _log_tally_rows_in_case_order) instead of a million traces being hashed for the join.
CREATE FUNCTION collmine._process_maps_by_currency(log_schema name)
RETURNS TABLE (currency text, map collmine.dfg)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    null_events bigint := 0;
    skipped bigint := 0;
    ordered boolean;
    traces text;
    q text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    ordered := collmine._log_in_case_order(log_schema);
    traces := CASE WHEN ordered THEN collmine._log_traces_in_case_order(log_schema)
                   ELSE collmine._log_trace_sql(log_schema, NULL) END;
    q := format(
        'SELECT coalesce(i.currency::text, ''(none)'') AS currency, '
        '       collmine.dfg_agg(t.trace, i.amount::numeric) FILTER (WHERE t.case_id IS NOT NULL) AS map, '
        '       count(t.case_id) AS cases, '
        '       coalesce(sum(t.events) FILTER (WHERE t.case_id IS NULL), 0) AS null_events, '
        '       coalesce(sum(collmine.trace_skipped(t.trace)) FILTER (WHERE t.case_id IS NOT NULL), 0) AS skipped '
        '  FROM (%s) t LEFT JOIN %I.invoices i ON i.case_id::text = t.case_id '
        ' GROUP BY 1', traces, log_schema);
    IF ordered THEN
        q := format('SELECT * FROM collmine._log_tally_rows_in_case_order(%L, NULL::boolean)'
                    ' AS m(currency text, map collmine.dfg, cases bigint, null_events numeric, skipped bigint)', q);
    END IF;
    FOR r IN EXECUTE q LOOP
        null_events := null_events + r.null_events;
        skipped := skipped + r.skipped;
        CONTINUE WHEN r.cases = 0;
        currency := r.currency;
        map := r.map;
        RETURN NEXT;
    END LOOP;
    PERFORM collmine._report_left_out(null_events, skipped);
END
$$;

-- The SELECT of one dashboard view over the log in log_schema: the dashboard's function
-- (sql/parts/57_dashboard_queries.sql), whose body was checked when collmine was installed.
CREATE FUNCTION collmine._dashboard_sql(dashboard text, log_schema name)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF dashboard IS NULL OR NOT dashboard = ANY (collmine.dashboard_names()) THEN
        RAISE EXCEPTION 'unknown dashboard: %', dashboard
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Use one of: %s.', array_to_string(collmine.dashboard_names(), ', '));
    END IF;
    RETURN format('SELECT * FROM collmine.%I(%L)', 'dashboard_' || dashboard, log_schema);
END
$$;

-- The materialized views that create_dashboards makes next to the materialized dashboards and
-- refresh_dashboards refreshes first, each computed once per refresh of the set and read by the
-- materialized dashboards whose function takes it (as the argument argname): the invoice facts
-- (collmine.invoice_facts) and each currency's process map (_process_maps_by_currency). The
-- views compute them, so that they are always current.
CREATE FUNCTION collmine._dashboard_shared(log_schema name)
RETURNS TABLE (relname name, argname name, query text, key text, about text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES ('invoice_facts_mv'::name, 'facts'::name, format('SELECT * FROM collmine.invoice_facts(%L)', log_schema),
            'case_id', 'collmine.invoice_facts'),
           ('process_maps_mv'::name, 'maps'::name, format('SELECT * FROM collmine._process_maps_by_currency(%L)', log_schema),
            'currency', 'the process map of each currency')
$$;

-- The SELECT of one dashboard's materialized variant in target_schema: its function over the
-- log, given the shared relation (_dashboard_shared) that it takes as its second argument, so
-- that it reads what the relation holds instead of computing it; else the same SELECT as the
-- view's (_dashboard_sql).
CREATE FUNCTION collmine._dashboard_mv_sql(dashboard text, log_schema name, target_schema name)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q text := collmine._dashboard_sql(dashboard, log_schema);
    rel regclass;
BEGIN
    SELECT to_regclass(format('%I.%I', target_schema, sh.relname)) INTO rel
      FROM pg_proc p JOIN collmine._dashboard_shared(log_schema) sh
           ON sh.argname OPERATOR(pg_catalog.=) p.proargnames[2]
     WHERE p.oid OPERATOR(pg_catalog.=) to_regprocedure(format('collmine.%I(name, regclass)', 'dashboard_' || dashboard));
    IF rel IS NOT NULL THEN
        RETURN format('SELECT * FROM collmine.%I(%L, %L::regclass)', 'dashboard_' || dashboard, log_schema, rel::text);
    END IF;
    RETURN q;
END
$$;

-- Raise a clear error, when the dashboards are created, unless the log has the invoice and
-- event columns that the dashboards show besides those every KPI needs (_check_log).
CREATE FUNCTION collmine._check_dashboard_log(log_schema name)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text[];
BEGIN
    PERFORM collmine._check_log(log_schema);
    SELECT array_agg(v.rel || '.' || v.col ORDER BY v.n) INTO missing
      FROM (VALUES (1, 'events', 'is_automated'), (2, 'invoices', 'customer_id'), (3, 'invoices', 'customer_name'),
                   (4, 'invoices', 'segment'), (5, 'invoices', 'collector'), (6, 'invoices', 'terms'),
                   (7, 'invoices', 'dispute_reason')) v(n, rel, col)
     WHERE NOT collmine._has_column(to_regclass(format('%I.%I', log_schema, v.rel)), v.col::name);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of relation "%.%" does not exist',
              split_part(missing[1], '.', 2), log_schema, split_part(missing[1], '.', 1)
            USING ERRCODE = 'undefined_column',
                  HINT = format('The dashboards need the canonical log layout of docs/architecture.md; missing: %s.',
                                array_to_string(missing, ', '));
    END IF;
END
$$;

-- The unique key columns of each dashboard's materialized variant.
CREATE FUNCTION collmine._dashboard_key(dashboard text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE dashboard
        WHEN 'collection_strategy_by_segment' THEN 'segment, currency'
        WHEN 'overdue_invoices_aging' THEN 'case_id'
        WHEN 'dispute_resolution_time' THEN 'case_id, dispute_no'
        WHEN 'write_off_root_causes' THEN 'attribute, rank_in_attribute'
        WHEN 'manual_activity_impact' THEN 'activity'
        WHEN 'payment_posting_lag' THEN 'month'
        WHEN 'payment_terms_compliance' THEN 'terms'
        WHEN 'invoice_to_cash_overview' THEN 'month, currency'
        WHEN 'process_map_edges' THEN 'currency, source, target'
        WHEN 'process_map_activities' THEN 'currency, activity'
        WHEN 'variants' THEN 'variant_id'
        WHEN 'policy_adherence' THEN 'segment, rule_name'
    END
$$;

-- The question each dashboard answers (also its COMMENT).
CREATE FUNCTION collmine._dashboard_question(dashboard text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE dashboard
        WHEN 'collection_strategy_by_segment' THEN 'Collection Strategy Performance by Segment: how well do dunning and calls collect, per segment and currency?'
        WHEN 'overdue_invoices_aging' THEN 'Overdue Invoices Aging and Status: which invoices are open, how old, and where are they in collections?'
        WHEN 'dispute_resolution_time' THEN 'Invoice Dispute Resolution Time: how long do disputes take, by reason, and which are still open?'
        WHEN 'write_off_root_causes' THEN 'Invoice Write-Off Root Cause Analysis: which attribute values drive write-offs?'
        WHEN 'manual_activity_impact' THEN 'Manual Activity Frequency and Impact: which activities are done by hand, and do those cases take longer?'
        WHEN 'payment_posting_lag' THEN 'Payment Posting Lag Analysis: how long from cash received to payment posted, per month?'
        WHEN 'payment_terms_compliance' THEN 'Payment Terms Compliance and Deviations: do customers pay within terms, and do due dates match terms?'
        WHEN 'invoice_to_cash_overview' THEN 'Invoice-to-cash overview: monthly trend of DSO, CEI, AR and cycle time per currency'
        WHEN 'process_map_edges' THEN 'Process map, edges: which step follows which, how often, how long between them, and how much money passes, per currency?'
        WHEN 'process_map_activities' THEN 'Process map, activities: how often does each step happen, in how many invoices, and for how much money, per currency?'
        WHEN 'variants' THEN 'Process variants: which paths do invoices take, how common is each, and how long does it take?'
        WHEN 'policy_adherence' THEN 'Policy adherence: how well does each segment follow each rule of the default dunning policy?'
    END
$$;

-- Create the dashboard views (and their materialized variants) for the log in log_schema,
-- in target_schema (created if missing). Returns the names of the relations created.
CREATE FUNCTION collmine.create_dashboards(log_schema name, target_schema name,
                                           materialized boolean DEFAULT true,
                                           replace boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    mv_names text[];
    shr record;
BEGIN
    PERFORM collmine._check_dashboard_log(log_schema);
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the schema for the dashboard views, e.g. collmine.create_dashboards(''erp_log'', ''dash'').';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;
    -- never touch a user's table or other relation that happens to carry a dashboard name (or
    -- the name of a shared relation, which must be a materialized view)
    SELECT array_agg(n || '_mv') || ARRAY(SELECT sh.relname::text FROM collmine._dashboard_shared(log_schema) sh)
      INTO mv_names FROM unnest(collmine.dashboard_names()) n;
    SELECT c.oid::regclass::text INTO d
      FROM pg_class c
     WHERE c.relnamespace OPERATOR(pg_catalog.=) to_regnamespace(quote_ident(target_schema))
       AND c.relname::text OPERATOR(pg_catalog.=) ANY (collmine.dashboard_names() || mv_names)
       AND NOT ((c.relkind OPERATOR(pg_catalog.=) 'v' AND c.relname::text OPERATOR(pg_catalog.=) ANY (collmine.dashboard_names()))
             OR (c.relkind OPERATOR(pg_catalog.=) 'm' AND c.relname::text OPERATOR(pg_catalog.=) ANY (mv_names)))
     LIMIT 1;
    IF d IS NOT NULL THEN
        RAISE EXCEPTION 'relation % already exists and is not a collmine dashboard view', d
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Use another target schema; create_dashboards never drops tables or other relations.';
    END IF;
    FOREACH d IN ARRAY collmine.dashboard_names() || ARRAY(SELECT sh.relname::text FROM collmine._dashboard_shared(log_schema) sh) LOOP
        IF to_regclass(format('%I.%I', target_schema, d)) IS NOT NULL
           OR to_regclass(format('%I.%I', target_schema, d || '_mv')) IS NOT NULL THEN
            IF NOT replace THEN
                RAISE EXCEPTION 'relation "%.%" already exists', target_schema, d
                    USING ERRCODE = 'duplicate_table',
                          HINT = 'Pass replace => true to recreate the dashboards, or use another target schema.';
            END IF;
            PERFORM collmine.drop_dashboards(target_schema);
            EXIT;
        END IF;
    END LOOP;
    IF materialized THEN
        -- what several dashboards need, computed once per refresh of the set (_dashboard_shared)
        FOR shr IN SELECT * FROM collmine._dashboard_shared(log_schema) LOOP
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS %s', target_schema, shr.relname, shr.query);
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (%s)', shr.relname || '_key', target_schema, shr.relname, shr.key);
            EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, shr.relname,
                           shr.about || ' over ' || log_schema || ', read by the materialized dashboards of this schema '
                           '(refresh with collmine.refresh_dashboards, which refreshes it first)');
            RETURN NEXT format('%I.%I', target_schema, shr.relname);
        END LOOP;
    END IF;
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        -- security_invoker: the view reads the log with the querying role's rights and row-level
        -- security policies, not its owner's (the materialized variant holds what the refreshing
        -- role sees: docs/dashboards/README.md)
        EXECUTE format('CREATE VIEW %I.%I WITH (security_invoker = true) AS %s', target_schema, d, collmine._dashboard_sql(d, log_schema));
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, d,
                       collmine._dashboard_question(d) || ' (collmine dashboard over ' || log_schema || ')');
        RETURN NEXT format('%I.%I', target_schema, d);
        IF materialized THEN
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS %s',
                           target_schema, d || '_mv', collmine._dashboard_mv_sql(d, log_schema, target_schema));
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (%s)',
                           d || '_mv_key', target_schema, d || '_mv', collmine._dashboard_key(d));
            EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, d || '_mv',
                           'materialized ' || collmine._dashboard_question(d) || ' (refresh with collmine.refresh_dashboards)');
            RETURN NEXT format('%I.%I', target_schema, d || '_mv');
        END IF;
    END LOOP;
END
$$;

-- Drop the dashboard views and materialized views of target_schema (nothing else).
CREATE FUNCTION collmine.drop_dashboards(target_schema name)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    n integer := 0;
BEGIN
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        IF to_regclass(format('%I.%I', target_schema, d || '_mv')) IS NOT NULL THEN
            EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, d || '_mv');
            n := n + 1;
        END IF;
        IF to_regclass(format('%I.%I', target_schema, d)) IS NOT NULL THEN
            EXECUTE format('DROP VIEW %I.%I', target_schema, d);
            n := n + 1;
        END IF;
    END LOOP;
    -- the shared relations last: the materialized dashboards read them
    FOR d IN SELECT c.relname FROM pg_class c JOIN collmine._dashboard_shared(NULL) sh ON sh.relname OPERATOR(pg_catalog.=) c.relname
              WHERE c.relnamespace OPERATOR(pg_catalog.=) to_regnamespace(quote_ident(target_schema))
                AND c.relkind OPERATOR(pg_catalog.=) 'm' LOOP
        EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, d);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- Refresh every dashboard materialized view in target_schema, concurrently by default (readers
-- are not blocked; an unpopulated view is refreshed plainly). Returns how many were refreshed.
CREATE FUNCTION collmine.refresh_dashboards(target_schema name, concurrently boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    rel regclass;
    n integer := 0;
    conc boolean := $2;   -- "concurrently" is a keyword inside plpgsql expressions
BEGIN
    IF target_schema IS NULL OR to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', target_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Create the dashboards first: SELECT collmine.create_dashboards(''erp_log'', ''dash'');';
    END IF;
    -- the shared relations first (dashboards made before there were any have none; a relation
    -- of that name that is not a materialized view is not theirs), then the dashboards, which
    -- read them; only the dashboards are counted
    FOREACH d IN ARRAY ARRAY(SELECT sh.relname::text FROM collmine._dashboard_shared(NULL) sh
                               JOIN pg_matviews m ON m.matviewname OPERATOR(pg_catalog.=) sh.relname
                              WHERE m.schemaname OPERATOR(pg_catalog.=) target_schema)
                       || ARRAY(SELECT x || '_mv' FROM unnest(collmine.dashboard_names()) x) LOOP
        rel := to_regclass(format('%I.%I', target_schema, d));
        CONTINUE WHEN rel IS NULL;
        IF conc AND (SELECT m.ispopulated FROM pg_matviews m
                              WHERE m.schemaname OPERATOR(pg_catalog.=) target_schema
                                AND m.matviewname OPERATOR(pg_catalog.=) d::name) THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', rel);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %s', rel);
        END IF;
        IF d LIKE '%\_mv' AND left(d, -3) = ANY (collmine.dashboard_names()) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
