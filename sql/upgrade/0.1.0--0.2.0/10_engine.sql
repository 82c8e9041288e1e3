-- 0.2.0 engine (issue 10): trace_agg's per-case state is one compact allocation (about 250 bytes
-- for a typical invoice), so the aggregate tells the planner so (SSPACE); without it the planner
-- assumes 8 kB per group and avoids hash aggregation. Same support functions, same results.

CREATE OR REPLACE AGGREGATE collmine.trace_agg(activity text, ts timestamptz) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    SSPACE = 256,
    PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE collmine.trace_agg(activity text, ts timestamptz, ord bigint) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    SSPACE = 256,
    PARALLEL = SAFE
);

-- variants() groups cases by their 64-bit variant id instead of building and sorting a text[]
-- per case; ties in frequency are ordered bytewise.
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
CREATE OR REPLACE FUNCTION collmine.variants(log regclass, case_col name, activity_col name, ts_col name,
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
        collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col))
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
