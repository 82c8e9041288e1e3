/*
 * compat.c: version shims declared in compat.h.
 */
#include "compat.h"

#include "miscadmin.h"
#include "utils/memutils.h"

/*
 * Materialize-mode SRF set-up that works the same on every supported major version.
 * The result type is looked up in the caller's short-lived context; only the descriptor copy
 * and the tuplestore go to per-query memory, and the executor frees both after each call, so a
 * function called once per row (LATERAL) does not grow memory until the query ends.
 */
CmSrf
cm_srf_begin(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	TupleDesc	desc;
	CmSrf		srf;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	srf.desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	srf.store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = srf.store;
	rsinfo->setDesc = srf.desc;
	MemoryContextSwitchTo(oldcxt);
	return srf;
}

/* Append one row; the tuplestore copies it, so callers may reuse values. */
void
cm_srf_row(CmSrf *srf, Datum *values, bool *nulls)
{
	/* every set-returning function emits its rows here: the one place to allow a cancel */
	CHECK_FOR_INTERRUPTS();
	tuplestore_putvalues(srf->store, srf->desc, values, nulls);
}
