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

CREATE FUNCTION collmine.process_map(log regclass, case_col name, activity_col name, ts_col name,
                                     order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN collmine._process_map(collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col),
                                 weight_col IS NOT NULL);
END
$$;
COMMENT ON FUNCTION collmine.process_map(regclass, name, name, name, name, name) IS
    'the process map (directly-follows graph with frequencies, durations and money) of an event log';
