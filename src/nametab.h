/*
 * nametab.h: an interning table for activity names (bytes + length -> dense id).
 *
 * Ids are dense and in insertion order, which is what gives traces their first-occurrence
 * dictionaries and lets summaries map a trace's dictionary to their own ids once per trace.
 */
#ifndef COLLMINE_NAMETAB_H
#define COLLMINE_NAMETAB_H

#include "compat.h"

typedef struct NameTab
{
	MemoryContext cxt;			/* where the table (and copies) live */
	bool		copy;			/* copy names into cxt, or keep the caller's pointers */
	int32		count;			/* names interned */
	int32		capacity;		/* entries allocated in names/lens/hashes */
	int32		nslots;			/* hash slots, a power of two */
	int32	   *slots;			/* id + 1, or 0 for empty */
	const char **names;
	int32	   *lens;
	uint32	   *hashes;
} NameTab;

static inline uint64
nametab_load8(const char *p)
{
	uint64		w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint64
nametab_load4(const char *p)
{
	uint32		w;

	memcpy(&w, p, 4);
	return w;
}

/* Fold one 64-bit word into a hash state. */
static inline uint64
nametab_mix(uint64 h, uint64 w)
{
	h = (h ^ w) * UINT64CONST(0xff51afd7ed558ccd);
	return h ^ (h >> 32);
}

/*
 * A cheap hash of a short name: one multiply per 8 bytes, the tail read as one overlapping
 * word (no byte loop). Activity names are short and their hashes never leave the process, so
 * this replaces hash_bytes, which was the top symbol of the aggregation profile.
 */
static inline uint32
nametab_hash(const char *name, int32 len)
{
	uint64		h = (uint64) len * UINT64CONST(0x9E3779B97F4A7C15);

	if (len >= 8)
	{
		const char *end = name + len - 8;

		for (; name < end; name += 8)
			h = nametab_mix(h, nametab_load8(name));
		h = nametab_mix(h, nametab_load8(end));
	}
	else if (len >= 4)
		h = nametab_mix(h, nametab_load4(name) | nametab_load4(name + len - 4) << 32);
	else if (len > 0)
		h = nametab_mix(h, (uint64) (uint8) name[0] | (uint64) (uint8) name[len / 2] << 8 |
						(uint64) (uint8) name[len - 1] << 16);
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 29;
	return (uint32) h;
}

/* a == b for two names of length len, a word at a time (the tail as an overlapping word). */
static inline bool
nametab_equal(const char *a, const char *b, int32 len)
{
	int32		k;

	if (len >= 8)
	{
		for (k = 0; k < len - 8; k += 8)
			if (nametab_load8(a + k) != nametab_load8(b + k))
				return false;
		return nametab_load8(a + len - 8) == nametab_load8(b + len - 8);
	}
	if (len >= 4)
		return nametab_load4(a) == nametab_load4(b) &&
			nametab_load4(a + len - 4) == nametab_load4(b + len - 4);
	for (k = 0; k < len; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

/*
 * A name's key: its length and three words that, for names of at most 24 bytes, hold every byte
 * (bytes 0-7, 8-15 and the last 8, overlapping; shorter names as in nametab_hash, unused words
 * zero). Equal keys then mean equal names; longer names also need their bytes 16 .. len - 9
 * compared (nametab_key_rest_equal). Activity names are mostly shorter than that.
 */
typedef struct NameKey
{
	uint64		w0;
	uint64		w1;
	uint64		w2;
	int32		len;
} NameKey;

#define NAMEKEY_FULL	24		/* longest name a key holds completely */

/* The key of a name: up to three loads, no loop. */
static inline NameKey
nametab_key(const char *name, int32 len)
{
	NameKey		k;

	k.len = len;
	k.w1 = 0;
	k.w2 = 0;
	if (len >= 8)
	{
		k.w0 = nametab_load8(name);
		k.w2 = nametab_load8(name + len - 8);
		if (len > 16)
			k.w1 = nametab_load8(name + 8);
	}
	else if (len >= 4)
		k.w0 = nametab_load4(name) | nametab_load4(name + len - 4) << 32;
	else if (len > 0)
		k.w0 = (uint64) (uint8) name[0] | (uint64) (uint8) name[len / 2] << 8 |
			(uint64) (uint8) name[len - 1] << 16;
	else
		k.w0 = 0;
	return k;
}

/* Hash of a key (every word, three multiplies). */
static inline uint32
nametab_key_hash(const NameKey *k)
{
	uint64		h = nametab_mix((uint64) k->len * UINT64CONST(0x9E3779B97F4A7C15), k->w0);

	h = nametab_mix(h, k->w1);
	h = nametab_mix(h, k->w2);
	return (uint32) h;
}

/* Equal keys? */
static inline bool
nametab_key_equal(const NameKey *a, const NameKey *b)
{
	return a->len == b->len && a->w0 == b->w0 && a->w1 == b->w1 && a->w2 == b->w2;
}

/* For two names with equal keys: are the bytes the key leaves out (16 .. len - 9) equal too? */
static inline bool
nametab_key_rest_equal(const char *a, const char *b, int32 len)
{
	return len <= NAMEKEY_FULL || nametab_equal(a + 16, b + 16, len - 24);
}

/* Id of a name already in the table, or -1; inline for per-event lookups. */
static inline int32
nametab_find(const NameTab *tab, const char *name, int32 len, uint32 h)
{
	int32		mask = tab->nslots - 1;
	int32		s = (int32) (h & mask);

	for (;;)
	{
		int32		id = tab->slots[s] - 1;

		if (id < 0)
			return -1;
		if (tab->hashes[id] == h && tab->lens[id] == len &&
			nametab_equal(tab->names[id], name, len))
			return id;
		s = (s + 1) & mask;
	}
}

extern void nametab_init(NameTab *tab, MemoryContext cxt, bool copy);
extern int32 nametab_intern(NameTab *tab, const char *name, int32 len);
/* nametab_intern with the name's nametab_hash already computed. */
extern int32 nametab_intern_hashed(NameTab *tab, const char *name, int32 len, uint32 h);
extern int32 nametab_lookup(const NameTab *tab, const char *name, int32 len);
extern void nametab_free(NameTab *tab);

#endif
