/*
 * conformance.h: compiled Declare-style rule sets (collmine.rule[]) and their evaluation.
 *
 * rules.c turns an array of collmine.rule values into a validated CmPolicy once per query
 * (cached in fn_extra); conformance.c evaluates every rule of a policy over one trace and
 * exposes the SQL entry points check_trace, rule_outcomes and policy_fitness.
 */
#ifndef COLLMINE_CONFORMANCE_H
#define COLLMINE_CONFORMANCE_H

#include "compat.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

/* The rule templates. Keep in step with cm_template_names in rules.c. */
typedef enum CmTemplate
{
	CM_EXISTENCE,
	CM_ABSENCE,
	CM_EXACTLY,
	CM_INIT,
	CM_END,
	CM_RESPONDED_EXISTENCE,
	CM_RESPONSE,
	CM_PRECEDENCE,
	CM_SUCCESSION,
	CM_CHAIN_RESPONSE,
	CM_CHAIN_PRECEDENCE,
	CM_NOT_SUCCESSION,
	CM_CO_EXISTENCE,
	CM_NUM_TEMPLATES
} CmTemplate;

/* One validated rule; strings are NUL-terminated copies in the policy's memory context. */
typedef struct CmRule
{
	char	   *name;
	CmTemplate	tmpl;
	char	   *act_a;
	int			len_a;
	char	   *act_b;			/* NULL for unary templates */
	int			len_b;
	int32		n;				/* count for existence/absence/exactly */
	int64		min_delay;		/* microseconds, >= 0 */
	int64		max_delay;		/* microseconds, PG_INT64_MAX when unbounded */
	bool		has_window;		/* min_delay or max_delay was given */
	char	   *severity;
	char	   *description;	/* may be NULL */
} CmRule;

typedef struct CmPolicy
{
	int			nrules;
	CmRule	   *rules;
	int64		fingerprint;	/* cm_policy_fingerprint of the rules, set when compiled */
} CmPolicy;

/* Template name as written in SQL ("response", "chain_precedence", ...). */
extern const char *cm_template_name(CmTemplate t);

/* True for the templates that take two activities. */
extern bool cm_template_is_binary(CmTemplate t);

/*
 * Compile (or fetch from fn_extra) the policy in an array of collmine.rule. Raises the
 * documented errors for malformed rules; when known is not NULL (a text[] of activity names),
 * every activity named by a rule must be in it (strict mode).
 */
extern CmPolicy *cm_policy_get(FunctionCallInfo fcinfo, Datum rules, ArrayType *known);

/* The fingerprint of a compiled rule set (fingerprint.h): what decides its counters and labels. */
extern int64 cm_policy_fingerprint(const CmPolicy *p);

/* A one-dimensional bigint[] of n values, in context cxt (the tallies' form). */
extern ArrayType *cm_int8_array(MemoryContext cxt, const int64 *v, int n);

/* Interval as a fixed duration in microseconds (days = 24 h, months = 30 days). */
extern int64 cm_interval_usecs(const Interval *iv, bool *overflow);

/* Append a duration in microseconds as "3d 04:05:06" (with fractional seconds when any). */
extern void cm_append_duration(StringInfo buf, int64 usecs);

/* Append a timestamp as UTC ISO 8601 without quotes. */
extern void cm_append_ts(StringInfo buf, TimestampTz ts);

#endif
