/*
 * conformance.c: evaluating a Declare-style rule set over one trace.
 *
 * Every rule is evaluated over the in-memory event arrays of the trace. Events of each
 * activity are bucketed once per trace (one counting-sort pass shared by all rules), and each
 * activation finds its target by binary search over the target's positions, so a rule costs
 * O(n log n) at worst and the whole policy needs a single read of each trace.
 *
 * Trace order is (ts, ord, activity name): "after" means later in that order, so two events
 * with the same timestamp are ordered but have a delay of zero between them. Delays are
 * measured as ts(target) - ts(activation) and checked against [min_delay, max_delay], both ends
 * inclusive. The exact semantics of every template are in docs/conformance.md.
 */
#include "common.h"
#include "conformance.h"
#include "fingerprint.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "trace.h"

PG_FUNCTION_INFO_V1(cm_check_trace);
PG_FUNCTION_INFO_V1(cm_rule_outcomes);
PG_FUNCTION_INFO_V1(cm_policy_fitness);
PG_FUNCTION_INFO_V1(cm_validate_rules);

/* Events of one trace, bucketed by activity (built lazily, shared by all rules). */
typedef struct TraceIndex
{
	const TraceData *t;
	const TimestampTz *ts;
	const int32 *act;
	int32	   *start;			/* nacts + 1 offsets into pos */
	int32	   *pos;			/* event positions grouped by activity, ascending */
} TraceIndex;

/* Where the violations of one evaluation go (srf == NULL: count only). */
typedef struct Sink
{
	CmSrf	   *srf;
	const CmRule *rule;
	int64		activations;
	int64		violations;
} Sink;

/* Bucket events by activity with one counting-sort pass. */
static void
index_build(TraceIndex *ix, const TraceData *t)
{
	int			i;
	int32	   *fill;

	ix->t = t;
	ix->ts = TraceTs(t);
	ix->act = TraceAct(t);
	ix->start = palloc0(sizeof(int32) * (t->nacts + 1));
	ix->pos = palloc(sizeof(int32) * Max(t->nevents, 1));
	for (i = 0; i < t->nevents; i++)
		ix->start[ix->act[i] + 1]++;
	for (i = 0; i < t->nacts; i++)
		ix->start[i + 1] += ix->start[i];
	fill = palloc(sizeof(int32) * Max(t->nacts, 1));
	memcpy(fill, ix->start, sizeof(int32) * t->nacts);
	for (i = 0; i < t->nevents; i++)
		ix->pos[fill[ix->act[i]]++] = i;
	pfree(fill);
}

/* Positions of activity a (a dictionary index, or -1 for "not in this trace"). */
static const int32 *
positions(const TraceIndex *ix, int a, int *n)
{
	if (a < 0)
	{
		*n = 0;
		return NULL;
	}
	*n = ix->start[a + 1] - ix->start[a];
	return ix->pos + ix->start[a];
}

/* to - from in microseconds, saturating instead of overflowing (infinite timestamps). */
static int64
delay(TimestampTz from, TimestampTz to)
{
	int64		d;

	if (pg_sub_s64_overflow(to, from, &d))
		return to > from ? PG_INT64_MAX : PG_INT64_MIN;
	return d;
}

/* Is a delay inside the rule's window? */
static bool
in_window(const CmRule *r, int64 d)
{
	return d >= r->min_delay && d <= r->max_delay;
}

/*
 * First k with p[k] > i and delay(ts[i], ts[p[k]]) >= min (np when none). Both conditions are
 * monotone in k because positions ascend and timestamps never decrease along the trace.
 */
static int
first_after(const TraceIndex *ix, const int32 *p, int np, int i, int64 min)
{
	int			lo = 0,
				hi = np;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (p[mid] > i && delay(ix->ts[i], ix->ts[p[mid]]) >= min)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Last k with p[k] < j and delay(ts[p[k]], ts[j]) >= min (-1 when none); a true prefix. */
static int
last_before(const TraceIndex *ix, const int32 *p, int np, int j, int64 min)
{
	int			lo = 0,
				hi = np;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (p[mid] < j && delay(ix->ts[p[mid]], ix->ts[j]) >= min)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* Is there an event of p after i (trace order) whose delay lies in the window? */
static bool
target_after(const TraceIndex *ix, const CmRule *r, const int32 *p, int np, int i)
{
	int			k = first_after(ix, p, np, i, r->min_delay);

	return k < np && delay(ix->ts[i], ix->ts[p[k]]) <= r->max_delay;
}

/* Is there an event of p before j (trace order) whose delay lies in the window? */
static bool
target_before(const TraceIndex *ix, const CmRule *r, const int32 *p, int np, int j)
{
	int			k = last_before(ix, p, np, j, r->min_delay);

	return k >= 0 && delay(ix->ts[p[k]], ix->ts[j]) <= r->max_delay;
}

/* Append " within [min, max]" when the rule has a window. */
static void
append_window(StringInfo buf, const CmRule *r)
{
	if (!r->has_window)
		return;
	appendStringInfoString(buf, " within [");
	cm_append_duration(buf, r->min_delay);
	appendStringInfoString(buf, ", ");
	if (r->max_delay == PG_INT64_MAX)
		appendStringInfoString(buf, "unbounded");
	else
		cm_append_duration(buf, r->max_delay);
	appendStringInfoChar(buf, ']');
}

/* Append an event as "\"name\" at position N (timestamp)". */
static void
append_event(StringInfo buf, const TraceIndex *ix, int i)
{
	int			len;
	const char *name = TraceActName(ix->t, ix->act[i], &len);

	appendStringInfo(buf, "\"%.*s\" at position %d (", len, name, i + 1);
	cm_append_ts(buf, ix->ts[i]);
	appendStringInfoChar(buf, ')');
}

/* Count one activation; on violation, emit a row (when collecting) with the explanation. */
static void
outcome(Sink *s, const TraceIndex *ix, int pos, bool ok, StringInfo why)
{
	Datum		values[7];
	bool		nulls[7] = {false};
	const CmRule *r = s->rule;

	CHECK_FOR_INTERRUPTS();
	s->activations++;
	if (ok)
		return;
	s->violations++;
	if (s->srf == NULL)
		return;
	values[0] = CStringGetTextDatum(r->name);
	values[1] = CStringGetTextDatum(cm_template_name(r->tmpl));
	values[2] = CStringGetTextDatum(r->severity);
	if (pos >= 0)
	{
		int			len;
		const char *name = TraceActName(ix->t, ix->act[pos], &len);

		values[3] = Int32GetDatum(pos + 1);
		values[4] = PointerGetDatum(cstring_to_text_with_len(name, len));
		values[5] = TimestampTzGetDatum(ix->ts[pos]);
	}
	else
		nulls[3] = nulls[4] = nulls[5] = true;
	values[6] = CStringGetTextDatum(why->data);
	cm_srf_row(s->srf, values, nulls);
}

/* existence, absence, exactly: count A (within the window measured from the case start). */
static void
eval_count(Sink *s, const TraceIndex *ix, int a)
{
	const CmRule *r = s->rule;
	int			np,
				k,
				count = 0,
				first_excess = -1;
	const int32 *p = positions(ix, a, &np);
	int32		limit = r->tmpl == CM_EXISTENCE ? PG_INT32_MAX : r->n;
	bool		ok;
	StringInfoData why;

	for (k = 0; k < np; k++)
		if (in_window(r, delay(ix->ts[0], ix->ts[p[k]])))
		{
			if (count == limit && first_excess < 0)
				first_excess = p[k];
			count++;
		}
	if (r->tmpl == CM_EXISTENCE)
		ok = count >= r->n;
	else if (r->tmpl == CM_ABSENCE)
		ok = count <= r->n;
	else
		ok = count == r->n;
	if (ok || s->srf == NULL)
	{
		outcome(s, ix, -1, ok, NULL);
		return;
	}
	initStringInfo(&why);
	appendStringInfo(&why, "\"%s\" occurs %d time%s", r->act_a, count, count == 1 ? "" : "s");
	if (r->has_window)
	{
		appendStringInfoString(&why, " (counted");
		append_window(&why, r);
		appendStringInfoString(&why, " after the case start)");
	}
	appendStringInfo(&why, "; the rule requires %s %d",
					 r->tmpl == CM_EXISTENCE ? "at least" :
					 r->tmpl == CM_ABSENCE ? "at most" : "exactly", r->n);
	if (first_excess >= 0)
	{
		appendStringInfoString(&why, "; the first occurrence too many is ");
		append_event(&why, ix, first_excess);
	}
	outcome(s, ix, first_excess, false, &why);
}

/* init and end: the first (last) event in trace order must be A. */
static void
eval_init_end(Sink *s, const TraceIndex *ix, int a)
{
	const CmRule *r = s->rule;
	int			n = ix->t->nevents;
	int			pos = n == 0 ? -1 : (r->tmpl == CM_INIT ? 0 : n - 1);
	bool		ok = pos >= 0 && ix->act[pos] == a;
	StringInfoData why;

	if (ok || s->srf == NULL)
	{
		outcome(s, ix, pos, ok, NULL);
		return;
	}
	initStringInfo(&why);
	if (pos < 0)
		appendStringInfo(&why, "the trace is empty; the rule requires it to %s with \"%s\"",
						 r->tmpl == CM_INIT ? "start" : "end", r->act_a);
	else
	{
		appendStringInfo(&why, "the %s event is ", r->tmpl == CM_INIT ? "first" : "last");
		append_event(&why, ix, pos);
		appendStringInfo(&why, ", not \"%s\"", r->act_a);
	}
	outcome(s, ix, pos, false, &why);
}

/* Activation at i needs a target of q after it (response, succession's first half). */
static void
check_response(Sink *s, const TraceIndex *ix, int i, const int32 *q, int nq, const char *target)
{
	const CmRule *r = s->rule;
	bool		ok = target_after(ix, r, q, nq, i);
	StringInfoData why;
	int			k;

	if (ok || s->srf == NULL)
	{
		outcome(s, ix, i, ok, NULL);
		return;
	}
	initStringInfo(&why);
	append_event(&why, ix, i);
	k = first_after(ix, q, nq, i, 0);
	if (k >= nq)
		appendStringInfo(&why, " is never followed by \"%s\"", target);
	else
	{
		appendStringInfo(&why, " is not followed by \"%s\"", target);
		append_window(&why, r);
		appendStringInfoString(&why, "; the next one is ");
		append_event(&why, ix, q[k]);
		appendStringInfoString(&why, ", ");
		cm_append_duration(&why, delay(ix->ts[i], ix->ts[q[k]]));
		appendStringInfoString(&why, " later");
	}
	outcome(s, ix, i, false, &why);
}

/* Activation at j needs a target of q before it (precedence, succession's second half). */
static void
check_precedence(Sink *s, const TraceIndex *ix, int j, const int32 *q, int nq, const char *target)
{
	const CmRule *r = s->rule;
	bool		ok = target_before(ix, r, q, nq, j);
	StringInfoData why;
	int			k;

	if (ok || s->srf == NULL)
	{
		outcome(s, ix, j, ok, NULL);
		return;
	}
	initStringInfo(&why);
	append_event(&why, ix, j);
	k = last_before(ix, q, nq, j, 0);
	if (k < 0)
		appendStringInfo(&why, " has no earlier \"%s\"", target);
	else
	{
		appendStringInfo(&why, " is not preceded by \"%s\"", target);
		append_window(&why, r);
		appendStringInfoString(&why, "; the last one before it is ");
		append_event(&why, ix, q[k]);
		appendStringInfoString(&why, ", ");
		cm_append_duration(&why, delay(ix->ts[q[k]], ix->ts[j]));
		appendStringInfoString(&why, " earlier");
	}
	outcome(s, ix, j, false, &why);
}

/* Activation at i needs a target of q anywhere else in the trace (either direction). */
static void
check_responded(Sink *s, const TraceIndex *ix, int i, const int32 *q, int nq, const char *target)
{
	const CmRule *r = s->rule;
	bool		ok = target_after(ix, r, q, nq, i) || target_before(ix, r, q, nq, i);
	StringInfoData why;

	if (ok || s->srf == NULL)
	{
		outcome(s, ix, i, ok, NULL);
		return;
	}
	initStringInfo(&why);
	append_event(&why, ix, i);
	appendStringInfo(&why, " has no \"%s\" anywhere else in the trace", target);
	if (r->has_window)
	{
		appendStringInfoString(&why, " with a distance");
		append_window(&why, r);
	}
	outcome(s, ix, i, false, &why);
}

/* Chain templates: the neighbour (next or previous event) must be the target, in the window. */
static void
check_chain(Sink *s, const TraceIndex *ix, int i, int target, bool next)
{
	const CmRule *r = s->rule;
	int			nb = next ? i + 1 : i - 1;
	bool		ok;
	StringInfoData why;
	const char *tname = next ? r->act_b : r->act_a;

	ok = nb >= 0 && nb < ix->t->nevents && ix->act[nb] == target &&
		in_window(r, next ? delay(ix->ts[i], ix->ts[nb]) : delay(ix->ts[nb], ix->ts[i]));
	if (ok || s->srf == NULL)
	{
		outcome(s, ix, i, ok, NULL);
		return;
	}
	initStringInfo(&why);
	append_event(&why, ix, i);
	if (nb < 0 || nb >= ix->t->nevents)
		appendStringInfo(&why, " is the %s event; the rule requires \"%s\" directly %s it",
						 next ? "last" : "first", tname, next ? "after" : "before");
	else if (ix->act[nb] != target)
	{
		appendStringInfo(&why, " is directly %s by ", next ? "followed" : "preceded");
		append_event(&why, ix, nb);
		appendStringInfo(&why, ", not \"%s\"", tname);
	}
	else
	{
		appendStringInfo(&why, " is directly %s by \"%s\", but not",
						 next ? "followed" : "preceded", tname);
		append_window(&why, r);
		appendStringInfoString(&why, " (");
		cm_append_duration(&why, next ? delay(ix->ts[i], ix->ts[nb]) : delay(ix->ts[nb], ix->ts[i]));
		appendStringInfoChar(&why, ')');
	}
	outcome(s, ix, i, false, &why);
}

/* not_succession: no B may follow the activation A at i (within the window, if any). */
static void
check_not_succession(Sink *s, const TraceIndex *ix, int i, const int32 *q, int nq)
{
	const CmRule *r = s->rule;
	int			k = first_after(ix, q, nq, i, r->min_delay);
	bool		ok = !(k < nq && delay(ix->ts[i], ix->ts[q[k]]) <= r->max_delay);
	StringInfoData why;

	if (ok || s->srf == NULL)
	{
		outcome(s, ix, i, ok, NULL);
		return;
	}
	initStringInfo(&why);
	append_event(&why, ix, i);
	appendStringInfoString(&why, " is followed by ");
	append_event(&why, ix, q[k]);
	appendStringInfoString(&why, ", ");
	cm_append_duration(&why, delay(ix->ts[i], ix->ts[q[k]]));
	appendStringInfoString(&why, " later");
	if (r->has_window)
	{
		appendStringInfoString(&why, ", inside the forbidden window");
		append_window(&why, r);
	}
	outcome(s, ix, i, false, &why);
}

/* Evaluate one rule over an indexed trace, feeding activations and violations to s. */
static void
eval_rule(Sink *s, const TraceIndex *ix)
{
	const CmRule *r = s->rule;
	int			a,
				b,
				na,
				nb,
				k;
	const int32 *pa;
	const int32 *pb;

	CHECK_FOR_INTERRUPTS();
	a = trace_find_activity(ix->t, r->act_a, r->len_a);
	b = r->act_b ? trace_find_activity(ix->t, r->act_b, r->len_b) : -1;
	pa = positions(ix, a, &na);
	pb = positions(ix, b, &nb);

	switch (r->tmpl)
	{
		case CM_EXISTENCE:
		case CM_ABSENCE:
		case CM_EXACTLY:
			eval_count(s, ix, a);
			break;
		case CM_INIT:
		case CM_END:
			eval_init_end(s, ix, a);
			break;
		case CM_RESPONDED_EXISTENCE:
			for (k = 0; k < na; k++)
				check_responded(s, ix, pa[k], pb, nb, r->act_b);
			break;
		case CM_CO_EXISTENCE:
			for (k = 0; k < na; k++)
				check_responded(s, ix, pa[k], pb, nb, r->act_b);
			for (k = 0; k < nb; k++)
				check_responded(s, ix, pb[k], pa, na, r->act_a);
			break;
		case CM_RESPONSE:
			for (k = 0; k < na; k++)
				check_response(s, ix, pa[k], pb, nb, r->act_b);
			break;
		case CM_PRECEDENCE:
			for (k = 0; k < nb; k++)
				check_precedence(s, ix, pb[k], pa, na, r->act_a);
			break;
		case CM_SUCCESSION:
			for (k = 0; k < na; k++)
				check_response(s, ix, pa[k], pb, nb, r->act_b);
			for (k = 0; k < nb; k++)
				check_precedence(s, ix, pb[k], pa, na, r->act_a);
			break;
		case CM_CHAIN_RESPONSE:
			for (k = 0; k < na; k++)
				check_chain(s, ix, pa[k], b, true);
			break;
		case CM_CHAIN_PRECEDENCE:
			for (k = 0; k < nb; k++)
				check_chain(s, ix, pb[k], a, false);
			break;
		case CM_NOT_SUCCESSION:
			for (k = 0; k < na; k++)
				check_not_succession(s, ix, pa[k], pb, nb);
			break;
		case CM_NUM_TEMPLATES:
			break;
	}
}

/*
 * Violations of one trace: (rule_name, template, severity, position, activity, ts, explanation).
 * A case-level violation (a missing or miscounted activity) has NULL position, activity and ts.
 */
Datum
cm_check_trace(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	CmPolicy   *p = cm_policy_get(fcinfo, PG_GETARG_DATUM(1), NULL);
	CmSrf		srf = cm_srf_begin(fcinfo);
	TraceIndex	ix;
	int			i;

	index_build(&ix, t);
	for (i = 0; i < p->nrules; i++)
	{
		Sink		s = {&srf, &p->rules[i], 0, 0};

		eval_rule(&s, &ix);
	}
	return (Datum) 0;
}

/* Per rule: activations, violations and whether the trace satisfies it. */
Datum
cm_rule_outcomes(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	CmPolicy   *p = cm_policy_get(fcinfo, PG_GETARG_DATUM(1), NULL);
	CmSrf		srf = cm_srf_begin(fcinfo);
	TraceIndex	ix;
	int			i;

	index_build(&ix, t);
	for (i = 0; i < p->nrules; i++)
	{
		Sink		s = {NULL, &p->rules[i], 0, 0};
		Datum		values[6];
		bool		nulls[6] = {false};

		eval_rule(&s, &ix);
		values[0] = CStringGetTextDatum(s.rule->name);
		values[1] = CStringGetTextDatum(cm_template_name(s.rule->tmpl));
		values[2] = CStringGetTextDatum(s.rule->severity);
		values[3] = Int64GetDatum(s.activations);
		values[4] = Int64GetDatum(s.violations);
		values[5] = BoolGetDatum(s.violations == 0);
		cm_srf_row(&srf, values, nulls);
	}
	return (Datum) 0;
}

/* Share of all rule activations in the trace that are satisfied; 1.0 when nothing activates. */
Datum
cm_policy_fitness(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	CmPolicy   *p = cm_policy_get(fcinfo, PG_GETARG_DATUM(1), NULL);
	TraceIndex	ix;
	int64		act = 0,
				vio = 0;
	int			i;

	index_build(&ix, t);
	for (i = 0; i < p->nrules; i++)
	{
		Sink		s = {NULL, &p->rules[i], 0, 0};

		eval_rule(&s, &ix);
		act += s.activations;
		vio += s.violations;
	}
	PG_RETURN_FLOAT8(act == 0 ? 1.0 : (double) (act - vio) / (double) act);
}

/*
 * A rule set's fingerprint: per rule, in order, its name, template, activities, n and window
 * (as compiled: '1 day' and '24 hours' are the same rule). Severity and description only
 * describe a rule, so editing them keeps stored tallies readable.
 */
int64
cm_policy_fingerprint(const CmPolicy *p)
{
	uint64		h = cm_fp_begin("collmine.rule[] v1");
	int			i;

	h = cm_fp_int(h, p->nrules);
	for (i = 0; i < p->nrules; i++)
	{
		const CmRule *r = &p->rules[i];
		const char *tmpl = cm_template_name(r->tmpl);

		CHECK_FOR_INTERRUPTS();
		h = cm_fp_text(h, r->name, strlen(r->name));
		h = cm_fp_text(h, tmpl, strlen(tmpl));
		h = cm_fp_text(h, r->act_a, r->len_a);
		h = cm_fp_text(h, r->act_b, r->len_b);
		h = cm_fp_int(h, r->n);
		h = cm_fp_int(h, r->min_delay);
		h = cm_fp_int(h, r->max_delay);
	}
	return (int64) h;
}

/* Validate a rule set (strictly against an activity list when one is given); return it. */
Datum
cm_validate_rules(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	(void) cm_policy_get(fcinfo, PG_GETARG_DATUM(0),
						 PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1));
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/*
 * policy_tally: a mergeable per-rule tally over many traces, as a plain bigint[] (so that it
 * runs in parallel workers, in partitionwise aggregation and across shards):
 *
 *   [1]           cases (traces seen)
 *   [4i - 2]      rule i: activated cases (traces with at least one activation)
 *   [4i - 1]      rule i: satisfied cases (traces without a violation, vacuous ones included)
 *   [4i]          rule i: activations
 *   [4i + 1]      rule i: violations
 *   [4n + 2]      the rule set's fingerprint (cm_policy_fingerprint)
 *
 * The fingerprint comes last so that every counter keeps the position it had in 0.1.0, whose
 * tallies (1 + 4n elements, no fingerprint) are still read: they are told apart by their
 * length modulo 4 and checked by their length only. policy_adherence(rules, tally) turns a
 * tally into rows.
 */
PG_FUNCTION_INFO_V1(cm_policy_tally_trans);
PG_FUNCTION_INFO_V1(cm_policy_tally_combine);
PG_FUNCTION_INFO_V1(cm_policy_adherence);
PG_FUNCTION_INFO_V1(cm_policy_fingerprint_sql);

/* A tally array, read: its counters, rule count and fingerprint (when it has one). */
typedef struct Tally
{
	int64	   *c;				/* NULL for the empty tally '{}' */
	int			nrules;
	bool		has_fp;
	int64		fp;
} Tally;

/* Number of elements of a tally of nrules rules with a fingerprint. */
#define TALLY_LEN(nrules) (2 + 4 * (nrules))

/* Read a tally after checking its shape; the empty array is the tally of no traces. */
static Tally
tally_read(ArrayType *a)
{
	Tally		t = {NULL, 0, false, 0};
	int			len;

	if (ARR_NDIM(a) == 0)
		return t;
	len = ARR_NDIM(a) == 1 ? ARR_DIMS(a)[0] : 0;
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT8OID ||
		len < 1 || ((len - 1) % 4 != 0 && (len - 2) % 4 != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid policy tally"),
				 errhint("A tally comes from collmine.policy_tally over the same rule set.")));
	t.c = (int64 *) ARR_DATA_PTR(a);
	t.nrules = (len - 1) / 4;
	t.has_fp = (len - 2) % 4 == 0;
	if (t.has_fp)
		t.fp = t.c[len - 1];
	return t;
}

/* A one-dimensional bigint[] of n values, in context cxt (the tallies' form). */
ArrayType *
cm_int8_array(MemoryContext cxt, const int64 *v, int n)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ArrayType  *a;
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(v[i]);
	a = construct_array(elems, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(elems);
	MemoryContextSwitchTo(old);
	return a;
}

/* A new zeroed tally of nrules rules, with fingerprint fp when has_fp, in context cxt. */
static ArrayType *
tally_new(MemoryContext cxt, int nrules, bool has_fp, int64 fp)
{
	int			n = TALLY_LEN(nrules) - (has_fp ? 0 : 1);
	int64	   *v = palloc0(sizeof(int64) * n);
	ArrayType  *a;

	if (has_fp)
		v[n - 1] = fp;
	a = cm_int8_array(cxt, v, n);
	pfree(v);
	return a;
}

/* Error unless a tally may be read or merged as one of the rule set with fingerprint fp. */
static void
tally_check_fp(const Tally *t, int64 fp, const char *what, const char *other)
{
	if (t->has_fp && t->fp != fp)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", what),
				 errdetail("The tally's rule-set fingerprint is " INT64_FORMAT "; %s is " INT64_FORMAT ".",
						   t->fp, other, fp),
				 errhint("A tally can only be read with, and merged with tallies of, the rule set it was "
						 "computed with: the same rules in the same order (collmine.policy_fingerprint(rules) "
						 "shows a rule set's fingerprint).")));
}

/* Transition: evaluate every rule on one trace and add to the counters (in place). */
Datum
cm_policy_tally_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ArrayType  *state;
	CmPolicy   *p;
	TraceData  *t;
	TraceIndex	ix;
	Tally		tl;
	int64	   *c;
	int			i;

	aggcxt = cm_agg_context(fcinfo, "policy_tally_trans");
	state = PG_GETARG_ARRAYTYPE_P(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);
	p = cm_policy_get(fcinfo, PG_GETARG_DATUM(2), NULL);
	if (ARR_NDIM(state) == 0)
		state = tally_new(aggcxt, p->nrules, true, p->fingerprint);
	tl = tally_read(state);
	if (!tl.has_fp || tl.nrules != p->nrules || tl.fp != p->fingerprint)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rule set changed within one policy_tally aggregate"),
				 errhint("Pass the same rule set for every row of a group.")));
	c = tl.c;
	t = PG_GETARG_TRACE_P(1);
	index_build(&ix, t);
	c[0]++;
	for (i = 0; i < p->nrules; i++)
	{
		Sink		s = {NULL, &p->rules[i], 0, 0};

		eval_rule(&s, &ix);
		c[1 + 4 * i] += s.activations > 0;
		c[2 + 4 * i] += s.violations == 0;
		c[3 + 4 * i] += s.activations;
		c[4 + 4 * i] += s.violations;
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * Combine (and union): element-wise sum of two tallies of the same rule set. A 0.1.0 tally
 * (no fingerprint) merges with any tally of as many rules, as it did then; the result keeps
 * the fingerprint of the other side when that has one.
 */
Datum
cm_policy_tally_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ArrayType  *r;
	Tally		a,
				b;
	int64	   *cr;
	int			i,
				n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		aggcxt = CurrentMemoryContext;
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		r = PG_ARGISNULL(0) ? PG_GETARG_ARRAYTYPE_P_COPY(1) : PG_GETARG_ARRAYTYPE_P_COPY(0);
		(void) tally_read(r);
		PG_RETURN_ARRAYTYPE_P(r);
	}
	a = tally_read(PG_GETARG_ARRAYTYPE_P(0));
	b = tally_read(PG_GETARG_ARRAYTYPE_P(1));
	if (a.c == NULL || b.c == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		r = PG_GETARG_ARRAYTYPE_P_COPY(a.c == NULL ? 1 : 0);
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(r);
	}
	if (a.nrules != b.nrules)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine policy tallies of %d and %d rules", a.nrules, b.nrules),
				 errhint("Only tallies over the same rule set can be combined.")));
	if (a.has_fp && b.has_fp)
		tally_check_fp(&a, b.fp, "cannot combine policy tallies of different rule sets",
					   "the other tally's");
	r = tally_new(aggcxt, a.nrules, a.has_fp || b.has_fp, a.has_fp ? a.fp : b.fp);
	cr = (int64 *) ARR_DATA_PTR(r);
	n = 1 + 4 * a.nrules;
	for (i = 0; i < n; i++)
		if (pg_add_s64_overflow(a.c[i], b.c[i], &cr[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("policy tally counter out of range")));
	PG_RETURN_ARRAYTYPE_P(r);
}

/* The rows of a tally: per rule, cases, activated and satisfied cases, activations, violations. */
Datum
cm_policy_adherence(PG_FUNCTION_ARGS)
{
	CmPolicy   *p = cm_policy_get(fcinfo, PG_GETARG_DATUM(0), NULL);
	Tally		tl = tally_read(PG_GETARG_ARRAYTYPE_P(1));
	int64	   *c = tl.c;
	CmSrf		srf;
	int			i;

	if (c != NULL && tl.nrules != p->nrules)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the tally has counters for %d rules, but the rule set has %d",
						tl.nrules, p->nrules),
				 errhint("Pass the rule set the tally was computed with.")));
	if (c != NULL)
		tally_check_fp(&tl, p->fingerprint, "the tally was computed with a different rule set",
					   "the given rule set's");
	srf = cm_srf_begin(fcinfo);
	for (i = 0; i < p->nrules; i++)
	{
		const CmRule *r = &p->rules[i];
		Datum		values[9];
		bool		nulls[9] = {false};
		int64		cases = c ? c[0] : 0;

		CHECK_FOR_INTERRUPTS();
		values[0] = CStringGetTextDatum(r->name);
		values[1] = CStringGetTextDatum(cm_template_name(r->tmpl));
		values[2] = CStringGetTextDatum(r->severity);
		values[3] = Int64GetDatum(cases);
		values[4] = Int64GetDatum(c ? c[1 + 4 * i] : 0);
		values[5] = Int64GetDatum(c ? c[2 + 4 * i] : 0);
		values[6] = Int64GetDatum(c ? c[3 + 4 * i] : 0);
		values[7] = Int64GetDatum(c ? c[4 + 4 * i] : 0);
		if (cases > 0)
			values[8] = Float8GetDatum((double) c[2 + 4 * i] / (double) cases);
		else
			nulls[8] = true;
		cm_srf_row(&srf, values, nulls);
	}
	return (Datum) 0;
}

/* policy_fingerprint(rules): the fingerprint a tally of this rule set carries last. */
Datum
cm_policy_fingerprint_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(cm_policy_get(fcinfo, PG_GETARG_DATUM(0), NULL)->fingerprint);
}
