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

PG_FUNCTION_INFO_V1(stream_parts_disjoint);

/* collmine._stream_parts_disjoint(seen bytea[]): do the parts' case hashes (each ascending)
 * share none? NULL elements (a range with no rows) count as empty. */
Datum
stream_parts_disjoint(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
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
	PG_RETURN_BOOL(case_seen_disjoint(parts, k));
}
