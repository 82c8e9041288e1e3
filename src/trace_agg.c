/*
 * trace_agg.c: the per-case aggregate collmine.trace_agg(activity, ts [, ord]).
 *
 * The state collects events unsorted, with activity names interned once per case; the final
 * function sorts and builds the canonical trace. Because the final order is a total order on
 * the event content, the result does not depend on input order, on how rows were split among
 * parallel workers, or on the order partial states are combined. The state is `internal` with
 * serialize/deserialize so that partial aggregation works; callers never write ORDER BY.
 */
#include "trace.h"

#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common.h"
#include "nametab.h"

PG_FUNCTION_INFO_V1(trace_agg_trans);
PG_FUNCTION_INFO_V1(trace_agg_trans_ord);
PG_FUNCTION_INFO_V1(trace_agg_combine);
PG_FUNCTION_INFO_V1(trace_agg_serialize);
PG_FUNCTION_INFO_V1(trace_agg_deserialize);
PG_FUNCTION_INFO_V1(trace_agg_final);

typedef struct TraceAggState
{
	MemoryContext cxt;			/* the aggregate context that owns everything */
	NameTab		names;			/* interned activity names */
	TraceEvent *ev;				/* events, unsorted; ev[i].name points into names */
	int32		n;
	int32		cap;
	int64		nskipped;		/* NULL activity, NULL or infinite timestamp */
	bool		has_ord;
} TraceAggState;

/* A new empty state in the aggregate context. */
static TraceAggState *
state_new(MemoryContext cxt)
{
	TraceAggState *st = MemoryContextAllocZero(cxt, sizeof(TraceAggState));

	st->cxt = cxt;
	nametab_init(&st->names, cxt, true);
	st->cap = 8;
	st->ev = MemoryContextAlloc(cxt, sizeof(TraceEvent) * st->cap);
	return st;
}

/* Append one event, growing geometrically up to the trace size limit. */
static void
state_add(TraceAggState *st, const char *name, int32 len, TimestampTz ts, int64 ord)
{
	int32		id;

	if (st->n == st->cap)
	{
		if (st->cap >= TRACE_MAX_EVENTS)
			(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);
		st->cap *= 2;
		st->ev = repalloc_huge(st->ev, sizeof(TraceEvent) * st->cap);
	}
	id = nametab_intern(&st->names, name, len);
	st->ev[st->n].name = st->names.names[id];
	st->ev[st->n].len = len;
	st->ev[st->n].ts = ts;
	st->ev[st->n].ord = ord;
	st->n++;
}

/* Shared transition: NULL activity or unusable timestamp is counted, not dropped silently. */
static Datum
trans_common(FunctionCallInfo fcinfo, bool with_ord)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_trans");
	TraceAggState *st = PG_ARGISNULL(0) ? state_new(cxt) : (TraceAggState *) PG_GETARG_POINTER(0);
	TimestampTz ts;
	int64		ord = 0;

	if (with_ord)
	{
		st->has_ord = true;
		/* a NULL order key sorts after every real key at the same timestamp */
		ord = PG_ARGISNULL(3) ? PG_INT64_MAX : PG_GETARG_INT64(3);
		if (!PG_ARGISNULL(3) && ord == PG_INT64_MAX)
			cm_order_key_reserved();
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->nskipped++;
		PG_RETURN_POINTER(st);
	}
	ts = PG_GETARG_TIMESTAMPTZ(2);
	if (!TRACE_TS_USABLE(ts))
	{
		st->nskipped++;
		PG_RETURN_POINTER(st);
	}
	{
		text	   *act = PG_GETARG_TEXT_PP(1);

		state_add(st, VARDATA_ANY(act), VARSIZE_ANY_EXHDR(act), ts, ord);
	}
	PG_RETURN_POINTER(st);
}

/* trace_agg(activity, ts) */
Datum
trace_agg_trans(PG_FUNCTION_ARGS)
{
	return trans_common(fcinfo, false);
}

/* trace_agg(activity, ts, ord) */
Datum
trace_agg_trans_ord(PG_FUNCTION_ARGS)
{
	return trans_common(fcinfo, true);
}

/* Append every event of src to dst (dst owns copies of the names). */
static void
state_merge(TraceAggState *dst, const TraceAggState *src)
{
	int32		i;

	for (i = 0; i < src->n; i++)
		state_add(dst, src->ev[i].name, src->ev[i].len, src->ev[i].ts, src->ev[i].ord);
	dst->nskipped += src->nskipped;
	dst->has_ord |= src->has_ord;
}

/* Combine two partial states; a NULL left state becomes a copy in the aggregate context. */
Datum
trace_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_combine");
	TraceAggState *a = PG_ARGISNULL(0) ? NULL : (TraceAggState *) PG_GETARG_POINTER(0);
	TraceAggState *b = PG_ARGISNULL(1) ? NULL : (TraceAggState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = state_new(cxt);
	state_merge(a, b);
	PG_RETURN_POINTER(a);
}

/* Skipped counts beyond int32 cannot be stored in a trace; say so rather than wrap. */
static int32
skipped_for_trace(int64 nskipped)
{
	if (nskipped > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many events with NULL activity or timestamp in one case: " INT64_FORMAT, nskipped)));
	return (int32) nskipped;
}

/*
 * Serialize: flags, skipped, names, then (ts, ord, name id) per event. Private to one query
 * (parallel workers of the same server), but still read back defensively.
 */
Datum
trace_agg_serialize(PG_FUNCTION_ARGS)
{
	TraceAggState *st = (TraceAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	(void) cm_agg_context(fcinfo, "trace_agg_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->has_ord ? 1 : 0);
	pq_sendint64(&buf, st->nskipped);
	pq_sendint32(&buf, st->names.count);
	for (i = 0; i < st->names.count; i++)
	{
		pq_sendint32(&buf, st->names.lens[i]);
		pq_sendbytes(&buf, st->names.names[i], st->names.lens[i]);
	}
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->ev[i].ts);
		pq_sendint64(&buf, st->ev[i].ord);
		pq_sendint32(&buf, nametab_lookup(&st->names, st->ev[i].name, st->ev[i].len));
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Report a corrupt serialized state. */
static void
bad_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized trace_agg state: %s", what)));
}

/* Deserialize into the aggregate context, checking every count and index. */
Datum
trace_agg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TraceAggState *st = state_new(cxt);
	int32		nnames,
				n,
				i;
	int32	   *ids;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	st->has_ord = pq_getmsgbyte(&buf) != 0;
	st->nskipped = pq_getmsgint64(&buf);
	if (st->nskipped < 0)
		bad_state("negative skipped count");
	nnames = pq_getmsgint(&buf, 4);
	if (nnames < 0 || nnames > buf.len - buf.cursor)
		bad_state("name count does not match the data");
	ids = palloc(sizeof(int32) * Max(nnames, 1));
	for (i = 0; i < nnames; i++)
	{
		int32		len = pq_getmsgint(&buf, 4);
		const char *name;

		if (len < 0 || len > buf.len - buf.cursor)
			bad_state("name length does not match the data");
		name = pq_getmsgbytes(&buf, len);
		ids[i] = nametab_intern(&st->names, name, len);
	}
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * 20 > buf.len - buf.cursor)
		bad_state("event count does not match the data");
	for (i = 0; i < n; i++)
	{
		TimestampTz ts = pq_getmsgint64(&buf);
		int64		ord = pq_getmsgint64(&buf);
		int32		k = pq_getmsgint(&buf, 4);
		int32		id;

		if (k < 0 || k >= nnames)
			bad_state("name index out of range");
		id = ids[k];
		state_add(st, st->names.names[id], st->names.lens[id], ts, ord);
	}
	if (buf.cursor != buf.len)
		bad_state("trailing bytes");
	pfree(ids);
	PG_RETURN_POINTER(st);
}

/* Final: sort a copy of the events and build the canonical trace. */
Datum
trace_agg_final(PG_FUNCTION_ARGS)
{
	TraceAggState *st;
	TraceEvent *copy;
	TraceData  *t;

	(void) cm_agg_context(fcinfo, "trace_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (TraceAggState *) PG_GETARG_POINTER(0);
	copy = palloc_extended(sizeof(TraceEvent) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	memcpy(copy, st->ev, sizeof(TraceEvent) * st->n);
	t = trace_build(copy, st->n, skipped_for_trace(st->nskipped), st->has_ord);
	pfree(copy);
	PG_RETURN_TRACE_P(t);
}
