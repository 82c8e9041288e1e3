/*
 * fingerprint.h: 64-bit fingerprints of models (rule sets, Petri nets) that tallies carry, so
 * that a tally is never read or merged against another model.
 *
 * A fingerprint is FNV-1a (variant_hash_step of trace.c) over a canonical text of the model,
 * field by field: each field is its length and bytes, integers as decimal text. It is defined on
 * bytes only, so it is the same on every platform, server version and collmine release; it is
 * part of the stored format of tallies and must not change.
 */
#ifndef COLLMINE_FINGERPRINT_H
#define COLLMINE_FINGERPRINT_H

#include "compat.h"

/* A fingerprint's start: the offset basis, then the kind (e.g. "collmine.rule[] v1"). */
extern uint64 cm_fp_begin(const char *kind);

/* Add a text field of len bytes; s NULL adds a NULL field (distinct from the empty text). */
extern uint64 cm_fp_text(uint64 h, const char *s, int len);

/* Add an integer field. */
extern uint64 cm_fp_int(uint64 h, int64 v);

#endif
