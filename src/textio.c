/*
 * textio.c: strict JSON-shaped reading and writing for collmine's text forms (see textio.h).
 */
#include "textio.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/* Start reading a text form; typname names the type in error messages. */
void
cm_reader_init(CmReader *r, const char *input, const char *typname)
{
	r->start = input;
	r->p = input;
	r->typname = typname;
}

/* Report malformed input: which type, what was expected and where. */
void
cm_syntax_error(CmReader *r, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s", r->typname),
			 errdetail("Expected %s at character %d.", expected, (int) (r->p - r->start) + 1),
			 errhint("Values of type %s are read from the JSON text that the type prints, such as the output of %s::text.",
					 r->typname, r->typname)));
}

/* JSON whitespace only; no locale involved. */
void
cm_skip_ws(CmReader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

/* Consume c if it comes next (after whitespace). */
bool
cm_accept(CmReader *r, char c)
{
	cm_skip_ws(r);
	if (*r->p != c)
		return false;
	r->p++;
	return true;
}

/* Consume c or fail. */
void
cm_expect(CmReader *r, char c)
{
	char		what[8];

	if (!cm_accept(r, c))
	{
		snprintf(what, sizeof(what), "\"%c\"", c);
		cm_syntax_error(r, what);
	}
}

/* Consume "key": for a fixed key; fields come in a fixed order. */
void
cm_expect_key(CmReader *r, const char *key)
{
	const char *save;
	char	   *got;
	int			len;
	char		what[80];

	cm_skip_ws(r);
	save = r->p;
	snprintf(what, sizeof(what), "key \"%s\"", key);
	if (*r->p != '"')
		cm_syntax_error(r, what);
	got = cm_read_string(r, &len);
	if (strcmp(got, key) != 0)
	{
		r->p = save;
		cm_syntax_error(r, what);
	}
	pfree(got);
	cm_expect(r, ':');
}

/* Only whitespace may follow the value. */
void
cm_expect_end(CmReader *r)
{
	cm_skip_ws(r);
	if (*r->p != '\0')
		cm_syntax_error(r, "end of input");
}

/* "v": N with the one version this build reads. */
void
cm_expect_version(CmReader *r, int version)
{
	const char *save;
	int64		v;

	cm_expect_key(r, "v");
	cm_skip_ws(r);
	save = r->p;
	v = cm_read_int64(r);
	if (v != version)
	{
		r->p = save;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported %s text format version " INT64_FORMAT, r->typname, v),
				 errhint("This build of collmine reads version %d.", version)));
	}
}

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read a JSON string into a palloc'd, NUL-terminated, encoding-checked buffer. */
char *
cm_read_string(CmReader *r, int *len)
{
	StringInfoData buf;

	cm_skip_ws(r);
	if (*r->p != '"')
		cm_syntax_error(r, "a double-quoted string");
	r->p++;
	initStringInfo(&buf);
	for (;;)
	{
		char		c = *r->p;

		if (c == '\0')
			cm_syntax_error(r, "a closing double quote");
		if ((unsigned char) c < 0x20)
			cm_syntax_error(r, "no control characters inside a string (use \\n, \\t or \\u escapes)");
		r->p++;
		if (c == '"')
			break;
		if (c != '\\')
		{
			appendStringInfoChar(&buf, c);
			continue;
		}
		c = *r->p++;
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				appendStringInfoChar(&buf, c);
				break;
			case 'b':
				appendStringInfoChar(&buf, '\b');
				break;
			case 'f':
				appendStringInfoChar(&buf, '\f');
				break;
			case 'n':
				appendStringInfoChar(&buf, '\n');
				break;
			case 'r':
				appendStringInfoChar(&buf, '\r');
				break;
			case 't':
				appendStringInfoChar(&buf, '\t');
				break;
			case 'u':
				{
					int			code = 0;
					int			i;

					for (i = 0; i < 4; i++)
					{
						int			h = hexval(r->p[i]);

						if (h < 0)
							cm_syntax_error(r, "four hex digits after \\u");
						code = code * 16 + h;
					}
					r->p += 4;
					/* only the escapes we print: control characters */
					if (code == 0 || code >= 0x80)
						cm_syntax_error(r, "a \\u escape between \\u0001 and \\u007f");
					appendStringInfoChar(&buf, (char) code);
					break;
				}
			default:
				r->p--;
				cm_syntax_error(r, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
		}
	}
	/* reject invalid byte sequences for the database encoding */
	(void) pg_verify_mbstr(GetDatabaseEncoding(), buf.data, buf.len, false);
	*len = buf.len;
	return buf.data;
}


/* An optionally signed decimal integer in [-max - 1, max]; "range" names the range in errors. */
static int128
read_integer(CmReader *r, uint128 max, const char *range)
{
	bool		neg = false;
	uint128		v = 0;
	uint128		limit;
	int			digits = 0;
	const char *save;

	cm_skip_ws(r);
	save = r->p;
	if (*r->p == '-')
	{
		neg = true;
		r->p++;
	}
	/* the magnitude may reach max + 1 only when negative */
	limit = max + (neg ? 1 : 0);
	while (*r->p >= '0' && *r->p <= '9')
	{
		unsigned	d = (unsigned) (*r->p - '0');

		if (v > (limit - d) / 10)
		{
			r->p = save;
			cm_syntax_error(r, range);
		}
		v = v * 10 + d;
		r->p++;
		digits++;
	}
	if (digits == 0)
		cm_syntax_error(r, "an integer");
	if (!neg)
		return (int128) v;
	return v == ((uint128) 1 << 127) ? -(int128) (v - 1) - 1 : -(int128) v;
}

/* Read an optionally signed decimal integer that fits in 64 bits. */
int64
cm_read_int64(CmReader *r)
{
	return (int64) read_integer(r, (uint128) PG_INT64_MAX, "an integer within the 64-bit range");
}

/* Read an optionally signed decimal integer that fits in 128 bits (INT128_MIN included). */
int128
cm_read_int128(CmReader *r)
{
	return read_integer(r, (uint128) CM_INT128_MAX, "an integer within the 128-bit range");
}

/* Read a finite double written by cm_write_double (the backend always runs in the C locale for numbers). */
double
cm_read_double(CmReader *r)
{
	char	   *end;
	double		v;

	cm_skip_ws(r);
	if (!((*r->p >= '0' && *r->p <= '9') || *r->p == '-'))
		cm_syntax_error(r, "a number");
	errno = 0;
	v = strtod(r->p, &end);
	if (end == r->p || errno != 0 || isnan(v) || isinf(v))
		cm_syntax_error(r, "a finite number");
	r->p = end;
	return v;
}

/* Read a digit run of exactly n digits. */
static int
read_fixed_digits(CmReader *r, int n, const char *what)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (r->p[i] < '0' || r->p[i] > '9')
			cm_syntax_error(r, what);
		v = v * 10 + (r->p[i] - '0');
	}
	r->p += n;
	return v;
}

/*
 * The year of a timestamp: "YYYY" for years 0 to 9999 (0 is 1 BC), ISO 8601's expanded form
 * "+YYYYY" after 9999 and "-YYYY" before 1 BC (astronomical numbering). Also reads what
 * collmine 0.1.0 wrote for those years ("12000", "-043"), so its dumps restore.
 */
static int
read_year(CmReader *r, const char *form)
{
	int			sign = 1;
	int			min_digits = 4;
	int			v = 0;
	int			n = 0;

	if (*r->p == '+')
		r->p++;
	else if (*r->p == '-')
	{
		sign = -1;
		min_digits = 3;
		r->p++;
	}
	while (r->p[n] >= '0' && r->p[n] <= '9')
	{
		if (n == 7)
			cm_syntax_error(r, "a year of at most seven digits");
		v = v * 10 + (r->p[n] - '0');
		n++;
	}
	if (n < min_digits)
		cm_syntax_error(r, form);
	r->p += n;
	return sign * v;
}

/* Expect one literal separator character inside a timestamp. */
static void
timestamp_sep(CmReader *r, char c)
{
	if (*r->p != c)
		cm_syntax_error(r, "a timestamp of the form \"YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)\"");
	r->p++;
}

/* Read "[+-]YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)", independent of DateStyle and TimeZone. */
TimestampTz
cm_read_timestamp(CmReader *r)
{
	const char *form = "a timestamp of the form \"YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)\"";
	const char *save;
	struct pg_tm tm;
	fsec_t		fsec = 0;
	int			offset = 0;
	TimestampTz ts;

	cm_skip_ws(r);
	if (*r->p != '"')
		cm_syntax_error(r, form);
	r->p++;
	save = r->p;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = read_year(r, form);
	timestamp_sep(r, '-');
	tm.tm_mon = read_fixed_digits(r, 2, form);
	timestamp_sep(r, '-');
	tm.tm_mday = read_fixed_digits(r, 2, form);
	timestamp_sep(r, 'T');
	tm.tm_hour = read_fixed_digits(r, 2, form);
	timestamp_sep(r, ':');
	tm.tm_min = read_fixed_digits(r, 2, form);
	timestamp_sep(r, ':');
	tm.tm_sec = read_fixed_digits(r, 2, form);
	if (*r->p == '.')
	{
		int			scale = 100000;

		r->p++;
		if (*r->p < '0' || *r->p > '9')
			cm_syntax_error(r, form);
		while (*r->p >= '0' && *r->p <= '9')
		{
			if (scale == 0)
				cm_syntax_error(r, "at most six fractional digits");
			fsec += (*r->p - '0') * scale;
			scale /= 10;
			r->p++;
		}
	}
	if (*r->p == 'Z')
		r->p++;
	else if (*r->p == '+' || *r->p == '-')
	{
		int			sign = (*r->p == '-') ? -1 : 1;
		int			hh,
					mm;

		r->p++;
		hh = read_fixed_digits(r, 2, form);
		timestamp_sep(r, ':');
		mm = read_fixed_digits(r, 2, form);
		if (hh > 15 || mm > 59)
			cm_syntax_error(r, "a time zone offset between -15:59 and +15:59");
		offset = sign * (hh * 3600 + mm * 60);
	}
	else
		cm_syntax_error(r, form);
	if (*r->p != '"')
		cm_syntax_error(r, form);
	r->p++;

	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		tm.tm_mday > day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 ||
		tm2timestamp(&tm, fsec, NULL, &ts) != 0)
	{
		r->p = save;
		cm_syntax_error(r, "a valid date and time");
	}
	/* tm2timestamp with a NULL zone reads the fields as UTC; apply the written offset */
	ts -= (TimestampTz) offset * USECS_PER_SEC;
	if (!IS_VALID_TIMESTAMP(ts))
	{
		r->p = save;
		cm_syntax_error(r, "a timestamp within PostgreSQL's range");
	}
	return ts;
}

/* Write a JSON string; control characters become escapes, everything else is kept as bytes. */
void
cm_write_string(StringInfo buf, const char *s, int len)
{
	int			i;

	appendStringInfoChar(buf, '"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		switch (c)
		{
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					appendStringInfo(buf, "\\u%04x", c);
				else
					appendStringInfoChar(buf, (char) c);
		}
	}
	appendStringInfoChar(buf, '"');
}

/* Write a finite timestamp as quoted UTC ISO 8601, microseconds only when present. */
void
cm_write_timestamp(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for collmine's text form")));
	/* years 0 to 9999 as "YYYY" (the 0.1.0 text); others in ISO 8601's expanded form */
	if (tm.tm_year < 0)
		appendStringInfo(buf, "\"-%04d", -tm.tm_year);
	else if (tm.tm_year > 9999)
		appendStringInfo(buf, "\"+%d", tm.tm_year);
	else
		appendStringInfo(buf, "\"%04d", tm.tm_year);
	appendStringInfo(buf, "-%02d-%02dT%02d:%02d:%02d",
					 tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fsec != 0)
	{
		char		frac[8];
		int			n;

		snprintf(frac, sizeof(frac), "%06d", (int) fsec);
		for (n = 6; n > 1 && frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
		appendStringInfo(buf, ".%s", frac);
	}
	appendStringInfoString(buf, "Z\"");
}

/* Write a 128-bit integer in decimal. */
void
cm_write_int128(StringInfo buf, int128 v)
{
	char		digits[48];
	int			n = 0;
	uint128		u;

	if (v < 0)
	{
		appendStringInfoChar(buf, '-');
		u = (uint128) (-(v + 1)) + 1;
	}
	else
		u = (uint128) v;
	do
	{
		digits[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	while (n > 0)
		appendStringInfoChar(buf, digits[--n]);
}

/* Write a double so that strtod gives back the same bits. */
void
cm_write_double(StringInfo buf, double v)
{
	appendStringInfo(buf, "%.17g", v);
}
