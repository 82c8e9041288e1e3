/*
 * shim.h: the harness side of shim.c (see there).
 */
#ifndef COLLMINE_FUZZ_SHIM_H
#define COLLMINE_FUZZ_SHIM_H

/* Free everything the last input allocated. */
extern void cm_fuzz_reset(void);

/* Run f(arg); true when it returned, false when it raised an ERROR (*sqlstate gets the code). */
extern bool cm_fuzz_try(void (*f) (void *), void *arg, int *sqlstate);

#endif
