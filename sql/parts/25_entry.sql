-- Layer 3 entry points for analysts: take an event log as a relation plus column names, and
-- return traces, variants or the process map without writing the two-level query.
--
-- Identifiers are quoted with format('%I') and the relation is a regclass, so no SQL can be
-- injected through the arguments; the functions are SECURITY INVOKER, so row-level security
-- and privileges of the caller apply. Events with a NULL case id cannot belong to a case: they
-- are left out and reported in a WARNING. Events with a NULL activity or timestamp are left
-- out of their trace and reported in a NOTICE.

-- The text of the trace query over source (a relation's name, or a subquery with its alias):
-- one row per case with its trace, weight and number of events. _trace_sql gives it over a
-- relation whose columns it checked; the log-schema functions over the events read another way
-- (_log_trace_source).
CREATE FUNCTION collmine._trace_query(source text, case_col name, activity_col name, ts_col name,
                                      order_col name, weight_col name)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT format(
        'SELECT %1$I::text AS case_id, collmine.trace_agg(%2$I::text, %3$I::timestamptz%4$s) AS trace, '
        '%5$s AS weight, count(*) AS events FROM %6$s GROUP BY %1$I',
        case_col, activity_col, ts_col,
        CASE WHEN order_col IS NULL THEN '' ELSE format(', %I::bigint', order_col) END,
        CASE WHEN weight_col IS NULL THEN 'NULL::numeric' ELSE format('max(%I)::numeric', weight_col) END,
        source)
$$;

-- The trace query (_trace_query's) over a relation and its named columns, which it checks first.
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
    RETURN collmine._trace_query(format('%s', log), case_col, activity_col, ts_col, order_col, weight_col);
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

-- avg(interval) of n throughputs from the sums of their day and time (microsecond) parts, as
-- _variant_agg computes its mean, exact where avg() would overflow (more than 2^31 days in all):
-- the Citus form of variants() sums the parts on the shards.
CREATE FUNCTION collmine._mean_interval(sum_day numeric, sum_time numeric, n bigint) RETURNS interval
    AS 'MODULE_PATHNAME', 'mean_interval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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

-- What variants() groups cases by: a 64-bit hash of the activity sequence, read from the
-- canonical trace a word at a time (trace_variant_id, FNV-1a over every name byte by byte, costs
-- several times more per case, so the id is computed once per group instead).
CREATE FUNCTION collmine._variant_key(collmine.trace) RETURNS bigint
    AS 'MODULE_PATHNAME', 'variant_group_key' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Everything variants() reports about one variant, from one aggregate over its cases: the
-- variant id, the first trace (rep: every further trace is checked against it, so a collision
-- of the grouping key is an error, never a merge; _variants writes the variant's text and
-- activities from it) and a bytea that sorts like its activities under COLLATE "C" (cheap to
-- compare), the number of cases and of events their traces skipped, and the mean, median, min
-- and max throughput, the same values as avg, percentile_cont(0.5), min and max of
-- trace_throughput. The state keeps each case's throughput as 8 bytes for the exact median; it
-- is internal with combine, serialize and deserialize, so the grouping runs in parallel workers.
CREATE TYPE collmine._variant_stats AS (
    variant_id bigint,
    rep collmine.trace,
    order_key bytea,
    cases bigint,
    skipped bigint,
    mean_throughput interval,
    median_throughput interval,
    min_throughput interval,
    max_throughput interval
);
CREATE FUNCTION collmine._variant_agg_trans(internal, collmine.trace) RETURNS internal
    AS 'MODULE_PATHNAME', 'variant_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._variant_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'variant_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._variant_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'variant_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine._variant_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'variant_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine._variant_agg_final(internal) RETURNS collmine._variant_stats
    AS 'MODULE_PATHNAME', 'variant_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._variant_agg(collmine.trace) (
    SFUNC = collmine._variant_agg_trans,
    STYPE = internal,
    SSPACE = 512,
    COMBINEFUNC = collmine._variant_agg_combine,
    SERIALFUNC = collmine._variant_agg_serialize,
    DESERIALFUNC = collmine._variant_agg_deserialize,
    FINALFUNC = collmine._variant_agg_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- Whether Citus plans query q as a distributed query (false without Citus, and at no cost
-- then): variants() picks the form of its grouping by it. EXPLAIN only plans (VOLATILE only
-- because PostgreSQL runs no EXPLAIN in a function marked otherwise); with
-- citus.explain_distributed_queries off it does not ask the workers for their plans.
CREATE FUNCTION collmine._citus_distributed(q text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    line text;
    old text;
    found boolean := false;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    old := current_setting('citus.explain_distributed_queries', true);
    PERFORM set_config('citus.explain_distributed_queries', 'off', true);
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        found := found OR line LIKE '%Custom Scan (Citus %';
    END LOOP;
    PERFORM set_config('citus.explain_distributed_queries', coalesce(old, 'on'), true);
    RETURN found;
END
$$;

-- The query behind variants() over a trace query with _trace_sql's columns, in the form
-- _variants runs. Cases are grouped by _variant_key (hash aggregation on an integer, no
-- text[] per case), each group summarized by _variant_agg; the grouping may run in parallel
-- workers and partitionwise. Ties in frequency are ordered by the activity sequence in
-- byte order (order_key), whatever the database's collation. The events of a NULL case id form
-- a group of their own (key and cases NULL, so it sorts last and adds nothing to the sums) that
-- only counts them.
--
-- On a log that Citus distributes (by case id), _variant_agg cannot be split: its state is
-- internal, and Citus splits a custom aggregate only when its state type has a text form
-- (worker_partial_agg returns it through the type's output function), so it would ship every
-- trace to the coordinator. There the same _variant_stats are built from aggregates that Citus
-- splits into a part on every shard and a combine on the coordinator: _variant_rep (state
-- collmine.trace; each further trace is checked against the representative, so a collision is
-- still an error), count, sum, min, max, and array_agg of the throughputs for the exact median
-- (_median_interval, percentile_cont's rows and interpolation). Each shard then sends one row
-- per variant with its cases' throughputs (an interval, 16 bytes a case) instead of every
-- trace. The mean is _variant_agg's (_mean_interval of the summed day and time parts); the sort
-- key order_key is _variant_agg's, each activity's bytes followed by a zero byte.
CREATE FUNCTION collmine._variants_sql(trace_sql text)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
    SELECT CASE WHEN NOT collmine._citus_distributed(trace_sql) THEN format($q$
        SELECT CASE WHEN g.vkey IS NULL THEN g.null_events END AS left_out,
               (sum((g.st).cases) OVER ())::bigint AS total, g.st, g.wt
        FROM (SELECT CASE WHEN case_id IS NOT NULL THEN collmine._variant_key(trace) END AS vkey,
                     collmine._variant_agg(trace) FILTER (WHERE case_id IS NOT NULL) AS st,
                     sum(weight) AS wt,
                     (sum(events) FILTER (WHERE case_id IS NULL))::bigint AS null_events
              FROM (%s) s
              GROUP BY 1) g
        ORDER BY (g.st).cases DESC NULLS LAST, (g.st).order_key$q$,
        trace_sql)
    ELSE format($q$
        SELECT CASE WHEN g.vkey IS NULL THEN g.null_events END AS left_out,
               (sum((g.st).cases) OVER ())::bigint AS total, g.st, g.wt
        FROM (SELECT x.vkey, x.wt, x.null_events,
                     CASE WHEN x.vkey IS NOT NULL THEN
                         ROW(collmine.trace_variant_id(x.rep), x.rep, k.order_key, x.cases, x.skipped,
                             collmine._mean_interval(x.sum_day, x.sum_time, x.ntp), collmine._median_interval(x.tps),
                             x.min_tp, x.max_tp)::collmine._variant_stats END AS st
              FROM (SELECT CASE WHEN case_id IS NOT NULL THEN collmine._variant_key(trace) END AS vkey,
                           collmine._variant_rep(trace) AS rep, count(trace) AS cases,
                           sum(collmine.trace_skipped(trace))::bigint AS skipped,
                           count(tp) AS ntp, sum(extract(day FROM tp)) AS sum_day,
                           sum((extract(epoch FROM tp) - extract(day FROM tp) * 86400) * 1000000) AS sum_time,
                           array_agg(tp) AS tps,
                           min(tp) AS min_tp, max(tp) AS max_tp,
                           sum(weight) AS wt, sum(events)::bigint AS null_events
                    FROM (SELECT s.*, collmine.trace_throughput(s.trace) AS tp FROM (%s) s) s
                    GROUP BY 1) x
              CROSS JOIN LATERAL (SELECT coalesce(string_agg(convert_to(a.a, current_setting('server_encoding'))
                                                             || '\x00'::bytea, ''::bytea ORDER BY a.o), ''::bytea) AS order_key
                                  FROM unnest(collmine.trace_activities(x.rep)) WITH ORDINALITY AS a(a, o)) k) g
        ORDER BY (g.st).cases DESC NULLS LAST, (g.st).order_key$q$,
        trace_sql)
    END
$$;

-- The cases of part `part` of `parts` (0-based): hashtext of the case id in its collation,
-- modulo parts; a NULL case id is in part 0. The support function estimates 1/parts of the rows.
CREATE FUNCTION collmine._case_in_part_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'case_in_part_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine._case_in_part(case_id text, part integer, parts integer) RETURNS boolean
    AS 'MODULE_PATHNAME', 'case_in_part' LANGUAGE C IMMUTABLE PARALLEL SAFE
    SUPPORT collmine._case_in_part_support;

-- A trace query with _trace_sql's columns split into `parts` copies over disjoint sets of whole
-- cases (_case_in_part), joined by UNION ALL: the same rows, but the planner can give each copy
-- to its own parallel worker (a Parallel Append; the filter goes below each copy's GROUP BY),
-- where the plain query on an ordinary table gets no parallel plan (src/variant_split.c).
CREATE FUNCTION collmine._case_split_sql(trace_sql text, parts integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT string_agg(format('SELECT * FROM (%s) s WHERE collmine._case_in_part(s.case_id, %s, %s)',
                             trace_sql, k, parts), ' UNION ALL ' ORDER BY k)
    FROM generate_series(0, greatest(parts, 1) - 1) AS k
$$;

-- Which plan a query over a trace query should run (src/split_plan.c), for a PL/pgSQL caller:
-- the query is format(query_format, trace query); 1: as it is; n > 1: over
-- collmine._case_split_sql(trace_sql, n); 0: as it is, serially (through a cursor).
CREATE FUNCTION collmine._case_split_choice(query_format text, trace_sql text) RETURNS integer
    AS 'MODULE_PATHNAME', 'case_split_choice' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

-- The one body of every variants() form: it takes a trace query with _trace_sql's columns,
-- runs _variants_sql's query over it and returns its rows, then reports what it left out
-- (src/variant_entry.c). The query gives one row per variant in rank order: left_out (non-NULL
-- only on the row that counts the events without a case id), the total of cases, the
-- variant's _variant_stats and its weight; _variants takes the stats apart and adds rank,
-- share and cumulative_share from the row's place and the total. It runs once, through SPI and not a cursor, so it may get
-- parallel workers. Two rows with the same variant id (two variants whose ids collide) are an
-- error, as they were when cases were grouped by the id. Its parallel plans hand each process
-- whole partitions or case sets (a Parallel Append of non-partial plans), so the leader only
-- gathers: a leader that takes a part reads no worker's rows until it is done with it, and with
-- 2 workers on 2 cores it is a third process on them, which delays the end.
CREATE FUNCTION collmine._variants(trace_sql text)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
    AS 'MODULE_PATHNAME', 'variants_run' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
    SET search_path = pg_catalog SET parallel_leader_participation = off;

-- How many disjoint sets of cases _variants would split the log of a trace query into for a
-- parallel plan under the current settings (and _variants' own): 1 when it runs the plain query
-- (src/variant_entry.c).
CREATE FUNCTION collmine._variants_parts(trace_sql text) RETURNS integer
    AS 'MODULE_PATHNAME', 'variants_parts' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
    SET search_path = pg_catalog SET parallel_leader_participation = off;

CREATE FUNCTION collmine.variants(log regclass, case_col name, activity_col name, ts_col name,
                                  order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
    -- a log stored case after case is streamed (sql/parts/27_variants_stream.sql), each of
    -- _variants_stream_ways' reads tried in turn, in a subtransaction, until one takes the input
    -- as it comes (the leaves of a partitioned table or the block ranges of a table each by its
    -- own worker, under _variants_stream_parts_rows' settings; otherwise under
    -- _variants_stream_rows'); otherwise the cases are hashed (_variants). In C
    -- (src/variant_entry.c), so that the rows are written once, into the result.
    AS 'MODULE_PATHNAME', 'variants_entry' LANGUAGE C STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog;
COMMENT ON FUNCTION collmine.variants(regclass, name, name, name, name, name) IS
    'each variant with its frequency, share, cumulative share, money (weight) and throughput statistics, most frequent first';
