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
 */
#include "common.h"
#include "case_stream.h"
#include "variant.h"

#include "funcapi.h"
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
	CaseStream *cases;
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

/* A new state: the order the input is checked for comes from the last argument, grouped. */
static VariantStream *
stream_new(FunctionCallInfo fcinfo, MemoryContext cxt, int grouped_arg)
{
	VariantStream *s;
	HASHCTL		ctl;

	if (PG_ARGISNULL(grouped_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("collmine._variants_stream: grouped must not be NULL"),
				 errhint("Call collmine.variants() instead.")));
	s = MemoryContextAllocZero(cxt, sizeof(VariantStream));
	s->cxt = cxt;
	s->cases = case_stream_new(fcinfo, cxt, 1,
							   PG_GETARG_BOOL(grouped_arg) ? CASE_STREAM_GROUPED : CASE_STREAM_SORTED,
							   "collmine._variants_stream");
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(VariantEntry);
	ctl.hcxt = cxt;
	s->variants = hash_create("collmine variants", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return s;
}

/*
 * Shared transition, over (case, activity, ts, [ord,] weight, grouped): an event with a NULL case
 * value belongs to no case and is only counted, as _variants_sql counts it.
 */
static Datum
stream_trans(FunctionCallInfo fcinfo, bool with_ord)
{
	MemoryContext cxt = cm_agg_context(fcinfo, "collmine._variants_stream");
	VariantStream *s = PG_ARGISNULL(0) ? NULL : (VariantStream *) PG_GETARG_POINTER(0);
	int			weight_arg = with_ord ? 5 : 4;

	if (s == NULL)
		s = stream_new(fcinfo, cxt, weight_arg + 1);
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

/* A collmine._variant_row tuple of desc; NULL for a field whose Datum is 0 and flagged so. */
static HeapTuple
variant_row(TupleDesc desc, bool left_out_null, Datum left_out, bool total_null, Datum total,
			bool stats_null, Datum stats, bool weight_null, Datum weight)
{
	Datum		values[VR_NFIELDS];
	bool		nulls[VR_NFIELDS];

	values[VR_LEFT_OUT] = left_out;
	nulls[VR_LEFT_OUT] = left_out_null;
	values[VR_TOTAL] = total;
	nulls[VR_TOTAL] = total_null;
	values[VR_STATS] = stats;
	nulls[VR_STATS] = stats_null;
	values[VR_WEIGHT] = weight;
	nulls[VR_WEIGHT] = weight_null;
	return heap_form_tuple(desc, values, nulls);
}

/*
 * The array of the rows, each copied once into it and freed (construct_array would zero the
 * whole array first and keep the rows): a variant's bytes are written three times instead of
 * four between its state and the result.
 */
static ArrayType *
rows_array(HeapTuple *rows, int n, Oid row_type)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *arr;
	char	   *p;

	if (n == 0)
		return construct_empty_array(row_type);
	for (int k = 0; k < n; k++)
		nbytes += att_align_nominal(rows[k]->t_len, TYPALIGN_DOUBLE);
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
		Size		len = rows[k]->t_len;
		Size		padded = att_align_nominal(len, TYPALIGN_DOUBLE);

		CHECK_FOR_INTERRUPTS();
		memcpy(p, rows[k]->t_data, len);
		memset(p + len, 0, padded - len);
		p += padded;
		heap_freetuple(rows[k]);
	}
	return arr;
}

/*
 * Final of both: the last case is folded in, then the rows _variants reads (see
 * collmine._variant_row) in rank order: one per variant with the total of cases, its
 * _variant_stats (order_key NULL: the rows come ranked, and _variants never reads it) and
 * weight, and last, when there were events with a NULL case id, one with only their count. No
 * input row gives NULL.
 */
Datum
variants_stream_final(PG_FUNCTION_ARGS)
{
	VariantStream *s;
	Oid			row_type = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	TupleDesc	row_desc,
				stats_desc;
	RankedRow  *ranked;
	HeapTuple  *rows;
	int			n;
	int64		total;

	(void) cm_agg_context(fcinfo, "collmine._variants_stream");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (VariantStream *) PG_GETARG_POINTER(0);
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
	rows = palloc(sizeof(HeapTuple) * (n + 1));
	for (int k = 0; k < n; k++)
	{
		HeapTuple	stats;

		CHECK_FOR_INTERRUPTS();
		stats = variant_state_stats(ranked[k].entry->st, stats_desc, &ranked[k].key);
		rows[k] = variant_row(row_desc, true, (Datum) 0, false, Int64GetDatum(total),
							  false, HeapTupleGetDatum(stats),
							  !ranked[k].entry->has_weight, ranked[k].entry->weight);
		/* copied into the row: its room is reused for the next rows */
		heap_freetuple(stats);
	}
	if (s->null_case_events > 0)
	{
		rows[n] = variant_row(row_desc, false, Int64GetDatum(s->null_case_events),
							  n == 0, Int64GetDatum(total), true, (Datum) 0, true, (Datum) 0);
		n++;
	}
	PG_RETURN_ARRAYTYPE_P(rows_array(rows, n, row_type));
}
