/*
 * trace_funcs.c: what an analyst asks of one trace.
 *
 * Activities, length, start and end, throughput, durations between occurrences (Celonis's
 * CALC_THROUGHPUT), occurrences and rework, (directly) follows, first and last times, variant
 * string and id, prefixes as of a date, projections, and the steps and events as rows.
 * Activity arguments that the trace does not contain are not errors: they give NULL, 0 or false;
 * a constant one that none of a statement's traces contained is reported when the statement
 * ends (name_watch.c).
 */
#include "trace.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common.h"
#include "name_watch.h"
#include "nametab.h"

PG_FUNCTION_INFO_V1(trace_length);
PG_FUNCTION_INFO_V1(trace_skipped);
PG_FUNCTION_INFO_V1(trace_activities);
PG_FUNCTION_INFO_V1(trace_start_activity);
PG_FUNCTION_INFO_V1(trace_end_activity);
PG_FUNCTION_INFO_V1(trace_start_time);
PG_FUNCTION_INFO_V1(trace_end_time);
PG_FUNCTION_INFO_V1(trace_throughput);
PG_FUNCTION_INFO_V1(trace_duration);
PG_FUNCTION_INFO_V1(trace_count);
PG_FUNCTION_INFO_V1(trace_rework);
PG_FUNCTION_INFO_V1(trace_rework_activities);
PG_FUNCTION_INFO_V1(trace_directly_follows);
PG_FUNCTION_INFO_V1(trace_eventually_follows);
PG_FUNCTION_INFO_V1(trace_first_time);
PG_FUNCTION_INFO_V1(trace_last_time);
PG_FUNCTION_INFO_V1(trace_variant);
PG_FUNCTION_INFO_V1(trace_variant_id);
PG_FUNCTION_INFO_V1(variant_id_of_array);
PG_FUNCTION_INFO_V1(trace_as_of);
PG_FUNCTION_INFO_V1(trace_project);
PG_FUNCTION_INFO_V1(trace_steps);
PG_FUNCTION_INFO_V1(trace_events);

/* Activity name of event i as text. */
static text *
event_name_text(const TraceData *t, int i)
{
	int			len;
	const char *name = TraceActName(t, TraceAct(t)[i], &len);

	return cstring_to_text_with_len(name, len);
}

/* Number of events. */
Datum
trace_length(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_TRACE_P(0)->nevents);
}

/* Events left out because their activity or timestamp was NULL (or infinite). */
Datum
trace_skipped(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_TRACE_P(0)->nskipped);
}

/*
 * The activity sequence as text[], written straight into one allocation: the same bytes as
 * construct_array of the names (4-byte headers, each element int-aligned), without a text and
 * a copy per event (variants() builds it once per variant, on long traces).
 */
Datum
trace_activities(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	Size		size = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *arr;
	char	   *p;
	int			i;

	if (t->nevents == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	for (i = 0; i < t->nevents; i++)
	{
		int			len;

		(void) TraceActName(t, TraceAct(t)[i], &len);
		size += INTALIGN(VARHDRSZ + len);
	}
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array size exceeds the maximum allowed (%d)", (int) MaxAllocSize)));
	arr = (ArrayType *) palloc0(size);
	SET_VARSIZE(arr, size);
	arr->ndim = 1;
	arr->dataoffset = 0;
	arr->elemtype = TEXTOID;
	*ARR_DIMS(arr) = t->nevents;
	*ARR_LBOUND(arr) = 1;
	p = ARR_DATA_PTR(arr);
	for (i = 0; i < t->nevents; i++)
	{
		int			len;
		const char *name = TraceActName(t, TraceAct(t)[i], &len);

		SET_VARSIZE(p, VARHDRSZ + len);
		memcpy(VARDATA(p), name, len);
		p += INTALIGN(VARHDRSZ + len);
	}
	PG_RETURN_ARRAYTYPE_P(arr);
}

/* First activity, NULL for an empty trace. */
Datum
trace_start_activity(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	if (t->nevents == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(event_name_text(t, 0));
}

/* Last activity, NULL for an empty trace. */
Datum
trace_end_activity(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	if (t->nevents == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(event_name_text(t, t->nevents - 1));
}

/* Time of the first event. */
Datum
trace_start_time(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	if (t->nevents == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(TraceTs(t)[0]);
}

/* Time of the last event. */
Datum
trace_end_time(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	if (t->nevents == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(TraceTs(t)[t->nevents - 1]);
}

/* Case duration: last event time minus first. */
Datum
trace_throughput(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	if (t->nevents == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(cm_interval_between(TraceTs(t)[0], TraceTs(t)[t->nevents - 1]));
}

/* Position of the first (or last) event with dictionary entry a, or -1. */
static int
occurrence(const TraceData *t, int a, bool last)
{
	int			i;

	if (a < 0)
		return -1;
	if (last)
	{
		for (i = t->nevents - 1; i >= 0; i--)
			if (TraceAct(t)[i] == a)
				return i;
	}
	else
	{
		for (i = 0; i < t->nevents; i++)
			if (TraceAct(t)[i] == a)
				return i;
	}
	return -1;
}

/* 'first' or 'last', anything else is a user error. */
static bool
parse_occurrence(text *which)
{
	char	   *s = text_to_cstring(which);

	if (pg_strcasecmp(s, "first") == 0)
		return false;
	if (pg_strcasecmp(s, "last") == 0)
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid occurrence: \"%s\"", s),
			 errhint("Use 'first' or 'last'.")));
	return false;
}

/*
 * Time from one occurrence of activity A to one occurrence of B (CALC_THROUGHPUT):
 * NULL unless both occur; negative when the chosen B comes before the chosen A.
 */
Datum
trace_duration(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_duration", 0x6);
	bool		from_last = parse_occurrence(PG_GETARG_TEXT_PP(3));
	bool		to_last = parse_occurrence(PG_GETARG_TEXT_PP(4));
	int			i = occurrence(t, trace_find_arg(fcinfo, w, t, 1), from_last);
	int			j = occurrence(t, trace_find_arg(fcinfo, w, t, 2), to_last);

	if (i < 0 || j < 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(cm_interval_between(TraceTs(t)[i], TraceTs(t)[j]));
}

/* How often an activity occurs. */
Datum
trace_count(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_count", 0x2);
	int			a = trace_find_arg(fcinfo, w, t, 1);
	int			i,
				n = 0;

	if (a >= 0)
		for (i = 0; i < t->nevents; i++)
			n += (TraceAct(t)[i] == a);
	PG_RETURN_INT32(n);
}

/* Rework: events that repeat an activity already seen earlier in the case. */
Datum
trace_rework(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);

	PG_RETURN_INT32(t->nevents - t->nacts);
}

/* Activities that occur more than once, in order of first occurrence. */
Datum
trace_rework_activities(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	int32	   *counts = palloc0(sizeof(int32) * Max(t->nacts, 1));
	Datum	   *elems = palloc(sizeof(Datum) * Max(t->nacts, 1));
	int			i,
				n = 0;

	for (i = 0; i < t->nevents; i++)
		counts[TraceAct(t)[i]]++;
	for (i = 0; i < t->nacts; i++)
		if (counts[i] > 1)
		{
			int			len;
			const char *name = TraceActName(t, i, &len);

			elems[n++] = PointerGetDatum(cstring_to_text_with_len(name, len));
		}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Is some A immediately followed by B? */
Datum
trace_directly_follows(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_directly_follows", 0x6);
	int			a = trace_find_arg(fcinfo, w, t, 1);
	int			b = trace_find_arg(fcinfo, w, t, 2);
	int			i;

	if (a < 0 || b < 0)
		PG_RETURN_BOOL(false);
	for (i = 0; i + 1 < t->nevents; i++)
		if (TraceAct(t)[i] == a && TraceAct(t)[i + 1] == b)
			PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

/* Is some A followed, at any distance, by B? (first A before last B) */
Datum
trace_eventually_follows(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_eventually_follows", 0x6);
	int			i = occurrence(t, trace_find_arg(fcinfo, w, t, 1), false);
	int			j = occurrence(t, trace_find_arg(fcinfo, w, t, 2), true);

	PG_RETURN_BOOL(i >= 0 && j > i);
}

/* Time of the first occurrence of an activity, NULL if it never occurs. */
Datum
trace_first_time(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_first_time", 0x2);
	int			i = occurrence(t, trace_find_arg(fcinfo, w, t, 1), false);

	if (i < 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(TraceTs(t)[i]);
}

/* Time of the last occurrence of an activity, NULL if it never occurs. */
Datum
trace_last_time(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_last_time", 0x2);
	int			i = occurrence(t, trace_find_arg(fcinfo, w, t, 1), true);

	if (i < 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(TraceTs(t)[i]);
}

/* Readable variant: the activities joined by " -> ". */
Datum
trace_variant(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	static const char sep[] = " -> ";
	Size		size = VARHDRSZ;
	text	   *result;
	char	   *p;
	int			i;

	/* sized first, then written once: no buffer doubling and no final copy */
	for (i = 0; i < t->nevents; i++)
	{
		int			len;

		(void) TraceActName(t, TraceAct(t)[i], &len);
		size += len + (i > 0 ? sizeof(sep) - 1 : 0);
	}
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the variant text of this trace is too long (%zu bytes)", size)));
	result = (text *) palloc(size);
	SET_VARSIZE(result, size);
	p = VARDATA(result);
	for (i = 0; i < t->nevents; i++)
	{
		int			len;
		const char *name = TraceActName(t, TraceAct(t)[i], &len);

		if (i > 0)
		{
			memcpy(p, sep, sizeof(sep) - 1);
			p += sizeof(sep) - 1;
		}
		memcpy(p, name, len);
		p += len;
	}
	PG_RETURN_TEXT_P(result);
}

/* Stable 64-bit variant id (see trace_variant_hash). */
Datum
trace_variant_id(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) trace_variant_hash(PG_GETARG_TRACE_P(0)));
}

/* The variant id of an activity list, equal to trace_variant_id of a trace with that sequence. */
Datum
variant_id_of_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *enulls;
	int			n,
				i;
	uint64		h = VARIANT_HASH_INIT;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("activity list must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	for (i = 0; i < n; i++)
	{
		text	   *name;

		if (enulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("activity list contains a NULL at position %d", i + 1)));
		name = DatumGetTextPP(elems[i]);
		h = variant_hash_step(h, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	}
	PG_RETURN_INT64((int64) h);
}

/* Rebuild a trace from the events whose keep[] flag is set. */
static TraceData *
trace_subset(const TraceData *t, const bool *keep)
{
	TraceEvent *ev = palloc(sizeof(TraceEvent) * Max(t->nevents, 1));
	int			i,
				n = 0;

	for (i = 0; i < t->nevents; i++)
	{
		if (!keep[i])
			continue;
		ev[n].ts = TraceTs(t)[i];
		ev[n].ord = TraceOrd(t)[i];
		ev[n].name = TraceActName(t, TraceAct(t)[i], &ev[n].len);
		n++;
	}
	return trace_build(ev, n, t->nskipped, (t->flags & TRACE_HAS_ORD) != 0);
}

/* The trace as it stood at a moment: the events at or before it (analysis as of a past date). */
Datum
trace_as_of(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(1);
	bool	   *keep = palloc(sizeof(bool) * Max(t->nevents, 1));
	int			i;

	for (i = 0; i < t->nevents; i++)
		keep[i] = TraceTs(t)[i] <= at;
	PG_RETURN_TRACE_P(trace_subset(t, keep));
}

/* Keep only the listed activities (the log-level activity filter of process-mining tools). */
Datum
trace_project(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	NameWatch  *w = name_watch(fcinfo, &fcinfo->flinfo->fn_extra, "trace_project", 0x2);
	Datum	   *elems;
	bool	   *enulls;
	int			nelems,
				i;
	bool	   *wanted = palloc0(sizeof(bool) * Max(t->nacts, 1));
	bool	   *keep = palloc(sizeof(bool) * Max(t->nevents, 1));

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("activity list must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		text	   *name;
		int			a,
					idx;

		if (enulls[i])
			continue;
		name = DatumGetTextPP(elems[i]);
		a = trace_find_activity_text(t, name);
		idx = name_watch_add(w, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
		if (a >= 0)
		{
			wanted[a] = true;
			name_watch_seen(w, idx);
		}
	}
	for (i = 0; i < t->nevents; i++)
		keep[i] = wanted[TraceAct(t)[i]];
	PG_RETURN_TRACE_P(trace_subset(t, keep));
}

/* Each directly-follows step with its duration, as rows. */
Datum
trace_steps(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	int			i;

	for (i = 0; i + 1 < t->nevents; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = PointerGetDatum(event_name_text(t, i));
		values[2] = PointerGetDatum(event_name_text(t, i + 1));
		values[3] = TimestampTzGetDatum(TraceTs(t)[i]);
		values[4] = TimestampTzGetDatum(TraceTs(t)[i + 1]);
		values[5] = cm_interval_between(TraceTs(t)[i], TraceTs(t)[i + 1]);
		cm_srf_row(&srf, values, nulls);
	}
	PG_RETURN_NULL();
}

/* The events as rows: position, activity, time, order key (NULL when the trace has none). */
Datum
trace_events(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	int			i;

	for (i = 0; i < t->nevents; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = PointerGetDatum(event_name_text(t, i));
		values[2] = TimestampTzGetDatum(TraceTs(t)[i]);
		values[3] = Int64GetDatum(TraceOrd(t)[i]);
		nulls[3] = (t->flags & TRACE_HAS_ORD) == 0 || TraceOrd(t)[i] == PG_INT64_MAX;
		cm_srf_row(&srf, values, nulls);
	}
	PG_RETURN_NULL();
}
