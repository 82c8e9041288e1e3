/*
 * variant_split.c: collmine._case_in_part(case_id, part, parts), the filter that splits a log
 * into disjoint sets of whole cases, so that an ordinary (unpartitioned) table's variants can
 * be built by parallel workers.
 *
 * PostgreSQL builds per-case aggregates in parallel only on a table partitioned by the case
 * (each worker aggregates whole partitions); on an ordinary table a Parallel Seq Scan hands
 * each worker pages, a case's events land in several workers, and the leader has to combine
 * every case's partial trace alone. _variants therefore runs, when the plain query gets no
 * parallel plan, the union of `parts` copies of the trace query, copy k keeping the cases with
 * _case_in_part(case_id, k, parts) (collmine._case_split_sql). The planner pushes the filter
 * below each copy's GROUP BY and runs the copies as the non-partial children of a Parallel
 * Append: each worker scans the whole table but builds the traces of its own cases only.
 *
 * The part is hashtext of the case id (in the id's collation, so ids that the GROUP BY finds
 * equal always fall in one part) modulo parts; a NULL id belongs to part 0. The support
 * function tells the planner that each part holds 1/parts of the rows, so that the copies are
 * costed as what they are.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "nodes/primnodes.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "compat.h"

PG_FUNCTION_INFO_V1(case_in_part);
PG_FUNCTION_INFO_V1(case_in_part_support);

/*
 * Whether the collation compares bytes (then hashtext is hash_bytes of the string, called here
 * directly, once per row of the log); looked up once per query in fn_extra.
 */
static bool
deterministic(FunctionCallInfo fcinfo, Oid coll)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(bool));
	else
		return *(bool *) fcinfo->flinfo->fn_extra;
	*(bool *) fcinfo->flinfo->fn_extra = get_collation_isdeterministic(coll);
	return *(bool *) fcinfo->flinfo->fn_extra;
}

/* _case_in_part(case_id text, part int, parts int): whether the case falls in the part. */
Datum
case_in_part(PG_FUNCTION_ARGS)
{
	Oid			coll = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
	int32		part,
				parts;
	uint32		h;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_INT32(2) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of parts must be a positive integer"),
				 errhint("collmine._case_in_part(case_id, part, parts) keeps part \"part\" of \"parts\" (0 <= part < parts).")));
	part = PG_GETARG_INT32(1);
	parts = PG_GETARG_INT32(2);
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(part == 0);
	if (deterministic(fcinfo, coll))
	{
		text	   *id = PG_GETARG_TEXT_PP(0);

		h = hash_bytes((const unsigned char *) VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
	}
	else
		h = DatumGetUInt32(DirectFunctionCall1Coll(hashtext, coll, PG_GETARG_DATUM(0)));
	PG_RETURN_BOOL((int32) (h % (uint32) parts) == part);
}

/* Planner support: a part holds 1/parts of the rows (when parts is a constant). */
Datum
case_in_part_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSelectivity *req;
	Node	   *parts;

	if (!IsA(rawreq, SupportRequestSelectivity))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSelectivity *) rawreq;
	if (req->is_join || list_length(req->args) != 3)
		PG_RETURN_POINTER(NULL);
	parts = (Node *) lthird(req->args);
	if (!IsA(parts, Const) || ((Const *) parts)->constisnull || DatumGetInt32(((Const *) parts)->constvalue) < 1)
		PG_RETURN_POINTER(NULL);
	req->selectivity = 1.0 / DatumGetInt32(((Const *) parts)->constvalue);
	PG_RETURN_POINTER(req);
}
