/*
 * dfg_stream.c: collmine._dfg_stream(case, activity, ts [, ord]), the process map of events that
 * arrive grouped by case, in one aggregate.
 *
 * process_map() uses it for a log stored in case order (collmine._in_case_order): the events
 * come from an index scan ordered by the case column, so each case's events are collected in one
 * reused state (trace.h, TraceCase) and, when the next case starts, its trace is added to the map
 * at once. No hash table of cases, no per-case tuple and no second aggregate: the per-case work
 * of `dfg_agg(trace) FROM (SELECT trace_agg(...) GROUP BY case)` without the plan around it.
 *
 * The input order is checked, not trusted: a case value that compares lower than the previous
 * one (the case type's btree order, in the argument's collation, which the SQL sets to the
 * column's) is an error, so a plan that did not deliver the promised order can never merge or
 * split cases silently. Values equal under that comparison (numeric 1.0 and 1.00, a
 * nondeterministic collation's variants) are one case, as GROUP BY makes them.
 */
#include "common.h"
#include "dfg.h"

#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(dfg_stream_trans);
PG_FUNCTION_INFO_V1(dfg_stream_trans_ord);
PG_FUNCTION_INFO_V1(dfg_stream_final);

/* The aggregate's state: the map so far and the case being collected. */
typedef struct DfgStream
{
	MemoryContext cxt;			/* the aggregate context */
	DfgExpanded *map;
	TraceCase  *cur;			/* the current case's events */
	Datum		case_val;		/* the current case value (a copy in cxt) */
	bool		have_case;
	int16		typlen;
	bool		typbyval;
	Oid			collation;
	FmgrInfo   *cmp;			/* the case type's btree comparison */
} DfgStream;

/* A new state for case values of the type of argument 1. */
static DfgStream *
stream_new(FunctionCallInfo fcinfo, MemoryContext cxt)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);
	TypeCacheEntry *tc;
	DfgStream  *s;

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not determine the type of the case column")));
	tc = lookup_type_cache(typid, TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("the case column's type %s has no btree ordering", format_type_be(typid)),
				 errhint("Use collmine.process_map() on a table whose case column has a btree index.")));
	s = MemoryContextAllocZero(cxt, sizeof(DfgStream));
	s->cxt = cxt;
	s->map = dfg_expanded_new(cxt);
	s->cur = trace_case_new(fcinfo, cxt);
	s->typlen = tc->typlen;
	s->typbyval = tc->typbyval;
	s->collation = PG_GET_COLLATION();
	s->cmp = &tc->cmp_proc_finfo;
	return s;
}

/* Add the collected case's trace to the map and empty the case. */
static void
stream_finish_case(DfgStream *s)
{
	TraceData  *t = trace_case_trace(s->cur);

	dfg_expanded_add_trace(s->map, t, DFG_WEIGHT_SCALE);
	pfree(t);
	trace_case_reset(s->cur);
}

/* Are v's bytes those of the current case value? Inline for values by value and plain or
 * short-header varlenas, which is what a case column holds; datum_image_eq for the rest. */
static inline bool
same_image(const DfgStream *s, Datum v)
{
	if (s->typbyval)
		return s->case_val == v;
	if (s->typlen == -1)
	{
		const struct varlena *a = (const struct varlena *) DatumGetPointer(s->case_val);
		const struct varlena *b = (const struct varlena *) DatumGetPointer(v);

		if (!VARATT_IS_EXTERNAL(a) && !VARATT_IS_COMPRESSED(a) &&
			!VARATT_IS_EXTERNAL(b) && !VARATT_IS_COMPRESSED(b))
			return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
				memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
	}
	return datum_image_eq(s->case_val, v, s->typbyval, s->typlen);
}

/*
 * Does v start a new case? Equal bytes are the same case without a call; otherwise the type's
 * comparison decides, and a value lower than the current one means the input is not in case
 * order.
 */
static bool
stream_new_case(DfgStream *s, Datum v)
{
	int32		c;

	if (same_image(s, v))
		return false;
	c = DatumGetInt32(FunctionCall2Coll(s->cmp, s->collation, s->case_val, v));
	if (c > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("collmine._dfg_stream: events are not in case order"),
				 errhint("It is used by process_map() on an index scan ordered by the case column; call collmine.process_map() instead.")));
	return c < 0;
}

/* Shared transition: a NULL case value is left to the caller (process_map() counts those). */
static Datum
stream_trans(FunctionCallInfo fcinfo, bool with_ord)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._dfg_stream");
	DfgStream  *s = PG_ARGISNULL(0) ? NULL : (DfgStream *) PG_GETARG_POINTER(0);
	Datum		v;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	if (s == NULL)
		s = stream_new(fcinfo, cxt);
	v = PG_GETARG_DATUM(1);
	if (!s->have_case || stream_new_case(s, v))
	{
		if (s->have_case)
		{
			stream_finish_case(s);
			if (!s->typbyval)
				pfree(DatumGetPointer(s->case_val));
		}
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			s->case_val = datumCopy(v, s->typbyval, s->typlen);
			MemoryContextSwitchTo(old);
		}
		s->have_case = true;
	}
	s->cur = trace_case_add(fcinfo, s->cur, 2, 3, with_ord ? 4 : -1);
	PG_RETURN_POINTER(s);
}

/* _dfg_stream(case, activity, ts) */
Datum
dfg_stream_trans(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, false);
}

/* _dfg_stream(case, activity, ts, ord) */
Datum
dfg_stream_trans_ord(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, true);
}

/* Final: the last case goes into the map, which is returned flat; no case at all gives NULL. */
Datum
dfg_stream_final(PG_FUNCTION_ARGS)
{
	DfgStream  *s;

	(void) cm_agg_context(fcinfo, "collmine._dfg_stream");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DfgStream *) PG_GETARG_POINTER(0);
	if (s->have_case)
	{
		stream_finish_case(s);
		s->have_case = false;
	}
	PG_RETURN_DFG_P(dfg_flatten(s->map));
}
