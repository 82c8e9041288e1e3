/*
 * dfg_stream.c: collmine._dfg_stream(case, activity, ts [, ord]) and
 * collmine._dfg_stream_grouped(...), the process map of events that arrive one case after
 * another, in one aggregate.
 *
 * process_map() uses them for a log stored case after case: _dfg_stream when the events come in
 * ascending case order (an index scan ordered by the case column, or a table stored in that
 * order), _dfg_stream_grouped when each case's events are adjacent in any order of the cases
 * (a table written invoice after invoice). Each case's events are collected in one reused state
 * (case_stream.c) and, when the next case starts, its trace is added to the map at once. No
 * hash table of cases, no per-case tuple and no second aggregate: the per-case work of
 * `dfg_agg(trace) FROM (SELECT trace_agg(...) GROUP BY case)` without the plan around it.
 *
 * The input order is checked, not trusted (case_stream.h): an input that would merge or split a
 * case is refused with 22000, and process_map() then reads the log another way.
 */
#include "common.h"
#include "case_stream.h"
#include "dfg.h"

#include "access/htup_details.h"
#include "funcapi.h"

PG_FUNCTION_INFO_V1(dfg_stream_trans);
PG_FUNCTION_INFO_V1(dfg_stream_trans_ord);
PG_FUNCTION_INFO_V1(dfg_stream_grouped_trans);
PG_FUNCTION_INFO_V1(dfg_stream_grouped_trans_ord);
PG_FUNCTION_INFO_V1(dfg_stream_final);
PG_FUNCTION_INFO_V1(dfg_stream_part_final);

/* The aggregate's state: the map so far and the case being collected. */
typedef struct DfgStream
{
	DfgExpanded *map;
	CaseStream *cases;
} DfgStream;

/* Add a finished case's trace to the map (unweighted). */
static void
add_case(void *arg, TraceData *t, Datum weight, bool has_weight)
{
	dfg_expanded_add_trace((DfgExpanded *) arg, t, DFG_WEIGHT_SCALE);
}

/* Shared transition: a NULL case value is left to the caller (process_map() counts those). */
static Datum
stream_trans(FunctionCallInfo fcinfo, CaseStreamMode mode, bool with_ord)
{
	const char *who = mode == CASE_STREAM_SORTED ? "collmine._dfg_stream" : "collmine._dfg_stream_grouped";
	DfgStream  *s = PG_ARGISNULL(0) ? NULL : (DfgStream *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	/* an internal state only ever comes from an aggregate: the context is checked once */
	if (s == NULL)
	{
		MemoryContext cxt = cm_agg_context(fcinfo, who);

		s = MemoryContextAlloc(cxt, sizeof(DfgStream));
		s->map = dfg_expanded_new(cxt);
		s->cases = case_stream_new(fcinfo, cxt, 1, mode, who);
	}
	case_stream_add(s->cases, fcinfo, 1, 2, 3, with_ord ? 4 : -1, -1, add_case, s->map);
	PG_RETURN_POINTER(s);
}

/* _dfg_stream(case, activity, ts) */
Datum
dfg_stream_trans(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, CASE_STREAM_SORTED, false);
}

/* _dfg_stream(case, activity, ts, ord) */
Datum
dfg_stream_trans_ord(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, CASE_STREAM_SORTED, true);
}

/* _dfg_stream_grouped(case, activity, ts) */
Datum
dfg_stream_grouped_trans(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, CASE_STREAM_GROUPED, false);
}

/* _dfg_stream_grouped(case, activity, ts, ord) */
Datum
dfg_stream_grouped_trans_ord(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, CASE_STREAM_GROUPED, true);
}

/* Final of both: the last case goes into the map, which is returned flat; no case gives NULL. */
Datum
dfg_stream_final(PG_FUNCTION_ARGS)
{
	DfgStream  *s;

	(void) cm_agg_context(fcinfo, "collmine._dfg_stream");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DfgStream *) PG_GETARG_POINTER(0);
	case_stream_finish(s->cases, add_case, s->map);
	PG_RETURN_DFG_P(dfg_flatten(s->map));
}

/*
 * Final of _dfg_stream_part, the grouped stream over one block range of a table
 * (_process_map_streamed_ranges): a collmine._dfg_part, the map of the range's cases and the
 * hashes of those cases, which the caller checks to be disjoint across the ranges (a case whose
 * rows lie in two ranges was mapped twice, as two cases); no input row gives NULL.
 */
Datum
dfg_stream_part_final(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	DfgStream  *s;

	(void) cm_agg_context(fcinfo, "collmine._dfg_stream_part");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("collmine._dfg_stream_part must return a composite type")));
	s = (DfgStream *) PG_GETARG_POINTER(0);
	case_stream_finish(s->cases, add_case, s->map);
	values[0] = PointerGetDatum(dfg_flatten(s->map));
	values[1] = PointerGetDatum(case_stream_seen_bytea(s->cases));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
