/*
 * harness.c: libFuzzer entry points for collmine's parsers, one per binary (-DFUZZ_TARGET=name).
 *
 *   trace_text    collmine.trace text input; accepted values must print text that reads back to
 *                 the same text, and binary that reads back to the same value
 *   trace_binary  collmine.trace binary input (typreceive); the same round trips
 *   dfg_text      collmine.dfg text input; the same round trips
 *   dfg_binary    collmine.dfg binary input; the same round trips
 *   pattern       trace_matches() patterns, compiled and run on a fixed 9-event trace
 *   petri         Petri-net text, parsed and validated (pn_net_get)
 *   parts         the check data of block ranges' parts (parts_share_no_case): the input cut into
 *                 up to 16 parts, each a length byte and that many bytes; when the parts are
 *                 checked without an error in both orders, the answers must be the same
 *
 * Rule sets are arrays of a composite type, which need the server's catalogs: they are fuzzed
 * in the server by test/fuzz/rules.sql instead.
 *
 * A parser may reject an input with an ERROR (any SQLSTATE but XX000, see shim.c); it must never
 * crash, read or write out of bounds (AddressSanitizer), hit undefined behaviour (UBSan), or
 * accept a value that does not read back the same (abort here).
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "compat.h"
#include "shim.h"
#include "stream_parts.h"

extern Datum trace_in(PG_FUNCTION_ARGS);
extern Datum trace_out(PG_FUNCTION_ARGS);
extern Datum trace_recv(PG_FUNCTION_ARGS);
extern Datum trace_send(PG_FUNCTION_ARGS);
extern Datum dfg_in(PG_FUNCTION_ARGS);
extern Datum dfg_out(PG_FUNCTION_ARGS);
extern Datum dfg_recv(PG_FUNCTION_ARGS);
extern Datum dfg_send(PG_FUNCTION_ARGS);
extern Datum trace_matches(PG_FUNCTION_ARGS);

struct PnNet;
extern struct PnNet *pn_net_get(FunctionCallInfo fcinfo, int argno);

/* Call a one-argument function with a fresh FmgrInfo (so no cache survives between inputs). */
static Datum
call1(PGFunction f, Datum a)
{
	LOCAL_FCINFO(fcinfo, 1);
	FmgrInfo	flinfo;

	memset(&flinfo, 0, sizeof(flinfo));
	flinfo.fn_mcxt = CurrentMemoryContext;
	flinfo.fn_nargs = 1;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = false;
	return f(fcinfo);
}

/* A two-argument call, likewise. */
static Datum
call2(PGFunction f, Datum a, Datum b)
{
	LOCAL_FCINFO(fcinfo, 2);
	FmgrInfo	flinfo;

	memset(&flinfo, 0, sizeof(flinfo));
	flinfo.fn_mcxt = CurrentMemoryContext;
	flinfo.fn_nargs = 2;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = b;
	fcinfo->args[1].isnull = false;
	return f(fcinfo);
}

/* The fuzz input as a NUL-terminated C string (stops at an embedded NUL, as a cstring would). */
static char *
input_cstring(const uint8_t *data, size_t size)
{
	char	   *s = palloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A bytea/text varlena holding the bytes. */
static struct varlena *
input_varlena(const uint8_t *data, size_t size)
{
	struct varlena *v = palloc(VARHDRSZ + size);

	SET_VARSIZE(v, VARHDRSZ + size);
	memcpy(VARDATA(v), data, size);
	return v;
}

/* Read binary bytes with a typreceive function; every byte must be used, as in binary COPY. */
static Datum
recv_all(PGFunction recv, const char *data, int len)
{
	StringInfoData buf;
	Datum		d;

	buf.data = unconstify(char *, data);
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	d = call1(recv, PointerGetDatum(&buf));
	if (buf.cursor != buf.len)
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("trailing bytes")));
	return d;
}

/* The round-trip property of one accepted value: text and binary read back to the same text. */
static void
check_round_trips(PGFunction in, PGFunction out, PGFunction recv, PGFunction send, Datum value)
{
	char	   *text1 = DatumGetCString(call1(out, value));
	char	   *text2 = DatumGetCString(call1(out, call1(in, CStringGetDatum(text1))));
	bytea	   *bin = DatumGetByteaP(call1(send, value));
	char	   *text3 = DatumGetCString(call1(out, recv_all(recv, VARDATA(bin), VARSIZE(bin) - VARHDRSZ)));

	if (strcmp(text1, text2) != 0 || strcmp(text1, text3) != 0)
	{
		fprintf(stderr, "collmine fuzz: value does not read back the same:\n%s\n%s\n%s\n", text1, text2, text3);
		abort();
	}
}

typedef struct Input
{
	const uint8_t *data;
	size_t		size;
} Input;

#if defined(FUZZ_TARGET_trace_text)
static void
run(void *arg)
{
	Input	   *in = arg;
	Datum		t = call1(trace_in, CStringGetDatum(input_cstring(in->data, in->size)));

	check_round_trips(trace_in, trace_out, trace_recv, trace_send, t);
}
#elif defined(FUZZ_TARGET_trace_binary)
static void
run(void *arg)
{
	Input	   *in = arg;
	Datum		t = recv_all(trace_recv, (const char *) in->data, (int) in->size);

	check_round_trips(trace_in, trace_out, trace_recv, trace_send, t);
}
#elif defined(FUZZ_TARGET_dfg_text)
static void
run(void *arg)
{
	Input	   *in = arg;
	Datum		d = call1(dfg_in, CStringGetDatum(input_cstring(in->data, in->size)));

	check_round_trips(dfg_in, dfg_out, dfg_recv, dfg_send, d);
}
#elif defined(FUZZ_TARGET_dfg_binary)
static void
run(void *arg)
{
	Input	   *in = arg;
	Datum		d = recv_all(dfg_recv, (const char *) in->data, (int) in->size);

	check_round_trips(dfg_in, dfg_out, dfg_recv, dfg_send, d);
}
#elif defined(FUZZ_TARGET_pattern)
static const char *const fixed_trace =
	"{\"v\":1,\"skipped\":0,\"events\":[[\"Invoice Generated\",\"2024-01-01T00:00:00Z\"],"
	"[\"Overdue Reminder Sent\",\"2024-02-01T00:00:00Z\"],[\"Overdue Reminder Sent\",\"2024-03-01T00:00:00Z\"],"
	"[\"A\",\"2024-03-02T00:00:00Z\"],[\"B\",\"2024-03-03T00:00:00Z\"],[\"a \\\"q\\\" \\\\\",\"2024-03-04T00:00:00Z\"],"
	"[\"Payment Received\",\"2024-03-05T00:00:00Z\"],[\"Payment Posted\",\"2024-03-06T00:00:00Z\"],"
	"[\"Invoice Settled\",\"2024-03-07T00:00:00Z\"]]}";

static void
run(void *arg)
{
	Input	   *in = arg;
	Datum		t = call1(trace_in, CStringGetDatum(fixed_trace));

	(void) call2(trace_matches, t, PointerGetDatum(input_varlena(in->data, in->size)));
}
#elif defined(FUZZ_TARGET_petri)
static void
run(void *arg)
{
	Input	   *in = arg;
	LOCAL_FCINFO(fcinfo, 1);
	FmgrInfo	flinfo;

	memset(&flinfo, 0, sizeof(flinfo));
	flinfo.fn_mcxt = CurrentMemoryContext;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = PointerGetDatum(input_varlena(in->data, in->size));
	fcinfo->args[0].isnull = false;
	(void) pn_net_get(fcinfo, 0);
	/* a second call with the same text must come from the cache */
	(void) pn_net_get(fcinfo, 0);
}
#elif defined(FUZZ_TARGET_parts)
typedef struct PartsCall
{
	bytea	  **parts;
	int			n;
	bool		result;
} PartsCall;

static void
parts_call(void *arg)
{
	PartsCall  *c = arg;

	c->result = parts_share_no_case(c->parts, c->n);
}

static void
run(void *arg)
{
	Input	   *in = arg;
	bytea	   *parts[16];
	bytea	   *reversed[16];
	int			n = 0;
	PartsCall	a,
				b;

	for (size_t i = 0; i < in->size && n < 16;)
	{
		size_t		len = Min((size_t) in->data[i], in->size - i - 1);

		parts[n++] = (bytea *) input_varlena(in->data + i + 1, len);
		i += 1 + len;
	}
	for (int k = 0; k < n; k++)
		reversed[k] = parts[n - 1 - k];
	a = (PartsCall) {parts, n, false};
	b = (PartsCall) {reversed, n, false};
	/* an error may depend on the order (the merge stops at the first shared hash), the answer not */
	if (cm_fuzz_try(parts_call, &a, NULL) && cm_fuzz_try(parts_call, &b, NULL) && a.result != b.result)
	{
		fprintf(stderr, "collmine fuzz: the parts' answer depends on their order (%d, then %d)\n", a.result, b.result);
		abort();
	}
}
#else
#error "define FUZZ_TARGET_<name>"
#endif

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input		in = {data, size};

	(void) cm_fuzz_try(run, &in, NULL);
	cm_fuzz_reset();
	return 0;
}
