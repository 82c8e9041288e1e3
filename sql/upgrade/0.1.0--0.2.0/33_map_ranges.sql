-- Issue 10 (process_map() with parallel workers on an ordinary table stored case after case):
-- the part type of the new aggregate collmine._dfg_stream_part. The aggregate, its final
-- function, _stream_parts_disjoint, _stream_range_count, _stream_range_filters,
-- _process_map_streamed_ranges and the new bodies of _stream_events_sql and
-- _process_map_try_stream are restated by 80_functions.sql.
CREATE TYPE collmine._dfg_part AS (
    m collmine.dfg,
    seen bytea
);
