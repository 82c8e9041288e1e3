/*
 * payment_lag.c: the pairing of two kinds of events of one case, the k-th of the first kind with
 * the k-th of the second in time order, and the aggregates over it:
 *
 *   collmine._posting_lag(ts, received): the data template's Payment Posting Lag of one invoice,
 *   the mean over k of its k-th Payment Posted minus its k-th Payment Received, in (ts, ord)
 *   order, over the k that have both; NULL when no k has both. collmine._payment_facts_columns
 *   puts it in the connectors' invoices (_payment_facts_sql) and in collmine.invoice_facts (the
 *   snapshot's one grouped pass over the events), so both read each invoice's events once.
 *
 *   collmine._paired_starts(ts, is_start) and collmine._paired_ends(ts, is_start): the pairs
 *   themselves, as two arrays of equal length (element k of each is the k-th pair's start and
 *   end; an end NULL when the case has fewer ends), which collmine._activity_pairs unnests into
 *   the rows of activity_pairs and of every duration KPI. Both take the same transition state,
 *   so a grouping with both keeps one state per case (PostgreSQL shares it).
 *
 * The state keeps the timestamps of each kind seen (8 bytes each; a NULL time only counted) and
 * the final functions sort each list and pair them by position, so the result does not depend
 * on the input order, on parallel workers or on how partial states are combined. The order key
 * does not take part: it only orders events with equal timestamps, which give the same pairs of
 * timestamps and equal intervals, so the k-th pair is the same whatever it says. NULL times sort
 * after all others, as ORDER BY ts puts them. Each posting-lag difference is PostgreSQL's
 * timestamptz - timestamptz (timestamp_mi), summed with interval_pl and divided with
 * interval_div as avg(interval) does, by calling those very functions: the same values, overflow
 * errors and infinities on every server version as the SQL avg(posted - received) over the
 * pairs. One pair is returned as its difference (no division), as the SQL it replaced did.
 */
#include "compat.h"

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common.h"

PG_FUNCTION_INFO_V1(posting_lag_trans);
PG_FUNCTION_INFO_V1(posting_lag_combine);
PG_FUNCTION_INFO_V1(posting_lag_serialize);
PG_FUNCTION_INFO_V1(posting_lag_deserialize);
PG_FUNCTION_INFO_V1(posting_lag_final);
PG_FUNCTION_INFO_V1(paired_starts_final);
PG_FUNCTION_INFO_V1(paired_ends_final);

/* the two kinds: receipts and postings, or an activity pair's starts and ends */
#define RECEIVED	0
#define POSTED		1
#define LAG_FIRST_CAP	4
/* the most timestamps one list may hold: its bytes stay below MaxAllocSize */
#define LAG_MAX_N	((int32) (MaxAllocSize / sizeof(TimestampTz)))

/* One list of timestamps (receipts or postings), in the aggregate context. */
typedef struct LagList
{
	int32		n;
	int32		cap;
	int32		nulls;			/* NULL times seen: counted only, they sort after ts[n - 1] */
	bool		sorted;			/* ascending as held (input in order: no sort in the final) */
	bool		own;			/* ts allocated apart (false: the state's inline slot) */
	TimestampTz *ts;
} LagList;

/*
 * One invoice's state: its receipts and its postings (or a case's starts and ends). The first
 * timestamp of each list is kept in the state itself: most cases have one of each, so a state
 * is one allocation of 64 bytes (a grouping by case keeps a million of them at once).
 */
typedef struct PostingLagState
{
	LagList		list[2];		/* [RECEIVED], [POSTED] */
	TimestampTz first[2];		/* the lists' storage until they outgrow one timestamp */
} PostingLagState;

/* A new, empty state in cxt. */
static PostingLagState *
lag_state_new(MemoryContext cxt)
{
	PostingLagState *st = MemoryContextAllocZero(cxt, sizeof(PostingLagState));
	int			k;

	for (k = RECEIVED; k <= POSTED; k++)
	{
		st->list[k].sorted = true;
		st->list[k].ts = &st->first[k];
		st->list[k].cap = 1;
	}
	return st;
}

/* An error unless l can take more events (times or NULLs): its pairs must fit in an array. */
static void
lag_list_check(const LagList *l, int64 more)
{
	if ((int64) l->n + l->nulls + more > LAG_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("collmine._posting_lag: more than %d events of one kind in one group", LAG_MAX_N),
				 errhint("Group the events by case (case_id): the posting lag and the activity pairs are facts of one case.")));
}

/* Room for more timestamps in l (allocated in cxt): doubles, so appends cost O(1) each. */
static void
lag_list_reserve(MemoryContext cxt, LagList *l, int64 more)
{
	int64		need = (int64) l->n + more;
	int64		cap = Max(l->cap, LAG_FIRST_CAP);

	if (need <= l->cap)
		return;
	lag_list_check(l, more);
	while (cap < need)
		cap *= 2;
	cap = Min(cap, LAG_MAX_N);
	if (l->own)
		l->ts = repalloc(l->ts, sizeof(TimestampTz) * cap);
	else
	{
		TimestampTz *ts = MemoryContextAlloc(cxt, sizeof(TimestampTz) * cap);

		memcpy(ts, l->ts, sizeof(TimestampTz) * l->n);
		l->ts = ts;
		l->own = true;
	}
	l->cap = (int32) cap;
}

/* Append n timestamps to l, keeping track of whether it is still in ascending order. */
static void
lag_list_append(MemoryContext cxt, LagList *l, const TimestampTz *ts, int32 n)
{
	if (n <= 0)
		return;
	lag_list_reserve(cxt, l, n);
	if (l->sorted && l->n > 0 && ts[0] < l->ts[l->n - 1])
		l->sorted = false;
	memcpy(l->ts + l->n, ts, sizeof(TimestampTz) * n);
	l->n += n;
}

/* The state of argument 0, or a new one in the aggregate context when it is NULL. */
static PostingLagState *
lag_state_arg(FunctionCallInfo fcinfo, MemoryContext cxt)
{
	return PG_ARGISNULL(0) ? lag_state_new(cxt) : (PostingLagState *) PG_GETARG_POINTER(0);
}

/*
 * _posting_lag(ts, received): one receipt (received true) or posting (false); the transition of
 * _paired_starts and _paired_ends too (is_start for received). A NULL kind is left out; a NULL
 * timestamp is counted, after all others as ORDER BY ts sorts it: the pairs keep it (a NULL
 * start or end), the posting lag leaves it out, as the SQL it replaced did (paired after every
 * timestamp, it could only ever give a NULL difference, which avg skips).
 */
Datum
posting_lag_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._posting_lag_trans");
	PostingLagState *st;
	LagList    *l;
	TimestampTz ts;

	if (PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	st = lag_state_arg(fcinfo, cxt);
	l = &st->list[PG_GETARG_BOOL(2) ? RECEIVED : POSTED];
	if (PG_ARGISNULL(1))
	{
		lag_list_check(l, 1);
		l->nulls++;
		PG_RETURN_POINTER(st);
	}
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (l->n < l->cap)
	{
		/* the common case, kept free of calls: room, and often still in order */
		if (l->n > 0 && ts < l->ts[l->n - 1])
			l->sorted = false;
		l->ts[l->n++] = ts;
	}
	else
		lag_list_append(cxt, l, &ts, 1);
	PG_RETURN_POINTER(st);
}

/* Two partial states (parallel workers) as one: each list is the union of both. */
Datum
posting_lag_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._posting_lag_combine");
	PostingLagState *st;
	PostingLagState *other;
	int			k;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (PostingLagState *) PG_GETARG_POINTER(1);
	/* a copy in the aggregate context when there is no left state: never the right one itself */
	st = lag_state_arg(fcinfo, cxt);
	for (k = RECEIVED; k <= POSTED; k++)
	{
		bool		was_sorted = st->list[k].sorted && other->list[k].sorted;

		lag_list_check(&st->list[k], (int64) other->list[k].n + other->list[k].nulls);
		lag_list_append(cxt, &st->list[k], other->list[k].ts, other->list[k].n);
		st->list[k].sorted = st->list[k].sorted && was_sorted;
		st->list[k].nulls += other->list[k].nulls;
	}
	PG_RETURN_POINTER(st);
}

/* The state as bytes: the two counts, the two NULL counts, then the receipts and the postings (8 bytes each). */
Datum
posting_lag_serialize(PG_FUNCTION_ARGS)
{
	PostingLagState *st;
	StringInfoData buf;
	int			k;
	int32		i;

	(void) cm_agg_context(fcinfo, "collmine._posting_lag_serialize");
	st = (PostingLagState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->list[RECEIVED].n);
	pq_sendint32(&buf, st->list[POSTED].n);
	pq_sendint32(&buf, st->list[RECEIVED].nulls);
	pq_sendint32(&buf, st->list[POSTED].nulls);
	for (k = RECEIVED; k <= POSTED; k++)
		for (i = 0; i < st->list[k].n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			pq_sendint64(&buf, st->list[k].ts[i]);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* A state read back from serialize's bytes, checking the counts against the length first. */
Datum
posting_lag_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._posting_lag_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	PostingLagState *st;
	int32		n[2];
	int32		nulls[2];
	int			k;
	int32		i;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 16)
		cm_bad_agg_state("_posting_lag", "state is truncated");
	n[RECEIVED] = pq_getmsgint(&buf, 4);
	n[POSTED] = pq_getmsgint(&buf, 4);
	nulls[RECEIVED] = pq_getmsgint(&buf, 4);
	nulls[POSTED] = pq_getmsgint(&buf, 4);
	for (k = RECEIVED; k <= POSTED; k++)
		if (n[k] < 0 || nulls[k] < 0 || (int64) n[k] + nulls[k] > LAG_MAX_N)
			cm_bad_agg_state("_posting_lag", "inconsistent size");
	if ((int64) buf.len - 16 != ((int64) n[RECEIVED] + n[POSTED]) * (int64) sizeof(int64))
		cm_bad_agg_state("_posting_lag", "inconsistent size");
	st = lag_state_new(cxt);
	for (k = RECEIVED; k <= POSTED; k++)
	{
		LagList    *l = &st->list[k];

		l->nulls = nulls[k];

		lag_list_reserve(cxt, l, n[k]);
		for (i = 0; i < n[k]; i++)
		{
			CHECK_FOR_INTERRUPTS();
			l->ts[i] = (TimestampTz) pq_getmsgint64(&buf);
			if (i > 0 && l->ts[i] < l->ts[i - 1])
				l->sorted = false;
		}
		l->n = n[k];
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Ascending order of timestamps, for qsort. */
static int
lag_ts_cmp(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return (x > y) - (x < y);
}

/*
 * Sort a list that did not arrive in order. In place: the list holds the same timestamps
 * afterwards (only their order, which nothing else reads, changes), so the state stays valid for
 * further transitions and for another final call.
 */
static void
lag_list_sort(LagList *l)
{
	if (!l->sorted)
	{
		qsort(l->ts, l->n, sizeof(TimestampTz), lag_ts_cmp);
		l->sorted = true;
	}
}

/* The mean over k of posted[k] - received[k] (both ascending), k < the shorter list's length. */
Datum
posting_lag_final(PG_FUNCTION_ARGS)
{
	PostingLagState *st;
	LagList    *recv;
	LagList    *post;
	int32		m;
	int32		k;
	Datum		sum;

	(void) cm_agg_context(fcinfo, "collmine._posting_lag_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (PostingLagState *) PG_GETARG_POINTER(0);
	recv = &st->list[RECEIVED];
	post = &st->list[POSTED];
	m = Min(recv->n, post->n);
	if (m == 0)
		PG_RETURN_NULL();
	lag_list_sort(recv);
	lag_list_sort(post);
	sum = DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(post->ts[0]), TimestampTzGetDatum(recv->ts[0]));
	/* one receipt and one posting, the common case: the difference itself, as before */
	if (recv->n == 1 && post->n == 1)
		PG_RETURN_DATUM(sum);
	for (k = 1; k < m; k++)
	{
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(post->ts[k]), TimestampTzGetDatum(recv->ts[k]));
		sum = DirectFunctionCall2(interval_pl, sum, d);
	}
	PG_RETURN_DATUM(DirectFunctionCall2(interval_div, sum, Float8GetDatum((double) m)));
}

/*
 * The first len elements of the list in ascending order as a timestamptz[]: its times, then
 * NULL for each NULL time and for each place past its end (an unmatched start's end).
 */
static Datum
lag_list_array(LagList *l, int32 len)
{
	Datum		small_elems[8];
	bool		small_nulls[8];
	Datum	   *elems = len <= 8 ? small_elems : palloc(sizeof(Datum) * len);
	bool	   *nulls = len <= 8 ? small_nulls : palloc(sizeof(bool) * len);
	int			dims[1] = {len};
	int			lbs[1] = {1};
	int32		i;

	lag_list_sort(l);
	for (i = 0; i < len; i++)
	{
		CHECK_FOR_INTERRUPTS();
		nulls[i] = i >= l->n;
		elems[i] = nulls[i] ? (Datum) 0 : TimestampTzGetDatum(l->ts[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TIMESTAMPTZOID,
											  sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* How many pairs a case has: one per start (the first kind), NULL times included. */
static int32
pair_count(const PostingLagState *st)
{
	return st->list[RECEIVED].n + st->list[RECEIVED].nulls;
}

/* One list of the case's pairs as an array (NULL when the case has no start): kind's k-th in time order. */
static Datum
paired_final(FunctionCallInfo fcinfo, int kind, const char *fname)
{
	PostingLagState *st;

	(void) cm_agg_context(fcinfo, fname);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (PostingLagState *) PG_GETARG_POINTER(0);
	if (pair_count(st) == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(lag_list_array(&st->list[kind], pair_count(st)));
}

/* _paired_starts: the case's starts in time order, one per pair; NULL when it has none. */
Datum
paired_starts_final(PG_FUNCTION_ARGS)
{
	return paired_final(fcinfo, RECEIVED, "collmine._paired_starts_final");
}

/* _paired_ends: the end of each of the case's pairs (the k-th end in time order, NULL when none). */
Datum
paired_ends_final(PG_FUNCTION_ARGS)
{
	return paired_final(fcinfo, POSTED, "collmine._paired_ends_final");
}
