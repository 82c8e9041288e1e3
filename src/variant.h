/*
 * variant.h: one variant's statistics (variant_agg.c), folded case by case by _variant_agg and
 * by the streamed _variants_stream (variant_stream.c), and the row both return
 * (collmine._variant_stats), which _variants reads back field by field: one list of positions
 * for both sides.
 */
#ifndef COLLMINE_VARIANT_H
#define COLLMINE_VARIANT_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "trace.h"

/* Attribute positions (0-based) of collmine._variant_stats, in its declared order. */
typedef enum VariantStatsField
{
	VS_VARIANT_ID,
	VS_REP,
	VS_ORDER_KEY,
	VS_CASES,
	VS_SKIPPED,
	VS_MEAN,
	VS_MEDIAN,
	VS_MIN,
	VS_MAX,
	VS_NFIELDS
} VariantStatsField;

/* One variant's cases so far: its first trace, counts and throughputs (variant_agg.c). */
typedef struct VariantState VariantState;

/* What variants() groups cases by: a 64-bit hash of a canonical trace's activity sequence. */
extern uint64 variant_key(const TraceData *t);

/*
 * Fold one case's trace into its variant's state, created in cxt when st is NULL; a trace of
 * another variant (a collision of the grouping key) is an error. Returns the state.
 */
extern VariantState *variant_state_add(MemoryContext cxt, VariantState *st, const TraceData *t);

/*
 * What ranking a state's row needs, for all states at once (variant_rank_keys): its order key in
 * compact form, its events as ranks of their names among all the names of the states keyed
 * together (variant_rank_key_cmp orders keys as the states' order_key fields compare as bytea),
 * and its variant id (trace_variant_hash of its representative).
 */
typedef struct VariantRankKey
{
	const uint32 *ranks;		/* big-endian, so that memcmp orders them */
	int32		n;
	uint64		id;
} VariantRankKey;

/* The rank keys of n states, in one allocation in the current context. */
extern void variant_rank_keys(VariantState *const *states, int n, VariantRankKey *keys);

extern int	variant_rank_key_cmp(const VariantRankKey *a, const VariantRankKey *b);

/*
 * The state as a collmine._variant_stats tuple of desc (blessed); reorders its throughputs.
 * With its rank key (variant_rank_keys) the id is taken from it and order_key is NULL: for a
 * caller that ranks the states itself and never reads order_key.
 */
extern HeapTuple variant_state_stats(VariantState *st, TupleDesc desc, const VariantRankKey *key);

/* The field values of that tuple (VS_NFIELDS of each), for a caller that sizes it first. */
extern void variant_state_stats_values(VariantState *st, const VariantRankKey *key, Datum *values,
									   bool *nulls);

/*
 * Fold state b into a (either may be NULL) and return a; b is adopted or freed when it lives in
 * cxt. Two different variants are an error, as in variant_state_add.
 */
extern VariantState *variant_state_combine(MemoryContext cxt, VariantState *a, VariantState *b);

/* A state's bytes, and a state read back from them into cxt (checked, never trusted). */
extern bytea *variant_state_serialize(const VariantState *st);
extern VariantState *variant_state_deserialize(MemoryContext cxt, const char *data, int len);

/* The number of cases folded into the state. */
extern int64 variant_state_cases(const VariantState *st);

#endif
