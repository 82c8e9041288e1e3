/*
 * split_plan.c: which plan runs a query over a log's traces (variants(), process_map()): the plain
 * query's, the query over the log split into disjoint sets of whole cases (collmine._case_split_sql,
 * src/variant_split.c), or the serial one.
 *
 * A per-case aggregate pays in parallel only when each case stays in one process. PostgreSQL
 * plans it so on a log partitioned by the case (partitionwise, whole partitions per worker); on
 * an ordinary table it plans no parallel aggregate, or, at a small work_mem, a partial one where
 * each worker builds part of a case's trace and the leader merges every case, which costs more
 * than the workers save. The split runs the query over copies of the log filtered to disjoint
 * case sets, one per worker, at the price of one more scan of the log per set: on a big enough
 * log it pays, on a small one the serial plan is faster.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "optimizer/cost.h"
#include "optimizer/paths.h"
#include "utils/builtins.h"
#include "utils/plancache.h"

#include "split_plan.h"

PG_FUNCTION_INFO_V1(case_split_choice);

/* The query planned, with parallel plans allowed or not (SPI_prepare alone would not allow them). */
SPIPlanPtr
split_prepare(const char *query, bool parallel_ok)
{
	SPIPrepareOptions options;
	SPIPlanPtr	plan;

	memset(&options, 0, sizeof(options));
	options.cursorOptions = parallel_ok ? CURSOR_OPT_PARALLEL_OK : 0;
	plan = SPI_prepare_extended(query, &options);
	if (plan == NULL)
		elog(ERROR, "collmine: the query could not be planned (SPI result %d)", SPI_result);
	return plan;
}

/* A plan node's child plans: its outer and inner plans, an Append's, a subquery scan's. */
static List *
plan_children(Plan *plan)
{
	List	   *children = NIL;

	if (plan->lefttree != NULL)
		children = lappend(children, plan->lefttree);
	if (plan->righttree != NULL)
		children = lappend(children, plan->righttree);
	if (IsA(plan, Append))
		children = list_concat(children, ((Append *) plan)->appendplans);
	else if (IsA(plan, MergeAppend))
		children = list_concat(children, ((MergeAppend *) plan)->mergeplans);
	else if (IsA(plan, SubqueryScan))
		children = lappend(children, ((SubqueryScan *) plan)->subplan);
	return children;
}

/* Estimated bytes the plan's leaf nodes (its scans) produce: rows times width, summed. */
static double
plan_input_bytes(Plan *plan)
{
	List	   *children = plan_children(plan);
	double		bytes = 0;
	ListCell   *lc;

	check_stack_depth();
	if (children == NIL)
		return plan->plan_rows * plan->plan_width;
	foreach(lc, children)
		bytes += plan_input_bytes((Plan *) lfirst(lc));
	return bytes;
}

/*
 * Whether the log is big enough for the split to pay: each case set costs one more scan of the
 * whole log and each worker a start, so on a small log the split loses to the serial plan.
 * Measured by make bench with 2 workers: BPIC 2012 (262k events, about 12 MB of scanned
 * columns) 0.79x as fast as serial; 1M generated events (about 45 MB) 1.36x. The bar is four
 * times min_parallel_table_scan_size, PostgreSQL's own size below which a table gets no
 * parallel scan: 32 MB by default (0 when a test sets that setting to 0).
 */
static bool
split_worth_it(SPIPlanPtr plain)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plain);
	double		bytes = 0;
	ListCell   *lc;

	if (cplan == NULL)
		return false;
	foreach(lc, cplan->stmt_list)
		bytes += plan_input_bytes(lfirst_node(PlannedStmt, lc)->planTree);
	ReleaseCachedPlan(cplan, NULL);
	return bytes >= 4.0 * (double) min_parallel_table_scan_size * BLCKSZ;
}

/* The plan's deepest aggregate (the per-case one), and whether a Gather lies above it. */
static Agg *
deepest_agg(Plan *plan, bool below_gather, bool *agg_below_gather)
{
	Agg		   *agg = NULL;
	ListCell   *lc;

	check_stack_depth();
	below_gather |= IsA(plan, Gather) || IsA(plan, GatherMerge);
	foreach(lc, plan_children(plan))
		if ((agg = deepest_agg((Plan *) lfirst(lc), below_gather, agg_below_gather)) != NULL)
			return agg;
	if (IsA(plan, Agg))
	{
		agg = (Agg *) plan;
		*agg_below_gather = below_gather;
	}
	return agg;
}

/* Who builds a case's trace in a plan. */
typedef enum CaseBuilding
{
	CASES_IN_ONE,				/* one process: a serial plan, or workers only scanning */
	CASES_IN_WORKERS,			/* each worker whole cases (partitionwise, or the split) */
	CASES_MERGED				/* each worker part of every case, merged by the leader */
} CaseBuilding;

/*
 * Who builds a case's trace in the plan, from its per-case aggregate: in workers when it runs
 * below a Gather, and merged when it runs there as a partial aggregate, which costs more than
 * the workers save (1M events at the default work_mem: 475 ms against 385 ms serial).
 */
static CaseBuilding
case_building(SPIPlanPtr plan)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plan);
	CaseBuilding result = CASES_IN_ONE;
	ListCell   *lc;

	if (cplan == NULL)
		return CASES_IN_ONE;
	foreach(lc, cplan->stmt_list)
	{
		PlannedStmt *stmt = lfirst_node(PlannedStmt, lc);
		bool		in_workers = false;
		Agg		   *agg = deepest_agg(stmt->planTree, false, &in_workers);

		if (agg != NULL && stmt->parallelModeNeeded && in_workers)
			result = agg->aggsplit == AGGSPLIT_SIMPLE ? CASES_IN_WORKERS : CASES_MERGED;
	}
	ReleaseCachedPlan(cplan, NULL);
	return result;
}

/*
 * The query over a trace query that an SQL expression writes (writer: an expression of w.t, the
 * trace query, split into parts disjoint sets of whole cases when parts > 1, and w.a, the text
 * writer_arg): collmine._variants_sql(w.t) for variants(), pg_catalog.format(w.a, w.t) for a
 * PL/pgSQL caller's query.
 */
static char *
split_query(const char *writer, text *trace_sql, text *writer_arg, int parts)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum		args[3] = {PointerGetDatum(trace_sql), PointerGetDatum(writer_arg), Int32GetDatum(parts)};
	char		nulls[3] = {' ', writer_arg == NULL ? 'n' : ' ', ' '};
	bool		isnull;
	Datum		q;

	if (SPI_execute_with_args(psprintf("SELECT %s FROM (SELECT CASE WHEN $3 > 1 THEN collmine._case_split_sql($1, $3) "
									   "ELSE $1 END AS t, $2 AS a) w", writer),
							  3, argtypes, args, nulls, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "collmine: the query over the traces could not be written (%s)", writer);
	q = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "collmine: the query over the traces is NULL (%s)", writer);
	return TextDatumGetCString(q);
}

/*
 * The plan to run for the query that writer writes over a trace query (split_query) and, in
 * *parts, which: 1 the plain query's plan, when no worker may be used or its plan does not
 * merge cases; else, when the log is big enough for a split to pay, n > 1 the split query's if
 * its workers build whole cases (a Parallel Append of the sets), as many sets as workers per
 * Gather (at least 2, at most 4, since each set costs a scan of the whole log); else 0 the
 * plain query's serial plan.
 */
SPIPlanPtr
split_choose_plan(const char *writer, text *trace_sql, text *writer_arg, int *parts)
{
	char	   *plain_query = split_query(writer, trace_sql, writer_arg, 1);
	SPIPlanPtr	plain = split_prepare(plain_query, true);
	SPIPlanPtr	split;
	int			n = Min(Max(max_parallel_workers_per_gather, 2), 4);
	CaseBuilding building;

	*parts = 1;
	if (max_parallel_workers_per_gather < 1)
		return plain;
	building = case_building(plain);
	if (building == CASES_IN_WORKERS)
		return plain;
	if (split_worth_it(plain))
	{
		split = split_prepare(split_query(writer, trace_sql, writer_arg, n), true);
		if (case_building(split) == CASES_IN_WORKERS)
		{
			SPI_freeplan(plain);
			*parts = n;
			return split;
		}
		SPI_freeplan(split);
	}
	if (building != CASES_MERGED)
		return plain;
	SPI_freeplan(plain);
	*parts = 0;
	return split_prepare(plain_query, false);
}

/*
 * _case_split_choice(query_format text, trace_sql text): split_choose_plan's choice for the query
 * format(query_format, trace query), for a PL/pgSQL caller that runs the query itself: 1 as it
 * is, n > 1 over collmine._case_split_sql(trace_sql, n), 0 as it is but serial (through a
 * cursor, which never runs in parallel).
 */
Datum
case_split_choice(PG_FUNCTION_ARGS)
{
	int			parts;

	SPI_connect();
	(void) split_choose_plan("pg_catalog.format(w.a, w.t)", PG_GETARG_TEXT_PP(1), PG_GETARG_TEXT_PP(0), &parts);
	SPI_finish();
	PG_RETURN_INT32(parts);
}

/*
 * _in_parallel_mode(): whether this process runs inside a parallel plan (as its leader, for a
 * PARALLEL RESTRICTED function). There no subtransaction can start, so process_map() must not
 * try a streamed read that it would catch the refusal of; it hashes the cases instead.
 */
PG_FUNCTION_INFO_V1(in_parallel_mode);

Datum
in_parallel_mode(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(IsInParallelMode());
}
