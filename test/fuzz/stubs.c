/*
 * stubs.c: backend functions that the parser files reference but the fuzzed paths never call
 * (numeric weights, expanded dfg objects, set-returning functions, the SQL wrappers of the parts'
 * check). Each aborts with its name,
 * so reaching one is reported as a crash instead of passing silently. When a source change makes
 * the fuzz build fail with "undefined reference", add the symbol here (or to shim.c when the
 * fuzzed path really needs it).
 */
#include "postgres.h"


#define TRAP(name) \
void name(void); \
void \
name(void) \
{ \
	fprintf(stderr, "collmine fuzz: %s reached, which the fuzz shim does not provide\n", #name); \
	abort(); \
}

TRAP(IsTransactionState)
TRAP(IsInParallelMode)
TRAP(DirectFunctionCall2Coll)
TRAP(DirectFunctionCall3Coll)
TRAP(numeric_cmp)
TRAP(numeric_round)
TRAP(numeric_mul)
TRAP(numeric_is_nan)
TRAP(numeric_int8)
TRAP(numeric_in)
TRAP(int8_numeric)
TRAP(int4_numeric)
TRAP(cstring_to_text_with_len)
TRAP(cstring_to_text)
TRAP(construct_array)
TRAP(cm_srf_row)
TRAP(cm_srf_begin)
TRAP(MemoryContextGetParent)
TRAP(EOH_init_header)
TRAP(DatumGetEOHP)
TRAP(case_stream_refuse)
TRAP(deconstruct_array)
TRAP(text_to_cstring)
