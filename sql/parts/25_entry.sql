-- Layer 3 entry points for analysts: take an event log as a relation plus column names, and
-- return traces, variants or the process map without writing the two-level query.
--
-- Identifiers are quoted with format('%I') and the relation is a regclass, so no SQL can be
-- injected through the arguments; the functions are SECURITY INVOKER, so row-level security
-- and privileges of the caller apply. Events with a NULL case id cannot belong to a case: they
-- are left out and reported in a WARNING. Events with a NULL activity or timestamp are left
-- out of their trace and reported in a NOTICE.

-- The SELECT list that builds one trace per case from the named columns.
CREATE FUNCTION collmine._trace_sql(log regclass, case_col name, activity_col name, ts_col name,
                                    order_col name, weight_col name)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
    col name;
BEGIN
    IF log IS NULL OR case_col IS NULL OR activity_col IS NULL OR ts_col IS NULL THEN
        RAISE EXCEPTION 'the event log and its case, activity and timestamp columns must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Call it as collmine.variants(''my_events'', ''case_id'', ''activity'', ''ts'').';
    END IF;
    FOREACH col IN ARRAY ARRAY[case_col, activity_col, ts_col, order_col, weight_col] LOOP
        IF col IS NOT NULL AND NOT collmine._has_column(log, col) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, log
                USING ERRCODE = 'undefined_column',
                      HINT = 'Its columns are: ' || collmine._column_list(log) || '.';
        END IF;
    END LOOP;
    RETURN format(
        'SELECT %1$I::text AS case_id, collmine.trace_agg(%2$I::text, %3$I::timestamptz%4$s) AS trace, '
        '%5$s AS weight, count(*) AS events FROM %6$s GROUP BY %1$I',
        case_col, activity_col, ts_col,
        CASE WHEN order_col IS NULL THEN '' ELSE format(', %I::bigint', order_col) END,
        CASE WHEN weight_col IS NULL THEN 'NULL::numeric' ELSE format('max(%I)::numeric', weight_col) END,
        log);
END
$$;

-- Say what was left out, so no input disappears silently.
CREATE FUNCTION collmine._report_left_out(null_case_events bigint, skipped_events bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
BEGIN
    IF null_case_events > 0 THEN
        RAISE WARNING '% event% with a NULL case id % left out', null_case_events,
            CASE WHEN null_case_events = 1 THEN '' ELSE 's' END, CASE WHEN null_case_events = 1 THEN 'was' ELSE 'were' END
            USING HINT = 'Every event needs a case id (the invoice number).';
    END IF;
    IF skipped_events > 0 THEN
        RAISE NOTICE '% event% with a NULL activity or timestamp % left out of the traces', skipped_events,
            CASE WHEN skipped_events = 1 THEN '' ELSE 's' END, CASE WHEN skipped_events = 1 THEN 'was' ELSE 'were' END
            USING HINT = 'collmine.trace_skipped(trace) shows them per case.';
    END IF;
END
$$;

-- One trace per case from a trace query (_trace_sql's columns): the one body of every traces()
-- form, so a log named by a relation or by a log schema gives the same rows and messages.
CREATE FUNCTION collmine._traces(trace_sql text)
RETURNS TABLE (case_id text, trace collmine.trace)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    null_events bigint := 0;
    skipped bigint := 0;
    r record;
BEGIN
    FOR r IN EXECUTE trace_sql LOOP
        IF r.case_id IS NULL THEN
            null_events := r.events;
            CONTINUE;
        END IF;
        skipped := skipped + collmine.trace_skipped(r.trace);
        case_id := r.case_id;
        trace := r.trace;
        RETURN NEXT;
    END LOOP;
    PERFORM collmine._report_left_out(null_events, skipped);
END
$$;

CREATE FUNCTION collmine.traces(log regclass, case_col name, activity_col name, ts_col name,
                                order_col name DEFAULT NULL)
RETURNS TABLE (case_id text, trace collmine.trace)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN QUERY SELECT t.case_id, t.trace
                   FROM collmine._traces(collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, NULL)) t;
END
$$;
COMMENT ON FUNCTION collmine.traces(regclass, name, name, name, name) IS
    'one trace per case of an event log given as a relation and column names';

-- percentile_cont(0.5) of intervals, computed from an unsorted array exactly as PostgreSQL's
-- percentile_cont does (rows floor and ceil of 0.5 * (n - 1), then lo + (hi - lo) * fraction):
-- variants() collects each variant's throughputs with array_agg, because an ordered-set
-- aggregate under hash aggregation keeps one sort open per variant (thousands on real logs).
CREATE FUNCTION collmine._median_interval(v interval[]) RETURNS interval
    AS 'MODULE_PATHNAME', 'median_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The representative trace of a variant: the first trace of a group by variant id, with every
-- further trace checked against it, so a collision of the 64-bit id is an error, never a merge.
CREATE FUNCTION collmine._variant_rep_trans(collmine.trace, collmine.trace) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'variant_rep_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE collmine._variant_rep(collmine.trace) (
    SFUNC = collmine._variant_rep_trans,
    STYPE = collmine.trace,
    COMBINEFUNC = collmine._variant_rep_trans,
    PARALLEL = SAFE
);

-- Cases are grouped by their 64-bit variant id (hash aggregation on an integer, no text[] per
-- case); _variant_rep checks each group for id collisions. Ties in frequency are ordered by the
-- activity sequence in byte order, whatever the database's collation.
-- The one body of every variants() form: it takes a trace query with _trace_sql's columns.
CREATE FUNCTION collmine._variants(trace_sql text)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    r record;
    null_events bigint := 0;
    skipped bigint := 0;
BEGIN
    FOR r IN EXECUTE format($q$
        WITH v AS (
            SELECT case_id IS NULL AS null_row,
                   CASE WHEN case_id IS NOT NULL THEN collmine.trace_variant_id(trace) END AS vid,
                   collmine._variant_rep(trace) FILTER (WHERE case_id IS NOT NULL) AS rep,
                   CASE WHEN case_id IS NULL THEN sum(events) ELSE count(*) END AS n,
                   sum(weight) AS w,
                   avg(tp) AS mean_tp,
                   array_agg(tp) FILTER (WHERE tp IS NOT NULL) AS tps,
                   min(tp) AS min_tp,
                   max(tp) AS max_tp,
                   sum(skipped) AS skipped
            FROM (SELECT case_id, trace, events, weight, collmine.trace_throughput(trace) AS tp,
                         collmine.trace_skipped(trace) AS skipped
                  FROM (%s) s OFFSET 0) per_case
            GROUP BY 1, 2
        ),
        va AS (SELECT *, collmine.trace_activities(rep) AS acts, collmine._median_interval(tps) AS median_tp FROM v)
        SELECT null_row, vid, acts, n, w, mean_tp, median_tp, min_tp, max_tp, skipped,
               sum(n) OVER (PARTITION BY null_row) AS total,
               sum(n) OVER (PARTITION BY null_row ORDER BY n DESC, acts COLLATE "C" ROWS UNBOUNDED PRECEDING) AS running,
               row_number() OVER (PARTITION BY null_row ORDER BY n DESC, acts COLLATE "C") AS rnk
        FROM va
        ORDER BY null_row, rnk$q$,
        trace_sql)
    LOOP
        IF r.null_row THEN
            null_events := r.n;
            CONTINUE;
        END IF;
        skipped := skipped + r.skipped;
        rank := r.rnk;
        variant_id := r.vid;
        variant := array_to_string(r.acts, ' -> ');
        activities := r.acts;
        cases := r.n;
        share := r.n::double precision / r.total;
        cumulative_share := r.running::double precision / r.total;
        weight := r.w;
        mean_throughput := r.mean_tp;
        median_throughput := r.median_tp;
        min_throughput := r.min_tp;
        max_throughput := r.max_tp;
        RETURN NEXT;
    END LOOP;
    PERFORM collmine._report_left_out(null_events, skipped);
END
$$;

CREATE FUNCTION collmine.variants(log regclass, case_col name, activity_col name, ts_col name,
                                  order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN QUERY SELECT * FROM collmine._variants(
        collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col));
END
$$;
COMMENT ON FUNCTION collmine.variants(regclass, name, name, name, name, name) IS
    'each variant with its frequency, share, cumulative share, money (weight) and throughput statistics, most frequent first';
