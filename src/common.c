/*
 * common.c: helpers shared by every layer (see common.h).
 */
#include "common.h"

#include "common/int.h"
#include "utils/timestamp.h"

/* The aggregate context, or a clear error when an aggregate support function is called directly. */
MemoryContext
cm_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called as part of an aggregate", fname),
				 errhint("Call the aggregate (collmine.trace_agg, collmine.dfg_agg, collmine.policy_tally) instead.")));
	return aggcxt;
}

/* One message for every aggregate's deserializer, naming the aggregate and what was wrong. */
void
cm_bad_agg_state(const char *agg, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized %s state: %s", agg, what)));
}

/* Days and time, never months: durations in process mining are exact, not calendar spans. */
void
cm_usecs_to_interval(int64 usecs, Interval *iv)
{
	iv->month = 0;
	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = usecs % USECS_PER_DAY;
}

/* The same as a palloc'd interval datum. */
Datum
cm_usecs_interval(int64 usecs)
{
	Interval   *iv = palloc(sizeof(Interval));

	cm_usecs_to_interval(usecs, iv);
	return IntervalPGetDatum(iv);
}

/* end - start, checked: timestamps near both ends of the range differ by more than int64 holds. */
int64
cm_usecs_between(TimestampTz start, TimestampTz end)
{
	int64		usecs;

	if (pg_sub_s64_overflow(end, start, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return usecs;
}

/* end - start as an interval datum. */
Datum
cm_interval_between(TimestampTz start, TimestampTz end)
{
	return cm_usecs_interval(cm_usecs_between(start, end));
}
