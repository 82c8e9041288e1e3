-- collmine 0.1.0 install script, kept exactly as released (generated from sql/parts at the 0.1.0
-- release, commit 6bac47f). Never edit: upgrades go into sql/upgrade/.
\echo Use "CREATE EXTENSION collmine" to load this file. \quit

-- ==== sql/parts/00_header.sql ====
-- collmine install script, layer 0: shared conventions.
--
-- Every object is created schema-qualified in the collmine schema (created by CREATE EXTENSION
-- from collmine.control), and every operator in a function body is written so that it does not
-- depend on the caller's search_path.
COMMENT ON SCHEMA collmine IS 'collmine: process mining for invoice-to-cash';

-- Everyone who may use the database may use collmine's types and functions (functions are
-- executable by PUBLIC by default); without this only the installing role could reach them.
GRANT USAGE ON SCHEMA collmine TO PUBLIC;

-- Does a relation have this (live, user) column? Shared by every layer that takes column or
-- table names from its caller, so that each checks names the same way before building SQL.
CREATE FUNCTION collmine._has_column(rel regclass, col name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col
                     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
$$;

-- A relation's columns, quoted and comma-separated: the hint that follows an unknown column.
CREATE FUNCTION collmine._column_list(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
$$;

-- ==== sql/parts/10_trace.sql ====
-- Layer 2: the trace engine. collmine.trace holds one case's events, canonically ordered by
-- (timestamp, order key, activity name bytewise); trace_agg builds it without ORDER BY.

CREATE TYPE collmine.trace;

CREATE FUNCTION collmine.trace_in(cstring) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_out(collmine.trace) RETURNS cstring
    AS 'MODULE_PATHNAME', 'trace_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_recv(internal) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_send(collmine.trace) RETURNS bytea
    AS 'MODULE_PATHNAME', 'trace_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE collmine.trace (
    INPUT = collmine.trace_in,
    OUTPUT = collmine.trace_out,
    RECEIVE = collmine.trace_recv,
    SEND = collmine.trace_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE collmine.trace IS 'one case''s events (activity, time, order key), canonically ordered';

CREATE FUNCTION collmine.trace_from_binary(bytea) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_from_binary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_from_binary(bytea) IS
    'read the binary wire form (as produced by collmine.trace_send), validating it like binary COPY does';

-- the aggregate ------------------------------------------------------------------------------

CREATE FUNCTION collmine.trace_agg_trans(internal, text, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_trans(internal, text, timestamptz, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_trans_ord' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'trace_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_final(internal) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE collmine.trace_agg(activity text, ts timestamptz) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.trace_agg(text, timestamptz) IS
    'a case''s events as a trace, ordered by (ts, activity name); ties broken by name, never by row order';

CREATE AGGREGATE collmine.trace_agg(activity text, ts timestamptz, ord bigint) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.trace_agg(text, timestamptz, bigint) IS
    'a case''s events as a trace, ordered by (ts, ord, activity name)';

-- functions on a trace -----------------------------------------------------------------------

CREATE FUNCTION collmine.trace_length(t collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_length' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_length(collmine.trace) IS 'number of events';

CREATE FUNCTION collmine.trace_skipped(t collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_skipped(collmine.trace) IS
    'events left out of the trace because their activity or timestamp was NULL or infinite';

CREATE FUNCTION collmine.trace_activities(t collmine.trace) RETURNS text[]
    AS 'MODULE_PATHNAME', 'trace_activities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_activities(collmine.trace) IS 'the activity sequence';

CREATE FUNCTION collmine.trace_start_activity(t collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_start_activity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_end_activity(t collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_end_activity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_start_time(t collmine.trace) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_start_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_end_time(t collmine.trace) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_end_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_throughput(t collmine.trace) RETURNS interval
    AS 'MODULE_PATHNAME', 'trace_throughput' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_throughput(collmine.trace) IS 'last event time minus first event time';

CREATE FUNCTION collmine.trace_duration(t collmine.trace, from_activity text, to_activity text,
                                        from_occurrence text DEFAULT 'first', to_occurrence text DEFAULT 'first')
    RETURNS interval
    AS 'MODULE_PATHNAME', 'trace_duration' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_duration(collmine.trace, text, text, text, text) IS
    'time from the first/last occurrence of one activity to the first/last occurrence of another (NULL unless both occur)';

CREATE FUNCTION collmine.trace_count(t collmine.trace, activity text) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_count(collmine.trace, text) IS 'occurrences of an activity';

CREATE FUNCTION collmine.trace_rework(t collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_rework' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_rework(collmine.trace) IS
    'events that repeat an activity already seen in the case (length minus distinct activities)';

CREATE FUNCTION collmine.trace_rework_activities(t collmine.trace) RETURNS text[]
    AS 'MODULE_PATHNAME', 'trace_rework_activities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_rework_activities(collmine.trace) IS
    'activities that occur more than once, in order of first occurrence';

CREATE FUNCTION collmine.trace_directly_follows(t collmine.trace, a text, b text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_directly_follows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_eventually_follows(t collmine.trace, a text, b text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_eventually_follows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_first_time(t collmine.trace, activity text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_first_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_last_time(t collmine.trace, activity text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_last_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_variant(t collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_variant' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_variant(collmine.trace) IS 'readable variant: activities joined by " -> "';

CREATE FUNCTION collmine.trace_variant_id(t collmine.trace) RETURNS bigint
    AS 'MODULE_PATHNAME', 'trace_variant_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_variant_id(collmine.trace) IS
    'stable 64-bit variant id: FNV-1a over length-prefixed activity names (same on every platform and release)';

CREATE FUNCTION collmine.variant_id(activities text[]) RETURNS bigint
    AS 'MODULE_PATHNAME', 'variant_id_of_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.variant_id(text[]) IS
    'the variant id of an activity sequence; equals trace_variant_id of a trace with that sequence';

CREATE FUNCTION collmine.trace_matches(t collmine.trace, pattern text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_matches' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_matches(collmine.trace, text) IS
    'does the whole activity sequence match the pattern (see docs/trace.md for the syntax)';

CREATE FUNCTION collmine.trace_as_of(t collmine.trace, at timestamptz) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_as_of(collmine.trace, timestamptz) IS
    'the prefix of the trace known at a moment: events with ts <= at';

CREATE FUNCTION collmine.trace_project(t collmine.trace, activities text[]) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_project' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_project(collmine.trace, text[]) IS
    'the trace with only the listed activities kept';

CREATE FUNCTION collmine.trace_steps(t collmine.trace,
        OUT step integer, OUT source text, OUT target text,
        OUT source_time timestamptz, OUT target_time timestamptz, OUT duration interval)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'trace_steps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.trace_steps(collmine.trace) IS 'each directly-follows step with its duration';

CREATE FUNCTION collmine.trace_events(t collmine.trace,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT ord bigint)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'trace_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.trace_events(collmine.trace) IS 'the events of a trace as rows, in trace order';

-- ==== sql/parts/20_dfg.sql ====
-- Layer 3: collmine.dfg, the mergeable process map (directly-follows graph) over many traces,
-- with exact counts, exact weight sums, duration statistics and a quantile sketch per edge; and
-- layer 6: its DOT and Mermaid renderings. See docs/process-map.md.

CREATE TYPE collmine.dfg;

CREATE FUNCTION collmine.dfg_in(cstring) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.dfg_out(collmine.dfg) RETURNS cstring
    AS 'MODULE_PATHNAME', 'dfg_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.dfg_recv(internal) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.dfg_send(collmine.dfg) RETURNS bytea
    AS 'MODULE_PATHNAME', 'dfg_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE collmine.dfg (
    INPUT = collmine.dfg_in,
    OUTPUT = collmine.dfg_out,
    RECEIVE = collmine.dfg_recv,
    SEND = collmine.dfg_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE collmine.dfg IS 'a mergeable process map: activities, directly-follows edges, durations and weights';

CREATE FUNCTION collmine.dfg_from_binary(bytea) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_from_binary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_from_binary(bytea) IS
    'debugging: read the binary wire form (as produced by collmine.dfg_send), validating it like binary COPY does';

-- the aggregates -----------------------------------------------------------------------------

CREATE FUNCTION collmine.dfg_agg_trans(collmine.dfg, collmine.trace) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.dfg_agg_trans(collmine.dfg, collmine.trace, numeric) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_agg_wtrans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.dfg_merge_trans(collmine.dfg, collmine.dfg) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_merge_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE collmine.dfg_agg(trace collmine.trace) (
    SFUNC = collmine.dfg_agg_trans,
    STYPE = collmine.dfg,
    COMBINEFUNC = collmine.dfg_merge_trans,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.dfg_agg(collmine.trace) IS
    'the process map of many traces; every case weighs 1';

CREATE AGGREGATE collmine.dfg_agg(trace collmine.trace, weight numeric) (
    SFUNC = collmine.dfg_agg_trans,
    STYPE = collmine.dfg,
    COMBINEFUNC = collmine.dfg_merge_trans,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.dfg_agg(collmine.trace, numeric) IS
    'the process map of many traces, each case weighted (e.g. by its amount); a NULL weight counts as 0';

CREATE AGGREGATE collmine.dfg_union(collmine.dfg) (
    SFUNC = collmine.dfg_merge_trans,
    STYPE = collmine.dfg,
    COMBINEFUNC = collmine.dfg_merge_trans,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.dfg_union(collmine.dfg) IS
    'merges process maps (rollups, partitions, shards) into one';

CREATE FUNCTION collmine.dfg_merge(collmine.dfg, collmine.dfg) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_merge(collmine.dfg, collmine.dfg) IS
    'the process map of the cases of both maps';

-- reading a map ------------------------------------------------------------------------------

CREATE FUNCTION collmine.dfg_cases(collmine.dfg) RETURNS bigint
    AS 'MODULE_PATHNAME', 'dfg_cases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_cases(collmine.dfg) IS 'cases in the map, including cases without events';
CREATE FUNCTION collmine.dfg_events(collmine.dfg) RETURNS bigint
    AS 'MODULE_PATHNAME', 'dfg_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_events(collmine.dfg) IS 'events in the map';
CREATE FUNCTION collmine.dfg_skipped(collmine.dfg) RETURNS bigint
    AS 'MODULE_PATHNAME', 'dfg_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_skipped(collmine.dfg) IS 'events the traces left out for a NULL activity or timestamp';
CREATE FUNCTION collmine.dfg_weight(collmine.dfg) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dfg_weight' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_weight(collmine.dfg) IS 'sum of the case weights (exact, 4 decimals)';

CREATE FUNCTION collmine.dfg_edges(collmine.dfg)
RETURNS TABLE (source text, target text, frequency bigint, cases bigint, weight numeric,
               min_duration interval, mean_duration interval, median_duration interval,
               p90_duration interval, p95_duration interval, max_duration interval)
    AS 'MODULE_PATHNAME', 'dfg_edges' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION collmine.dfg_edges(collmine.dfg) IS
    'one row per directly-follows edge, most frequent first; quantiles within 1% (see docs/process-map.md)';

CREATE FUNCTION collmine.dfg_activities(collmine.dfg)
RETURNS TABLE (activity text, events bigint, cases bigint, starts bigint, ends bigint, weight numeric)
    AS 'MODULE_PATHNAME', 'dfg_activities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION collmine.dfg_activities(collmine.dfg) IS
    'one row per activity, most frequent first';

CREATE FUNCTION collmine.dfg_filter(d collmine.dfg, activities float8 DEFAULT 1.0, paths float8 DEFAULT 1.0)
RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_filter' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_filter(collmine.dfg, float8, float8) IS
    'Disco-style simplification: keep the most frequent share of activities, then of paths';

-- renderings (layer 6) -----------------------------------------------------------------------

CREATE FUNCTION collmine.dfg_to_dot(d collmine.dfg, label text DEFAULT 'frequency') RETURNS text
    AS 'MODULE_PATHNAME', 'dfg_to_dot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_to_dot(collmine.dfg, text) IS
    'the map as a Graphviz digraph; label is frequency, performance or weight';

CREATE FUNCTION collmine.dfg_to_mermaid(d collmine.dfg, label text DEFAULT 'frequency') RETURNS text
    AS 'MODULE_PATHNAME', 'dfg_to_mermaid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_to_mermaid(collmine.dfg, text) IS
    'the map as a Mermaid flowchart; label is frequency, performance or weight';

-- ==== sql/parts/25_entry.sql ====
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

CREATE FUNCTION collmine.traces(log regclass, case_col name, activity_col name, ts_col name,
                                order_col name DEFAULT NULL)
RETURNS TABLE (case_id text, trace collmine.trace)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    null_events bigint := 0;
    skipped bigint := 0;
    r record;
BEGIN
    FOR r IN EXECUTE collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, NULL) LOOP
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
COMMENT ON FUNCTION collmine.traces(regclass, name, name, name, name) IS
    'one trace per case of an event log given as a relation and column names';

CREATE FUNCTION collmine.variants(log regclass, case_col name, activity_col name, ts_col name,
                                  order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
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
        WITH t AS (%s),
        v AS (
            SELECT acts,
                   count(*) AS n,
                   sum(weight) AS w,
                   avg(tp) AS mean_tp,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY tp) AS median_tp,
                   min(tp) AS min_tp,
                   max(tp) AS max_tp,
                   sum(skipped) AS skipped
            FROM (SELECT collmine.trace_activities(trace) AS acts, collmine.trace_throughput(trace) AS tp,
                         collmine.trace_skipped(trace) AS skipped, weight
                  FROM t WHERE case_id IS NOT NULL) per_case
            GROUP BY acts
        )
        SELECT false AS null_row, acts, n, w, mean_tp, median_tp, min_tp, max_tp, skipped,
               sum(n) OVER () AS total,
               sum(n) OVER (ORDER BY n DESC, acts ROWS UNBOUNDED PRECEDING) AS running,
               row_number() OVER (ORDER BY n DESC, acts) AS rnk
        FROM v
        UNION ALL
        SELECT true, NULL, events, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL
        FROM t WHERE case_id IS NULL
        ORDER BY null_row, rnk$q$,
        collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col))
    LOOP
        IF r.null_row THEN
            null_events := r.n;
            CONTINUE;
        END IF;
        skipped := skipped + r.skipped;
        rank := r.rnk;
        variant_id := collmine.variant_id(r.acts);
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
COMMENT ON FUNCTION collmine.variants(regclass, name, name, name, name, name) IS
    'each variant with its frequency, share, cumulative share, money (weight) and throughput statistics, most frequent first';

-- ==== sql/parts/26_process_map.sql ====
-- Layer 3 entry point: the process map of an event log given as a relation and column names.
-- Same conventions as sql/parts/25_entry.sql (quoted identifiers, SECURITY INVOKER, left-out
-- events reported).

CREATE FUNCTION collmine.process_map(log regclass, case_col name, activity_col name, ts_col name,
                                     order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
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
        CASE WHEN weight_col IS NULL THEN '' ELSE ', weight' END,
        collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col))
    INTO d, null_events, skipped;
    PERFORM collmine._report_left_out(null_events, skipped);
    RETURN d;
END
$$;
COMMENT ON FUNCTION collmine.process_map(regclass, name, name, name, name, name) IS
    'the process map (directly-follows graph with frequencies, durations and money) of an event log';

-- ==== sql/parts/30_conformance.sql ====
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

CREATE FUNCTION collmine.check_trace(t collmine.trace, rules collmine.rule[],
        OUT rule_name text, OUT template text, OUT severity text,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT explanation text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_check_trace' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION collmine.check_trace(collmine.trace, collmine.rule[]) IS
    'the violations of a trace: one row per violated activation';

CREATE FUNCTION collmine.rule_outcomes(t collmine.trace, rules collmine.rule[],
        OUT rule_name text, OUT template text, OUT severity text,
        OUT activations bigint, OUT violations bigint, OUT satisfied boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_rule_outcomes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.rule_outcomes(collmine.trace, collmine.rule[]) IS
    'per rule: activations, violated activations and whether the trace satisfies the rule';

CREATE FUNCTION collmine.policy_fitness(t collmine.trace, rules collmine.rule[])
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'cm_policy_fitness' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.policy_fitness(collmine.trace, collmine.rule[]) IS
    'share of rule activations that are satisfied (1 when nothing activates)';

-- log-level adherence in one pass: a mergeable bigint[] tally, then its rows
CREATE FUNCTION collmine.policy_tally_trans(bigint[], collmine.trace, collmine.rule[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_policy_tally_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.policy_tally_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'cm_policy_tally_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE collmine.policy_tally(t collmine.trace, rules collmine.rule[]) (
    SFUNC = collmine.policy_tally_trans,
    STYPE = bigint[],
    INITCOND = '{}',
    COMBINEFUNC = collmine.policy_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.policy_tally(collmine.trace, collmine.rule[]) IS
    'per-rule counters over many traces (cases, activated and satisfied cases, activations, violations)';

CREATE AGGREGATE collmine.policy_tally_union(tally bigint[]) (
    SFUNC = collmine.policy_tally_combine,
    STYPE = bigint[],
    COMBINEFUNC = collmine.policy_tally_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.policy_tally_union(bigint[]) IS
    'merges policy tallies of the same rule set (rollups, partitions, shards)';

CREATE FUNCTION collmine.policy_adherence(rules collmine.rule[], tally bigint[],
        OUT rule_name text, OUT template text, OUT severity text, OUT cases bigint,
        OUT activated_cases bigint, OUT satisfied_cases bigint,
        OUT activations bigint, OUT violations bigint, OUT adherence double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_policy_adherence' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.policy_adherence(collmine.rule[], bigint[]) IS
    'one row per rule from a policy tally; adherence = satisfied cases / cases';

CREATE FUNCTION collmine.create_policy_table(schema_name name, table_name name DEFAULT 'policy_rules')
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
        )$f$, schema_name, table_name);
    RETURN format('%I.%I', schema_name, table_name)::regclass;
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

CREATE FUNCTION collmine.default_dunning_policy() RETURNS SETOF collmine.rule
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ROW(r.rule_name, r.template, r.activity_a, r.activity_b, r.n,
               r.min_delay::interval, r.max_delay::interval, r.severity, r.description)::collmine.rule
    FROM (VALUES
        ('starts_with_invoice', 'init', 'Invoice Generated', NULL, NULL, NULL, NULL, 'error',
         'every case starts with Invoice Generated'),
        ('invoice_sent_in_2_days', 'response', 'Invoice Generated', 'Invoice Sent to Customer', NULL,
         NULL, '2 days', 'warning', 'the invoice reaches the customer within 2 days'),
        ('reminder_in_7_days', 'response', 'Payment Due Date Passed', 'Overdue Reminder Sent', NULL,
         NULL, '7 days', 'error', 'Overdue Reminder Sent within 7 days after Payment Due Date Passed'),
        ('dunning_after_due_date', 'precedence', 'Payment Due Date Passed', 'Dunning Procedure Initiated', NULL,
         NULL, NULL, 'error', 'no Dunning Procedure Initiated before Payment Due Date Passed'),
        ('no_write_off_without_dunning', 'precedence', 'Dunning Procedure Initiated', 'Invoice Written Off', NULL,
         NULL, NULL, 'error', 'no Invoice Written Off without an earlier Dunning Procedure Initiated'),
        ('call_after_reminder', 'precedence', 'Overdue Reminder Sent', 'Collection Call Made', NULL,
         NULL, NULL, 'error', 'Collection Call Made only after an Overdue Reminder Sent'),
        ('dispute_resolved', 'response', 'Dispute Registered', 'Dispute Resolved', NULL,
         NULL, '30 days', 'warning', 'every dispute is resolved within 30 days'),
        ('posted_in_3_days', 'response', 'Payment Received', 'Payment Posted', NULL,
         NULL, '3 days', 'warning', 'payments are posted within 3 days of receipt'),
        ('no_reminder_after_settlement', 'not_succession', 'Invoice Settled', 'Overdue Reminder Sent', NULL,
         NULL, NULL, 'error', 'no Overdue Reminder Sent after Invoice Settled'),
        ('settled_at_most_once', 'absence', 'Invoice Settled', NULL, 1,
         NULL, NULL, 'error', 'Invoice Settled happens at most once')
    ) AS r(rule_name, template, activity_a, activity_b, n, min_delay, max_delay, severity, description)
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

CREATE FUNCTION collmine.replay(t collmine.trace, net text) RETURNS collmine.replay_result
    AS 'MODULE_PATHNAME', 'cm_replay' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.replay(collmine.trace, text) IS
    'token-based replay of a trace on a Petri net: produced, consumed, missing, remaining, fitness';

CREATE FUNCTION collmine.replay_deviations(t collmine.trace, net text,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT kind text,
        OUT tokens bigint, OUT places text[], OUT explanation text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'cm_replay_deviations' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION collmine.replay_deviations(collmine.trace, text) IS
    'the steps where a trace deviates from a Petri net during token replay';

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

-- ==== sql/parts/40_connectors_common.sql ====
-- collmine install script, layer 1: ERP connectors, the parts every source shares.
--
-- A connector works in a schema that the user names and owns:
--   collmine.create_staging(source, schema)   creates the staging tables with the real export
--                                             column names (all text), the csv_import landing
--                                             table, and the canonical events/invoices tables;
--   \copy ... FROM 'file.csv' (FORMAT csv, HEADER true)   loads an export (fast path), or
--   collmine.import_csv(table, delimiter)     checks header and rows of a file landed in
--                                             <schema>.csv_import and fills the staging table;
--   collmine.<source>_build(schema, settings) derives the canonical log from the staging tables;
--   collmine.data_quality(schema)             lists every problem found by the last build.
--
-- Every table the connectors create is created by a function call, so it belongs to the caller
-- and DROP EXTENSION never drops it. The source-specific parts (41_netsuite.sql, 42_d365fo.sql,
-- 43_d365bc.sql) fill three temporary tables (invoices, applications, raw events); the shared
-- finishing step below turns those into the 15 template activities.

-- The 15 activities of the credit & collections template, in the order that breaks timestamp
-- ties inside a case (an invoice is generated before it is sent, paid before it is settled).
CREATE FUNCTION collmine.template_activities()
RETURNS TABLE(rank integer, activity text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT * FROM (VALUES
        (1, 'Invoice Generated'), (2, 'Invoice Sent to Customer'),
        (3, 'Credit Limit Requested'), (4, 'Credit Limit Approved'),
        (5, 'Dispute Registered'), (6, 'Dispute Resolved'), (7, 'Credit Memo Issued'),
        (8, 'Payment Due Date Passed'), (9, 'Dunning Procedure Initiated'),
        (10, 'Overdue Reminder Sent'), (11, 'Collection Call Made'),
        (12, 'Payment Received'), (13, 'Payment Posted'),
        (14, 'Invoice Settled'), (15, 'Invoice Written Off')) AS a(rank, activity)
$$;
COMMENT ON FUNCTION collmine.template_activities() IS
    'the 15 activities of the invoice-to-cash template, with the rank that orders equal timestamps';

-- The export columns of every staging table, per source: the single description that
-- create_staging, import_csv and the docs rely on.
CREATE TABLE collmine.staging_columns (
    source      text    NOT NULL,
    table_name  text    NOT NULL,
    position    integer NOT NULL,
    column_name text    NOT NULL,
    required    boolean NOT NULL,
    PRIMARY KEY (source, table_name, position)
);
COMMENT ON TABLE collmine.staging_columns IS
    'export columns of each connector staging table; required columns must be present in a file given to import_csv';

-- Register the columns of one staging table (used only by this install script).
CREATE FUNCTION collmine._cm_def(p_source text, p_table text, p_columns text[], p_required text[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, collmine
AS $$
    INSERT INTO collmine.staging_columns (source, table_name, position, column_name, required)
    SELECT p_source, p_table, o::integer, c, c OPERATOR(pg_catalog.=) ANY (p_required)
    FROM pg_catalog.unnest(p_columns) WITH ORDINALITY AS u(c, o)
$$;

-- Known sources and their ERP names, for messages.
CREATE FUNCTION collmine._cm_check_source(p_source text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF p_source IS NULL OR p_source NOT IN ('netsuite', 'd365fo', 'd365bc') THEN
        RAISE EXCEPTION 'unknown source "%"', p_source
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of ''netsuite'', ''d365fo'' (Dynamics 365 Finance & Operations), ''d365bc'' (Business Central).';
    END IF;
    RETURN p_source;
END
$$;

-- Create the canonical event log and invoice tables (docs/architecture.md) and the table that
-- keeps the data-quality findings of the last build, if they do not exist yet.
CREATE FUNCTION collmine.create_event_log(p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', p_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.events (
        case_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
        user_id text, is_automated boolean, amount numeric, currency text,
        source_system text, source_ref text)$f$, p_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.invoices (
        case_id text PRIMARY KEY, customer_id text, customer_name text, segment text,
        business_unit text, collector text, country text, terms text, currency text, status text,
        dispute_reason text, source_system text, terms_days integer, invoice_date date,
        due_date date, amount numeric, amount_paid numeric, amount_credited numeric,
        amount_written_off numeric, open_amount numeric, settled_at timestamptz,
        written_off_at timestamptz, days_overdue integer, paid_on_time boolean,
        cycle_time interval, posting_lag interval, last_data_update timestamptz)$f$, p_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.quality_issues (
        source_system text NOT NULL, check_name text NOT NULL, severity text NOT NULL,
        source_table text, source_ref text, case_id text, detail text)$f$, p_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS events_case_ts ON %I.events (case_id, ts, ord)', p_schema);
END
$$;
COMMENT ON FUNCTION collmine.create_event_log(name) IS
    'create <schema>.events, <schema>.invoices and <schema>.quality_issues (owned by the caller) if missing';

-- Create the staging tables of one source in a schema the caller owns; existing tables are kept.
CREATE FUNCTION collmine.create_staging(p_source text, p_schema name)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    t text;
    cols text;
BEGIN
    PERFORM collmine._cm_check_source(p_source);
    PERFORM collmine.create_event_log(p_schema);
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I.csv_import (line_no bigint GENERATED ALWAYS AS IDENTITY, line text)', p_schema);
    FOR t, cols IN
        SELECT table_name, string_agg(format('%I text', column_name), ', ' ORDER BY position)
        FROM collmine.staging_columns WHERE source = p_source
        GROUP BY table_name ORDER BY min(position), table_name
    LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I (%s)', p_schema, t, cols);
        RETURN NEXT format('%I.%I', p_schema, t)::regclass;
    END LOOP;
END
$$;
COMMENT ON FUNCTION collmine.create_staging(text, name) IS
    'create the staging tables of a source (netsuite, d365fo, d365bc) with the real export column names, plus events/invoices, in a schema the caller owns';

-- ---------------------------------------------------------------------------------------------
-- Settings. Each build takes a jsonb of settings merged over the source defaults; unknown keys
-- are an error so that a typo never silently falls back to a default.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION collmine.connector_settings(p_source text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    common jsonb := '{"date_format": "YYYY-MM-DD", "timestamp_format": null, "timezone": "UTC",
                      "as_of": null, "on_error": "error"}';
BEGIN
    PERFORM collmine._cm_check_source(p_source);
    RETURN common || CASE p_source
        WHEN 'netsuite' THEN '{
            "dispute_field": "CUSTBODY_DISPUTE_STATUS",
            "dispute_resolved_values": ["", "Resolved", "Closed"],
            "dunning_level_field": "CUSTBODY_3805_DUNNING_LEVEL",
            "dunning_ignored_statuses": ["Cancelled", "Rejected"],
            "writeoff_memo_pattern": "write.?off|bad debt",
            "credit_limit_field": "CREDITLIMIT",
            "credit_limit_request_field": "CUSTENTITY_CREDIT_LIMIT_REQUEST",
            "customer_recordtypeid": "-2",
            "transaction_recordtypeid": "-30",
            "automated_users": ["-4"],
            "interactive_contexts": ["UIF"]}'::jsonb
        WHEN 'd365fo' THEN '{
            "call_types": ["Call"],
            "writeoff_transtypes": ["WriteOff"],
            "automated_users": ["Batch"]}'::jsonb
        ELSE '{
            "writeoff_reason_codes": ["WRITEOFF", "BADDEBT"],
            "dispute_field": "Dispute Status",
            "dispute_resolved_values": [""],
            "local_currency": null,
            "credit_limit_field": "Credit Limit (LCY)",
            "automated_users": ["JOBQUEUE"]}'::jsonb
    END;
END
$$;
COMMENT ON FUNCTION collmine.connector_settings(text) IS
    'default load settings of a source; pass overrides as jsonb to the build function';

-- Merge user settings over the defaults, rejecting unknown keys and bad values.
CREATE FUNCTION collmine._cm_settings(p_source text, p_settings jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    d jsonb := collmine.connector_settings(p_source);
    k text;
    s jsonb;
BEGIN
    FOR k IN SELECT jsonb_object_keys(coalesce(p_settings, '{}')) LOOP
        IF NOT d ? k THEN
            RAISE EXCEPTION 'unknown % setting "%"', p_source, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Valid settings: %s.', (SELECT string_agg(x, ', ' ORDER BY x) FROM jsonb_object_keys(d) x));
        END IF;
    END LOOP;
    s := d || coalesce(p_settings, '{}');
    IF s->>'on_error' NOT IN ('error', 'report') THEN
        RAISE EXCEPTION 'invalid on_error setting "%"', s->>'on_error'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use "error" (stop at the first malformed value) or "report" (skip it and list it in data_quality()).';
    END IF;
    PERFORM now() AT TIME ZONE (s->>'timezone');  -- rejects an unknown time zone early
    RETURN s;
END
$$;

-- A jsonb array of strings as text[] (settings lists).
CREATE FUNCTION collmine._cm_list(p jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$ SELECT coalesce(array_agg(x), '{}') FROM jsonb_array_elements_text(coalesce(p, '[]')) x $$;

-- ---------------------------------------------------------------------------------------------
-- Value parsing. A malformed value either stops the build with an error naming table, column
-- and row (on_error = error), or is recorded as a quality issue and read as NULL (report).
-- The build sets collmine._cm.* transaction-local settings that these functions read.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION collmine._cm_bad(p_kind text, p_value text, p_table text, p_col text, p_row text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF current_setting('collmine.cm_on_error', true) = 'report' THEN
        INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        VALUES ('bad_' || p_kind, 'error', p_table, p_row,
                format('invalid %s "%s" in column "%s"; value read as NULL', p_kind, p_value, p_col));
        RETURN;
    END IF;
    RAISE EXCEPTION 'invalid % "%" in column "%" of % row %', p_kind, p_value, p_col, p_table, p_row
        USING ERRCODE = CASE p_kind WHEN 'date' THEN 'invalid_datetime_format'
                                    WHEN 'timestamp' THEN 'invalid_datetime_format'
                                    ELSE 'invalid_text_representation' END,
              HINT = p_hint;
END
$$;

-- Parse a date export value with the load's date_format.
CREATE FUNCTION collmine._cm_date(v text, p_table text, p_col text, p_row text)
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := current_setting('collmine.cm_date_format');
    d date;
BEGIN
    IF v IS NULL OR btrim(v) = '' THEN RETURN NULL; END IF;
    BEGIN
        IF fmt = 'YYYY-MM-DD' THEN
            IF btrim(v) !~ '^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$' THEN RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format'; END IF;
            d := left(btrim(v), 10)::date;
        ELSE
            d := to_date(btrim(v), fmt);
            -- to_date is lenient: insist that the value round-trips through the format
            IF regexp_replace(to_char(d, fmt), '(^|\D)0+(\d)', '\1\2', 'g') <> regexp_replace(btrim(v), '(^|\D)0+(\d)', '\1\2', 'g') THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format';
            END IF;
        END IF;
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_bad('date', v, p_table, p_col, p_row,
            format('Dates are read with the date_format setting, now ''%s''; pass for example ''{"date_format": "MM/DD/YYYY"}'' to the build function.', fmt));
        RETURN NULL;
    END;
    RETURN d;
END
$$;

-- Parse a timestamp export value: timestamp_format if set, else ISO 8601; values without a
-- UTC offset are local times in the load's timezone setting.
CREATE FUNCTION collmine._cm_ts(v text, p_table text, p_col text, p_row text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := nullif(current_setting('collmine.cm_timestamp_format'), '');
    tz text := current_setting('collmine.cm_timezone');
    s text := btrim(v);
    t timestamptz;
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    BEGIN
        IF fmt IS NOT NULL THEN
            t := to_timestamp(s, fmt)::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}$' THEN
            t := s::date::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$' THEN
            t := s::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$' THEN
            t := s::timestamptz;
        ELSE
            -- a date in the display date format, as saved searches write them
            t := collmine._cm_date_strict(s)::timestamp AT TIME ZONE tz;
        END IF;
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_bad('timestamp', v, p_table, p_col, p_row,
            format('Timestamps are read as ISO 8601 (2024-09-14 13:05:00) unless the timestamp_format setting is given (now %s), for example ''{"timestamp_format": "MM/DD/YYYY HH12:MI am"}''.', coalesce(fmt, 'not set')));
        RETURN NULL;
    END;
    RETURN t;
END
$$;

-- A date in the load's date_format that raises a data_exception when it does not match.
CREATE FUNCTION collmine._cm_date_strict(s text)
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := current_setting('collmine.cm_date_format');
    d date := to_date(s, fmt);
BEGIN
    IF regexp_replace(to_char(d, fmt), '(^|\D)0+(\d)', '\1\2', 'g') <> regexp_replace(s, '(^|\D)0+(\d)', '\1\2', 'g') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format';
    END IF;
    RETURN d;
END
$$;

-- Parse an amount: digits with an optional sign and decimal point (no thousands separators).
CREATE FUNCTION collmine._cm_num(v text, p_table text, p_col text, p_row text)
RETURNS numeric
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s text := btrim(v);
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    IF s ~ '^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$' THEN
        RETURN s::numeric;
    END IF;
    PERFORM collmine._cm_bad('amount', v, p_table, p_col, p_row,
        'Amounts must be plain numbers such as 1234.56 or -10 (no currency symbols or thousands separators).');
    RETURN NULL;
END
$$;

-- Decode an enum that may be exported as an integer (Synapse Link, BYOD) or as a name (data
-- management packages). Unknown values are kept as given and recorded as a quality issue.
CREATE FUNCTION collmine._cm_enum(v text, p_map jsonb, p_table text, p_col text, p_row text)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s text := btrim(v);
    n text;
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    IF p_map ? s THEN RETURN p_map->>s; END IF;
    SELECT value INTO n FROM jsonb_each_text(p_map) WHERE lower(value) = lower(s) OR lower(replace(value, ' ', '')) = lower(replace(s, ' ', '')) LIMIT 1;
    IF n IS NOT NULL THEN RETURN n; END IF;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    VALUES ('unknown_enum_value', 'warning', p_table, p_row, format('column "%s" has unknown value "%s"', p_col, v));
    RETURN s;
END
$$;

-- Yes/No, true/false, 1/0, T/F as boolean.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_bool(v text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN v IS NULL OR pg_catalog.btrim(v) OPERATOR(pg_catalog.=) '' THEN NULL
                WHEN pg_catalog.lower(pg_catalog.btrim(v)) OPERATOR(pg_catalog.=) ANY ('{1,t,true,yes,y}'::pg_catalog.text[]) THEN true
                WHEN pg_catalog.lower(pg_catalog.btrim(v)) OPERATOR(pg_catalog.=) ANY ('{0,f,false,no,n}'::pg_catalog.text[]) THEN false END
$$;

-- Numeric sort key of a source id ('17' sorts before '100'); NULL for non-numeric ids.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_key(v text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN pg_catalog.btrim(v) OPERATOR(pg_catalog.~) '^-?\d{1,30}$' THEN pg_catalog.btrim(v)::pg_catalog.numeric END $$;

-- ---------------------------------------------------------------------------------------------
-- Build workspace: temporary tables that a source part fills and _cm_finish consumes.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION collmine._cm_begin(p_source text, p_schema name, s jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    IF to_regnamespace(p_schema) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', p_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = format('Create the staging tables first: SELECT collmine.create_staging(%L, %L);', p_source, p_schema);
    END IF;
    PERFORM collmine.create_event_log(p_schema);
    PERFORM set_config('collmine.cm_on_error', s->>'on_error', true);
    PERFORM set_config('collmine.cm_date_format', s->>'date_format', true);
    PERFORM set_config('collmine.cm_timestamp_format', coalesce(s->>'timestamp_format', ''), true);
    PERFORM set_config('collmine.cm_timezone', s->>'timezone', true);
    DROP TABLE IF EXISTS pg_temp._cm_inv, pg_temp._cm_app, pg_temp._cm_raw, pg_temp._cm_issue;
    -- one row per invoice (case)
    CREATE TEMP TABLE _cm_inv (
        case_id text, src_id text, customer_key text, customer_id text, customer_name text,
        segment text, business_unit text, collector text, country text, terms text,
        terms_days integer, currency text, amount numeric, invoice_ts timestamptz,
        invoice_date date, due_date date, user_id text, is_automated boolean, source_ref text);
    -- one row per application of a payment, credit memo or write-off to an invoice
    CREATE TEMP TABLE _cm_app (
        case_id text, kind text, doc_ref text, amount numeric, currency text,
        doc_ts timestamptz, applied_ts timestamptz, user_id text, is_automated boolean,
        source_ref text, sort_key numeric);
    -- explicit events; case_id NULL with customer_key set means a customer-level event
    CREATE TEMP TABLE _cm_raw (
        case_id text, customer_key text, activity text, ts timestamptz, user_id text,
        is_automated boolean, detail text, source_ref text, sort_key numeric);
    CREATE TEMP TABLE _cm_issue (
        check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
END
$$;

-- Report duplicated source keys of a staging table and return the name of the relation to read:
-- the staging table itself when its keys are unique, else a de-duplicated temporary copy (first
-- row per key by the full row text, so the choice does not depend on row order).
CREATE FUNCTION collmine._cm_dedup(p_schema name, p_table text, p_key text[])
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    keyexpr text := (SELECT string_agg(format('%I', k), ', ') FROM unnest(p_key) k);
    tmp text := '_cm_d_' || md5(p_table);
    dups bigint;
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'duplicate_row', 'warning', %3$L, concat_ws('/', %2$s), count(*) || ' rows with this key; one kept'
        FROM %1$I.%4$I GROUP BY %2$s HAVING count(*) > 1$q$, p_schema, keyexpr, p_table, p_table);
    GET DIAGNOSTICS dups = ROW_COUNT;
    IF dups = 0 THEN
        -- fresh loads have no statistics yet; without them joins get nested-loop plans
        EXECUTE format('ANALYZE %I.%I', p_schema, p_table);
        RETURN format('%I.%I', p_schema, p_table);
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS pg_temp.%I', tmp);
    EXECUTE format($q$CREATE TEMP TABLE %1$I AS
        SELECT DISTINCT ON (%3$s) * FROM %2$I.%4$I t ORDER BY %3$s, t::text$q$, tmp, p_schema, keyexpr, p_table);
    EXECUTE format('ANALYZE pg_temp.%I', tmp);
    RETURN format('pg_temp.%I', tmp);
END
$$;

-- Turn the workspace into the canonical events and invoices of one source, and store the
-- quality findings. Returns the event count per activity.
CREATE FUNCTION collmine._cm_finish(p_source text, p_schema name, s jsonb)
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    as_of timestamptz;
    tz text := s->>'timezone';
BEGIN
    ANALYZE pg_temp._cm_inv;   -- temporary tables have no statistics otherwise: bad join plans
    ANALYZE pg_temp._cm_app;
    ANALYZE pg_temp._cm_raw;
    -- duplicate case ids: keep one (by full row text), report the rest
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'duplicate_invoice', 'warning', 'invoice', string_agg(i.source_ref, ', ' ORDER BY i.source_ref), i.case_id,
           count(*) || ' invoice rows share this case id; one kept'
    FROM _cm_inv i GROUP BY i.case_id HAVING count(*) > 1;
    DELETE FROM _cm_inv a USING _cm_inv b
    WHERE a.case_id = b.case_id AND (a.source_ref, a.src_id) > (b.source_ref, b.src_id);

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_invoice_date', 'error', 'invoice', i.source_ref, i.case_id, 'no invoice date: the case has no Invoice Generated event'
    FROM _cm_inv i WHERE i.invoice_ts IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_due_date', 'warning', 'invoice', i.source_ref, i.case_id, 'no due date: no Payment Due Date Passed, no days overdue'
    FROM _cm_inv i WHERE i.due_date IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_amount', 'warning', 'invoice', i.source_ref, i.case_id, 'no invoice amount: settlement cannot be inferred'
    FROM _cm_inv i WHERE i.amount IS NULL;

    -- applications and events that point to no known invoice
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_invoice', 'warning', 'application', a.source_ref, a.case_id, 'applied to an invoice that is not in the export; ignored'
    FROM _cm_app a WHERE NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = a.case_id);
    DELETE FROM _cm_app a WHERE NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = a.case_id);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_invoice', 'warning', split_part(r.source_ref, ':', 1), r.source_ref, r.case_id,
           r.activity || ' linked to an invoice that is not in the export; ignored'
    FROM _cm_raw r WHERE r.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = r.case_id);
    DELETE FROM _cm_raw r WHERE r.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = r.case_id);

    -- rows whose timestamp could not be read are reported, not guessed
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_event_time', 'error', split_part(r.source_ref, ':', 1), r.source_ref, r.case_id, r.activity || ' without a time; left out'
    FROM _cm_raw r WHERE r.ts IS NULL;
    DELETE FROM _cm_raw r WHERE r.ts IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_event_time', 'error', 'application', a.source_ref, a.case_id, a.kind || ' application without a date; left out'
    FROM _cm_app a WHERE a.applied_ts IS NULL OR a.doc_ts IS NULL OR a.amount IS NULL;
    DELETE FROM _cm_app a WHERE a.applied_ts IS NULL OR a.doc_ts IS NULL OR a.amount IS NULL;

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'mixed_currency', 'warning', 'application', a.source_ref, a.case_id,
           format('%s in %s applied to an invoice in %s; amounts taken as given', a.kind, a.currency, i.currency)
    FROM _cm_app a JOIN _cm_inv i USING (case_id)
    WHERE a.currency IS NOT NULL AND i.currency IS NOT NULL AND a.currency <> i.currency;

    -- the data's own "now": the as_of setting, else the latest time anywhere in the export
    as_of := coalesce((s->>'as_of')::timestamptz,
                      greatest((SELECT max(invoice_ts) FROM _cm_inv), (SELECT max(applied_ts) FROM _cm_app),
                               (SELECT max(doc_ts) FROM _cm_app), (SELECT max(ts) FROM _cm_raw)));

    -- running balance per invoice: the application that brings it to zero settles the invoice,
    -- or writes it off when that application is a write-off
    DROP TABLE IF EXISTS pg_temp._cm_bal;
    CREATE TEMP TABLE _cm_bal AS
    SELECT a.*, i.amount AS inv_amount,
           sum(a.amount) OVER w AS cum,
           sum(a.amount) OVER w - a.amount AS cum_before
    FROM _cm_app a JOIN _cm_inv i USING (case_id)
    WINDOW w AS (PARTITION BY a.case_id ORDER BY a.applied_ts, a.sort_key, a.source_ref ROWS UNBOUNDED PRECEDING);
    ANALYZE pg_temp._cm_bal;

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'payment_exceeds_invoice', 'warning', 'application', min(b.source_ref), b.case_id,
           format('applications total %s for an invoice of %s', max(b.cum), max(b.inv_amount))
    FROM _cm_bal b GROUP BY b.case_id HAVING max(b.cum) > max(b.inv_amount) + 0.005;

    DROP TABLE IF EXISTS pg_temp._cm_end;
    CREATE TEMP TABLE _cm_end AS
    SELECT DISTINCT ON (b.case_id) b.case_id, b.kind AS end_kind,
           CASE WHEN b.kind = 'writeoff' THEN b.doc_ts ELSE b.applied_ts END AS end_ts, b.source_ref
    FROM _cm_bal b
    WHERE b.inv_amount > 0 AND b.cum >= b.inv_amount - 0.005 AND b.cum_before < b.inv_amount - 0.005
    ORDER BY b.case_id, b.applied_ts, b.sort_key, b.source_ref;
    ANALYZE pg_temp._cm_end;

    -- all events of the load, before ordering
    DROP TABLE IF EXISTS pg_temp._cm_ev;
    CREATE TEMP TABLE _cm_ev (case_id text, activity text, ts timestamptz, user_id text,
        is_automated boolean, amount numeric, currency text, source_ref text, sort_key numeric);
    INSERT INTO _cm_ev
    SELECT i.case_id, 'Invoice Generated', i.invoice_ts, i.user_id, i.is_automated, i.amount, i.currency, i.source_ref, collmine._cm_key(i.src_id)
    FROM _cm_inv i WHERE i.invoice_ts IS NOT NULL;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Payment Received', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'payment' GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Payment Posted', a.applied_ts, a.user_id, a.is_automated, a.amount, a.currency, a.source_ref, a.sort_key
    FROM _cm_app a WHERE a.kind = 'payment';
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Credit Memo Issued', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'credit' GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Invoice Written Off', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'writeoff' GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT e.case_id, 'Invoice Settled', e.end_ts, NULL, true, NULL, NULL, e.source_ref, NULL
    FROM _cm_end e WHERE e.end_kind <> 'writeoff';

    -- explicit per-invoice events; dunning starts with the first reminder unless the source
    -- gave an earlier start
    INSERT INTO _cm_ev
    SELECT r.case_id, r.activity, r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
    FROM _cm_raw r
    WHERE r.case_id IS NOT NULL AND r.activity NOT IN ('dispute:disputed', 'dispute:resolved', 'Dunning Procedure Initiated');
    INSERT INTO _cm_ev
    SELECT DISTINCT ON (r.case_id) r.case_id, 'Dunning Procedure Initiated', r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
    FROM _cm_raw r WHERE r.activity IN ('Overdue Reminder Sent', 'Dunning Procedure Initiated')
    ORDER BY r.case_id, r.ts, (r.activity = 'Overdue Reminder Sent'), r.sort_key, r.source_ref;

    -- disputes: Registered on entering the disputed state, Resolved on leaving it
    INSERT INTO _cm_ev
    SELECT d.case_id, CASE d.activity WHEN 'dispute:disputed' THEN 'Dispute Registered' ELSE 'Dispute Resolved' END,
           d.ts, d.user_id, d.is_automated, NULL, NULL, d.source_ref, d.sort_key
    FROM (SELECT r.*, lag(r.activity) OVER (PARTITION BY r.case_id ORDER BY r.ts, r.sort_key, r.source_ref) AS prev
          FROM _cm_raw r WHERE r.activity IN ('dispute:disputed', 'dispute:resolved')) d
    WHERE (d.activity = 'dispute:disputed' AND d.prev IS DISTINCT FROM 'dispute:disputed')
       OR (d.activity = 'dispute:resolved' AND d.prev = 'dispute:disputed');

    -- customer-level events (credit limits, calls not tied to an invoice) belong to every
    -- invoice of that customer that is open at that moment
    INSERT INTO _cm_ev
    SELECT i.case_id, r.activity, r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
    FROM _cm_raw r
    JOIN _cm_inv i ON i.customer_key = r.customer_key AND i.invoice_ts <= r.ts
    LEFT JOIN _cm_end e ON e.case_id = i.case_id
    WHERE r.case_id IS NULL AND (e.end_ts IS NULL OR e.end_ts > r.ts);

    -- Payment Due Date Passed: at the end of the due date, if the invoice was still open then
    INSERT INTO _cm_ev
    SELECT i.case_id, 'Payment Due Date Passed', ((i.due_date + 1)::timestamp AT TIME ZONE tz), NULL, true, NULL, NULL, i.source_ref, NULL
    FROM _cm_inv i LEFT JOIN _cm_end e USING (case_id)
    WHERE i.due_date IS NOT NULL AND i.invoice_ts IS NOT NULL
      AND ((i.due_date + 1)::timestamp AT TIME ZONE tz) <= as_of
      AND (e.end_ts IS NULL OR e.end_ts >= ((i.due_date + 1)::timestamp AT TIME ZONE tz));

    ANALYZE pg_temp._cm_ev;
    -- events dated before their invoice exists are kept and flagged
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'event_before_invoice', 'warning', split_part(v.source_ref, ':', 1), v.source_ref, v.case_id,
           format('%s at %s, before the invoice (%s); kept', v.activity, v.ts, i.invoice_ts)
    FROM _cm_ev v JOIN _cm_inv i USING (case_id)
    WHERE v.activity <> 'Invoice Generated' AND v.ts < i.invoice_ts;

    -- write the canonical tables: replace this source's rows, keep other sources' rows
    EXECUTE format('DELETE FROM %I.events WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.invoices WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.quality_issues WHERE source_system = %L', p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.events (case_id, activity, ts, ord, user_id, is_automated, amount, currency, source_system, source_ref)
        SELECT v.case_id, v.activity, v.ts,
               row_number() OVER (ORDER BY v.ts, t.rank, v.case_id, v.sort_key, v.source_ref, v.user_id, v.amount),
               v.user_id, v.is_automated, v.amount, v.currency, %L, v.source_ref
        FROM pg_temp._cm_ev v JOIN collmine.template_activities() t ON t.activity = v.activity$q$, p_schema, p_source);

    EXECUTE format($q$INSERT INTO %I.invoices
        SELECT i.case_id, i.customer_id, i.customer_name, i.segment, i.business_unit, i.collector,
               i.country, i.terms, i.currency,
               CASE WHEN e.end_kind IS NULL THEN 'open' WHEN e.end_kind = 'writeoff' THEN 'written_off' ELSE 'settled' END,
               dr.detail,
               %2$L, i.terms_days, i.invoice_date, i.due_date, i.amount,
               coalesce(ap.paid, 0), coalesce(ap.credited, 0), coalesce(ap.written_off, 0),
               i.amount - coalesce(ap.paid, 0) - coalesce(ap.credited, 0) - coalesce(ap.written_off, 0) - coalesce(ap.other, 0),
               CASE WHEN e.end_kind <> 'writeoff' THEN e.end_ts END,
               CASE WHEN e.end_kind = 'writeoff' THEN e.end_ts END,
               greatest(0, coalesce((e.end_ts AT TIME ZONE %3$L)::date, (%4$L::timestamptz AT TIME ZONE %3$L)::date) - i.due_date),
               CASE WHEN e.end_kind IS NULL THEN NULL WHEN e.end_kind = 'writeoff' THEN false
                    ELSE e.end_ts < ((i.due_date + 1)::timestamp AT TIME ZONE %3$L) END,
               e.end_ts - i.invoice_ts,
               ap.lag,
               %4$L::timestamptz
        FROM pg_temp._cm_inv i
        LEFT JOIN pg_temp._cm_end e USING (case_id)
        LEFT JOIN (SELECT a.case_id,
                          sum(a.amount) FILTER (WHERE a.kind = 'payment') AS paid,
                          sum(a.amount) FILTER (WHERE a.kind = 'credit') AS credited,
                          sum(a.amount) FILTER (WHERE a.kind = 'writeoff') AS written_off,
                          sum(a.amount) FILTER (WHERE a.kind NOT IN ('payment', 'credit', 'writeoff')) AS other,
                          avg(a.applied_ts - a.doc_ts) FILTER (WHERE a.kind = 'payment') AS lag
                   FROM pg_temp._cm_app a GROUP BY a.case_id) ap USING (case_id)
        LEFT JOIN (SELECT DISTINCT ON (r.case_id) r.case_id, r.detail FROM pg_temp._cm_raw r
                   WHERE r.activity = 'dispute:disputed'
                   ORDER BY r.case_id, r.ts DESC, r.sort_key DESC, r.source_ref DESC) dr USING (case_id)$q$,
        p_schema, p_source, tz, as_of);

    -- a log that mixes currencies cannot add amounts across invoices without conversion
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'mixed_currency', 'info', NULL, string_agg(c, ', ' ORDER BY c),
           format('invoices in %s currencies (%s); collmine does not convert amounts', count(*), string_agg(c, ', ' ORDER BY c))
    FROM (SELECT DISTINCT i.currency AS c FROM _cm_inv i WHERE i.currency IS NOT NULL) x
    HAVING count(*) > 1;

    EXECUTE format($q$INSERT INTO %I.quality_issues
        SELECT %L, q.check_name, q.severity, q.source_table, q.source_ref, q.case_id, q.detail FROM pg_temp._cm_issue q$q$,
        p_schema, p_source);

    RETURN QUERY
    SELECT t.activity, count(v.activity)
    FROM collmine.template_activities() t LEFT JOIN _cm_ev v ON v.activity = t.activity
    GROUP BY t.rank, t.activity ORDER BY t.rank;
END
$$;

-- The data-quality report of the last builds in a schema: one row per problem kind, with a
-- count and up to five example source rows.
CREATE FUNCTION collmine.data_quality(p_schema name)
RETURNS TABLE(source_system text, check_name text, severity text, problems bigint, examples text[], description text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF to_regclass(format('%I.quality_issues', p_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" has no quality_issues table', p_schema
            USING ERRCODE = 'undefined_table',
                  HINT = 'Run a build first, for example SELECT * FROM collmine.netsuite_build(''erp'');';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT q.source_system, q.check_name, q.severity, count(*),
               (array_agg(coalesce(q.case_id || ' (' || q.source_ref || ')', q.source_table || ' ' || q.source_ref, q.source_ref, q.case_id)
                          ORDER BY q.case_id, q.source_ref))[1:5],
               min(q.detail)
        FROM %I.quality_issues q
        GROUP BY q.source_system, q.check_name, q.severity
        ORDER BY q.source_system, CASE q.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, q.check_name$q$, p_schema);
END
$$;
COMMENT ON FUNCTION collmine.data_quality(name) IS
    'data-quality report of the last connector builds in a schema: problem kind, count, example rows';

-- ---------------------------------------------------------------------------------------------
-- Checked CSV import: lines landed in <schema>.csv_import by
--   \copy <schema>.csv_import(line) FROM 'file.csv' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
-- are split as CSV, the header is matched to the staging table's columns by name, and the rows
-- are inserted. Errors name the file line and the column.
-- ---------------------------------------------------------------------------------------------

-- Split one CSV record (quotes doubled inside quoted fields); unquoted empty fields are NULL.
CREATE FUNCTION collmine._cm_csv_split(p_line text, p_delim text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $$
DECLARE
    out text[] := '{}';
    d text := regexp_replace(p_delim, '([^A-Za-z0-9])', '\\\1', 'g');
    m text[];
    f text;
BEGIN
    FOR m IN SELECT regexp_matches(p_line || p_delim, '("(?:[^"]|"")*"|[^"' || d || ']*)' || d, 'g') LOOP
        f := m[1];
        IF f LIKE '"%' THEN
            f := replace(substr(f, 2, length(f) - 2), '""', '"');
        ELSIF f = '' THEN
            f := NULL;
        END IF;
        out := out || f;
    END LOOP;
    RETURN out;
END
$$;

CREATE FUNCTION collmine.import_csv(p_table regclass, p_delimiter text DEFAULT ',')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    nsp name;
    rel name;
    landing text;
    hdr text;
    hdr_line bigint;
    fields text[];
    want record;
    idx integer;
    cols text := '';
    vals text := '';
    src text;
    n bigint;
    bad record;
    other text;
BEGIN
    SELECT c.relnamespace::regnamespace::name, c.relname INTO nsp, rel FROM pg_class c WHERE c.oid = p_table;
    src := (SELECT min(source) FROM collmine.staging_columns WHERE table_name = rel);
    IF src IS NULL THEN
        RAISE EXCEPTION 'table % is not a collmine staging table', p_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Create staging tables with collmine.create_staging(source, schema) and name one of them.';
    END IF;
    IF p_delimiter IS NULL OR length(p_delimiter) <> 1 OR p_delimiter = '"' THEN
        RAISE EXCEPTION 'invalid delimiter "%"', p_delimiter
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give one character, such as '','' or '';'' or E''\t''.';
    END IF;
    landing := format('%I.csv_import', nsp);
    EXECUTE format('SELECT line_no, line FROM %s ORDER BY line_no LIMIT 1', landing) INTO hdr_line, hdr;
    IF hdr IS NULL THEN
        RAISE EXCEPTION 'nothing to import: % is empty', landing
            USING ERRCODE = 'no_data_found',
                  HINT = format('Land the file first: \copy %s(line) FROM ''file.csv'' WITH (FORMAT csv, DELIMITER E''\x01'', QUOTE E''\x02'')', landing);
    END IF;
    hdr := regexp_replace(hdr, '^\ufeff', '');          -- byte order mark of Excel exports
    fields := collmine._cm_csv_split(hdr, p_delimiter);
    -- a header that stays one field but contains another usual delimiter: wrong delimiter
    IF cardinality(fields) = 1 THEN
        other := (SELECT d FROM unnest(ARRAY[',', ';', E'\t', '|']) d WHERE d <> p_delimiter AND strpos(hdr, d) > 0 LIMIT 1);
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'header of % is one column "%": the file is delimited by "%", not "%"', p_table, left(hdr, 60), other, p_delimiter
                USING ERRCODE = 'bad_copy_file_format',
                      HINT = format('Import it with SELECT collmine.import_csv(%L, %L);', p_table::text, other);
        END IF;
    END IF;
    FOR want IN SELECT column_name, required FROM collmine.staging_columns
                WHERE source = src AND table_name = rel ORDER BY position LOOP
        idx := array_position(fields, want.column_name);
        IF idx IS NULL THEN
            idx := (SELECT o FROM unnest(fields) WITH ORDINALITY u(f, o) WHERE lower(btrim(f)) = lower(want.column_name) LIMIT 1);
        END IF;
        IF idx IS NULL AND want.required THEN
            RAISE EXCEPTION 'column "%" is missing from the header of the file for %', want.column_name, p_table
                USING ERRCODE = 'undefined_column',
                      HINT = format('The export must have the columns %s.',
                          (SELECT string_agg(format('"%s"', column_name), ', ' ORDER BY position) FROM collmine.staging_columns
                           WHERE source = src AND table_name = rel AND required));
        END IF;
        IF idx IS NOT NULL THEN
            cols := cols || CASE WHEN cols = '' THEN '' ELSE ', ' END || format('%I', want.column_name);
            vals := vals || CASE WHEN vals = '' THEN '' ELSE ', ' END || format('f[%s]', idx);
        END IF;
    END LOOP;

    DROP TABLE IF EXISTS pg_temp._cm_csv;
    CREATE TEMP TABLE _cm_csv (line_no bigint, f text[]);
    -- join physical lines of a record whose quoted field spans a line break
    EXECUTE format($q$
        INSERT INTO pg_temp._cm_csv
        SELECT min(line_no), collmine._cm_csv_split(string_agg(line, E'\n' ORDER BY line_no), %L)
        FROM (SELECT line_no, line,
                     sum(CASE WHEN open_before THEN 0 ELSE 1 END) OVER (ORDER BY line_no) AS rec
              FROM (SELECT line_no, line,
                           coalesce((sum(length(line) - length(replace(line, '"', ''))) OVER
                               (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) %% 2 = 1, false) AS open_before
                    FROM %s WHERE line_no > %s AND line IS NOT NULL AND line <> '') x) y
        GROUP BY rec$q$, p_delimiter, landing, hdr_line);
    SELECT c.line_no, cardinality(c.f) AS got INTO bad FROM _cm_csv c
    WHERE cardinality(c.f) <> cardinality(fields) ORDER BY c.line_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'line % of the file for % has % fields, the header has %', bad.line_no - hdr_line + 1, p_table, bad.got, cardinality(fields)
            USING ERRCODE = 'bad_copy_file_format',
                  HINT = 'Check the delimiter and the quoting of that line: fields that contain the delimiter must be in double quotes.';
    END IF;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pg_temp._cm_csv ORDER BY line_no', p_table, cols, vals);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format('TRUNCATE %s', landing);
    DROP TABLE pg_temp._cm_csv;
    RETURN n;
END
$$;
COMMENT ON FUNCTION collmine.import_csv(regclass, text) IS
    'move a CSV file landed in <schema>.csv_import into a staging table, matching header names and checking every line';

-- A date export value as the timestamp of its midnight in the load's time zone.
CREATE FUNCTION collmine._cm_day(v text, p_table text, p_col text, p_row text)
RETURNS timestamptz
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
    SELECT collmine._cm_date(v, p_table, p_col, p_row)::timestamp AT TIME ZONE current_setting('collmine.cm_timezone')
$$;

-- Check that every staging table of a source exists with all its columns, and that no table
-- holds whole lines in its first column (a file loaded with the wrong delimiter).
CREATE FUNCTION collmine._cm_require(p_schema name, p_source text, p_skip text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    c record;
    first_col text;
    second_col text;
    v text;
BEGIN
    FOR c IN SELECT sc.table_name, sc.column_name FROM collmine.staging_columns sc
             WHERE sc.source = p_source AND sc.table_name <> ALL (p_skip) ORDER BY sc.table_name, sc.position LOOP
        IF to_regclass(format('%I.%I', p_schema, c.table_name)) IS NULL THEN
            RAISE EXCEPTION 'staging table %.% does not exist', p_schema, c.table_name
                USING ERRCODE = 'undefined_table',
                      HINT = format('Create the staging tables with SELECT collmine.create_staging(%L, %L); and load the exports into them (an empty table is fine).', p_source, p_schema);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = format('%I.%I', p_schema, c.table_name)::regclass
                         AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" is missing from staging table %.%', c.column_name, p_schema, c.table_name
                USING ERRCODE = 'undefined_column',
                      HINT = format('Recreate it with collmine.create_staging(%L, %L), or add the column: ALTER TABLE %I.%I ADD COLUMN %I text;',
                                    p_source, p_schema, p_schema, c.table_name, c.column_name);
        END IF;
    END LOOP;
    FOR c IN SELECT sc.table_name FROM collmine.staging_columns sc WHERE sc.source = p_source AND sc.table_name <> ALL (p_skip)
             GROUP BY sc.table_name ORDER BY sc.table_name LOOP
        SELECT min(column_name) FILTER (WHERE position = 1), min(column_name) FILTER (WHERE position = 2)
        INTO first_col, second_col
        FROM collmine.staging_columns WHERE source = p_source AND table_name = c.table_name;
        EXECUTE format('SELECT %1$I FROM %2$I.%3$I WHERE %4$I IS NULL AND %1$I ~ ''[;,\t|]'' LIMIT 1',
                       first_col, p_schema, c.table_name, second_col) INTO v;
        IF v IS NOT NULL THEN
            RAISE EXCEPTION 'staging table %.% holds whole lines in column "%": "%"', p_schema, c.table_name, first_col, left(v, 60)
                USING ERRCODE = 'bad_copy_file_format',
                      HINT = format('The file was loaded with the wrong delimiter. Truncate the table and load it again with the file''s delimiter, e.g. \copy %I.%I FROM ''file.csv'' WITH (FORMAT csv, HEADER true, DELIMITER '';'')',
                                    p_schema, c.table_name);
        END IF;
    END LOOP;
END
$$;

-- ==== sql/parts/41_netsuite.sql ====
-- collmine install script, layer 1: the Oracle NetSuite connector.
--
-- Staging tables carry the SuiteQL / SuiteAnalytics Connect ("NetSuite2.com") column names of
-- ../shared/erp-mapping.md; collmine.netsuite_build(schema, settings) derives the canonical log.
-- The case id is the invoice's tranid. See docs/connectors.md for the derivation table.

SELECT collmine._cm_def('netsuite', 'transaction',
    ARRAY['id', 'tranid', 'type', 'trandate', 'createddate', 'duedate', 'closedate', 'entity', 'status',
          'foreigntotal', 'foreignamountpaid', 'foreignamountunpaid', 'currency', 'postingperiod', 'posting',
          'createdby', 'terms', 'memo', 'custbody_3805_dunning_procedure', 'custbody_3805_dunning_level',
          'custbody_3805_dunning_manager', 'custbody_3805_last_dunning_letter_sent'],
    ARRAY['id', 'tranid', 'type', 'trandate']);
SELECT collmine._cm_def('netsuite', 'transactionline',
    ARRAY['transaction', 'id', 'mainline', 'subsidiary', 'entity', 'foreignamount'],
    ARRAY['transaction', 'id']);
SELECT collmine._cm_def('netsuite', 'nexttransactionlinelink',
    ARRAY['previousdoc', 'previousline', 'previoustype', 'nextdoc', 'nextline', 'nexttype', 'linktype',
          'foreignamount', 'lastmodifieddate'],
    ARRAY['previousdoc', 'nextdoc', 'foreignamount', 'lastmodifieddate']);
SELECT collmine._cm_def('netsuite', 'systemnote',
    ARRAY['id', 'date', 'recordtypeid', 'recordid', 'field', 'oldvalue', 'newvalue', 'name', 'context'],
    ARRAY['id', 'date', 'recordtypeid', 'recordid', 'field']);
SELECT collmine._cm_def('netsuite', 'phonecall',
    ARRAY['id', 'title', 'startdate', 'completeddate', 'createddate', 'status', 'assigned', 'owner',
          'company', 'transaction'],
    ARRAY['id', 'completeddate']);
SELECT collmine._cm_def('netsuite', 'message',
    ARRAY['id', 'author', 'recipient', 'messagedate', 'subject', 'isemailed', 'messagetype', 'transaction'],
    ARRAY['id', 'messagedate', 'transaction']);
SELECT collmine._cm_def('netsuite', 'customer',
    ARRAY['id', 'entityid', 'companyname', 'category', 'creditlimit', 'terms', 'subsidiary', 'salesrep'],
    ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'term', ARRAY['id', 'name', 'daysuntilnetdue'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'subsidiary', ARRAY['id', 'name', 'country'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'customrecord_3805_dunning_eval_result',
    ARRAY['id', 'custrecord_3805_evaluation_result_cust', 'custrecord_3805_eval_result_status',
          'custrecord_3805_eval_result_letter_type', 'custrecord_3805_eval_result_invoice_list', 'created'],
    ARRAY['id', 'custrecord_3805_eval_result_invoice_list', 'created']);

-- Derive the canonical events and invoices of <schema> from its NetSuite staging tables.
CREATE FUNCTION collmine.netsuite_build(p_schema name, p_settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s jsonb := collmine._cm_settings('netsuite', p_settings);
    tr text; tl text; lk text; sn text; pc text; msg text; cu text; te text; su text; ev text;
    auto_users text[] := collmine._cm_list(s->'automated_users');
    ui_ctx text[] := collmine._cm_list(s->'interactive_contexts');
BEGIN
    PERFORM collmine._cm_begin('netsuite', p_schema, s);
    PERFORM collmine._cm_require(p_schema, 'netsuite', ARRAY['transaction_search']);   -- read only by netsuite_from_saved_search
    tr  := collmine._cm_dedup(p_schema, 'transaction', ARRAY['id']);
    tl  := collmine._cm_dedup(p_schema, 'transactionline', ARRAY['transaction', 'id']);
    lk  := collmine._cm_dedup(p_schema, 'nexttransactionlinelink', ARRAY['previousdoc', 'previousline', 'nextdoc', 'nextline']);
    sn  := collmine._cm_dedup(p_schema, 'systemnote', ARRAY['id']);
    pc  := collmine._cm_dedup(p_schema, 'phonecall', ARRAY['id']);
    msg := collmine._cm_dedup(p_schema, 'message', ARRAY['id']);
    cu  := collmine._cm_dedup(p_schema, 'customer', ARRAY['id']);
    te  := collmine._cm_dedup(p_schema, 'term', ARRAY['id']);
    su  := collmine._cm_dedup(p_schema, 'subsidiary', ARRAY['id']);
    ev  := collmine._cm_dedup(p_schema, 'customrecord_3805_dunning_eval_result', ARRAY['id']);

    -- transaction types outside the known set are reported once per value
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'unknown_enum_value', 'warning', 'transaction', 'id=' || t.id, format('column "type" has unknown value "%%s"', t.type)
        FROM %s t WHERE t.type IS NULL OR t.type NOT IN ('CustInvc', 'CustPymt', 'CustCred', 'Journal', 'Deposit', 'CustDep', 'CustRfnd')$q$, tr);

    -- invoices
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t.tranid, t.id, t.entity, t.entity, c.companyname, c.category,
               coalesce(sl.name, sc.name, l.subsidiary, c.subsidiary), coalesce(t.custbody_3805_dunning_manager, c.salesrep),
               coalesce(sl.country, sc.country), coalesce(te.name, t.terms),
               collmine._cm_num(te.daysuntilnetdue, 'term', 'daysuntilnetdue', 'id=' || te.id)::integer,
               t.currency, collmine._cm_num(t.foreigntotal, 'transaction', 'foreigntotal', 'id=' || t.id),
               coalesce(collmine._cm_ts(t.createddate, 'transaction', 'createddate', 'id=' || t.id),
                        collmine._cm_day(t.trandate, 'transaction', 'trandate', 'id=' || t.id)),
               collmine._cm_date(t.trandate, 'transaction', 'trandate', 'id=' || t.id),
               collmine._cm_date(t.duedate, 'transaction', 'duedate', 'id=' || t.id),
               t.createdby, t.createdby = ANY (%L::text[]), 'transaction:' || t.id
        FROM %s t
        LEFT JOIN (SELECT DISTINCT ON (x.transaction) x.transaction, x.subsidiary FROM %s x
                   ORDER BY x.transaction, (x.mainline = 'T') DESC, collmine._cm_key(x.id), x.id) l ON l.transaction = t.id
        LEFT JOIN %s c ON c.id = t.entity
        LEFT JOIN %s te ON te.id = t.terms
        LEFT JOIN %s sl ON sl.id = l.subsidiary
        LEFT JOIN %s sc ON sc.id = c.subsidiary
        WHERE t.type = 'CustInvc'$q$, auto_users, tr, tl, cu, te, su, su);

    -- applications: a payment, credit memo or journal linked to the invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i.tranid, 'transaction id=' || k.previousdoc),
               CASE WHEN n.type = 'CustPymt' THEN 'payment'
                    WHEN n.type IN ('CustCred', 'Journal') AND n.memo ~* %L THEN 'writeoff'
                    WHEN n.type = 'CustCred' THEN 'credit'
                    ELSE 'other' END,
               coalesce(n.tranid, 'transaction id=' || k.nextdoc),
               abs(collmine._cm_num(k.foreignamount, 'nexttransactionlinelink', 'foreignamount', format('%%s->%%s', k.previousdoc, k.nextdoc))),
               n.currency,
               collmine._cm_day(n.trandate, 'transaction', 'trandate', 'id=' || n.id),
               collmine._cm_ts(k.lastmodifieddate, 'nexttransactionlinelink', 'lastmodifieddate', format('%%s->%%s', k.previousdoc, k.nextdoc)),
               n.createdby, n.createdby = ANY (%L::text[]),
               format('nexttransactionlinelink:%%s->%%s/%%s', k.previousdoc, k.nextdoc, coalesce(k.nextline, '')),
               collmine._cm_key(k.nextdoc)
        FROM %s k
        LEFT JOIN %s i ON i.id = k.previousdoc
        LEFT JOIN %s n ON n.id = k.nextdoc
        WHERE i.id IS NULL OR i.type = 'CustInvc'$q$, s->>'writeoff_memo_pattern', auto_users, lk, tr, tr);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'nexttransactionlinelink', a.source_ref, a.case_id, 'the applying transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';

    -- Invoice Sent to Customer: an e-mailed message on the invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || m.transaction), NULL, 'Invoice Sent to Customer',
               collmine._cm_ts(m.messagedate, 'message', 'messagedate', 'id=' || m.id), m.author, false, NULL,
               'message:' || m.id, collmine._cm_key(m.id)
        FROM %s m LEFT JOIN %s i ON i.id = m.transaction
        WHERE coalesce(collmine._cm_bool(m.isemailed), true) AND (i.id IS NULL OR i.type = 'CustInvc')$q$, msg, tr);

    -- Overdue Reminder Sent: each dunning evaluation result, for each invoice in its list
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || btrim(inv)), e.custrecord_3805_evaluation_result_cust, 'Overdue Reminder Sent',
               collmine._cm_ts(e.created, 'customrecord_3805_dunning_eval_result', 'created', 'id=' || e.id), NULL, true,
               e.custrecord_3805_eval_result_letter_type, 'customrecord_3805_dunning_eval_result:' || e.id, collmine._cm_key(e.id)
        FROM %s e CROSS JOIN LATERAL unnest(string_to_array(e.custrecord_3805_eval_result_invoice_list, ',')) inv
        LEFT JOIN %s i ON i.id = btrim(inv)
        WHERE btrim(inv) <> '' AND coalesce(e.custrecord_3805_eval_result_status, '') <> ALL (%L::text[])$q$,
        ev, tr, collmine._cm_list(s->'dunning_ignored_statuses'));

    -- system notes: dunning level set, dispute field changes, credit limit changes
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN n.recordtypeid = %2$L THEN coalesce(i.tranid, 'transaction id=' || n.recordid) END,
               CASE WHEN n.recordtypeid = %3$L THEN n.recordid END,
               CASE WHEN upper(n.field) = upper(%4$L) THEN 'Dunning Procedure Initiated'
                    WHEN upper(n.field) = upper(%5$L) AND coalesce(n.newvalue, '') = ANY (%6$L::text[]) THEN 'dispute:resolved'
                    WHEN upper(n.field) = upper(%5$L) THEN 'dispute:disputed'
                    WHEN upper(n.field) = upper(%7$L) THEN 'Credit Limit Approved'
                    ELSE 'Credit Limit Requested' END,
               collmine._cm_ts(n.date, 'systemnote', 'date', 'id=' || n.id), n.name,
               n.name = ANY (%8$L::text[]) OR coalesce(n.context, '') <> ALL (%9$L::text[]),
               n.newvalue, 'systemnote:' || n.id, collmine._cm_key(n.id)
        FROM %1$s n LEFT JOIN %10$s i ON i.id = n.recordid AND n.recordtypeid = %2$L
        WHERE (n.recordtypeid = %2$L AND upper(n.field) IN (upper(%4$L), upper(%5$L))
               AND (i.id IS NULL OR i.type = 'CustInvc')
               AND NOT (upper(n.field) = upper(%4$L) AND coalesce(n.newvalue, '') IN ('', '0')))
           OR (n.recordtypeid = %3$L AND upper(n.field) IN (upper(%7$L), upper(%11$L)))$q$,
        sn, s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dunning_level_field',
        s->>'dispute_field', collmine._cm_list(s->'dispute_resolved_values'), s->>'credit_limit_field',
        auto_users, ui_ctx, tr, s->>'credit_limit_request_field');

    -- Collection Call Made: completed phone calls, on the invoice or else on the customer
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN coalesce(p.transaction, '') <> '' THEN coalesce(i.tranid, 'transaction id=' || p.transaction) END,
               p.company, 'Collection Call Made',
               collmine._cm_ts(p.completeddate, 'phonecall', 'completeddate', 'id=' || p.id),
               coalesce(p.assigned, p.owner), false, p.title, 'phonecall:' || p.id, collmine._cm_key(p.id)
        FROM %s p LEFT JOIN %s i ON i.id = p.transaction
        WHERE coalesce(p.completeddate, '') <> ''
          AND (coalesce(p.transaction, '') <> '' OR coalesce(p.company, '') <> '')$q$, pc, tr);

    RETURN QUERY SELECT * FROM collmine._cm_finish('netsuite', p_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.netsuite_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the NetSuite staging tables; returns events per activity';

-- ---------------------------------------------------------------------------------------------
-- Saved-search exports. Users without SuiteQL access export a transaction saved search to CSV,
-- with display column names and display values. netsuite_from_saved_search turns such an export
-- (one row per transaction, or per transaction and applying transaction) into the SuiteQL-shaped
-- staging tables, so that netsuite_build derives the log the same way.
-- ---------------------------------------------------------------------------------------------
SELECT collmine._cm_def('netsuite', 'transaction_search',
    ARRAY['Internal ID', 'Type', 'Date', 'Date Created', 'Document Number', 'Name', 'Due Date/Receive By',
          'Amount', 'Amount Remaining', 'Amount Paid', 'Status', 'Terms', 'Subsidiary', 'Currency',
          'Date Closed', 'Applying Transaction', 'Applying Link Amount', 'Sales Rep', 'Memo', 'Created By'],
    ARRAY['Internal ID', 'Type', 'Date', 'Document Number', 'Amount']);

CREATE FUNCTION collmine.netsuite_from_saved_search(p_schema name)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM collmine._cm_require(p_schema, 'netsuite',
        ARRAY['systemnote', 'phonecall', 'message', 'term', 'subsidiary', 'customrecord_3805_dunning_eval_result']);
    -- the saved search replaces what the SuiteQL tables it feeds held before
    EXECUTE format('TRUNCATE %1$I.transaction, %1$I.transactionline, %1$I.nexttransactionlinelink, %1$I.customer', p_schema);
    -- one transaction per internal id; display type names become SuiteQL type ids
    EXECUTE format($q$INSERT INTO %1$I.transaction (id, tranid, type, trandate, createddate, duedate, closedate, entity,
                                                    status, foreigntotal, foreignamountpaid, foreignamountunpaid,
                                                    currency, createdby, terms, memo)
        SELECT DISTINCT ON (s."Internal ID") s."Internal ID", s."Document Number",
               CASE s."Type" WHEN 'Invoice' THEN 'CustInvc' WHEN 'Payment' THEN 'CustPymt'
                             WHEN 'Credit Memo' THEN 'CustCred' WHEN 'Journal' THEN 'Journal'
                             WHEN 'Deposit' THEN 'Deposit' WHEN 'Customer Deposit' THEN 'CustDep'
                             WHEN 'Customer Refund' THEN 'CustRfnd' ELSE s."Type" END,
               s."Date", s."Date Created", s."Due Date/Receive By", s."Date Closed", s."Name", s."Status",
               s."Amount", s."Amount Paid", s."Amount Remaining", s."Currency", s."Created By", s."Terms", s."Memo"
        FROM %1$I.transaction_search s
        WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, p_schema);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format($q$INSERT INTO %1$I.transactionline (transaction, id, mainline, subsidiary, entity)
        SELECT DISTINCT ON (s."Internal ID") s."Internal ID", '0', 'T', s."Subsidiary", s."Name"
        FROM %1$I.transaction_search s WHERE coalesce(s."Internal ID", '') <> ''
        ORDER BY s."Internal ID", s::text$q$, p_schema);
    EXECUTE format($q$INSERT INTO %1$I.customer (id, companyname, salesrep)
        SELECT DISTINCT ON (s."Name") s."Name", s."Name", s."Sales Rep"
        FROM %1$I.transaction_search s WHERE coalesce(s."Name", '') <> ''
        ORDER BY s."Name", s."Sales Rep" NULLS LAST$q$, p_schema);
    -- "Applying Transaction" is display text such as "Payment #PYMT0042": find that document in
    -- the export by its number; the application happened on the applying document's date
    EXECUTE format($q$INSERT INTO %1$I.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, linktype, foreignamount, lastmodifieddate)
        SELECT DISTINCT s."Internal ID", 'CustInvc', coalesce(a."Internal ID", 'unknown ' || s."Applying Transaction"),
               a."Type", 'Payment', s."Applying Link Amount", a."Date"
        FROM %1$I.transaction_search s
        LEFT JOIN (SELECT DISTINCT ON (x."Document Number") x.* FROM %1$I.transaction_search x
                   ORDER BY x."Document Number", x."Internal ID") a
               ON a."Document Number" = coalesce(substring(s."Applying Transaction" FROM '#\s*(\S+)\s*$'), btrim(s."Applying Transaction"))
        WHERE s."Type" = 'Invoice' AND coalesce(s."Applying Transaction", '') <> ''$q$, p_schema);
    RETURN n;
END
$$;
COMMENT ON FUNCTION collmine.netsuite_from_saved_search(name) IS
    'fill the NetSuite staging tables transaction, transactionline, nexttransactionlinelink and customer from a saved-search export in <schema>.transaction_search';

-- ==== sql/parts/42_d365fo.sql ====
-- collmine install script, layer 1: the Dynamics 365 Finance & Operations connector.
--
-- Staging tables carry the F&O table/entity column names (CustTrans, CustSettlement, collection
-- letters, dispute history, activities, credit-limit adjustments). Enums may be exported as
-- integers (Synapse Link, BYOD) or as names (data management packages): both are accepted.
-- The case id is DataAreaId || '/' || Invoice.

SELECT collmine._cm_def('d365fo', 'CustTrans',
    ARRAY['DataAreaId', 'RecId', 'AccountNum', 'Invoice', 'Voucher', 'TransDate', 'DocumentDate', 'DueDate',
          'Closed', 'AmountCur', 'SettleAmountCur', 'CurrencyCode', 'TransType', 'LastSettleDate',
          'PaymTermId', 'ReasonRefRecId', 'CreatedBy'],
    ARRAY['DataAreaId', 'RecId', 'AccountNum', 'Invoice', 'TransDate', 'AmountCur', 'TransType']);
SELECT collmine._cm_def('d365fo', 'CustSettlement',
    ARRAY['DataAreaId', 'RecId', 'TransRecId', 'OffsetRecid', 'OffsetTransVoucher', 'TransDate',
          'SettleAmountCur', 'DueDate'],
    ARRAY['RecId', 'TransRecId', 'OffsetRecid', 'TransDate', 'SettleAmountCur']);
SELECT collmine._cm_def('d365fo', 'CustCollectionLetterJour',
    ARRAY['DataAreaId', 'CollectionLetterNum', 'AccountNum', 'CollectionLetterCode', 'CollectionLetterDate',
          'PrintDate', 'Status', 'CreatedBy'],
    ARRAY['DataAreaId', 'CollectionLetterNum', 'CollectionLetterDate', 'Status']);
SELECT collmine._cm_def('d365fo', 'CustCollectionLetterTrans',
    ARRAY['DataAreaId', 'RecId', 'CollectionLetterNum', 'CustTransId', 'Invoice', 'DueDate', 'RemainAmount'],
    ARRAY['DataAreaId', 'RecId', 'CollectionLetterNum', 'CustTransId']);
SELECT collmine._cm_def('d365fo', 'CustDisputeHistory',
    ARRAY['DataAreaId', 'RecId', 'CustTrans', 'Status', 'CreatedDateTime', 'ReasonTableRef',
          'ResponsibleWorker', 'CreatedBy'],
    ARRAY['RecId', 'CustTrans', 'Status', 'CreatedDateTime']);
SELECT collmine._cm_def('d365fo', 'smmActivities',
    ARRAY['DataAreaId', 'ActivityNumber', 'TypeId', 'Purpose', 'StartDateTime', 'ActualEndDateTime',
          'ResponsibleWorker', 'Closed'],
    ARRAY['ActivityNumber', 'TypeId', 'ActualEndDateTime']);
SELECT collmine._cm_def('d365fo', 'CustCollectionsLinkTable',
    ARRAY['DataAreaId', 'ActivityNumber', 'EntityType', 'RefRecId'],
    ARRAY['ActivityNumber', 'EntityType', 'RefRecId']);
SELECT collmine._cm_def('d365fo', 'CredManCreditLimitAdjTable',
    ARRAY['DataAreaId', 'JournalId', 'Status', 'Posted', 'PostedDate', 'CreatedDateTime', 'CreatedBy'],
    ARRAY['DataAreaId', 'JournalId', 'Posted', 'CreatedDateTime']);
SELECT collmine._cm_def('d365fo', 'CredManCreditLimitAdjTrans',
    ARRAY['DataAreaId', 'JournalId', 'CustAccount', 'CreditMax', 'CreditMaxNew'],
    ARRAY['DataAreaId', 'JournalId', 'CustAccount']);
SELECT collmine._cm_def('d365fo', 'CustTable',
    ARRAY['DataAreaId', 'AccountNum', 'CustGroup', 'SegmentId', 'CreditMax', 'PaymTermId', 'PartyCountry'],
    ARRAY['DataAreaId', 'AccountNum']);
SELECT collmine._cm_def('d365fo', 'PaymTerm',
    ARRAY['DataAreaId', 'PaymTermId', 'NumOfDays'], ARRAY['PaymTermId']);

-- Derive the canonical events and invoices of <schema> from its F&O staging tables.
CREATE FUNCTION collmine.d365fo_build(p_schema name, p_settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    s jsonb := collmine._cm_settings('d365fo', p_settings);
    ct text; st text; lj text; lt text; dh text; sa text; ln text; cj text; cr text; cu text; pt text;
    auto_users text[] := collmine._cm_list(s->'automated_users');
    wo text[] := collmine._cm_list(s->'writeoff_transtypes');
    -- LedgerTransType values used here; the write-off type is a setting
    transtype jsonb := '{"0": "None", "2": "Sales", "8": "Cust", "13": "CollectionLetter",
                         "15": "Payment", "24": "Settlement"}'::jsonb
                       || (SELECT coalesce(jsonb_object_agg(w, w), '{}') FROM unnest(collmine._cm_list(s->'writeoff_transtypes')) w);
    letterstatus jsonb := '{"0": "None", "1": "Created", "2": "Posted", "3": "Cancelled"}';
    disputestatus jsonb := '{"0": "None", "1": "Disputed", "2": "PromiseToPay", "3": "Resolved",
                             "4": "PromiseBroken", "5": "PromiseKept"}';
    noyes jsonb := '{"0": "No", "1": "Yes"}';
BEGIN
    PERFORM collmine._cm_begin('d365fo', p_schema, s);
    PERFORM collmine._cm_require(p_schema, 'd365fo');
    ct := collmine._cm_dedup(p_schema, 'CustTrans', ARRAY['RecId']);
    st := collmine._cm_dedup(p_schema, 'CustSettlement', ARRAY['RecId']);
    lj := collmine._cm_dedup(p_schema, 'CustCollectionLetterJour', ARRAY['DataAreaId', 'CollectionLetterNum']);
    lt := collmine._cm_dedup(p_schema, 'CustCollectionLetterTrans', ARRAY['RecId']);
    dh := collmine._cm_dedup(p_schema, 'CustDisputeHistory', ARRAY['RecId']);
    sa := collmine._cm_dedup(p_schema, 'smmActivities', ARRAY['DataAreaId', 'ActivityNumber']);
    ln := collmine._cm_dedup(p_schema, 'CustCollectionsLinkTable', ARRAY['DataAreaId', 'ActivityNumber', 'EntityType', 'RefRecId']);
    cj := collmine._cm_dedup(p_schema, 'CredManCreditLimitAdjTable', ARRAY['DataAreaId', 'JournalId']);
    cr := collmine._cm_dedup(p_schema, 'CredManCreditLimitAdjTrans', ARRAY['DataAreaId', 'JournalId', 'CustAccount']);
    cu := collmine._cm_dedup(p_schema, 'CustTable', ARRAY['DataAreaId', 'AccountNum']);
    pt := collmine._cm_dedup(p_schema, 'PaymTerm', ARRAY['DataAreaId', 'PaymTermId']);

    -- decoded customer transactions
    DROP TABLE IF EXISTS pg_temp._cm_fo_trans;
    EXECUTE format($q$CREATE TEMP TABLE _cm_fo_trans AS
        SELECT t.*, collmine._cm_enum(t."TransType", %L, 'CustTrans', 'TransType', 'RecId=' || t."RecId") AS tt,
               collmine._cm_num(t."AmountCur", 'CustTrans', 'AmountCur', 'RecId=' || t."RecId") AS amt,
               collmine._cm_day(t."TransDate", 'CustTrans', 'TransDate', 'RecId=' || t."RecId") AS ts
        FROM %s t$q$, transtype, ct);
    ANALYZE pg_temp._cm_fo_trans;

    -- invoices: sales or customer transactions with an invoice number and a positive amount
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t."DataAreaId" || '/' || t."Invoice", t."RecId", t."DataAreaId" || '/' || t."AccountNum", t."AccountNum", NULL,
               coalesce(c."SegmentId", c."CustGroup"), t."DataAreaId", NULL, c."PartyCountry", t."PaymTermId",
               collmine._cm_num(p."NumOfDays", 'PaymTerm', 'NumOfDays', 'PaymTermId=' || p."PaymTermId")::integer,
               t."CurrencyCode", t.amt, t.ts,
               collmine._cm_date(t."TransDate", 'CustTrans', 'TransDate', 'RecId=' || t."RecId"),
               collmine._cm_date(t."DueDate", 'CustTrans', 'DueDate', 'RecId=' || t."RecId"),
               t."CreatedBy", t."CreatedBy" = ANY (%L::text[]), 'CustTrans:' || t."RecId"
        FROM pg_temp._cm_fo_trans t
        LEFT JOIN %s c ON c."DataAreaId" = t."DataAreaId" AND c."AccountNum" = t."AccountNum"
        LEFT JOIN %s p ON p."PaymTermId" = t."PaymTermId" AND coalesce(p."DataAreaId", t."DataAreaId") = t."DataAreaId"
        WHERE t.tt IN ('Sales', 'Cust') AND coalesce(t."Invoice", '') <> '' AND t.amt > 0$q$, auto_users, cu, pt);
    ANALYZE pg_temp._cm_inv;

    -- applications: settlements of an invoice against a payment, credit note or write-off
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i."DataAreaId" || '/' || i."Invoice", 'CustTrans RecId=' || x."TransRecId"),
               CASE WHEN o.tt = ANY (%L::text[]) THEN 'writeoff'
                    WHEN o.tt = 'Payment' THEN 'payment'
                    WHEN o.tt IN ('Sales', 'Cust') AND o.amt < 0 THEN 'credit'
                    ELSE 'other' END,
               coalesce(o."DataAreaId" || '/' || coalesce(nullif(o."Invoice", ''), o."Voucher"), 'CustTrans RecId=' || x."OffsetRecid"),
               abs(collmine._cm_num(x."SettleAmountCur", 'CustSettlement', 'SettleAmountCur', 'RecId=' || x."RecId")),
               o."CurrencyCode", o.ts,
               collmine._cm_day(x."TransDate", 'CustSettlement', 'TransDate', 'RecId=' || x."RecId"),
               o."CreatedBy", o."CreatedBy" = ANY (%L::text[]), 'CustSettlement:' || x."RecId", collmine._cm_key(x."OffsetRecid")
        FROM %s x
        LEFT JOIN pg_temp._cm_fo_trans i ON i."RecId" = x."TransRecId"
        LEFT JOIN pg_temp._cm_fo_trans o ON o."RecId" = x."OffsetRecid"
        WHERE i."RecId" IS NULL OR (i.tt IN ('Sales', 'Cust') AND coalesce(i."Invoice", '') <> '' AND i.amt > 0)$q$, wo, auto_users, st);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'CustSettlement', a.source_ref, a.case_id, 'the offset transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'CustTrans RecId=%' AND a.case_id NOT LIKE 'CustTrans RecId=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'CustTrans RecId=%' AND a.case_id NOT LIKE 'CustTrans RecId=%';

    -- Overdue Reminder Sent: each posted collection letter line; cancelled letters are ignored
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || l."CustTransId"), NULL, 'Overdue Reminder Sent',
               coalesce(collmine._cm_day(j."PrintDate", 'CustCollectionLetterJour', 'PrintDate', 'CollectionLetterNum=' || j."CollectionLetterNum"),
                        collmine._cm_day(j."CollectionLetterDate", 'CustCollectionLetterJour', 'CollectionLetterDate', 'CollectionLetterNum=' || j."CollectionLetterNum")),
               j."CreatedBy", j."CreatedBy" = ANY (%L::text[]), j."CollectionLetterCode",
               'CustCollectionLetterTrans:' || l."RecId", collmine._cm_key(l."RecId")
        FROM %s l
        JOIN %s j ON j."CollectionLetterNum" = l."CollectionLetterNum" AND coalesce(j."DataAreaId", '') = coalesce(l."DataAreaId", '')
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = l."CustTransId"
        WHERE collmine._cm_enum(j."Status", %L, 'CustCollectionLetterJour', 'Status', 'CollectionLetterNum=' || j."CollectionLetterNum") = 'Posted'$q$,
        auto_users, lt, lj, letterstatus);

    -- disputes: history rows with status Disputed (1) and Resolved (3)
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || d."CustTrans"), NULL,
               CASE d.st WHEN 'Disputed' THEN 'dispute:disputed' ELSE 'dispute:resolved' END,
               collmine._cm_ts(d."CreatedDateTime", 'CustDisputeHistory', 'CreatedDateTime', 'RecId=' || d."RecId"),
               coalesce(d."ResponsibleWorker", d."CreatedBy"), d."CreatedBy" = ANY (%L::text[]), d."ReasonTableRef",
               'CustDisputeHistory:' || d."RecId", collmine._cm_key(d."RecId")
        FROM (SELECT h.*, collmine._cm_enum(h."Status", %L, 'CustDisputeHistory', 'Status', 'RecId=' || h."RecId") AS st FROM %s h) d
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = d."CustTrans"
        WHERE d.st IN ('Disputed', 'Resolved')$q$, auto_users, disputestatus, dh);

    -- Collection Call Made: finished activities of a call type linked to a transaction (entity type 2)
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'CustTrans RecId=' || k."RefRecId"), NULL, 'Collection Call Made',
               collmine._cm_ts(a."ActualEndDateTime", 'smmActivities', 'ActualEndDateTime', 'ActivityNumber=' || a."ActivityNumber"),
               a."ResponsibleWorker", false, a."Purpose", 'smmActivities:' || a."ActivityNumber", collmine._cm_key(k."RefRecId")
        FROM %s a
        JOIN %s k ON k."ActivityNumber" = a."ActivityNumber" AND coalesce(k."DataAreaId", '') = coalesce(a."DataAreaId", '')
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = k."RefRecId"
        WHERE a."TypeId" = ANY (%L::text[]) AND coalesce(a."ActualEndDateTime", '') <> ''
          AND btrim(k."EntityType") IN ('2', 'Transaction', 'CustTrans')$q$, sa, ln, collmine._cm_list(s->'call_types'));

    -- credit-limit adjustment journals: requested when created, approved when posted
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT NULL, r."DataAreaId" || '/' || r."CustAccount", 'Credit Limit Requested',
               collmine._cm_ts(j."CreatedDateTime", 'CredManCreditLimitAdjTable', 'CreatedDateTime', 'JournalId=' || j."JournalId"),
               j."CreatedBy", j."CreatedBy" = ANY (%3$L::text[]), r."CreditMaxNew", 'CredManCreditLimitAdjTable:' || j."JournalId", NULL::numeric
        FROM %1$s j JOIN %2$s r ON r."JournalId" = j."JournalId" AND r."DataAreaId" = j."DataAreaId"
        UNION ALL
        SELECT NULL, r."DataAreaId" || '/' || r."CustAccount", 'Credit Limit Approved',
               collmine._cm_day(j."PostedDate", 'CredManCreditLimitAdjTable', 'PostedDate', 'JournalId=' || j."JournalId"),
               j."CreatedBy", j."CreatedBy" = ANY (%3$L::text[]), r."CreditMaxNew", 'CredManCreditLimitAdjTable:' || j."JournalId" || ':posted', NULL::numeric
        FROM %1$s j JOIN %2$s r ON r."JournalId" = j."JournalId" AND r."DataAreaId" = j."DataAreaId"
        WHERE collmine._cm_enum(j."Posted", %4$L, 'CredManCreditLimitAdjTable', 'Posted', 'JournalId=' || j."JournalId") = 'Yes'$q$,
        cj, cr, auto_users, noyes);

    DROP TABLE pg_temp._cm_fo_trans;
    RETURN QUERY SELECT * FROM collmine._cm_finish('d365fo', p_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.d365fo_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the Dynamics 365 F&O staging tables; returns events per activity';

-- ==== sql/parts/43_d365bc.sql ====
-- collmine install script, layer 1: the Dynamics 365 Business Central connector.
--
-- Staging tables carry BC's table and field names as quoted identifiers ("Cust. Ledger Entry",
-- "Document No.", ...). Option fields may be exported as integers or as captions. The case id
-- is the invoice's "Document No.".

SELECT collmine._cm_def('d365bc', 'Cust. Ledger Entry',
    ARRAY['Entry No.', 'Customer No.', 'Posting Date', 'Document Date', 'Document Type', 'Document No.',
          'Due Date', 'Open', 'Closed at Date', 'Closed by Entry No.', 'Last Issued Reminder Level',
          'Dispute Status', 'Reason Code', 'User ID', 'Currency Code', 'Amount', 'Remaining Amount',
          'Global Dimension 1 Code', 'Salesperson Code'],
    ARRAY['Entry No.', 'Customer No.', 'Posting Date', 'Document Type', 'Document No.', 'Amount']);
SELECT collmine._cm_def('d365bc', 'Detailed Cust. Ledg. Entry',
    ARRAY['Entry No.', 'Cust. Ledger Entry No.', 'Entry Type', 'Posting Date', 'Document Type', 'Document No.',
          'Amount', 'Applied Cust. Ledger Entry No.', 'Unapplied', 'User ID', 'Customer No.', 'Currency Code'],
    ARRAY['Entry No.', 'Cust. Ledger Entry No.', 'Entry Type', 'Posting Date', 'Amount', 'Applied Cust. Ledger Entry No.']);
SELECT collmine._cm_def('d365bc', 'Issued Reminder Header',
    ARRAY['No.', 'Customer No.', 'Posting Date', 'Reminder Level', 'User ID'],
    ARRAY['No.', 'Posting Date']);
SELECT collmine._cm_def('d365bc', 'Issued Reminder Line',
    ARRAY['Reminder No.', 'Line No.', 'Entry No.', 'Document Type', 'Document No.'],
    ARRAY['Reminder No.', 'Line No.', 'Entry No.']);
SELECT collmine._cm_def('d365bc', 'Change Log Entry',
    ARRAY['Entry No.', 'Date and Time', 'User ID', 'Table No.', 'Field No.', 'Field Caption',
          'Primary Key Field 1 Value', 'Old Value', 'New Value', 'Type of Change'],
    ARRAY['Entry No.', 'Date and Time', 'Table No.', 'Primary Key Field 1 Value', 'New Value']);
SELECT collmine._cm_def('d365bc', 'Customer',
    ARRAY['No.', 'Name', 'Customer Posting Group', 'Country/Region Code', 'Credit Limit (LCY)',
          'Payment Terms Code', 'Salesperson Code'],
    ARRAY['No.']);

-- Derive the canonical events and invoices of <schema> from its Business Central staging tables.
CREATE FUNCTION collmine.d365bc_build(p_schema name, p_settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    s jsonb := collmine._cm_settings('d365bc', p_settings);
    le text; de text; rh text; rl text; cl text; cu text;
    auto_users text[] := collmine._cm_list(s->'automated_users');
    doctype jsonb := '{"0": "", "1": "Payment", "2": "Invoice", "3": "Credit Memo",
                       "4": "Finance Charge Memo", "5": "Reminder", "6": "Refund"}';
    entrytype jsonb := '{"1": "Initial Entry", "2": "Application", "3": "Unrealized Loss", "4": "Unrealized Gain",
                         "5": "Realized Loss", "6": "Realized Gain", "7": "Payment Discount",
                         "8": "Payment Discount (VAT Excl.)", "9": "Payment Discount (VAT Adjustment)",
                         "10": "Appln. Rounding", "11": "Correction of Remaining Amount", "12": "Payment Tolerance",
                         "13": "Payment Discount Tolerance", "14": "Payment Tolerance (VAT Excl.)",
                         "15": "Payment Tolerance (VAT Adjustment)", "16": "Payment Discount Tolerance (VAT Excl.)",
                         "17": "Payment Discount Tolerance (VAT Adjustment)"}';
    lcy text := s->>'local_currency';
BEGIN
    PERFORM collmine._cm_begin('d365bc', p_schema, s);
    PERFORM collmine._cm_require(p_schema, 'd365bc');
    le := collmine._cm_dedup(p_schema, 'Cust. Ledger Entry', ARRAY['Entry No.']);
    de := collmine._cm_dedup(p_schema, 'Detailed Cust. Ledg. Entry', ARRAY['Entry No.']);
    rh := collmine._cm_dedup(p_schema, 'Issued Reminder Header', ARRAY['No.']);
    rl := collmine._cm_dedup(p_schema, 'Issued Reminder Line', ARRAY['Reminder No.', 'Line No.']);
    cl := collmine._cm_dedup(p_schema, 'Change Log Entry', ARRAY['Entry No.']);
    cu := collmine._cm_dedup(p_schema, 'Customer', ARRAY['No.']);

    DROP TABLE IF EXISTS pg_temp._cm_bc_le;
    EXECUTE format($q$CREATE TEMP TABLE _cm_bc_le AS
        SELECT e.*,
               -- a blank "Document Type" (general journal lines) is the empty caption
               CASE WHEN btrim(coalesce(e."Document Type", '')) IN ('', '0') THEN ''
                    ELSE collmine._cm_enum(e."Document Type", %L, 'Cust. Ledger Entry', 'Document Type', 'Entry No.=' || e."Entry No.") END AS dt,
               collmine._cm_num(e."Amount", 'Cust. Ledger Entry', 'Amount', 'Entry No.=' || e."Entry No.") AS amt,
               coalesce(nullif(e."Currency Code", ''), %L) AS cur
        FROM %s e$q$, doctype, lcy, le);
    ANALYZE pg_temp._cm_bc_le;

    -- invoices: ledger entries of document type Invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT e."Document No.", e."Entry No.", e."Customer No.", e."Customer No.", c."Name", c."Customer Posting Group",
               e."Global Dimension 1 Code", coalesce(e."Salesperson Code", c."Salesperson Code"), c."Country/Region Code",
               c."Payment Terms Code",
               collmine._cm_date(e."Due Date", 'Cust. Ledger Entry', 'Due Date', 'Entry No.=' || e."Entry No.")
                 - collmine._cm_date(coalesce(e."Document Date", e."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || e."Entry No."),
               e.cur, e.amt,
               collmine._cm_day(e."Posting Date", 'Cust. Ledger Entry', 'Posting Date', 'Entry No.=' || e."Entry No."),
               collmine._cm_date(coalesce(e."Document Date", e."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || e."Entry No."),
               collmine._cm_date(e."Due Date", 'Cust. Ledger Entry', 'Due Date', 'Entry No.=' || e."Entry No."),
               e."User ID", e."User ID" = ANY (%L::text[]), 'Cust. Ledger Entry:' || e."Entry No."
        FROM pg_temp._cm_bc_le e LEFT JOIN %s c ON c."No." = e."Customer No."
        WHERE e.dt = 'Invoice'$q$, auto_users, cu);
    ANALYZE pg_temp._cm_inv;

    -- applications: detailed entries of type Application on the invoice's ledger entry
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT coalesce(i."Document No.", 'Cust. Ledger Entry No.=' || d."Cust. Ledger Entry No."),
               CASE WHEN o."Reason Code" = ANY (%L::text[]) THEN 'writeoff'
                    WHEN o.dt IN ('Payment', 'Refund') THEN 'payment'
                    WHEN o.dt = 'Credit Memo' THEN 'credit'
                    ELSE 'other' END,
               coalesce(o."Document No.", 'Cust. Ledger Entry No.=' || d."Applied Cust. Ledger Entry No."),
               abs(collmine._cm_num(d."Amount", 'Detailed Cust. Ledg. Entry', 'Amount', 'Entry No.=' || d."Entry No.")),
               o.cur,
               collmine._cm_day(coalesce(o."Document Date", o."Posting Date"), 'Cust. Ledger Entry', 'Document Date', 'Entry No.=' || o."Entry No."),
               collmine._cm_day(d."Posting Date", 'Detailed Cust. Ledg. Entry', 'Posting Date', 'Entry No.=' || d."Entry No."),
               d."User ID", d."User ID" = ANY (%L::text[]), 'Detailed Cust. Ledg. Entry:' || d."Entry No.",
               collmine._cm_key(d."Applied Cust. Ledger Entry No.")
        FROM %s d
        LEFT JOIN pg_temp._cm_bc_le i ON i."Entry No." = d."Cust. Ledger Entry No."
        LEFT JOIN pg_temp._cm_bc_le o ON o."Entry No." = d."Applied Cust. Ledger Entry No."
        WHERE collmine._cm_enum(d."Entry Type", %L, 'Detailed Cust. Ledg. Entry', 'Entry Type', 'Entry No.=' || d."Entry No.") = 'Application'
          AND NOT coalesce(collmine._cm_bool(d."Unapplied"), false)
          AND (i."Entry No." IS NULL OR i.dt = 'Invoice')$q$,
        collmine._cm_list(s->'writeoff_reason_codes'), auto_users, de, entrytype);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'Detailed Cust. Ledg. Entry', a.source_ref, a.case_id, 'the applied ledger entry is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'Cust. Ledger Entry No.=%' AND a.case_id NOT LIKE 'Cust. Ledger Entry No.=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'Cust. Ledger Entry No.=%' AND a.case_id NOT LIKE 'Cust. Ledger Entry No.=%';

    -- Overdue Reminder Sent: each issued reminder line on the invoice's ledger entry
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.case_id, 'Cust. Ledger Entry No.=' || l."Entry No."), NULL, 'Overdue Reminder Sent',
               collmine._cm_day(h."Posting Date", 'Issued Reminder Header', 'Posting Date', 'No.=' || h."No."),
               h."User ID", h."User ID" = ANY (%L::text[]), h."Reminder Level",
               'Issued Reminder Line:' || l."Reminder No." || '/' || l."Line No.", collmine._cm_key(l."Line No.")
        FROM %s l
        LEFT JOIN %s h ON h."No." = l."Reminder No."
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = l."Entry No."
        WHERE coalesce(l."Entry No.", '') NOT IN ('', '0')$q$, auto_users, rl, rh);

    -- change log: "Dispute Status" set or cleared on an invoice entry; credit limit changed
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN btrim(g."Table No.") = '21' THEN coalesce(i.case_id, 'Cust. Ledger Entry No.=' || g."Primary Key Field 1 Value") END,
               CASE WHEN btrim(g."Table No.") = '18' THEN g."Primary Key Field 1 Value" END,
               CASE WHEN btrim(g."Table No.") = '18' THEN 'Credit Limit Approved'
                    WHEN coalesce(g."New Value", '') = ANY (%L::text[]) THEN 'dispute:resolved'
                    ELSE 'dispute:disputed' END,
               collmine._cm_ts(g."Date and Time", 'Change Log Entry', 'Date and Time', 'Entry No.=' || g."Entry No."),
               g."User ID", g."User ID" = ANY (%L::text[]), g."New Value",
               'Change Log Entry:' || g."Entry No.", collmine._cm_key(g."Entry No.")
        FROM %s g
        LEFT JOIN pg_temp._cm_inv i ON i.src_id = g."Primary Key Field 1 Value" AND btrim(g."Table No.") = '21'
        WHERE (btrim(g."Table No.") = '21' AND %L IN (g."Field Caption", g."Field No."))
           OR (btrim(g."Table No.") = '18' AND %L IN (g."Field Caption", g."Field No."))$q$,
        collmine._cm_list(s->'dispute_resolved_values'), auto_users, cl, s->>'dispute_field', s->>'credit_limit_field');

    DROP TABLE pg_temp._cm_bc_le;
    RETURN QUERY SELECT * FROM collmine._cm_finish('d365bc', p_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.d365bc_build(name, jsonb) IS
    'derive <schema>.events and <schema>.invoices from the Business Central staging tables; returns events per activity';

-- ==== sql/parts/50_kpi.sql ====
-- collmine install script, layer 5a: collections KPIs over the canonical event log.
--
-- Every function here takes the schema that holds the canonical tables `events` and
-- `invoices` (docs/architecture.md) and reads them with dynamic SQL, quoting every identifier
-- with format('%I'). They run as the caller (SECURITY INVOKER), so privileges and row-level
-- security on the user's tables hold. They are STABLE (they read tables and depend on the
-- TimeZone setting for day boundaries) and PARALLEL RESTRICTED (plpgsql with dynamic SQL).
--
-- Conventions (docs/kpis.md has the full text):
--   * an invoice exists at date D when its invoice_date (else its Invoice Generated date) is <= D;
--   * "by D" means events with ts < (D + 1)::timestamptz, the end of day D in the session TimeZone;
--   * money is never summed across currencies: every money KPI returns one row per
--     (group_value, currency);
--   * group_by names a column of invoices; its values are returned as text in group_value.
--     group_by NULL puts every invoice in one group whose group_value is NULL.
--   * SET jit = off: these are many short queries over set-returning functions whose default
--     row estimates (1000) would trigger JIT compilation that costs far more than the query.
--     Summary functions declare ROWS 10 for the same reason (they return one row per group).

-- Raise a clear error unless log_schema holds the canonical events and invoices tables.
CREATE FUNCTION collmine._check_log(log_schema name)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    c text;
    need_events text[] := ARRAY['case_id', 'activity', 'ts', 'ord', 'amount'];
    need_invoices text[] := ARRAY['case_id', 'currency', 'amount', 'invoice_date', 'due_date', 'terms_days'];
BEGIN
    IF log_schema IS NULL THEN
        RAISE EXCEPTION 'log schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the schema that holds the canonical events and invoices tables, e.g. collmine.aging(''erp_log'').';
    END IF;
    FOREACH t IN ARRAY ARRAY['events', 'invoices'] LOOP
        IF to_regclass(format('%I.%I', log_schema, t)) IS NULL THEN
            RAISE EXCEPTION 'relation "%.%" does not exist', log_schema, t
                USING ERRCODE = 'undefined_table',
                      HINT = 'The log schema must hold the canonical tables events and invoices (see docs/architecture.md).';
        END IF;
        FOREACH c IN ARRAY CASE t WHEN 'events' THEN need_events ELSE need_invoices END LOOP
            IF NOT collmine._has_column(to_regclass(format('%I.%I', log_schema, t)), c::name) THEN
                RAISE EXCEPTION 'column "%" of relation "%.%" does not exist', c, log_schema, t
                    USING ERRCODE = 'undefined_column',
                          HINT = 'The canonical log layout is in docs/architecture.md.';
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- The SQL expression (over invoices aliased i) that yields the group value for group_by.
CREATE FUNCTION collmine._group_expr(log_schema name, group_by text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inv regclass := to_regclass(format('%I.%I', log_schema, 'invoices'));
BEGIN
    IF group_by IS NULL THEN
        RETURN 'NULL::text';
    END IF;
    IF NOT collmine._has_column(inv, group_by::name) THEN
        RAISE EXCEPTION 'invalid group_by: "%" is not a column of %.invoices', group_by, log_schema
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name one column of the invoices table: %s.', collmine._column_list(inv));
    END IF;
    RETURN format('i.%I::text', group_by);
END
$$;

-- Raise a clear error for an empty or reversed period.
CREATE FUNCTION collmine._check_period(period_start date, period_end date)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF period_start IS NULL OR period_end IS NULL OR period_start > period_end THEN
        RAISE EXCEPTION 'invalid period: % to %',
              coalesce(to_char(period_start, 'YYYY-MM-DD'), 'NULL'), coalesce(to_char(period_end, 'YYYY-MM-DD'), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give period_start <= period_end, both inclusive, e.g. ''2024-01-01'', ''2024-01-31''.';
    END IF;
END
$$;

-- Per-invoice state as of the end of day as_of, computed from the event history: the base of
-- every balance and aging KPI. as_of NULL means the date of the last event in the log.
CREATE FUNCTION collmine.invoice_snapshot(log_schema name, as_of date DEFAULT NULL, group_by text DEFAULT NULL)
RETURNS TABLE (
    case_id text, group_value text, currency text, amount numeric,
    invoice_date date, due_date date, terms_days integer, generated_at timestamptz,
    first_dunning_at timestamptz, first_reminder_at timestamptz, disputed boolean,
    settled_at timestamptz, written_off_at timestamptz,
    paid_amount numeric, credited_amount numeric, written_off_amount numeric, open_amount numeric,
    status text, days_past_due integer, aging_bucket text, as_of_date date)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
    d date := as_of;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF d IS NULL THEN
        EXECUTE format('SELECT max(e.ts)::date FROM %I.events e', log_schema) INTO d;
        d := coalesce(d, current_date);
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH ev AS (
            SELECT e.case_id,
                   min(e.ts) FILTER (WHERE e.activity = 'Invoice Generated') AS gen,
                   min(e.ts) FILTER (WHERE e.activity IN ('Dunning Procedure Initiated', 'Overdue Reminder Sent')) AS dun,
                   min(e.ts) FILTER (WHERE e.activity = 'Overdue Reminder Sent') AS rem,
                   bool_or(e.activity = 'Dispute Registered') AS disp,
                   min(e.ts) FILTER (WHERE e.activity = 'Invoice Settled') AS settled,
                   min(e.ts) FILTER (WHERE e.activity = 'Invoice Written Off') AS woff,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Received') AS recv,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Posted') AS posted,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = 'Credit Memo Issued') AS cred,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = 'Invoice Written Off') AS woff_amt
              FROM %1$I.events e
             WHERE e.ts < $1
             GROUP BY e.case_id),
        b AS (
            SELECT i.case_id::text AS case_id, (%2$s) AS group_value, i.currency::text AS currency,
                   i.amount::numeric AS amount,
                   coalesce(i.invoice_date::date, ev.gen::date) AS invoice_date,
                   i.due_date::date AS due_date, i.terms_days::integer AS terms_days,
                   coalesce(ev.gen, i.invoice_date::timestamptz) AS generated_at,
                   ev.dun, ev.rem, coalesce(ev.disp, false) AS disp, ev.settled, ev.woff,
                   greatest(coalesce(ev.recv, 0), coalesce(ev.posted, 0)) AS paid,
                   coalesce(ev.cred, 0) AS cred, ev.woff_amt
              FROM %1$I.invoices i LEFT JOIN ev ON ev.case_id = i.case_id::text),
        c AS (
            SELECT b.*,
                   CASE WHEN b.settled IS NOT NULL OR b.woff IS NOT NULL THEN 0::numeric
                        ELSE greatest(coalesce(b.amount, 0) - b.paid - b.cred, 0) END AS open_amt
              FROM b
             WHERE b.invoice_date <= $2)
        SELECT c.case_id, c.group_value, c.currency, c.amount, c.invoice_date, c.due_date,
               c.terms_days, c.generated_at, c.dun, c.rem, c.disp, c.settled, c.woff,
               c.paid, c.cred,
               CASE WHEN c.woff IS NULL THEN 0::numeric
                    ELSE coalesce(c.woff_amt, greatest(coalesce(c.amount, 0) - c.paid - c.cred, 0)) END,
               c.open_amt,
               CASE WHEN c.woff IS NOT NULL THEN 'written_off'
                    WHEN c.settled IS NOT NULL THEN 'settled' ELSE 'open' END,
               CASE WHEN c.open_amt > 0 AND c.due_date IS NOT NULL THEN $2 - c.due_date END,
               CASE WHEN c.open_amt <= 0 THEN NULL
                    WHEN c.due_date IS NULL OR $2 - c.due_date <= 0 THEN 'current'
                    WHEN $2 - c.due_date <= 30 THEN '1-30'
                    WHEN $2 - c.due_date <= 60 THEN '31-60'
                    WHEN $2 - c.due_date <= 90 THEN '61-90'
                    ELSE 'over 90' END,
               $2
          FROM c
    $q$, log_schema, grp) USING (d + 1)::timestamptz, d;
END
$$;

-- Aging buckets of the open balance as of a date, per group and currency.
CREATE FUNCTION collmine.aging(log_schema name, as_of date DEFAULT NULL, group_by text DEFAULT NULL)
RETURNS TABLE (
    group_value text, currency text, open_invoices bigint, total_open numeric,
    current_amount numeric, past_due_1_30 numeric, past_due_31_60 numeric,
    past_due_61_90 numeric, past_due_over_90 numeric, as_of_date date)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT s.group_value, s.currency, count(*), sum(s.open_amount),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = 'current'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '1-30'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '31-60'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '61-90'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = 'over 90'), 0),
           min(s.as_of_date)
      FROM collmine.invoice_snapshot(log_schema, as_of, group_by) s
     WHERE s.open_amount > 0
     GROUP BY s.group_value, s.currency
     ORDER BY s.group_value, s.currency
$$;

-- DSO (standard and count-back), Best Possible DSO, ADD and CEI for one period, per group and
-- currency. Ratios with no credit sales (or a zero CEI denominator) are NULL.
CREATE FUNCTION collmine.receivables_kpis(log_schema name, period_start date, period_end date,
                                          group_by text DEFAULT NULL)
RETURNS TABLE (
    group_value text, currency text, period_days integer, months integer,
    beginning_ar numeric, ending_ar numeric, ending_current_ar numeric, ending_past_due_ar numeric,
    invoices_generated bigint, credit_sales numeric,
    dso numeric, dso_countback numeric, best_possible_dso numeric,
    average_days_delinquent numeric, cei numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    ndays integer;
    nmonths integer;
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    ndays := period_end - period_start + 1;
    nmonths := greatest(1, round(ndays / 30.4375))::integer;
    RETURN QUERY
    WITH e AS MATERIALIZED (SELECT * FROM collmine.invoice_snapshot(log_schema, period_end, group_by)),
         b AS MATERIALIZED (SELECT * FROM collmine.invoice_snapshot(log_schema, period_start - 1, group_by)),
         r AS (SELECT 'e' AS tag, e.group_value, e.currency, e.open_amount, e.aging_bucket, e.amount, e.invoice_date FROM e
               UNION ALL
               SELECT 'b', b.group_value, b.currency, b.open_amount, b.aging_bucket, b.amount, b.invoice_date FROM b),
         g AS (SELECT r.group_value, r.currency,
                      coalesce(sum(r.open_amount) FILTER (WHERE r.tag = 'b'), 0) AS beg_ar,
                      coalesce(sum(r.open_amount) FILTER (WHERE r.tag = 'e'), 0) AS end_ar,
                      coalesce(sum(r.open_amount) FILTER (WHERE r.tag = 'e' AND r.aging_bucket = 'current'), 0) AS cur_ar,
                      count(*) FILTER (WHERE r.tag = 'e' AND r.invoice_date >= period_start) AS n_inv,
                      coalesce(sum(r.amount) FILTER (WHERE r.tag = 'e' AND r.invoice_date >= period_start), 0) AS sales,
                      min(r.invoice_date) FILTER (WHERE r.tag = 'e') AS first_day
                 FROM r GROUP BY r.group_value, r.currency),
         -- count-back: calendar months walking back from period_end (the first one partial)
         ms AS (SELECT g.group_value, g.currency, g.end_ar, k.k,
                       (date_trunc('month', period_end::timestamp) - make_interval(months => k.k))::date AS m_start
                  FROM g CROSS JOIN LATERAL generate_series(0,
                         ((extract(year FROM period_end) * 12 + extract(month FROM period_end))
                          - (extract(year FROM g.first_day) * 12 + extract(month FROM g.first_day)))::integer) AS k(k)
                 WHERE g.first_day IS NOT NULL),
         msales AS (SELECT e.group_value, e.currency, date_trunc('month', e.invoice_date::timestamp)::date AS m,
                           sum(e.amount) AS sales
                      FROM e GROUP BY 1, 2, 3),
         mw AS (SELECT ms.group_value, ms.currency, ms.end_ar, ms.k,
                       (least(period_end, (ms.m_start + interval '1 month')::date - 1) - ms.m_start + 1) AS days,
                       coalesce(x.sales, 0) AS sales
                  FROM ms LEFT JOIN msales x
                    ON x.group_value IS NOT DISTINCT FROM ms.group_value
                   AND x.currency IS NOT DISTINCT FROM ms.currency AND x.m = ms.m_start),
         mc AS (SELECT mw.*,
                       coalesce(sum(mw.sales) OVER w, 0) AS sales_before,
                       coalesce(sum(mw.days) OVER w, 0) AS days_before
                  FROM mw
                WINDOW w AS (PARTITION BY mw.group_value, mw.currency ORDER BY mw.k
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
         cb AS (SELECT mc.group_value, mc.currency,
                       min(mc.days_before + (mc.end_ar - mc.sales_before) / mc.sales * mc.days) AS dso_cb
                  FROM mc
                 WHERE mc.sales > 0 AND mc.sales_before < mc.end_ar AND mc.sales_before + mc.sales >= mc.end_ar
                 GROUP BY mc.group_value, mc.currency)
    SELECT g.group_value, g.currency, ndays, nmonths,
           g.beg_ar, g.end_ar, g.cur_ar, g.end_ar - g.cur_ar, g.n_inv, g.sales,
           CASE WHEN g.sales > 0 THEN g.end_ar / g.sales * ndays END,
           CASE WHEN g.end_ar = 0 THEN 0::numeric ELSE cb.dso_cb END,
           CASE WHEN g.sales > 0 THEN g.cur_ar / g.sales * ndays END,
           CASE WHEN g.sales > 0 THEN (g.end_ar - g.cur_ar) / g.sales * ndays END,
           CASE WHEN g.beg_ar + g.sales / nmonths - g.cur_ar <> 0
                THEN (g.beg_ar + g.sales / nmonths - g.end_ar)
                     / (g.beg_ar + g.sales / nmonths - g.cur_ar) * 100 END
      FROM g LEFT JOIN cb
        ON cb.group_value IS NOT DISTINCT FROM g.group_value AND cb.currency IS NOT DISTINCT FROM g.currency
     ORDER BY g.group_value, g.currency;
END
$$;

-- Payment behaviour of the invoices settled in a period: days to pay, days late (plain and
-- amount-weighted), signed days from due date, and the on-time rate.
CREATE FUNCTION collmine.payment_behaviour(log_schema name, period_start date, period_end date,
                                           group_by text DEFAULT NULL)
RETURNS TABLE (
    group_value text, currency text, settled_invoices bigint, avg_days_to_pay numeric,
    avg_days_late numeric, avg_days_late_weighted numeric, avg_days_from_due numeric,
    paid_on_time bigint, on_time_rate numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    WITH s AS (SELECT x.group_value, x.currency, x.amount, x.invoice_date, x.due_date,
                      x.settled_at::date AS sd
                 FROM collmine.invoice_snapshot(log_schema, period_end, group_by) x
                WHERE x.status = 'settled' AND x.settled_at::date >= period_start)
    SELECT s.group_value, s.currency, count(*),
           avg(s.sd - s.invoice_date)::numeric,
           -- greatest() ignores NULLs, so invoices without a due date are filtered out explicitly
           (avg(greatest(s.sd - s.due_date, 0)) FILTER (WHERE s.due_date IS NOT NULL))::numeric,
           CASE WHEN sum(s.amount) FILTER (WHERE s.due_date IS NOT NULL) <> 0
                THEN sum(s.amount * greatest(s.sd - s.due_date, 0)) FILTER (WHERE s.due_date IS NOT NULL)
                     / sum(s.amount) FILTER (WHERE s.due_date IS NOT NULL) END,
           avg(s.sd - s.due_date)::numeric,
           count(*) FILTER (WHERE s.sd <= s.due_date),
           (count(*) FILTER (WHERE s.sd <= s.due_date))::numeric
               / nullif(count(*) FILTER (WHERE s.due_date IS NOT NULL), 0)
      FROM s
     GROUP BY s.group_value, s.currency
     ORDER BY s.group_value, s.currency;
END
$$;

-- Payment terms compliance (settled within invoice_date + terms_days) and deviations (due
-- dates that do not match the terms) for a period. Grouped by terms unless told otherwise.
CREATE FUNCTION collmine.terms_compliance(log_schema name, period_start date, period_end date,
                                          group_by text DEFAULT 'terms')
RETURNS TABLE (
    group_value text, settled_invoices bigint, paid_within_terms bigint, compliance_rate numeric,
    avg_days_beyond_terms numeric, invoices_generated bigint, due_date_deviations bigint,
    deviation_rate numeric, avg_due_date_deviation_days numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    WITH s AS (SELECT x.*, x.settled_at::date AS sd,
                      coalesce(x.invoice_date + x.terms_days, x.due_date) AS terms_due,
                      x.due_date - (x.invoice_date + x.terms_days) AS dev
                 FROM collmine.invoice_snapshot(log_schema, period_end, group_by) x)
    SELECT s.group_value,
           count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= period_start AND s.terms_due IS NOT NULL),
           count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= period_start AND s.sd <= s.terms_due),
           (count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= period_start AND s.sd <= s.terms_due))::numeric
               / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= period_start AND s.terms_due IS NOT NULL), 0),
           avg(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd >= period_start AND s.sd > s.terms_due)::numeric,
           count(*) FILTER (WHERE s.invoice_date >= period_start),
           count(*) FILTER (WHERE s.invoice_date >= period_start AND s.dev <> 0),
           (count(*) FILTER (WHERE s.invoice_date >= period_start AND s.dev <> 0))::numeric
               / nullif(count(*) FILTER (WHERE s.invoice_date >= period_start AND s.dev IS NOT NULL), 0),
           avg(s.dev) FILTER (WHERE s.invoice_date >= period_start AND s.dev <> 0)::numeric
      FROM s
     GROUP BY s.group_value
    HAVING count(*) FILTER (WHERE s.invoice_date >= period_start
                               OR (s.status = 'settled' AND s.sd >= period_start)) > 0
     ORDER BY s.group_value;
END
$$;

-- Every occurrence of start_activity in a case paired with the same-numbered occurrence of
-- end_activity (1st with 1st, 2nd with 2nd, in (ts, ord) order); ended_at NULL when unmatched.
CREATE FUNCTION collmine.activity_pairs(log_schema name, start_activity text, end_activity text,
                                        group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, pair_no bigint, started_at timestamptz,
               ended_at timestamptz, duration_days numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF start_activity IS NULL OR end_activity IS NULL OR start_activity = end_activity THEN
        RAISE EXCEPTION 'invalid activity pair: % to %', start_activity, end_activity
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name two different activities, e.g. ''Payment Received'' and ''Payment Posted''.';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH s AS (SELECT e.case_id::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $1),
             f AS (SELECT e.case_id::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $2)
        SELECT s.case_id, (%2$s), s.n, s.ts, f.ts,
               extract(epoch FROM f.ts - s.ts)::numeric / 86400
          FROM s LEFT JOIN f ON f.case_id = s.case_id AND f.n = s.n
                 LEFT JOIN %1$I.invoices i ON i.case_id::text = s.case_id
    $q$, log_schema, grp) USING start_activity, end_activity;
END
$$;

-- Duration statistics (in days) of the activity pairs completed in a period, and how many were
-- started by the period end but not completed by then.
CREATE FUNCTION collmine.duration_stats(log_schema name, start_activity text, end_activity text,
                                        period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    t0 timestamptz;
    t1 timestamptz;
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    t0 := period_start::timestamptz;
    t1 := (period_end + 1)::timestamptz;
    RETURN QUERY
    WITH p AS (SELECT x.*,
                      (x.ended_at >= t0 AND x.ended_at < t1) AS done,
                      (x.started_at < t1 AND (x.ended_at IS NULL OR x.ended_at >= t1)) AS still_open
                 FROM collmine.activity_pairs(log_schema, start_activity, end_activity, group_by) x)
    SELECT p.group_value,
           count(*) FILTER (WHERE p.done),
           avg(p.duration_days) FILTER (WHERE p.done),
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_days) FILTER (WHERE p.done))::numeric,
           (percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration_days) FILTER (WHERE p.done))::numeric,
           max(p.duration_days) FILTER (WHERE p.done),
           count(*) FILTER (WHERE p.still_open)
      FROM p
     WHERE p.done OR p.still_open
     GROUP BY p.group_value
     ORDER BY p.group_value;
END
$$;

-- Invoice-to-cash cycle time: Invoice Generated to Invoice Settled, settled in the period.
CREATE FUNCTION collmine.cycle_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.duration_stats(log_schema, 'Invoice Generated', 'Invoice Settled', period_start, period_end, group_by) $$;

-- Payment posting lag: Payment Received to Payment Posted, posted in the period.
CREATE FUNCTION collmine.posting_lag(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.duration_stats(log_schema, 'Payment Received', 'Payment Posted', period_start, period_end, group_by) $$;

-- Dispute resolution time: Dispute Registered to Dispute Resolved, resolved in the period.
CREATE FUNCTION collmine.dispute_resolution_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.duration_stats(log_schema, 'Dispute Registered', 'Dispute Resolved', period_start, period_end, group_by) $$;

-- Credit approval cycle time: Credit Limit Requested to Credit Limit Approved, approved in the period.
CREATE FUNCTION collmine.credit_approval_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.duration_stats(log_schema, 'Credit Limit Requested', 'Credit Limit Approved', period_start, period_end, group_by) $$;

-- Dunning adherence: of the invoices still open grace_days after their due date (that day
-- falling in the period), how many had dunning started (Dunning Procedure Initiated or Overdue
-- Reminder Sent) by the end of that day, how many later, how many not at all by period_end.
CREATE FUNCTION collmine.dunning_adherence(log_schema name, period_start date, period_end date,
                                           grace_days integer DEFAULT 7, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, dunning_due bigint, dunned_in_time bigint, adherence_rate numeric,
               dunned_late bigint, not_dunned bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    IF grace_days IS NULL OR grace_days < 0 THEN
        RAISE EXCEPTION 'invalid grace_days: %', grace_days
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of days >= 0, e.g. 7.';
    END IF;
    RETURN QUERY
    WITH s AS (SELECT x.*, (x.due_date + grace_days + 1)::timestamptz AS deadline
                 FROM collmine.invoice_snapshot(log_schema, period_end, group_by) x
                WHERE x.due_date + grace_days BETWEEN period_start AND period_end),
         d AS (SELECT s.* FROM s
                WHERE (s.settled_at IS NULL OR s.settled_at >= s.deadline)
                  AND (s.written_off_at IS NULL OR s.written_off_at >= s.deadline))
    SELECT d.group_value, count(*),
           count(*) FILTER (WHERE d.first_dunning_at < d.deadline),
           (count(*) FILTER (WHERE d.first_dunning_at < d.deadline))::numeric / count(*),
           count(*) FILTER (WHERE d.first_dunning_at >= d.deadline),
           count(*) FILTER (WHERE d.first_dunning_at IS NULL)
      FROM d
     GROUP BY d.group_value
     ORDER BY d.group_value;
END
$$;

-- Each occurrence of a trigger activity (or only the first per case), and whether the invoice
-- was paid within N days after it. "Paid" is a Payment Received or Invoice Settled event after
-- the trigger in (ts, ord) order and at most within_days later; "settled" counts only Invoice
-- Settled. window_open: the window reaches past the last event of the log and the invoice is
-- not settled within it, so the outcome is not final yet.
CREATE FUNCTION collmine.followup_events(log_schema name, trigger_activity text, within_days integer,
                                         first_only boolean DEFAULT false, group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, triggered_at timestamptz, paid_within boolean,
               settled_within boolean, window_open boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF within_days IS NULL OR within_days < 0 THEN
        RAISE EXCEPTION 'invalid within_days: %', within_days
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of days >= 0, e.g. 30.';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH t AS (SELECT e.case_id::text AS case_id, e.ts, e.ord,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = $1),
             mx AS (SELECT max(e.ts) AS last_ts FROM %1$I.events e),
             o AS (SELECT t.case_id, t.ts,
                          EXISTS (SELECT 1 FROM %1$I.events p
                                   WHERE p.case_id::text = t.case_id
                                     AND p.activity IN ('Payment Received', 'Invoice Settled')
                                     AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord))
                                     AND p.ts <= t.ts + $3) AS paid,
                          EXISTS (SELECT 1 FROM %1$I.events p
                                   WHERE p.case_id::text = t.case_id AND p.activity = 'Invoice Settled'
                                     AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord))
                                     AND p.ts <= t.ts + $3) AS settled
                     FROM t WHERE NOT $2 OR t.n = 1)
        SELECT o.case_id, (%2$s), o.ts, o.paid, o.settled, (NOT o.settled AND o.ts + $3 > mx.last_ts)
          FROM o CROSS JOIN mx LEFT JOIN %1$I.invoices i ON i.case_id::text = o.case_id
    $q$, log_schema, grp)
    USING trigger_activity, first_only, make_interval(days => within_days);
END
$$;

-- Follow-up success per group for the triggers that happened in the period (followup_events).
-- Events after period_end count: the log is the full history.
CREATE FUNCTION collmine.followup_success(log_schema name, trigger_activity text, within_days integer,
                                          period_start date, period_end date,
                                          first_only boolean DEFAULT false, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    SELECT f.group_value, count(*),
           count(*) FILTER (WHERE f.paid_within),
           (count(*) FILTER (WHERE f.paid_within))::numeric / count(*),
           count(*) FILTER (WHERE f.settled_within),
           (count(*) FILTER (WHERE f.settled_within))::numeric / count(*),
           count(*) FILTER (WHERE f.window_open)
      FROM collmine.followup_events(log_schema, trigger_activity, within_days, first_only, group_by) f
     WHERE f.triggered_at >= period_start::timestamptz AND f.triggered_at < (period_end + 1)::timestamptz
     GROUP BY f.group_value
     ORDER BY f.group_value;
END
$$;

-- Collection success after dunning: invoices whose first Overdue Reminder Sent falls in the
-- period, paid within within_days of it.
CREATE FUNCTION collmine.collection_success_after_dunning(log_schema name, period_start date, period_end date,
                                                          within_days integer DEFAULT 30, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.followup_success(log_schema, 'Overdue Reminder Sent', within_days, period_start, period_end, true, group_by) $$;

-- Collections contact success: every Collection Call Made in the period, paid within within_days.
CREATE FUNCTION collmine.contact_success(log_schema name, period_start date, period_end date,
                                         within_days integer DEFAULT 14, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine.followup_success(log_schema, 'Collection Call Made', within_days, period_start, period_end, false, group_by) $$;

-- Manual activity share: events in the period by is_automated, per group and activity; the row
-- with activity NULL is the group's total. Events with is_automated NULL are counted as unknown
-- and left out of the share.
CREATE FUNCTION collmine.manual_activity_share(log_schema name, period_start date, period_end date,
                                               group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, activity text, events bigint, manual_events bigint,
               automated_events bigint, unknown_events bigint, manual_share numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    RETURN QUERY EXECUTE format($q$
        SELECT g.gv, g.act, count(*),
               count(*) FILTER (WHERE NOT g.auto), count(*) FILTER (WHERE g.auto),
               count(*) FILTER (WHERE g.auto IS NULL),
               (count(*) FILTER (WHERE NOT g.auto))::numeric / nullif(count(g.auto), 0)
          FROM (SELECT (%2$s) AS gv, e.activity::text AS act, e.is_automated AS auto
                  FROM %1$I.events e LEFT JOIN %1$I.invoices i ON i.case_id::text = e.case_id::text
                 WHERE e.ts >= $1 AND e.ts < $2) g
         GROUP BY GROUPING SETS ((g.gv, g.act), (g.gv))
         ORDER BY g.gv, g.act NULLS FIRST
    $q$, log_schema, grp) USING period_start::timestamptz, (period_end + 1)::timestamptz;
END
$$;

-- Write-offs in a period: by count and by value over the invoices closed (settled or written
-- off) in the period, and the bad-debt ratio (written-off value / credit sales of the period).
CREATE FUNCTION collmine.write_off_rate(log_schema name, period_start date, period_end date,
                                        group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, currency text, closed_invoices bigint, closed_amount numeric,
               written_off_invoices bigint, written_off_amount numeric,
               write_off_rate_by_count numeric, write_off_rate_by_value numeric,
               credit_sales numeric, bad_debt_ratio numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    WITH s AS (SELECT x.*, coalesce(x.written_off_at, x.settled_at)::date AS closed_on
                 FROM collmine.invoice_snapshot(log_schema, period_end, group_by) x),
         g AS (SELECT s.group_value, s.currency,
                      count(*) FILTER (WHERE s.closed_on >= period_start) AS n_closed,
                      coalesce(sum(s.amount) FILTER (WHERE s.closed_on >= period_start), 0) AS v_closed,
                      count(*) FILTER (WHERE s.status = 'written_off' AND s.closed_on >= period_start) AS n_wo,
                      coalesce(sum(s.written_off_amount) FILTER (WHERE s.status = 'written_off' AND s.closed_on >= period_start), 0) AS v_wo,
                      coalesce(sum(s.amount) FILTER (WHERE s.invoice_date >= period_start), 0) AS sales,
                      count(*) FILTER (WHERE s.invoice_date >= period_start) AS n_gen
                 FROM s GROUP BY s.group_value, s.currency)
    SELECT g.group_value, g.currency, g.n_closed, g.v_closed, g.n_wo, g.v_wo,
           g.n_wo::numeric / nullif(g.n_closed, 0),
           g.v_wo / nullif(g.v_closed, 0),
           g.sales,
           g.v_wo / nullif(g.sales, 0)
      FROM g
     WHERE g.n_closed > 0 OR g.n_gen > 0
     ORDER BY g.group_value, g.currency;
END
$$;

-- ==== sql/parts/51_dashboards.sql ====
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
                   'payment_posting_lag', 'payment_terms_compliance', 'invoice_to_cash_overview']::text[] $$;

-- The SELECT of one dashboard view over the log in log_schema (%1$I = schema, %2$L = its name
-- as a literal for collmine function calls).
CREATE FUNCTION collmine._dashboard_sql(dashboard text, log_schema name)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q text;
BEGIN
    CASE dashboard
    WHEN 'collection_strategy_by_segment' THEN q := $v$
WITH s AS (SELECT * FROM collmine.invoice_snapshot(%2$L, NULL, 'segment')),
     d AS (SELECT f.case_id, f.paid_within
             FROM collmine.followup_events(%2$L, 'Overdue Reminder Sent', 30, true) f),
     c AS (SELECT f.case_id, count(*) AS calls, count(*) FILTER (WHERE f.paid_within) AS ok
             FROM collmine.followup_events(%2$L, 'Collection Call Made', 14, false) f
            GROUP BY f.case_id)
SELECT coalesce(s.group_value, '(none)')::text AS segment,
       coalesce(s.currency, '(none)')::text AS currency,
       count(*)::bigint AS invoices,
       (count(*) FILTER (WHERE s.status = 'open'))::bigint AS open_invoices,
       coalesce(sum(s.open_amount), 0)::numeric AS open_amount,
       coalesce(sum(s.open_amount) FILTER (WHERE s.days_past_due > 0), 0)::numeric AS overdue_amount,
       count(d.case_id)::bigint AS dunned_invoices,
       ((count(*) FILTER (WHERE d.paid_within))::numeric / nullif(count(d.case_id), 0))::numeric AS dunning_success_rate,
       coalesce(sum(c.calls), 0)::bigint AS calls,
       (sum(c.ok)::numeric / nullif(sum(c.calls), 0))::numeric AS contact_success_rate,
       (avg(greatest(s.settled_at::date - s.due_date, 0)) FILTER (WHERE s.status = 'settled' AND s.due_date IS NOT NULL))::numeric AS avg_days_late,
       ((count(*) FILTER (WHERE s.status = 'settled' AND s.settled_at::date <= s.due_date))::numeric
         / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.due_date IS NOT NULL), 0))::numeric AS on_time_rate,
       (count(*) FILTER (WHERE s.status = 'written_off'))::bigint AS written_off_invoices,
       ((count(*) FILTER (WHERE s.status = 'written_off'))::numeric
         / nullif(count(*) FILTER (WHERE s.status <> 'open'), 0))::numeric AS write_off_rate_by_count,
       (sum(s.written_off_amount) / nullif(sum(s.amount) FILTER (WHERE s.status <> 'open'), 0))::numeric AS write_off_rate_by_value
  FROM s LEFT JOIN d ON d.case_id = s.case_id LEFT JOIN c ON c.case_id = s.case_id
 GROUP BY 1, 2
$v$;
    WHEN 'overdue_invoices_aging' THEN q := $v$
WITH s AS (SELECT * FROM collmine.invoice_snapshot(%2$L)),
     ev AS (SELECT e.case_id::text AS case_id,
                   count(*) FILTER (WHERE e.activity = 'Overdue Reminder Sent') AS reminders,
                   count(*) FILTER (WHERE e.activity = 'Collection Call Made') AS calls,
                   count(*) FILTER (WHERE e.activity = 'Dispute Registered')
                     - count(*) FILTER (WHERE e.activity = 'Dispute Resolved') AS open_disputes
              FROM %1$I.events e GROUP BY 1),
     la AS (SELECT DISTINCT ON (e.case_id) e.case_id::text AS case_id, e.activity::text AS activity, e.ts
              FROM %1$I.events e ORDER BY e.case_id, e.ts DESC, e.ord DESC)
SELECT s.case_id::text AS case_id,
       i.customer_id::text AS customer_id,
       i.customer_name::text AS customer_name,
       i.segment::text AS segment,
       i.collector::text AS collector,
       s.currency::text AS currency,
       s.amount::numeric AS amount,
       s.open_amount::numeric AS open_amount,
       s.invoice_date::date AS invoice_date,
       s.due_date::date AS due_date,
       s.days_past_due::integer AS days_past_due,
       s.aging_bucket::text AS aging_bucket,
       coalesce(ev.reminders, 0)::integer AS reminders_sent,
       coalesce(ev.calls, 0)::integer AS calls_made,
       (coalesce(ev.open_disputes, 0) > 0)::boolean AS in_dispute,
       (CASE WHEN coalesce(ev.open_disputes, 0) > 0 THEN 'in dispute'
             WHEN coalesce(ev.calls, 0) > 0 THEN 'called'
             WHEN coalesce(ev.reminders, 0) > 0 THEN 'dunning'
             WHEN s.days_past_due > 0 THEN 'overdue, no action'
             ELSE 'not yet due' END)::text AS collection_status,
       la.activity::text AS last_activity,
       la.ts::timestamptz AS last_activity_at,
       s.as_of_date::date AS as_of_date
  FROM s JOIN %1$I.invoices i ON i.case_id::text = s.case_id
         LEFT JOIN ev ON ev.case_id = s.case_id
         LEFT JOIN la ON la.case_id = s.case_id
 WHERE s.open_amount > 0
$v$;
    WHEN 'dispute_resolution_time' THEN q := $v$
SELECT p.case_id::text AS case_id,
       p.pair_no::integer AS dispute_no,
       i.dispute_reason::text AS dispute_reason,
       i.segment::text AS segment,
       i.customer_name::text AS customer_name,
       i.collector::text AS collector,
       i.currency::text AS currency,
       i.amount::numeric AS amount,
       p.started_at::timestamptz AS registered_at,
       p.ended_at::timestamptz AS resolved_at,
       (CASE WHEN p.ended_at IS NULL THEN 'open' ELSE 'resolved' END)::text AS status,
       p.duration_days::numeric AS resolution_days,
       (CASE WHEN p.ended_at IS NULL
             THEN extract(epoch FROM mx.last_ts - p.started_at)::numeric / 86400 END)::numeric AS open_days
  FROM collmine.activity_pairs(%2$L, 'Dispute Registered', 'Dispute Resolved') p
       LEFT JOIN %1$I.invoices i ON i.case_id::text = p.case_id
       CROSS JOIN (SELECT max(e.ts) AS last_ts FROM %1$I.events e) mx
$v$;
    WHEN 'write_off_root_causes' THEN q := $v$
SELECT r.attribute::text AS attribute,
       r.value::text AS value,
       r.cases::bigint AS cases,
       r.outcome_cases::bigint AS written_off_cases,
       r.outcome_rate::numeric AS write_off_rate,
       r.baseline_rate::numeric AS baseline_rate,
       r.lift::numeric AS lift,
       r.support::numeric AS support,
       r.outcome_share::numeric AS share_of_write_offs,
       r.excess_outcomes::numeric AS excess_write_offs,
       r.z_score::double precision AS z_score,
       r.p_value::double precision AS p_value,
       r.rank_in_attribute::bigint AS rank_in_attribute
  FROM collmine.root_causes(%2$L, 'written_off') r
$v$;
    WHEN 'manual_activity_impact' THEN q := $v$
WITH ev AS (SELECT e.case_id::text AS case_id, e.activity::text AS activity, e.is_automated
              FROM %1$I.events e),
     a AS (SELECT ev.activity, count(*) AS n,
                  count(*) FILTER (WHERE NOT ev.is_automated) AS manual,
                  count(*) FILTER (WHERE ev.is_automated) AS auto,
                  count(*) FILTER (WHERE ev.is_automated IS NULL) AS unknown
             FROM ev GROUP BY ev.activity),
     ca AS (SELECT ev.activity, ev.case_id, coalesce(bool_or(NOT ev.is_automated), false) AS any_manual
              FROM ev GROUP BY ev.activity, ev.case_id),
     cs AS (SELECT s.case_id,
                   CASE WHEN s.status = 'settled'
                        THEN extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400 END AS cycle_days,
                   CASE WHEN s.status = 'settled' AND s.due_date IS NOT NULL
                        THEN (s.settled_at::date <= s.due_date)::integer END AS on_time
              FROM collmine.invoice_snapshot(%2$L) s)
SELECT a.activity::text AS activity,
       a.n::bigint AS events,
       a.manual::bigint AS manual_events,
       a.auto::bigint AS automated_events,
       a.unknown::bigint AS unknown_events,
       (a.manual::numeric / nullif(a.manual + a.auto, 0))::numeric AS manual_share,
       count(ca.case_id)::bigint AS cases,
       (count(*) FILTER (WHERE ca.any_manual))::bigint AS cases_with_manual,
       (avg(cs.cycle_days) FILTER (WHERE ca.any_manual))::numeric AS avg_cycle_days_with_manual,
       (avg(cs.cycle_days) FILTER (WHERE NOT ca.any_manual))::numeric AS avg_cycle_days_without_manual,
       (avg(cs.on_time) FILTER (WHERE ca.any_manual))::numeric AS on_time_rate_with_manual,
       (avg(cs.on_time) FILTER (WHERE NOT ca.any_manual))::numeric AS on_time_rate_without_manual
  FROM a JOIN ca ON ca.activity = a.activity LEFT JOIN cs ON cs.case_id = ca.case_id
 GROUP BY a.activity, a.n, a.manual, a.auto, a.unknown
$v$;
    WHEN 'payment_posting_lag' THEN q := $v$
SELECT date_trunc('month', p.started_at)::date AS month,
       count(*)::bigint AS payments,
       count(p.ended_at)::bigint AS posted,
       (count(*) - count(p.ended_at))::bigint AS unposted,
       avg(p.duration_days)::numeric AS avg_lag_days,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_days))::numeric AS median_lag_days,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration_days))::numeric AS p90_lag_days,
       max(p.duration_days)::numeric AS max_lag_days,
       ((count(*) FILTER (WHERE p.ended_at::date = p.started_at::date))::numeric
         / nullif(count(p.ended_at), 0))::numeric AS posted_same_day_rate
  FROM collmine.activity_pairs(%2$L, 'Payment Received', 'Payment Posted') p
 GROUP BY 1
$v$;
    WHEN 'payment_terms_compliance' THEN q := $v$
WITH s AS (SELECT x.*, x.settled_at::date AS sd,
                  coalesce(x.invoice_date + x.terms_days, x.due_date) AS terms_due,
                  x.due_date - (x.invoice_date + x.terms_days) AS dev
             FROM collmine.invoice_snapshot(%2$L, NULL, 'terms') x)
SELECT coalesce(s.group_value, '(none)')::text AS terms,
       min(s.terms_days)::integer AS terms_days,
       count(*)::bigint AS invoices,
       (count(*) FILTER (WHERE s.status = 'settled' AND s.terms_due IS NOT NULL))::bigint AS settled_invoices,
       (count(*) FILTER (WHERE s.status = 'settled' AND s.sd <= s.terms_due))::bigint AS paid_within_terms,
       ((count(*) FILTER (WHERE s.status = 'settled' AND s.sd <= s.terms_due))::numeric
         / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.terms_due IS NOT NULL), 0))::numeric AS compliance_rate,
       (avg(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd > s.terms_due))::numeric AS avg_days_beyond_terms,
       (max(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd > s.terms_due))::integer AS max_days_beyond_terms,
       (count(*) FILTER (WHERE s.dev <> 0))::bigint AS due_date_deviations,
       ((count(*) FILTER (WHERE s.dev <> 0))::numeric / nullif(count(s.dev), 0))::numeric AS deviation_rate,
       (avg(s.dev) FILTER (WHERE s.dev <> 0))::numeric AS avg_due_date_deviation_days,
       (count(*) FILTER (WHERE s.open_amount > 0 AND s.as_of_date > s.terms_due))::bigint AS open_beyond_terms
  FROM s
 GROUP BY 1
$v$;
    WHEN 'invoice_to_cash_overview' THEN q := $v$
WITH s AS MATERIALIZED (SELECT * FROM collmine.invoice_snapshot(%2$L)),
     bounds AS (SELECT date_trunc('month', min(s.invoice_date)::timestamp)::date AS m0, max(s.as_of_date) AS last_day FROM s),
     months AS (SELECT m::date AS month_start,
                       least((m + interval '1 month')::date - 1, b.last_day) AS month_end
                  FROM bounds b, generate_series(b.m0::timestamp, b.last_day::timestamp, interval '1 month') m),
     k AS (SELECT mo.month_start, r.*
             FROM months mo CROSS JOIN LATERAL collmine.receivables_kpis(%2$L, mo.month_start, mo.month_end) r),
     cyc AS (SELECT date_trunc('month', s.settled_at)::date AS m, s.currency, count(*) AS n,
                    avg(extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400) AS d
               FROM s WHERE s.status = 'settled' GROUP BY 1, 2),
     wo AS (SELECT date_trunc('month', s.written_off_at)::date AS m, s.currency, count(*) AS n,
                   sum(s.written_off_amount) AS v
              FROM s WHERE s.status = 'written_off' GROUP BY 1, 2)
SELECT k.month_start::date AS month,
       coalesce(k.currency, '(none)')::text AS currency,
       k.invoices_generated::bigint AS invoices_generated,
       k.credit_sales::numeric AS credit_sales,
       k.ending_ar::numeric AS ending_ar,
       k.ending_past_due_ar::numeric AS ending_past_due_ar,
       k.dso::numeric AS dso,
       k.dso_countback::numeric AS dso_countback,
       k.best_possible_dso::numeric AS best_possible_dso,
       k.average_days_delinquent::numeric AS average_days_delinquent,
       k.cei::numeric AS cei,
       coalesce(cyc.n, 0)::bigint AS settled_invoices,
       cyc.d::numeric AS avg_cycle_days,
       coalesce(wo.n, 0)::bigint AS written_off_invoices,
       coalesce(wo.v, 0)::numeric AS written_off_amount
  FROM k LEFT JOIN cyc ON cyc.m = k.month_start AND cyc.currency IS NOT DISTINCT FROM k.currency
         LEFT JOIN wo ON wo.m = k.month_start AND wo.currency IS NOT DISTINCT FROM k.currency
$v$;
    ELSE
        RAISE EXCEPTION 'unknown dashboard: %', dashboard
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Use one of: %s.', array_to_string(collmine.dashboard_names(), ', '));
    END CASE;
    RETURN format(q, log_schema, log_schema::text);
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
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the schema for the dashboard views, e.g. collmine.create_dashboards(''erp_log'', ''dash'').';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;
    -- never touch a user's table or other relation that happens to carry a dashboard name
    SELECT array_agg(n || '_mv') INTO mv_names FROM unnest(collmine.dashboard_names()) n;
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
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
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
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        EXECUTE format('CREATE VIEW %I.%I AS %s', target_schema, d, collmine._dashboard_sql(d, log_schema));
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, d,
                       collmine._dashboard_question(d) || ' (collmine dashboard over ' || log_schema || ')');
        RETURN NEXT format('%I.%I', target_schema, d);
        IF materialized THEN
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS SELECT * FROM %I.%I',
                           target_schema, d || '_mv', target_schema, d);
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
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        rel := to_regclass(format('%I.%I', target_schema, d || '_mv'));
        CONTINUE WHEN rel IS NULL;
        IF conc AND (SELECT m.ispopulated FROM pg_matviews m
                              WHERE m.schemaname OPERATOR(pg_catalog.=) target_schema
                                AND m.matviewname OPERATOR(pg_catalog.=) (d || '_mv')::name) THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', rel);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %s', rel);
        END IF;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- ==== sql/parts/52_rootcause.sql ====
-- collmine install script, layer 5c: root-cause analysis of a case-level outcome.
--
-- collmine.root_causes ranks the values of case attributes (columns of invoices) by how often
-- the cases with that value have an outcome (written off, paid late, disputed, or any boolean
-- SQL expression over invoices), with lift over the baseline, support and a two-proportion
-- z-test. docs/root-cause.md explains the statistics and the injection surface of custom
-- outcome expressions.

-- Complementary error function for x >= 0, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
CREATE FUNCTION collmine._erfc_pos(x double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN x > 26 THEN 0::double precision   -- exp() would underflow (an error in PostgreSQL)
           ELSE t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
                * exp(-x * x) END
      FROM (SELECT 1.0::double precision / (1.0 + 0.3275911 * x) AS t) s
$$;

-- Standard normal cumulative distribution function Phi(z), through the erf approximation.
CREATE FUNCTION collmine.normal_cdf(z double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN z >= 0 THEN 1 - 0.5 * collmine._erfc_pos(z / sqrt(2::double precision))
                ELSE 0.5 * collmine._erfc_pos(-z / sqrt(2::double precision)) END
$$;

-- The boolean SQL expression (over invoices aliased i) for an outcome keyword or a custom
-- expression. Keywords use the event log; a custom expression is checked for statement
-- separators and comments and otherwise runs as written, as the caller.
CREATE FUNCTION collmine._outcome_expr(log_schema name, outcome text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF outcome IS NULL OR btrim(outcome) = '' THEN
        RAISE EXCEPTION 'outcome must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use written_off, paid_late, disputed, or a boolean expression over invoices columns such as ''amount > 10000''.';
    END IF;
    CASE lower(btrim(outcome))
    WHEN 'written_off' THEN
        RETURN format('EXISTS (SELECT 1 FROM %I.events e WHERE e.case_id::text = i.case_id::text AND e.activity = ''Invoice Written Off'')', log_schema);
    WHEN 'disputed' THEN
        RETURN format('EXISTS (SELECT 1 FROM %I.events e WHERE e.case_id::text = i.case_id::text AND e.activity = ''Dispute Registered'')', log_schema);
    WHEN 'paid_late' THEN
        -- NULL (left out) for invoices never settled
        RETURN format('(SELECT min(e.ts)::date > i.due_date FROM %I.events e WHERE e.case_id::text = i.case_id::text AND e.activity = ''Invoice Settled'')', log_schema);
    ELSE
        IF strpos(outcome, ';') > 0 OR strpos(outcome, '--') > 0 OR strpos(outcome, '/*') > 0 THEN
            RAISE EXCEPTION 'invalid outcome expression: statement separators and comments are not allowed'
                USING ERRCODE = 'syntax_error',
                      HINT = 'Give one boolean expression over invoices columns (alias i), e.g. ''i.amount > 10000 AND i.country = ''''DE''''''.';
        END IF;
        RETURN '(' || outcome || ')';
    END CASE;
END
$$;

-- Rank the values of each attribute by outcome rate, with lift, support and significance.
CREATE FUNCTION collmine.root_causes(log_schema name, outcome text, attributes text[] DEFAULT NULL,
                                     min_cases integer DEFAULT 1)
RETURNS TABLE (
    attribute text, value text, cases bigint, outcome_cases bigint, outcome_rate numeric,
    baseline_rate numeric, lift numeric, support numeric, outcome_share numeric,
    excess_outcomes numeric, z_score double precision, p_value double precision,
    rank_in_attribute bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    attrs text[];
    a text;
    parts text[] := '{}';
    expr text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF min_cases IS NULL OR min_cases < 1 THEN
        RAISE EXCEPTION 'invalid min_cases: %', min_cases
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of cases >= 1, e.g. 10.';
    END IF;
    expr := collmine._outcome_expr(log_schema, outcome);
    IF attributes IS NULL THEN
        SELECT array_agg(a.attname::text ORDER BY array_position(d.names, a.attname::text))
          INTO attrs
          FROM pg_attribute a,
               (SELECT ARRAY['segment', 'business_unit', 'collector', 'country', 'terms', 'customer_name',
                             'currency', 'dispute_reason', 'source_system']) AS d(names)
         WHERE a.attrelid OPERATOR(pg_catalog.=) to_regclass(format('%I.%I', log_schema, 'invoices'))
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname::text OPERATOR(pg_catalog.=) ANY (d.names);
    ELSE
        attrs := attributes;
    END IF;
    IF attrs IS NULL OR cardinality(attrs) = 0 THEN
        RAISE EXCEPTION 'no attributes to rank'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name invoices columns, e.g. ARRAY[''segment'', ''collector''].';
    END IF;
    FOREACH a IN ARRAY attrs LOOP
        -- validates the column name (error with the list of columns otherwise)
        PERFORM collmine._group_expr(log_schema, a);
        parts := parts || format('SELECT %L::text AS attribute, b.%I::text AS value, b.o FROM b', a, a);
    END LOOP;
    RETURN QUERY EXECUTE format($q$
        WITH b AS MATERIALIZED (
                 SELECT i.*, (%2$s)::boolean AS o FROM %1$I.invoices i),
             bb AS (SELECT * FROM b WHERE b.o IS NOT NULL),
             tot AS (SELECT count(*)::numeric AS n, (count(*) FILTER (WHERE bb.o))::numeric AS k FROM bb),
             av AS (%3$s),
             g AS (SELECT av.attribute, av.value, count(*)::numeric AS n,
                          (count(*) FILTER (WHERE av.o))::numeric AS k
                     FROM av WHERE av.o IS NOT NULL GROUP BY av.attribute, av.value),
             s AS (SELECT g.*, tot.n AS bn, tot.k AS bk,
                          CASE WHEN tot.n > g.n AND tot.k > 0 AND tot.k < tot.n THEN
                              ((g.k / g.n - (tot.k - g.k) / (tot.n - g.n))
                               / sqrt((tot.k / tot.n) * (1 - tot.k / tot.n) * (1 / g.n + 1 / (tot.n - g.n))))::double precision
                          END AS z
                     FROM g CROSS JOIN tot WHERE g.n >= $1)
        SELECT s.attribute, s.value, s.n::bigint, s.k::bigint, s.k / s.n, s.bk / s.bn,
               CASE WHEN s.bk > 0 THEN (s.k / s.n) / (s.bk / s.bn) END,
               s.n / s.bn,
               CASE WHEN s.bk > 0 THEN s.k / s.bk END,
               s.k - s.n * s.bk / s.bn,
               s.z,
               collmine._erfc_pos(abs(s.z) / sqrt(2::double precision)),
               row_number() OVER (PARTITION BY s.attribute ORDER BY s.k / s.n DESC, s.n DESC, s.value)
          FROM s
         ORDER BY array_position($2, s.attribute), 13
    $q$, log_schema, expr, array_to_string(parts, ' UNION ALL ')) USING min_cases, attrs;
END
$$;
