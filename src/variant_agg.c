/*
 * variant_agg.c: collmine._variant_rep(trace), the representative trace of one variant.
 *
 * variants() groups cases by their 64-bit variant id (an integer hash key, no text[] built or
 * sorted per case). A hash can collide, so each group keeps its first trace and checks every
 * further trace of the group against it: two traces are the same variant exactly when their
 * activity sequences are equal, which for canonical traces (first-occurrence dictionaries)
 * means equal activity index arrays and equal dictionaries. A collision is reported, never
 * merged silently. The state is the trace itself, so the aggregate is parallel without
 * serialization, and the check doubles as the combine function.
 */
#include "trace.h"

PG_FUNCTION_INFO_V1(variant_rep_trans);

/* True when two canonical traces have the same activity sequence. */
static bool
same_variant(const TraceData *a, const TraceData *b)
{
	if (a->nevents != b->nevents || a->nacts != b->nacts || a->names_len != b->names_len)
		return false;
	if (memcmp(TraceAct(a), TraceAct(b), sizeof(int32) * a->nevents) != 0)
		return false;
	return memcmp(TraceNameOff(a), TraceNameOff(b), sizeof(int32) * (a->nacts + 1)) == 0 &&
		memcmp(TraceNames(a), TraceNames(b), a->names_len) == 0;
}

/* Transition and combine (strict: the first trace of a group becomes the state). */
Datum
variant_rep_trans(PG_FUNCTION_ARGS)
{
	TraceData  *rep = PG_GETARG_TRACE_P(0);
	TraceData  *t = PG_GETARG_TRACE_P(1);

	if (!same_variant(rep, t))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("two different variants have the same 64-bit variant id " INT64_FORMAT,
						(int64) trace_variant_hash(rep)),
				 errhint("Group by collmine.trace_activities(trace) for this log, and please report the two variants.")));
	PG_RETURN_POINTER(PG_GETARG_POINTER(0));
}
