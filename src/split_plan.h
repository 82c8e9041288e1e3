/*
 * split_plan.h: which plan runs a query over a log's traces: plain, split into case sets, serial.
 */
#ifndef COLLMINE_SPLIT_PLAN_H
#define COLLMINE_SPLIT_PLAN_H

#include "executor/spi.h"

/* Writes the query over the trace query, split into parts case sets when parts > 1. */
typedef char *(*SplitQueryBuilder) (text *trace_sql, int parts, void *arg);

extern SPIPlanPtr split_prepare(const char *query, bool parallel_ok);
extern SPIPlanPtr split_choose_plan(SplitQueryBuilder build, text *trace_sql, void *arg, int *parts);

#endif
