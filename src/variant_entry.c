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
 * The query's columns are (left_out bigint, skipped bigint, <the rows' columns>): a row with a
 * non-NULL left_out carries only that count (the events without a case) and is not returned;
 * every other row is returned without the first two columns, its skipped events counted. The
 * rows are grouped by a cheap hash, not by the variant id, so two variants whose ids collide
 * arrive as two rows: the receiver reports that, as the grouping by id did.
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
	HTAB	   *ids;			/* variant ids seen */
} RowsDest;

/* Result column of the variant id. */
#define ROWS_VARIANT_ID	1

/* The query must give the two counts and then exactly the result's columns. */
static void
rows_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	RowsDest   *d = (RowsDest *) self;
	TupleDesc	out = d->srf->desc;
	int			i;

	if (desc->natts != out->natts + 2 ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID || TupleDescAttr(desc, 1)->atttypid != INT8OID)
		elog(ERROR, "_variants: the query does not have the result's columns");
	for (i = 0; i < out->natts; i++)
		if (TupleDescAttr(desc, i + 2)->atttypid != TupleDescAttr(out, i)->atttypid)
			elog(ERROR, "_variants: column %d of the query has the wrong type", i + 3);
}

/* One row of the query. */
static bool
rows_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowsDest   *d = (RowsDest *) self;

	slot_getallattrs(slot);
	if (!slot->tts_isnull[0])
	{
		d->left_out += DatumGetInt64(slot->tts_values[0]);
		return true;
	}
	if (!slot->tts_isnull[1])
		d->skipped += DatumGetInt64(slot->tts_values[1]);
	if (!slot->tts_isnull[2 + ROWS_VARIANT_ID])
	{
		int64		id = DatumGetInt64(slot->tts_values[2 + ROWS_VARIANT_ID]);
		bool		found;

		(void) hash_search(d->ids, &id, HASH_ENTER, &found);
		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("two different variants have the same 64-bit variant id " INT64_FORMAT, id),
					 errhint("Group by collmine.trace_activities(trace) for this log, and please report the two variants.")));
	}
	cm_srf_row(d->srf, slot->tts_values + 2, slot->tts_isnull + 2);
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
