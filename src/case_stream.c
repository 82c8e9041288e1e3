/*
 * case_stream.c: events that arrive one case after another, collected one case at a time, with
 * the input's order checked (case_stream.h).
 *
 * A grouped stream reads runs: rows of one case value in a row. A short run (SHORT_RUN rows at
 * most) may be rows stored away from their case (case_stream.h), so it is set aside (held, by the
 * case's hash) and joined to its case when the case's run comes. A row goes back to an earlier
 * page, before its case's other rows and not far (BPIC 2012 loaded by COPY: at most 21 pages), so
 * a run held for a window of rows (HELD_WINDOW, fewer when work_mem / 256 bytes is less, at least
 * 1,024) whose case has not come is a case of its own, handed on then; so are the runs still
 * held at the end. A log of cases of few events (an invoice generated, paid, posted and settled)
 * thus streams with at most a window's runs held. A longer run is its case, except that it stays
 * open while the runs after it are short: if the case comes back right after them, they were out
 * of place inside it and the case goes on. A case handed on is remembered (its 64-bit hash, in
 * an ascending list while the cases come in ascending order, else in a set: CaseSeen), and a
 * case that comes back after that is refused: it cannot be taken back from the consumer. So
 * every row reaches its case, and a case is handed on once, with all its rows, or the input is
 * refused. Runs joined to a run held before them are few where a table was written case after
 * case (the short rows that went back to an earlier page); where the cases are interleaved (a log
 * in time order) nearly every row is one, so the input is refused when they are more than one in
 * eight rows (once more than 1,024 are), which a log in time order reaches within its first rows.
 */
#include "common.h"
#include "case_stream.h"
#include "stream_parts.h"

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

/*
 * How a case value is known to be above another one without the type's comparison, for the
 * ascending list of the cases handed on (CaseSeen): any strict total order under which values
 * the type finds equal are the same value will do, since the list only needs "above the last
 * one" to mean "none of them".
 */
typedef enum SeenOrder
{
	SEEN_ORDER_NONE,			/* no such order known: every case goes to the set */
	SEEN_ORDER_INT,				/* integers by value (int2, int4, int8, oid, date, timestamps) */
	SEEN_ORDER_BYTES			/* text and varchar in a deterministic collation, uuid: bytewise */
} SeenOrder;

/*
 * The cases handed on. While they are handed on in ascending order (a table written case after
 * case in the order of its ids), each is only its hash appended to a list, and a case above the
 * last one is known to be new without a lookup: at 100M events the set below would be hundreds
 * of megabytes, read at random once per case. Cases handed on below the last one (short runs set
 * aside and handed on later) go to the set. A case that starts at or below the last one is
 * looked up: the list is moved into the set first, and the set then takes every case.
 */
struct CaseSeen
{
	uint64	   *slots;			/* the set: open addressing, 0 marks a free slot */
	uint64		mask;			/* slots - 1, a power of two minus one */
	uint64		used;
	SeenOrder	order;			/* SEEN_ORDER_NONE: no list */
	bool		listing;		/* the list is in use */
	uint64	   *list;			/* hashes of the cases handed on in ascending order */
	uint64		nlist;
	uint64		caplist;
	Datum		top;			/* the last case of the list (owned), when nlist > 0 */
	Datum		bottom;			/* the lowest case handed on while listing (owned), when
								 * nlist > 0: with top, the interval a block range's part
								 * reports (case_stream_seen_bytea) */
};

#define SEEN_INITIAL	1024

static cm_noreturn void refuse(const CaseStream *cs, const char *why);

/*
 * The longest run that may be rows stored away from their case: a few consecutive short rows can
 * go back to the end of one earlier page together (at BPIC 2012's row widths, up to two or three).
 * A genuine case of this few events is set aside too, and handed on at the end.
 */
#define SHORT_RUN		4

/*
 * The most rows a short run stays set aside (fewer when work_mem / 256 bytes is less, at least
 * 1,024): rows go back a few pages at most (BPIC 2012: 21 pages, about 2,300 rows), and a longer
 * window only holds more cases of few events, at a cost in memory and time.
 */
#define HELD_WINDOW		16384

/* An empty set in cxt, with an ascending list when order is not SEEN_ORDER_NONE. */
static CaseSeen *
seen_new(MemoryContext cxt, SeenOrder order)
{
	CaseSeen   *s = MemoryContextAllocZero(cxt, sizeof(CaseSeen));

	s->slots = MemoryContextAllocZero(cxt, SEEN_INITIAL * sizeof(uint64));
	s->mask = SEEN_INITIAL - 1;
	s->used = 0;
	s->order = order;
	s->listing = order != SEEN_ORDER_NONE;
	return s;
}

/* Insert h into slots; false when it was there already. */
static bool
seen_put(uint64 *slots, uint64 mask, uint64 h)
{
	uint64		i = h & mask;

	while (slots[i] != 0)
	{
		if (slots[i] == h)
			return false;
		i = (i + 1) & mask;
	}
	slots[i] = h;
	return true;
}

/* Double the table, so that it stays at most half full and probes stay short. */
static void
seen_grow(CaseSeen *s)
{
	uint64		n = (s->mask + 1) * 2;
	uint64	   *slots;

	if (n * sizeof(uint64) > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many cases to stream")));
	slots = MemoryContextAllocExtended(GetMemoryChunkContext(s->slots), n * sizeof(uint64),
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (uint64 i = 0; i <= s->mask; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (s->slots[i] != 0)
			(void) seen_put(slots, n - 1, s->slots[i]);
	}
	pfree(s->slots);
	s->slots = slots;
	s->mask = n - 1;
}

/* Was h remembered? */
static bool
seen_has(const CaseSeen *s, uint64 h)
{
	uint64		i;

	if (h == 0)
		h = 1;
	for (i = h & s->mask; s->slots[i] != 0; i = (i + 1) & s->mask)
	{
		if (s->slots[i] == h)
			return true;
	}
	return false;
}

/* Remember h (0 is stored as 1); false when it was seen before. */
static bool
seen_add(CaseSeen *s, uint64 h)
{
	if (h == 0)
		h = 1;
	if ((s->used + 1) * 2 > s->mask + 1)
		seen_grow(s);
	if (!seen_put(s->slots, s->mask, h))
		return false;
	s->used++;
	return true;
}

/* The hash as the set stores it (0 marks a free slot, so 0 is stored as 1). */
static inline uint64
seen_slot_value(uint64 h)
{
	return h == 0 ? 1 : h;
}

/* The order of the case column's type for the ascending list (SeenOrder), in collation coll. */
static SeenOrder
seen_order_for(Oid typid, Oid coll, bool byval)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			/* compared as the Datum's integer: not where int8 is passed by reference */
			return byval ? SEEN_ORDER_INT : SEEN_ORDER_NONE;
		case UUIDOID:
			return SEEN_ORDER_BYTES;
		case TEXTOID:
		case VARCHAROID:
			/* equal exactly when their bytes are (a nondeterministic collation is not) */
			return OidIsValid(coll) && get_collation_isdeterministic(coll) ? SEEN_ORDER_BYTES : SEEN_ORDER_NONE;
		default:
			return SEEN_ORDER_NONE;
	}
}

/* Is a above b in the list's order (a strict total order; equal values are the same bytes)? */
static bool
seen_above(const CaseStream *cs, Datum a, Datum b)
{
	if (cs->seen->order == SEEN_ORDER_INT)
		return (int64) a > (int64) b;
	if (cs->typlen > 0)
		return memcmp(DatumGetPointer(a), DatumGetPointer(b), cs->typlen) > 0;
	{
		struct varlena *x = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(a));
		struct varlena *y = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(b));
		Size		xl = VARSIZE_ANY_EXHDR(x),
					yl = VARSIZE_ANY_EXHDR(y);
		int			c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(xl, yl));

		return c > 0 || (c == 0 && xl > yl);
	}
}

/* Move the list into the set, which from now on takes every case; two cases of one hash in the
 * list (a collision) are refused, as the set refuses them. */
static void
seen_stop_listing(CaseStream *cs)
{
	CaseSeen   *s = cs->seen;

	for (uint64 i = 0; i < s->nlist; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!seen_add(s, s->list[i]))
			refuse(cs, CASE_STREAM_NOT_GROUPED);
	}
	if (s->list != NULL)
		pfree(s->list);
	if (s->nlist > 0 && !cs->typbyval)
	{
		pfree(DatumGetPointer(s->top));
		pfree(DatumGetPointer(s->bottom));
	}
	s->list = NULL;
	s->nlist = s->caplist = 0;
	s->listing = false;
}

/* Was the case v (of hash h) handed on already? */
static bool
seen_was_handed_on(CaseStream *cs, Datum v, uint64 h)
{
	CaseSeen   *s = cs->seen;

	if (s->listing)
	{
		/* above the top: above every case of the list, and the set holds only cases below the
		 * top (with an empty list the set is empty too: the first case handed on is listed) */
		if (s->nlist == 0 || seen_above(cs, v, s->top))
			return false;
		seen_stop_listing(cs);
	}
	return seen_has(s, h);
}

/* A copy of case value v in the stream's context, where the list's values live. */
static Datum
seen_copy(const CaseStream *cs, Datum v)
{
	MemoryContext old = MemoryContextSwitchTo(cs->cxt);
	Datum		copy = datumCopy(v, cs->typbyval, cs->typlen);

	MemoryContextSwitchTo(old);
	return copy;
}

/* Remember the case of run r as handed on; false when its hash was there already. A case above
 * the top joins the list and its value becomes the top (taken from r). */
static bool
seen_note(CaseStream *cs, CaseRun *r)
{
	CaseSeen   *s = cs->seen;

	if (s->listing && (s->nlist == 0 || seen_above(cs, r->val, s->top)))
	{
		if (s->nlist == s->caplist)
		{
			s->caplist = Max(s->caplist * 2, SEEN_INITIAL);
			if (s->caplist * sizeof(uint64) > MaxAllocHugeSize)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many cases to stream")));
			s->list = s->list == NULL
				? MemoryContextAllocHuge(cs->cxt, s->caplist * sizeof(uint64))
				: repalloc_huge(s->list, s->caplist * sizeof(uint64));
		}
		s->list[s->nlist] = seen_slot_value(r->hash);
		if (s->nlist == 0)
			s->bottom = seen_copy(cs, r->val);
		else if (!cs->typbyval)
			pfree(DatumGetPointer(s->top));
		s->nlist++;
		s->top = r->val;
		r->val = (Datum) 0;		/* owned by the list now: release_run does not free it */
		return true;
	}
	/* while listing, a case handed on below the top (a run set aside) may be the lowest */
	if (s->listing && seen_above(cs, s->bottom, r->val))
	{
		if (!cs->typbyval)
			pfree(DatumGetPointer(s->bottom));
		s->bottom = seen_copy(cs, r->val);
	}
	return seen_add(s, r->hash);
}

void
case_stream_refuse(const char *who, const char *why, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: %s", who, why),
			 detail != NULL ? errdetail_internal("%s", detail) : 0,
			 errhint("It is used by process_map() and variants() on a log stored case after case; call those instead.")));
	pg_unreachable();
}

/* Refuse the input: the SQL callers catch 22000 with these messages and read the log another way. */
static cm_noreturn void
refuse(const CaseStream *cs, const char *why)
{
	case_stream_refuse(cs->who, why, NULL);
}

/* The same, naming the case and the rule that refused it (after how many rows), for whoever
 * calls the aggregate directly. */
static cm_noreturn void
refuse_case(const CaseStream *cs, const char *why, Datum v, const char *rule)
{
	Oid			out;
	bool		varlena;

	getTypeOutputInfo(cs->typid, &out, &varlena);
	case_stream_refuse(cs->who, why,
					   psprintf("Case %s, at row " INT64_FORMAT ": %s.", OidOutputFunctionCall(out, v), cs->rows, rule));
}

/* A run set aside, in the order held: its case's hash and the row count when it was held. */
typedef struct HeldAge
{
	uint64		hash;
	int64		since;
} HeldAge;

/* The runs set aside: short runs by their case's hash, each for at most window rows. */
struct CaseHeld
{
	HTAB	   *tab;
	int64		n;
	int64		window;			/* rows a run stays held (HELD_WINDOW) */
	int64		joins;			/* runs joined to a run held before them */
	HeldAge    *ages;			/* the runs in the order held (entries gone since are skipped) */
	int64		first;			/* ages[first .. count) are live */
	int64		count;
	int64		cap;
};

typedef struct HeldEntry
{
	uint64		hash;			/* the key */
	int64		since;			/* cs->rows when it was held */
	CaseRun		run;
} HeldEntry;

CaseStream *
case_stream_new(FunctionCallInfo fcinfo, MemoryContext cxt, int case_arg, CaseStreamMode mode,
				const char *who)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, case_arg);
	TypeCacheEntry *tc;
	CaseStream *cs;

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not determine the type of the case column")));
	cs = MemoryContextAllocZero(cxt, sizeof(CaseStream));
	cs->cxt = cxt;
	cs->fcinfo = fcinfo;
	cs->who = who;
	cs->mode = mode;
	cs->collation = PG_GET_COLLATION();
	if (mode == CASE_STREAM_SORTED)
	{
		tc = lookup_type_cache(typid, TYPECACHE_CMP_PROC_FINFO);
		if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("the case column's type %s has no btree ordering", format_type_be(typid)),
					 errhint("Use collmine.process_map() on a table whose case column has a btree index.")));
		cs->cmp = &tc->cmp_proc_finfo;
	}
	else
	{
		HASHCTL		ctl;

		tc = lookup_type_cache(typid, TYPECACHE_EQ_OPR_FINFO | TYPECACHE_HASH_EXTENDED_PROC_FINFO);
		if (!OidIsValid(tc->eq_opr_finfo.fn_oid) || !OidIsValid(tc->hash_extended_proc_finfo.fn_oid))
			refuse(cs, CASE_STREAM_NO_HASH);
		cs->eq = &tc->eq_opr_finfo;
		cs->hash = &tc->hash_extended_proc_finfo;
		cs->seen = seen_new(cxt, seen_order_for(typid, cs->collation, tc->typbyval));
		cs->held = MemoryContextAllocZero(cxt, sizeof(CaseHeld));
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(HeldEntry);
		ctl.hcxt = cxt;
		cs->held->tab = hash_create("collmine rows set aside", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		cs->held->window = Min(Max((int64) work_mem * 1024 / 256, 1024), HELD_WINDOW);
		cs->held->cap = 64;
		cs->held->ages = MemoryContextAlloc(cxt, cs->held->cap * sizeof(HeldAge));
	}
	cs->typid = typid;
	cs->typlen = tc->typlen;
	cs->typbyval = tc->typbyval;
	return cs;
}

/* Are a's and b's bytes the same case value? Inline for values by value and plain or
 * short-header varlenas, which is what a case column holds; datum_image_eq for the rest. */
static inline bool
same_image(const CaseStream *cs, Datum a, Datum b)
{
	if (cs->typbyval)
		return a == b;
	if (cs->typlen == -1)
	{
		const struct varlena *x = (const struct varlena *) DatumGetPointer(a);
		const struct varlena *y = (const struct varlena *) DatumGetPointer(b);

		if (!VARATT_IS_EXTERNAL(x) && !VARATT_IS_COMPRESSED(x) &&
			!VARATT_IS_EXTERNAL(y) && !VARATT_IS_COMPRESSED(y))
			return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
				memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
	}
	return datum_image_eq(a, b, cs->typbyval, cs->typlen);
}

/* Is b the case a (grouped: the type's equality, after the bytes)? */
static bool
same_case(const CaseStream *cs, Datum a, Datum b)
{
	return same_image(cs, a, b) ||
		DatumGetBool(FunctionCall2Coll(cs->eq, cs->collation, a, b));
}

/* The case value's hash in the column's collation (grouped). */
static uint64
case_hash(const CaseStream *cs, Datum v)
{
	return DatumGetUInt64(FunctionCall2Coll(cs->hash, cs->collation, v, Int64GetDatum(0)));
}

/* A collector for a new case: the spare one when there is one. */
static TraceCase *
new_collector(CaseStream *cs)
{
	TraceCase  *tc = cs->spare;

	if (tc != NULL)
	{
		cs->spare = NULL;
		return tc;
	}
	return trace_case_new(cs->fcinfo, cs->cxt);
}

/* Free a run's case value and weight, keeping its collector as the spare (emptied). */
static void
release_run(CaseStream *cs, CaseRun *r)
{
	if (!cs->typbyval && r->val != (Datum) 0)
		pfree(DatumGetPointer(r->val));
	if (r->has_weight)
		pfree(DatumGetPointer(r->weight));
	trace_case_reset(r->tc);
	if (cs->spare == NULL)
		cs->spare = r->tc;
	else
		pfree(r->tc);
	r->tc = NULL;
}

/* Hand a complete case to done, then release it; a grouped case is remembered, once. */
static void
hand_on(CaseStream *cs, CaseRun *r, CaseStreamDone done, void *arg)
{
	TraceData  *t;

	if (cs->mode == CASE_STREAM_GROUPED && !seen_note(cs, r))
		refuse_case(cs, CASE_STREAM_NOT_GROUPED, r->val, "handed on twice");
	t = trace_case_trace(r->tc);
	done(arg, t, r->weight, r->has_weight);
	pfree(t);
	cs->cases++;
	release_run(cs, r);
}

/* Keep w (numeric) as the run's weight when it is the largest so far; on a tie the later value,
 * as max() keeps it, which shows only in its scale (1.0 against 1.00). */
static void
note_weight(CaseStream *cs, CaseRun *r, Datum w)
{
	MemoryContext old;

	if (r->has_weight)
	{
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, r->weight, w)) > 0)
			return;
		pfree(DatumGetPointer(r->weight));
	}
	old = MemoryContextSwitchTo(cs->cxt);
	r->weight = PointerGetDatum(PG_DETOAST_DATUM_COPY(w));
	MemoryContextSwitchTo(old);
	r->has_weight = true;
}

/* Fold a later run's weight into an earlier one's (the later value wins a tie, as above). */
static void
merge_weight(CaseStream *cs, CaseRun *into, CaseRun *later)
{
	if (later->has_weight)
	{
		note_weight(cs, into, later->weight);
		pfree(DatumGetPointer(later->weight));
		later->has_weight = false;
	}
}

/* Count a run joined to a run held before it; refused when they are more than one row in eight
 * (once more than 1,024 are): the cases are interleaved, as in a log in time order. */
static void
note_join(CaseStream *cs, Datum v)
{
	cs->held->joins++;
	if (cs->held->joins > 1024 && cs->held->joins * 8 > cs->rows)
		refuse_case(cs, CASE_STREAM_NOT_GROUPED, v, "too many rows out of place");
}

/* Remember that the case of hash h was held at row since, for hand_on_aged. */
static void
note_age(CaseStream *cs, uint64 h, int64 since)
{
	CaseHeld   *hd = cs->held;

	if (hd->count == hd->cap)
	{
		if (hd->first > hd->cap / 2)
		{
			/* the front half is gone: move the live ones down */
			memmove(hd->ages, hd->ages + hd->first, (hd->count - hd->first) * sizeof(HeldAge));
			hd->count -= hd->first;
			hd->first = 0;
		}
		else
		{
			hd->cap *= 2;
			hd->ages = repalloc_huge(hd->ages, hd->cap * sizeof(HeldAge));
		}
	}
	hd->ages[hd->count].hash = h;
	hd->ages[hd->count].since = since;
	hd->count++;
}

/* Set a short run aside under its case's hash, joined to what is held for the case already. */
static void
hold(CaseStream *cs, CaseRun *r)
{
	bool		found;
	HeldEntry  *e = hash_search(cs->held->tab, &r->hash, HASH_ENTER, &found);

	if (!found)
	{
		cs->held->n++;
		e->since = cs->rows;
		e->run = *r;
		r->tc = NULL;
		note_age(cs, e->hash, e->since);
		return;
	}
	/* more out-of-place rows of the case (or a hash collision, which is refused) */
	if (!same_case(cs, e->run.val, r->val))
		refuse_case(cs, CASE_STREAM_NOT_GROUPED, r->val, "hash collision with a row set aside");
	note_join(cs, r->val);
	e->run.tc = trace_case_absorb(e->run.tc, r->tc);
	merge_weight(cs, &e->run, r);
	release_run(cs, r);
}

/* Hand on the runs held for a window of rows: their case did not come, so each is a case of its
 * own (a later run of one is refused as a case that came back). */
static void
hand_on_aged(CaseStream *cs, CaseStreamDone done, void *arg)
{
	CaseHeld   *hd = cs->held;

	while (hd->first < hd->count && hd->ages[hd->first].since + hd->window <= cs->rows)
	{
		HeldAge		a = hd->ages[hd->first++];
		HeldEntry  *e = hash_search(hd->tab, &a.hash, HASH_FIND, NULL);

		/* gone (joined to its case), or held again since */
		if (e == NULL || e->since != a.since)
			continue;
		hand_on(cs, &e->run, done, arg);
		hash_search(hd->tab, &a.hash, HASH_REMOVE, NULL);
		hd->n--;
	}
}

/*
 * Start a run of case v: refused when the case was handed on already; what was set aside for it
 * becomes the start of its collector, so its rows keep their order.
 */
static void
start_run(CaseStream *cs, Datum v)
{
	uint64		h = case_hash(cs, v);
	HeldEntry  *e;
	MemoryContext old;

	if (seen_was_handed_on(cs, v, h))
		refuse_case(cs, CASE_STREAM_NOT_GROUPED, v, "back after it was complete");
	e = cs->held->n > 0 ? hash_search(cs->held->tab, &h, HASH_FIND, NULL) : NULL;
	if (e != NULL)
	{
		if (!same_case(cs, e->run.val, v))
			refuse_case(cs, CASE_STREAM_NOT_GROUPED, v, "hash collision with a row set aside");
		note_join(cs, v);
		cs->cur = e->run;
		hash_search(cs->held->tab, &h, HASH_REMOVE, NULL);
		cs->held->n--;
	}
	else
	{
		memset(&cs->cur, 0, sizeof(CaseRun));
		cs->cur.tc = new_collector(cs);
		old = MemoryContextSwitchTo(cs->cxt);
		cs->cur.val = datumCopy(v, cs->typbyval, cs->typlen);
		MemoryContextSwitchTo(old);
		cs->cur.hash = h;
	}
	cs->cur.rows = 0;
	cs->have_case = true;
}

/* The current run ends (grouped): set aside if it is short, else kept open for rows out of
 * place. A case held open stays open while the runs after it are short (rows that went back to
 * the end of one page); a longer run completes it (grouped_route). */
static void
end_run(CaseStream *cs)
{
	if (cs->cur.rows <= SHORT_RUN)
		hold(cs, &cs->cur);
	else
	{
		/* a longer run: the case held open before it was completed by its row SHORT_RUN + 1 */
		Assert(!cs->have_open);
		cs->open = cs->cur;
		cs->have_open = true;
	}
	cs->have_case = false;
}

/* The grouped stream's routing of one event's case value v. */
static void
grouped_route(CaseStream *cs, Datum v, CaseStreamDone done, void *arg)
{
	if (cs->have_case && same_case(cs, cs->cur.val, v))
	{
		/* past a short run: the current run is no rows out of place, so the open case is complete */
		if (cs->have_open && cs->cur.rows >= SHORT_RUN)
		{
			hand_on(cs, &cs->open, done, arg);
			cs->have_open = false;
		}
	}
	else if (cs->have_open && same_case(cs, cs->open.val, v))
	{
		/* X, a short run of Y (or short runs of Y, Z, ...), X: those rows were out of place
		 * inside X; X goes on */
		hold(cs, &cs->cur);
		cs->cur = cs->open;
		cs->have_open = false;
	}
	else
	{
		if (cs->have_case)
			end_run(cs);
		start_run(cs, v);
		hand_on_aged(cs, done, arg);
	}
	cs->cur.rows++;
}

/* The sorted stream's routing: a new case when v is greater than the current one, refused when
 * lower; the current case is complete when the next one starts. */
static void
sorted_route(CaseStream *cs, Datum v, CaseStreamDone done, void *arg)
{
	MemoryContext old;

	if (cs->have_case)
	{
		int32		c;

		if (same_image(cs, cs->cur.val, v))
			return;
		c = DatumGetInt32(FunctionCall2Coll(cs->cmp, cs->collation, cs->cur.val, v));
		if (c > 0)
			refuse_case(cs, CASE_STREAM_NOT_SORTED, v, "below the case before it");
		if (c == 0)
			return;
		hand_on(cs, &cs->cur, done, arg);
	}
	memset(&cs->cur, 0, sizeof(CaseRun));
	cs->cur.tc = new_collector(cs);
	old = MemoryContextSwitchTo(cs->cxt);
	cs->cur.val = datumCopy(v, cs->typbyval, cs->typlen);
	MemoryContextSwitchTo(old);
	cs->have_case = true;
}

void
case_stream_add(CaseStream *cs, FunctionCallInfo fcinfo, int case_arg, int act_arg, int ts_arg,
				int ord_arg, int weight_arg, CaseStreamDone done, void *arg)
{
	Datum		v = PG_GETARG_DATUM(case_arg);

	cs->fcinfo = fcinfo;		/* the holder of the query dictionary for a new collector */
	cs->rows++;
	if (cs->mode == CASE_STREAM_SORTED)
		sorted_route(cs, v, done, arg);
	else
		grouped_route(cs, v, done, arg);
	cs->cur.tc = trace_case_add(fcinfo, cs->cur.tc, act_arg, ts_arg, ord_arg);
	if (weight_arg >= 0 && !PG_ARGISNULL(weight_arg))
		note_weight(cs, &cs->cur, PG_GETARG_DATUM(weight_arg));
}

void
case_stream_finish(CaseStream *cs, CaseStreamDone done, void *arg)
{
	if (cs->have_open)
	{
		hand_on(cs, &cs->open, done, arg);
		cs->have_open = false;
	}
	if (cs->have_case)
	{
		hand_on(cs, &cs->cur, done, arg);
		cs->have_case = false;
	}
	if (cs->held != NULL && cs->held->n > 0)
	{
		HASH_SEQ_STATUS it;
		HeldEntry  *e;

		/* each held row whose case never came is a case of its own; in hash order, which no
		 * consumer depends on (a map and the variants' statistics are sums) */
		hash_seq_init(&it, cs->held->tab);
		while ((e = hash_seq_search(&it)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			hand_on(cs, &e->run, done, arg);
		}
		hash_destroy(cs->held->tab);
		cs->held->tab = NULL;
		cs->held->n = 0;
	}
}

/*
 * Append case value v's key, in an order where bytes compared (memcmp, then the shorter first)
 * order values as seen_above does: an integer as 8 big-endian bytes with the sign bit flipped,
 * other values as their bytes. A uint32 length first.
 */
static void
seen_append_key(const CaseStream *cs, Datum v, StringInfo buf)
{
	if (cs->seen->order == SEEN_ORDER_INT)
	{
		uint64		u = (uint64) (int64) v ^ (UINT64CONST(1) << 63);
		char		b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (char) (u >> (56 - 8 * i));
		pq_sendint32(buf, 8);
		pq_sendbytes(buf, b, 8);
	}
	else if (cs->typlen > 0)
	{
		pq_sendint32(buf, cs->typlen);
		pq_sendbytes(buf, DatumGetPointer(v), cs->typlen);
	}
	else
	{
		struct varlena *x = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(v));

		pq_sendint32(buf, VARSIZE_ANY_EXHDR(x));
		pq_sendbytes(buf, VARDATA_ANY(x), VARSIZE_ANY_EXHDR(x));
	}
}

/* The hashes of the cases handed on (the set's, then the list's), unordered, appended. */
static void
seen_append_hashes(const CaseSeen *s, StringInfo buf)
{
	char	   *dst;

	/* one hash more than there are: every slot is written, free ones (0) overwritten by the next */
	enlargeStringInfo(buf, (s->used + s->nlist + 1) * sizeof(uint64));
	dst = buf->data + buf->len;
	for (uint64 i = 0; s->used > 0 && i <= s->mask; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		/* without a branch: half the slots are free, in no pattern a branch could predict */
		memcpy(dst, &s->slots[i], sizeof(uint64));
		dst += (s->slots[i] != 0) * sizeof(uint64);
	}
	if (s->nlist > 0)
	{
		memcpy(dst, s->list, s->nlist * sizeof(uint64));
		dst += s->nlist * sizeof(uint64);
	}
	buf->len = dst - buf->data;
	buf->data[buf->len] = '\0';
}

/* A buffer for n hashes and a header of hdr bytes, or the error when a part is that large. */
static void
seen_buffer(StringInfo buf, uint64 n, Size hdr)
{
	if ((Size) n * sizeof(uint64) + hdr + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many cases in one part of the log"),
				 errhint("Set max_parallel_workers_per_gather higher, or to 0 for a serial read.")));
	initStringInfo(buf);
	enlargeStringInfo(buf, VARHDRSZ + hdr + n * sizeof(uint64));
	appendStringInfoSpaces(buf, VARHDRSZ);
}

bytea *
case_stream_seen_bytea(const CaseStream *cs)
{
	CaseSeen   *s = cs->seen;
	uint64		n = s != NULL ? s->used + s->nlist : 0;
	StringInfoData buf;
	uint64	   *v;

	if (s != NULL && s->listing && s->nlist > 0)
	{
		/* every case handed on lies between the lowest and the list's top: the interval, and the
		 * hashes as they are, sorted by the leader only if the intervals do not settle it */
		StringInfoData keys;

		initStringInfo(&keys);
		pq_sendbyte(&keys, SEEN_PART_INTERVAL);
		seen_append_key(cs, s->bottom, &keys);
		seen_append_key(cs, s->top, &keys);
		seen_buffer(&buf, n, keys.len);
		appendBinaryStringInfo(&buf, keys.data, keys.len);
		seen_append_hashes(s, &buf);
	}
	else
	{
		/* sorted here, in the worker, so that the leader's check is one merge; the kind is
		 * padded to 4 bytes, which puts the hashes on an 8-byte boundary to be sorted in place */
		seen_buffer(&buf, n, SEEN_HASHES_AT);
		pq_sendint32(&buf, (uint32) SEEN_PART_HASHES << 24);
		if (s != NULL)
			seen_append_hashes(s, &buf);
		v = (uint64 *) (buf.data + VARHDRSZ + SEEN_HASHES_AT);
		parts_sort_hashes(v, n);
		/* two cases of one hash (the list does not look its hashes up): refused, as the set does */
		for (uint64 i = 1; i < n; i++)
			if (v[i] == v[i - 1])
				refuse(cs, CASE_STREAM_NOT_GROUPED);
	}
	SET_VARSIZE(buf.data, buf.len);
	return (bytea *) buf.data;
}

