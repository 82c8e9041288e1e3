/*
 * common.h: small helpers every layer needs, so that none of them writes its own copy:
 * the aggregate-context check, the corrupt-state error and durations as intervals.
 */
#ifndef COLLMINE_COMMON_H
#define COLLMINE_COMMON_H

#include "compat.h"
#include "datatype/timestamp.h"

/* The aggregate context, or a clear error when an aggregate support function is called directly. */
extern MemoryContext cm_agg_context(FunctionCallInfo fcinfo, const char *fname);

/* Report a corrupt serialized state of the aggregate agg (a bytea handed to its deserializer). */
extern cm_noreturn void cm_bad_agg_state(const char *agg, const char *what);

/* A duration in microseconds as an interval of days and time (24-hour days, like justify_hours). */
extern void cm_usecs_to_interval(int64 usecs, Interval *iv);
extern Datum cm_usecs_interval(int64 usecs);

/* end - start in microseconds, or as such an interval; an error instead of overflow. */
extern int64 cm_usecs_between(TimestampTz start, TimestampTz end);
extern Datum cm_interval_between(TimestampTz start, TimestampTz end);

#endif
