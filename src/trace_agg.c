/*
 * trace_agg.c: the per-case aggregate collmine.trace_agg(activity, ts [, ord]).
 *
 * Activity names are interned once per query in a dictionary kept in the support function's
 * fn_extra (so one hash per event, and none when an event repeats the previous event's
 * activity); each case's state is then one allocation: a small header followed by compact
 * (ts, ord, activity id) records, unsorted. The final function sorts those records in place
 * (not at all when they arrived in order) and writes the canonical trace straight from them.
 * Because the final order is a total order on the event content, the result does not depend on
 * input order, on how rows were split among parallel workers, or on the order partial states
 * are combined. The state is `internal` with serialize/deserialize so that partial aggregation
 * works; callers never write ORDER BY.
 */
#include "trace.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common.h"
#include "nametab.h"

PG_FUNCTION_INFO_V1(trace_agg_trans);
PG_FUNCTION_INFO_V1(trace_agg_trans_ord);
PG_FUNCTION_INFO_V1(trace_agg_combine);
PG_FUNCTION_INFO_V1(trace_agg_serialize);
PG_FUNCTION_INFO_V1(trace_agg_deserialize);
PG_FUNCTION_INFO_V1(trace_agg_final);

/* The query-level activity dictionary of one support function (lives in its fn_mcxt). */
typedef struct AggDict
{
	NameTab		tab;			/* name -> dense id, names copied */
	int32		last;			/* id of the last name looked up, or -1 */
	/* scratch for building one trace: local[id] is valid when stamp[id] == gen */
	int32		scratch_cap;
	uint32		gen;
	int32	   *local;
	uint32	   *stamp;
} AggDict;

/* One event in a state: 24 bytes, no pointers. */
typedef struct AggEvent
{
	TimestampTz ts;
	int64		ord;
	int32		act;			/* id in the state's dictionary */
	int32		pad;			/* zero */
} AggEvent;

/* A case's state: one allocation in the aggregate context, events inline. */
typedef struct TraceAggState
{
	AggDict    *dict;			/* the dictionary the act ids refer to */
	int32		n;				/* events held */
	int32		cap;			/* events that fit in this allocation */
	int64		nskipped;		/* NULL activity, NULL or infinite timestamp */
	bool		has_ord;
	bool		sorted;			/* ev[] is in canonical order */
	AggEvent	ev[FLEXIBLE_ARRAY_MEMBER];
} TraceAggState;

#define STATE_HDR	offsetof(TraceAggState, ev)
/* The first allocation holds 4 events in 128 bytes; states grow by doubling their bytes, so every
 * size is one of AllocSet's power-of-two chunks (a typical invoice of 5 to 9 events takes 256,
 * the SSPACE of the aggregate in sql/parts/10_trace.sql). */
#define STATE_FIRST_BYTES	128

/* The dictionary of this support function, created on first use for the rest of the query. */
static AggDict *
dict_for(FunctionCallInfo fcinfo)
{
	AggDict    *d = (AggDict *) fcinfo->flinfo->fn_extra;

	if (d == NULL)
	{
		d = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AggDict));
		nametab_init(&d->tab, fcinfo->flinfo->fn_mcxt, true);
		d->last = -1;
		fcinfo->flinfo->fn_extra = d;
	}
	return d;
}

/* Id of an activity name: the last hit is checked first, then one cheap hash. */
static inline int32
dict_id(AggDict *d, const char *name, int32 len)
{
	int32		last = d->last;
	uint32		h;

	if (last >= 0 && d->tab.lens[last] == len && nametab_equal(d->tab.names[last], name, len))
		return last;
	h = nametab_hash(name, len);
	last = nametab_find(&d->tab, name, len, h);
	if (unlikely(last < 0))
		last = nametab_intern_hashed(&d->tab, name, len, h);
	d->last = last;
	return last;
}

/* Make the build scratch cover every id and start a new generation. */
static void
dict_scratch_begin(AggDict *d)
{
	MemoryContext cxt = d->tab.cxt;

	if (d->scratch_cap < d->tab.count)
	{
		int32		cap = Max(d->tab.count, 16);

		if (d->local)
		{
			pfree(d->local);
			pfree(d->stamp);
		}
		d->local = MemoryContextAllocHuge(cxt, sizeof(int32) * cap);
		d->stamp = MemoryContextAllocHuge(cxt, sizeof(uint32) * cap);
		memset(d->stamp, 0, sizeof(uint32) * cap);
		d->scratch_cap = cap;
		d->gen = 0;
	}
	if (++d->gen == 0)
	{
		memset(d->stamp, 0, sizeof(uint32) * d->scratch_cap);
		d->gen = 1;
	}
}

/* The documented tie-break on two state events: ts, order key, name bytewise, name length. */
static int
event_cmp(const AggEvent *x, const AggEvent *y, const AggDict *d)
{
	int			xl,
				yl,
				c;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	if (x->act == y->act)
		return 0;
	xl = d->tab.lens[x->act];
	yl = d->tab.lens[y->act];
	c = memcmp(d->tab.names[x->act], d->tab.names[y->act], Min(xl, yl));
	if (c != 0)
		return c;
	return (xl > yl) - (xl < yl);
}

/* qsort_arg adapter for event_cmp. */
static int
event_cmp_arg(const void *a, const void *b, void *arg)
{
	return event_cmp((const AggEvent *) a, (const AggEvent *) b, (const AggDict *) arg);
}

/* Bytes of a state holding cap events. */
static Size
state_bytes(int32 cap)
{
	return STATE_HDR + (Size) cap * sizeof(AggEvent);
}

/* A new empty state for at least cap events, in the aggregate context. */
static TraceAggState *
state_new(MemoryContext cxt, AggDict *dict, int32 cap)
{
	Size		bytes = Max(state_bytes(cap), STATE_FIRST_BYTES);
	TraceAggState *st = MemoryContextAllocExtended(cxt, bytes, MCXT_ALLOC_HUGE);

	st->dict = dict;
	st->n = 0;
	st->cap = (int32) ((bytes - STATE_HDR) / sizeof(AggEvent));
	st->nskipped = 0;
	st->has_ord = false;
	st->sorted = true;
	return st;
}

/* Room for extra more events: doubles the allocation (amortised O(1)), up to the trace limit. */
static TraceAggState *
state_reserve(TraceAggState *st, int32 extra)
{
	int64		need = (int64) st->n + extra;
	Size		bytes;

	if (likely(need <= st->cap))
		return st;
	if (need > TRACE_MAX_EVENTS)
		(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);	/* reports the limit */
	bytes = Max(state_bytes(st->cap), STATE_FIRST_BYTES);
	while (bytes < state_bytes((int32) need))
		bytes *= 2;
	st = repalloc_huge(st, bytes);
	st->cap = (int32) Min((bytes - STATE_HDR) / sizeof(AggEvent), TRACE_MAX_EVENTS);
	return st;
}

/* Append one event (room must be reserved); keeps the sorted flag true only while in order. */
static inline void
state_push(TraceAggState *st, int32 act, TimestampTz ts, int64 ord)
{
	AggEvent   *e = &st->ev[st->n];

	e->ts = ts;
	e->ord = ord;
	e->act = act;
	e->pad = 0;
	if (st->sorted && st->n > 0 && event_cmp(e - 1, e, st->dict) > 0)
		st->sorted = false;
	st->n++;
}

/* Shared transition: NULL activity or unusable timestamp is counted, not dropped silently. */
static Datum
trans_common(FunctionCallInfo fcinfo, bool with_ord)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_trans");
	AggDict    *dict = dict_for(fcinfo);
	TraceAggState *st = PG_ARGISNULL(0) ? state_new(cxt, dict, 0) : (TraceAggState *) PG_GETARG_POINTER(0);
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
		int32		id = dict_id(st->dict, VARDATA_ANY(act), VARSIZE_ANY_EXHDR(act));

		st = state_reserve(st, 1);
		state_push(st, id, ts, ord);
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

/* Append every event of src to dst, mapping ids through names when the dictionaries differ. */
static TraceAggState *
state_merge(TraceAggState *dst, const TraceAggState *src)
{
	int32		i;

	dst = state_reserve(dst, src->n);
	for (i = 0; i < src->n; i++)
	{
		const AggEvent *e = &src->ev[i];
		int32		act = e->act;

		if (src->dict != dst->dict)
			act = dict_id(dst->dict, src->dict->tab.names[act], src->dict->tab.lens[act]);
		state_push(dst, act, e->ts, e->ord);
	}
	dst->nskipped += src->nskipped;
	dst->has_ord |= src->has_ord;
	return dst;
}

/*
 * Combine two partial states. The right state is always a fresh deserialized value in the
 * aggregate context (internal states cross plan nodes only serialized), so when the left one
 * has no events the right one is adopted as it is, and otherwise it is freed once merged.
 */
Datum
trace_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_combine");
	TraceAggState *a = PG_ARGISNULL(0) ? NULL : (TraceAggState *) PG_GETARG_POINTER(0);
	TraceAggState *b = PG_ARGISNULL(1) ? NULL : (TraceAggState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL && GetMemoryChunkContext(b) != cxt)
		a = state_new(cxt, b->dict, b->n);
	if (a == NULL || (a->n == 0 && GetMemoryChunkContext(b) == cxt))
	{
		if (a != NULL)
		{
			b->nskipped += a->nskipped;
			b->has_ord |= a->has_ord;
		}
		PG_RETURN_POINTER(b);
	}
	a = state_merge(a, b);
	if (GetMemoryChunkContext(b) == cxt)
		pfree(b);
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
 * Number the activities of a state's events 0, 1, ... in order of first occurrence (in the
 * dictionary's scratch); returns how many, and their total name bytes in *names_len.
 */
static int32
number_local(const TraceAggState *st, int64 *names_len)
{
	AggDict    *d = st->dict;
	int32		nacts = 0;
	int64		bytes = 0;
	int32		i;

	dict_scratch_begin(d);
	for (i = 0; i < st->n; i++)
	{
		int32		a = st->ev[i].act;

		if (d->stamp[a] != d->gen)
		{
			d->stamp[a] = d->gen;
			d->local[a] = nacts++;
			bytes += d->tab.lens[a];
		}
	}
	*names_len = bytes;
	return nacts;
}

/*
 * Serialize: flags, skipped, the state's own names, then (ts, ord, name index) per event.
 * Private to one query (parallel workers of the same server), but still read back defensively.
 */
Datum
trace_agg_serialize(PG_FUNCTION_ARGS)
{
	TraceAggState *st = (TraceAggState *) PG_GETARG_POINTER(0);
	AggDict    *d = st->dict;
	StringInfoData buf;
	int64		names_len;
	int32		nacts,
				i;

	(void) cm_agg_context(fcinfo, "trace_agg_serialize");
	nacts = number_local(st, &names_len);
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, 17 + nacts * 4 + names_len + st->n * 20);
	pq_sendbyte(&buf, st->has_ord ? 1 : 0);
	pq_sendint64(&buf, st->nskipped);
	pq_sendint32(&buf, nacts);
	for (i = 0; i < st->n; i++)
	{
		int32		a = st->ev[i].act;

		/* each name once, at its first occurrence, so that the reader numbers them alike */
		if (d->stamp[a] == d->gen)
		{
			pq_sendint32(&buf, d->tab.lens[a]);
			pq_sendbytes(&buf, d->tab.names[a], d->tab.lens[a]);
			d->stamp[a] = d->gen - 1;	/* written */
		}
	}
	/* the stamps were spent on writing names: number again for the event indexes */
	(void) number_local(st, &names_len);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->ev[i].ts);
		pq_sendint64(&buf, st->ev[i].ord);
		pq_sendint32(&buf, d->local[st->ev[i].act]);
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

/* Deserialize into one allocation in the aggregate context, checking every count and index. */
Datum
trace_agg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "trace_agg_deserialize");
	AggDict    *dict = dict_for(fcinfo);
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TraceAggState *st;
	bool		has_ord;
	int64		nskipped;
	int32		nnames,
				n,
				i;
	int32	   *ids;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	has_ord = pq_getmsgbyte(&buf) != 0;
	nskipped = pq_getmsgint64(&buf);
	if (nskipped < 0)
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
		ids[i] = dict_id(dict, name, len);
	}
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * 20 > buf.len - buf.cursor)
		bad_state("event count does not match the data");
	if (n > TRACE_MAX_EVENTS)
		(void) trace_size(n, 0, 0);
	st = state_new(cxt, dict, n);
	st->has_ord = has_ord;
	st->nskipped = nskipped;
	for (i = 0; i < n; i++)
	{
		TimestampTz ts = pq_getmsgint64(&buf);
		int64		ord = pq_getmsgint64(&buf);
		int32		k = pq_getmsgint(&buf, 4);

		if (k < 0 || k >= nnames)
			bad_state("name index out of range");
		state_push(st, ids[k], ts, ord);
	}
	if (buf.cursor != buf.len)
		bad_state("trailing bytes");
	pfree(ids);
	PG_RETURN_POINTER(st);
}

/* Sort a state's events into canonical order in place; insertion sort for short cases. */
static void
state_sort(TraceAggState *st)
{
	int32		i,
				j;

	if (st->sorted)
		return;
	if (st->n > 16)
		qsort_arg(st->ev, st->n, sizeof(AggEvent), event_cmp_arg, st->dict);
	else
		for (i = 1; i < st->n; i++)
		{
			AggEvent	x = st->ev[i];

			for (j = i; j > 0 && event_cmp(&st->ev[j - 1], &x, st->dict) > 0; j--)
				st->ev[j] = st->ev[j - 1];
			st->ev[j] = x;
		}
	st->sorted = true;
}

/* The canonical trace of a sorted state (the layout of trace.h), written in one pass. */
static TraceData *
trace_from_state(const TraceAggState *st)
{
	AggDict    *d = st->dict;
	int64		names_len;
	int32		nacts = number_local(st, &names_len);
	int32		n = st->n,
				i;
	TraceData  *t;
	Size		size;
	TimestampTz *ts;
	int64	   *ord;
	int32	   *act,
			   *off;
	char	   *pool;

	if (names_len > MaxAllocSize)
		(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);
	size = trace_size(n, nacts, (int) names_len);
	t = palloc(size);
	SET_VARSIZE(t, size);
	t->version = TRACE_VERSION;
	t->flags = st->has_ord ? TRACE_HAS_ORD : 0;
	t->reserved = 0;
	t->nevents = n;
	t->nacts = nacts;
	t->nskipped = skipped_for_trace(st->nskipped);
	t->names_len = (int32) names_len;
	ts = TraceTs(t);
	ord = TraceOrd(t);
	act = TraceAct(t);
	off = TraceNameOff(t);
	pool = TraceNames(t);
	off[0] = 0;
	for (i = 0; i < n; i++)
	{
		const AggEvent *e = &st->ev[i];
		int32		l = d->local[e->act];

		ts[i] = e->ts;
		ord[i] = e->ord;
		act[i] = l;
		/* a local id is written to the pool when it is first met, so in ascending order */
		if (d->stamp[e->act] == d->gen)
		{
			int32		len = d->tab.lens[e->act];

			memcpy(pool + off[l], d->tab.names[e->act], len);
			off[l + 1] = off[l] + len;
			d->stamp[e->act] = d->gen - 1;	/* written */
		}
	}
	return t;
}

/*
 * Final: sort the state's events in place and build the canonical trace from them. Sorting
 * does not change the state's content (the same multiset of events, in the order the trace
 * would have anyway), so the state stays valid for further transitions and final calls, as
 * FINALFUNC_MODIFY = READ_ONLY promises.
 */
Datum
trace_agg_final(PG_FUNCTION_ARGS)
{
	TraceAggState *st;

	(void) cm_agg_context(fcinfo, "trace_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (TraceAggState *) PG_GETARG_POINTER(0);
	state_sort(st);
	PG_RETURN_TRACE_P(trace_from_state(st));
}
