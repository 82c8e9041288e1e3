-- Issue 10 (variants() fast and parallel): variants() now summarizes each variant with one
-- aggregate, collmine._variant_agg, whose result type is new; the aggregate, its support
-- functions, _variant_key, _variants_sql and the new body of _variants (now in C) are restated by
-- 80_functions.sql. _variant_rep and _median_interval stay as they were.
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
