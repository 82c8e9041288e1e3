/*
 * dfg_agg.c: the aggregates that build and merge process maps.
 *
 *   collmine.dfg_agg(trace)           one map over many traces (every case weighs 1)
 *   collmine.dfg_agg(trace, numeric)  the same with a case weight (e.g. the invoice amount)
 *   collmine.dfg_union(dfg)           merges maps (rollups, partitions, shards)
 *   collmine.dfg_merge(dfg, dfg)      merges two maps
 *
 * The state type is collmine.dfg itself, so partial aggregation, partitionwise aggregation,
 * postgres_fdw and Citus can move states around as ordinary values. Inside one aggregate the
 * state is an expanded object in a child context of the aggregate context: the transition
 * function returns its read-write pointer, which nodeAgg adopts without copying, so adding a
 * trace updates the map in place. A flat state (the first combine input, or a value from disk)
 * is expanded into the aggregate context on first update.
 */
#include "common.h"
#include "dfg.h"

#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(dfg_agg_trans);
PG_FUNCTION_INFO_V1(dfg_agg_wtrans);
PG_FUNCTION_INFO_V1(dfg_merge_trans);
PG_FUNCTION_INFO_V1(dfg_merge);

/* The state to update in place: ours when we own it, else a fresh expansion of argument 0. */
static DfgExpanded *
state_for_update(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	DfgExpanded *e;

	if (PG_ARGISNULL(0))
		return dfg_expanded_new(aggcxt);
	e = dfg_owned_expanded(PG_GETARG_DATUM(0), aggcxt);
	if (e != NULL)
		return e;
	return dfg_expand_datum(PG_GETARG_DATUM(0), aggcxt);
}

/* Add one trace with a fixed-point weight; a NULL trace leaves the state as it is. */
static Datum
add_trace(FunctionCallInfo fcinfo, MemoryContext aggcxt, int64 weight)
{
	DfgExpanded *e;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	e = state_for_update(fcinfo, aggcxt);
	dfg_expanded_add_trace(e, PG_GETARG_TRACE_P(1), weight);
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/* dfg_agg(trace) transition: every case weighs 1, so weights equal case counts. */
Datum
dfg_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = cm_agg_context(fcinfo, "collmine.dfg_agg_trans");

	return add_trace(fcinfo, aggcxt, DFG_WEIGHT_SCALE);
}

/* dfg_agg(trace, weight) transition: a NULL weight counts the case with weight 0. */
Datum
dfg_agg_wtrans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = cm_agg_context(fcinfo, "collmine.dfg_agg_wtrans");
	int64		w = 0;

	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
		w = dfg_weight_from_numeric(PG_GETARG_DATUM(2));
	return add_trace(fcinfo, aggcxt, w);
}

/* Merge two maps into a new flat value (no aggregate context needed). */
static Datum
merge_plain(FunctionCallInfo fcinfo)
{
	DfgExpanded *e = dfg_expand_datum(PG_GETARG_DATUM(0), CurrentMemoryContext);
	DfgData    *d;

	dfg_expanded_merge(e, PG_GETARG_DFG_P(1));
	d = dfg_flatten(e);
	MemoryContextDelete(e->cxt);
	PG_RETURN_DFG_P(d);
}

/* Combine function and dfg_union transition (strict: nodeAgg takes the first input as state). */
Datum
dfg_merge_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	DfgExpanded *e;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		return merge_plain(fcinfo);
	e = state_for_update(fcinfo, aggcxt);
	dfg_expanded_merge(e, PG_GETARG_DFG_P(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/* dfg_merge(a, b): the map of both inputs together. */
Datum
dfg_merge(PG_FUNCTION_ARGS)
{
	return merge_plain(fcinfo);
}
