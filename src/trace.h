/*
 * trace.h: collmine.trace, one case's events as a compact, canonical varlena value.
 *
 * Layout (all integers native-endian; the binary send/recv form is separate and portable):
 *
 *   TraceData header (24 bytes)
 *   TimestampTz ts[nevents]        event times, ascending
 *   int64       ord[nevents]       order keys (0 when the trace was built without them)
 *   int32       act[nevents]       index of each event's activity in the dictionary
 *   int32       name_off[nacts+1]  offsets of the dictionary names in the name pool
 *   char        names[names_len]   activity names, concatenated, no terminators
 *
 * Canonical form: events are sorted by (ts, ord, activity name bytewise), and the dictionary
 * lists each distinct activity once, in order of first occurrence. Equal event multisets
 * therefore give byte-identical traces, and two traces share a variant exactly when their
 * act[] arrays and dictionaries are equal.
 */
#ifndef COLLMINE_TRACE_H
#define COLLMINE_TRACE_H

#include "compat.h"
#include "datatype/timestamp.h"

#define TRACE_VERSION		1
#define TRACE_HAS_ORD		0x01	/* built with an order key */
#define TRACE_MAX_EVENTS	(64 * 1024 * 1024)	/* keeps every size computation in range */

typedef struct TraceData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* TRACE_VERSION */
	uint8		flags;			/* TRACE_HAS_ORD */
	uint16		reserved;		/* zero */
	int32		nevents;		/* events in the trace */
	int32		nacts;			/* distinct activities */
	int32		nskipped;		/* events dropped for a NULL activity or timestamp */
	int32		names_len;		/* bytes in the name pool */
} TraceData;

StaticAssertDecl(sizeof(TraceData) == 24, "TraceData header must stay 8-byte aligned");

/* One event while a trace is being built. */
typedef struct TraceEvent
{
	TimestampTz ts;
	int64		ord;
	const char *name;			/* not NUL-terminated */
	int32		len;
} TraceEvent;

#define DatumGetTraceP(d)		((TraceData *) PG_DETOAST_DATUM(d))
#define PG_GETARG_TRACE_P(n)	DatumGetTraceP(PG_GETARG_DATUM(n))
#define PG_RETURN_TRACE_P(t)	PG_RETURN_POINTER(t)

/* Event times, ascending. */
static inline TimestampTz *
TraceTs(const TraceData *t)
{
	return (TimestampTz *) ((char *) t + sizeof(TraceData));
}

/* Order keys, parallel to TraceTs. */
static inline int64 *
TraceOrd(const TraceData *t)
{
	return (int64 *) (TraceTs(t) + t->nevents);
}

/* Dictionary index of each event's activity. */
static inline int32 *
TraceAct(const TraceData *t)
{
	return (int32 *) (TraceOrd(t) + t->nevents);
}

/* nacts + 1 offsets into the name pool. */
static inline int32 *
TraceNameOff(const TraceData *t)
{
	return TraceAct(t) + t->nevents;
}

/* The name pool. */
static inline char *
TraceNames(const TraceData *t)
{
	return (char *) (TraceNameOff(t) + t->nacts + 1);
}

/* Name of dictionary entry a (not NUL-terminated); its length goes to *len. */
static inline const char *
TraceActName(const TraceData *t, int a, int *len)
{
	const int32 *off = TraceNameOff(t);

	*len = off[a + 1] - off[a];
	return TraceNames(t) + off[a];
}

/*
 * The latest usable event time: from the earliest timestamp PostgreSQL has to this one the
 * duration still fits in int64 microseconds (about year 287,000), so that every duration
 * within a trace is representable. Later events are skipped and counted, like infinite ones.
 */
#define TRACE_MAX_TS		(MIN_TIMESTAMP + PG_INT64_MAX)
#define TRACE_TS_USABLE(ts)	(!TIMESTAMP_NOT_FINITE(ts) && (ts) <= TRACE_MAX_TS)

/* A NULL order key is stored as the largest bigint; a real key of that value is refused. */
#define TRACE_ORD_NULL		PG_INT64_MAX
extern cm_noreturn void cm_order_key_reserved(void);

/* Total bytes of a trace with these counts. */
extern Size trace_size(int nevents, int nacts, int names_len);

/* Build a canonical trace from events in any order (sorts them in place). */
extern TraceData *trace_build(TraceEvent *events, int nevents, int nskipped, bool has_ord);

/* Dictionary index of an activity name in t, or -1 when the trace never has it. */
extern int	trace_find_activity(const TraceData *t, const char *name, int len);

/* Same, for a text datum. */
extern int	trace_find_activity_text(const TraceData *t, text *name);

/* Order events by (ts, ord, name bytewise, length): the documented tie-break. */
extern int	trace_event_cmp(const void *a, const void *b);

/* Stable 64-bit variant id (FNV-1a over length-prefixed activity names). */
#define VARIANT_HASH_INIT	UINT64CONST(0xcbf29ce484222325)
extern uint64 variant_hash_step(uint64 h, const char *name, int len);
/* The same step as h * *mul + add[h & 0xff], add having 256 entries (trace.c). */
extern void variant_hash_step_table(const char *name, int len, uint64 *mul, uint64 *add);
extern uint64 trace_variant_hash(const TraceData *t);

/*
 * One case's events, collected the way trace_agg collects them (trace_agg.c), for aggregates that
 * group the cases themselves (dfg_stream.c). Names share the query dictionary kept in the calling
 * support function's fn_extra; the state lives in the memory context given to trace_case_new.
 */
typedef struct TraceAggState TraceCase;

/* An empty case in cxt, using fcinfo's query dictionary. */
extern TraceCase *trace_case_new(FunctionCallInfo fcinfo, MemoryContext cxt);

/* Add the event in fcinfo's arguments act_arg, ts_arg and ord_arg (-1: no order key), as
 * trace_agg(activity, ts [, ord]) does; returns the case, which may have moved. */
extern TraceCase *trace_case_add(FunctionCallInfo fcinfo, TraceCase *tc, int act_arg, int ts_arg,
								 int ord_arg);

/* The canonical trace of the case's events, palloc'd in the current memory context. */
extern TraceData *trace_case_trace(TraceCase *tc);

/* Empty the case for the next one, keeping its allocation. */
extern void trace_case_reset(TraceCase *tc);

/* Append src's events (and skipped count) to dst, as if they had come after dst's; returns dst,
 * which may have moved. src is left as it was. */
extern TraceCase *trace_case_absorb(TraceCase *dst, const TraceCase *src);

#endif
