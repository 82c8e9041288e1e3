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
