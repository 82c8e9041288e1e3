/*
 * dfg_funcs.c: reading a process map from SQL: totals, the edge and activity tables, and the
 * Disco-style activity/path filter.
 */
#include "common.h"
#include "dfg.h"

#include <math.h>

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(dfg_cases);
PG_FUNCTION_INFO_V1(dfg_events);
PG_FUNCTION_INFO_V1(dfg_skipped);
PG_FUNCTION_INFO_V1(dfg_weight);
PG_FUNCTION_INFO_V1(dfg_edges);
PG_FUNCTION_INFO_V1(dfg_activities);
PG_FUNCTION_INFO_V1(dfg_filter);

/* Number of cases (traces) in the map, including cases without events. */
Datum
dfg_cases(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_DFG_P(0)->cases);
}

/* Number of events in the map. */
Datum
dfg_events(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_DFG_P(0)->events);
}

/* Events the traces left out (NULL activity or timestamp). */
Datum
dfg_skipped(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_DFG_P(0)->skipped);
}

/* Sum of the case weights. */
Datum
dfg_weight(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(dfg_weight_to_numeric(PG_GETARG_DFG_P(0)->weight));
}

/* An activity name as text. */
static Datum
act_text(const DfgData *d, int a)
{
	int			len;
	const char *name = DfgActName(d, a, &len);

	return PointerGetDatum(cstring_to_text_with_len(name, len));
}

/* sum / count rounded half away from zero (durations are never negative). */
static int64
mean_usecs(int128 sum, int64 count)
{
	return (int64) ((sum + count / 2) / count);
}

/* One row per edge: frequency desc, then source and target name. */
Datum
dfg_edges(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	const DfgEdge *edges = DfgEdges(d);
	int		   *order = dfg_edge_order(d);
	int			k;

	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &edges[order[k]];
		Datum		values[11];
		bool		nulls[11] = {0};

		values[0] = act_text(d, x->from);
		values[1] = act_text(d, x->to);
		values[2] = Int64GetDatum(x->count);
		values[3] = Int64GetDatum(x->cases);
		values[4] = dfg_weight_to_numeric(x->weight);
		values[5] = cm_usecs_interval(x->min);
		values[6] = cm_usecs_interval(mean_usecs(x->sum, x->count));
		values[7] = cm_usecs_interval(dfg_edge_quantile(d, x, 0.5));
		values[8] = cm_usecs_interval(dfg_edge_quantile(d, x, 0.9));
		values[9] = cm_usecs_interval(dfg_edge_quantile(d, x, 0.95));
		values[10] = cm_usecs_interval(x->max);
		cm_srf_row(&srf, values, nulls);
	}
	return (Datum) 0;
}

/* qsort_arg comparator: activities by events desc, then name (dictionary order). */
static int
act_freq_cmp(const void *pa, const void *pb, void *arg)
{
	const DfgAct *acts = arg;
	int			a = *(const int *) pa;
	int			b = *(const int *) pb;

	if (acts[a].events != acts[b].events)
		return (acts[a].events < acts[b].events) - (acts[a].events > acts[b].events);
	return (a > b) - (a < b);
}

/* Activity indexes, most frequent first (ties by name). */
static int *
act_order(const DfgData *d)
{
	int		   *order = palloc(sizeof(int) * (d->nacts + 1));
	int			a;

	for (a = 0; a < d->nacts; a++)
		order[a] = a;
	qsort_arg(order, d->nacts, sizeof(int), act_freq_cmp, DfgActs(d));
	return order;
}

/* One row per activity: events desc, then name. */
Datum
dfg_activities(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	const DfgAct *acts = DfgActs(d);
	int		   *order = act_order(d);
	int			k;

	for (k = 0; k < d->nacts; k++)
	{
		int			a = order[k];
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = act_text(d, a);
		values[1] = Int64GetDatum(acts[a].events);
		values[2] = Int64GetDatum(acts[a].cases);
		values[3] = Int64GetDatum(acts[a].starts);
		values[4] = Int64GetDatum(acts[a].ends);
		values[5] = dfg_weight_to_numeric(acts[a].weight);
		cm_srf_row(&srf, values, nulls);
	}
	return (Datum) 0;
}

/* How many of n items a share in (0, 1] keeps: ceil(share * n), at least 1 when n > 0. */
static int
share_count(double share, int n)
{
	double		k = ceil(share * (double) n);

	if (n == 0)
		return 0;
	if (k < 1)
		return 1;
	if (k > n)
		return n;
	return (int) k;
}

/* Reject a slider value outside (0, 1]. */
static void
check_share(double share, const char *what)
{
	if (isnan(share) || share <= 0.0 || share > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s share must be greater than 0 and at most 1, not %g", what, share),
				 errhint("Use a share such as 0.5 to keep the most frequent half, or 1 to keep all.")));
}

/*
 * dfg_filter(d, activities, paths): keep the ceil(activities * n) most frequent activities
 * (by events, ties by name) and the edges between them; of those edges keep the
 * ceil(paths * m) most frequent (ties by source, then target name), plus, for every kept
 * activity, its most frequent remaining incoming and outgoing edge, so that no kept activity
 * loses all its connections. Activity statistics and totals are those of the whole map; the
 * result is flagged as filtered when anything was removed.
 */
Datum
dfg_filter(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	double		ashare = PG_GETARG_FLOAT8(1);
	double		pshare = PG_GETARG_FLOAT8(2);
	const DfgAct *acts = DfgActs(d);
	const DfgEdge *edges = DfgEdges(d);
	const SketchBucket *buckets = DfgBuckets(d);
	int		   *aorder,
			   *eorder,
			   *newid;
	bool	   *keep_act,
			   *keep_edge,
			   *has_in,
			   *has_out;
	int			nkeep_act,
				nremain = 0,
				nkeep_edge,
				a,
				k,
				taken = 0;
	int			nacts2 = 0,
				nedges2 = 0,
				nbuckets2 = 0,
				names_len2 = 0,
				pos = 0;
	DfgData    *r;

	check_share(ashare, "activities");
	check_share(pshare, "paths");

	keep_act = palloc0(sizeof(bool) * (d->nacts + 1));
	aorder = act_order(d);
	nkeep_act = share_count(ashare, d->nacts);
	for (k = 0; k < nkeep_act; k++)
		keep_act[aorder[k]] = true;

	eorder = dfg_edge_order(d);
	keep_edge = palloc0(sizeof(bool) * (d->nedges + 1));
	for (k = 0; k < d->nedges; k++)
		if (keep_act[edges[k].from] && keep_act[edges[k].to])
			nremain++;
	nkeep_edge = share_count(pshare, nremain);
	has_in = palloc0(sizeof(bool) * (d->nacts + 1));
	has_out = palloc0(sizeof(bool) * (d->nacts + 1));
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &edges[eorder[k]];

		if (!keep_act[x->from] || !keep_act[x->to])
			continue;
		/* the top paths, plus each activity's first (= most frequent) in- and outgoing edge */
		if (taken < nkeep_edge || !has_out[x->from] || !has_in[x->to])
			keep_edge[eorder[k]] = true;
		taken++;
		has_out[x->from] = true;
		has_in[x->to] = true;
	}

	/* build the smaller map; dictionary order is preserved, so it stays canonical */
	newid = palloc(sizeof(int) * (d->nacts + 1));
	for (a = 0; a < d->nacts; a++)
	{
		int			len;

		newid[a] = -1;
		if (!keep_act[a])
			continue;
		newid[a] = nacts2++;
		(void) DfgActName(d, a, &len);
		names_len2 += len;
	}
	for (k = 0; k < d->nedges; k++)
		if (keep_edge[k])
		{
			nedges2++;
			nbuckets2 += edges[k].nbuckets;
		}
	r = palloc0(dfg_size(nacts2, nedges2, nbuckets2, names_len2));
	SET_VARSIZE(r, dfg_size(nacts2, nedges2, nbuckets2, names_len2));
	r->version = DFG_VERSION;
	r->flags = d->flags;
	if (nacts2 < d->nacts || nedges2 < d->nedges)
		r->flags |= DFG_FILTERED;
	r->nacts = nacts2;
	r->nedges = nedges2;
	r->nbuckets = nbuckets2;
	r->names_len = names_len2;
	r->cases = d->cases;
	r->events = d->events;
	r->skipped = d->skipped;
	r->weight = d->weight;
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name;

		if (newid[a] < 0)
			continue;
		name = DfgActName(d, a, &len);
		DfgActs(r)[newid[a]] = acts[a];
		DfgNameOff(r)[newid[a]] = pos;
		memcpy(DfgNames(r) + pos, name, len);
		pos += len;
	}
	DfgNameOff(r)[nacts2] = pos;
	nedges2 = 0;
	nbuckets2 = 0;
	for (k = 0; k < d->nedges; k++)
	{
		DfgEdge    *x;

		if (!keep_edge[k])
			continue;
		x = &DfgEdges(r)[nedges2++];
		*x = edges[k];
		x->from = newid[edges[k].from];
		x->to = newid[edges[k].to];
		x->bucket_off = nbuckets2;
		memcpy(DfgBuckets(r) + nbuckets2, buckets + edges[k].bucket_off,
			   sizeof(SketchBucket) * edges[k].nbuckets);
		nbuckets2 += edges[k].nbuckets;
	}
	PG_RETURN_DFG_P(r);
}
