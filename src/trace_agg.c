/*
 * trace_agg.c: the per-case aggregate collmine.trace_agg(activity, ts [, ord]).
 *
 * Activity names are interned once per query in a dictionary kept in the support function's
 * fn_extra (one key lookup per event, none when an event repeats the previous event's
 * activity); each case's state is then one allocation: a small header followed by the events
 * delta-encoded in arrival order (TraceAggState). The final function decodes them straight
 * into the canonical trace when they arrived in order, and sorts a decoded copy otherwise.
 * Because the final order is a total order on the event content, the result does not depend on
 * input order, on how rows were split among parallel workers, or on the order partial states
 * are combined. The state is `internal` with serialize/deserialize so that partial aggregation
 * works; callers never write ORDER BY.
 */
#include "trace.h"

#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
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

/* A slot of the dictionary's key index: a name's key and its id (-1: empty). */
typedef struct DictSlot
{
	NameKey		key;
	int32		id;
} DictSlot;

/* The query-level activity dictionary of one support function (lives in its fn_mcxt). */
typedef struct AggDict
{
	NameTab		tab;			/* dense id -> name (copied); ids in insertion order */
	DictSlot   *slots;			/* name key -> id, open addressing, at most half full */
	int32		mask;			/* slots - 1, a power of two minus one */
	int32		last;			/* slot of the last name looked up, or -1 */
	int64		names_total;	/* bytes of all names in tab (bounds a trace's name pool) */
	/* scratch for building one trace: local[id] is valid when stamp[id] == gen */
	int32		scratch_cap;
	uint32		gen;
	int32	   *local;
	uint32	   *stamp;
	int32	   *firsts;			/* ids in order of first occurrence in the trace being built */
} AggDict;

/* One event, decoded (the state holds it encoded, see TraceAggState). */
typedef struct AggEvent
{
	TimestampTz ts;
	int64		ord;
	int32		act;			/* id in the state's dictionary */
	int32		pad;			/* zero */
} AggEvent;

/*
 * A case's state: one allocation in the aggregate context, events inline and delta-encoded in
 * arrival order. An event is a tag byte, then the zigzag difference of its time to the previous
 * event's and the same for its order key (wrapping 64-bit arithmetic, so any two keys have a
 * difference), each in the fewest little-endian bytes that hold it (1 to 8, the tag's two
 * nibbles), then its activity id as a varint. An invoice's events are seconds to weeks apart
 * with consecutive order keys and few activities: 6 to 8 bytes an event instead of the 24 of
 * AggEvent. Both directions are branch-free but for the id: 8-byte stores and loads, masked.
 */
typedef struct TraceAggState
{
	AggDict    *dict;			/* the dictionary the act ids refer to */
	int64		nskipped;		/* NULL activity, NULL or infinite timestamp */
	TimestampTz last_ts;		/* the last event added (0 before the first) */
	int64		last_ord;
	int32		last_act;
	int32		n;				/* events held */
	int32		used;			/* bytes of buf holding events */
	int32		cap;			/* bytes of buf (the allocation after the header) */
	bool		has_ord;
	bool		sorted;			/* events arrived in canonical order */
	uint8		buf[FLEXIBLE_ARRAY_MEMBER];
} TraceAggState;

#define STATE_HDR	offsetof(TraceAggState, buf)
/*
 * An event of lt and lo difference bytes needs 1 + lt + lo + 8 bytes of buf from its start: its
 * writer stores whole 8-byte words where each difference starts (then the activity varint, at
 * most 5 bytes), and a reader loads 8 bytes there. Room is checked against that exact figure, so
 * an invoice of 7 to 8 events fits the first 128 bytes instead of needing 256.
 */
#define EVENT_ROOM(lt, lo)	(1 + (lt) + (lo) + 8)
#define EVENT_MAX_ROOM		EVENT_ROOM(8, 8)
/* The first allocation is 128 bytes; states grow by doubling their bytes, so every size is one of
 * AllocSet's power-of-two chunks. */
#define STATE_FIRST_BYTES	128

/* Empty key-index slots for ids: the table sized at most half full. */
static void
dict_slots_alloc(AggDict *d, int32 nslots)
{
	int32		i;

	d->slots = MemoryContextAllocHuge(d->tab.cxt, sizeof(DictSlot) * nslots);
	for (i = 0; i < nslots; i++)
		d->slots[i].id = -1;
	d->mask = nslots - 1;
}

/* A new dictionary for a support function, kept in its fn_extra for the rest of the query. */
static pg_noinline AggDict *
dict_create(FunctionCallInfo fcinfo)
{
	AggDict    *d = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AggDict));

	nametab_init(&d->tab, fcinfo->flinfo->fn_mcxt, true);
	dict_slots_alloc(d, 64);
	d->last = -1;
	fcinfo->flinfo->fn_extra = d;
	return d;
}

/* The dictionary of this support function, created on first use. */
static pg_attribute_always_inline AggDict *
dict_for(FunctionCallInfo fcinfo)
{
	AggDict    *d = (AggDict *) fcinfo->flinfo->fn_extra;

	return likely(d != NULL) ? d : dict_create(fcinfo);
}

/* Does slot s hold the name with key k? */
static inline bool
dict_slot_is(const AggDict *d, const DictSlot *s, const NameKey *k, const char *name)
{
	return nametab_key_equal(&s->key, k) && nametab_key_rest_equal(d->tab.names[s->id], name, k->len);
}

/* Add a name not yet in the dictionary; doubles the key index when it becomes half full. */
static pg_noinline int32
dict_add(AggDict *d, const NameKey *k, const char *name, int32 i)
{
	int32		id = nametab_intern(&d->tab, name, k->len);

	d->names_total += k->len;
	d->slots[i].key = *k;
	d->slots[i].id = id;
	if (d->tab.count * 2 > d->mask + 1)
	{
		DictSlot   *old = d->slots;
		int32		oldn = d->mask + 1,
					j;

		dict_slots_alloc(d, oldn * 2);
		for (j = 0; j < oldn; j++)
			if (old[j].id >= 0)
			{
				int32		x = nametab_key_hash(&old[j].key) & d->mask;

				while (d->slots[x].id >= 0)
					x = (x + 1) & d->mask;
				d->slots[x] = old[j];
			}
		pfree(old);
	}
	return id;
}

/*
 * Id of an activity name: its key (three word loads) is compared with the last hit's, then
 * looked up in the key index; names of at most 24 bytes are never read again, longer ones only
 * in their middle bytes.
 */
static pg_attribute_always_inline int32
dict_id(AggDict *d, const char *name, int32 len)
{
	NameKey		k = nametab_key(name, len);
	int32		i;

	if (d->last >= 0)
	{
		const DictSlot *s = &d->slots[d->last];

		if (dict_slot_is(d, s, &k, name))
			return s->id;
	}
	for (i = nametab_key_hash(&k) & d->mask;; i = (i + 1) & d->mask)
	{
		const DictSlot *s = &d->slots[i];

		if (s->id < 0)
			break;
		if (dict_slot_is(d, s, &k, name))
		{
			d->last = i;
			return s->id;
		}
	}
	d->last = -1;
	return dict_add(d, &k, name, i);
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
			pfree(d->firsts);
		}
		d->local = MemoryContextAllocHuge(cxt, sizeof(int32) * cap);
		d->stamp = MemoryContextAllocHuge(cxt, sizeof(uint32) * cap);
		d->firsts = MemoryContextAllocHuge(cxt, sizeof(int32) * cap);
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

/* A new empty state with room for at least bytes of events, in the aggregate context. */
static TraceAggState *
state_new(MemoryContext cxt, AggDict *dict, Size bytes)
{
	Size		size = STATE_FIRST_BYTES;
	TraceAggState *st;

	while (size < STATE_HDR + bytes + EVENT_MAX_ROOM)
		size *= 2;
	st = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE);
	st->dict = dict;
	st->cap = (int32) (size - STATE_HDR);
	trace_case_reset(st);
	return st;
}

/* Double a full state's bytes (amortised O(1)); the event limit is checked here. */
static pg_noinline TraceAggState *
state_grow(TraceAggState *st)
{
	Size		size = STATE_HDR + st->cap;

	if (st->n >= TRACE_MAX_EVENTS)
		(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);	/* reports the limit */
	size *= 2;
	st = repalloc_huge(st, size);
	st->cap = (int32) (size - STATE_HDR);
	return st;
}

/* Zigzag: small negative and positive differences both become small unsigned numbers. */
static inline uint64
zigzag(uint64 d)
{
	return (d << 1) ^ (uint64) ((int64) d >> 63);
}

/* Inverse of zigzag. */
static inline uint64
unzigzag(uint64 z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* Write v as a varint; returns the byte after it. */
static inline uint8 *
put_varint(uint8 *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (uint8) v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8) v;
	return p;
}

/* Read a varint written by put_varint (one byte without a loop); returns the byte after it. */
static inline const uint8 *
get_varint(const uint8 *p, uint64 *v)
{
	uint64		r = *p & 0x7f;
	int			shift = 7;

	if (likely(*p < 0x80))
	{
		*v = r;
		return p + 1;
	}
	while (*p++ & 0x80)
	{
		r |= (uint64) (*p & 0x7f) << shift;
		shift += 7;
	}
	*v = r;
	return p;
}

/* Bytes that hold v, 1 to 8. */
static inline int
word_bytes(uint64 v)
{
	return pg_leftmost_one_pos64(v | 1) / 8 + 1;
}

/* Store v's low bytes at p little-endian as a whole 8-byte word (the caller keeps the slack). */
static inline void
put_word(uint8 *p, uint64 v)
{
#ifdef WORDS_BIGENDIAN
	v = pg_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

/* The value of the len (1 to 8) little-endian bytes at p, read as one 8-byte load. */
static inline uint64
get_word(const uint8 *p, int len)
{
	static const uint64 mask[9] = {0, 0xff, 0xffff, 0xffffff, 0xffffffff,
		UINT64CONST(0xffffffffff), UINT64CONST(0xffffffffffff),
	UINT64CONST(0xffffffffffffff), ~UINT64CONST(0)};
	uint64		v;

	memcpy(&v, p, 8);
#ifdef WORDS_BIGENDIAN
	v = pg_bswap64(v);
#endif
	return v & mask[len];
}

/*
 * Append one event, growing the state when its exact room (EVENT_ROOM) is not there; returns the
 * state, which may have moved. Keeps the sorted flag true only while events come in order.
 */
static pg_attribute_always_inline TraceAggState *
state_append(TraceAggState *st, int32 act, TimestampTz ts, int64 ord)
{
	uint64		zts = zigzag((uint64) ts - (uint64) st->last_ts);
	uint64		zord = zigzag((uint64) ord - (uint64) st->last_ord);
	int			lt = word_bytes(zts),
				lo = word_bytes(zord);
	uint8	   *p;

	if (unlikely(st->used + EVENT_ROOM(lt, lo) > st->cap))
		st = state_grow(st);
	if (st->sorted && st->n > 0 &&
		(st->last_ts > ts || (st->last_ts == ts && (st->last_ord > ord ||
													(st->last_ord == ord && st->last_act != act)))))
	{
		/* the rare ties on (ts, ord) are ordered by name */
		AggEvent	prev = {st->last_ts, st->last_ord, st->last_act, 0};
		AggEvent	cur = {ts, ord, act, 0};

		if (event_cmp(&prev, &cur, st->dict) > 0)
			st->sorted = false;
	}
	p = st->buf + st->used;
	*p++ = (uint8) (lt | lo << 4);
	put_word(p, zts);
	p += lt;
	put_word(p, zord);
	p += lo;
	p = put_varint(p, (uint32) act);
	st->used = (int32) (p - st->buf);
	st->last_ts = ts;
	st->last_ord = ord;
	st->last_act = act;
	st->n++;
	return st;
}

/* A reader of a state's events in arrival order. */
typedef struct EventCursor
{
	const uint8 *p;				/* the next event's tag byte */
	uint64		ts;				/* the previous event's time and order key */
	uint64		ord;
} EventCursor;

/* Start reading a state's events. */
static inline void
cursor_begin(EventCursor *c, const TraceAggState *st)
{
	c->p = st->buf;
	c->ts = 0;
	c->ord = 0;
}

/* Decode the next event (the caller counts them: the state's n). */
static pg_attribute_always_inline void
cursor_next(EventCursor *c, AggEvent *e)
{
	const uint8 *p = c->p;
	int			lt = *p & 15,
				lo = *p >> 4;
	uint64		v;

	p++;
	c->ts += unzigzag(get_word(p, lt));
	p += lt;
	c->ord += unzigzag(get_word(p, lo));
	p += lo;
	c->p = get_varint(p, &v);
	e->ts = (TimestampTz) c->ts;
	e->ord = (int64) c->ord;
	e->act = (int32) v;
	e->pad = 0;
}

/* The events of a state decoded in arrival order, palloc'd in the current memory context. */
static AggEvent *
state_events(const TraceAggState *st)
{
	AggEvent   *ev = palloc_extended(sizeof(AggEvent) * Max(st->n, 1), MCXT_ALLOC_HUGE);
	EventCursor c;
	int32		i;

	cursor_begin(&c, st);
	for (i = 0; i < st->n; i++)
		cursor_next(&c, &ev[i]);
	return ev;
}

/* Shared transition: NULL activity or unusable timestamp is counted, not dropped silently. */
static Datum
trans_common(FunctionCallInfo fcinfo, bool with_ord)
{
	TraceAggState *st;

	/* an internal state only ever comes from an aggregate, so the context is checked once */
	if (PG_ARGISNULL(0))
		st = trace_case_new(fcinfo, cm_agg_context(fcinfo, "trace_agg_trans"));
	else
		st = (TraceAggState *) PG_GETARG_POINTER(0);
	PG_RETURN_POINTER(trace_case_add(fcinfo, st, 1, 2, with_ord ? 3 : -1));
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
	AggEvent   *ev = state_events(src);
	int32		i;

	for (i = 0; i < src->n; i++)
	{
		int32		act = ev[i].act;

		CHECK_FOR_INTERRUPTS();
		if (src->dict != dst->dict)
			act = dict_id(dst->dict, src->dict->tab.names[act], src->dict->tab.lens[act]);
		dst = state_append(dst, act, ev[i].ts, ev[i].ord);
	}
	pfree(ev);
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
		a = state_new(cxt, b->dict, b->used);
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
 * Number the activities of events 0, 1, ... in order of first occurrence (in the dictionary's
 * scratch); returns how many, and their total name bytes in *names_len.
 */
static int32
number_local(AggDict *d, const AggEvent *ev, int32 n, int64 *names_len)
{
	int32		nacts = 0;
	int64		bytes = 0;
	int32		i;

	dict_scratch_begin(d);
	for (i = 0; i < n; i++)
	{
		int32		a = ev[i].act;

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
	AggEvent   *ev;
	StringInfoData buf;
	int64		names_len;
	int32		nacts,
				i;

	(void) cm_agg_context(fcinfo, "trace_agg_serialize");
	ev = state_events(st);
	nacts = number_local(d, ev, st->n, &names_len);
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, 17 + nacts * 4 + names_len + st->n * 20);
	pq_sendbyte(&buf, st->has_ord ? 1 : 0);
	pq_sendint64(&buf, st->nskipped);
	pq_sendint32(&buf, nacts);
	for (i = 0; i < st->n; i++)
	{
		int32		a = ev[i].act;

		/* each name once, at its first occurrence, so that the reader numbers them alike */
		if (d->stamp[a] == d->gen)
		{
			pq_sendint32(&buf, d->tab.lens[a]);
			pq_sendbytes(&buf, d->tab.names[a], d->tab.lens[a]);
			d->stamp[a] = d->gen - 1;	/* written */
		}
	}
	/* the stamps were spent on writing names: number again for the event indexes */
	(void) number_local(d, ev, st->n, &names_len);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, ev[i].ts);
		pq_sendint64(&buf, ev[i].ord);
		pq_sendint32(&buf, d->local[ev[i].act]);
	}
	pfree(ev);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
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
		cm_bad_agg_state("trace_agg", "negative skipped count");
	nnames = pq_getmsgint(&buf, 4);
	if (nnames < 0 || nnames > buf.len - buf.cursor)
		cm_bad_agg_state("trace_agg", "name count does not match the data");
	ids = palloc(sizeof(int32) * Max(nnames, 1));
	for (i = 0; i < nnames; i++)
	{
		int32		len = pq_getmsgint(&buf, 4);
		const char *name;

		if (len < 0 || len > buf.len - buf.cursor)
			cm_bad_agg_state("trace_agg", "name length does not match the data");
		name = pq_getmsgbytes(&buf, len);
		ids[i] = dict_id(dict, name, len);
	}
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * 20 > buf.len - buf.cursor)
		cm_bad_agg_state("trace_agg", "event count does not match the data");
	if (n > TRACE_MAX_EVENTS)
		(void) trace_size(n, 0, 0);
	st = state_new(cxt, dict, (Size) n * 8);
	st->has_ord = has_ord;
	st->nskipped = nskipped;
	for (i = 0; i < n; i++)
	{
		TimestampTz ts = pq_getmsgint64(&buf);
		int64		ord = pq_getmsgint64(&buf);
		int32		k = pq_getmsgint(&buf, 4);

		if (k < 0 || k >= nnames)
			cm_bad_agg_state("trace_agg", "name index out of range");
		st = state_append(st, ids[k], ts, ord);
	}
	if (buf.cursor != buf.len)
		cm_bad_agg_state("trace_agg", "trailing bytes");
	pfree(ids);
	PG_RETURN_POINTER(st);
}

/* Sort decoded events into canonical order; insertion sort for short cases. */
static void
events_sort(AggEvent *ev, int32 n, AggDict *d)
{
	int32		i,
				j;

	if (n > 16)
		qsort_arg(ev, n, sizeof(AggEvent), event_cmp_arg, d);
	else
		for (i = 1; i < n; i++)
		{
			AggEvent	x = ev[i];

			for (j = i; j > 0 && event_cmp(&ev[j - 1], &x, d) > 0; j--)
				ev[j] = ev[j - 1];
			ev[j] = x;
		}
}

/* Name pools up to this many bytes are bounded by the whole dictionary when a trace is sized. */
#define ONE_PASS_NAMES_MAX	4096

/* Write the dictionary part of a trace (offsets and name pool) from the first-occurrence ids. */
static void
write_names(TraceData *t, const AggDict *d, int32 nacts)
{
	int32	   *off = TraceNameOff(t);
	char	   *pool = TraceNames(t);
	int32		l;

	off[0] = 0;
	for (l = 0; l < nacts; l++)
	{
		int32		a = d->firsts[l];
		int32		len = d->tab.lens[a];

		memcpy(pool + off[l], d->tab.names[a], len);
		off[l + 1] = off[l] + len;
	}
}

/*
 * The canonical trace of a state's events in canonical order (the layout of trace.h): ev, or
 * when NULL the state itself decoded on the fly (its events arrived in order). One pass over
 * the events: the event arrays sit at offsets that depend only on the event count, so they are
 * written while activities are numbered in first-occurrence order; the dictionary follows. The
 * value is allocated for the largest dictionary it could have (every name of the query's
 * dictionary, when those are few bytes) and given its exact size; with a large query
 * dictionary a first pass over ev counts the trace's own names instead.
 */
static TraceData *
trace_from_events(const TraceAggState *st, const AggEvent *ev)
{
	EventCursor c;
	AggDict    *d = st->dict;
	int32		n = st->n,
				nacts = 0,
				i;
	int64		names_len = 0;
	Size		alloc;
	TraceData  *t;
	TimestampTz *ts;
	int64	   *ord;
	int32	   *act;

	if (d->names_total <= ONE_PASS_NAMES_MAX)
		alloc = trace_size(n, Min(n, d->tab.count), (int) d->names_total);
	else
	{
		int32		exact;

		Assert(ev != NULL);
		exact = number_local(d, ev, n, &names_len);

		if (names_len > MaxAllocSize)
			(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);
		alloc = trace_size(n, exact, (int) names_len);
		names_len = 0;
	}
	t = palloc(alloc);
	ts = TraceTs(t);
	ord = (int64 *) (ts + n);
	act = (int32 *) (ord + n);
	dict_scratch_begin(d);
	cursor_begin(&c, st);
	for (i = 0; i < n; i++)
	{
		AggEvent	dec;
		const AggEvent *e = ev ? &ev[i] : &dec;
		int32		a;

		if (ev == NULL)
			cursor_next(&c, &dec);
		a = e->act;

		ts[i] = e->ts;
		ord[i] = e->ord;
		if (d->stamp[a] != d->gen)
		{
			d->stamp[a] = d->gen;
			d->local[a] = nacts;
			d->firsts[nacts++] = a;
			names_len += d->tab.lens[a];
		}
		act[i] = d->local[a];
	}
	SET_VARSIZE(t, trace_size(n, nacts, (int) names_len));
	t->version = TRACE_VERSION;
	t->flags = st->has_ord ? TRACE_HAS_ORD : 0;
	t->reserved = 0;
	t->nevents = n;
	t->nacts = nacts;
	t->nskipped = skipped_for_trace(st->nskipped);
	t->names_len = (int32) names_len;
	write_names(t, d, nacts);
	return t;
}

/*
 * Final: the canonical trace of the state's events (trace_case_trace). The state itself is not
 * changed, so it stays valid for further transitions and final calls, as FINALFUNC_MODIFY =
 * READ_ONLY promises.
 */
Datum
trace_agg_final(PG_FUNCTION_ARGS)
{
	(void) cm_agg_context(fcinfo, "trace_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TRACE_P(trace_case_trace((TraceAggState *) PG_GETARG_POINTER(0)));
}

/* ---------------------------------------------------------------------------------------------
 * one case's state for aggregates that group the cases themselves (trace.h, dfg_stream.c)
 * ------------------------------------------------------------------------------------------- */

/* An empty case in cxt, using fcinfo's query dictionary. */
TraceCase *
trace_case_new(FunctionCallInfo fcinfo, MemoryContext cxt)
{
	return state_new(cxt, dict_for(fcinfo), 0);
}

/*
 * Add the event in fcinfo's arguments act_arg, ts_arg and ord_arg (-1: no order key), exactly as
 * trace_agg(activity, ts [, ord]) does: a NULL activity or an unusable timestamp is counted as
 * skipped, a NULL order key sorts after every real key at the same timestamp.
 */
TraceCase *
trace_case_add(FunctionCallInfo fcinfo, TraceCase *st, int act_arg, int ts_arg, int ord_arg)
{
	TimestampTz ts;
	int64		ord = 0;

	if (ord_arg >= 0)
	{
		st->has_ord = true;
		ord = PG_ARGISNULL(ord_arg) ? PG_INT64_MAX : PG_GETARG_INT64(ord_arg);
		if (!PG_ARGISNULL(ord_arg) && ord == PG_INT64_MAX)
			cm_order_key_reserved();
	}
	if (PG_ARGISNULL(act_arg) || PG_ARGISNULL(ts_arg))
	{
		st->nskipped++;
		return st;
	}
	ts = PG_GETARG_TIMESTAMPTZ(ts_arg);
	if (!TRACE_TS_USABLE(ts))
	{
		st->nskipped++;
		return st;
	}
	{
		struct varlena *act = (struct varlena *) PG_GETARG_POINTER(act_arg);
		int32		id;

		/* PG_GETARG_TEXT_PP without a call for the usual plain or short-header value */
		if (unlikely(VARATT_IS_COMPRESSED(act) || VARATT_IS_EXTERNAL(act)))
			act = pg_detoast_datum_packed(act);
		id = dict_id(st->dict, VARDATA_ANY(act), VARSIZE_ANY_EXHDR(act));
		return state_append(st, id, ts, ord);
	}
}

/*
 * The canonical trace of a case: events that arrived in order are decoded straight into it,
 * others are decoded, sorted and then written. The case is not changed.
 */
TraceData *
trace_case_trace(TraceCase *st)
{
	AggEvent   *ev;
	TraceData  *t;

	if (st->sorted && st->dict->names_total <= ONE_PASS_NAMES_MAX)
		return trace_from_events(st, NULL);
	ev = state_events(st);
	if (!st->sorted)
		events_sort(ev, st->n, st->dict);
	t = trace_from_events(st, ev);
	pfree(ev);
	return t;
}

/* Append src's events to dst (case_stream.c joins a case's rows stored apart). */
TraceCase *
trace_case_absorb(TraceCase *dst, const TraceCase *src)
{
	return state_merge(dst, src);
}

/* Empty the case for the next one, keeping its allocation (and so its chunk size). */
void
trace_case_reset(TraceCase *st)
{
	st->nskipped = 0;
	st->last_ts = 0;
	st->last_ord = 0;
	st->last_act = -1;
	st->n = 0;
	st->used = 0;
	st->has_ord = false;
	st->sorted = true;
}
