/*
 * rules.c: reading and validating a rule set (an array of collmine.rule) into a CmPolicy.
 *
 * A policy is compiled once per query: the compiled form is cached in fn_extra, keyed by the
 * bytes of the (detoasted) array, so a 10-rule policy passed to check_trace for a million
 * traces is read and validated once. Every malformed rule raises an ereport with SQLSTATE
 * 22023 (invalid_parameter_value) and a hint that shows the right form.
 */
#include "conformance.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
#include "utils/timestamp.h"

#include "textio.h"

/* SQL names of the templates, indexed by CmTemplate. */
static const char *const cm_template_names[CM_NUM_TEMPLATES] = {
	"existence", "absence", "exactly", "init", "end",
	"responded_existence", "response", "precedence", "succession",
	"chain_response", "chain_precedence", "not_succession", "co_existence"
};

/* Rules in one rule set: the tally holds 4 counters per rule in one bigint[]. */
#define CM_MAX_RULES 100000

#define CM_TEMPLATE_LIST "existence, absence, exactly, init, end, responded_existence, response, " \
	"precedence, succession, chain_response, chain_precedence, not_succession, co_existence"

/* The columns of collmine.rule, in order. */
enum
{
	RULE_NAME = 1, RULE_TEMPLATE, RULE_A, RULE_B, RULE_N, RULE_MIN, RULE_MAX,
	RULE_SEVERITY, RULE_DESCRIPTION, RULE_NATTS = RULE_DESCRIPTION
};

/* What fn_extra holds: the array bytes the policy was compiled from, and the policy. */
typedef struct PolicyCache
{
	MemoryContext cxt;			/* holds this struct and everything it points to */
	Size		keylen;
	char	   *key;
	ArrayType  *known;			/* strict-mode activity list the cache was checked with */
	CmPolicy	policy;
} PolicyCache;

/* Template name for messages and output columns. */
const char *
cm_template_name(CmTemplate t)
{
	return cm_template_names[t];
}

/* Binary templates relate an activation activity to a target activity. */
bool
cm_template_is_binary(CmTemplate t)
{
	return t >= CM_RESPONDED_EXISTENCE;
}

/* Interval as a fixed duration: the same 24-hour day and 30-day month as interval comparison. */
int64
cm_interval_usecs(const Interval *iv, bool *overflow)
{
	int64		days;
	int64		us;

	*overflow = false;
	days = (int64) iv->month * DAYS_PER_MONTH + iv->day;
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, iv->time, &us))
	{
		*overflow = true;
		return 0;
	}
	return us;
}

/* Append a duration as "[-]Nd HH:MM:SS[.ffffff]": locale- and IntervalStyle-independent. */
void
cm_append_duration(StringInfo buf, int64 usecs)
{
	uint64		u;
	uint64		secs;

	if (usecs < 0)
	{
		appendStringInfoChar(buf, '-');
		u = (uint64) (-(usecs + 1)) + 1;
	}
	else
		u = (uint64) usecs;
	secs = u / USECS_PER_SEC;
	appendStringInfo(buf, "%llud %02d:%02d:%02d",
					 (unsigned long long) (secs / SECS_PER_DAY),
					 (int) (secs % SECS_PER_DAY / SECS_PER_HOUR),
					 (int) (secs % SECS_PER_HOUR / SECS_PER_MINUTE),
					 (int) (secs % SECS_PER_MINUTE));
	if (u % USECS_PER_SEC != 0)
		appendStringInfo(buf, ".%06d", (int) (u % USECS_PER_SEC));
}

/* Append a timestamp as UTC ISO 8601 without quotes ("infinity" for infinite ones). */
void
cm_append_ts(StringInfo buf, TimestampTz ts)
{
	StringInfoData tmp;

	if (TIMESTAMP_IS_NOBEGIN(ts))
	{
		appendStringInfoString(buf, "-infinity");
		return;
	}
	if (TIMESTAMP_IS_NOEND(ts))
	{
		appendStringInfoString(buf, "infinity");
		return;
	}
	initStringInfo(&tmp);
	cm_write_timestamp(&tmp, ts);
	appendBinaryStringInfo(buf, tmp.data + 1, tmp.len - 2);
	pfree(tmp.data);
}

/* Look a template up by its SQL name (case-sensitive, as documented). */
static CmTemplate
parse_template(const char *rule, const char *s)
{
	int			i;

	for (i = 0; i < CM_NUM_TEMPLATES; i++)
		if (strcmp(s, cm_template_names[i]) == 0)
			return (CmTemplate) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("rule \"%s\": unknown template \"%s\"", rule, s),
			 errhint("Use one of: " CM_TEMPLATE_LIST ".")));
	pg_unreachable();
}

/* Column attno of a rule as a C string in the current context, or NULL. */
static char *
rule_text(HeapTupleHeader tup, TupleDesc desc, int attno)
{
	HeapTupleData tuple;
	bool		isnull;
	Datum		d;

	tuple.t_len = HeapTupleHeaderGetDatumLength(tup);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = tup;
	d = heap_getattr(&tuple, attno, desc, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

/* Column attno of a rule as a raw datum; *isnull tells whether it is NULL. */
static Datum
rule_datum(HeapTupleHeader tup, TupleDesc desc, int attno, bool *isnull)
{
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(tup);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = tup;
	return heap_getattr(&tuple, attno, desc, isnull);
}

/* Read a delay bound: NULL means "no bound"; negative values are an error. */
static int64
read_delay(const char *rule, HeapTupleHeader tup, TupleDesc desc, int attno, bool *given)
{
	bool		isnull;
	bool		overflow;
	int64		us;
	Datum		d = rule_datum(tup, desc, attno, &isnull);

	*given = !isnull;
	if (isnull)
		return -1;
	us = cm_interval_usecs(DatumGetIntervalP(d), &overflow);
	if (overflow)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": %s is out of range", rule,
						attno == RULE_MIN ? "min_delay" : "max_delay")));
	if (us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": %s must not be negative", rule,
						attno == RULE_MIN ? "min_delay" : "max_delay"),
				 errhint("A time window is [min_delay, max_delay] with 0 <= min_delay <= max_delay, "
						 "e.g. min_delay => NULL, max_delay => '7 days'.")));
	return us;
}

/* Order C strings bytewise (qsort and bsearch over char * arrays). */
static int
cstring_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Order rule indexes by rule name, then by position, so that duplicates end up adjacent. */
static int
rule_index_cmp(const void *a, const void *b, void *arg)
{
	const CmRule *rules = (const CmRule *) arg;
	int			x = *(const int *) a;
	int			y = *(const int *) b;
	int			c = strcmp(rules[x].name, rules[y].name);

	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * Duplicate rule names, found by sorting (a rule set can hold many thousand rules): reports
 * the duplicate that comes first in array order, as a pairwise scan would.
 */
static void
check_unique_names(const CmPolicy *p)
{
	int		   *idx = palloc(sizeof(int) * Max(p->nrules, 1));
	int			i,
				dup = -1;

	for (i = 0; i < p->nrules; i++)
		idx[i] = i;
	qsort_arg(idx, p->nrules, sizeof(int), rule_index_cmp, p->rules);
	for (i = 1; i < p->nrules; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (strcmp(p->rules[idx[i - 1]].name, p->rules[idx[i]].name) == 0 &&
			(dup < 0 || idx[i] < dup))
			dup = idx[i];
	}
	if (dup >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("duplicate rule name \"%s\"", p->rules[dup].name),
				 errhint("Rule names must be unique within a rule set.")));
	pfree(idx);
}

/* Strict mode: the known activity names as a sorted array of C strings (NULLs left out). */
static char **
known_sorted(ArrayType *known, int *n)
{
	Datum	   *kelems;
	bool	   *knulls;
	int			nk,
				i;
	char	  **names;

	deconstruct_array(known, TEXTOID, -1, false, TYPALIGN_INT, &kelems, &knulls, &nk);
	names = palloc(sizeof(char *) * Max(nk, 1));
	*n = 0;
	for (i = 0; i < nk; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!knulls[i])
			names[(*n)++] = TextDatumGetCString(kelems[i]);
	}
	qsort(names, *n, sizeof(char *), cstring_ptr_cmp);
	return names;
}

/* Strict mode: is this activity in the sorted list of known activity names? */
static bool
activity_known(const char *act, char **known, int nknown)
{
	return bsearch(&act, known, nknown, sizeof(char *), cstring_ptr_cmp) != NULL;
}

/* Validate and copy one collmine.rule into r. */
static void
compile_rule(CmRule *r, HeapTupleHeader tup, TupleDesc desc)
{
	char	   *tmpl;
	bool		isnull;
	bool		has_min;
	bool		has_max;
	Datum		d;

	r->name = rule_text(tup, desc, RULE_NAME);
	if (r->name == NULL || r->name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule has no rule_name"),
				 errhint("Every rule needs a non-empty rule_name.")));
	tmpl = rule_text(tup, desc, RULE_TEMPLATE);
	if (tmpl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": template is null", r->name),
				 errhint("Use one of: " CM_TEMPLATE_LIST ".")));
	r->tmpl = parse_template(r->name, tmpl);

	r->act_a = rule_text(tup, desc, RULE_A);
	r->act_b = rule_text(tup, desc, RULE_B);
	if (r->act_a == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": activity_a is null", r->name),
				 errhint("Template %s needs activity_a.", tmpl)));
	if (cm_template_is_binary(r->tmpl) && r->act_b == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": template %s needs activity_b", r->name, tmpl),
				 errhint("Binary templates relate activity_a to activity_b.")));
	if (!cm_template_is_binary(r->tmpl) && r->act_b != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": template %s takes one activity, but activity_b is set",
						r->name, tmpl),
				 errhint("Leave activity_b NULL for existence, absence, exactly, init and end.")));
	r->len_a = strlen(r->act_a);
	r->len_b = r->act_b ? strlen(r->act_b) : 0;

	d = rule_datum(tup, desc, RULE_N, &isnull);
	if (r->tmpl == CM_EXISTENCE || r->tmpl == CM_ABSENCE || r->tmpl == CM_EXACTLY)
	{
		if (isnull && r->tmpl == CM_EXACTLY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule \"%s\": template exactly needs n", r->name),
					 errhint("Set n to the required number of occurrences.")));
		r->n = isnull ? (r->tmpl == CM_EXISTENCE ? 1 : 0) : DatumGetInt32(d);
		if (r->n < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule \"%s\": n must not be negative", r->name)));
	}
	else if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": template %s does not take n", r->name, tmpl),
				 errhint("Only existence, absence and exactly count occurrences.")));
	else
		r->n = 0;

	r->min_delay = read_delay(r->name, tup, desc, RULE_MIN, &has_min);
	r->max_delay = read_delay(r->name, tup, desc, RULE_MAX, &has_max);
	if (!has_min)
		r->min_delay = 0;
	if (!has_max)
		r->max_delay = PG_INT64_MAX;
	r->has_window = has_min || has_max;
	if (r->min_delay > r->max_delay)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": min_delay is greater than max_delay", r->name),
				 errhint("A time window is [min_delay, max_delay] with 0 <= min_delay <= max_delay.")));
	if (r->has_window && (r->tmpl == CM_INIT || r->tmpl == CM_END))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\": template %s does not take a time window", r->name, tmpl),
				 errhint("Leave min_delay and max_delay NULL for init and end.")));

	r->severity = rule_text(tup, desc, RULE_SEVERITY);
	if (r->severity == NULL)
		r->severity = pstrdup("error");
	r->description = rule_text(tup, desc, RULE_DESCRIPTION);
}

/* Read and validate a whole rule array into a policy allocated in the current context. */
static void
compile_policy(CmPolicy *p, ArrayType *arr, ArrayType *known)
{
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	TupleDesc	desc;
	int			i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule set must be a one-dimensional array of collmine.rule")));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	if (ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) > CM_MAX_RULES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a rule set has more than %d rules", CM_MAX_RULES),
				 errhint("Split the rules into several policies and check each separately.")));
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &nulls, &nelems);
	desc = lookup_rowtype_tupdesc(elemtype, -1);
	if (desc->natts != RULE_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a rule set must be an array of collmine.rule")));

	p->nrules = nelems;
	p->rules = palloc0(sizeof(CmRule) * Max(nelems, 1));
	for (i = 0; i < nelems; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rule set element %d is null", i + 1)));
		compile_rule(&p->rules[i], DatumGetHeapTupleHeader(elems[i]), desc);
	}
	ReleaseTupleDesc(desc);
	check_unique_names(p);
	p->fingerprint = cm_policy_fingerprint(p);

	if (known != NULL)
	{
		int			nk;
		char	  **names = known_sorted(known, &nk);

		for (i = 0; i < p->nrules; i++)
		{
			CmRule	   *r = &p->rules[i];
			const char *bad = NULL;

			CHECK_FOR_INTERRUPTS();
			if (!activity_known(r->act_a, names, nk))
				bad = r->act_a;
			else if (r->act_b && !activity_known(r->act_b, names, nk))
				bad = r->act_b;
			if (bad)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("rule \"%s\": unknown activity \"%s\"", r->name, bad),
						 errhint("In strict mode every activity must be one of the given activity names; "
								 "check the spelling (names are case-sensitive).")));
		}
	}
}

/* Compiled policy for this call site, compiled again only when the rule array changes. */
CmPolicy *
cm_policy_get(FunctionCallInfo fcinfo, Datum rules, ArrayType *known)
{
	ArrayType  *arr = DatumGetArrayTypeP(rules);
	Size		keylen = VARSIZE(arr);
	PolicyCache *c = (PolicyCache *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt;
	MemoryContext old;

	if (c != NULL && c->keylen == keylen && memcmp(c->key, arr, keylen) == 0 &&
		((known == NULL && c->known == NULL) ||
		 (known != NULL && c->known != NULL && VARSIZE(known) == VARSIZE(c->known) &&
		  memcmp(known, c->known, VARSIZE(known)) == 0)))
		return &c->policy;

	/*
	 * Each compiled policy lives in its own context, so that a call site whose rule array
	 * changes from row to row frees the previous one; fn_extra is set only after success.
	 */
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "collmine policy",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(PolicyCache));
	c->cxt = cxt;
	compile_policy(&c->policy, arr, known);
	c->keylen = keylen;
	c->key = palloc(keylen);
	memcpy(c->key, arr, keylen);
	if (known)
	{
		c->known = palloc(VARSIZE(known));
		memcpy(c->known, known, VARSIZE(known));
	}
	MemoryContextSwitchTo(old);
	if (fcinfo->flinfo->fn_extra != NULL)
		MemoryContextDelete(((PolicyCache *) fcinfo->flinfo->fn_extra)->cxt);
	fcinfo->flinfo->fn_extra = c;
	return &c->policy;
}
