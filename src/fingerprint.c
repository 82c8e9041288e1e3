/*
 * fingerprint.c: the fields of a model fingerprint (see fingerprint.h).
 */
#include "fingerprint.h"

#include "trace.h"

/* FNV-1a's offset basis, then the kind, so that a rule set and a net never share a prefix. */
uint64
cm_fp_begin(const char *kind)
{
	return variant_hash_step(VARIANT_HASH_INIT, kind, strlen(kind));
}

/* Its length and bytes (variant_hash_step), or length -1 and no bytes for a NULL field. */
uint64
cm_fp_text(uint64 h, const char *s, int len)
{
	return s == NULL ? variant_hash_step(h, "", -1) : variant_hash_step(h, s, len);
}

/* As decimal text, so that byte order never matters. */
uint64
cm_fp_int(uint64 h, int64 v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, v);
	return variant_hash_step(h, buf, strlen(buf));
}
