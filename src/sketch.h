/*
 * sketch.h: the DDSketch-style quantile sketch of durations inside a process map.
 *
 * A duration x (integer microseconds, x >= 0) falls in the zero bucket when x == 0 and otherwise
 * in log bucket i = ceil(log_gamma(x)), gamma = (1 + alpha) / (1 - alpha), alpha = 0.01. Each
 * bucket answers with its representative 2 * gamma^i / (gamma + 1), which is within alpha of
 * every x in (gamma^(i-1), gamma^i]. Buckets only count, so merging two sketches adds counts:
 * exact, and independent of merge order and of how the input was split.
 *
 * While a map is being built (the expanded form) each edge keeps a dense, growable run of
 * counters; the flat form keeps sparse (index, count) pairs sorted by index.
 */
#ifndef COLLMINE_SKETCH_H
#define COLLMINE_SKETCH_H

#include "compat.h"
#include "port/pg_bitutils.h"

#define SKETCH_ALPHA		0.01
#define SKETCH_MAX_INDEX	2300	/* ceil(log_gamma(2^63)) is 2184 */

/* One bucket of the flat (sparse) form. */
typedef struct SketchBucket
{
	int32		index;			/* log bucket, 0 .. SKETCH_MAX_INDEX, strictly ascending */
	int32		reserved;		/* zero */
	int64		count;			/* values in the bucket, >= 1 */
} SketchBucket;

/* The dense, growable form used while building: counts[k] belongs to bucket lo + k. */
typedef struct SketchStore
{
	int32		lo;
	int32		len;
	int64	   *counts;
} SketchStore;

/*
 * The bucket without log() per value (sketch.c explains the tables): x's exponent bits pick an
 * octave, its next SKETCH_SUB_BITS bits a slice that holds at most one bucket boundary. The
 * lookup is inline because dfg_agg does it per edge occurrence; building a table, and the
 * slices that must fall back to the defining formula, happen in sketch_index_slow.
 */
#define SKETCH_SUB_BITS	7
#define SKETCH_SUB		(1 << SKETCH_SUB_BITS)

typedef struct SketchOctave
{
	int16		base[SKETCH_SUB];	/* bucket of the slice's first value */
	int64		split[SKETCH_SUB];	/* first value of bucket base + 1, 0 none, -1 use log() */
} SketchOctave;

extern SketchOctave *sketch_octaves[64];	/* built on first use, per process */
extern int16 sketch_small[SKETCH_SUB];	/* buckets of 1 .. SKETCH_SUB - 1 */
extern bool sketch_small_done;

/* Bucket of a positive duration the tables cannot answer yet (builds them) or at all. */
extern int	sketch_index_slow(int64 x);

/* Bucket of a positive duration: the smallest i with x <= gamma^i. */
static inline int
sketch_index(int64 x)
{
	if (x >= SKETCH_SUB)
	{
		int			e = pg_leftmost_one_pos64((uint64) x);
		const SketchOctave *o = sketch_octaves[e];

		if (likely(o != NULL))
		{
			int			k = (int) ((x >> (e - SKETCH_SUB_BITS)) & (SKETCH_SUB - 1));
			int64		s = o->split[k];

			if (likely(s == 0))
				return o->base[k];
			if (s > 0)
				return x >= s ? o->base[k] + 1 : o->base[k];
		}
	}
	else if (likely(sketch_small_done))
		return sketch_small[x];
	return sketch_index_slow(x);
}

/* Representative value of a log bucket (microseconds, not rounded). */
extern double sketch_value(int index);

/* sketch_store_add when the store has no counter for index yet (grows it in cxt). */
extern void sketch_store_add_slow(SketchStore *s, int index, int64 n, MemoryContext cxt);

/* Count n values in bucket index; grows the store in memory context cxt. */
static inline void
sketch_store_add(SketchStore *s, int index, int64 n, MemoryContext cxt)
{
	uint32		k = (uint32) (index - s->lo);

	if (likely(k < (uint32) s->len))
		s->counts[k] += n;
	else
		sketch_store_add_slow(s, index, n, cxt);
}

/* Non-empty buckets of a store. */
extern int	sketch_store_nonzero(const SketchStore *s);

/* Write the non-empty buckets of a store as sparse pairs; returns how many. */
extern int	sketch_store_export(const SketchStore *s, SketchBucket *out);

/*
 * The q-quantile with percentile_disc's rank, r = ceil(q * n) - 1 (at least 0), of a sketch
 * with zero values in the zero bucket and nb sparse buckets, clamped to [min, max].
 */
extern int64 sketch_quantile(double q, int64 n, int64 zero, const SketchBucket *b, int nb,
							 int64 min, int64 max);

#endif
