/*
 * compat.h: the one place where collmine adapts to PostgreSQL major versions (13 to 18).
 *
 * Every PG_VERSION_NUM test in the project lives here or in compat.c; the rest of the code
 * calls the shims below and never tests the version itself.
 */
#ifndef COLLMINE_COMPAT_H
#define COLLMINE_COMPAT_H

#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"

#if PG_VERSION_NUM < 130000
#error "collmine needs PostgreSQL 13 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * A function that never returns. PostgreSQL 18 replaced pg_attribute_noreturn() with pg_noreturn;
 * both go in front of the declaration.
 */
#ifdef pg_noreturn
#define cm_noreturn pg_noreturn
#else
#define cm_noreturn pg_attribute_noreturn()
#endif

/*
 * Where an expanded object's flatten_into method may allocate scratch memory. From 17 on,
 * tuplesort forms its tuples in a bump context (no chunk headers, no pfree) and flattens
 * expanded values while that context is current, so scratch palloc'd and pfree'd there fails
 * ("pfree called with invalid pointer", or a crash: 18.6, a Partial HashAggregate of dfg_agg
 * under a Sort; test/sql/20_dfg_parallel.sql). The object's own context works on every version.
 */
#define cm_flatten_scratch_context(eoh) ((eoh)->eoh_context)

/* pq_sendbytes takes const void * from PostgreSQL 16 on (const char * before); only the fuzz
 * harness's stand-in for the server defines it. */
#if PG_VERSION_NUM >= 160000
typedef const void *cm_sendbytes_data;
#else
typedef const char *cm_sendbytes_data;
#endif

#ifndef HAVE_INT128
#error "collmine needs a compiler with 128-bit integers (exact duration and money sums)"
#endif

/* A materialized set-returning function's output: where rows go and what they look like. */
typedef struct CmSrf
{
	Tuplestorestate *store;
	TupleDesc	desc;
} CmSrf;

/* Set up materialize mode for an SRF (InitMaterializedSRF exists only in newer majors). */
extern CmSrf cm_srf_begin(FunctionCallInfo fcinfo);

/* Append one row to a materialized SRF. */
extern void cm_srf_row(CmSrf *srf, Datum *values, bool *nulls);

#endif
