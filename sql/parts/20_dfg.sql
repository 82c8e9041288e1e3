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

CREATE FUNCTION collmine.dfg_filter(dfg collmine.dfg, activities float8 DEFAULT 1.0, paths float8 DEFAULT 1.0)
RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_filter' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_filter(collmine.dfg, float8, float8) IS
    'Disco-style simplification: keep the most frequent share of activities, then of paths';

-- renderings (layer 6) -----------------------------------------------------------------------

CREATE FUNCTION collmine.dfg_to_dot(dfg collmine.dfg, label text DEFAULT 'frequency') RETURNS text
    AS 'MODULE_PATHNAME', 'dfg_to_dot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_to_dot(collmine.dfg, text) IS
    'the map as a Graphviz digraph; label is frequency, performance or weight';

CREATE FUNCTION collmine.dfg_to_mermaid(dfg collmine.dfg, label text DEFAULT 'frequency') RETURNS text
    AS 'MODULE_PATHNAME', 'dfg_to_mermaid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.dfg_to_mermaid(collmine.dfg, text) IS
    'the map as a Mermaid flowchart; label is frequency, performance or weight';
