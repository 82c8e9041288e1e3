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

extern void nametab_init(NameTab *tab, MemoryContext cxt, bool copy);
extern int32 nametab_intern(NameTab *tab, const char *name, int32 len);
extern int32 nametab_lookup(const NameTab *tab, const char *name, int32 len);
extern void nametab_free(NameTab *tab);

#endif
