/*
 * dfg.h: collmine.dfg, a mergeable directly-follows graph (process map) over many traces.
 *
 * Flat layout (the stored varlena; native-endian; the binary send/recv form is separate):
 *
 *   DfgData       header (64 bytes): totals and counts
 *   DfgAct        acts[nacts]        per activity, in dictionary order
 *   DfgEdge       edges[nedges]      sorted by (from, to), dictionary indexes
 *   SketchBucket  buckets[nbuckets]  every edge's sparse duration sketch, edge after edge
 *   int32         name_off[nacts+1]  offsets into the name pool
 *   char          names[names_len]   activity names, sorted bytewise, unique, no terminators
 *
 * Canonical: equal content gives byte-identical values and identical text, whatever the order in
 * which traces were added or maps merged. Weights are fixed point with 4 decimals (units of
 * 1/10000) in 128-bit integers; durations are integer microseconds.
 *
 * While an aggregate runs, the value lives as an expanded object (DfgExpanded) in the aggregate's
 * memory context, so adding a trace updates it in place.
 */
#ifndef COLLMINE_DFG_H
#define COLLMINE_DFG_H

#include "compat.h"
#include "sketch.h"
#include "trace.h"
#include "utils/expandeddatum.h"

#define DFG_VERSION			1
#define DFG_FILTERED		0x01	/* a dfg_filter view: flow totals are upper bounds only */
#define DFG_MAX_ACTS		(1024 * 1024)
#define DFG_MAX_EDGES		(16 * 1024 * 1024)
#define DFG_WEIGHT_SCALE	10000	/* weights are stored in units of 1/10000 */

typedef struct DfgData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* DFG_VERSION */
	uint8		flags;			/* DFG_FILTERED */
	uint16		reserved;		/* zero */
	int32		nacts;
	int32		nedges;
	int32		nbuckets;		/* sketch buckets of all edges */
	int32		names_len;
	int64		cases;			/* traces added, including traces with no events */
	int64		events;
	int64		skipped;		/* events the traces left out (NULL activity or time) */
	int128		weight;			/* sum of case weights */
} DfgData;

typedef struct DfgAct
{
	int64		events;			/* occurrences */
	int64		cases;			/* cases with at least one occurrence */
	int64		starts;			/* cases that start with it */
	int64		ends;			/* cases that end with it */
	int128		weight;			/* sum of the weights of the cases that contain it */
} DfgAct;

typedef struct DfgEdge
{
	int32		from;			/* dictionary index of the source */
	int32		to;				/* dictionary index of the target */
	int32		bucket_off;		/* first sketch bucket of this edge */
	int32		nbuckets;		/* sketch buckets of this edge */
	int64		count;			/* occurrences, >= 1 */
	int64		cases;			/* cases with at least one occurrence */
	int64		zero;			/* occurrences with zero duration */
	int64		min;			/* shortest duration (us) */
	int64		max;			/* longest duration (us) */
	int128		weight;			/* sum over occurrences of the case weight */
	int128		sum;			/* sum of durations (us) */
} DfgEdge;

StaticAssertDecl(sizeof(DfgData) == 64, "DfgData header layout");
StaticAssertDecl(sizeof(DfgAct) == 48, "DfgAct layout");
StaticAssertDecl(sizeof(DfgEdge) == 88, "DfgEdge layout");
StaticAssertDecl(sizeof(SketchBucket) == 16, "SketchBucket layout");

static inline DfgAct *
DfgActs(const DfgData *d)
{
	return (DfgAct *) ((char *) d + sizeof(DfgData));
}

static inline DfgEdge *
DfgEdges(const DfgData *d)
{
	return (DfgEdge *) (DfgActs(d) + d->nacts);
}

static inline SketchBucket *
DfgBuckets(const DfgData *d)
{
	return (SketchBucket *) (DfgEdges(d) + d->nedges);
}

static inline int32 *
DfgNameOff(const DfgData *d)
{
	return (int32 *) (DfgBuckets(d) + d->nbuckets);
}

static inline char *
DfgNames(const DfgData *d)
{
	return (char *) (DfgNameOff(d) + d->nacts + 1);
}

/* Name of activity a (not NUL-terminated); its length goes to *len. */
static inline const char *
DfgActName(const DfgData *d, int a, int *len)
{
	const int32 *off = DfgNameOff(d);

	*len = off[a + 1] - off[a];
	return DfgNames(d) + off[a];
}

/* Fetch a dfg argument as a flat value (flattens an expanded one). */
#define DatumGetDfgP(d)			((DfgData *) PG_DETOAST_DATUM(d))
#define PG_GETARG_DFG_P(n)		DatumGetDfgP(PG_GETARG_DATUM(n))
#define PG_RETURN_DFG_P(x)		PG_RETURN_POINTER(x)

/* ---- the expanded (in-memory, mutable) form ---- */

typedef struct DfgMemAct
{
	DfgAct		s;
	char	   *name;
	int32		len;
	uint32		hash;
} DfgMemAct;

typedef struct DfgMemEdge
{
	DfgEdge		s;				/* bucket_off/nbuckets unused here */
	int64		last_case;		/* serial of the last trace that counted this edge's case */
	SketchStore store;
} DfgMemEdge;

typedef struct DfgExpanded
{
	ExpandedObjectHeader hdr;
	MemoryContext cxt;			/* == hdr.eoh_context */
	uint8		flags;
	int64		cases;
	int64		events;
	int64		skipped;
	int128		weight;
	int64		serial;			/* traces added so far, for per-case edge counting */

	int			nacts;
	int			acts_cap;
	DfgMemAct  *acts;
	int32	   *act_slots;		/* open addressing: activity index + 1, 0 = empty */
	int			act_mask;

	int			nedges;
	int			edges_cap;
	DfgMemEdge *edges;
	int32	   *edge_slots;		/* open addressing: edge index + 1, 0 = empty */
	int			edge_mask;
	int32	   *edge_matrix;	/* edge index + 1 at [from * matrix_dim + to], 0 = not known */
	int			matrix_dim;		/* activities it covers (0: none yet) */

	int32	   *map;			/* scratch: trace dictionary index -> activity index */
	int			map_cap;

	Size		flat_size;		/* cached get_flat_size, 0 when stale */
} DfgExpanded;

/* A new empty expanded map in a new child context of parent. */
extern DfgExpanded *dfg_expanded_new(MemoryContext parent);

/* Add every part of a flat map to an expanded one. */
extern void dfg_expanded_merge(DfgExpanded *e, const DfgData *d);

/* Add one trace with a weight (fixed point, units of 1/10000). */
extern void dfg_expanded_add_trace(DfgExpanded *e, const TraceData *t, int64 weight);

/* The canonical flat form of an expanded map, palloc'd in the current context. */
extern DfgData *dfg_flatten(DfgExpanded *e);

/* Check a flat map read from outside; reports problems with errcode. */
extern void dfg_validate(const DfgData *d, Size size, int errcode);

/* Total bytes of a flat map with these counts; errors when it would be too large. */
extern Size dfg_size(int64 nacts, int64 nedges, int64 nbuckets, int64 names_len);

/* The expanded map behind a Datum that this aggregate may update in place, or NULL. */
extern DfgExpanded *dfg_owned_expanded(Datum d, MemoryContext aggcxt);

/* Expand any dfg Datum (flat or expanded) into a new object under parent. */
extern DfgExpanded *dfg_expand_datum(Datum d, MemoryContext parent);

/* ---- weights ---- */

/* numeric -> fixed point with 4 decimals, rounded half away from zero; 22003 on overflow. */
extern int64 dfg_weight_from_numeric(Datum num);

/* fixed point -> numeric with scale 4. */
extern Datum dfg_weight_to_numeric(int128 w);

/* fixed point -> shortest decimal text (for labels). */
extern char *dfg_weight_to_cstring(int128 w, bool trim);

/* ---- quantiles and sorting shared by the SQL functions and the renderers ---- */

extern int64 dfg_edge_quantile(const DfgData *d, const DfgEdge *e, double q);

/* Edge indexes ordered by frequency desc, then source and target name (bytewise). */
extern int *dfg_edge_order(const DfgData *d);


#endif
