-- Layer 2: the trace engine. collmine.trace holds one case's events, canonically ordered by
-- (timestamp, order key, activity name bytewise); trace_agg builds it without ORDER BY.

CREATE TYPE collmine.trace;

CREATE FUNCTION collmine.trace_in(cstring) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_out(collmine.trace) RETURNS cstring
    AS 'MODULE_PATHNAME', 'trace_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_recv(internal) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_send(collmine.trace) RETURNS bytea
    AS 'MODULE_PATHNAME', 'trace_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE collmine.trace (
    INPUT = collmine.trace_in,
    OUTPUT = collmine.trace_out,
    RECEIVE = collmine.trace_recv,
    SEND = collmine.trace_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE collmine.trace IS 'one case''s events (activity, time, order key), canonically ordered';

CREATE FUNCTION collmine.trace_from_binary(bytea) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_from_binary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_from_binary(bytea) IS
    'read the binary wire form (as produced by collmine.trace_send), validating it like binary COPY does';

-- the aggregate ------------------------------------------------------------------------------

CREATE FUNCTION collmine.trace_agg_trans(internal, text, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_trans(internal, text, timestamptz, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_trans_ord' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'trace_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'trace_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_agg_final(internal) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE collmine.trace_agg(activity text, ts timestamptz) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    SSPACE = 256,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.trace_agg(text, timestamptz) IS
    'a case''s events as a trace, ordered by (ts, activity name); ties broken by name, never by row order';

CREATE AGGREGATE collmine.trace_agg(activity text, ts timestamptz, ord bigint) (
    SFUNC = collmine.trace_agg_trans,
    STYPE = internal,
    FINALFUNC = collmine.trace_agg_final,
    COMBINEFUNC = collmine.trace_agg_combine,
    SERIALFUNC = collmine.trace_agg_serialize,
    DESERIALFUNC = collmine.trace_agg_deserialize,
    SSPACE = 256,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine.trace_agg(text, timestamptz, bigint) IS
    'a case''s events as a trace, ordered by (ts, ord, activity name)';

-- functions on a trace -----------------------------------------------------------------------

CREATE FUNCTION collmine.trace_length(trace collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_length' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_length(collmine.trace) IS 'number of events';

CREATE FUNCTION collmine.trace_skipped(trace collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_skipped(collmine.trace) IS
    'events left out of the trace because their activity or timestamp was NULL or infinite';

CREATE FUNCTION collmine.trace_activities(trace collmine.trace) RETURNS text[]
    AS 'MODULE_PATHNAME', 'trace_activities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_activities(collmine.trace) IS 'the activity sequence';

CREATE FUNCTION collmine.trace_start_activity(trace collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_start_activity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_end_activity(trace collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_end_activity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_start_time(trace collmine.trace) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_start_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_end_time(trace collmine.trace) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_end_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_throughput(trace collmine.trace) RETURNS interval
    AS 'MODULE_PATHNAME', 'trace_throughput' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_throughput(collmine.trace) IS 'last event time minus first event time';

CREATE FUNCTION collmine.trace_duration(trace collmine.trace, from_activity text, to_activity text,
                                        from_occurrence text DEFAULT 'first', to_occurrence text DEFAULT 'first')
    RETURNS interval
    AS 'MODULE_PATHNAME', 'trace_duration' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_duration(collmine.trace, text, text, text, text) IS
    'time from the first/last occurrence of one activity to the first/last occurrence of another (NULL unless both occur)';

CREATE FUNCTION collmine.trace_count(trace collmine.trace, activity text) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_count(collmine.trace, text) IS 'occurrences of an activity';

CREATE FUNCTION collmine.trace_rework(trace collmine.trace) RETURNS integer
    AS 'MODULE_PATHNAME', 'trace_rework' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_rework(collmine.trace) IS
    'events that repeat an activity already seen in the case (length minus distinct activities)';

CREATE FUNCTION collmine.trace_rework_activities(trace collmine.trace) RETURNS text[]
    AS 'MODULE_PATHNAME', 'trace_rework_activities' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_rework_activities(collmine.trace) IS
    'activities that occur more than once, in order of first occurrence';

CREATE FUNCTION collmine.trace_directly_follows(trace collmine.trace, from_activity text, to_activity text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_directly_follows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_eventually_follows(trace collmine.trace, from_activity text, to_activity text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_eventually_follows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_first_time(trace collmine.trace, activity text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_first_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine.trace_last_time(trace collmine.trace, activity text) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'trace_last_time' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION collmine.trace_variant(trace collmine.trace) RETURNS text
    AS 'MODULE_PATHNAME', 'trace_variant' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_variant(collmine.trace) IS 'readable variant: activities joined by " -> "';

CREATE FUNCTION collmine.trace_variant_id(trace collmine.trace) RETURNS bigint
    AS 'MODULE_PATHNAME', 'trace_variant_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_variant_id(collmine.trace) IS
    'stable 64-bit variant id: FNV-1a over length-prefixed activity names (same on every platform and release)';

CREATE FUNCTION collmine.variant_id(activities text[]) RETURNS bigint
    AS 'MODULE_PATHNAME', 'variant_id_of_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.variant_id(text[]) IS
    'the variant id of an activity sequence; equals trace_variant_id of a trace with that sequence';

CREATE FUNCTION collmine.trace_matches(trace collmine.trace, pattern text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'trace_matches' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_matches(collmine.trace, text) IS
    'does the whole activity sequence match the pattern (see docs/trace.md for the syntax)';

CREATE FUNCTION collmine.trace_as_of(trace collmine.trace, as_of timestamptz) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_as_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_as_of(collmine.trace, timestamptz) IS
    'the prefix of the trace known at a moment: events with ts <= at';

CREATE FUNCTION collmine.trace_project(trace collmine.trace, activities text[]) RETURNS collmine.trace
    AS 'MODULE_PATHNAME', 'trace_project' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION collmine.trace_project(collmine.trace, text[]) IS
    'the trace with only the listed activities kept';

CREATE FUNCTION collmine.trace_steps(trace collmine.trace,
        OUT step integer, OUT source text, OUT target text,
        OUT source_time timestamptz, OUT target_time timestamptz, OUT duration interval)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'trace_steps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.trace_steps(collmine.trace) IS 'each directly-follows step with its duration';

CREATE FUNCTION collmine.trace_events(trace collmine.trace,
        OUT pos integer, OUT activity text, OUT ts timestamptz, OUT ord bigint)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'trace_events' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION collmine.trace_events(collmine.trace) IS 'the events of a trace as rows, in trace order';
