/*
 * sketch.c: the log-bucket quantile sketch of durations (see sketch.h for the guarantee).
 */
#include "sketch.h"

#include <math.h>

#include "port/pg_bitutils.h"
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

/* The bucket by its definition, ceil(log_gamma(x)) clamped: used to build the tables below. */
static int
index_by_log(int64 x)
{
	int			i = (int) ceil(log((double) x) / sketch_log_gamma());

	if (i < 0)
		i = 0;
	if (i > SKETCH_MAX_INDEX)
		i = SKETCH_MAX_INDEX;
	return i;
}

/*
 * The bucket without log() per value (the inline sketch_index of sketch.h). x's exponent bits
 * pick an octave [2^e, 2^(e+1)), its next SKETCH_SUB_BITS bits one of SKETCH_SUB slices of it; a
 * slice is narrower (ratio at most 1 + 1/128) than a bucket (ratio gamma = 1.0202), so it holds
 * at most one bucket boundary. Each octave's table, built on first use from index_by_log
 * itself, keeps per slice the bucket of its first value and the first value of the next bucket
 * (0 when the slice has none), so the result equals index_by_log bit for bit.
 */
SketchOctave *sketch_octaves[64];
int16		sketch_small[SKETCH_SUB];
bool		sketch_small_done = false;

/* Build the table of octave e (e >= SKETCH_SUB_BITS), once per process. */
static SketchOctave *
build_octave(int e)
{
	SketchOctave *o = MemoryContextAlloc(TopMemoryContext, sizeof(SketchOctave));
	int64		width = INT64CONST(1) << (e - SKETCH_SUB_BITS);
	int			k;

	for (k = 0; k < SKETCH_SUB; k++)
	{
		int64		lo = (INT64CONST(1) << e) + k * width;
		int64		hi = lo + (width - 1);
		int			ilo = index_by_log(lo);
		int			ihi = index_by_log(hi);

		o->base[k] = (int16) ilo;
		if (ihi == ilo)
			o->split[k] = 0;
		else if (ihi == ilo + 1)
		{
			/* the first value of bucket ilo + 1: binary search on the defining formula */
			int64		a = lo,
						b = hi;

			while (a < b)
			{
				int64		m = a + (b - a) / 2;

				if (index_by_log(m) > ilo)
					b = m;
				else
					a = m + 1;
			}
			o->split[k] = a;
		}
		else
			o->split[k] = -1;
	}
	sketch_octaves[e] = o;
	return o;
}

/* Bucket of a positive duration the inline lookup could not answer: builds a table, or uses log(). */
int
sketch_index_slow(int64 x)
{
	int			e;
	const SketchOctave *o;
	int			k;
	int64		s;

	Assert(x > 0);
	if (x < SKETCH_SUB)
	{
		if (unlikely(!sketch_small_done))
		{
			for (k = 1; k < SKETCH_SUB; k++)
				sketch_small[k] = (int16) index_by_log(k);
			sketch_small_done = true;
		}
		return sketch_small[x];
	}
	e = pg_leftmost_one_pos64((uint64) x);
	o = sketch_octaves[e];
	if (o == NULL)
		o = build_octave(e);
	k = (int) ((x >> (e - SKETCH_SUB_BITS)) & (SKETCH_SUB - 1));
	s = o->split[k];
	if (s == 0)
		return o->base[k];
	if (s < 0)
		return index_by_log(x);
	return x >= s ? o->base[k] + 1 : o->base[k];
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
sketch_store_add_slow(SketchStore *s, int index, int64 n, MemoryContext cxt)
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
