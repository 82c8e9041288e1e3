-- Issue 10 (variants() streamed over a log stored case after case): the result row type of the
-- new aggregate collmine._variants_stream. The aggregate, its support functions,
-- _variants_stream_rows, _variants_stream_sql, _variants_stream_ways, _collate_clause,
-- _stream_refused and variants() (the new body of the relation form, in C, and the log-schema
-- form) are restated by 80_functions.sql.
CREATE TYPE collmine._variant_row AS (
    left_out bigint,
    total bigint,
    st collmine._variant_stats,
    wt numeric
);
