/*
 * petri_replay.c: token-based replay of a trace on a labelled Petri net (van der Aalst).
 *
 * Replay starts by producing the initial marking (p = its tokens). Each event fires a
 * transition labelled with its activity: tokens on the input places are consumed (c), tokens
 * on the output places produced (p); input tokens that are not there are created and counted
 * as missing (m). At the end the final marking is consumed (c, and m for any final token not
 * there) and whatever is left is remaining (r). fitness = 1/2 (1 - m/c) + 1/2 (1 - r/p).
 *
 * Heuristics, documented in docs/conformance.md:
 *   - several visible transitions with the same label: the first enabled one in declaration
 *     order; else the one that silent transitions can enable in the fewest firings; else the
 *     one that needs the fewest missing tokens (ties: declaration order);
 *   - silent transitions fire only to enable the next visible transition, or to reach the final
 *     marking at the end: the shortest such sequence, by breadth-first search over markings
 *     (at most PN_BFS_MAX_STATES markings, fewer in nets with very many places); if none is
 *     found nothing silent fires;
 *   - an event whose activity labels no transition is skipped, counted as unmapped and
 *     reported as a deviation; it changes no token counts.
 */
#include "petri.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common.h"
#include "conformance.h"
#include "trace.h"

PG_FUNCTION_INFO_V1(cm_replay);
PG_FUNCTION_INFO_V1(cm_replay_deviations);

#define PN_BFS_MAX_STATES	500
#define PN_BFS_MAX_TOKENS	(1 << 19)	/* markings * places kept by one search (4 MB) */

typedef struct Replay
{
	const PnNet *net;
	const TraceData *t;
	int64	   *marking;
	int64		produced;
	int64		consumed;
	int64		missing;
	int64		remaining;
	int32		unmapped;
	CmSrf	   *srf;			/* deviations go here when not NULL */
} Replay;

/* Tokens a transition still needs in marking m (0 when enabled). */
static int64
deficit(const PnTransition *tr, const int64 *m)
{
	int64		need = 0;
	int			i;

	for (i = 0; i < tr->nin; i++)
		if (m[tr->in[i].place] < tr->in[i].weight)
			need += tr->in[i].weight - m[tr->in[i].place];
	return need;
}

/* Does marking m hold at least the final marking? */
static bool
covers_final(const PnNet *net, const int64 *m)
{
	int			i;

	for (i = 0; i < net->nplaces; i++)
		if (m[i] < net->final[i])
			return false;
	return true;
}

/* Fire tr on m (which must enable it), without counting. */
static void
fire_raw(const PnTransition *tr, int64 *m)
{
	int			i;

	for (i = 0; i < tr->nin; i++)
		m[tr->in[i].place] -= tr->in[i].weight;
	for (i = 0; i < tr->nout; i++)
		m[tr->out[i].place] += tr->out[i].weight;
}

/* Fire tr on the replay marking, counting consumed and produced tokens. */
static void
fire(Replay *rp, const PnTransition *tr)
{
	int			i;

	for (i = 0; i < tr->nin; i++)
		rp->consumed += tr->in[i].weight;
	for (i = 0; i < tr->nout; i++)
		rp->produced += tr->out[i].weight;
	fire_raw(tr, rp->marking);
}

/*
 * Shortest sequence of silent firings from the current marking after which target is enabled
 * (or, with target NULL, the final marking is covered). Returns its length (0: already there)
 * and the transitions in *seq, or -1 when the search finds none within its bound.
 */
static int
silent_path(Replay *rp, const PnTransition *target, int **seq)
{
	const PnNet *net = rp->net;
	int			np = net->nplaces;
	int64	   *states;
	int		   *parent;
	int		   *via;
	int			nstates = 1,
				head = 0,
				found = -1;
	int			max_states = Max(2, Min(PN_BFS_MAX_STATES, PN_BFS_MAX_TOKENS / np));

	*seq = NULL;
	if (target ? deficit(target, rp->marking) == 0 : covers_final(net, rp->marking))
		return 0;
	if (!net->has_silent)
		return -1;
	states = palloc(sizeof(int64) * np * max_states);
	parent = palloc(sizeof(int) * max_states);
	via = palloc(sizeof(int) * max_states);
	memcpy(states, rp->marking, sizeof(int64) * np);
	parent[0] = -1;
	via[0] = -1;
	while (head < nstates && found < 0)
	{
		int			ti;

		CHECK_FOR_INTERRUPTS();
		for (ti = 0; ti < net->ntrans && found < 0; ti++)
		{
			const PnTransition *tr = &net->trans[ti];
			int64	   *next;
			int			s;

			CHECK_FOR_INTERRUPTS();
			if (!tr->silent || deficit(tr, states + (Size) head * np) != 0)
				continue;
			if (nstates >= max_states)
				break;
			next = states + (Size) nstates * np;
			memcpy(next, states + (Size) head * np, sizeof(int64) * np);
			fire_raw(tr, next);
			for (s = 0; s < nstates; s++)
				if (memcmp(states + (Size) s * np, next, sizeof(int64) * np) == 0)
					break;
			if (s < nstates)
				continue;
			parent[nstates] = head;
			via[nstates] = ti;
			if (target ? deficit(target, next) == 0 : covers_final(net, next))
				found = nstates;
			nstates++;
		}
		head++;
	}
	if (found >= 0)
	{
		int			len = 0,
					s;

		for (s = found; parent[s] >= 0; s = parent[s])
			len++;
		*seq = palloc(sizeof(int) * len);
		s = found;
		for (int k = len - 1; k >= 0; k--, s = parent[s])
			(*seq)[k] = via[s];
		found = len;
	}
	pfree(states);
	pfree(parent);
	pfree(via);
	return found;
}

/* text[] of the places where marking m lacks tokens for tr (or for the final marking). */
static Datum
places_lacking(const PnNet *net, const PnTransition *tr, const int64 *m, const int32 *final)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(net->nplaces, 1));
	int			n = 0,
				i;

	if (tr)
	{
		for (i = 0; i < tr->nin; i++)
			if (m[tr->in[i].place] < tr->in[i].weight)
				elems[n++] = CStringGetTextDatum(net->places[tr->in[i].place]);
	}
	else
	{
		for (i = 0; i < net->nplaces; i++)
			if (m[i] < final[i])
				elems[n++] = CStringGetTextDatum(net->places[i]);
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Emit one deviation row: (position, activity, ts, kind, tokens, places, explanation). */
static void
deviation(Replay *rp, int pos, const char *kind, int64 tokens, Datum places, const char *why)
{
	Datum		values[7];
	bool		nulls[7] = {false};

	if (pos >= 0)
	{
		int			len;
		const char *name = TraceActName(rp->t, TraceAct(rp->t)[pos], &len);

		values[0] = Int32GetDatum(pos + 1);
		values[1] = PointerGetDatum(cstring_to_text_with_len(name, len));
		values[2] = TimestampTzGetDatum(TraceTs(rp->t)[pos]);
	}
	else
		nulls[0] = nulls[1] = nulls[2] = true;
	values[3] = CStringGetTextDatum(kind);
	values[4] = Int64GetDatum(tokens);
	values[5] = places;
	values[6] = CStringGetTextDatum(why);
	cm_srf_row(rp->srf, values, nulls);
}

/* Append the places of a text[] as "c1, c2". */
static void
append_places(StringInfo buf, Datum arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, TextDatumGetCString(elems[i]));
	}
}

/* Replay one event whose activity is visible label l (candidates: transitions with label l). */
static void
replay_event(Replay *rp, int pos, int l)
{
	const PnNet *net = rp->net;
	const PnTransition *best = NULL;
	int		   *best_seq = NULL;
	int			best_len = -1;
	int64		best_need = PG_INT64_MAX;
	int			ti;

	/* 1. an enabled candidate, in declaration order */
	for (ti = 0; ti < net->ntrans; ti++)
		if (net->trans[ti].label == l && deficit(&net->trans[ti], rp->marking) == 0)
		{
			fire(rp, &net->trans[ti]);
			return;
		}
	/* 2. the candidate that silent transitions enable soonest */
	for (ti = 0; ti < net->ntrans && net->has_silent; ti++)
	{
		int		   *seq;
		int			len;

		CHECK_FOR_INTERRUPTS();
		if (net->trans[ti].label != l)
			continue;
		len = silent_path(rp, &net->trans[ti], &seq);
		if (len > 0 && (best_len < 0 || len < best_len))
		{
			best = &net->trans[ti];
			best_seq = seq;
			best_len = len;
		}
	}
	if (best != NULL)
	{
		for (ti = 0; ti < best_len; ti++)
			fire(rp, &net->trans[best_seq[ti]]);
		fire(rp, best);
		return;
	}
	/* 3. the candidate needing the fewest missing tokens: create them */
	for (ti = 0; ti < net->ntrans; ti++)
		if (net->trans[ti].label == l)
		{
			int64		need = deficit(&net->trans[ti], rp->marking);

			if (need < best_need)
			{
				best_need = need;
				best = &net->trans[ti];
			}
		}
	if (rp->srf)
	{
		Datum		places = places_lacking(net, best, rp->marking, NULL);
		StringInfoData why;

		initStringInfo(&why);
		appendStringInfo(&why, "\"%.*s\" was not enabled: " INT64_FORMAT " missing token%s created in ",
						 best->name_len, best->name, best_need, best_need == 1 ? "" : "s");
		append_places(&why, places);
		deviation(rp, pos, "missing", best_need, places, why.data);
	}
	for (ti = 0; ti < best->nin; ti++)
	{
		int			pl = best->in[ti].place;

		if (rp->marking[pl] < best->in[ti].weight)
			rp->marking[pl] = best->in[ti].weight;
	}
	rp->missing += best_need;
	fire(rp, best);
}

/* Replay a whole trace on rp->net; the counts end up in rp. */
static void
replay_trace(Replay *rp)
{
	const PnNet *net = rp->net;
	const TraceData *t = rp->t;
	const int32 *act = TraceAct(t);
	int		   *label_of = palloc(sizeof(int) * Max(t->nacts, 1));
	int64		need = 0;
	int		   *seq;
	int			len,
				i;

	/* the label of each dictionary entry of the trace (-1: not in the model) */
	for (i = 0; i < t->nacts; i++)
		label_of[i] = -1;
	for (i = 0; i < net->nlabels; i++)
	{
		int			a;

		CHECK_FOR_INTERRUPTS();
		a = trace_find_activity(t, net->labels[i], net->label_len[i]);

		if (a >= 0)
			label_of[a] = i;
	}

	rp->marking = palloc(sizeof(int64) * net->nplaces);
	for (i = 0; i < net->nplaces; i++)
		rp->marking[i] = net->initial[i];
	rp->produced = net->ninitial;

	for (i = 0; i < t->nevents; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (label_of[act[i]] < 0)
		{
			rp->unmapped++;
			if (rp->srf)
				deviation(rp, i, "unmapped", 0,
						  PointerGetDatum(construct_empty_array(TEXTOID)),
						  "the activity labels no transition of the model; the event is skipped");
			continue;
		}
		replay_event(rp, i, label_of[act[i]]);
	}

	/* reach the final marking through silent transitions when possible, then consume it */
	len = silent_path(rp, NULL, &seq);
	for (i = 0; i < len; i++)
		fire(rp, &net->trans[seq[i]]);
	for (i = 0; i < net->nplaces; i++)
		if (rp->marking[i] < net->final[i])
			need += net->final[i] - rp->marking[i];
	if (need > 0 && rp->srf)
	{
		Datum		places = places_lacking(net, NULL, rp->marking, net->final);
		StringInfoData why;

		initStringInfo(&why);
		appendStringInfo(&why, "the final marking was not reached: " INT64_FORMAT
						 " missing token%s created in ", need, need == 1 ? "" : "s");
		append_places(&why, places);
		deviation(rp, -1, "missing", need, places, why.data);
	}
	rp->missing += need;
	rp->consumed += net->nfinal;
	for (i = 0; i < net->nplaces; i++)
	{
		rp->marking[i] = Max(rp->marking[i], net->final[i]) - net->final[i];
		rp->remaining += rp->marking[i];
	}
	if (rp->remaining > 0 && rp->srf)
	{
		Datum	   *elems = palloc(sizeof(Datum) * net->nplaces);
		Datum		places;
		int			n = 0;
		StringInfoData why;

		for (i = 0; i < net->nplaces; i++)
			if (rp->marking[i] > 0)
				elems[n++] = CStringGetTextDatum(net->places[i]);
		places = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
		initStringInfo(&why);
		appendStringInfo(&why, INT64_FORMAT " token%s remained after the final marking, in ",
						 rp->remaining, rp->remaining == 1 ? "" : "s");
		append_places(&why, places);
		deviation(rp, -1, "remaining", rp->remaining, places, why.data);
	}
}

/* The token-replay fitness 1/2 (1 - m/c) + 1/2 (1 - r/p), with empty terms counting as 1. */
static double
token_fitness(int64 p, int64 c, int64 m, int64 r)
{
	double		f1 = c > 0 ? 1.0 - (double) m / (double) c : 1.0;
	double		f2 = p > 0 ? 1.0 - (double) r / (double) p : 1.0;

	return 0.5 * f1 + 0.5 * f2;
}

/* Does the trace fit: no missing or remaining tokens and no unmapped event? */
static bool
replay_fits(const Replay *rp)
{
	return rp->missing == 0 && rp->remaining == 0 && rp->unmapped == 0;
}

/* replay(trace, net): (produced, consumed, missing, remaining, unmapped, fitness, fits). */
Datum
cm_replay(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	PnNet	   *net = pn_net_get(fcinfo, 1);
	Replay		rp = {0};
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rp.net = net;
	rp.t = t;
	replay_trace(&rp);
	values[0] = Int64GetDatum(rp.produced);
	values[1] = Int64GetDatum(rp.consumed);
	values[2] = Int64GetDatum(rp.missing);
	values[3] = Int64GetDatum(rp.remaining);
	values[4] = Int32GetDatum(rp.unmapped);
	values[5] = Float8GetDatum(token_fitness(rp.produced, rp.consumed, rp.missing, rp.remaining));
	values[6] = BoolGetDatum(replay_fits(&rp));
	desc = BlessTupleDesc(desc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/* replay_deviations(trace, net): the steps where the trace deviates from the model. */
Datum
cm_replay_deviations(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	PnNet	   *net = pn_net_get(fcinfo, 1);
	CmSrf		srf = cm_srf_begin(fcinfo);
	Replay		rp = {0};

	rp.net = net;
	rp.t = t;
	rp.srf = &srf;
	replay_trace(&rp);
	return (Datum) 0;
}

/*
 * replay_tally: token replay of a whole log in one aggregate pass, as a plain bigint[] (so it
 * runs as a partial aggregate in parallel workers, partitions and shards, and rolls up):
 *
 *   [1] traces  [2] fitting traces  [3] produced  [4] consumed  [5] missing  [6] remaining
 *   [7] unmapped events  [8] the net's fingerprint (net_fingerprint in petri.c)
 *
 * replay_fitness(tally) applies token_fitness to the sums: the log fitness of van der Aalst.
 */
PG_FUNCTION_INFO_V1(cm_replay_tally_trans);
PG_FUNCTION_INFO_V1(cm_replay_tally_combine);
PG_FUNCTION_INFO_V1(cm_replay_fitness);

#define RT_LEN 8
#define RT_FP (RT_LEN - 1)

/* The values of a replay tally after checking its shape; NULL for the empty tally '{}'. */
static int64 *
replay_tally_read(ArrayType *a)
{
	if (ARR_NDIM(a) == 0)
		return NULL;
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT8OID || ARR_DIMS(a)[0] != RT_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid replay tally"),
				 errhint("A replay tally comes from collmine.replay_tally(trace, net): %d bigint values.",
						 RT_LEN)));
	return (int64 *) ARR_DATA_PTR(a);
}

/* Add src's counters to dst's (both checked tallies); an error on overflow. */
static void
replay_tally_add(int64 *dst, const int64 *src)
{
	int			i;

	for (i = 0; i < RT_FP; i++)
		if (pg_add_s64_overflow(dst[i], src[i], &dst[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("replay tally counter out of range")));
}

/* Error unless two replay tallies (or a tally and a net) have the same net fingerprint. */
static void
replay_tally_same_net(int64 a, int64 b, const char *what)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", what),
				 errdetail("The net fingerprints are " INT64_FORMAT " and " INT64_FORMAT ".", a, b),
				 errhint("Replay every trace of a tally on the same net, and merge only tallies of the same net.")));
}

/* Transition: replay one trace and add its counts to the state (in place). */
Datum
cm_replay_tally_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = cm_agg_context(fcinfo, "replay_tally_trans");
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	PnNet	   *net;
	Replay		rp = {0};
	int64		one[RT_LEN];
	int64	   *c;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);
	net = pn_net_get(fcinfo, 2);
	if (ARR_NDIM(state) == 0)
	{
		memset(one, 0, sizeof(one));
		one[RT_FP] = net->fingerprint;
		state = cm_int8_array(aggcxt, one, RT_LEN);
	}
	c = replay_tally_read(state);
	replay_tally_same_net(c[RT_FP], net->fingerprint, "the net changed within one replay_tally aggregate");
	rp.net = net;
	rp.t = PG_GETARG_TRACE_P(1);
	replay_trace(&rp);
	one[0] = 1;
	one[1] = replay_fits(&rp);
	one[2] = rp.produced;
	one[3] = rp.consumed;
	one[4] = rp.missing;
	one[5] = rp.remaining;
	one[6] = rp.unmapped;
	replay_tally_add(c, one);
	PG_RETURN_ARRAYTYPE_P(state);
}

/* Combine (and union): the sums of two replay tallies of the same net. */
Datum
cm_replay_tally_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	int64	   *a;
	int64	   *b;
	int64		sum[RT_LEN];

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		aggcxt = CurrentMemoryContext;
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	a = PG_ARGISNULL(0) ? NULL : replay_tally_read(PG_GETARG_ARRAYTYPE_P(0));
	b = PG_ARGISNULL(1) ? NULL : replay_tally_read(PG_GETARG_ARRAYTYPE_P(1));
	if (a == NULL || b == NULL)
	{
		/* the side with counts (SQL NULL and '{}' both stand for no traces) */
		int			keep = a == NULL ? 1 : 0;
		MemoryContext old;
		ArrayType  *r;

		if (PG_ARGISNULL(keep))
			keep = 1 - keep;
		old = MemoryContextSwitchTo(aggcxt);
		r = PG_GETARG_ARRAYTYPE_P_COPY(keep);
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(r);
	}
	replay_tally_same_net(a[RT_FP], b[RT_FP], "cannot combine replay tallies of different nets");
	memcpy(sum, a, sizeof(sum));
	replay_tally_add(sum, b);
	PG_RETURN_ARRAYTYPE_P(cm_int8_array(aggcxt, sum, RT_LEN));
}

/* replay_fitness(tally): the log's sums and its fitness 1/2 (1 - m/c) + 1/2 (1 - r/p). */
Datum
cm_replay_fitness(PG_FUNCTION_ARGS)
{
	int64	   *c = replay_tally_read(PG_GETARG_ARRAYTYPE_P(0));
	int64		zero[RT_LEN] = {0};
	TupleDesc	desc;
	Datum		values[RT_LEN];
	bool		nulls[RT_LEN] = {false};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (c == NULL)
		c = zero;
	for (i = 0; i < RT_FP; i++)
		values[i] = Int64GetDatum(c[i]);
	/* no trace, no fitness (as policy_adherence gives no adherence for no case) */
	if (c[0] > 0)
		values[RT_FP] = Float8GetDatum(token_fitness(c[2], c[3], c[4], c[5]));
	else
		nulls[RT_FP] = true;
	desc = BlessTupleDesc(desc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
