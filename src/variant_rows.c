/*
 * variant_rows.c: collmine._variant_rows(query), the rows of variants() from the one query that
 * computes them, and the report of what that query left out.
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
 * every other row is returned without the first two columns, its skipped events counted.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "tcop/dest.h"
#include "utils/builtins.h"

#include "compat.h"

PG_FUNCTION_INFO_V1(variant_rows);

/* The receiver: the variant rows go into the result, the counts into the totals. */
typedef struct RowsDest
{
	DestReceiver pub;
	CmSrf	   *srf;
	int64		left_out;
	int64		skipped;
} RowsDest;

/* The query must give the two counts and then exactly the result's columns. */
static void
rows_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	RowsDest   *d = (RowsDest *) self;
	TupleDesc	out = d->srf->desc;
	int			i;

	if (desc->natts != out->natts + 2 ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID || TupleDescAttr(desc, 1)->atttypid != INT8OID)
		elog(ERROR, "_variant_rows: the query does not have the result's columns");
	for (i = 0; i < out->natts; i++)
		if (TupleDescAttr(desc, i + 2)->atttypid != TupleDescAttr(out, i)->atttypid)
			elog(ERROR, "_variant_rows: column %d of the query has the wrong type", i + 3);
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

/* _variant_rows(query text): see the header. */
Datum
variant_rows(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CmSrf		srf = cm_srf_begin(fcinfo);
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

	SPI_connect();
	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &dest.pub;
	/* no row limit, so that the executor may use the parallel workers the plan asks for */
	rc = SPI_execute_extended(query, &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variant_rows: the query is not a SELECT (SPI result %d)", rc);
	args[0] = Int64GetDatum(dest.left_out);
	args[1] = Int64GetDatum(dest.skipped);
	rc = SPI_execute_with_args("SELECT collmine._report_left_out($1, $2)", 2, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variant_rows: the report failed (SPI result %d)", rc);
	SPI_finish();
	return (Datum) 0;
}
