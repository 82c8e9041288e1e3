/*
 * stream_parts.c: a table stored case after case, streamed in parts (block ranges, one per
 * parallel worker) and checked afterwards.
 *
 * A grouped stream (case_stream.h) over one block range hands on every case whose rows it sees
 * there. A case whose rows lie in two ranges (it spans a range's boundary, or a row of it went
 * back to an earlier page in another range) is then handed on twice, once per range, as two
 * cases. So each range reports the hashes of the cases it handed on, and the parts' results are
 * used only when no hash is in two ranges; otherwise the caller streams the table serially. A
 * hash collision between two different cases counts as shared: it costs the serial read, never a
 * wrong result.
 */
#include "common.h"
#include "case_stream.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(stream_parts_disjoint);
PG_FUNCTION_INFO_V1(stream_parts_check);

/* Do the parts (an array of seen sets, NULL elements empty) share no case hash? */
static bool
parts_disjoint(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *isnull;
	int			n;
	int			k = 0;
	bytea	  **parts;

	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &isnull, &n);
	parts = palloc(Max(n, 1) * sizeof(bytea *));
	for (int i = 0; i < n; i++)
	{
		if (!isnull[i])
			parts[k++] = DatumGetByteaPP(elems[i]);
	}
	return case_seen_disjoint(parts, k);
}

/* collmine._stream_parts_disjoint(seen bytea[]): do the parts' case hashes (each ascending)
 * share none? NULL elements (a range with no rows) count as empty. */
Datum
stream_parts_disjoint(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(parts_disjoint(PG_GETARG_ARRAYTYPE_P(0)));
}

/*
 * collmine._stream_parts_check(seen bytea[], who text): true when the parts share no case hash;
 * otherwise the refusal of the stream named who (case_stream_refuse: 22000, "<who>: events are
 * not grouped by case"), which variants() catches to read the table as one.
 */
Datum
stream_parts_check(PG_FUNCTION_ARGS)
{
	if (!parts_disjoint(PG_GETARG_ARRAYTYPE_P(0)))
		case_stream_refuse(text_to_cstring(PG_GETARG_TEXT_PP(1)), CASE_STREAM_NOT_GROUPED,
						   "A case is stored in two of the block ranges read apart.");
	PG_RETURN_BOOL(true);
}
