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
 * The query gives one row per variant, in rank order (see Q_* below): a row with a non-NULL
 * left_out carries only that count (the events without a case) and is not returned; every
 * other row carries the variant's _variant_stats, which the receiver takes apart, counting the
 * skipped events, writing the variant's text and activity array from its first trace (only
 * now, so that the rows sorted before are narrow), and adding the rank and the two shares,
 * which only need the row's place and the total (a window per figure would keep a copy of
 * every row). The rows are grouped by a cheap hash, not by the variant id, so two variants
 * whose ids collide arrive as two rows: the receiver reports that, as the grouping by id did.
 *
 * The plan comes from split_choose_plan (src/split_plan.c): the plain query's, the query over
 * the log split into disjoint sets of whole cases, or the serial plan, whichever of them keeps
 * each case in one process and uses the workers when that pays.
 *
 * The entry points variants(log, ...) and variants(log_schema, ...) are here too: they try the
 * streamed reads of a log stored case after case, each in a subtransaction that a refusal rolls
 * back, and else hash the cases, and all of them write their rows straight into the entry
 * point's own result.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "compat.h"
#include "split_plan.h"
#include "variant.h"

PG_FUNCTION_INFO_V1(variants_run);
PG_FUNCTION_INFO_V1(variants_parts);
PG_FUNCTION_INFO_V1(variants_rows);
PG_FUNCTION_INFO_V1(variants_entry);
PG_FUNCTION_INFO_V1(variants_log_entry);

/* trace_funcs.c: the variant of a trace as text and as text[] */
extern Datum trace_variant(PG_FUNCTION_ARGS);
extern Datum trace_activities(PG_FUNCTION_ARGS);

/* The receiver: the variant rows go into the result, the counts into the totals. */
typedef struct RowsDest
{
	DestReceiver pub;
	CmSrf	   *srf;
	TupleDesc	stats_desc;		/* of collmine._variant_stats */
	MemoryContext row_cxt;		/* one row's text and array, reset after each */
	int64		left_out;
	int64		skipped;
	int64		rank;			/* rows returned so far */
	int64		running;		/* their cases */
	HTAB	   *ids;			/* variant ids seen */
} RowsDest;

/* The query's columns: left_out, the total of cases, the variant's _variant_stats, the weight. */
#define Q_LEFT_OUT		0
#define Q_TOTAL			1
#define Q_STATS			2
#define Q_WEIGHT		3
#define Q_COLUMNS		4

/* The result's columns. */
enum
{
	R_RANK, R_VARIANT_ID, R_VARIANT, R_ACTIVITIES, R_CASES, R_SHARE, R_CUMULATIVE, R_WEIGHT,
	R_MEAN, R_MEDIAN, R_MIN, R_MAX, R_COLUMNS
};

/* The query must give the columns above; the stats' row type is looked up once. */
static void
rows_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	RowsDest   *d = (RowsDest *) self;
	Form_pg_attribute stats = TupleDescAttr(desc, Q_STATS);

	if (desc->natts != Q_COLUMNS || d->srf->desc->natts != R_COLUMNS ||
		TupleDescAttr(desc, Q_LEFT_OUT)->atttypid != INT8OID ||
		TupleDescAttr(desc, Q_TOTAL)->atttypid != INT8OID ||
		TupleDescAttr(desc, Q_WEIGHT)->atttypid != NUMERICOID)
		elog(ERROR, "_variants: the query does not have the expected columns");
	d->stats_desc = lookup_rowtype_tupdesc_copy(stats->atttypid, stats->atttypmod);
	d->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "variants row", ALLOCSET_DEFAULT_SIZES);
	if (d->stats_desc->natts != VS_NFIELDS)
		elog(ERROR, "_variants: the query's third column is not a collmine._variant_stats");
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
 * One row of the query, in rank order. Its _variant_stats is taken apart once here (not field
 * by field in the query). The rank counts the rows; share and cumulative share divide the
 * row's cases and the running sum by the total as double precision, the same values as
 * row_number() and sum() OVER windows converted to double precision.
 */
static bool
rows_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowsDest   *d = (RowsDest *) self;
	HeapTupleHeader rec;
	HeapTupleData tuple;
	Datum		f[VS_NFIELDS];
	bool		fnull[VS_NFIELDS];
	Datum		values[R_COLUMNS];
	bool		nulls[R_COLUMNS] = {false};
	double		total;
	MemoryContext old;

	slot_getallattrs(slot);
	if (!slot->tts_isnull[Q_LEFT_OUT])
	{
		d->left_out += DatumGetInt64(slot->tts_values[Q_LEFT_OUT]);
		return true;
	}
	if (slot->tts_isnull[Q_STATS] || slot->tts_isnull[Q_TOTAL])
		elog(ERROR, "_variants: a variant row without its statistics");
	rec = DatumGetHeapTupleHeader(slot->tts_values[Q_STATS]);
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, d->stats_desc, f, fnull);
	if (fnull[VS_VARIANT_ID] || fnull[VS_CASES] || fnull[VS_SKIPPED])
		elog(ERROR, "_variants: a variant row without its counts");
	d->skipped += DatumGetInt64(f[VS_SKIPPED]);
	check_new_id(d, DatumGetInt64(f[VS_VARIANT_ID]));
	total = (double) DatumGetInt64(slot->tts_values[Q_TOTAL]);
	d->running += DatumGetInt64(f[VS_CASES]);
	values[R_RANK] = Int64GetDatum(++d->rank);
	values[R_VARIANT_ID] = f[VS_VARIANT_ID];
	if (fnull[VS_REP])
		elog(ERROR, "_variants: a variant row without its trace");
	/* the text and the array are built here, after the sort, so that the rows sorted are narrow */
	old = MemoryContextSwitchTo(d->row_cxt);
	values[R_VARIANT] = DirectFunctionCall1(trace_variant, f[VS_REP]);
	values[R_ACTIVITIES] = DirectFunctionCall1(trace_activities, f[VS_REP]);
	MemoryContextSwitchTo(old);
	values[R_CASES] = f[VS_CASES];
	values[R_SHARE] = Float8GetDatum((double) DatumGetInt64(f[VS_CASES]) / total);
	values[R_CUMULATIVE] = Float8GetDatum((double) d->running / total);
	values[R_WEIGHT] = slot->tts_values[Q_WEIGHT];
	nulls[R_WEIGHT] = slot->tts_isnull[Q_WEIGHT];
	values[R_MEAN] = f[VS_MEAN];
	nulls[R_MEAN] = fnull[VS_MEAN];
	values[R_MEDIAN] = f[VS_MEDIAN];
	nulls[R_MEDIAN] = fnull[VS_MEDIAN];
	values[R_MIN] = f[VS_MIN];
	nulls[R_MIN] = fnull[VS_MIN];
	values[R_MAX] = f[VS_MAX];
	nulls[R_MAX] = fnull[VS_MAX];
	cm_srf_row(d->srf, values, nulls);
	MemoryContextReset(d->row_cxt);
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

/* The variants query over a trace query: collmine._variants_sql writes it (the SQL lives there). */
#define VARIANTS_QUERY "collmine._variants_sql(w.t)"

/* _variants_parts(trace_sql text): how many case sets _variants would split the log into. */
Datum
variants_parts(PG_FUNCTION_ARGS)
{
	int			parts;

	SPI_connect();
	(void) split_choose_plan(VARIANTS_QUERY, PG_GETARG_TEXT_PP(0), NULL, &parts);
	parts = Max(parts, 1);
	SPI_finish();
	PG_RETURN_INT32(parts);
}

/* Run plan (SPI connected) with the receiver into srf, then report what it left out. */
static void
run_variants(CmSrf *srf, SPIPlanPtr plan)
{
	RowsDest	dest;
	SPIExecuteOptions options;
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	int			rc;
	HASHCTL		ctl;

	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = rows_receive;
	dest.pub.rStartup = rows_startup;
	dest.pub.rShutdown = rows_shutdown;
	dest.pub.rDestroy = rows_destroy;
	dest.pub.mydest = DestTuplestore;	/* rows are kept, as RETURN QUERY keeps them */
	dest.srf = srf;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(int64);
	ctl.hcxt = CurrentMemoryContext;
	dest.ids = hash_create("variant ids", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &dest.pub;
	/* no row limit, so that the executor may use the parallel workers the plan asks for */
	rc = SPI_execute_plan_extended(plan, &options);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variants: the query is not a SELECT (SPI result %d)", rc);
	args[0] = Int64GetDatum(dest.left_out);
	args[1] = Int64GetDatum(dest.skipped);
	rc = SPI_execute_with_args("SELECT collmine._report_left_out($1, $2)", 2, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "_variants: the report failed (SPI result %d)", rc);
}

/* _variants(trace_sql text): see the header. */
Datum
variants_run(PG_FUNCTION_ARGS)
{
	text	   *trace_sql = PG_GETARG_TEXT_PP(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	int			parts;

	SPI_connect();
	run_variants(&srf, split_choose_plan(VARIANTS_QUERY, trace_sql, NULL, &parts));
	SPI_finish();
	return (Datum) 0;
}

/*
 * Run a query that gives its rows itself (_variants_stream_sql's) in its own SPI connection, its
 * rows into srf: the body of _variants_stream_rows, and of each streamed way variants() tries.
 * Parallel plans are allowed: _variants_stream_parts_rows' leaves go to workers, when it pays.
 */
static void
run_rows_query(CmSrf *srf, const char *query)
{
	SPI_connect();
	run_variants(srf, split_prepare(query, true));
	SPI_finish();
}

/*
 * _variants_stream_rows(query text) and _variants_stream_parts_rows(query text): _variants over
 * a query that already gives its rows (left_out, total, st, wt in rank order), as
 * _variants_stream_sql writes it around the streamed aggregates; planned as it is, in parallel
 * when the settings of the caller (the SQL function's SET clauses) allow it and it pays.
 */
Datum
variants_rows(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CmSrf		srf = cm_srf_begin(fcinfo);

	run_rows_query(&srf, query);
	return (Datum) 0;
}

/* The extension's function name(argument types); its schema is always collmine. */
static Oid
collmine_function(const char *name, int nargs, const Oid *argtypes)
{
	return LookupFuncName(list_make2(makeString(pstrdup("collmine")), makeString(pstrdup(name))),
						  nargs, argtypes, false);
}

/*
 * Apply the SET clauses of function fn at a new GUC nest level, as a call of fn would
 * (fmgr_security_definer): each read runs under the settings its SQL function declares, which
 * stay the one place they are written. Returns the level, for AtEOXact_GUC.
 */
static int
push_settings_of(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	int			level = NewGUCNestLevel();
	Datum		config;
	bool		isnull;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	config = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proconfig, &isnull);
	if (!isnull)
		ProcessGUCArray(DatumGetArrayTypeP(config), superuser() ? PGC_SUSET : PGC_USERSET,
						PGC_S_SESSION, GUC_ACTION_SAVE);
	ReleaseSysCache(tup);
	return level;
}

/* The values (as text, in the current context) of a query's first column, read-only. */
static List *
spi_values(const char *query, int nargs, Oid *types, Datum *args, const char *nulls)
{
	List	   *values = NIL;
	int			rc = SPI_execute_with_args(query, nargs, types, args, nulls, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "variants: a query failed (SPI result %d)", rc);
	for (uint64 i = 0; i < SPI_processed; i++)
		values = lappend(values, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	return values;
}

/* The one non-NULL value of a query, as text. */
static char *
spi_value(const char *query, int nargs, Oid *types, Datum *args, const char *nulls)
{
	List	   *values = spi_values(query, nargs, types, args, nulls);

	if (list_length(values) != 1 || linitial(values) == NULL)
		elog(ERROR, "variants: \"%s\" gave no value", query);
	return linitial(values);
}

/* True when an error message is a stream's refusal of a log not grouped by case. */
static bool
stream_refused(const char *msg)
{
	Oid			type = TEXTOID;
	Datum		arg = CStringGetTextDatum(msg);

	return strcmp(spi_value("SELECT collmine._stream_refused($1)", 1, &type, &arg, NULL), "t") == 0;
}

/*
 * Read one streamed way: query, under the settings of its row function fn, in a
 * subtransaction, its rows into srf. False when the stream refused the log: nothing was
 * written, and the subtransaction is rolled back with its settings. Any other error is raised.
 */
static bool
try_stream(CmSrf *srf, Oid fn, const char *query)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool refused = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			level = push_settings_of(fn);

		/* the result's tuplestore keeps its files with the owner it was made under, not this
		 * subtransaction's (tuplestore.c) */
		run_rows_query(srf, query);
		AtEOXact_GUC(true, level);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_DATA_EXCEPTION || !stream_refused(edata->message))
			ReThrowError(edata);
		/* a stream refuses in its transition, before its final function gives any row */
		if (tuplestore_tuple_count(srf->store) > 0)
			elog(ERROR, "variants: a stream was refused after its first rows");
		FreeErrorData(edata);
		refused = true;
	}
	PG_END_TRY();
	return !refused;
}

/* The hashed read of a trace query (SPI connected): _variants under its own settings. */
static void
variants_hashed(CmSrf *srf, char *trace_sql)
{
	Oid			textarg = TEXTOID;
	int			level = push_settings_of(collmine_function("_variants", 1, &textarg));
	int			parts;

	run_variants(srf, split_choose_plan(VARIANTS_QUERY, cstring_to_text(trace_sql), NULL, &parts));
	AtEOXact_GUC(true, level);
}

/*
 * The variants of a relation (SPI connected): args are variants()' log, case_col,
 * activity_col, ts_col, order_col and weight_col, and one more slot for the way. The streamed
 * reads _variants_stream_ways lists, in turn, each given up when its stream refuses the log (a
 * log not grouped by case: _stream_refused); else the cases hashed.
 */
static void
variants_of_relation(CmSrf *srf, Datum *args, char *nulls)
{
	Oid			types[7] = {REGCLASSOID, NAMEOID, NAMEOID, NAMEOID, NAMEOID, NAMEOID, TEXTOID};
	Oid			textarg = TEXTOID;
	char	   *trace_sql;
	ListCell   *lc;

	/* _trace_sql also checks the arguments and columns, for every way */
	trace_sql = spi_value("SELECT collmine._trace_sql($1, $2, $3, $4, $5, $6)", 6, types, args, nulls);
	foreach(lc, spi_values("SELECT w FROM pg_catalog.unnest(collmine._variants_stream_ways($1, $2, $6)) w",
						   6, types, args, nulls))
	{
		const char *how = lfirst(lc);
		bool		parted = strcmp(how, "partitions") == 0 || strcmp(how, "ranges") == 0;

		/* the leaves of a partitioned table, or the block ranges of a table, each by its own
		 * worker when that pays */
		args[6] = CStringGetTextDatum(how);
		nulls[6] = ' ';
		if (try_stream(srf,
					   collmine_function(parted ? "_variants_stream_parts_rows" : "_variants_stream_rows", 1, &textarg),
					   spi_value("SELECT collmine._variants_stream_sql($1, $2, $3, $4, $5, $6, $7)",
								 7, types, args, nulls)))
			return;
	}
	variants_hashed(srf, trace_sql);
}

/* An entry point's first n arguments as SPI arguments: their values, and 'n' for a NULL. */
static void
entry_args(FunctionCallInfo fcinfo, int n, Datum *args, char *nulls)
{
	for (int i = 0; i < n; i++)
	{
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
}

/*
 * variants(log regclass, case_col, activity_col, ts_col, order_col, weight_col), the entry
 * point (sql/parts/25_entry.sql). In C and not PL/pgSQL so that the rows are written once, into
 * this function's result: RETURN QUERY copied each row, a variant's text and activities, into a
 * second tuplestore, which on a log of many long variants (BPIC 2012: 4,366 variants, 8.5 MB
 * of rows) cost a tenth of the call.
 */
Datum
variants_entry(PG_FUNCTION_ARGS)
{
	CmSrf		srf = cm_srf_begin(fcinfo);
	Datum		args[7] = {0};
	char		nulls[8] = "       ";

	entry_args(fcinfo, 6, args, nulls);
	SPI_connect();
	variants_of_relation(&srf, args, nulls);
	SPI_finish();
	return (Datum) 0;
}

/*
 * variants(log_schema name, weight text), the entry point of a log schema
 * (sql/parts/54_log_entry.sql), in C for the same reason. Without a weight the trace query
 * would be the relation form's over <schema>.events: it takes that form, so that an events
 * table stored in case order (as the connectors write it) is streamed, as
 * process_map(log_schema) is. With one, the cases are hashed over _log_trace_sql's query.
 */
Datum
variants_log_entry(PG_FUNCTION_ARGS)
{
	CmSrf		srf = cm_srf_begin(fcinfo);
	Oid			types[2] = {NAMEOID, TEXTOID};
	Datum		args[7] = {0};
	char		nulls[8] = "       ";

	entry_args(fcinfo, 2, args, nulls);
	SPI_connect();
	if (!PG_ARGISNULL(1))
		variants_hashed(&srf, spi_value("SELECT collmine._log_trace_sql($1, $2)", 2, types, args, nulls));
	else
	{
		(void) spi_values("SELECT collmine._check_log($1)", 1, types, args, nulls);
		args[0] = ObjectIdGetDatum(atooid(spi_value("SELECT pg_catalog.to_regclass(pg_catalog.format('%I.events', $1))::pg_catalog.oid",
													1, types, args, nulls)));
		args[1] = DirectFunctionCall1(namein, CStringGetDatum("case_id"));
		args[2] = DirectFunctionCall1(namein, CStringGetDatum("activity"));
		args[3] = DirectFunctionCall1(namein, CStringGetDatum("ts"));
		args[4] = DirectFunctionCall1(namein, CStringGetDatum("ord"));
		memcpy(nulls, "     n ", 7);
		variants_of_relation(&srf, args, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
