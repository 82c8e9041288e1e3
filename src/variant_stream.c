/*
 * variant_stream.c: collmine._variants_stream(case, activity, ts [, ord], weight, grouped), the
 * variants of events that arrive one case after another, in one aggregate.
 *
 * variants() uses it for a log stored case after case, as process_map() uses _dfg_stream: each
 * case's events are collected in one reused state (case_stream.c, ascending case order when
 * grouped is false, each case's events adjacent in any order of the cases when it is true) and,
 * when the next case starts, its trace is folded into its variant's statistics at once
 * (variant_state_add, the state _variant_agg keeps), found by the same 64-bit grouping key
 * (variant_key) in a table of variants. No hash table of cases, no per-case tuple, no second
 * aggregate and no sort of cases: the per-case work of _variants_sql's two-level query without
 * the plan around it.
 *
 * Besides the variants it keeps what _variants_sql's query gives: the weight of each variant,
 * the sum over its cases of the case's largest weight (max(weight) per case, as _trace_sql
 * takes it, kept by case_stream.c; NULL when no case has one), and the number of events with
 * a NULL case id, which belong to no case. The final function returns them as collmine._variant_row values, one per
 * variant and one with only that count, in rank order, which _variants_stream_rows reads as
 * _variants reads _variants_sql's rows.
 *
 * The input order is checked, not trusted (case_stream.h): an input that would merge or split a
 * case is refused with 22000, and variants() then reads the log another way.
 *
 * A table partitioned by the case column is streamed leaf by leaf, each leaf possibly in its own
 * parallel worker: _variants_stream_part folds a leaf's cases as above but returns its table of
 * variants as bytes (each variant's key, weight and state, variant_state_serialize), and
 * _variants_stream_merge, in the leader, merges those tables by key (variant_state_combine, the
 * combine of _variant_agg) into one state of this kind, which _variants_stream's final function
 * ranks. No case spans two leaves, so the merged variants are the ones one stream would fold.
 */
#include "common.h"
#include "case_stream.h"
#include "variant.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(variants_stream_trans);
PG_FUNCTION_INFO_V1(variants_stream_trans_ord);
PG_FUNCTION_INFO_V1(variants_stream_final);
PG_FUNCTION_INFO_V1(variants_stream_part_final);
PG_FUNCTION_INFO_V1(variants_stream_range_final);
PG_FUNCTION_INFO_V1(variants_stream_merge_trans);

/* One variant: its statistics and its weight so far. */
typedef struct VariantEntry
{
	uint64		key;			/* variant_key of its traces */
	VariantState *st;
	Datum		weight;			/* numeric in the aggregate context, when has_weight */
	bool		has_weight;
} VariantEntry;

/* The aggregate's state: the variants so far and the case being collected. */
typedef struct VariantStream
{
	MemoryContext cxt;
	CaseStream *cases;			/* NULL in _variants_stream_merge, which reads no events */
	HTAB	   *variants;		/* uint64 key -> VariantEntry */
	VariantEntry *last;			/* the variant of the previous case: most cases repeat one */
	int64		null_case_events;
} VariantStream;

/* The fields of collmine._variant_row, in its declared order: the columns _variants reads. */
enum
{
	VR_LEFT_OUT, VR_TOTAL, VR_STATS, VR_WEIGHT, VR_NFIELDS
};

/* One variant while the variants are put into rank order. */
typedef struct RankedRow
{
	int64		cases;
	VariantRankKey key;
	VariantEntry *entry;
} RankedRow;

/* The variant of key, created empty when new. */
static VariantEntry *
variant_entry(VariantStream *s, uint64 key)
{
	bool		found;
	VariantEntry *e;

	if (s->last != NULL && s->last->key == key)
		return s->last;
	e = hash_search(s->variants, &key, HASH_ENTER, &found);
	if (!found)
	{
		e->st = NULL;
		e->has_weight = false;
	}
	s->last = e;
	return e;
}

/*
 * Add a finished case's weight, its largest (case_stream.c keeps it as max() does), to its
 * variant's: numeric_add, as sum() adds. The case's value is freed after the hand-off, so the
 * first one is copied.
 */
static void
add_weight(VariantStream *s, VariantEntry *e, Datum w)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	Datum		sum;

	if (!e->has_weight)
	{
		e->weight = datumCopy(w, false, -1);
		e->has_weight = true;
	}
	else
	{
		sum = DirectFunctionCall2(numeric_add, e->weight, w);
		pfree(DatumGetPointer(e->weight));
		e->weight = sum;
	}
	MemoryContextSwitchTo(old);
}

/* Fold a finished case into its variant: statistics, then weight. */
static void
add_case(void *arg, TraceData *t, Datum weight, bool has_weight)
{
	VariantStream *s = (VariantStream *) arg;
	VariantEntry *e = variant_entry(s, variant_key(t));

	e->st = variant_state_add(s->cxt, e->st, t);
	if (has_weight)
		add_weight(s, e, weight);
}

/* A state with an empty table of variants and no case stream, in cxt. */
static VariantStream *
table_new(MemoryContext cxt)
{
	VariantStream *s = MemoryContextAllocZero(cxt, sizeof(VariantStream));
	HASHCTL		ctl;

	s->cxt = cxt;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(VariantEntry);
	ctl.hcxt = cxt;
	s->variants = hash_create("collmine variants", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return s;
}

/* A new state: the order the input is checked for comes from the last argument, grouped. */
static VariantStream *
stream_new(FunctionCallInfo fcinfo, MemoryContext cxt, int grouped_arg)
{
	VariantStream *s;

	if (PG_ARGISNULL(grouped_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("collmine._variants_stream: grouped must not be NULL"),
				 errhint("Call collmine.variants() instead.")));
	s = table_new(cxt);
	s->cases = case_stream_new(fcinfo, cxt, 1,
							   PG_GETARG_BOOL(grouped_arg) ? CASE_STREAM_GROUPED : CASE_STREAM_SORTED,
							   "collmine._variants_stream");
	return s;
}

/*
 * Shared transition, over (case, activity, ts, [ord,] weight, grouped): an event with a NULL case
 * value belongs to no case and is only counted, as _variants_sql counts it.
 */
static Datum
stream_trans(FunctionCallInfo fcinfo, bool with_ord)
{
	VariantStream *s = PG_ARGISNULL(0) ? NULL : (VariantStream *) PG_GETARG_POINTER(0);
	int			weight_arg = with_ord ? 5 : 4;

	/* an internal state only ever comes from an aggregate: the context is checked once */
	if (s == NULL)
		s = stream_new(fcinfo, cm_agg_context(fcinfo, "collmine._variants_stream"), weight_arg + 1);
	if (PG_ARGISNULL(1))
	{
		s->null_case_events++;
		PG_RETURN_POINTER(s);
	}
	case_stream_add(s->cases, fcinfo, 1, 2, 3, with_ord ? 4 : -1, weight_arg, add_case, s);
	PG_RETURN_POINTER(s);
}

/* _variants_stream(case, activity, ts, weight, grouped) */
Datum
variants_stream_trans(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, false);
}

/* _variants_stream(case, activity, ts, ord, weight, grouped) */
Datum
variants_stream_trans_ord(PG_FUNCTION_ARGS)
{
	return stream_trans(fcinfo, true);
}

/*
 * Rank order, as _variants_sql's ORDER BY (st).cases DESC, (st).order_key: more cases first, ties
 * by the order key (in the compact form of variant_rank_keys, which orders alike).
 */
static int
rank_cmp(const void *a, const void *b)
{
	const RankedRow *x = (const RankedRow *) a;
	const RankedRow *y = (const RankedRow *) b;

	if (x->cases != y->cases)
		return x->cases > y->cases ? -1 : 1;
	return variant_rank_key_cmp(&x->key, &y->key);
}

/* The variants with their cases and order keys, unordered, and the total of cases. */
static RankedRow *
ranked_rows(VariantStream *s, int *n, int64 *total)
{
	long		count = Max(hash_get_num_entries(s->variants), 1);
	RankedRow  *rows = palloc(sizeof(RankedRow) * count);
	VariantState **states = palloc(sizeof(VariantState *) * count);
	VariantRankKey *keys = palloc(sizeof(VariantRankKey) * count);
	HASH_SEQ_STATUS it;
	VariantEntry *e;

	*n = 0;
	*total = 0;
	hash_seq_init(&it, s->variants);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		RankedRow  *r = &rows[(*n)++];

		CHECK_FOR_INTERRUPTS();
		r->entry = e;
		r->cases = variant_state_cases(e->st);
		*total += r->cases;
		states[*n - 1] = e->st;
	}
	variant_rank_keys(states, *n, keys);
	for (int k = 0; k < *n; k++)
		rows[k].key = keys[k];
	pfree(states);
	pfree(keys);
	return rows;
}

/*
 * One result row, planned before the result array is allocated: its _variant_stats values (none
 * for the row of left-out events), its own values and the lengths heap_form_tuple will give both.
 */
typedef struct RowPlan
{
	Datum		stats[VS_NFIELDS];
	bool		stats_nulls[VS_NFIELDS];
	bool		has_stats;
	Size		stats_len;
	Datum		row[VR_NFIELDS];
	bool		row_nulls[VR_NFIELDS];
	Size		len;
} RowPlan;

/* The length of the tuple heap_form_tuple makes of these values. */
static Size
tuple_len(TupleDesc desc, Datum *values, bool *nulls)
{
	Size		len = offsetof(HeapTupleHeaderData, t_bits);

	for (int k = 0; k < desc->natts; k++)
		if (nulls[k])
		{
			len += BITMAPLEN(desc->natts);
			break;
		}
	return MAXALIGN(len) + heap_compute_data_size(desc, values, nulls);
}

/*
 * Plan a collmine._variant_row: NULL for a field flagged so. A variant's row holds its
 * _variant_stats (st not NULL), sized here through a bare varlena header of the stats' length,
 * which is all heap_compute_data_size reads of it.
 */
static void
row_plan(RowPlan *p, TupleDesc row_desc, TupleDesc stats_desc, VariantState *st,
		 const VariantRankKey *key, bool left_out_null, Datum left_out, bool total_null,
		 Datum total, bool weight_null, Datum weight)
{
	union
	{
		int64		align;
		char		bytes[16];
	}			header;			/* a varlena header, read for its length only */

	p->has_stats = st != NULL;
	if (p->has_stats)
	{
		variant_state_stats_values(st, key, p->stats, p->stats_nulls);
		p->stats_len = tuple_len(stats_desc, p->stats, p->stats_nulls);
		SET_VARSIZE(header.bytes, p->stats_len);
	}
	p->row[VR_LEFT_OUT] = left_out;
	p->row_nulls[VR_LEFT_OUT] = left_out_null;
	p->row[VR_TOTAL] = total;
	p->row_nulls[VR_TOTAL] = total_null;
	p->row[VR_STATS] = PointerGetDatum(header.bytes);
	p->row_nulls[VR_STATS] = !p->has_stats;
	p->row[VR_WEIGHT] = weight;
	p->row_nulls[VR_WEIGHT] = weight_null;
	p->len = tuple_len(row_desc, p->row, p->row_nulls);
	p->row[VR_STATS] = (Datum) 0;
}

/*
 * The result array of the planned rows, allocated once at its size: each row (and its
 * _variant_stats) is formed in turn, copied into its place and freed, so the room of one row is
 * reused for the next and no row is kept beside the array.
 */
static ArrayType *
rows_array(RowPlan *plans, int n, TupleDesc row_desc, TupleDesc stats_desc, Oid row_type)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *arr;
	char	   *p;

	if (n == 0)
		return construct_empty_array(row_type);
	for (int k = 0; k < n; k++)
		nbytes += att_align_nominal(plans[k].len, TYPALIGN_DOUBLE);
	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("collmine._variants_stream: the variants take more than %d bytes", (int) MaxAllocSize),
				 errhint("Use collmine.traces() and group its traces by collmine.trace_variant_id(trace).")));
	arr = palloc(nbytes);
	memset(arr, 0, ARR_OVERHEAD_NONULLS(1));
	SET_VARSIZE(arr, nbytes);
	arr->ndim = 1;
	arr->dataoffset = 0;
	arr->elemtype = row_type;
	ARR_DIMS(arr)[0] = n;
	ARR_LBOUND(arr)[0] = 1;
	p = ARR_DATA_PTR(arr);
	for (int k = 0; k < n; k++)
	{
		RowPlan    *r = &plans[k];
		HeapTuple	stats = NULL;
		HeapTuple	row;
		Size		padded = att_align_nominal(r->len, TYPALIGN_DOUBLE);

		CHECK_FOR_INTERRUPTS();
		if (r->has_stats)
		{
			stats = heap_form_tuple(stats_desc, r->stats, r->stats_nulls);
			r->row[VR_STATS] = HeapTupleGetDatum(stats);
		}
		row = heap_form_tuple(row_desc, r->row, r->row_nulls);
		if (row->t_len != r->len || (stats != NULL && stats->t_len != r->stats_len))
			elog(ERROR, "collmine._variants_stream: a row's length differs from its plan");
		memcpy(p, row->t_data, r->len);
		memset(p + r->len, 0, padded - r->len);
		p += padded;
		heap_freetuple(row);
		if (stats != NULL)
			heap_freetuple(stats);
	}
	return arr;
}

/*
 * Final of both and of _variants_stream_merge: the last case is folded in (when there is a case
 * stream), then the rows _variants reads (see collmine._variant_row) in rank order: one per
 * variant with the total of cases, its _variant_stats (order_key NULL: the rows come ranked, and
 * _variants never reads it) and weight, and last, when there were events with a NULL case id,
 * one with only their count. No input row gives NULL.
 */
Datum
variants_stream_final(PG_FUNCTION_ARGS)
{
	VariantStream *s;
	Oid			row_type = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	TupleDesc	row_desc,
				stats_desc;
	RankedRow  *ranked;
	RowPlan    *plans;
	int			n;
	int64		total;

	(void) cm_agg_context(fcinfo, "collmine._variants_stream");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (VariantStream *) PG_GETARG_POINTER(0);
	if (s->cases != NULL)
		case_stream_finish(s->cases, add_case, s);
	if (!OidIsValid(row_type))
		elog(ERROR, "return type must be collmine._variant_row[]");
	row_desc = lookup_rowtype_tupdesc_copy(row_type, -1);
	if (row_desc->natts != VR_NFIELDS)
		elog(ERROR, "return type must be collmine._variant_row[]");
	stats_desc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(TupleDescAttr(row_desc, VR_STATS)->atttypid, -1));
	if (stats_desc->natts != VS_NFIELDS)
		elog(ERROR, "collmine._variant_row's third field must be a collmine._variant_stats");
	row_desc = BlessTupleDesc(row_desc);
	ranked = ranked_rows(s, &n, &total);
	qsort(ranked, n, sizeof(RankedRow), rank_cmp);
	plans = palloc(sizeof(RowPlan) * (n + 1));
	for (int k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		row_plan(&plans[k], row_desc, stats_desc, ranked[k].entry->st, &ranked[k].key,
				 true, (Datum) 0, false, Int64GetDatum(total),
				 !ranked[k].entry->has_weight, ranked[k].entry->weight);
	}
	if (s->null_case_events > 0)
	{
		row_plan(&plans[n], row_desc, stats_desc, NULL, NULL,
				 false, Int64GetDatum(s->null_case_events), n == 0, Int64GetDatum(total),
				 true, (Datum) 0);
		n++;
	}
	PG_RETURN_ARRAYTYPE_P(rows_array(plans, n, row_desc, stats_desc, row_type));
}

/*
 * A part's table of variants as bytes, for _variants_stream_merge: the last case is folded in,
 * then the count of events with a NULL case id and of variants, then per variant its key, its
 * weight (numeric_send, length -1 for none) and its state (variant_state_serialize), each with
 * its length.
 */
static bytea *
part_bytes(VariantStream *s)
{
	StringInfoData buf;
	HASH_SEQ_STATUS it;
	VariantEntry *e;

	case_stream_finish(s->cases, add_case, s);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, s->null_case_events);
	pq_sendint64(&buf, hash_get_num_entries(s->variants));
	hash_seq_init(&it, s->variants);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		bytea	   *st = variant_state_serialize(e->st);

		CHECK_FOR_INTERRUPTS();
		pq_sendint64(&buf, (int64) e->key);
		if (e->has_weight)
		{
			bytea	   *w = DatumGetByteaPP(DirectFunctionCall1(numeric_send, e->weight));

			pq_sendint32(&buf, VARSIZE_ANY_EXHDR(w));
			pq_sendbytes(&buf, VARDATA_ANY(w), VARSIZE_ANY_EXHDR(w));
			pfree(w);
		}
		else
			pq_sendint32(&buf, -1);
		pq_sendint32(&buf, VARSIZE_ANY_EXHDR(st));
		pq_sendbytes(&buf, VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st));
		pfree(st);
	}
	return pq_endtypsend(&buf);
}

/* The part of a leaf partition (the final of _variants_stream_part): part_bytes; no input row
 * gives NULL. */
Datum
variants_stream_part_final(PG_FUNCTION_ARGS)
{
	(void) cm_agg_context(fcinfo, "collmine._variants_stream_part");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(part_bytes((VariantStream *) PG_GETARG_POINTER(0)));
}

/*
 * The part of one block range of a table (the final of _variants_stream_range): a
 * collmine._variants_part, part_bytes and the hashes of the range's cases
 * (case_stream_seen_bytea), which the caller checks disjoint across the ranges
 * (_stream_parts_check); no input row gives NULL.
 */
Datum
variants_stream_range_final(PG_FUNCTION_ARGS)
{
	VariantStream *s;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	(void) cm_agg_context(fcinfo, "collmine._variants_stream_range");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("collmine._variants_stream_range must return a composite type")));
	s = (VariantStream *) PG_GETARG_POINTER(0);
	values[0] = PointerGetDatum(part_bytes(s));
	values[1] = PointerGetDatum(case_stream_seen_bytea(s->cases));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* The next len-prefixed piece of buf: its length (-1 for none) and its bytes, checked. */
static const char *
next_piece(StringInfo buf, int *len)
{
	const char *p;

	*len = pq_getmsgint(buf, 4);
	if (*len < -1 || *len > buf->len - buf->cursor)
		cm_bad_agg_state("collmine._variants_stream_merge", "a length does not match the data");
	if (*len <= 0)
		return NULL;
	p = buf->data + buf->cursor;
	buf->cursor += *len;
	return p;
}

/*
 * Fold one variant of a part into the table: its state into the state of its key
 * (variant_state_combine, which makes two different variants under one key an error), its
 * weight into the weight (add_weight, numeric_add as sum() adds).
 */
static void
merge_variant(VariantStream *s, StringInfo buf)
{
	VariantEntry *e = variant_entry(s, (uint64) pq_getmsgint64(buf));
	int			len;
	const char *w = next_piece(buf, &len);
	const char *st;

	if (len >= 0)
	{
		StringInfoData wbuf;
		Datum		weight;

		wbuf.data = (char *) w;
		wbuf.len = wbuf.maxlen = len;
		wbuf.cursor = 0;
		weight = DirectFunctionCall3(numeric_recv, PointerGetDatum(&wbuf),
									 ObjectIdGetDatum(NUMERICOID), Int32GetDatum(-1));
		add_weight(s, e, weight);
		pfree(DatumGetPointer(weight));
	}
	st = next_piece(buf, &len);
	if (st == NULL)
		cm_bad_agg_state("collmine._variants_stream_merge", "a variant without a state");
	e->st = variant_state_combine(s->cxt, e->st, variant_state_deserialize(s->cxt, st, len));
}

/*
 * _variants_stream_merge(part): the parts of the leaf partitions of a log partitioned by the case
 * (_variants_stream_part, one per leaf, no case in two), merged by variant into one table of
 * variants as _variants_stream's state holds it; its final is _variants_stream's. A NULL part (an
 * empty leaf) adds nothing.
 */
Datum
variants_stream_merge_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._variants_stream_merge");
	VariantStream *s = PG_ARGISNULL(0) ? NULL : (VariantStream *) PG_GETARG_POINTER(0);
	bytea	   *part;
	StringInfoData buf;
	int64		n;

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
		s = table_new(cxt);
	part = PG_GETARG_BYTEA_PP(1);
	buf.data = VARDATA_ANY(part);
	buf.len = buf.maxlen = VARSIZE_ANY_EXHDR(part);
	buf.cursor = 0;
	s->null_case_events += pq_getmsgint64(&buf);
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > buf.len - buf.cursor)
		cm_bad_agg_state("collmine._variants_stream_merge", "the count of variants does not match the data");
	for (int64 k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		merge_variant(s, &buf);
	}
	if (buf.cursor != buf.len)
		cm_bad_agg_state("collmine._variants_stream_merge", "bytes after the last variant");
	PG_RETURN_POINTER(s);
}
