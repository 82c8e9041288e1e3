/*
 * variant.h: the row _variant_agg's final function returns (collmine._variant_stats) and
 * _variants reads back, field by field: one list of positions for both sides.
 */
#ifndef COLLMINE_VARIANT_H
#define COLLMINE_VARIANT_H

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

#endif
