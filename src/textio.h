/*
 * textio.h: the strict reader and writer behind collmine's text forms.
 *
 * Every collmine type prints as versioned JSON that does not depend on locale, DateStyle,
 * TimeZone or extra_float_digits, and reads back exactly. Timestamps are quoted ISO 8601 in UTC
 * ("2024-01-31T09:00:00.25Z"); 128-bit sums and durations are plain integers (microseconds).
 * Readers report the type name, the input and the offending position with SQLSTATE 22P02.
 */
#ifndef COLLMINE_TEXTIO_H
#define COLLMINE_TEXTIO_H

#include "compat.h"
#include "lib/stringinfo.h"
#include "datatype/timestamp.h"

/* The largest int128 (PostgreSQL 15 has no PG_INT128_MAX). */
#define CM_INT128_MAX	((int128) (~(uint128) 0 >> 1))

typedef struct CmReader
{
	const char *start;			/* the whole input, for messages */
	const char *p;				/* current position */
	const char *typname;		/* the type being read, for messages */
} CmReader;

extern void cm_reader_init(CmReader *r, const char *input, const char *typname);
extern cm_noreturn void cm_syntax_error(CmReader *r, const char *expected);
extern void cm_skip_ws(CmReader *r);
extern bool cm_accept(CmReader *r, char c);
extern void cm_expect(CmReader *r, char c);
extern void cm_expect_key(CmReader *r, const char *key);
extern void cm_expect_end(CmReader *r);
extern char *cm_read_string(CmReader *r, int *len);
extern int64 cm_read_int64(CmReader *r);
extern int128 cm_read_int128(CmReader *r);
extern double cm_read_double(CmReader *r);
extern TimestampTz cm_read_timestamp(CmReader *r);
extern void cm_expect_version(CmReader *r, int version);

extern void cm_write_string(StringInfo buf, const char *s, int len);
extern void cm_write_timestamp(StringInfo buf, TimestampTz ts);
extern void cm_write_int128(StringInfo buf, int128 v);
extern void cm_write_double(StringInfo buf, double v);

#endif
