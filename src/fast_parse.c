/*
 * fast_parse.c: the connectors' inline parse of export values (dates, timestamps, amounts).
 *
 * A connector build parses millions of values (dates, times and amounts of every invoice,
 * application, note and message). Each value used to be matched against a regular expression
 * (_cm_fast_pattern), then cast with to_date / to_timestamp; a value the expression did not
 * accept (a day 29 to 31, a year at the window's edge) took the checked PL/pgSQL path with its
 * exception block. These functions read the values that are sure to parse in one pass in C
 * and return NULL for every other value, which then takes the checked path as before
 * (_cm_date_parse, _cm_ts_parse, _cm_num_parse in sql/parts/40_connectors_common.sql).
 *
 * What "sure" means is narrow on purpose, so that a value read here gives exactly what the
 * checked path gives:
 *   - a date or time format of the fields YYYY, MM, DD, HH24, HH12/HH, MI, SS and AM/PM (any
 *     case), each at most once, AM/PM only with HH12, and other characters standing for
 *     themselves (a format with another field, such as a month name or SSSS, reads nothing
 *     here);
 *   - MM, DD, HH24, HH12: one or two ASCII digits (two when the next field follows without a
 *     separator); YYYY four, MI and SS two; AM/PM one of a, A, p, P then m or M;
 *   - a real calendar day, and a year strictly inside the plausible window (after the year of
 *     min_date, before the year of max_date), so that the window check cannot fail;
 *   - no format (timestamps): ISO 8601 local time YYYY-MM-DD HH:MI[:SS[.ffffff]], T or space;
 *     the date format YYYY-MM-DD: four, two and two digits, then nothing or a space or T and
 *     anything (the checked path reads the first ten characters);
 *   - amounts: [+-] digits [. digits] [e[+-] one to three digits], or [+-] . digits, ASCII.
 * _cm_key, the numeric sort key of every source row's id, is read here too: it has no checked
 * path, a value that is not an id of up to 30 digits is no number and has no key.
 * The value is read after dropping leading and trailing spaces, as btrim does. A time is the
 * local time in the build's time zone, reached as to_timestamp(v, fmt)::timestamp AT TIME
 * ZONE tz reaches it (through the session's time zone, whose daylight-saving gaps move a time
 * there too).
 */
#include "compat.h"

#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "pgtime.h"

PG_FUNCTION_INFO_V1(cm_fast_date);
PG_FUNCTION_INFO_V1(cm_fast_ts);
PG_FUNCTION_INFO_V1(cm_fast_num);
PG_FUNCTION_INFO_V1(cm_source_key);

#define FP_MAX_FIELDS 32

/* The fields a format is made of. */
typedef enum FpKind
{
	FP_LITERAL,					/* one character that stands for itself */
	FP_YEAR,					/* YYYY */
	FP_MONTH,					/* MM */
	FP_DAY,						/* DD */
	FP_HOUR24,					/* HH24 */
	FP_HOUR12,					/* HH12, HH */
	FP_MINUTE,					/* MI */
	FP_SECOND,					/* SS */
	FP_AMPM						/* AM, PM, am, pm */
} FpKind;

typedef struct FpField
{
	FpKind		kind;
	char		ch;				/* FP_LITERAL: the character */
	bool		two_digits;		/* a 1-2 digit field followed by a digit field: exactly 2 */
} FpField;

/* A format read once per query (fn_extra), with the window it was read for. */
typedef struct FpFormat
{
	char	   *fmt;			/* NULL: no format (ISO 8601) */
	char	   *lo;				/* min_date and max_date as given */
	char	   *hi;
	bool		usable;			/* false: a field this file does not read; nothing is read */
	bool		iso_date;		/* the date format YYYY-MM-DD */
	int			nfields;
	FpField		fields[FP_MAX_FIELDS];
	int			min_year;		/* years strictly between these two are read */
	int			max_year;
} FpFormat;

/* A copy of a text argument as a C string in cxt, or NULL for a NULL argument. */
static char *
arg_cstring(FunctionCallInfo fcinfo, int n, MemoryContext cxt)
{
	MemoryContext old;
	char	   *s;

	if (PG_ARGISNULL(n))
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	MemoryContextSwitchTo(old);
	return s;
}

/* Do a cached string and an argument say the same (both NULL, or equal)? */
static bool
same_arg(const char *cached, FunctionCallInfo fcinfo, int n)
{
	text	   *t;

	if (PG_ARGISNULL(n) || cached == NULL)
		return PG_ARGISNULL(n) && cached == NULL;
	t = PG_GETARG_TEXT_PP(n);
	return strlen(cached) == VARSIZE_ANY_EXHDR(t) && memcmp(cached, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) == 0;
}

/* The year a window bound starts with (its first four-digit run), or fallback when none. */
static int
bound_year(const char *s, int fallback)
{
	int			y = 0;

	if (s == NULL)
		return fallback;
	for (int k = 0; k < 4; k++)
	{
		if (s[k] < '0' || s[k] > '9')
			return fallback;
		y = y * 10 + (s[k] - '0');
	}
	return y;
}

/*
 * The fields this file reads, longest first where one begins another, as to_timestamp matches
 * them; kind -1 marks a field that begins like one of them but means something else (SSSS:
 * seconds past midnight).
 */
static const struct
{
	const char *tok;
	int			kind;
}			fp_tokens[] = {
	{"SSSSS", -1}, {"SSSS", -1}, {"YYYY", FP_YEAR}, {"HH24", FP_HOUR24}, {"HH12", FP_HOUR12},
	{"HH", FP_HOUR12}, {"MM", FP_MONTH}, {"MI", FP_MINUTE}, {"DD", FP_DAY}, {"SS", FP_SECOND},
	{"AM", FP_AMPM}, {"PM", FP_AMPM}, {"am", FP_AMPM}, {"pm", FP_AMPM},
};

/*
 * The field the format at p starts with: its length, and its kind in *kind; 0 for a character
 * that stands for itself; -1 for anything this file does not read (another field, which starts
 * with a letter, a quoted text or an escape).
 */
static int
format_token(const char *p, FpKind *kind)
{
	for (int k = 0; k < lengthof(fp_tokens); k++)
	{
		size_t		len = strlen(fp_tokens[k].tok);

		if (strncmp(p, fp_tokens[k].tok, len) == 0)
		{
			if (fp_tokens[k].kind < 0)
				return -1;
			*kind = (FpKind) fp_tokens[k].kind;
			return (int) len;
		}
	}
	if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '"' || *p == '\\')
		return -1;
	return 0;
}

/* The fields of a to_date / to_timestamp format; usable is false for anything else. */
static void
read_format(FpFormat *f)
{
	const char *p = f->fmt;

	f->usable = true;
	f->nfields = 0;
	f->iso_date = p != NULL && strcmp(p, "YYYY-MM-DD") == 0;
	if (p == NULL)
		return;
	while (*p != '\0' && f->usable)
	{
		FpField    *fl = &f->fields[f->nfields];
		int			len;

		if (f->nfields == FP_MAX_FIELDS)
		{
			f->usable = false;
			break;
		}
		fl->two_digits = false;
		len = format_token(p, &fl->kind);
		if (len < 0)
		{
			f->usable = false;	/* another field, a quoted text or an escape */
			break;
		}
		if (len == 0)
		{
			fl->kind = FP_LITERAL;
			fl->ch = *p;
			len = 1;
		}
		p += len;
		f->nfields++;
	}
	/* a field twice, or AM/PM beside a 24-hour field or without a 12-hour one: to_timestamp
	 * refuses or reads such formats its own way, so they are left to it */
	{
		int			seen[FP_AMPM + 1] = {0};

		for (int k = 0; k < f->nfields; k++)
			if (f->fields[k].kind != FP_LITERAL && seen[f->fields[k].kind]++ > 0)
				f->usable = false;
		if (seen[FP_AMPM] && (seen[FP_HOUR24] || !seen[FP_HOUR12]))
			f->usable = false;
		if (seen[FP_HOUR12] && seen[FP_HOUR24])
			f->usable = false;
	}
	/* a variable-width field right before another digit field is read as exactly two digits */
	for (int k = 0; k + 1 < f->nfields; k++)
	{
		FpKind		a = f->fields[k].kind;
		FpKind		b = f->fields[k + 1].kind;

		if ((a == FP_MONTH || a == FP_DAY || a == FP_HOUR24 || a == FP_HOUR12) &&
			b != FP_LITERAL && b != FP_AMPM)
			f->fields[k].two_digits = true;
	}
}

/* The format of this call, read again only when an argument differs from the cached one. */
static FpFormat *
format_of(FunctionCallInfo fcinfo, int fmt_arg, int lo_arg, int hi_arg)
{
	FpFormat   *f = (FpFormat *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;

	if (f != NULL && same_arg(f->fmt, fcinfo, fmt_arg) && same_arg(f->lo, fcinfo, lo_arg) &&
		same_arg(f->hi, fcinfo, hi_arg))
		return f;
	if (f == NULL)
		f = MemoryContextAllocZero(cxt, sizeof(FpFormat));
	else
	{
		if (f->fmt)
			pfree(f->fmt);
		if (f->lo)
			pfree(f->lo);
		if (f->hi)
			pfree(f->hi);
	}
	f->fmt = arg_cstring(fcinfo, fmt_arg, cxt);
	f->lo = arg_cstring(fcinfo, lo_arg, cxt);
	f->hi = arg_cstring(fcinfo, hi_arg, cxt);
	f->min_year = bound_year(f->lo, 9999);
	f->max_year = bound_year(f->hi, 0);
	read_format(f);
	fcinfo->flinfo->fn_extra = f;
	return f;
}

/* The value without leading and trailing spaces (btrim's), as [*start, *end). */
static void
trimmed(text *v, const char **start, const char **end)
{
	const char *s = VARDATA_ANY(v);
	const char *e = s + VARSIZE_ANY_EXHDR(v);

	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	*start = s;
	*end = e;
}

/* Read between min and max ASCII digits at *p (before end) as a number; false if fewer. */
static bool
read_digits(const char **p, const char *end, int min, int max, int *out)
{
	int			n = 0;
	int			v = 0;

	while (*p < end && n < max && **p >= '0' && **p <= '9')
	{
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n >= min;
}

/* The parts of a value read by a format. */
typedef struct FpValue
{
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	bool		pm;
	bool		clock12;
	int			usec;
} FpValue;

/* Read a value by the format's fields; false unless every field and nothing else matched. */
static bool
read_by_format(const FpFormat *f, const char *p, const char *end, FpValue *out)
{
	memset(out, 0, sizeof(*out));
	out->year = -1;
	for (int k = 0; k < f->nfields; k++)
	{
		const FpField *fl = &f->fields[k];
		int			small = fl->two_digits ? 2 : 1;
		bool		ok = true;

		switch (fl->kind)
		{
			case FP_LITERAL:
				ok = p < end && *p == fl->ch;
				p += ok ? 1 : 0;
				break;
			case FP_YEAR:
				ok = read_digits(&p, end, 4, 4, &out->year);
				break;
			case FP_MONTH:
				ok = read_digits(&p, end, small, 2, &out->month) && out->month >= 1 && out->month <= 12;
				break;
			case FP_DAY:
				ok = read_digits(&p, end, small, 2, &out->day) && out->day >= 1;
				break;
			case FP_HOUR24:
				ok = read_digits(&p, end, small, 2, &out->hour) && out->hour <= 23;
				break;
			case FP_HOUR12:
				ok = read_digits(&p, end, small, 2, &out->hour) && out->hour >= 1 && out->hour <= 12;
				out->clock12 = true;
				break;
			case FP_MINUTE:
				ok = read_digits(&p, end, 2, 2, &out->minute) && out->minute <= 59;
				break;
			case FP_SECOND:
				ok = read_digits(&p, end, 2, 2, &out->second) && out->second <= 59;
				break;
			case FP_AMPM:
				ok = end - p >= 2 && (p[0] == 'a' || p[0] == 'A' || p[0] == 'p' || p[0] == 'P') &&
					(p[1] == 'm' || p[1] == 'M');
				if (ok)
					out->pm = p[0] == 'p' || p[0] == 'P';
				p += ok ? 2 : 0;
				break;
		}
		if (!ok)
			return false;
	}
	return p == end;
}

/* An ISO 8601 day, YYYY-MM-DD with four, two and two digits, at *p (moved past it). */
static bool
read_iso_day(const char **p, const char *end, FpValue *out)
{
	memset(out, 0, sizeof(*out));
	return read_digits(p, end, 4, 4, &out->year) && *p < end && *(*p)++ == '-' &&
		read_digits(p, end, 2, 2, &out->month) && *p < end && *(*p)++ == '-' &&
		read_digits(p, end, 2, 2, &out->day);
}

/* ISO 8601 local time: YYYY-MM-DD, T or space, HH:MI, then :SS and up to 6 fraction digits. */
static bool
read_iso(const char *p, const char *end, FpValue *out)
{
	if (!(read_iso_day(&p, end, out) && p < end && (*p == ' ' || *p == 'T') && ++p &&
		  read_digits(&p, end, 2, 2, &out->hour) && p < end && *p++ == ':' &&
		  read_digits(&p, end, 2, 2, &out->minute)))
		return false;
	if (p < end)
	{
		if (!(*p++ == ':' && read_digits(&p, end, 2, 2, &out->second)))
			return false;
		if (p < end)
		{
			int			frac,
						ndigits;
			const char *from;

			if (*p++ != '.')
				return false;
			from = p;
			if (!read_digits(&p, end, 1, 6, &frac) || p != end)
				return false;	/* more than 6 digits: rounded by the checked path */
			ndigits = p - from;
			out->usec = frac;
			for (; ndigits < 6; ndigits++)
				out->usec *= 10;
		}
	}
	return out->hour <= 23 && out->minute <= 59 && out->second <= 59;	/* the day: in_calendar */
}

/* Is the day real and the year strictly inside the window? */
static bool
in_calendar(const FpFormat *f, const FpValue *v)
{
	return v->year > f->min_year && v->year < f->max_year && v->month >= 1 && v->month <= 12 &&
		v->day >= 1 && v->day <= day_tab[isleap(v->year)][v->month - 1];
}

/* The value's fields as a pg_tm (12-hour clock read as to_timestamp reads it). */
static void
value_tm(const FpValue *v, struct pg_tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = v->year;
	tm->tm_mon = v->month;
	tm->tm_mday = v->day;
	tm->tm_hour = v->hour;
	if (v->clock12)
	{
		if (v->pm && tm->tm_hour < HOURS_PER_DAY / 2)
			tm->tm_hour += HOURS_PER_DAY / 2;
		else if (!v->pm && tm->tm_hour == HOURS_PER_DAY / 2)
			tm->tm_hour = 0;
	}
	tm->tm_min = v->minute;
	tm->tm_sec = v->second;
}

/*
 * Argument 0 read by the format of argument 1 (NULL: ISO 8601, for a time) into *v, with the
 * window of arguments lo_arg and hi_arg: the format, or NULL when the value is not sure to
 * parse or to lie in the window (see the header). date: a date, whose format YYYY-MM-DD lets
 * anything follow the day after a space or T.
 */
static FpFormat *
read_value(FunctionCallInfo fcinfo, int lo_arg, int hi_arg, bool date, FpValue *v)
{
	FpFormat   *f = format_of(fcinfo, 1, lo_arg, hi_arg);
	const char *p,
			   *end;
	bool		ok;

	if (!f->usable)
		return NULL;
	trimmed(PG_GETARG_TEXT_PP(0), &p, &end);
	if (f->fmt == NULL)
		ok = !date && read_iso(p, end, v);
	else if (date && f->iso_date)
		ok = read_iso_day(&p, end, v) && (p == end || *p == ' ' || *p == 'T');
	else
		ok = read_by_format(f, p, end, v);
	return ok && in_calendar(f, v) ? f : NULL;
}

/*
 * _cm_fast_date(v, date_format, min_date, max_date): v as a date when it is sure to parse in
 * the format and to lie in the window (see the header), else NULL.
 */
Datum
cm_fast_date(PG_FUNCTION_ARGS)
{
	FpValue		v;

	if (PG_ARGISNULL(0) || read_value(fcinfo, 2, 3, true, &v) == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(date2j(v.year, v.month, v.day) - POSTGRES_EPOCH_JDATE);
}

/*
 * _cm_fast_ts(v, timestamp_format, tz, min_date, max_date): v as the local time in time zone
 * tz when it is sure to parse (see the header), else NULL.
 */
Datum
cm_fast_ts(PG_FUNCTION_ARGS)
{
	FpFormat   *f;
	FpValue		v;
	struct pg_tm tm;
	Timestamp	local;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || (f = read_value(fcinfo, 3, 4, false, &v)) == NULL)
		PG_RETURN_NULL();
	value_tm(&v, &tm);
	if (f->fmt == NULL)
	{
		/* v::timestamp */
		if (tm2timestamp(&tm, v.usec, NULL, &local) != 0)
			PG_RETURN_NULL();
	}
	else
	{
		/* to_timestamp(v, fmt) in the session's time zone, then ::timestamp */
		int			tz = DetermineTimeZoneOffset(&tm, session_timezone);
		TimestampTz at;

		if (tm2timestamp(&tm, 0, &tz, &at) != 0)
			PG_RETURN_NULL();
		local = DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(at)));
	}
	/* AT TIME ZONE tz */
	return DirectFunctionCall2(timestamp_zone, PG_GETARG_DATUM(2), TimestampGetDatum(local));
}

/* A numeric from the bytes [s, end) (a plain number already checked). */
static Datum
numeric_of(const char *s, const char *end)
{
	char	   *buf = pnstrdup(s, end - s);
	Datum		result = DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));

	pfree(buf);
	return result;
}

/*
 * _cm_fast_num(v): v as a numeric when it is a plain ASCII number (see the header), else NULL.
 */
Datum
cm_fast_num(PG_FUNCTION_ARGS)
{
	const char *s,
			   *p,
			   *end;
	int			n = 0;
	int			exp_digits = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	trimmed(PG_GETARG_TEXT_PP(0), &s, &end);
	p = s;
	if (p < end && (*p == '+' || *p == '-'))
		p++;
	while (p < end && *p >= '0' && *p <= '9')
		p++, n++;
	if (p < end && *p == '.')
	{
		int			frac = 0;

		p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++, frac++;
		if (n == 0 && frac == 0)
			PG_RETURN_NULL();
		n += frac;
	}
	if (n == 0)
		PG_RETURN_NULL();
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++, exp_digits++;
		if (exp_digits < 1 || exp_digits > 3)
			PG_RETURN_NULL();
	}
	if (p != end)
		PG_RETURN_NULL();
	return numeric_of(s, end);
}

/*
 * _cm_key(v): the numeric sort key of a source id ('17' sorts before '100'): an optional minus
 * and 1 to 30 ASCII digits, spaces around dropped; NULL for any other id.
 */
Datum
cm_source_key(PG_FUNCTION_ARGS)
{
	const char *s,
			   *p,
			   *end;

	trimmed(PG_GETARG_TEXT_PP(0), &s, &end);
	p = s;
	if (p < end && *p == '-')
		p++;
	if (p == end || end - p > 30)
		PG_RETURN_NULL();
	for (const char *q = p; q < end; q++)
		if (*q < '0' || *q > '9')
			PG_RETURN_NULL();
	return numeric_of(s, end);
}
