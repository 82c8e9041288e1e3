/*
 * variant_agg.c: collmine._variant_agg(trace), everything variants() reports about one variant
 * in one pass over its cases.
 *
 * variants() groups cases by a 64-bit hash of their activity sequence (_variant_key: an integer
 * key, no text[] built or sorted per case) and runs this aggregate per group. Its state keeps the group's first trace
 * as the representative, the number of cases and of skipped events, and the throughput of every
 * case as int64 microseconds: 8 bytes per case, for the exact median; the group's stable
 * variant id (trace_variant_id) is computed once, from the representative. A hash can collide, so
 * every further trace of the group is checked against the representative: two traces are the
 * same variant exactly when their activity sequences are equal, which for canonical traces
 * (first-occurrence dictionaries) means equal activity index arrays and equal dictionaries. A
 * collision is reported, never merged silently. The state is `internal` with combine,
 * serialize and deserialize, so the grouping runs in parallel workers and partitionwise.
 *
 * The statistics are the ones the SQL aggregates gave before, to the microsecond and in the
 * same interval form: the mean is avg(interval) (days and times summed separately, then
 * interval_div), the median percentile_cont(0.5) (the same two rows and interpolation), min and
 * max the smallest and largest throughput. The file also keeps the older building blocks
 * _variant_rep and _median_interval.
 */
#include "trace.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common.h"
#include "nametab.h"
#include "variant.h"

/* trace.c: the binary form */
extern Datum trace_send(PG_FUNCTION_ARGS);
extern Datum trace_recv(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(variant_rep_trans);
PG_FUNCTION_INFO_V1(median_interval);
PG_FUNCTION_INFO_V1(mean_interval);
PG_FUNCTION_INFO_V1(variant_group_key);
PG_FUNCTION_INFO_V1(variant_agg_trans);
PG_FUNCTION_INFO_V1(variant_agg_combine);
PG_FUNCTION_INFO_V1(variant_agg_serialize);
PG_FUNCTION_INFO_V1(variant_agg_deserialize);
PG_FUNCTION_INFO_V1(variant_agg_final);

/* One variant's state, in the aggregate context (opaque in variant.h). */
struct VariantState
{
	TraceData  *rep;			/* the first trace (stored right behind the state): its activity
								 * sequence is the variant */
	int64		cases;
	int64		skipped;		/* events the cases' traces left out */
	int64		ntp;			/* throughputs held: cases with at least one event */
	int64		cap;
	int64	   *tp;				/* throughputs in microseconds, unordered */
	int64		sum_day;		/* the throughputs summed as avg(interval) sums them: */
	int64		sum_time;		/* the day and time parts separately */
	int64		min_tp;
	int64		max_tp;
};

#define VARIANT_TP_INIT	4

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

/* The error for two different variants in one group (a collision of the 64-bit id or key). */
static void
check_same_variant(const TraceData *rep, const TraceData *t)
{
	uint64		id;

	if (same_variant(rep, t))
		return;
	id = trace_variant_hash(rep);
	if (id == trace_variant_hash(t))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("two different variants have the same 64-bit variant id " INT64_FORMAT, (int64) id),
				 errhint("Group by collmine.trace_activities(trace) for this log, and please report the two variants.")));
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("two different variants have the same 64-bit grouping key (variant ids " INT64_FORMAT " and " INT64_FORMAT ")",
					(int64) id, (int64) trace_variant_hash(t)),
			 errhint("Group by collmine.trace_activities(trace) for this log, and please report the two variants.")));
}

/* Odd 64-bit multipliers of the word mixing below (MurmurHash3's, with well-spread bits). */
#define VK_C1	UINT64CONST(0x87c37b91114253d5)
#define VK_C2	UINT64CONST(0x4cf5ad432745937f)

/* Rotate left by r (0 < r < 64). */
static inline uint64
rotl64(uint64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Mix one 8-byte word into a lane: multiply, rotate, multiply the word, then fold it in. */
static inline uint64
vk_lane(uint64 h, uint64 w)
{
	w *= VK_C1;
	w = rotl64(w, 31);
	w *= VK_C2;
	h ^= w;
	h = rotl64(h, 27);
	return h * 5 + 0x52dce729;
}

/* Final avalanche, so that every input bit moves every key bit (MurmurHash3's fmix64). */
static inline uint64
vk_final(uint64 h)
{
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/*
 * What variants() groups by, a 64-bit hash of the part of a canonical trace that is its variant
 * (activity index array, name offsets and names; equal exactly for the same activity sequence).
 * It reads those bytes 16 at a time in two independent lanes of multiply-rotate mixing, about
 * three times faster per case than hash_bytes_extended (lookup3, 12 bytes a round in one chain),
 * and far faster than the stable variant id (FNV-1a over every event's name, byte by byte),
 * which is computed once per group instead. The key lives only inside one query (grouping and
 * merging the parts of one variants() call), never stored. A collision merges two variants
 * into one group, which variant_state_add reports as an error.
 */
uint64
variant_key(const TraceData *t)
{
	const unsigned char *p = (const unsigned char *) TraceAct(t);
	Size		len = sizeof(int32) * ((Size) t->nevents + t->nacts + 1) + t->names_len;
	uint64		a = (uint64) t->nevents * VK_C1 ^ len,
				b = (uint64) t->nacts * VK_C2 ^ len,
				w1,
				w2;
	Size		i = 0;

	for (; i + 16 <= len; i += 16)
	{
		memcpy(&w1, p + i, 8);
		memcpy(&w2, p + i + 8, 8);
		a = vk_lane(a, w1);
		b = vk_lane(b, w2);
	}
	if (i < len)
	{
		/* the tail, zero-padded: the length mixed in above keeps "x" and "x\0" apart */
		w1 = w2 = 0;
		memcpy(&w1, p + i, Min(len - i, 8));
		if (len - i > 8)
			memcpy(&w2, p + i + 8, len - i - 8);
		a = vk_lane(a, w1);
		b = vk_lane(b, w2);
	}
	return vk_final(a + rotl64(b, 32)) ^ vk_final(b);
}

/* _variant_key(trace): variant_key as a bigint. */
Datum
variant_group_key(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) variant_key(PG_GETARG_TRACE_P(0)));
}

/* Transition and combine of _variant_rep (strict: the first trace of a group becomes the state). */
Datum
variant_rep_trans(PG_FUNCTION_ARGS)
{
	check_same_variant(PG_GETARG_TRACE_P(0), PG_GETARG_TRACE_P(1));
	PG_RETURN_POINTER(PG_GETARG_POINTER(0));
}

/*
 * percentile_cont's value between two neighbouring rows, in its own interval arithmetic:
 * interval_pl(interval_mul(interval_mi(hi, lo), fraction), lo).
 */
static Datum
interpolate_interval(Datum lo, Datum hi, double fraction)
{
	Datum		diff = DirectFunctionCall2(interval_mi, hi, lo);
	Datum		mul = DirectFunctionCall2(interval_mul, diff, Float8GetDatum(fraction));

	return DirectFunctionCall2(interval_pl, mul, lo);
}

/* qsort comparator: interval_cmp, the btree order percentile_cont sorts by. */
static int
interval_sort_cmp(const void *a, const void *b)
{
	return DatumGetInt32(DirectFunctionCall2(interval_cmp, *(const Datum *) a, *(const Datum *) b));
}

/*
 * _median_interval(interval[]): percentile_cont(0.5) of the non-NULL elements, with the same
 * rows (floor and ceil of 0.5 * (n - 1)) and the same interval arithmetic as percentile_cont.
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
	PG_RETURN_DATUM(interpolate_interval(elems[first], elems[second], pos - first));
}

/* A new, empty state for the variant of trace rep, copied behind the state in one allocation. */
static VariantState *
state_new(MemoryContext cxt, const TraceData *rep, int64 cap)
{
	VariantState *st = MemoryContextAlloc(cxt, MAXALIGN(sizeof(VariantState)) + VARSIZE(rep));

	memset(st, 0, sizeof(VariantState));
	st->rep = (TraceData *) ((char *) st + MAXALIGN(sizeof(VariantState)));
	memcpy(st->rep, rep, VARSIZE(rep));
	st->cap = Max(cap, VARIANT_TP_INIT);
	st->tp = MemoryContextAllocHuge(cxt, sizeof(int64) * st->cap);
	st->min_tp = PG_INT64_MAX;
	st->max_tp = PG_INT64_MIN;
	return st;
}

/* Room for n more throughputs (the array doubles, so adding one is amortized constant). */
static void
state_reserve(VariantState *st, int64 n)
{
	int64		cap = st->cap;

	if (st->ntp + n <= cap)
		return;
	while (cap < st->ntp + n)
		cap *= 2;
	st->tp = repalloc_huge(st->tp, sizeof(int64) * cap);
	st->cap = cap;
}

/* The error avg(interval) raises when its sum leaves the range. */
static void
interval_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("interval out of range")));
}

/* Add one case's throughput (microseconds). */
static void
state_add_tp(VariantState *st, int64 us)
{
	Interval	iv;

	cm_usecs_to_interval(us, &iv);
	st->sum_day += iv.day;		/* at most 2^31 per case: int64 cannot overflow here */
	if (pg_add_s64_overflow(st->sum_time, iv.time, &st->sum_time))
		interval_overflow();
	st->tp[st->ntp++] = us;
	st->min_tp = Min(st->min_tp, us);
	st->max_tp = Max(st->max_tp, us);
}

/* One case into its variant's state (variant.h). */
VariantState *
variant_state_add(MemoryContext cxt, VariantState *st, const TraceData *t)
{
	if (st == NULL)
		st = state_new(cxt, t, 0);
	else
		check_same_variant(st->rep, t);
	st->cases++;
	st->skipped += t->nskipped;
	if (t->nevents > 0)
	{
		state_reserve(st, 1);
		state_add_tp(st, cm_usecs_between(TraceTs(t)[0], TraceTs(t)[t->nevents - 1]));
	}
	return st;
}

/* Transition: one case's trace (non-strict, so that the first one creates the state). */
Datum
variant_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "_variant_agg_trans");
	VariantState *st = PG_ARGISNULL(0) ? NULL : (VariantState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	PG_RETURN_POINTER(variant_state_add(cxt, st, PG_GETARG_TRACE_P(1)));
}

/*
 * Fold state b into a (variant.h): b is adopted as it is when a is NULL and b lives in cxt;
 * otherwise its counts and throughputs are added to a, and b is freed when it lives in cxt.
 */
VariantState *
variant_state_combine(MemoryContext cxt, VariantState *a, VariantState *b)
{
	if (b == NULL)
		return a;
	if (a == NULL)
	{
		if (GetMemoryChunkContext(b) == cxt)
			return b;
		a = state_new(cxt, b->rep, b->ntp);
	}
	else
		check_same_variant(a->rep, b->rep);
	a->cases += b->cases;
	a->skipped += b->skipped;
	a->sum_day += b->sum_day;
	if (pg_add_s64_overflow(a->sum_time, b->sum_time, &a->sum_time))
		interval_overflow();
	state_reserve(a, b->ntp);
	memcpy(a->tp + a->ntp, b->tp, sizeof(int64) * b->ntp);
	a->ntp += b->ntp;
	a->min_tp = Min(a->min_tp, b->min_tp);
	a->max_tp = Max(a->max_tp, b->max_tp);
	if (GetMemoryChunkContext(b) == cxt)
	{
		pfree(b->tp);
		pfree(b);
	}
	return a;
}

/* Combine: the right state is a deserialized value in the aggregate context (variant_state_combine). */
Datum
variant_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "_variant_agg_combine");
	VariantState *a = PG_ARGISNULL(0) ? NULL : (VariantState *) PG_GETARG_POINTER(0);
	VariantState *b = PG_ARGISNULL(1) ? NULL : (VariantState *) PG_GETARG_POINTER(1);

	PG_RETURN_POINTER(variant_state_combine(cxt, a, b));
}

/*
 * A state's bytes (variant.h): counts and sums, the throughputs, then the representative in the
 * trace's binary form (trace_send). Private to one query, but read back defensively.
 */
bytea *
variant_state_serialize(const VariantState *st)
{
	bytea	   *rep = DatumGetByteaPP(DirectFunctionCall1(trace_send, PointerGetDatum(st->rep)));
	StringInfoData buf;
	int64		k;

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, 56 + st->ntp * 8 + VARSIZE_ANY_EXHDR(rep));
	pq_sendint64(&buf, st->cases);
	pq_sendint64(&buf, st->skipped);
	pq_sendint64(&buf, st->sum_day);
	pq_sendint64(&buf, st->sum_time);
	pq_sendint64(&buf, st->ntp);
	for (k = 0; k < st->ntp; k++)
		pq_sendint64(&buf, st->tp[k]);
	pq_sendbytes(&buf, VARDATA_ANY(rep), VARSIZE_ANY_EXHDR(rep));
	return pq_endtypsend(&buf);
}

/* Serialize (variant_state_serialize). */
Datum
variant_agg_serialize(PG_FUNCTION_ARGS)
{
	(void) cm_agg_context(fcinfo, "_variant_agg_serialize");
	PG_RETURN_BYTEA_P(variant_state_serialize((VariantState *) PG_GETARG_POINTER(0)));
}

/*
 * A state read back from len bytes of variant_state_serialize's form into cxt (variant.h),
 * checking every count against the bytes left.
 */
VariantState *
variant_state_deserialize(MemoryContext cxt, const char *data, int len)
{
	StringInfoData buf;
	VariantState head;
	VariantState *st;
	int64		ntp,
				k;
	TraceData  *rep;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = buf.len;
	buf.cursor = 0;
	memset(&head, 0, sizeof(head));
	head.cases = pq_getmsgint64(&buf);
	head.skipped = pq_getmsgint64(&buf);
	head.sum_day = pq_getmsgint64(&buf);
	head.sum_time = pq_getmsgint64(&buf);
	ntp = pq_getmsgint64(&buf);
	if (ntp < 0 || ntp > (buf.len - buf.cursor) / 8 || ntp > head.cases || head.skipped < 0 || head.sum_day < 0)
		cm_bad_agg_state("_variant_agg", "counts do not match the data");
	/* the throughputs wait in the buffer until the representative is read from behind them */
	k = buf.cursor;
	buf.cursor += ntp * 8;
	rep = DatumGetTraceP(DirectFunctionCall1(trace_recv, PointerGetDatum(&buf)));
	st = state_new(cxt, rep, ntp);
	st->cases = head.cases;
	st->skipped = head.skipped;
	st->sum_day = head.sum_day;
	st->sum_time = head.sum_time;
	buf.cursor = k;
	for (k = 0; k < ntp; k++)
	{
		int64		us = pq_getmsgint64(&buf);

		if (us < 0)
			cm_bad_agg_state("_variant_agg", "negative throughput");
		st->tp[k] = us;
		st->min_tp = Min(st->min_tp, us);
		st->max_tp = Max(st->max_tp, us);
	}
	st->ntp = ntp;
	return st;
}

/* Deserialize into the aggregate context (variant_state_deserialize). */
Datum
variant_agg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "_variant_agg_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_POINTER(variant_state_deserialize(cxt, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes)));
}

/* Swap two throughputs. */
static inline void
swap_tp(int64 *a, int64 *b)
{
	int64		t = *a;

	*a = *b;
	*b = t;
}

/*
 * Reorder v[0..n) so that v[k] is the value a sort would put there, everything before it no
 * larger and everything after it no smaller (quickselect: linear on average, no extra memory).
 */
static void
select_nth(int64 *v, int64 n, int64 k)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int64		pivot,
					i,
					j;

		CHECK_FOR_INTERRUPTS();
		/* median of three as the pivot, so sorted and reverse-sorted input stay linear */
		if (v[mid] < v[lo])
			swap_tp(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap_tp(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap_tp(&v[hi], &v[mid]);
		pivot = v[mid];
		i = lo;
		j = hi;
		while (i <= j)
		{
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
			{
				swap_tp(&v[i], &v[j]);
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* percentile_cont(0.5) of the throughputs: rows floor and ceil of 0.5 * (n - 1). */
static Datum
median_tp(VariantState *st)
{
	int64		n = st->ntp;
	int64		first = (n - 1) / 2;
	int64		second,
				k;

	select_nth(st->tp, n, first);
	if (n % 2 == 1)
		return cm_usecs_interval(st->tp[first]);
	/* the next row in sort order is the smallest value after the selected one */
	second = st->tp[first + 1];
	for (k = first + 2; k < n; k++)
		second = Min(second, st->tp[k]);
	return interpolate_interval(cm_usecs_interval(st->tp[first]), cm_usecs_interval(second), 0.5);
}

/*
 * avg(interval) of ntp throughputs whose day and time parts sum to sum_day and sum_time: the
 * summed interval divided by the count with interval_div. A sum beyond an interval's days (more
 * than 2^31 days in one variant) made avg() fail; it gives the exact mean in microseconds instead.
 */
static Datum
interval_mean(int64 sum_day, int64 sum_time, int64 ntp)
{
	Interval	sum;

	if (sum_day <= PG_INT32_MAX)
	{
		sum.month = 0;
		sum.day = (int32) sum_day;
		sum.time = sum_time;
		return DirectFunctionCall2(interval_div, IntervalPGetDatum(&sum), Float8GetDatum((double) ntp));
	}
	return cm_usecs_interval((int64) (((int128) sum_day * USECS_PER_DAY + sum_time) / ntp));
}

/* The mean of a variant's throughputs, as avg(interval) would give it. */
static Datum
mean_tp(const VariantState *st)
{
	return interval_mean(st->sum_day, st->sum_time, st->ntp);
}

/*
 * _mean_interval(sum_day, sum_time, n): the same mean from sums taken elsewhere (the Citus form
 * of variants() sums the day and time parts on the shards), so that both forms agree and
 * neither fails where the other answers. NULL for n = 0.
 */
Datum
mean_interval(PG_FUNCTION_ARGS)
{
	int64		sum_day = DatumGetInt64(DirectFunctionCall1(numeric_int8, PG_GETARG_DATUM(0)));
	int64		sum_time = DatumGetInt64(DirectFunctionCall1(numeric_int8, PG_GETARG_DATUM(1)));
	int64		n = PG_GETARG_INT64(2);

	if (n <= 0)
		PG_RETURN_NULL();
	if (sum_day < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("collmine._mean_interval: the summed days must not be negative"),
				 errhint("It sums throughputs, which are never negative.")));
	PG_RETURN_DATUM(interval_mean(sum_day, sum_time, n));
}

/*
 * The variant's sort key: each activity's bytes followed by a zero byte. Compared as bytea
 * (memcmp, then the shorter first) it orders exactly as the activities text[] under COLLATE
 * "C": the first differing activity decides, bytewise; an activity that is a prefix of the
 * other ends in the zero byte, which is below every byte text can hold, so it comes first as
 * in text order; and a sequence that is a prefix of the other has the shorter key.
 */
static Datum
order_key(const TraceData *t)
{
	Size		len = VARHDRSZ + t->nevents;
	bytea	   *key;
	char	   *p;
	int			i;

	for (i = 0; i < t->nevents; i++)
	{
		int			n;

		(void) TraceActName(t, TraceAct(t)[i], &n);
		len += n;
	}
	key = palloc(len);
	SET_VARSIZE(key, len);
	p = VARDATA(key);
	for (i = 0; i < t->nevents; i++)
	{
		int			n;
		const char *name = TraceActName(t, TraceAct(t)[i], &n);

		memcpy(p, name, n);
		p[n] = '\0';
		p += n + 1;
	}
	return PointerGetDatum(key);
}

/* The order of two activity names as order keys order them: bytes, then a prefix first. */
static int
name_order_cmp(const void *a, const void *b, void *arg)
{
	const NameTab *tab = (const NameTab *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;
	int			c = memcmp(tab->names[x], tab->names[y], Min(tab->lens[x], tab->lens[y]));

	if (c != 0)
		return c;
	return tab->lens[x] < tab->lens[y] ? -1 : (tab->lens[x] > tab->lens[y] ? 1 : 0);
}

/*
 * The variant ids of the keys' events, which hold the name ids of tab: trace_variant_hash's
 * value, a name that comes more than 256 times hashed through its step table
 * (variant_hash_step_table) instead of byte by byte.
 */
static void
rank_key_ids(VariantRankKey *keys, int n, const NameTab *tab, const uint32 *ids, Size total)
{
	int64	   *uses = palloc0(Max(tab->count, 1) * sizeof(int64));
	uint64	   *mul = palloc(Max(tab->count, 1) * sizeof(uint64));
	uint64	  **add = palloc0(Max(tab->count, 1) * sizeof(uint64 *));

	for (Size j = 0; j < total; j++)
		uses[ids[j]]++;
	for (int32 id = 0; id < tab->count; id++)
	{
		if (uses[id] <= 256)
			continue;
		add[id] = palloc(256 * sizeof(uint64));
		variant_hash_step_table(tab->names[id], tab->lens[id], &mul[id], add[id]);
	}
	for (int k = 0; k < n; k++)
	{
		uint64		h = VARIANT_HASH_INIT;

		CHECK_FOR_INTERRUPTS();
		for (int32 i = 0; i < keys[k].n; i++)
		{
			uint32		id = keys[k].ranks[i];

			if (add[id] != NULL)
				h = h * mul[id] + add[id][h & 0xff];
			else
				h = variant_hash_step(h, tab->names[id], tab->lens[id]);
		}
		keys[k].id = h;
	}
	for (int32 id = 0; id < tab->count; id++)
		if (add[id] != NULL)
			pfree(add[id]);
	pfree(uses);
	pfree(mul);
	pfree(add);
}

/*
 * Rank keys of the states (variant.h), in one allocation: every distinct name of their
 * representatives is ranked once (name_order_cmp), and each event is written as its name's rank,
 * big-endian, so that memcmp compares two keys as order_key's bytes compare; the variant ids are
 * computed on the way (rank_key_ids).
 */
void
variant_rank_keys(VariantState *const *states, int n, VariantRankKey *keys)
{
	NameTab		tab;
	Size		total = 0;
	Size		off = 0;
	int32		maxacts = 1;
	int32	   *local;
	int32	   *order;
	uint32	   *rank;
	uint32	   *arena;

	for (int k = 0; k < n; k++)
	{
		total += states[k]->rep->nevents;
		maxacts = Max(maxacts, states[k]->rep->nacts);
	}
	nametab_init(&tab, CurrentMemoryContext, false);	/* the representatives outlive it */
	arena = palloc_extended(Max(total, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	local = palloc(maxacts * sizeof(int32));
	for (int k = 0; k < n; k++)
	{
		const TraceData *t = states[k]->rep;
		const int32 *act = TraceAct(t);

		CHECK_FOR_INTERRUPTS();
		for (int32 a = 0; a < t->nacts; a++)
		{
			int			len;
			const char *name = TraceActName(t, a, &len);

			local[a] = nametab_intern(&tab, name, len);
		}
		keys[k].ranks = arena + off;
		keys[k].n = t->nevents;
		for (int32 i = 0; i < t->nevents; i++)
			arena[off + i] = (uint32) local[act[i]];
		off += t->nevents;
	}
	rank_key_ids(keys, n, &tab, arena, total);
	order = palloc(Max(tab.count, 1) * sizeof(int32));
	rank = palloc(Max(tab.count, 1) * sizeof(uint32));
	for (int32 id = 0; id < tab.count; id++)
		order[id] = id;
	qsort_arg(order, tab.count, sizeof(int32), name_order_cmp, &tab);
	for (int32 r = 0; r < tab.count; r++)
		rank[order[r]] = pg_hton32((uint32) r);
	for (Size j = 0; j < total; j++)
	{
		if ((j & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		arena[j] = rank[arena[j]];
	}
	pfree(local);
	pfree(order);
	pfree(rank);
	nametab_free(&tab);
}

/* The order of two order keys (variant_rank_keys): as order_key compares, the shorter first. */
int
variant_rank_key_cmp(const VariantRankKey *a, const VariantRankKey *b)
{
	int			c = memcmp(a->ranks, b->ranks, sizeof(uint32) * Min(a->n, b->n));

	if (c != 0)
		return c;
	return a->n < b->n ? -1 : (a->n > b->n ? 1 : 0);
}

/* The number of cases folded into a state (variant.h). */
int64
variant_state_cases(const VariantState *st)
{
	return st->cases;
}

/* The _variant_stats row of a state (variant.h). */
HeapTuple
variant_state_stats(VariantState *st, TupleDesc desc, const VariantRankKey *key)
{
	Datum		values[VS_NFIELDS];
	bool		nulls[VS_NFIELDS];

	variant_state_stats_values(st, key, values, nulls);
	return heap_form_tuple(desc, values, nulls);
}

/* The field values of the state's _variant_stats row (variant.h). */
void
variant_state_stats_values(VariantState *st, const VariantRankKey *key, Datum *values, bool *nulls)
{
	memset(nulls, 0, sizeof(bool) * VS_NFIELDS);
	values[VS_VARIANT_ID] = Int64GetDatum((int64) (key != NULL ? key->id : trace_variant_hash(st->rep)));
	values[VS_REP] = PointerGetDatum(st->rep);
	if (key == NULL)
		values[VS_ORDER_KEY] = order_key(st->rep);
	else
		nulls[VS_ORDER_KEY] = true;
	values[VS_CASES] = Int64GetDatum(st->cases);
	values[VS_SKIPPED] = Int64GetDatum(st->skipped);
	if (st->ntp == 0)
		nulls[VS_MEAN] = nulls[VS_MEDIAN] = nulls[VS_MIN] = nulls[VS_MAX] = true;
	else
	{
		values[VS_MEAN] = mean_tp(st);
		values[VS_MEDIAN] = median_tp(st);
		values[VS_MIN] = cm_usecs_interval(st->min_tp);
		values[VS_MAX] = cm_usecs_interval(st->max_tp);
	}
}

/* The variant's row of statistics (collmine._variant_stats, fields as in variant.h). */
Datum
variant_agg_final(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;

	(void) cm_agg_context(fcinfo, "_variant_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE || desc->natts != VS_NFIELDS)
		elog(ERROR, "return type must be collmine._variant_stats");
	PG_RETURN_DATUM(HeapTupleGetDatum(variant_state_stats((VariantState *) PG_GETARG_POINTER(0), BlessTupleDesc(desc), NULL)));
}
