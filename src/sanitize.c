/*
 * sanitize.c: the sanitizer options of a `make SANITIZE=1` build (empty otherwise).
 *
 * A backend cannot read ASAN_OPTIONS from its environment: the sanitizer runtimes read
 * /proc/self/environ, whose memory PostgreSQL reuses for the process title. So the options are
 * compiled in: the ASan runtime is loaded with collmine's library rather than first (preloading
 * it into the server deadlocks at start on Debian 12), leaks are not reported (the server frees
 * memory by context, at exit), and the backend aborts on the first report, so the test fails.
 */
#include "compat.h"

#ifdef CM_SANITIZE
extern const char *__asan_default_options(void);
extern const char *__ubsan_default_options(void);

/* Read by the ASan runtime when it starts. */
const char *
__asan_default_options(void)
{
	return "verify_asan_link_order=0:detect_leaks=0:abort_on_error=1";
}

/* Read by the UBSan runtime when it starts. */
const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1";
}
#else
typedef int cm_no_sanitizer;	/* a translation unit must declare something */
#endif
