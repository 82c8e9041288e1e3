/*
 * name_watch.c: reporting activity names that no trace of a statement contained.
 *
 * The trace functions see one trace at a time, never the log, so a misspelt activity only
 * gives 0, false or NULL (issue 11: "misspelled activities fail silently"). A call site whose
 * activity arguments are constants of the query keeps a watch: its names, which of them some
 * trace contained, and how many traces it was given. When the statement ends and the executor
 * frees the call site's memory, each name that none of those traces contained is reported as
 * a WARNING (SQLSTATE 01000). It cannot be an error: the statement has already produced its
 * result; the log-level functions (collmine.process_map(log_schema), the KPIs, ...) check names
 * against the log and take strict => true instead.
 *
 * Not watched, so never reported: arguments that vary from row to row (a column, a join), and
 * parallel plans, where each process sees only part of the traces and a name missing from
 * one process's share is no evidence of a misspelling.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "name_watch.h"

#define NAME_WATCH_MAX 64		/* names watched per call site; more are not watched */

struct NameWatch
{
	const char *func;			/* the SQL function, for the message */
	MemoryContext cxt;			/* the call site's memory, which holds the watch */
	bool		off;			/* not watched: see the file comment */
	int64		traces;			/* traces given to the call site so far */
	int			nnames;
	char	   *names[NAME_WATCH_MAX];
	int			lens[NAME_WATCH_MAX];
	bool		seen[NAME_WATCH_MAX];
	int			argidx[FUNC_MAX_ARGS > 8 ? 8 : FUNC_MAX_ARGS];	/* name index per argument */
	MemoryContextCallback cb;
};

/* Report the names no trace contained; runs when the statement's executor memory goes away. */
static void
name_watch_report(void *arg)
{
	NameWatch  *w = (NameWatch *) arg;
	int			i;

	/* not during an abort (the statement failed) or a commit's cleanup: only a finished statement */
	if (w->traces == 0 || !IsTransactionState())
		return;
	for (i = 0; i < w->nnames; i++)
		if (!w->seen[i])
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg("activity \"%s\" occurs in none of the " INT64_FORMAT " traces that %s() was given",
							w->names[i], w->traces, w->func),
					 errhint("Activity names are case-sensitive. collmine.trace_activities(trace) lists a trace's activities; "
							 "collmine.log_vocabulary(log_schema) the names of a log and its roles.")));
}

/* Are all the arguments in the mask constants (or parameters) of the query? */
static bool
name_args_stable(FunctionCallInfo fcinfo, uint32 name_args)
{
	int			i;

	for (i = 0; i < 32 && i < fcinfo->nargs; i++)
		if ((name_args & (1u << i)) && !get_fn_expr_arg_stable(fcinfo->flinfo, i))
			return false;
	return true;
}

/*
 * The watch of this call site, kept in *slot in the call site's memory and counting one more
 * trace; NULL when the call site is not watched. name_args: bit i set when argument i names
 * activities.
 */
NameWatch *
name_watch(FunctionCallInfo fcinfo, void **slot, const char *func, uint32 name_args)
{
	NameWatch  *w = (NameWatch *) *slot;

	if (w == NULL)
	{
		int			i;

		w = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(NameWatch));
		w->func = func;
		w->cxt = fcinfo->flinfo->fn_mcxt;
		w->off = !name_args_stable(fcinfo, name_args) || IsInParallelMode() || IsParallelWorker();
		for (i = 0; i < lengthof(w->argidx); i++)
			w->argidx[i] = -1;
		if (!w->off)
		{
			w->cb.func = name_watch_report;
			w->cb.arg = w;
			MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &w->cb);
		}
		*slot = w;
	}
	if (w->off)
		return NULL;
	w->traces++;
	return w;
}

/* Is this the call site's first trace (when its names are registered)? */
bool
name_watch_first_call(const NameWatch *w)
{
	return w != NULL && w->traces == 1;
}

/* A name to watch, registered on first sight; its index, or -1 when the watch is full. */
int
name_watch_add(NameWatch *w, const char *name, int len)
{
	int			i;

	if (w == NULL)
		return -1;
	for (i = 0; i < w->nnames; i++)
		if (w->lens[i] == len && memcmp(w->names[i], name, len) == 0)
			return i;
	if (w->nnames == NAME_WATCH_MAX)
		return -1;
	w->names[w->nnames] = MemoryContextAlloc(w->cxt, len + 1);
	memcpy(w->names[w->nnames], name, len);
	w->names[w->nnames][len] = '\0';
	w->lens[w->nnames] = len;
	return w->nnames++;
}

/* Some trace contained name idx. */
void
name_watch_seen(NameWatch *w, int idx)
{
	if (w != NULL && idx >= 0)
		w->seen[idx] = true;
}

/* Look activity argument argno of a trace function up in t, noting whether it was found. */
int
trace_find_arg(FunctionCallInfo fcinfo, NameWatch *w, const TraceData *t, int argno)
{
	text	   *name = PG_GETARG_TEXT_PP(argno);
	int			a = trace_find_activity_text(t, name);

	if (w == NULL || argno >= lengthof(w->argidx))
		return a;
	if (name_watch_first_call(w))
		w->argidx[argno] = name_watch_add(w, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	if (a >= 0)
		name_watch_seen(w, w->argidx[argno]);
	return a;
}
