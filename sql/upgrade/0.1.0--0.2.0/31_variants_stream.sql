-- Issue 10 (variants() streamed over a log stored case after case): the result row type of the
-- new aggregate collmine._variants_stream. The aggregate, its support functions, _variants_rows,
-- _variants_streamed, _variants_stream_ways, the helpers shared with process_map()
-- (_collate_clause, _stream_refused) and the new body of variants() are restated by
-- 80_functions.sql.
CREATE TYPE collmine._variant_row AS (
    left_out bigint,
    st collmine._variant_stats,
    wt numeric
);
