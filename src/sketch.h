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

/* Bucket of a positive duration. */
extern int	sketch_index(int64 x);

/* Representative value of a log bucket (microseconds, not rounded). */
extern double sketch_value(int index);

/* Count n values in bucket index; grows the store in memory context cxt. */
extern void sketch_store_add(SketchStore *s, int index, int64 n, MemoryContext cxt);

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
