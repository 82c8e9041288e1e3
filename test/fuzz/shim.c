/*
 * shim.c: just enough of the PostgreSQL backend to run collmine's parsers in a libFuzzer binary.
 *
 * The parsers are compiled unchanged, against the server headers; this file provides what they
 * call in the backend:
 *   - memory: palloc and friends from malloc, every chunk on one list, all freed after each
 *     input (cm_fuzz_reset), so AddressSanitizer sees every overrun and use after free; memory
 *     contexts are placeholders;
 *   - errors: ereport collects the message (formatting every argument, as the server would)
 *     and, at ERROR, longjmps back to the harness (cm_fuzz_try). An ERROR without an SQLSTATE,
 *     or with XX000 (internal error), aborts: every error a user can cause must carry a real
 *     SQLSTATE;
 *   - interrupts, stack depth (1 MB from where the input started), encodings (UTF-8, checked with libpgcommon's verifier), the
 *     pqformat message readers, detoasting (inputs are never toasted), DirectFunctionCall;
 *   - the calendar arithmetic of timestamps (date2j, j2date, tm2timestamp, timestamp2tm for UTC),
 *     the same algorithms as PostgreSQL's datetime code.
 * Anything else a parser file references is linked to a stub that aborts (stubs.c), so reaching
 * it shows up as a crash, not as silent success.
 */
#include "postgres.h"

#include <limits.h>
#include <setjmp.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "shim.h"

/* ------------------------------------------------------------------ memory */

typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	Size		size;
	Size		pad;			/* keeps the payload 16-byte aligned */
} Chunk;

static Chunk chunks = {&chunks, &chunks, 0, 0};
static Size live_bytes;

#define FUZZ_MEMORY_LIMIT	((Size) 512 * 1024 * 1024)

static MemoryContextData fake_context;
MemoryContext CurrentMemoryContext = &fake_context;
MemoryContext TopMemoryContext = &fake_context;
MemoryContext ErrorContext = &fake_context;

/* One chunk of size bytes, on the list. */
static void *
chunk_alloc(Size size, bool zero, Size limit)
{
	Chunk	   *c;

	if (size > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid memory alloc request size %zu", size)));
	if (live_bytes + size > FUZZ_MEMORY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory (fuzzing limit)")));
	c = zero ? calloc(1, sizeof(Chunk) + size) : malloc(sizeof(Chunk) + size);
	if (c == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	c->size = size;
	c->next = chunks.next;
	c->prev = &chunks;
	chunks.next->prev = c;
	chunks.next = c;
	live_bytes += size;
	return c + 1;
}

/* Unlink and free one chunk. */
static void
chunk_free(void *p)
{
	Chunk	   *c = (Chunk *) p - 1;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	live_bytes -= c->size;
	free(c);
}

/* Free everything allocated since the last reset. */
void
cm_fuzz_reset(void)
{
	while (chunks.next != &chunks)
		chunk_free(chunks.next + 1);
	CurrentMemoryContext = &fake_context;
}

void *
palloc(Size size)
{
	return chunk_alloc(size, false, MaxAllocSize);
}

void *
palloc0(Size size)
{
	return chunk_alloc(size, true, MaxAllocSize);
}

void *
palloc_extended(Size size, int flags)
{
	return chunk_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0,
					   (flags & MCXT_ALLOC_HUGE) ? MaxAllocHugeSize : MaxAllocSize);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return palloc(size);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return palloc0(size);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return palloc0(size);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return palloc_extended(size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return chunk_alloc(size, false, MaxAllocHugeSize);
}

/* Resize: a new chunk, the old content copied, the old chunk freed (so stale pointers fault). */
static void *
chunk_realloc(void *p, Size size, Size limit)
{
	Chunk	   *c = (Chunk *) p - 1;
	void	   *n = chunk_alloc(size, false, limit);

	memcpy(n, p, Min(c->size, size));
	chunk_free(p);
	return n;
}

void *
repalloc(void *p, Size size)
{
	return chunk_realloc(p, size, MaxAllocSize);
}

void *
repalloc_huge(void *p, Size size)
{
	return chunk_realloc(p, size, MaxAllocHugeSize);
}

void
pfree(void *p)
{
	chunk_free(p);
}

char *
pstrdup(const char *s)
{
	return pnstrdup(s, strlen(s));
}

char *
pnstrdup(const char *s, Size len)
{
	char	   *r;

	len = strnlen(s, len);
	r = palloc(len + 1);
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

char *
MemoryContextStrdup(MemoryContext context, const char *s)
{
	return pstrdup(s);
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name, Size minContextSize,
							  Size initBlockSize, Size maxBlockSize)
{
	return &fake_context;
}

void
MemoryContextDelete(MemoryContext context)
{
	/* chunks are freed by cm_fuzz_reset */
}

void
MemoryContextReset(MemoryContext context)
{
}

/* ------------------------------------------------------------------ errors */

static jmp_buf *error_jmp;
static char *stack_base;		/* where cm_fuzz_try started, for check_stack_depth */
static int	error_level;
static int	error_code;
static char error_message[1024];

/* Start a report: only ERROR and above are kept (and end the call). */
bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
		return false;
	error_level = elevel;
	error_code = 0;
	error_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

/* End a report: back to the harness, after checking that the error has a real SQLSTATE. */
void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_code == 0 || error_code == ERRCODE_INTERNAL_ERROR)
	{
		fprintf(stderr, "collmine fuzz: error without a user-facing SQLSTATE at %s:%d (%s): %s\n",
				filename, lineno, funcname, error_message);
		abort();
	}
	if (error_jmp == NULL)
	{
		fprintf(stderr, "collmine fuzz: error outside cm_fuzz_try: %s\n", error_message);
		abort();
	}
	longjmp(*error_jmp, 1);
}

int
errcode(int sqlerrcode)
{
	error_code = sqlerrcode;
	return 0;
}

/* Format a message part: every argument is formatted, as the server would. */
static void
keep_message(const char *fmt, va_list args)
{
	char		buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, args);
	if (error_message[0] == '\0')
		strlcpy(error_message, buf, sizeof(error_message));
}

#define MESSAGE_FUNCTION(name) \
int \
name(const char *fmt, ...) \
{ \
	va_list		args; \
 \
	va_start(args, fmt); \
	keep_message(fmt, args); \
	va_end(args); \
	return 0; \
}

MESSAGE_FUNCTION(errmsg)
MESSAGE_FUNCTION(errmsg_internal)
MESSAGE_FUNCTION(errdetail)
MESSAGE_FUNCTION(errdetail_internal)
MESSAGE_FUNCTION(errhint)

void
pg_re_throw(void)
{
	longjmp(*error_jmp, 1);
}

/* Run f(arg); true when it returned, false when it raised an ERROR (*sqlstate gets the code). */
bool
cm_fuzz_try(void (*f) (void *), void *arg, int *sqlstate)
{
	jmp_buf		jb;
	jmp_buf    *save = error_jmp;
	char		base;

	stack_base = &base;
	error_jmp = &jb;
	if (setjmp(jb) != 0)
	{
		error_jmp = save;
		if (sqlstate)
			*sqlstate = error_code;
		return false;
	}
	f(arg);
	error_jmp = save;
	return true;
}

/* ------------------------------------------------------------------ backend odds and ends */

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

/* PostgreSQL's guard against deep recursion: error out (54001) past 1 MB of stack. */
void
check_stack_depth(void)
{
	char		here;

	if (stack_base != NULL && (stack_base - &here > 1024 * 1024 || &here - stack_base > 1024 * 1024))
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
}

int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

/* The server's encoding check, on the database encoding (UTF-8 here). */
bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(encoding, mbstr, len) == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"UTF8\"")));
	return false;
}

char *
pg_server_to_client(const char *s, int len)
{
	return unconstify(char *, s);
}

char *
pg_client_to_server(const char *s, int len)
{
	(void) pg_verify_mbstr(PG_UTF8, s, len, false);
	return unconstify(char *, s);
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("fuzz inputs are never toasted")));
	return datum;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	return datum;
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	return func(fcinfo);
}

/* ------------------------------------------------------------------ pqformat */

static cm_noreturn void
message_short(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("insufficient data left in message")));
	pg_unreachable();
}

int
pq_getmsgbyte(StringInfo msg)
{
	if (msg->cursor >= msg->len)
		message_short();
	return (unsigned char) msg->data[msg->cursor++];
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	unsigned int v = 0;
	int			i;

	if (b != 4 || msg->cursor < 0 || b > msg->len - msg->cursor)
		message_short();
	for (i = 0; i < 4; i++)
		v = (v << 8) | (unsigned char) msg->data[msg->cursor++];
	return v;
}

int64
pq_getmsgint64(StringInfo msg)
{
	uint64		v = 0;
	int			i;

	if (msg->cursor < 0 || 8 > msg->len - msg->cursor)
		message_short();
	for (i = 0; i < 8; i++)
		v = (v << 8) | (unsigned char) msg->data[msg->cursor++];
	return (int64) v;
}

const char *
pq_getmsgbytes(StringInfo msg, int datalen)
{
	const char *r;

	if (datalen < 0 || datalen > msg->len - msg->cursor)
		message_short();
	r = &msg->data[msg->cursor];
	msg->cursor += datalen;
	return r;
}

char *
pq_getmsgtext(StringInfo msg, int rawbytes, int *nbytes)
{
	const char *s = pq_getmsgbytes(msg, rawbytes);
	char	   *p = palloc(rawbytes + 1);

	memcpy(p, s, rawbytes);
	p[rawbytes] = '\0';
	(void) pg_client_to_server(p, rawbytes);
	*nbytes = rawbytes;
	return p;
}

void
pq_getmsgend(StringInfo msg)
{
	if (msg->cursor != msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid message format")));
}

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

/* ------------------------------------------------------------------ calendar (UTC only) */

const int	day_tab[2][13] = {
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0}
};

/* Julian day number of a proleptic Gregorian date (PostgreSQL's date2j). */
int
date2j(int y, int m, int d)
{
	int			julian;
	int			century;

	if (m > 2)
	{
		m += 1;
		y += 4800;
	}
	else
	{
		m += 13;
		y += 4799;
	}
	century = y / 100;
	julian = y * 365 - 32167;
	julian += y / 4 - century + century / 4;
	julian += 7834 * m / 256 + d;
	return julian;
}

/* Date of a Julian day number (PostgreSQL's j2date). */
void
j2date(int jd, int *year, int *month, int *day)
{
	unsigned int julian;
	unsigned int quad;
	unsigned int extra;
	int			y;

	julian = jd;
	julian += 32044;
	quad = julian / 146097;
	extra = (julian - quad * 146097) * 4 + 3;
	julian += 60 + quad * 3 + extra / 146097;
	quad = julian / 1461;
	julian -= quad * 1461;
	y = julian * 4 / 1461;
	julian = ((y != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)) + 123;
	y += quad * 4;
	*year = y - 4800;
	quad = julian * 2141 / 65536;
	*day = julian - 7834 * quad / 256;
	*month = (quad + 10) % MONTHS_PER_YEAR + 1;
}

/* Fields to a timestamp; the fuzzed code only ever passes a NULL zone (UTC). */
int
tm2timestamp(struct pg_tm *tm, fsec_t fsec, int *tzp, Timestamp *result)
{
	TimeOffset	date;
	TimeOffset	time;

	if (tzp != NULL || !IS_VALID_JULIAN(tm->tm_year, tm->tm_mon, tm->tm_mday))
		return -1;
	date = date2j(tm->tm_year, tm->tm_mon, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
	time = (((((int64) tm->tm_hour * MINS_PER_HOUR) + tm->tm_min) * SECS_PER_MINUTE) + tm->tm_sec) * USECS_PER_SEC + fsec;
	*result = date * USECS_PER_DAY + time;
	if ((*result - time) / USECS_PER_DAY != date)
		return -1;
	if ((*result < 0 && date > 0) || (*result > 0 && date < -1))
		return -1;
	if (!IS_VALID_TIMESTAMP(*result))
		return -1;
	return 0;
}

/* A timestamp to fields in UTC. */
int
timestamp2tm(Timestamp dt, int *tzp, struct pg_tm *tm, fsec_t *fsec, const char **tzn, pg_tz *attimezone)
{
	Timestamp	date;
	Timestamp	time = dt;

	if (tzp != NULL)
		return -1;
	date = time / USECS_PER_DAY;
	time -= date * USECS_PER_DAY;
	if (time < 0)
	{
		time += USECS_PER_DAY;
		date -= 1;
	}
	date += POSTGRES_EPOCH_JDATE;
	if (date < 0 || date > (Timestamp) INT_MAX)
		return -1;
	j2date((int) date, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
	tm->tm_hour = time / USECS_PER_HOUR;
	time -= tm->tm_hour * USECS_PER_HOUR;
	tm->tm_min = time / USECS_PER_MINUTE;
	time -= tm->tm_min * USECS_PER_MINUTE;
	tm->tm_sec = time / USECS_PER_SEC;
	*fsec = time - tm->tm_sec * USECS_PER_SEC;
	tm->tm_isdst = -1;
	tm->tm_gmtoff = 0;
	tm->tm_zone = NULL;
	if (tzn != NULL)
		*tzn = NULL;
	return 0;
}

/* pqformat's one out-of-line sender the send functions use. */
void
pq_sendbytes(StringInfo buf, cm_sendbytes_data data, int datalen)
{
	appendBinaryStringInfo(buf, data, datalen);
}

/*
 * name_watch.c asks whether a trace function's activity arguments are constants of the query;
 * a fuzzed call has no query expression, as a DirectFunctionCall in the server has none, so
 * the answer is no and the call site is not watched (the parallel-mode checks after it and the
 * end-of-statement report are then never reached: stubs.c traps them).
 */
bool
get_fn_expr_arg_stable(FmgrInfo *flinfo, int argnum)
{
	return false;
}

int			ParallelWorkerNumber = -1;

void
MemoryContextRegisterResetCallback(MemoryContext context, MemoryContextCallback *cb)
{
	fprintf(stderr, "collmine fuzz: MemoryContextRegisterResetCallback reached (an unwatched call site registers none)\n");
	abort();
}
