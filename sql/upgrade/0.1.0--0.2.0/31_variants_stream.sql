-- Issue 10 (variants() streamed over a log stored case after case): the result row type of the
-- new aggregate collmine._variants_stream. The aggregate, its support functions,
-- _variants_stream_rows, _variants_stream_sql, _variants_stream_ways, _collate_clause,
-- _stream_refused, _log_variants and the new bodies of variants() (both forms) are restated by
-- 80_functions.sql.
CREATE TYPE collmine._variant_row AS (
    left_out bigint,
    total bigint,
    st collmine._variant_stats,
    wt numeric
);
