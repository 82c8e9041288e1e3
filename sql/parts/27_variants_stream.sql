-- Layer 3: variants() over a log stored case after case, streamed like process_map()
-- (sql/parts/26_process_map.sql): one aggregate reads the events as they lie, folds each case
-- into its variant when the next case starts, and never hashes or sorts the cases.

-- One row of the streamed variants, with the columns _variants reads from _variants_sql's query:
-- a variant's statistics (st), the total of cases and the variant's weight (wt, the sum over its
-- cases of each case's largest weight), or, with st NULL, the count of events that have a NULL
-- case id (left_out).
CREATE TYPE collmine._variant_row AS (
    left_out bigint,
    total bigint,
    st collmine._variant_stats,
    wt numeric
);

-- The variants of events that arrive one case after another, in one aggregate
-- (src/variant_stream.c, src/case_stream.c): each case's events are collected in one reused
-- state, and when the next case starts its trace is folded into its variant's _variant_stats
-- (the state _variant_agg keeps, found by the same grouping key _variant_key) and its largest
-- weight added to the variant's weight. grouped false takes the cases in ascending order of the
-- case type (in the argument's collation) and refuses input that is not; grouped true takes them
-- in any order, joins a row stored away from its case to it (src/case_stream.c), and refuses a
-- case that comes back after it was complete (a 64-bit hash per case, 8 bytes a case, checks
-- that). Both refuse with 22000
-- data_exception, which variants() catches to read the log another way. An event with a NULL
-- case id is only counted. The result: one collmine._variant_row per variant, and one for the
-- count of events with a NULL case id when there are any, in rank order (_variants_sql's ORDER BY:
-- more cases first, ties by order_key), the count last.
CREATE FUNCTION collmine._variants_stream_trans(internal, anyelement, text, timestamptz, numeric, boolean)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'variants_stream_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._variants_stream_trans(internal, anyelement, text, timestamptz, bigint, numeric, boolean)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'variants_stream_trans_ord' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._variants_stream_final(internal) RETURNS collmine._variant_row[]
    AS 'MODULE_PATHNAME', 'variants_stream_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._variants_stream(anyelement, text, timestamptz, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._variants_stream(anyelement, text, timestamptz, bigint, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- The variants of one leaf partition of a log partitioned by the case column, for
-- _variants_stream_merge: the transition of _variants_stream (the same checks and refusals),
-- and as the result, instead of ranked rows, the leaf's table of variants as bytes (each variant's
-- key, weight and _variant_agg state, and the count of events with a NULL case id;
-- src/variant_stream.c). No combine function: each leaf is streamed whole, in one process.
CREATE FUNCTION collmine._variants_stream_part_final(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'variants_stream_part_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._variants_stream_part(anyelement, text, timestamptz, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_part_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._variants_stream_part(anyelement, text, timestamptz, bigint, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_part_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- The variants of one block range of an ordinary table stored case after case, for
-- _variants_stream_sql's 'ranges' way: the transition of _variants_stream (grouped), and as the
-- result a collmine._variants_part, the range's part as _variants_stream_part gives it (p) and
-- what the ranges are checked by to share no case (seen, as _dfg_part's; _stream_parts_check,
-- src/stream_parts.c).
CREATE TYPE collmine._variants_part AS (
    p bytea,
    seen bytea
);
CREATE FUNCTION collmine._variants_stream_range_final(internal) RETURNS collmine._variants_part
    AS 'MODULE_PATHNAME', 'variants_stream_range_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._variants_stream_range(anyelement, text, timestamptz, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_range_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._variants_stream_range(anyelement, text, timestamptz, bigint, numeric, boolean) (
    SFUNC = collmine._variants_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_range_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- The leaves' parts (_variants_stream_part, no case in two leaves) merged by variant key: each
-- variant's states combined as _variant_agg combines them (two different variants under one key
-- are an error), its weights summed, the counts of events with a NULL case id added; then the
-- rows of _variants_stream, ranked by its final function. A NULL part (an empty leaf) adds
-- nothing. In the leader, above the Gather of the leaves' parts.
CREATE FUNCTION collmine._variants_stream_merge_trans(internal, bytea) RETURNS internal
    AS 'MODULE_PATHNAME', 'variants_stream_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._variants_stream_merge(bytea) (
    SFUNC = collmine._variants_stream_merge_trans,
    STYPE = internal,
    FINALFUNC = collmine._variants_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- _variants over a query that gives its rows itself, in rank order (_variants_sql's columns
-- left_out, total, st, wt: the rows of _variants_stream unnested): the same rows, the same checks
-- and the same report of left-out events (src/variant_entry.c). For the streamed reads of
-- _variants_stream_sql: serial (a stream below the cost of hashing the cases beats two workers
-- hashing them), without sorts (so that the 'index' read takes the case index), without
-- synchronized scans (so that table order is file order) and without JIT (the per-event work is
-- all in the aggregate).
CREATE FUNCTION collmine._variants_stream_rows(query text)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
    AS 'MODULE_PATHNAME', 'variants_rows' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
    SET search_path = pg_catalog
    SET enable_sort = off
    SET max_parallel_workers_per_gather = 0
    SET synchronize_seqscans = off
    SET jit = off;

-- _variants_stream_rows for _variants_stream_sql's 'partitions' query: the same, but the planner
-- may give each leaf's stream to its own parallel worker (a Parallel Append of whole-leaf
-- aggregates), and the leader only gathers and merges, as in _process_map_streamed_parts.
CREATE FUNCTION collmine._variants_stream_parts_rows(query text)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, activities text[], cases bigint,
               share double precision, cumulative_share double precision, weight numeric,
               mean_throughput interval, median_throughput interval,
               min_throughput interval, max_throughput interval)
    AS 'MODULE_PATHNAME', 'variants_rows' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
    SET search_path = pg_catalog
    SET parallel_leader_participation = off
    SET synchronize_seqscans = off
    SET jit = off;

-- The query that streams the variants of a relation whose events are stored case after case
-- (_variants_stream), for _variants_stream_rows. The rows are unnested in the select list
-- (ProjectSet), which hands each element on where it lies in the aggregate's array: unnest in
-- FROM over a scalar subquery copies the whole array and then every row into a tuplestore. It
-- reads the relation by `how` as
-- _process_map_streamed reads it: 'index' through the case index in case order, 'grouped' as it
-- lies when each case's events are adjacent; an input that is not so is refused with 22000,
-- which variants() catches. 'partitions', for a table partitioned by the case column
-- (_partitioned_by_case), for _variants_stream_parts_rows: each leaf as it lies ('grouped') by
-- its own _variants_stream_part in one branch of a UNION ALL, so that a Parallel Append gives
-- each leaf to one worker, and the leaves' parts merged by _variants_stream_merge: the same rows
-- as 'grouped' over the whole table. 'ranges', for an ordinary table large enough for workers
-- (_stream_range_count), for _variants_stream_parts_rows: each block range
-- (_stream_range_filters) as it lies by its own _variants_stream_range, as the leaves; the parts
-- are merged only when no case is in two ranges (_stream_parts_check), else the read is refused
-- (22000) and variants() reads the table as one ('grouped'). The weight, when
-- named, is the column cast to numeric (variants() streams only a numeric one, whose largest
-- value per case is then the same as _trace_sql's max(column)::numeric).
CREATE FUNCTION collmine._variants_stream_sql(log regclass, case_col name, activity_col name, ts_col name,
                                              order_col name, weight_col name, how text)
RETURNS text
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
    SELECT format(
        'SELECT (r).left_out, (r).total, (r).st, (r).wt FROM (SELECT unnest(%s) AS r FROM (%s) s) u',
        CASE how WHEN 'partitions' THEN 'collmine._variants_stream_merge(x)'
                 WHEN 'ranges' THEN 'CASE WHEN collmine._stream_parts_check(array_agg((x).seen), '
                                    '''collmine._variants_stream_range'') THEN collmine._variants_stream_merge((x).p) END'
                 ELSE format('collmine._variants_stream(%s)', args) END,
        CASE WHEN how IN ('partitions', 'ranges') THEN
            -- one branch per leaf or block range, each as it lies ('grouped')
            (SELECT string_agg(format('SELECT collmine.%I(%s) AS x FROM (%s) s',
                                      CASE how WHEN 'ranges' THEN '_variants_stream_range' ELSE '_variants_stream_part' END,
                                      args,
                                      collmine._stream_events_sql(src.rel, case_col, activity_col, ts_col, order_col,
                                                                  weight_col, 'grouped', src.f)),
                               ' UNION ALL ' ORDER BY src.k)
               FROM (SELECT 'ONLY ' || t.relid::regclass::text, NULL::text, t.relid::oid::bigint
                       FROM pg_catalog.pg_partition_tree(log) t
                      WHERE how = 'partitions' AND t.isleaf
                     UNION ALL
                     SELECT 'ONLY ' || log::text, r.f, r.k
                       FROM unnest(CASE WHEN how = 'ranges'
                                        THEN collmine._stream_range_filters(log, case_col, collmine._stream_range_count(log))
                                   END) WITH ORDINALITY r(f, k)) src(rel, f, k))
        ELSE collmine._stream_events_sql(log::text, case_col, activity_col, ts_col, order_col, weight_col, how) END)
      FROM (SELECT format('c%s, a, t%s, w, %L', collmine._collate_clause(log, case_col),
                          CASE WHEN order_col IS NULL THEN '' ELSE ', o' END,
                          how IN ('grouped', 'partitions', 'ranges')) AS args) x
$$;

-- The ways _variants_stream_sql may read a relation for variants(), in the order to try them, as
-- process_map() tries them: 'grouped', the table as it lies with each case's events together in
-- any order of the cases (a row stored away from its case is joined to it; a log in time order
-- is refused at the first case that comes back, after a few rows), or instead 'partitions', each
-- leaf so, when the table is partitioned by the case column, has leaves, and its leaves read by
-- name give the caller the same rows (_leaves_readable), or first 'ranges', block ranges each
-- so, when an ordinary table is large enough for workers (_stream_range_count); then 'index' when it
-- has a case index and is stored nearly in that order (_in_case_order). None when the weight column
-- is not numeric (its largest value is then taken in its own type's order, which only the
-- hashed plan does), when Citus distributes the relation (its shards group their cases where
-- they lie), or inside a parallel plan, where the subtransaction that catches a refusal cannot
-- start (_in_parallel_mode).
CREATE FUNCTION collmine._variants_stream_ways(log regclass, case_col name, weight_col name)
RETURNS text[]
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    ways text[];
BEGIN
    IF weight_col IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                        WHERE a.attrelid = log AND a.attname = weight_col AND t.typcategory = 'N') THEN
        RETURN '{}';
    END IF;
    IF collmine._in_parallel_mode() OR collmine._citus_distributed(format('SELECT 1 FROM %s', log)) THEN
        RETURN '{}';
    END IF;
    IF collmine._partitioned_by_case(log, case_col) AND collmine._leaves_readable(log)
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(log) t WHERE t.isleaf) THEN
        ways := '{partitions}';
    ELSIF collmine._stream_range_count(log) > 1 THEN
        -- in block ranges, one per worker; where a case is in two ranges, as one
        ways := '{ranges,grouped}';
    ELSE
        ways := '{grouped}';
    END IF;
    IF collmine._in_case_order(log, case_col) THEN
        ways := ways || 'index'::text;
    END IF;
    RETURN ways;
END
$$;
