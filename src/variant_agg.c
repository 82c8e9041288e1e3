/*
 * variant_agg.c: collmine._variant_rep(trace), the representative trace of one variant.
 *
 * variants() groups cases by their 64-bit variant id (an integer hash key, no text[] built or
 * sorted per case). A hash can collide, so each group keeps its first trace and checks every
 * further trace of the group against it: two traces are the same variant exactly when their
 * activity sequences are equal, which for canonical traces (first-occurrence dictionaries)
 * means equal activity index arrays and equal dictionaries. A collision is reported, never
 * merged silently. The state is the trace itself, so the aggregate is parallel without
 * serialization, and the check doubles as the combine function. The file also has the exact
 * median of a variant's throughputs.
 */
#include "trace.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

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

PG_FUNCTION_INFO_V1(median_interval);

/* qsort comparator: interval_cmp, the btree order percentile_cont sorts by. */
static int
interval_sort_cmp(const void *a, const void *b)
{
	return DatumGetInt32(DirectFunctionCall2(interval_cmp, *(const Datum *) a, *(const Datum *) b));
}

/*
 * _median_interval(interval[]): percentile_cont(0.5) of the non-NULL elements, with the same
 * rows and the same interval arithmetic as PostgreSQL's percentile_cont (rows floor and ceil of
 * 0.5 * (n - 1), then interval_pl(interval_mul(interval_mi(hi, lo), fraction), lo)). variants()
 * collects each variant's throughputs with array_agg, because an ordered-set aggregate under
 * hash aggregation keeps one sort open per variant (thousands of them on real logs).
 */
Datum
median_interval(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				k,
				m = 0;
	double		pos;
	int64		first,
				second;

	deconstruct_array(arr, INTERVALOID, sizeof(Interval), false, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	for (k = 0; k < n; k++)
		if (!nulls[k])
			elems[m++] = elems[k];
	if (m == 0)
		PG_RETURN_NULL();
	qsort(elems, m, sizeof(Datum), interval_sort_cmp);
	pos = 0.5 * (m - 1);
	first = (int64) floor(pos);
	second = (int64) ceil(pos);
	if (first == second)
		PG_RETURN_DATUM(elems[first]);
	{
		Datum		diff = DirectFunctionCall2(interval_mi, elems[second], elems[first]);
		Datum		mul = DirectFunctionCall2(interval_mul, diff, Float8GetDatum(pos - first));

		PG_RETURN_DATUM(DirectFunctionCall2(interval_pl, mul, elems[first]));
	}
}
