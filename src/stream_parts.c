/*
 * stream_parts.c: a table stored case after case, streamed in parts (block ranges, one per
 * parallel worker) and checked afterwards.
 *
 * A grouped stream (case_stream.h) over one block range hands on every case whose rows it sees
 * there. A case whose rows lie in two ranges (it spans a range's boundary, or a row of it went
 * back to an earlier page in another range) is then handed on twice, once per range, as two
 * cases. So each range reports the cases it handed on (case_stream_seen_bytea: the interval they
 * lie in when they came in ascending order, as in a table in case-id order, and their hashes),
 * and the parts' results are used only when the intervals are apart or no hash is in two ranges;
 * otherwise the caller streams the table serially. A hash collision between two different cases
 * counts as shared: it costs the serial read, never a wrong result.
 */
#include "common.h"
#include "case_stream.h"
#include "stream_parts.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(stream_parts_disjoint);
PG_FUNCTION_INFO_V1(stream_parts_check);

/* LSD radix sort on 16-bit digits, through a buffer of n. */
void
parts_sort_hashes(uint64 *v, uint64 n)
{
	uint64	   *tmp = palloc_extended(Max(n, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
	uint64	   *count = palloc(65536 * sizeof(uint64));

	for (int shift = 0; shift < 64; shift += 16)
	{
		uint64		sum = 0;

		CHECK_FOR_INTERRUPTS();
		memset(count, 0, 65536 * sizeof(uint64));
		for (uint64 i = 0; i < n; i++)
			count[(v[i] >> shift) & 0xFFFF]++;
		for (int d = 0; d < 65536; d++)
		{
			uint64		c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (uint64 i = 0; i < n; i++)
			tmp[count[(v[i] >> shift) & 0xFFFF]++] = v[i];
		memcpy(v, tmp, n * sizeof(uint64));
	}
	pfree(tmp);
	pfree(count);
}

/* A part's check data, read in place (checked: it may come from SQL). */
typedef struct SeenPart
{
	bool		interval;
	const char *lo;				/* interval: the lowest and the highest case's keys */
	const char *hi;
	uint32		lolen;
	uint32		hilen;
	const char *hashes;			/* uint64 values, unaligned: ascending unless interval */
	uint64		n;
} SeenPart;

/* Compare two keys as bytes, a prefix first. */
static int
seen_key_cmp(const char *a, uint32 alen, const char *b, uint32 blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* Read a key (length, bytes) at *p of a part ending at end; false when it does not fit. */
static bool
seen_read_key(const char **p, const char *end, const char **key, uint32 *len)
{
	uint32		n;

	if (end - *p < (ptrdiff_t) sizeof(uint32))
		return false;
	memcpy(&n, *p, sizeof(uint32));
	*len = pg_ntoh32(n);
	*p += sizeof(uint32);
	if ((uint64) (end - *p) < *len)
		return false;
	*key = *p;
	*p += *len;
	return true;
}

/* Part k of the check data, or the error for bytes that are not case_stream_seen_bytea's. */
static SeenPart
seen_read_part(const bytea *b, int k)
{
	const char *p = VARDATA_ANY(b);
	const char *end = p + VARSIZE_ANY_EXHDR(b);
	SeenPart	part = {0};
	bool		ok = true;

	if (p < end)
	{
		part.interval = *p == SEEN_PART_INTERVAL;
		ok = (*p == SEEN_PART_HASHES && end - p >= SEEN_HASHES_AT) || part.interval;
		p += part.interval ? 1 : SEEN_HASHES_AT;
	}
	/* an interval's keys, the lowest first (they may be equal: one case) */
	if (ok && part.interval)
		ok = seen_read_key(&p, end, &part.lo, &part.lolen) && seen_read_key(&p, end, &part.hi, &part.hilen) &&
			seen_key_cmp(part.lo, part.lolen, part.hi, part.hilen) <= 0;
	if (!ok || (end - p) % sizeof(uint64) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("part %d is not a part's check data", k + 1),
				 errhint("Pass the seen sets that collmine._dfg_stream_part returns.")));
	part.hashes = p;
	part.n = (end - p) / sizeof(uint64);
	return part;
}

/* Interval parts in the order of their lowest keys (for qsort). */
static int
seen_part_lo_cmp(const void *a, const void *b)
{
	const SeenPart *x = a;
	const SeenPart *y = b;

	return seen_key_cmp(x->lo, x->lolen, y->lo, y->lolen);
}

/* Are the parts all intervals (or empty) that do not overlap? Then they share no case. */
static bool
seen_intervals_apart(SeenPart *parts, int n)
{
	SeenPart   *iv = palloc(Max(n, 1) * sizeof(SeenPart));
	int			k = 0;

	for (int p = 0; p < n; p++)
	{
		if (parts[p].interval)
			iv[k++] = parts[p];
		else if (parts[p].n > 0)
			return false;
	}
	qsort(iv, k, sizeof(SeenPart), seen_part_lo_cmp);
	for (int i = 1; i < k; i++)
		if (seen_key_cmp(iv[i - 1].hi, iv[i - 1].hilen, iv[i].lo, iv[i].lolen) >= 0)
			return false;
	return true;
}

/* The i-th hash of a part (its bytes may be unaligned). */
static inline uint64
part_hash(const char *hashes, uint64 i)
{
	uint64		h;

	memcpy(&h, hashes + i * sizeof(uint64), sizeof(uint64));
	return h;
}

/*
 * Do two ascending arrays of hashes share one? A merge that steps past the lower of the two
 * without a branch on which one it is: the hashes are random, so such a branch is a coin toss.
 */
static bool
hashes_meet(const char *a, uint64 na, const char *b, uint64 nb)
{
	uint64		i = 0,
				j = 0;

	while (i < na && j < nb)
	{
		uint64		x = part_hash(a, i);
		uint64		y = part_hash(b, j);

		if (((i + j) & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (x == y)
			return true;
		i += x < y;
		j += y < x;
	}
	return false;
}

bool
parts_share_no_case(bytea **bytes, int n)
{
	SeenPart   *parts = palloc(Max(n, 1) * sizeof(SeenPart));

	for (int p = 0; p < n; p++)
		parts[p] = seen_read_part(bytes[p], p);
	if (seen_intervals_apart(parts, n))
		return true;
	/* an interval part's hashes, sorted now: two equal ones (a collision) count as shared */
	for (int p = 0; p < n; p++)
	{
		uint64	   *v;

		if (!parts[p].interval)
			continue;
		v = palloc_extended(Max(parts[p].n, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
		memcpy(v, parts[p].hashes, parts[p].n * sizeof(uint64));
		parts_sort_hashes(v, parts[p].n);
		for (uint64 i = 1; i < parts[p].n; i++)
			if (v[i] == v[i - 1])
				return false;
		parts[p].hashes = (const char *) v;
	}
	/* a hashes part's as sent: ascending, each once */
	for (int p = 0; p < n; p++)
	{
		if (parts[p].interval)
			continue;
		for (uint64 i = 1; i < parts[p].n; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (part_hash(parts[p].hashes, i) <= part_hash(parts[p].hashes, i - 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the case hashes of part %d are not in ascending order", p + 1),
						 errhint("Pass the seen sets that collmine._dfg_stream_part returns.")));
		}
	}
	/* then no hash in two parts, pair by pair (a part per worker: a few) */
	for (int p = 0; p < n; p++)
		for (int q = p + 1; q < n; q++)
			if (hashes_meet(parts[p].hashes, parts[p].n, parts[q].hashes, parts[q].n))
				return false;
	return true;
}

/* Do the parts (an array of case_stream_seen_bytea's, NULL elements empty) share no case? */
static bool
parts_disjoint(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *isnull;
	int			n;
	int			k = 0;
	bytea	  **parts;

	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &isnull, &n);
	parts = palloc(Max(n, 1) * sizeof(bytea *));
	for (int i = 0; i < n; i++)
	{
		if (!isnull[i])
			parts[k++] = DatumGetByteaPP(elems[i]);
	}
	return parts_share_no_case(parts, k);
}

/* collmine._stream_parts_disjoint(seen bytea[]): do the parts share no case? NULL elements (a
 * range with no rows) count as empty. */
Datum
stream_parts_disjoint(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(parts_disjoint(PG_GETARG_ARRAYTYPE_P(0)));
}

/*
 * collmine._stream_parts_check(seen bytea[], who text): true when the parts share no case;
 * otherwise the refusal of the stream named who (case_stream_refuse: 22000, "<who>: events are
 * not grouped by case"), which variants() catches to read the table as one.
 */
Datum
stream_parts_check(PG_FUNCTION_ARGS)
{
	if (!parts_disjoint(PG_GETARG_ARRAYTYPE_P(0)))
		case_stream_refuse(text_to_cstring(PG_GETARG_TEXT_PP(1)), CASE_STREAM_NOT_GROUPED,
						   "A case is stored in two of the block ranges read apart.");
	PG_RETURN_BOOL(true);
}
