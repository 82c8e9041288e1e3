-- Layer 3 entry point: the process map of an event log given as a relation and column names.
-- Same conventions as sql/parts/25_entry.sql (quoted identifiers, SECURITY INVOKER, left-out
-- events reported).

-- The one body of every process_map() form: the map of a trace query with _trace_sql's
-- columns, weighted by its weight column when weighted.
CREATE FUNCTION collmine._process_map(trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    d collmine.dfg;
    null_events bigint;
    skipped bigint;
BEGIN
    EXECUTE format(
        'SELECT collmine.dfg_agg(trace%s) FILTER (WHERE case_id IS NOT NULL), '
        '       coalesce(sum(events) FILTER (WHERE case_id IS NULL), 0), '
        '       coalesce(sum(collmine.trace_skipped(trace)) FILTER (WHERE case_id IS NOT NULL), 0) '
        'FROM (%s) t',
        CASE WHEN weighted THEN ', weight' ELSE '' END,
        trace_sql)
    INTO d, null_events, skipped;
    PERFORM collmine._report_left_out(null_events, skipped);
    RETURN d;
END
$$;

-- Does the log arrive in case order for the asking? True when a valid plain btree index leads
-- with the case column and the planner's statistics say the table is stored in that order
-- (|correlation| >= 0.9, as after CLUSTER, or for the events table that the connectors write in
-- (case_id, ts, ord) order). Then one trace per case can be built from an index scan, one case at
-- a time (GroupAggregate), with no hash table of cases and no spill at any work_mem.
CREATE FUNCTION collmine._in_case_order(log regclass, case_col name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT EXISTS (SELECT 1
                     FROM pg_catalog.pg_index i
                     JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = log AND am.amname = 'btree' AND i.indisvalid
                      AND i.indpred IS NULL AND a.attname = case_col)
       AND coalesce((SELECT max(abs(s.correlation))
                       FROM pg_catalog.pg_class c
                       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                       JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
                      WHERE c.oid = log AND s.attname = case_col), 0) >= 0.9
$$;

-- _process_map over a log stored in case order (_in_case_order): without hash aggregation and
-- explicit sorts the planner reads the events through the case index, so each case's trace is
-- built, added to the map and freed before the next case starts. The function's SET clauses
-- last for this call only; the result is the same map as the hashed plan's.
CREATE FUNCTION collmine._process_map_in_case_order(trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET enable_hashagg = off
SET enable_sort = off
AS $$
BEGIN
    RETURN collmine._process_map(trace_sql, weighted);
END
$$;

-- The process map of a relation's events: in case order through its case index when the relation
-- is stored that way, otherwise by hashing the cases.
CREATE FUNCTION collmine._process_map_of(log regclass, case_col name, trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    IF collmine._in_case_order(log, case_col) THEN
        RETURN collmine._process_map_in_case_order(trace_sql, weighted);
    END IF;
    RETURN collmine._process_map(trace_sql, weighted);
END
$$;

CREATE FUNCTION collmine.process_map(log regclass, case_col name, activity_col name, ts_col name,
                                     order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN collmine._process_map_of(log, case_col,
                                    collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col),
                                    weight_col IS NOT NULL);
END
$$;
COMMENT ON FUNCTION collmine.process_map(regclass, name, name, name, name, name) IS
    'the process map (directly-follows graph with frequencies, durations and money) of an event log';
