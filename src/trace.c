/*
 * trace.c: the collmine.trace type: canonical construction, text and binary I/O.
 *
 * A trace is one case's events. trace_build() is the only constructor: it sorts events by
 * (timestamp, order key, activity name bytewise, name length) and builds the activity
 * dictionary in first-occurrence order, so every path into the type (aggregate, text input,
 * binary receive, prefix, projection) yields the same canonical bytes for the same events.
 */
#include "trace.h"

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "nametab.h"
#include "textio.h"

PG_FUNCTION_INFO_V1(trace_in);
PG_FUNCTION_INFO_V1(trace_out);
PG_FUNCTION_INFO_V1(trace_recv);
PG_FUNCTION_INFO_V1(trace_send);
PG_FUNCTION_INFO_V1(trace_from_binary);

/* Bytes of a trace with these counts; errors out instead of overflowing a varlena. */
Size
trace_size(int nevents, int nacts, int names_len)
{
	uint64		size = sizeof(TraceData)
		+ (uint64) nevents * (sizeof(TimestampTz) + sizeof(int64) + sizeof(int32))
		+ (uint64) (nacts + 1) * sizeof(int32)
		+ (uint64) names_len;

	if (nevents > TRACE_MAX_EVENTS || size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trace too large: %d events with %d bytes of activity names", nevents, names_len),
				 errdetail("A trace is stored in one value of at most 1 GB (about 50 million events)."),
				 errhint("Split the case, or check that the GROUP BY column really identifies one case.")));
	return (Size) size;
}

/* The documented tie-break: timestamp, then order key, then activity name bytewise, then length. */
int
trace_event_cmp(const void *a, const void *b)
{
	const TraceEvent *x = (const TraceEvent *) a;
	const TraceEvent *y = (const TraceEvent *) b;
	int			c;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	c = memcmp(x->name, y->name, Min(x->len, y->len));
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Build the canonical trace value from events in any order; sorts the array in place. */
TraceData *
trace_build(TraceEvent *events, int nevents, int nskipped, bool has_ord)
{
	NameTab		dict;
	int32	   *act;
	int			names_len = 0;
	int			i;
	TraceData  *t;
	Size		size;
	int32	   *off;
	char	   *pool;

	if (nevents > TRACE_MAX_EVENTS)
		(void) trace_size(nevents, 0, 0);	/* reports the limit */
	if (nevents > 1)
		qsort(events, nevents, sizeof(TraceEvent), trace_event_cmp);

	/* the dictionary, in first-occurrence order of the sorted events */
	nametab_init(&dict, CurrentMemoryContext, false);
	act = palloc(sizeof(int32) * Max(nevents, 1));
	for (i = 0; i < nevents; i++)
	{
		int			before = dict.count;

		act[i] = nametab_intern(&dict, events[i].name, events[i].len);
		if (dict.count != before)
			names_len += events[i].len;
		if (names_len < 0)
			(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);
	}

	size = trace_size(nevents, dict.count, names_len);
	t = palloc0(size);
	SET_VARSIZE(t, size);
	t->version = TRACE_VERSION;
	t->flags = has_ord ? TRACE_HAS_ORD : 0;
	t->nevents = nevents;
	t->nacts = dict.count;
	t->nskipped = nskipped;
	t->names_len = names_len;

	for (i = 0; i < nevents; i++)
	{
		TraceTs(t)[i] = events[i].ts;
		TraceOrd(t)[i] = events[i].ord;
		TraceAct(t)[i] = act[i];
	}
	off = TraceNameOff(t);
	pool = TraceNames(t);
	off[0] = 0;
	for (i = 0; i < dict.count; i++)
	{
		memcpy(pool + off[i], dict.names[i], dict.lens[i]);
		off[i + 1] = off[i] + dict.lens[i];
	}
	pfree(act);
	nametab_free(&dict);
	return t;
}

/* Linear scan is right here: dictionaries are short and each call looks up one name. */
int
trace_find_activity(const TraceData *t, const char *name, int len)
{
	const int32 *off = TraceNameOff(t);
	const char *pool = TraceNames(t);
	int			a;

	for (a = 0; a < t->nacts; a++)
		if (off[a + 1] - off[a] == len && memcmp(pool + off[a], name, len) == 0)
			return a;
	return -1;
}

/* trace_find_activity for a text argument. */
int
trace_find_activity_text(const TraceData *t, text *name)
{
	return trace_find_activity(t, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
}

/*
 * Stable variant id: 64-bit FNV-1a over each event's activity as a 4-byte little-endian length
 * followed by its bytes. Defined on bytes only, so it is the same on every platform, server
 * version and collmine release; documented in docs/trace.md.
 */
uint64
variant_hash_step(uint64 h, const char *name, int len)
{
	const uint64 prime = UINT64CONST(0x100000001b3);
	const unsigned char *s = (const unsigned char *) name;
	int			k;

	for (k = 0; k < 4; k++)
		h = (h ^ ((uint32) len >> (8 * k) & 0xff)) * prime;
	for (k = 0; k < len; k++)
		h = (h ^ s[k]) * prime;
	return h;
}

/*
 * variant_hash_step(h, name, len) for every h at once, for a name hashed many times: it equals
 * h * *mul + add[h & 0xff] (mod 2^64). Each step h = (h ^ b) * prime adds to h a value that
 * depends only on h's low byte, and the low byte of every step depends only on the first h's low
 * byte, so the whole step is h times prime^(4 + len) plus a constant per low byte: add[j] is
 * read off variant_hash_step(j, ...) itself.
 */
void
variant_hash_step_table(const char *name, int len, uint64 *mul, uint64 *add)
{
	uint64		p = 1;

	for (int k = 0; k < 4 + len; k++)
		p *= UINT64CONST(0x100000001b3);
	*mul = p;
	for (uint64 j = 0; j < 256; j++)
		add[j] = variant_hash_step(j, name, len) - j * p;
}

/* The variant id of a whole trace. */
uint64
trace_variant_hash(const TraceData *t)
{
	uint64		h = VARIANT_HASH_INIT;
	int			i;

	for (i = 0; i < t->nevents; i++)
	{
		int			len;
		const char *name = TraceActName(t, TraceAct(t)[i], &len);

		h = variant_hash_step(h, name, len);
	}
	return h;
}

/* A real order key may not take the value that stands for NULL (it would read back as NULL). */
void
cm_order_key_reserved(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("order key " INT64_FORMAT " is reserved for a NULL order key", TRACE_ORD_NULL),
			 errdetail("A trace stores a NULL order key as the largest bigint, so that it sorts after every real key."),
			 errhint("Use order keys below " INT64_FORMAT ", e.g. ord - 1 or a row number.", TRACE_ORD_NULL)));
	pg_unreachable();
}

/* An event time must be finite to be placed in a trace. */
static void
check_event_time(TimestampTz ts, const char *where)
{
	if (TIMESTAMP_NOT_FINITE(ts) || !IS_VALID_TIMESTAMP(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid trace: event time out of range in %s", where)));
}

/*
 * Text input: {"v":1,"skipped":N,"events":[["activity","timestamp"(,order)?],...]}.
 * Either every event has an order key or none has.
 */
Datum
trace_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	CmReader	r;
	int64		skipped;
	int			n = 0,
				cap = 16;
	int			with_ord = -1;
	TraceEvent *ev = palloc(sizeof(TraceEvent) * cap);

	cm_reader_init(&r, input, "collmine.trace");
	cm_expect(&r, '{');
	cm_expect_version(&r, TRACE_VERSION);
	cm_expect(&r, ',');
	cm_expect_key(&r, "skipped");
	skipped = cm_read_int64(&r);
	if (skipped < 0 || skipped > PG_INT32_MAX)
		cm_syntax_error(&r, "a skipped count between 0 and 2147483647");
	cm_expect(&r, ',');
	cm_expect_key(&r, "events");
	cm_expect(&r, '[');
	if (!cm_accept(&r, ']'))
	{
		do
		{
			bool		has;

			CHECK_FOR_INTERRUPTS();
			if (n == cap)
			{
				if (cap >= TRACE_MAX_EVENTS)
					(void) trace_size(TRACE_MAX_EVENTS + 1, 0, 0);
				cap *= 2;
				ev = repalloc_huge(ev, sizeof(TraceEvent) * cap);
			}
			cm_expect(&r, '[');
			ev[n].name = cm_read_string(&r, &ev[n].len);
			cm_expect(&r, ',');
			ev[n].ts = cm_read_timestamp(&r);
			has = cm_accept(&r, ',');
			if (with_ord == -1)
				with_ord = has;
			else if (with_ord != (int) has)
				cm_syntax_error(&r, has ? "\"]\" (every event has an order key, or none has)"
								: "\",\" and an order key (every event has one, or none has)");
			ev[n].ord = has ? cm_read_int64(&r) : 0;
			cm_expect(&r, ']');
			/* an event no trace can hold (see TRACE_MAX_TS) is skipped, as trace_agg does */
			if (TRACE_TS_USABLE(ev[n].ts))
				n++;
			else if (++skipped > PG_INT32_MAX)
				cm_syntax_error(&r, "a skipped count between 0 and 2147483647");
		} while (cm_accept(&r, ','));
		cm_expect(&r, ']');
	}
	cm_expect(&r, '}');
	cm_expect_end(&r);
	PG_RETURN_TRACE_P(trace_build(ev, n, (int) skipped, with_ord == 1));
}

/* Text output, the form trace_in reads. */
Datum
trace_out(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"skipped\":%d,\"events\":[", TRACE_VERSION, t->nskipped);
	for (i = 0; i < t->nevents; i++)
	{
		int			len;
		const char *name = TraceActName(t, TraceAct(t)[i], &len);

		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '[');
		cm_write_string(&buf, name, len);
		appendStringInfoChar(&buf, ',');
		cm_write_timestamp(&buf, TraceTs(t)[i]);
		if (t->flags & TRACE_HAS_ORD)
			appendStringInfo(&buf, "," INT64_FORMAT, TraceOrd(t)[i]);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* Report inconsistent binary content. */
static void
corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary collmine.trace: %s", what)));
}

/*
 * Binary receive: version, flags, skipped, dictionary, then (ts, ord, act) per event.
 * Every count is checked against the bytes actually left before anything is allocated.
 */
Datum
trace_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				flags,
				nskipped,
				nacts,
				nevents,
				n,
				i;
	const char **names;
	int		   *lens;
	TraceEvent *ev;

	version = pq_getmsgbyte(buf);
	if (version != TRACE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary collmine.trace version %d", version),
				 errhint("This build of collmine reads version %d.", TRACE_VERSION)));
	flags = pq_getmsgbyte(buf);
	if ((flags & ~TRACE_HAS_ORD) != 0)
		corrupt("unknown flags");
	nskipped = pq_getmsgint(buf, 4);
	nacts = pq_getmsgint(buf, 4);
	if (nskipped < 0)
		corrupt("negative skipped count");
	if (nacts < 0 || nacts > buf->len - buf->cursor)
		corrupt("dictionary size does not match the data");
	names = palloc(sizeof(char *) * Max(nacts, 1));
	lens = palloc(sizeof(int) * Max(nacts, 1));
	for (i = 0; i < nacts; i++)
	{
		CHECK_FOR_INTERRUPTS();
		lens[i] = pq_getmsgint(buf, 4);
		if (lens[i] < 0 || lens[i] > buf->len - buf->cursor)
			corrupt("activity name length does not match the data");
		names[i] = pq_getmsgbytes(buf, lens[i]);
		(void) pg_verify_mbstr(GetDatabaseEncoding(), names[i], lens[i], false);
	}
	nevents = pq_getmsgint(buf, 4);
	if (nevents < 0 || (int64) nevents * 20 > buf->len - buf->cursor)
		corrupt("event count does not match the data");
	if (nevents > 0 && nacts == 0)
		corrupt("events without a dictionary");
	ev = palloc(sizeof(TraceEvent) * Max(nevents, 1));
	for (i = 0, n = 0; i < nevents; i++)
	{
		int			a;

		CHECK_FOR_INTERRUPTS();
		ev[i].ts = pq_getmsgint64(buf);
		ev[i].ord = pq_getmsgint64(buf);
		a = pq_getmsgint(buf, 4);
		check_event_time(ev[i].ts, "binary input");
		if (a < 0 || a >= nacts)
			corrupt("activity index out of range");
		if (!(flags & TRACE_HAS_ORD) && ev[i].ord != 0)
			corrupt("order key present without the order-key flag");
		ev[i].name = names[a];
		ev[i].len = lens[a];
		/* an event no trace can hold (see TRACE_MAX_TS) is skipped, as in text input */
		if (TRACE_TS_USABLE(ev[i].ts))
			ev[n++] = ev[i];
		else if (nskipped == PG_INT32_MAX)
			corrupt("skipped count out of range");
		else
			nskipped++;
	}
	if (buf->cursor != buf->len)
		corrupt("trailing bytes");
	PG_RETURN_TRACE_P(trace_build(ev, n, nskipped, (flags & TRACE_HAS_ORD) != 0));
}

/* Binary send, the form trace_recv reads. */
Datum
trace_send(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, TRACE_VERSION);
	pq_sendbyte(&buf, t->flags);
	pq_sendint32(&buf, t->nskipped);
	pq_sendint32(&buf, t->nacts);
	for (i = 0; i < t->nacts; i++)
	{
		int			len;
		const char *name = TraceActName(t, i, &len);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, name, len);
	}
	pq_sendint32(&buf, t->nevents);
	for (i = 0; i < t->nevents; i++)
	{
		CHECK_FOR_INTERRUPTS();
		pq_sendint64(&buf, TraceTs(t)[i]);
		pq_sendint64(&buf, TraceOrd(t)[i]);
		pq_sendint32(&buf, TraceAct(t)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* trace_recv for a bytea: lets tools (and tests) feed the binary form through SQL. */
Datum
trace_from_binary(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	return DirectFunctionCall1(trace_recv, PointerGetDatum(&buf));
}
