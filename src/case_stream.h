/*
 * case_stream.h: events that arrive one case after another, collected one case at a time.
 *
 * The aggregates that group cases themselves (dfg_stream.c, variant_stream.c) read a log whose
 * events of each case are adjacent, keep only the current case (trace.h, TraceCase) and hand
 * each finished case's trace to their own consumer. They never hash the cases' events.
 *
 * Adjacency is checked, not trusted, in one of two ways:
 *   CASE_STREAM_SORTED   case values ascend in the case type's btree order (in the argument's
 *                        collation): an index scan ordered by case, or a table stored that way.
 *                        No memory per case.
 *   CASE_STREAM_GROUPED  case values come in any order, but a case never comes back once it
 *                        was handed on: each such case's 64-bit hash (the type's extended hash,
 *                        in the argument's collation) is remembered, and a case whose hash was
 *                        seen is refused. A hash collision is refused as well, so the check never
 *                        lets a case be split. While the cases are handed on in ascending order
 *                        (a table written in the order of its ids, as the connectors write it),
 *                        the hashes are a list, 8 bytes a case, and a case above the last one is
 *                        new without a lookup; otherwise they are a set, 16 to 32 bytes a case.
 * A grouped stream tolerates rows that the table stores away from their case: neither COPY nor
 * INSERT promises to store rows in the order given, and a short row can go back to an earlier page
 * that has room for it, so a table written invoice after invoice can hold a few short runs out
 * of place (BPIC 2012 loaded by COPY: 372 of 262,200 rows). A short run is set aside until its
 * case's other rows come, for at most a window of 16,384 rows (fewer when work_mem / 256 bytes
 * is less, at least 1,024; then, or at the end, it is a case of its own), and a case interrupted by such runs goes
 * on after them (case_stream.c). A refused input raises 22000 data_exception with one of the
 * CASE_STREAM_* messages below, which the SQL callers catch to read the log another way. Values
 * equal under the type's equality (numeric 1.0 and 1.00, a nondeterministic collation's
 * variants) are one case, as GROUP BY makes them.
 */
#ifndef COLLMINE_CASE_STREAM_H
#define COLLMINE_CASE_STREAM_H

#include "fmgr.h"
#include "trace.h"

typedef enum CaseStreamMode
{
	CASE_STREAM_SORTED,
	CASE_STREAM_GROUPED
} CaseStreamMode;

/* The messages of a refused input (SQLSTATE 22000); the SQL callers match their start. */
#define CASE_STREAM_NOT_SORTED	"events are not in case order"
#define CASE_STREAM_NOT_GROUPED	"events are not grouped by case"
#define CASE_STREAM_NO_HASH		"the case column's type has no hash function"

/* Refuse the input of the stream named who (22000 with the message "<who>: <why>", why one of
 * the CASE_STREAM_* messages, and detail when not NULL): the SQL callers catch it and read the
 * log another way. */
extern cm_noreturn void case_stream_refuse(const char *who, const char *why, const char *detail);

typedef struct CaseSeen CaseSeen;
typedef struct CaseHeld CaseHeld;

/* One case's collector: its events so far, and the largest of its events' weights. */
typedef struct CaseRun
{
	TraceCase  *tc;
	Datum		val;			/* the case value (a copy in the stream's context) */
	uint64		hash;			/* grouped: the value's hash */
	int64		rows;			/* rows of its current run (grouped) */
	Datum		weight;			/* numeric, when has_weight */
	bool		has_weight;
} CaseRun;

typedef struct CaseStream
{
	MemoryContext cxt;			/* the aggregate context: everything below lives there */
	FunctionCallInfo fcinfo;	/* of the first call: the query dictionary's holder */
	const char *who;			/* the aggregate's name, for messages */
	CaseStreamMode mode;
	CaseRun		cur;			/* the case of the current run */
	bool		have_case;
	CaseRun		open;			/* grouped: the case of the run before, while the current run
								 * could still be rows out of place inside it */
	bool		have_open;
	TraceCase  *spare;			/* an emptied collector, for the next case */
	Oid			typid;			/* the case column's type */
	int16		typlen;
	bool		typbyval;
	Oid			collation;
	FmgrInfo   *cmp;			/* sorted: the type's btree comparison */
	FmgrInfo   *eq;				/* grouped: the type's equality */
	FmgrInfo   *hash;			/* grouped: the type's extended hash */
	CaseSeen   *seen;			/* grouped: the cases handed on (case_stream.c) */
	CaseHeld   *held;			/* grouped: short runs set aside (see case_stream.c) */
	int64		cases;			/* cases handed on so far */
	int64		rows;			/* rows routed so far */
} CaseStream;

/* A consumer of finished cases: the trace (freed after the call), the case's largest weight
 * (has_weight false when it had none), and the caller's argument. */
typedef void (*CaseStreamDone) (void *arg, TraceData *trace, Datum weight, bool has_weight);

/* A new stream for case values of the type of fcinfo's argument case_arg. */
extern CaseStream *case_stream_new(FunctionCallInfo fcinfo, MemoryContext cxt, int case_arg,
								   CaseStreamMode mode, const char *who);

/*
 * Route the event in fcinfo's arguments (case_arg must not be NULL) to its case, with the numeric
 * weight in weight_arg (-1: none; NULL: none for this event); a case found complete is handed to
 * done on the way.
 */
extern void case_stream_add(CaseStream *cs, FunctionCallInfo fcinfo, int case_arg, int act_arg,
							int ts_arg, int ord_arg, int weight_arg, CaseStreamDone done, void *arg);

/* Hand every case not handed on yet to done. */
extern void case_stream_finish(CaseStream *cs, CaseStreamDone done, void *arg);

/*
 * A grouped stream over one part of a table split by block ranges: what the parts are checked by
 * to share no case (stream_parts.h: the interval its cases lie in, when its stream kept their
 * ascending list to the end, and their hashes; otherwise their hashes in ascending order).
 */
extern bytea *case_stream_seen_bytea(const CaseStream *cs);

#endif
