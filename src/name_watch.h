/*
 * name_watch.h: reporting activity names that no trace of a statement contained.
 */
#ifndef COLLMINE_NAME_WATCH_H
#define COLLMINE_NAME_WATCH_H

#include "fmgr.h"

#include "trace.h"

typedef struct NameWatch NameWatch;

extern NameWatch *name_watch(FunctionCallInfo fcinfo, void **slot, const char *func, uint32 name_args);
extern bool name_watch_first_call(const NameWatch *w);
extern int	name_watch_add(NameWatch *w, const char *name, int len);
extern void name_watch_seen(NameWatch *w, int idx);
extern int	trace_find_arg(FunctionCallInfo fcinfo, NameWatch *w, const TraceData *t, int argno);

#endif
