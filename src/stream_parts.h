/*
 * stream_parts.h: the check that the parts of a table streamed in block ranges share no case
 * (stream_parts.c), and the form of each part's check data, which a range's grouped stream
 * writes (case_stream_seen_bytea, case_stream.c).
 *
 * A part's check data is a bytea whose first byte is its kind:
 *   'I'  its stream kept the ascending list of its cases to the end (no case started at or below
 *        the last one): the lowest and the highest case's keys, each a 4-byte big-endian length
 *        and the bytes (compared as bytes, then the shorter first), then the cases' 64-bit
 *        hashes in no order;
 *   'H'  padded to 4 bytes: the hashes in ascending order.
 * An empty bytea has no case.
 */
#ifndef COLLMINE_STREAM_PARTS_H
#define COLLMINE_STREAM_PARTS_H

#include "postgres.h"

#define SEEN_PART_HASHES	'H'
#define SEEN_PART_INTERVAL	'I'
#define SEEN_HASHES_AT		4	/* where a hashes part's hashes start: its kind, padded */

/* Sort n hashes ascending (in place). */
extern void parts_sort_hashes(uint64 *v, uint64 n);

/*
 * Do the n parts share no case? Yes when all are intervals that do not overlap, as in a table in
 * case-id order, without a hash looked at; otherwise their hashes are compared, part with part,
 * and one in two parts (or twice in one interval part) counts as shared. Bytes that are not a
 * part's check data, or a part's hashes out of order, are an error (22023).
 */
extern bool parts_share_no_case(bytea **parts, int n);

#endif
