/*
 * case_stream.c: events that arrive one case after another, collected one case at a time, with
 * the input's order checked (case_stream.h).
 */
#include "common.h"
#include "case_stream.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

/* The set of the hashes of the cases seen: open addressing, 0 marks a free slot. */
struct CaseSeen
{
	uint64	   *slots;
	uint64		mask;			/* slots - 1, a power of two minus one */
	uint64		used;
};

#define SEEN_INITIAL	1024

/* An empty set in cxt. */
static CaseSeen *
seen_new(MemoryContext cxt)
{
	CaseSeen   *s = MemoryContextAlloc(cxt, sizeof(CaseSeen));

	s->slots = MemoryContextAllocZero(cxt, SEEN_INITIAL * sizeof(uint64));
	s->mask = SEEN_INITIAL - 1;
	s->used = 0;
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

/* Remember h (never 0); false when it was seen before. */
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

/* Refuse the input: the SQL callers catch 22000 with these messages and read the log another way. */
static pg_attribute_noreturn() void
refuse(const CaseStream *cs, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: %s", cs->who, why),
			 errhint("It is used by process_map() and variants() on a log stored case after case; call those instead.")));
}

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
		tc = lookup_type_cache(typid, TYPECACHE_EQ_OPR_FINFO | TYPECACHE_HASH_EXTENDED_PROC_FINFO);
		if (!OidIsValid(tc->eq_opr_finfo.fn_oid) || !OidIsValid(tc->hash_extended_proc_finfo.fn_oid))
			refuse(cs, CASE_STREAM_NO_HASH);
		cs->eq = &tc->eq_opr_finfo;
		cs->hash = &tc->hash_extended_proc_finfo;
		cs->seen = seen_new(cxt);
	}
	cs->typlen = tc->typlen;
	cs->typbyval = tc->typbyval;
	cs->cur = trace_case_new(fcinfo, cxt);
	return cs;
}

/* Are v's bytes those of the current case value? Inline for values by value and plain or
 * short-header varlenas, which is what a case column holds; datum_image_eq for the rest. */
static inline bool
same_image(const CaseStream *cs, Datum v)
{
	if (cs->typbyval)
		return cs->case_val == v;
	if (cs->typlen == -1)
	{
		const struct varlena *a = (const struct varlena *) DatumGetPointer(cs->case_val);
		const struct varlena *b = (const struct varlena *) DatumGetPointer(v);

		if (!VARATT_IS_EXTERNAL(a) && !VARATT_IS_COMPRESSED(a) &&
			!VARATT_IS_EXTERNAL(b) && !VARATT_IS_COMPRESSED(b))
			return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
				memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
	}
	return datum_image_eq(cs->case_val, v, cs->typbyval, cs->typlen);
}

/*
 * Does v start a new case? Equal bytes are the same case without a call; otherwise the type's
 * comparison (sorted) or equality (grouped) decides. A lower value in a sorted stream, or a case
 * seen before in a grouped one, refuses the input.
 */
static bool
starts_case(CaseStream *cs, Datum v)
{
	if (same_image(cs, v))
		return false;
	if (cs->mode == CASE_STREAM_SORTED)
	{
		int32		c = DatumGetInt32(FunctionCall2Coll(cs->cmp, cs->collation, cs->case_val, v));

		if (c > 0)
			refuse(cs, CASE_STREAM_NOT_SORTED);
		return c < 0;
	}
	return !DatumGetBool(FunctionCall2Coll(cs->eq, cs->collation, cs->case_val, v));
}

/* Make v the current case; in a grouped stream, refuse it when its hash was seen. */
static void
begin_case(CaseStream *cs, Datum v)
{
	MemoryContext old;

	if (cs->mode == CASE_STREAM_GROUPED)
	{
		uint64		h = DatumGetUInt64(FunctionCall2Coll(cs->hash, cs->collation, v, Int64GetDatum(0)));

		if (!seen_add(cs->seen, h))
			refuse(cs, CASE_STREAM_NOT_GROUPED);
	}
	if (cs->have_case && !cs->typbyval)
		pfree(DatumGetPointer(cs->case_val));
	old = MemoryContextSwitchTo(cs->cxt);
	cs->case_val = datumCopy(v, cs->typbyval, cs->typlen);
	MemoryContextSwitchTo(old);
	cs->have_case = true;
}

/* Hand the collected case to done and empty it. */
static void
finish_case(CaseStream *cs, CaseStreamDone done, void *arg)
{
	TraceData  *t = trace_case_trace(cs->cur);

	done(arg, t);
	pfree(t);
	trace_case_reset(cs->cur);
	cs->cases++;
}

bool
case_stream_add(CaseStream *cs, FunctionCallInfo fcinfo, int case_arg, int act_arg, int ts_arg,
				int ord_arg, CaseStreamDone done, void *arg)
{
	Datum		v = PG_GETARG_DATUM(case_arg);
	bool		started = false;

	if (!cs->have_case || starts_case(cs, v))
	{
		if (cs->have_case)
			finish_case(cs, done, arg);
		begin_case(cs, v);
		started = true;
	}
	cs->cur = trace_case_add(fcinfo, cs->cur, act_arg, ts_arg, ord_arg);
	return started;
}

void
case_stream_finish(CaseStream *cs, CaseStreamDone done, void *arg)
{
	if (!cs->have_case)
		return;
	finish_case(cs, done, arg);
	cs->have_case = false;
}
