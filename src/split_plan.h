/*
 * split_plan.h: which plan runs a query over a log's traces: plain, split into case sets, serial.
 */
#ifndef COLLMINE_SPLIT_PLAN_H
#define COLLMINE_SPLIT_PLAN_H

#include "executor/spi.h"

extern SPIPlanPtr split_prepare(const char *query, bool parallel_ok);
extern SPIPlanPtr split_choose_plan(const char *writer, text *trace_sql, text *writer_arg, int *parts);

#endif
