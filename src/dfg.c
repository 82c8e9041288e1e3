/*
 * dfg.c: the collmine.dfg value itself: its expanded (mutable) form, adding traces, merging,
 * the canonical flat form, validation of values read from outside, and exact fixed-point weights.
 *
 * The I/O functions live in dfg_io.c, the aggregates in dfg_agg.c, the SQL accessors in
 * dfg_funcs.c and the renderings in render.c.
 */
#include "dfg.h"
#include "nametab.h"

#include "common/hashfn.h"
#include "textio.h"
#include "common/int.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

static Size dfg_get_flat_size(ExpandedObjectHeader *eohptr);
static void dfg_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods dfg_methods = {
	dfg_get_flat_size,
	dfg_flatten_into
};

/* ---------------------------------------------------------------------------------------------
 * the expanded form
 * ------------------------------------------------------------------------------------------- */

/* A new, empty map in its own child context of parent, so it can be freed or reparented whole. */
DfgExpanded *
dfg_expanded_new(MemoryContext parent)
{
	MemoryContext cxt;
	DfgExpanded *e;

	cxt = AllocSetContextCreate(parent, "collmine dfg", ALLOCSET_START_SMALL_SIZES);
	e = MemoryContextAllocZero(cxt, sizeof(DfgExpanded));
	EOH_init_header(&e->hdr, &dfg_methods, cxt);
	e->cxt = cxt;
	e->acts_cap = 16;
	e->acts = MemoryContextAlloc(cxt, e->acts_cap * sizeof(DfgMemAct));
	e->act_mask = 31;
	e->act_slots = MemoryContextAllocZero(cxt, (e->act_mask + 1) * sizeof(int32));
	e->edges_cap = 32;
	e->edges = MemoryContextAlloc(cxt, e->edges_cap * sizeof(DfgMemEdge));
	e->edge_mask = 63;
	e->edge_slots = MemoryContextAllocZero(cxt, (e->edge_mask + 1) * sizeof(int32));
	e->map_cap = 16;
	e->map = MemoryContextAllocZero(cxt, e->map_cap * sizeof(int32));
	return e;
}

/* The writable map behind d when it is one of ours, living directly under aggcxt; else NULL. */
DfgExpanded *
dfg_owned_expanded(Datum d, MemoryContext aggcxt)
{
	ExpandedObjectHeader *eoh;

	if (!VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return NULL;
	eoh = DatumGetEOHP(d);
	if (eoh->eoh_methods != &dfg_methods || MemoryContextGetParent(eoh->eoh_context) != aggcxt)
		return NULL;
	return (DfgExpanded *) eoh;
}

/* Expand any dfg Datum (flat, toasted or someone else's expanded object) into a new object. */
DfgExpanded *
dfg_expand_datum(Datum d, MemoryContext parent)
{
	DfgData    *flat = DatumGetDfgP(d);
	DfgExpanded *e = dfg_expanded_new(parent);

	dfg_expanded_merge(e, flat);
	return e;
}

/* Make sure the trace-dictionary scratch map has room for n entries. */
static void
ensure_map(DfgExpanded *e, int n)
{
	if (n <= e->map_cap)
		return;
	while (e->map_cap < n)
		e->map_cap *= 2;
	pfree(e->map);
	/* zeroed: entries are also read as guesses (see dfg_expanded_add_trace), so never garbage */
	e->map = MemoryContextAllocZero(e->cxt, e->map_cap * sizeof(int32));
}

/* Double the activity hash table. */
static void
act_rehash(DfgExpanded *e)
{
	int			newmask = e->act_mask * 2 + 1;
	int32	   *slots = MemoryContextAllocZero(e->cxt, (newmask + 1) * sizeof(int32));
	int			a;

	for (a = 0; a < e->nacts; a++)
	{
		int			i = e->acts[a].hash & newmask;

		while (slots[i] != 0)
			i = (i + 1) & newmask;
		slots[i] = a + 1;
	}
	pfree(e->act_slots);
	e->act_slots = slots;
	e->act_mask = newmask;
}

/* Index of an activity name, added when new (one hash lookup per distinct name per trace). */
static int
act_lookup(DfgExpanded *e, const char *name, int len)
{
	uint32		h = nametab_hash(name, len);
	int			i = h & e->act_mask;
	int32		s;
	DfgMemAct  *a;

	while ((s = e->act_slots[i]) != 0)
	{
		a = &e->acts[s - 1];
		if (a->hash == h && a->len == len && nametab_equal(a->name, name, len))
			return s - 1;
		i = (i + 1) & e->act_mask;
	}
	if (e->nacts >= DFG_MAX_ACTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("process map has more than %d distinct activities", DFG_MAX_ACTS)));
	if (e->nacts == e->acts_cap)
	{
		e->acts_cap *= 2;
		e->acts = repalloc(e->acts, e->acts_cap * sizeof(DfgMemAct));
	}
	a = &e->acts[e->nacts];
	memset(a, 0, sizeof(DfgMemAct));
	a->name = MemoryContextAlloc(e->cxt, len + 1);
	memcpy(a->name, name, len);
	a->name[len] = '\0';
	a->len = len;
	a->hash = h;
	e->act_slots[i] = ++e->nacts;
	if (e->nacts * 2 > e->act_mask + 1)
		act_rehash(e);
	return e->nacts - 1;
}

/* Mix an edge's (from, to) key into a well-spread 32-bit hash. */
static inline uint32
edge_hash(int32 from, int32 to)
{
	uint64		k = ((uint64) (uint32) from << 32) | (uint32) to;

	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (uint32) k;
}

/* Double the edge hash table. */
static void
edge_rehash(DfgExpanded *e)
{
	int			newmask = e->edge_mask * 2 + 1;
	int32	   *slots = MemoryContextAllocZero(e->cxt, (newmask + 1) * sizeof(int32));
	int			x;

	for (x = 0; x < e->nedges; x++)
	{
		int			i = edge_hash(e->edges[x].s.from, e->edges[x].s.to) & newmask;

		while (slots[i] != 0)
			i = (i + 1) & newmask;
		slots[i] = x + 1;
	}
	pfree(e->edge_slots);
	e->edge_slots = slots;
	e->edge_mask = newmask;
}

/* Activities whose edges a dense matrix indexes (a DFG_MATRIX_MAX^2 int32 matrix is 64 kB). */
#define DFG_MATRIX_MAX	128

/* Cover activities 0 .. need - 1 by the edge matrix (a power-of-two side), refilled from the edges. */
static void
matrix_cover(DfgExpanded *e, int need)
{
	int			dim = Max(e->matrix_dim, 16);
	int			x;

	while (dim < need)
		dim *= 2;
	if (e->edge_matrix)
		pfree(e->edge_matrix);
	e->edge_matrix = MemoryContextAllocZero(e->cxt, (Size) dim * dim * sizeof(int32));
	e->matrix_dim = dim;
	for (x = 0; x < e->nedges; x++)
		if (e->edges[x].s.from < dim && e->edges[x].s.to < dim)
			e->edge_matrix[e->edges[x].s.from * dim + e->edges[x].s.to] = x + 1;
}

/* The edge from -> to by hashing, created empty when new (and entered in the matrix). */
static pg_noinline DfgMemEdge *
edge_lookup_hashed(DfgExpanded *e, int32 from, int32 to)
{
	int			i = edge_hash(from, to) & e->edge_mask;
	int32		s;
	DfgMemEdge *x;

	while ((s = e->edge_slots[i]) != 0)
	{
		x = &e->edges[s - 1];
		if (x->s.from == from && x->s.to == to)
			return x;
		i = (i + 1) & e->edge_mask;
	}
	if (e->nedges >= DFG_MAX_EDGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("process map has more than %d distinct edges", DFG_MAX_EDGES)));
	if (e->nedges == e->edges_cap)
	{
		e->edges_cap *= 2;
		e->edges = repalloc_huge(e->edges, (Size) e->edges_cap * sizeof(DfgMemEdge));
	}
	x = &e->edges[e->nedges];
	memset(x, 0, sizeof(DfgMemEdge));
	x->s.from = from;
	x->s.to = to;
	x->s.min = PG_INT64_MAX;
	x->s.max = PG_INT64_MIN;
	e->edge_slots[i] = ++e->nedges;
	if (e->nedges * 2 > e->edge_mask + 1)
	{
		edge_rehash(e);
		x = &e->edges[e->nedges - 1];
	}
	if (Max(from, to) < DFG_MATRIX_MAX)
	{
		if (Max(from, to) >= e->matrix_dim)
			matrix_cover(e, Max(from, to) + 1);
		else
			e->edge_matrix[from * e->matrix_dim + to] = e->nedges;
	}
	return x;
}

/* The edge from -> to, created empty when new: a matrix read for the first activities' edges. */
static inline DfgMemEdge *
edge_lookup(DfgExpanded *e, int32 from, int32 to)
{
	if ((uint32) from < (uint32) e->matrix_dim && (uint32) to < (uint32) e->matrix_dim)
	{
		int32		s = e->edge_matrix[from * e->matrix_dim + to];

		if (likely(s != 0))
			return &e->edges[s - 1];
	}
	return edge_lookup_hashed(e, from, to);
}

/* Count one occurrence of an edge with duration d (us) in the current trace. */
static inline void
edge_add(DfgExpanded *e, int32 from, int32 to, int64 d, int64 w)
{
	DfgMemEdge *x = edge_lookup(e, from, to);

	x->s.count++;
	x->s.weight += w;
	x->s.sum += d;
	if (d < x->s.min)
		x->s.min = d;
	if (d > x->s.max)
		x->s.max = d;
	if (x->last_case != e->serial)
	{
		x->last_case = e->serial;
		x->s.cases++;
	}
	if (d == 0)
		x->s.zero++;
	else
		sketch_store_add(&x->store, sketch_index(d), 1, e->cxt);
}

/* Report a trace whose content contradicts its own header. */
static cm_noreturn void
corrupt_trace(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("corrupt collmine.trace value: %s", what)));
}

/*
 * Add one trace. Its dictionary is mapped to map activities once (a hash lookup per distinct
 * activity); the per-event loop then only indexes arrays and probes the edge table.
 */
void
dfg_expanded_add_trace(DfgExpanded *e, const TraceData *t, int64 w)
{
	int			n = t->nevents;
	int			na = t->nacts;
	const int32 *act;
	const TimestampTz *ts;
	int			a,
				i;
	int32		prev;

	e->flat_size = 0;
	e->serial++;
	e->cases++;
	e->events += n;
	e->skipped += t->nskipped;
	e->weight += w;
	if (n <= 0)
		return;
	if (na <= 0 || na > n)
		corrupt_trace("activity dictionary does not match the events");
	ensure_map(e, na);
	for (a = 0; a < na; a++)
	{
		int			len;
		const char *name = TraceActName(t, a, &len);
		int			id = e->map[a];

		/*
		 * map[] still holds the previous trace's mapping, and consecutive traces mostly share
		 * their dictionary's first entries: check that guess before hashing.
		 */
		if (id >= e->nacts || e->acts[id].len != len || !nametab_equal(e->acts[id].name, name, len))
			id = act_lookup(e, name, len);

		e->map[a] = id;
		e->acts[id].s.cases++;
		e->acts[id].s.weight += w;
	}
	act = TraceAct(t);
	ts = TraceTs(t);
	if ((uint32) act[0] >= (uint32) na)
		corrupt_trace("activity index out of range");
	prev = e->map[act[0]];
	e->acts[prev].s.events++;
	e->acts[prev].s.starts++;
	for (i = 1; i < n; i++)
	{
		int32		cur;
		int64		d;

		if ((uint32) act[i] >= (uint32) na)
			corrupt_trace("activity index out of range");
		cur = e->map[act[i]];
		e->acts[cur].s.events++;
		if (pg_sub_s64_overflow(ts[i], ts[i - 1], &d))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("duration between consecutive events out of range")));
		if (d < 0)
			corrupt_trace("events are not in time order");
		edge_add(e, prev, cur, d, w);
		prev = cur;
	}
	e->acts[prev].s.ends++;
}

/* Add a flat map to an expanded one: totals, activities by name, edges and sketches. */
void
dfg_expanded_merge(DfgExpanded *e, const DfgData *d)
{
	const DfgAct *acts = DfgActs(d);
	const DfgEdge *edges = DfgEdges(d);
	const SketchBucket *buckets = DfgBuckets(d);
	int			a,
				k,
				b;

	e->flat_size = 0;
	e->flags |= d->flags;
	/* every per-activity and per-edge count is bounded by these totals, so checking them suffices */
	if (pg_add_s64_overflow(e->cases, d->cases, &e->cases) ||
		pg_add_s64_overflow(e->events, d->events, &e->events) ||
		pg_add_s64_overflow(e->skipped, d->skipped, &e->skipped))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("process map counts out of range")));
	e->weight += d->weight;
	ensure_map(e, d->nacts);
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name = DfgActName(d, a, &len);
		int			id = act_lookup(e, name, len);
		DfgAct	   *s = &e->acts[id].s;

		e->map[a] = id;
		s->events += acts[a].events;
		s->cases += acts[a].cases;
		s->starts += acts[a].starts;
		s->ends += acts[a].ends;
		s->weight += acts[a].weight;
	}
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *src = &edges[k];
		DfgMemEdge *x = edge_lookup(e, e->map[src->from], e->map[src->to]);

		x->s.count += src->count;
		x->s.cases += src->cases;
		x->s.zero += src->zero;
		x->s.weight += src->weight;
		x->s.sum += src->sum;
		if (src->min < x->s.min)
			x->s.min = src->min;
		if (src->max > x->s.max)
			x->s.max = src->max;
		for (b = 0; b < src->nbuckets; b++)
		{
			const SketchBucket *bk = &buckets[src->bucket_off + b];

			sketch_store_add(&x->store, bk->index, bk->count, e->cxt);
		}
	}
}

/* ---------------------------------------------------------------------------------------------
 * the flat form
 * ------------------------------------------------------------------------------------------- */

/* Bytes of a flat map; refuses sizes that palloc could not hold. */
Size
dfg_size(int64 nacts, int64 nedges, int64 nbuckets, int64 names_len)
{
	int128		sz;

	sz = (int128) sizeof(DfgData) + (int128) nacts * sizeof(DfgAct) +
		(int128) nedges * sizeof(DfgEdge) + (int128) nbuckets * sizeof(SketchBucket) +
		(int128) (nacts + 1) * sizeof(int32) + names_len;
	if (nacts < 0 || nedges < 0 || nbuckets < 0 || names_len < 0 || sz > (int128) MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("process map too large")));
	return (Size) sz;
}

/* Order two names bytewise, shorter first on a common prefix (the dictionary order). */
static int
name_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* qsort_arg comparator: activity indexes by name. */
static int
act_perm_cmp(const void *pa, const void *pb, void *arg)
{
	const DfgExpanded *e = arg;
	const DfgMemAct *a = &e->acts[*(const int *) pa];
	const DfgMemAct *b = &e->acts[*(const int *) pb];

	return name_cmp(a->name, a->len, b->name, b->len);
}

/* Sort key for an edge in the flat form. */
typedef struct EdgeKey
{
	int32		from;
	int32		to;
	int32		idx;
} EdgeKey;

/* qsort comparator: edges by (from, to) in the new dictionary order. */
static int
edge_key_cmp(const void *pa, const void *pb)
{
	const EdgeKey *a = pa;
	const EdgeKey *b = pb;

	if (a->from != b->from)
		return (a->from > b->from) - (a->from < b->from);
	return (a->to > b->to) - (a->to < b->to);
}

/* get_flat_size method; cached because forming a tuple asks twice. */
static Size
dfg_get_flat_size(ExpandedObjectHeader *eohptr)
{
	DfgExpanded *e = (DfgExpanded *) eohptr;
	int64		nbuckets = 0,
				names_len = 0;
	int			k;

	if (e->flat_size != 0)
		return e->flat_size;
	for (k = 0; k < e->nedges; k++)
		nbuckets += sketch_store_nonzero(&e->edges[k].store);
	for (k = 0; k < e->nacts; k++)
		names_len += e->acts[k].len;
	e->flat_size = dfg_size(e->nacts, e->nedges, nbuckets, names_len);
	return e->flat_size;
}

/* flatten_into method: the canonical flat form (names sorted, edges sorted, zeroed padding). */
static void
dfg_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	DfgExpanded *e = (DfgExpanded *) eohptr;
	DfgData    *d = (DfgData *) result;
	int		   *perm,
			   *rank;
	EdgeKey    *keys;
	DfgAct	   *acts;
	DfgEdge    *edges;
	SketchBucket *buckets;
	int32	   *off;
	char	   *names;
	int			a,
				k,
				nb = 0,
				pos = 0;
	MemoryContext oldcxt;

	Assert(allocated_size == dfg_get_flat_size(eohptr));
	memset(d, 0, allocated_size);
	SET_VARSIZE(d, allocated_size);
	d->version = DFG_VERSION;
	d->flags = e->flags;
	d->nacts = e->nacts;
	d->nedges = e->nedges;
	d->cases = e->cases;
	d->events = e->events;
	d->skipped = e->skipped;
	d->weight = e->weight;
	for (k = 0; k < e->nedges; k++)
		nb += sketch_store_nonzero(&e->edges[k].store);
	d->nbuckets = nb;
	for (a = 0; a < e->nacts; a++)
		pos += e->acts[a].len;
	d->names_len = pos;

	/* the caller's context may not support pfree (a sort's bump context): see compat.h */
	oldcxt = MemoryContextSwitchTo(cm_flatten_scratch_context(eohptr));
	perm = palloc(sizeof(int) * (e->nacts + 1));
	rank = palloc(sizeof(int) * (e->nacts + 1));
	for (a = 0; a < e->nacts; a++)
		perm[a] = a;
	qsort_arg(perm, e->nacts, sizeof(int), act_perm_cmp, e);
	acts = DfgActs(d);
	off = DfgNameOff(d);
	names = DfgNames(d);
	pos = 0;
	for (a = 0; a < e->nacts; a++)
	{
		const DfgMemAct *src = &e->acts[perm[a]];

		rank[perm[a]] = a;
		acts[a] = src->s;
		off[a] = pos;
		memcpy(names + pos, src->name, src->len);
		pos += src->len;
	}
	off[e->nacts] = pos;

	keys = palloc(sizeof(EdgeKey) * (e->nedges + 1));
	for (k = 0; k < e->nedges; k++)
	{
		keys[k].from = rank[e->edges[k].s.from];
		keys[k].to = rank[e->edges[k].s.to];
		keys[k].idx = k;
	}
	qsort(keys, e->nedges, sizeof(EdgeKey), edge_key_cmp);
	edges = DfgEdges(d);
	buckets = DfgBuckets(d);
	nb = 0;
	for (k = 0; k < e->nedges; k++)
	{
		const DfgMemEdge *src = &e->edges[keys[k].idx];
		DfgEdge    *dst = &edges[k];

		*dst = src->s;
		dst->from = keys[k].from;
		dst->to = keys[k].to;
		dst->bucket_off = nb;
		dst->nbuckets = sketch_store_export(&src->store, buckets + nb);
		nb += dst->nbuckets;
	}
	Assert(nb == d->nbuckets);
	pfree(perm);
	pfree(rank);
	pfree(keys);
	MemoryContextSwitchTo(oldcxt);
}

/* The canonical flat form, palloc'd in the current memory context. */
DfgData *
dfg_flatten(DfgExpanded *e)
{
	Size		sz = dfg_get_flat_size(&e->hdr);
	DfgData    *d = palloc(sz);

	dfg_flatten_into(&e->hdr, d, sz);
	return d;
}

/* Report an inconsistent value read from text or binary input. */
static cm_noreturn void
invalid_dfg(int sqlstate, const char *what)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid collmine.dfg value: %s", what),
			 errhint("Use a value produced by collmine (collmine.dfg_agg, collmine.dfg_union or its text output).")));
}

/* A weight summed over n cases (or edge occurrences) of int64 weights: |w| <= n * 2^63. */
static bool
weight_in_range(int128 w, int64 n)
{
	int128		bound = (int128) Max(n, 0) << 63;

	return w >= -bound && w <= bound;
}

/*
 * Check every count, index, order and flow invariant of a flat map read from outside, so that
 * no function ever reads out of bounds or reports impossible statistics:
 *   per activity  1 <= cases <= events, starts <= cases, ends <= cases, cases <= total cases;
 *   per edge      ends in range, (from, to) strictly ascending, 1 <= cases <= count,
 *                 zero buckets + sketch buckets = count, min <= max, sum within [count*min,
 *                 count*max], sketch indexes strictly ascending within range;
 *   flows         edges out of a = events(a) - ends(a), edges into a = events(a) - starts(a),
 *                 sum of events = total events, starts = ends (only upper bounds when filtered).
 */
void
dfg_validate(const DfgData *d, Size size, int errcode)
{
	const DfgAct *acts;
	const DfgEdge *edges;
	const SketchBucket *buckets;
	const int32 *off;
	const char *names;
	int128		sum_events = 0,
				sum_starts = 0,
				sum_ends = 0;
	int128	   *out_flow,
			   *in_flow;
	bool		filtered;
	int			a,
				k,
				b,
				nb = 0;

	if (size < sizeof(DfgData))
		invalid_dfg(errcode, "too short");
	if (d->version != DFG_VERSION)
		invalid_dfg(errcode, "unsupported version");
	if ((d->flags & ~DFG_FILTERED) != 0 || d->reserved != 0)
		invalid_dfg(errcode, "unknown flags");
	if (d->nacts < 0 || d->nacts > DFG_MAX_ACTS || d->nedges < 0 || d->nedges > DFG_MAX_EDGES ||
		d->nbuckets < 0 || d->names_len < 0)
		invalid_dfg(errcode, "counts out of range");
	if ((int64) d->nedges > (int64) d->nacts * d->nacts)
		invalid_dfg(errcode, "more edges than pairs of activities");
	if (dfg_size(d->nacts, d->nedges, d->nbuckets, d->names_len) != size)
		invalid_dfg(errcode, "size does not match the counts");
	if (d->cases < 0 || d->events < 0 || d->skipped < 0)
		invalid_dfg(errcode, "negative totals");
	if (!weight_in_range(d->weight, d->cases))
		invalid_dfg(errcode, "total weight out of range");
	filtered = (d->flags & DFG_FILTERED) != 0;

	acts = DfgActs(d);
	edges = DfgEdges(d);
	buckets = DfgBuckets(d);
	off = DfgNameOff(d);
	names = DfgNames(d);

	if (off[0] != 0 || off[d->nacts] != d->names_len)
		invalid_dfg(errcode, "name offsets out of range");
	for (a = 0; a < d->nacts; a++)
	{
		if (off[a + 1] < off[a] || off[a + 1] > d->names_len)
			invalid_dfg(errcode, "name offsets out of range");
		if (a > 0 && name_cmp(names + off[a - 1], off[a] - off[a - 1],
							  names + off[a], off[a + 1] - off[a]) >= 0)
			invalid_dfg(errcode, "activity names not sorted or not unique");
		if (!pg_verify_mbstr(GetDatabaseEncoding(), names + off[a], off[a + 1] - off[a], true) ||
			memchr(names + off[a], '\0', off[a + 1] - off[a]) != NULL)
			invalid_dfg(errcode, "activity name is not valid text");
		if (!weight_in_range(acts[a].weight, acts[a].cases))
			invalid_dfg(errcode, "activity weight out of range");
		if (acts[a].events < 1 || acts[a].cases < 1 || acts[a].cases > acts[a].events ||
			acts[a].cases > d->cases || acts[a].starts < 0 || acts[a].starts > acts[a].cases ||
			acts[a].ends < 0 || acts[a].ends > acts[a].cases)
			invalid_dfg(errcode, "inconsistent activity counts");
		sum_events += acts[a].events;
		sum_starts += acts[a].starts;
		sum_ends += acts[a].ends;
	}
	if (sum_events > d->events || sum_starts > d->cases || sum_ends > d->cases ||
		(!filtered && (sum_events != d->events || sum_starts != sum_ends)))
		invalid_dfg(errcode, "activity counts do not add up to the totals");

	out_flow = palloc0(sizeof(int128) * (d->nacts + 1));
	in_flow = palloc0(sizeof(int128) * (d->nacts + 1));
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &edges[k];
		int128		bsum = x->zero;

		if (x->from < 0 || x->from >= d->nacts || x->to < 0 || x->to >= d->nacts)
			invalid_dfg(errcode, "edge refers to an activity out of range");
		if (k > 0 && (edges[k - 1].from > x->from ||
					  (edges[k - 1].from == x->from && edges[k - 1].to >= x->to)))
			invalid_dfg(errcode, "edges not sorted or not unique");
		if (x->count < 1 || x->cases < 1 || x->cases > x->count ||
			x->cases > acts[x->from].cases || x->cases > acts[x->to].cases ||
			x->zero < 0 || x->zero > x->count)
			invalid_dfg(errcode, "inconsistent edge counts");
		if (!weight_in_range(x->weight, x->count))
			invalid_dfg(errcode, "edge weight out of range");
		if (x->min < 0 || x->min > x->max || (x->zero > 0) != (x->min == 0) ||
			x->sum < (int128) x->count * x->min || x->sum > (int128) x->count * x->max)
			invalid_dfg(errcode, "inconsistent edge durations");
		if (x->bucket_off != nb || x->nbuckets < 0 || x->nbuckets > d->nbuckets - nb)
			invalid_dfg(errcode, "sketch buckets out of range");
		for (b = 0; b < x->nbuckets; b++)
		{
			const SketchBucket *bk = &buckets[nb + b];

			if (bk->index < 0 || bk->index > SKETCH_MAX_INDEX || bk->reserved != 0 ||
				bk->count < 1 || (b > 0 && bk->index <= buckets[nb + b - 1].index))
				invalid_dfg(errcode, "sketch buckets not sorted or out of range");
			bsum += bk->count;
		}
		if (bsum != x->count)
			invalid_dfg(errcode, "sketch counts do not add up to the edge count");
		nb += x->nbuckets;
		out_flow[x->from] += x->count;
		in_flow[x->to] += x->count;
	}
	if (nb != d->nbuckets)
		invalid_dfg(errcode, "sketch buckets out of range");
	for (a = 0; a < d->nacts; a++)
	{
		int128		out_max = acts[a].events - acts[a].ends;
		int128		in_max = acts[a].events - acts[a].starts;

		if (out_flow[a] > out_max || in_flow[a] > in_max ||
			(!filtered && (out_flow[a] != out_max || in_flow[a] != in_max)))
			invalid_dfg(errcode, "edge counts do not match the activity counts");
	}
	pfree(out_flow);
	pfree(in_flow);
}

/* ---------------------------------------------------------------------------------------------
 * weights: exact fixed point with 4 decimals
 * ------------------------------------------------------------------------------------------- */

/* numeric constants, made once in TopMemoryContext */
static Datum num_scale,
			num_max,
			num_min;

/* Make the numeric constants used to convert weights. */
static void
weight_constants(void)
{
	MemoryContext old;

	if (num_scale != (Datum) 0)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	num_max = DirectFunctionCall1(int8_numeric, Int64GetDatum(PG_INT64_MAX));
	num_min = DirectFunctionCall1(int8_numeric, Int64GetDatum(PG_INT64_MIN));
	num_scale = DirectFunctionCall1(int4_numeric, Int32GetDatum(DFG_WEIGHT_SCALE));
	MemoryContextSwitchTo(old);
}

/* numeric weight -> units of 1/10000, rounded half away from zero; 22003 when out of range. */
int64
dfg_weight_from_numeric(Datum num)
{
	Datum		scaled;

	if (numeric_is_nan(DatumGetNumeric(num)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must not be NaN"),
				 errhint("Pass a finite amount, or NULL to count the case with weight 0.")));
	weight_constants();
	scaled = DirectFunctionCall2(numeric_mul, num, num_scale);
	scaled = DirectFunctionCall2(numeric_round, scaled, Int32GetDatum(0));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, scaled, num_max)) > 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, scaled, num_min)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weight out of range"),
				 errdetail("Weights are summed exactly with 4 decimal places and must lie between -922337203685477.5808 and 922337203685477.5807.")));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, scaled));
}

/* units of 1/10000 -> decimal text; trim drops trailing zeros of the fraction. */
char *
dfg_weight_to_cstring(int128 w, bool trim)
{
	StringInfoData buf;
	uint128		u;
	int			frac;
	int			len;

	initStringInfo(&buf);
	if (w < 0)
	{
		appendStringInfoChar(&buf, '-');
		u = (uint128) (-(w + 1)) + 1;
	}
	else
		u = (uint128) w;
	cm_write_int128(&buf, (int128) (u / DFG_WEIGHT_SCALE));
	frac = (int) (u % DFG_WEIGHT_SCALE);
	appendStringInfo(&buf, ".%04d", frac);
	if (trim)
	{
		len = buf.len;
		while (buf.data[len - 1] == '0')
			len--;
		if (buf.data[len - 1] == '.')
			len--;
		buf.data[len] = '\0';
		buf.len = len;
	}
	return buf.data;
}

/* units of 1/10000 -> numeric with scale 4. */
Datum
dfg_weight_to_numeric(int128 w)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(dfg_weight_to_cstring(w, false)),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* ---------------------------------------------------------------------------------------------
 * helpers shared by the SQL functions and the renderers
 * ------------------------------------------------------------------------------------------- */

/* q-quantile of an edge's durations from its sketch (us). */
int64
dfg_edge_quantile(const DfgData *d, const DfgEdge *e, double q)
{
	return sketch_quantile(q, e->count, e->zero, DfgBuckets(d) + e->bucket_off, e->nbuckets,
						   e->min, e->max);
}

/* qsort_arg comparator: frequency desc, then source and target in dictionary (bytewise) order. */
static int
edge_freq_cmp(const void *pa, const void *pb, void *arg)
{
	const DfgEdge *edges = arg;
	const DfgEdge *a = &edges[*(const int *) pa];
	const DfgEdge *b = &edges[*(const int *) pb];

	if (a->count != b->count)
		return (a->count < b->count) - (a->count > b->count);
	if (a->from != b->from)
		return (a->from > b->from) - (a->from < b->from);
	return (a->to > b->to) - (a->to < b->to);
}

/* Edge indexes, most frequent first (ties by source and target name). */
int *
dfg_edge_order(const DfgData *d)
{
	int		   *order = palloc(sizeof(int) * (d->nedges + 1));
	int			k;

	for (k = 0; k < d->nedges; k++)
		order[k] = k;
	qsort_arg(order, d->nedges, sizeof(int), edge_freq_cmp, DfgEdges(d));
	return order;
}
