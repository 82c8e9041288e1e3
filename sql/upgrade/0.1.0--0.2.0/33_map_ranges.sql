-- Issue 10 (process_map() and variants() with parallel workers on an ordinary table stored
-- case after case): the part types of the new aggregates collmine._dfg_stream_part and
-- collmine._variants_stream_range. The aggregates, their final functions,
-- _stream_parts_disjoint, _stream_parts_check, _stream_range_count, _stream_range_filters,
-- _process_map_streamed_ranges and the new bodies of _stream_events_sql,
-- _process_map_try_stream, _variants_stream_sql, _variants_stream_ways and variants() are
-- restated by 80_functions.sql.
CREATE TYPE collmine._dfg_part AS (
    m collmine.dfg,
    seen bytea
);
CREATE TYPE collmine._variants_part AS (
    p bytea,
    seen bytea
);
