/*
 * dfg_io.c: text and binary forms of collmine.dfg.
 *
 * Text form (version 1), keys in this fixed order, independent of locale and every GUC:
 *
 *   {"v":1,"filtered":false,"cases":6,"events":42,"skipped":0,"weight":0.0000,
 *    "activities":[{"name":"decide","events":9,"cases":6,"starts":0,"ends":0,"weight":0.0000},...],
 *    "edges":[{"from":0,"to":1,"count":6,"cases":6,"weight":0.0000,"min":60000000,
 *              "max":...,"sum":...,"zero":0,"sketch":[[index,count],...]},...]}
 *
 * Activities are sorted bytewise by name; edges refer to them by 0-based position and are sorted
 * by (from, to). Weights are decimals with exactly four fractional digits; durations are integer
 * microseconds; sketch pairs are (log bucket, count) in ascending bucket order. Binary send/recv
 * carries the same content in network byte order. Both inputs are checked by dfg_validate.
 */
#include "dfg.h"

#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "textio.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(dfg_in);
PG_FUNCTION_INFO_V1(dfg_out);
PG_FUNCTION_INFO_V1(dfg_recv);
PG_FUNCTION_INFO_V1(dfg_send);
PG_FUNCTION_INFO_V1(dfg_from_binary);

/* Read a weight written as a decimal with exactly four fractional digits, e.g. -12.5000. */
static int128
read_weight(CmReader *r)
{
	const char *form = "a weight with four decimals, such as 12.5000";
	bool		neg = false;
	int128		v;
	int			i;

	cm_skip_ws(r);
	if (*r->p == '-')
	{
		neg = true;
		r->p++;
	}
	if (*r->p < '0' || *r->p > '9')
		cm_syntax_error(r, form);
	v = cm_read_int128(r);
	/* the range itself is dfg_validate's (the same for binary input); here only no overflow */
	if (v > CM_INT128_MAX / DFG_WEIGHT_SCALE - 1)
		cm_syntax_error(r, "a weight within range");
	if (*r->p != '.')
		cm_syntax_error(r, form);
	r->p++;
	for (i = 0; i < 4; i++)
	{
		if (r->p[i] < '0' || r->p[i] > '9')
			cm_syntax_error(r, form);
		v = v * 10 + (r->p[i] - '0');
	}
	r->p += 4;
	if (*r->p >= '0' && *r->p <= '9')
		cm_syntax_error(r, form);
	return neg ? -v : v;
}

/* Write a weight as a decimal with exactly four fractional digits. */
static void
write_weight(StringInfo buf, int128 w)
{
	appendStringInfoString(buf, dfg_weight_to_cstring(w, false));
}

/* Read "key": int64. */
static int64
read_int64_field(CmReader *r, const char *key)
{
	cm_expect_key(r, key);
	return cm_read_int64(r);
}

/* A parsed activity before the flat value is built. */
typedef struct ParsedAct
{
	char	   *name;
	int			len;
	DfgAct		s;
} ParsedAct;

/* Growable array helper: make room for one more element of size sz. */
static void *
grow(void *arr, int n, int *cap, Size sz, int limit, const char *what)
{
	if (n < *cap)
		return arr;
	if (n >= limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("collmine.dfg value has more than %d %s", limit, what)));
	*cap = (*cap == 0) ? 16 : *cap * 2;
	return arr ? repalloc_huge(arr, (Size) *cap * sz) : palloc((Size) *cap * sz);
}

/* Build the flat value from parsed parts; validate separately. */
static DfgData *
build_flat(DfgData *hdr, ParsedAct *acts, DfgEdge *edges, SketchBucket *buckets)
{
	Size		size = dfg_size(hdr->nacts, hdr->nedges, hdr->nbuckets, hdr->names_len);
	DfgData    *d = palloc0(size);
	int32	   *off;
	char	   *names;
	int			a,
				pos = 0;

	*d = *hdr;
	SET_VARSIZE(d, size);
	off = DfgNameOff(d);
	names = DfgNames(d);
	for (a = 0; a < d->nacts; a++)
	{
		DfgActs(d)[a] = acts[a].s;
		off[a] = pos;
		memcpy(names + pos, acts[a].name, acts[a].len);
		pos += acts[a].len;
	}
	off[d->nacts] = pos;
	if (d->nedges > 0)
		memcpy(DfgEdges(d), edges, sizeof(DfgEdge) * d->nedges);
	if (d->nbuckets > 0)
		memcpy(DfgBuckets(d), buckets, sizeof(SketchBucket) * d->nbuckets);
	return d;
}

/* Text input: the JSON form above, strictly, then every invariant. */
Datum
dfg_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	CmReader	r;
	DfgData		hdr;
	ParsedAct  *acts = NULL;
	DfgEdge    *edges = NULL;
	SketchBucket *buckets = NULL;
	int			acts_cap = 0,
				edges_cap = 0,
				buckets_cap = 0;
	int64		names_len = 0;
	DfgData    *d;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = DFG_VERSION;
	cm_reader_init(&r, input, "collmine.dfg");
	cm_expect(&r, '{');
	cm_expect_version(&r, DFG_VERSION);
	cm_expect(&r, ',');
	cm_expect_key(&r, "filtered");
	cm_skip_ws(&r);
	if (strncmp(r.p, "true", 4) == 0)
	{
		hdr.flags = DFG_FILTERED;
		r.p += 4;
	}
	else if (strncmp(r.p, "false", 5) == 0)
		r.p += 5;
	else
		cm_syntax_error(&r, "true or false");
	cm_expect(&r, ',');
	hdr.cases = read_int64_field(&r, "cases");
	cm_expect(&r, ',');
	hdr.events = read_int64_field(&r, "events");
	cm_expect(&r, ',');
	hdr.skipped = read_int64_field(&r, "skipped");
	cm_expect(&r, ',');
	cm_expect_key(&r, "weight");
	hdr.weight = read_weight(&r);
	cm_expect(&r, ',');

	cm_expect_key(&r, "activities");
	cm_expect(&r, '[');
	if (!cm_accept(&r, ']'))
	{
		do
		{
			ParsedAct  *a;

			CHECK_FOR_INTERRUPTS();
			acts = grow(acts, hdr.nacts, &acts_cap, sizeof(ParsedAct), DFG_MAX_ACTS, "activities");
			a = &acts[hdr.nacts];
			cm_expect(&r, '{');
			cm_expect_key(&r, "name");
			a->name = cm_read_string(&r, &a->len);
			cm_expect(&r, ',');
			a->s.events = read_int64_field(&r, "events");
			cm_expect(&r, ',');
			a->s.cases = read_int64_field(&r, "cases");
			cm_expect(&r, ',');
			a->s.starts = read_int64_field(&r, "starts");
			cm_expect(&r, ',');
			a->s.ends = read_int64_field(&r, "ends");
			cm_expect(&r, ',');
			cm_expect_key(&r, "weight");
			a->s.weight = read_weight(&r);
			cm_expect(&r, '}');
			names_len += a->len;
			if (names_len > MaxAllocSize)
				cm_syntax_error(&r, "shorter activity names");
			hdr.nacts++;
		} while (cm_accept(&r, ','));
		cm_expect(&r, ']');
	}
	hdr.names_len = (int32) names_len;
	cm_expect(&r, ',');

	cm_expect_key(&r, "edges");
	cm_expect(&r, '[');
	if (!cm_accept(&r, ']'))
	{
		do
		{
			DfgEdge    *x;
			int64		v;

			CHECK_FOR_INTERRUPTS();
			edges = grow(edges, hdr.nedges, &edges_cap, sizeof(DfgEdge), DFG_MAX_EDGES, "edges");
			x = &edges[hdr.nedges];
			memset(x, 0, sizeof(DfgEdge));
			cm_expect(&r, '{');
			v = read_int64_field(&r, "from");
			if (v < 0 || v >= hdr.nacts)
				cm_syntax_error(&r, "an activity position within the activities list");
			x->from = (int32) v;
			cm_expect(&r, ',');
			v = read_int64_field(&r, "to");
			if (v < 0 || v >= hdr.nacts)
				cm_syntax_error(&r, "an activity position within the activities list");
			x->to = (int32) v;
			cm_expect(&r, ',');
			x->count = read_int64_field(&r, "count");
			cm_expect(&r, ',');
			x->cases = read_int64_field(&r, "cases");
			cm_expect(&r, ',');
			cm_expect_key(&r, "weight");
			x->weight = read_weight(&r);
			cm_expect(&r, ',');
			x->min = read_int64_field(&r, "min");
			cm_expect(&r, ',');
			x->max = read_int64_field(&r, "max");
			cm_expect(&r, ',');
			cm_expect_key(&r, "sum");
			x->sum = cm_read_int128(&r);
			cm_expect(&r, ',');
			x->zero = read_int64_field(&r, "zero");
			cm_expect(&r, ',');
			cm_expect_key(&r, "sketch");
			cm_expect(&r, '[');
			x->bucket_off = hdr.nbuckets;
			if (!cm_accept(&r, ']'))
			{
				do
				{
					SketchBucket *b;

					CHECK_FOR_INTERRUPTS();
					buckets = grow(buckets, hdr.nbuckets, &buckets_cap, sizeof(SketchBucket),
								   DFG_MAX_EDGES, "sketch buckets");
					b = &buckets[hdr.nbuckets];
					cm_expect(&r, '[');
					v = cm_read_int64(&r);
					if (v < 0 || v > SKETCH_MAX_INDEX)
						cm_syntax_error(&r, "a sketch bucket between 0 and 2300");
					b->index = (int32) v;
					b->reserved = 0;
					cm_expect(&r, ',');
					b->count = cm_read_int64(&r);
					cm_expect(&r, ']');
					hdr.nbuckets++;
					x->nbuckets++;
				} while (cm_accept(&r, ','));
				cm_expect(&r, ']');
			}
			cm_expect(&r, '}');
			hdr.nedges++;
		} while (cm_accept(&r, ','));
		cm_expect(&r, ']');
	}
	cm_expect(&r, '}');
	cm_expect_end(&r);

	d = build_flat(&hdr, acts, edges, buckets);
	dfg_validate(d, VARSIZE(d), ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_DFG_P(d);
}

/* Text output: the canonical JSON form. */
Datum
dfg_out(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	const DfgAct *acts = DfgActs(d);
	const DfgEdge *edges = DfgEdges(d);
	const SketchBucket *buckets = DfgBuckets(d);
	StringInfoData buf;
	int			a,
				k,
				b;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"filtered\":%s,\"cases\":" INT64_FORMAT ",\"events\":"
					 INT64_FORMAT ",\"skipped\":" INT64_FORMAT ",\"weight\":",
					 DFG_VERSION, (d->flags & DFG_FILTERED) ? "true" : "false",
					 d->cases, d->events, d->skipped);
	write_weight(&buf, d->weight);
	appendStringInfoString(&buf, ",\"activities\":[");
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name = DfgActName(d, a, &len);

		CHECK_FOR_INTERRUPTS();
		if (a > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, "{\"name\":");
		cm_write_string(&buf, name, len);
		appendStringInfo(&buf, ",\"events\":" INT64_FORMAT ",\"cases\":" INT64_FORMAT
						 ",\"starts\":" INT64_FORMAT ",\"ends\":" INT64_FORMAT ",\"weight\":",
						 acts[a].events, acts[a].cases, acts[a].starts, acts[a].ends);
		write_weight(&buf, acts[a].weight);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "],\"edges\":[");
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &edges[k];

		CHECK_FOR_INTERRUPTS();
		if (k > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfo(&buf, "{\"from\":%d,\"to\":%d,\"count\":" INT64_FORMAT ",\"cases\":"
						 INT64_FORMAT ",\"weight\":", x->from, x->to, x->count, x->cases);
		write_weight(&buf, x->weight);
		appendStringInfo(&buf, ",\"min\":" INT64_FORMAT ",\"max\":" INT64_FORMAT ",\"sum\":",
						 x->min, x->max);
		cm_write_int128(&buf, x->sum);
		appendStringInfo(&buf, ",\"zero\":" INT64_FORMAT ",\"sketch\":[", x->zero);
		for (b = 0; b < x->nbuckets; b++)
		{
			const SketchBucket *bk = &buckets[x->bucket_off + b];

			appendStringInfo(&buf, "%s[%d," INT64_FORMAT "]", b > 0 ? "," : "",
							 bk->index, bk->count);
		}
		appendStringInfoString(&buf, "]}");
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* Send a 128-bit integer as two 64-bit halves, high first. */
static void
send_int128(StringInfo buf, int128 v)
{
	pq_sendint64(buf, (int64) (v >> 64));
	pq_sendint64(buf, (int64) (uint64) v);
}

/* Receive a 128-bit integer sent by send_int128. */
static int128
recv_int128(StringInfo buf)
{
	int64		hi = pq_getmsgint64(buf);
	uint64		lo = (uint64) pq_getmsgint64(buf);

	return (int128) (((uint128) (uint64) hi << 64) | lo);
}

/* Send a name as int32 length + bytes in the client encoding (pq_sendcountedtext changed in 17). */
static void
send_name(StringInfo buf, const char *name, int len)
{
	char	   *p = pg_server_to_client(name, len);
	int			plen = (p != name) ? (int) strlen(p) : len;

	pq_sendint32(buf, plen);
	pq_sendbytes(buf, p, plen);
}

/* Binary output: header, activities (with names), then edges with their buckets. */
Datum
dfg_send(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	const DfgAct *acts = DfgActs(d);
	const DfgEdge *edges = DfgEdges(d);
	const SketchBucket *buckets = DfgBuckets(d);
	StringInfoData buf;
	int			a,
				k,
				b;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, d->version);
	pq_sendbyte(&buf, d->flags);
	pq_sendint32(&buf, d->nacts);
	pq_sendint32(&buf, d->nedges);
	pq_sendint32(&buf, d->nbuckets);
	pq_sendint64(&buf, d->cases);
	pq_sendint64(&buf, d->events);
	pq_sendint64(&buf, d->skipped);
	send_int128(&buf, d->weight);
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name = DfgActName(d, a, &len);

		CHECK_FOR_INTERRUPTS();
		send_name(&buf, name, len);
		pq_sendint64(&buf, acts[a].events);
		pq_sendint64(&buf, acts[a].cases);
		pq_sendint64(&buf, acts[a].starts);
		pq_sendint64(&buf, acts[a].ends);
		send_int128(&buf, acts[a].weight);
	}
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &edges[k];

		CHECK_FOR_INTERRUPTS();
		pq_sendint32(&buf, x->from);
		pq_sendint32(&buf, x->to);
		pq_sendint32(&buf, x->nbuckets);
		pq_sendint64(&buf, x->count);
		pq_sendint64(&buf, x->cases);
		pq_sendint64(&buf, x->zero);
		pq_sendint64(&buf, x->min);
		pq_sendint64(&buf, x->max);
		send_int128(&buf, x->weight);
		send_int128(&buf, x->sum);
		for (b = 0; b < x->nbuckets; b++)
		{
			pq_sendint32(&buf, buckets[x->bucket_off + b].index);
			pq_sendint64(&buf, buckets[x->bucket_off + b].count);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Report a binary value whose header claims more than the message holds. */
static cm_noreturn void
binary_truncated(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid collmine.dfg value: state is truncated"),
			 errhint("Use a value produced by collmine.dfg_send.")));
}

/* Bytes per activity, edge and bucket on the wire, at the least. */
#define WIRE_ACT	(4 + 4 * 8 + 16)
#define WIRE_EDGE	(3 * 4 + 5 * 8 + 2 * 16)
#define WIRE_BUCKET	(4 + 8)

/*
 * Read the binary form: the claimed counts are checked against the caps and against the bytes
 * actually left before anything is allocated, then the whole value goes through dfg_validate.
 */
static DfgData *
dfg_recv_internal(StringInfo buf)
{
	DfgData		hdr;
	ParsedAct  *acts;
	DfgEdge    *edges;
	SketchBucket *buckets;
	int64		names_len = 0;
	int64		left;
	int			a,
				k,
				b,
				nb = 0;
	DfgData    *d;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = pq_getmsgbyte(buf);
	if (hdr.version != DFG_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported collmine.dfg binary format version %d", hdr.version),
				 errhint("This build of collmine reads version %d.", DFG_VERSION)));
	hdr.flags = pq_getmsgbyte(buf);
	hdr.nacts = pq_getmsgint(buf, 4);
	hdr.nedges = pq_getmsgint(buf, 4);
	hdr.nbuckets = pq_getmsgint(buf, 4);
	hdr.cases = pq_getmsgint64(buf);
	hdr.events = pq_getmsgint64(buf);
	hdr.skipped = pq_getmsgint64(buf);
	hdr.weight = recv_int128(buf);
	if (hdr.nacts < 0 || hdr.nacts > DFG_MAX_ACTS || hdr.nedges < 0 ||
		hdr.nedges > DFG_MAX_EDGES || hdr.nbuckets < 0 || hdr.nbuckets > DFG_MAX_EDGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid collmine.dfg value: counts out of range")));
	left = buf->len - buf->cursor;
	if ((int64) hdr.nacts * WIRE_ACT + (int64) hdr.nedges * WIRE_EDGE +
		(int64) hdr.nbuckets * WIRE_BUCKET > left)
		binary_truncated();

	acts = palloc(sizeof(ParsedAct) * (hdr.nacts + 1));
	for (a = 0; a < hdr.nacts; a++)
	{
		int			len = pq_getmsgint(buf, 4);

		CHECK_FOR_INTERRUPTS();
		if (len < 0 || len > buf->len - buf->cursor)
			binary_truncated();
		acts[a].name = pq_getmsgtext(buf, len, &acts[a].len);
		acts[a].s.events = pq_getmsgint64(buf);
		acts[a].s.cases = pq_getmsgint64(buf);
		acts[a].s.starts = pq_getmsgint64(buf);
		acts[a].s.ends = pq_getmsgint64(buf);
		acts[a].s.weight = recv_int128(buf);
		names_len += acts[a].len;
		if (names_len > MaxAllocSize)
			binary_truncated();
	}
	hdr.names_len = (int32) names_len;

	edges = palloc0(sizeof(DfgEdge) * (hdr.nedges + 1));
	buckets = palloc0(sizeof(SketchBucket) * (hdr.nbuckets + 1));
	for (k = 0; k < hdr.nedges; k++)
	{
		DfgEdge    *x = &edges[k];

		CHECK_FOR_INTERRUPTS();
		x->from = pq_getmsgint(buf, 4);
		x->to = pq_getmsgint(buf, 4);
		x->nbuckets = pq_getmsgint(buf, 4);
		x->bucket_off = nb;
		if (x->nbuckets < 0 || x->nbuckets > hdr.nbuckets - nb)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid collmine.dfg value: sketch buckets out of range")));
		x->count = pq_getmsgint64(buf);
		x->cases = pq_getmsgint64(buf);
		x->zero = pq_getmsgint64(buf);
		x->min = pq_getmsgint64(buf);
		x->max = pq_getmsgint64(buf);
		x->weight = recv_int128(buf);
		x->sum = recv_int128(buf);
		for (b = 0; b < x->nbuckets; b++)
		{
			buckets[nb].index = pq_getmsgint(buf, 4);
			buckets[nb].count = pq_getmsgint64(buf);
			nb++;
		}
	}
	if (nb != hdr.nbuckets)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid collmine.dfg value: sketch buckets out of range")));
	d = build_flat(&hdr, acts, edges, buckets);
	dfg_validate(d, VARSIZE(d), ERRCODE_INVALID_BINARY_REPRESENTATION);
	return d;
}

/* Binary input (typreceive). */
Datum
dfg_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_DFG_P(dfg_recv_internal(buf));
}

/* Debugging helper: read a dfg from the bytes dfg_send produced; every byte must be used. */
Datum
dfg_from_binary(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	DfgData    *d;

	buf.data = VARDATA_ANY(raw);
	buf.len = VARSIZE_ANY_EXHDR(raw);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	d = dfg_recv_internal(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_DFG_P(d);
}
