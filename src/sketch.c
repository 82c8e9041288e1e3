/*
 * sketch.c: the log-bucket quantile sketch of durations (see sketch.h for the guarantee).
 */
#include "sketch.h"

#include <math.h>

#include "utils/memutils.h"

/* log(gamma), computed once. */
static double
sketch_log_gamma(void)
{
	static double lg = 0.0;

	if (lg == 0.0)
		lg = log((1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA));
	return lg;
}

/* Bucket of a positive duration: the smallest i with x <= gamma^i. */
int
sketch_index(int64 x)
{
	int			i;

	Assert(x > 0);
	i = (int) ceil(log((double) x) / sketch_log_gamma());
	if (i < 0)
		i = 0;
	if (i > SKETCH_MAX_INDEX)
		i = SKETCH_MAX_INDEX;
	return i;
}

/* Representative 2 * gamma^i / (gamma + 1): within alpha of every value in the bucket. */
double
sketch_value(int index)
{
	double		gamma = (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA);

	return 2.0 * exp(index * sketch_log_gamma()) / (gamma + 1.0);
}

/* Count n values in a bucket, growing the dense run to cover it (doubling, so amortised O(1)). */
void
sketch_store_add(SketchStore *s, int index, int64 n, MemoryContext cxt)
{
	if (s->len == 0)
	{
		s->lo = index - 4;
		s->len = 16;
		s->counts = MemoryContextAllocZero(cxt, s->len * sizeof(int64));
	}
	else if (index < s->lo || index >= s->lo + s->len)
	{
		int			newlo = Min(s->lo, index);
		int			newhi = Max(s->lo + s->len, index + 1);
		int			newlen = Max(newhi - newlo, s->len * 2);
		int64	   *c;

		/* grow towards the side that overflowed */
		if (index < s->lo)
			newlo = newhi - newlen;
		c = MemoryContextAllocZero(cxt, newlen * sizeof(int64));
		memcpy(c + (s->lo - newlo), s->counts, s->len * sizeof(int64));
		pfree(s->counts);
		s->counts = c;
		s->lo = newlo;
		s->len = newlen;
	}
	s->counts[index - s->lo] += n;
}

/* Non-empty buckets (the size of the sparse form). */
int
sketch_store_nonzero(const SketchStore *s)
{
	int			k,
				n = 0;

	for (k = 0; k < s->len; k++)
		if (s->counts[k] != 0)
			n++;
	return n;
}

/* Sparse pairs in ascending index order. */
int
sketch_store_export(const SketchStore *s, SketchBucket *out)
{
	int			k,
				n = 0;

	for (k = 0; k < s->len; k++)
	{
		if (s->counts[k] == 0)
			continue;
		out[n].index = s->lo + k;
		out[n].reserved = 0;
		out[n].count = s->counts[k];
		n++;
	}
	return n;
}

/* Walk the buckets to the one holding rank ceil(q*n)-1, as percentile_disc picks its row. */
int64
sketch_quantile(double q, int64 n, int64 zero, const SketchBucket *b, int nb,
				int64 min, int64 max)
{
	int64		rank;
	int64		seen;
	double		v;
	int			k;

	if (n <= 0)
		return 0;
	rank = (int64) ceil(q * (double) n) - 1;
	if (rank < 0)
		rank = 0;
	if (rank >= n)
		rank = n - 1;
	if (rank < zero)
		return 0;
	seen = zero;
	v = (double) max;
	for (k = 0; k < nb; k++)
	{
		seen += b[k].count;
		if (rank < seen)
		{
			v = sketch_value(b[k].index);
			break;
		}
	}
	if (v < (double) min)
		return min;
	if (v > (double) max)
		return max;
	return (int64) rint(v);
}
