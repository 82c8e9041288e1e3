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

/*
 * A cheap hash of a short name: one multiply per 8 bytes. Activity names are short and their
 * hashes never leave the process, so this replaces hash_bytes, which was the top symbol of the
 * aggregation profile.
 */
static inline uint32
nametab_hash(const char *name, int32 len)
{
	uint64		h = (uint64) len * UINT64CONST(0x9E3779B97F4A7C15);
	uint64		w;

	while (len >= 8)
	{
		memcpy(&w, name, 8);
		h = (h ^ w) * UINT64CONST(0xff51afd7ed558ccd);
		h ^= h >> 32;
		name += 8;
		len -= 8;
	}
	if (len > 0)
	{
		w = 0;
		memcpy(&w, name, len);
		h = (h ^ w) * UINT64CONST(0xc4ceb9fe1a85ec53);
	}
	h ^= h >> 29;
	return (uint32) h;
}

extern void nametab_init(NameTab *tab, MemoryContext cxt, bool copy);
extern int32 nametab_intern(NameTab *tab, const char *name, int32 len);
/* nametab_intern with the name's nametab_hash already computed. */
extern int32 nametab_intern_hashed(NameTab *tab, const char *name, int32 len, uint32 h);
extern int32 nametab_lookup(const NameTab *tab, const char *name, int32 len);
extern void nametab_free(NameTab *tab);

#endif
