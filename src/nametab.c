/*
 * nametab.c: open-addressing interning table for activity names (see nametab.h).
 */
#include "nametab.h"

#include "utils/memutils.h"

/* Start empty; small tables are the common case (a case has a handful of activities). */
void
nametab_init(NameTab *tab, MemoryContext cxt, bool copy)
{
	tab->cxt = cxt;
	tab->copy = copy;
	tab->count = 0;
	tab->capacity = 8;
	tab->nslots = 16;
	tab->slots = MemoryContextAllocZero(cxt, sizeof(int32) * tab->nslots);
	tab->names = MemoryContextAlloc(cxt, sizeof(char *) * tab->capacity);
	tab->lens = MemoryContextAlloc(cxt, sizeof(int32) * tab->capacity);
	tab->hashes = MemoryContextAlloc(cxt, sizeof(uint32) * tab->capacity);
}

/* Slot holding name, or the empty slot where it would go. */
static int32
find_slot(const NameTab *tab, const char *name, int32 len, uint32 h)
{
	int32		mask = tab->nslots - 1;
	int32		s = (int32) (h & mask);

	for (;;)
	{
		int32		id = tab->slots[s] - 1;

		if (id < 0)
			return s;
		if (tab->hashes[id] == h && tab->lens[id] == len &&
			nametab_equal(tab->names[id], name, len))
			return s;
		s = (s + 1) & mask;
	}
}

/* Double the slot array when half full, keeping probe chains short. */
static void
grow_slots(NameTab *tab)
{
	int32		i;

	pfree(tab->slots);
	tab->nslots *= 2;
	tab->slots = MemoryContextAllocHuge(tab->cxt, sizeof(int32) * tab->nslots);
	memset(tab->slots, 0, sizeof(int32) * tab->nslots);
	for (i = 0; i < tab->count; i++)
	{
		int32		s = find_slot(tab, tab->names[i], tab->lens[i], tab->hashes[i]);

		tab->slots[s] = i + 1;
	}
}

/* Id of name, adding it if new. */
int32
nametab_intern(NameTab *tab, const char *name, int32 len)
{
	return nametab_intern_hashed(tab, name, len, nametab_hash(name, len));
}

/* Id of name (whose nametab_hash is h), adding it if new. */
int32
nametab_intern_hashed(NameTab *tab, const char *name, int32 len, uint32 h)
{
	int32		s = find_slot(tab, name, len, h);
	int32		id;

	if (tab->slots[s] != 0)
		return tab->slots[s] - 1;

	if (tab->count == tab->capacity)
	{
		tab->capacity *= 2;
		tab->names = repalloc_huge(tab->names, sizeof(char *) * tab->capacity);
		tab->lens = repalloc_huge(tab->lens, sizeof(int32) * tab->capacity);
		tab->hashes = repalloc_huge(tab->hashes, sizeof(uint32) * tab->capacity);
	}
	id = tab->count++;
	if (tab->copy)
	{
		char	   *copy = MemoryContextAlloc(tab->cxt, Max(len, 1));

		memcpy(copy, name, len);
		tab->names[id] = copy;
	}
	else
		tab->names[id] = name;
	tab->lens[id] = len;
	tab->hashes[id] = h;
	tab->slots[s] = id + 1;
	if (tab->count * 2 > tab->nslots)
		grow_slots(tab);
	return id;
}

/* Id of name, or -1. */
int32
nametab_lookup(const NameTab *tab, const char *name, int32 len)
{
	int32		s = find_slot(tab, name, len, nametab_hash(name, len));

	return tab->slots[s] - 1;
}

/* Release the arrays (copied names stay in cxt until it is reset). */
void
nametab_free(NameTab *tab)
{
	pfree(tab->slots);
	pfree(tab->names);
	pfree(tab->lens);
	pfree(tab->hashes);
}
