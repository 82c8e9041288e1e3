/*
 * variant_entry.c: collmine._variants(trace_sql), the one body of every variants() form: the
 * rows of the query that _variants_sql builds over a trace query, and the report of what that
 * query left out.
 *
 * variants() must return one row per variant and afterwards say how many events it left out
 * (NULL case ids, NULL activities or timestamps), and both come from a single pass over the
 * log. A PL/pgSQL loop over the query could do that, but a loop reads through a cursor, and a
 * cursor never runs in parallel. This function runs the query once through SPI with a
 * receiver that passes the variant rows on into the result and keeps the counts, so the
 * planner may give the query parallel workers; then it calls collmine._report_left_out.
 *
 * The query gives one row per variant, in rank order, with the counts in front (see Q_* below):
 * a row with a non-NULL left_out carries only that count (the events without a case) and is
 * not returned; for every other row the receiver counts its skipped events and adds the rank
 * and the two shares, which only need the row's place and the total (a window per figure
 * would keep a copy of every row). The rows are grouped by a cheap hash, not by the variant id,
 * so two variants whose ids collide arrive as two rows: the receiver reports that, as the
 * grouping by id did.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "compat.h"

PG_FUNCTION_INFO_V1(variants_run);

/* The receiver: the variant rows go into the result, the counts into the totals. */
typedef struct RowsDest
{
	DestReceiver pub;
	CmSrf	   *srf;
	int64		left_out;
	int64		skipped;
	int64		rank;			/* rows returned so far */
	int64		running;		/* their cases */
	HTAB	   *ids;			/* variant ids seen */
} RowsDest;

/*
 * The query's columns: left_out, skipped, total (cases of all variants), then the result's
 * columns without rank, share and cumulative_share, which the receiver adds (Q_* positions).
 */
#define Q_LEFT_OUT		0
#define Q_SKIPPED		1
#define Q_TOTAL			2
#define Q_VARIANT_ID	3
#define Q_CASES			6
#define Q_COLUMNS		12
/* result column -> query column, -1 for the ones the receiver computes */
static const int result_from_query[] = {-1, 3, 4, 5, 6, -1, -1, 7, 8, 9, 10, 11};
#define R_RANK			0
#define R_SHARE			5
#define R_CUMULATIVE	6

/* The query must give the counts and then the result's columns, of the result's types. */
static void
rows_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	RowsDest   *d = (RowsDest *) self;
	TupleDesc	out = d->srf->desc;
	int			i;

	if (desc->natts != Q_COLUMNS || out->natts != lengthof(result_from_query))
		elog(ERROR, "_variants: the query does not have the expected columns");
	for (i = 0; i < Q_COLUMNS; i++)
		if (i <= Q_TOTAL && TupleDescAttr(desc, i)->atttypid != INT8OID)
			elog(ERROR, "_variants: column %d of the query is not a bigint", i + 1);
	for (i = 0; i < out->natts; i++)
		if (result_from_query[i] >= 0 &&
			TupleDescAttr(desc, result_from_query[i])->atttypid != TupleDescAttr(out, i)->atttypid)
			elog(ERROR, "_variants: column %d of the query has the wrong type", result_from_query[i] + 1);
}

/* Two variants with one id: reported, as grouping by the id reported them. */
static void
check_new_id(RowsDest *d, int64 id)
{
	bool		found;

	(void) hash_search(d->ids, &id, HASH_ENTER, &found);
	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("two different variants have the same 64-bit variant id " INT64_FORMAT, id),
				 errhint("Group by collmine.trace_activities(trace) for this log, and please report the two variants.")));
}

/*
 * One row of the query, in rank order. The rank counts the rows; share and cumulative share
 * divide the row's cases and the running sum by the total as double precision, the same
 * values as row_number() and sum() OVER windows converted to double precision.
 */
static bool
rows_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowsDest   *d = (RowsDest *) self;
	Datum		values[lengthof(result_from_query)];
	bool		nulls[lengthof(result_from_query)];
	double		total;
	int64		cases;
	int			i;

	slot_getallattrs(slot);
	if (!slot->tts_isnull[Q_LEFT_OUT])
	{
		d->left_out += DatumGetInt64(slot->tts_values[Q_LEFT_OUT]);
		return true;
	}
	if (slot->tts_isnull[Q_TOTAL] || slot->tts_isnull[Q_CASES] || slot->tts_isnull[Q_VARIANT_ID])
		elog(ERROR, "_variants: a variant row without cases");
	if (!slot->tts_isnull[Q_SKIPPED])
		d->skipped += DatumGetInt64(slot->tts_values[Q_SKIPPED]);
	check_new_id(d, DatumGetInt64(slot->tts_values[Q_VARIANT_ID]));
	for (i = 0; i < lengthof(result_from_query); i++)
		if (result_from_query[i] >= 0)
		{
			values[i] = slot->tts_values[result_from_query[i]];
			nulls[i] = slot->tts_isnull[result_from_query[i]];
		}
	cases = DatumGetInt64(slot->tts_values[Q_CASES]);
	total = (double) DatumGetInt64(slot->tts_values[Q_TOTAL]);
	d->running += cases;
	values[R_RANK] = Int64GetDatum(++d->rank);
	values[R_SHARE] = Float8GetDatum((double) cases / total);
	values[R_CUMULATIVE] = Float8GetDatum((double) d->running / total);
	nulls[R_RANK] = nulls[R_SHARE] = nulls[R_CUMULATIVE] = false;
	cm_srf_row(d->srf, values, nulls);
	return true;
}

/* Nothing to release: the rows live in the result's tuplestore. */
static void
rows_shutdown(DestReceiver *self)
{
}

static void
rows_destroy(DestReceiver *self)
{
}

/* The variants query over a trace query, from collmine._variants_sql (the SQL lives there). */
static char *
variants_query(text *trace_sql)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(trace_sql)};
	bool		isnull;
	Datum		q;

	if (SPI_execute_with_args("SELECT collmine._variants_sql($1)", 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "_variants: collmine._variants_sql failed");
	q = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "_variants: collmine._variants_sql returned NULL");
	return TextDatumGetCString(q);
}

/* _variants(trace_sql text): see the header. */
Datum
variants_run(PG_FUNCTION_ARGS)
{
	text	   *trace_sql = PG_GETARG_TEXT_PP(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	char	   *query;
	RowsDest	dest;
	SPIExecuteOptions options;
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	int			rc;

	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = rows_receive;
	dest.pub.rStartup = rows_startup;
	dest.pub.rShutdown = rows_shutdown;
	dest.pub.rDestroy = rows_destroy;
	dest.pub.mydest = DestTuplestore;	/* rows are kept, as RETURN QUERY keeps them */
	dest.srf = &srf;
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(int64);
		ctl.hcxt = CurrentMemoryContext;
		dest.ids = hash_create("variant ids", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	SPI_connect();
	query = variants_query(trace_sql);
	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &dest.pub;
	/* no row limit, so that the executor may use the parallel workers the plan asks for */
	rc = SPI_execute_extended(query, &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variants: the query is not a SELECT (SPI result %d)", rc);
	args[0] = Int64GetDatum(dest.left_out);
	args[1] = Int64GetDatum(dest.skipped);
	rc = SPI_execute_with_args("SELECT collmine._report_left_out($1, $2)", 2, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variants: the report failed (SPI result %d)", rc);
	SPI_finish();
	return (Datum) 0;
}
