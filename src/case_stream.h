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
 *   CASE_STREAM_GROUPED  case values come in any order, but a case never comes back once
 *                        another one started: each finished case's 64-bit hash (the type's
 *                        extended hash, in the argument's collation) is remembered, 8 bytes a
 *                        case, and a case whose hash was seen is refused. A hash collision is
 *                        refused as well, so the check never lets a case be split.
 * A refused input raises 22000 data_exception with one of the CASE_STREAM_* messages below, which
 * the SQL callers catch to read the log another way. Values equal under the type's equality
 * (numeric 1.0 and 1.00, a nondeterministic collation's variants) are one case, as GROUP BY
 * makes them.
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

typedef struct CaseSeen CaseSeen;

typedef struct CaseStream
{
	MemoryContext cxt;			/* the aggregate context: everything below lives there */
	const char *who;			/* the aggregate's name, for messages */
	CaseStreamMode mode;
	TraceCase  *cur;			/* the current case's events */
	Datum		case_val;		/* the current case value (a copy in cxt) */
	bool		have_case;
	int16		typlen;
	bool		typbyval;
	Oid			collation;
	FmgrInfo   *cmp;			/* sorted: the type's btree comparison */
	FmgrInfo   *eq;				/* grouped: the type's equality */
	FmgrInfo   *hash;			/* grouped: the type's extended hash */
	CaseSeen   *seen;			/* grouped: hashes of the cases seen */
	int64		cases;			/* cases finished so far */
} CaseStream;

/* A consumer of finished cases: the trace (freed after the call) and the caller's argument. */
typedef void (*CaseStreamDone) (void *arg, TraceData *trace);

/* A new stream for case values of the type of fcinfo's argument case_arg. */
extern CaseStream *case_stream_new(FunctionCallInfo fcinfo, MemoryContext cxt, int case_arg,
								   CaseStreamMode mode, const char *who);

/*
 * Route the event in fcinfo's arguments (case_arg must not be NULL) to its case: when it starts
 * a new case, the collected one is handed to done first. Returns true when a case started.
 */
extern bool case_stream_add(CaseStream *cs, FunctionCallInfo fcinfo, int case_arg, int act_arg,
							int ts_arg, int ord_arg, CaseStreamDone done, void *arg);

/* Hand the last collected case, if any, to done. */
extern void case_stream_finish(CaseStream *cs, CaseStreamDone done, void *arg);

#endif
