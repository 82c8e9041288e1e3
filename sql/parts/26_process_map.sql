-- Layer 3 entry point: the process map of an event log given as a relation and column names.
-- Same conventions as sql/parts/25_entry.sql (quoted identifiers, SECURITY INVOKER, left-out
-- events reported).

-- The one body of every process_map() form: the map of a trace query with _trace_sql's
-- columns, weighted by its weight column when weighted.
CREATE FUNCTION collmine._process_map(trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET parallel_leader_participation = off
AS $$
DECLARE
    d collmine.dfg;
    null_events bigint;
    skipped bigint;
    q text := format(
        'SELECT collmine.dfg_agg(trace%s) FILTER (WHERE case_id IS NOT NULL), '
        '       coalesce(sum(events) FILTER (WHERE case_id IS NULL), 0), '
        '       coalesce(sum(collmine.trace_skipped(trace)) FILTER (WHERE case_id IS NOT NULL), 0) '
        'FROM (%%s) t',
        CASE WHEN weighted THEN ', weight' ELSE '' END);
    -- whole cases per process: the plan as it is, over the log split into case sets, or serial
    -- (collmine._case_split_choice); the leader only gathers, as in variants()
    parts integer := collmine._case_split_choice(q, trace_sql);
    c refcursor;
BEGIN
    q := format(q, CASE WHEN parts > 1 THEN collmine._case_split_sql(trace_sql, parts) ELSE trace_sql END);
    IF parts = 0 THEN
        -- a cursor never runs in parallel
        OPEN c NO SCROLL FOR EXECUTE q;
        FETCH c INTO d, null_events, skipped;
        CLOSE c;
    ELSE
        EXECUTE q INTO d, null_events, skipped;
    END IF;
    PERFORM collmine._report_left_out(null_events, skipped);
    RETURN d;
END
$$;

-- How closely the table's physical order follows the order of its case column: the planner's
-- statistics (pg_stats.correlation, absolute value; 0 without statistics or for a view).
CREATE FUNCTION collmine._case_correlation(log regclass, case_col name)
RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT coalesce((SELECT max(abs(s.correlation))
                       FROM pg_catalog.pg_class c
                       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                       JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
                      WHERE c.oid = log AND s.attname = case_col), 0)
$$;

-- Does the log arrive in case order for the asking? True when a valid plain btree index leads
-- with the case column and the table is stored in that order (_case_correlation >= 0.9, as after
-- CLUSTER, or for the events table that the connectors write in (case_id, ts, ord) order). Then
-- one trace per case can be built from an index scan, one case at a time, with no hash table of
-- cases and no spill at any work_mem.
CREATE FUNCTION collmine._in_case_order(log regclass, case_col name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT EXISTS (SELECT 1
                     FROM pg_catalog.pg_index i
                     JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = log AND am.amname = 'btree' AND i.indisvalid
                      AND i.indpred IS NULL AND a.attname = case_col)
       AND collmine._case_correlation(log, case_col) >= 0.9
$$;

-- _process_map over a log stored in case order (_in_case_order): without hash aggregation and
-- explicit sorts the planner reads the events through the case index, so each case's trace is
-- built, added to the map and freed before the next case starts. The function's SET clauses
-- last for this call only; the result is the same map as the hashed plan's.
CREATE FUNCTION collmine._process_map_in_case_order(trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET enable_hashagg = off
SET enable_sort = off
AS $$
BEGIN
    RETURN collmine._process_map(trace_sql, weighted);
END
$$;

-- The process map of events that arrive one case after another, in one aggregate
-- (src/dfg_stream.c, src/case_stream.c): each case's events are collected in one reused state and
-- its trace added to the map when the next case starts. _dfg_stream takes the cases in ascending
-- order of the case type (in the argument's collation) and refuses input that is not;
-- _dfg_stream_grouped takes them in any order as long as a case never comes back once another one
-- started (it keeps a 64-bit hash per case to check that) and refuses input where one does. Both
-- refuse with 22000 data_exception, which process_map() catches to read the log another way.
CREATE FUNCTION collmine._dfg_stream_trans(internal, anyelement, text, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'dfg_stream_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._dfg_stream_trans(internal, anyelement, text, timestamptz, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'dfg_stream_trans_ord' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._dfg_stream_grouped_trans(internal, anyelement, text, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'dfg_stream_grouped_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._dfg_stream_grouped_trans(internal, anyelement, text, timestamptz, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'dfg_stream_grouped_trans_ord' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._dfg_stream_final(internal) RETURNS collmine.dfg
    AS 'MODULE_PATHNAME', 'dfg_stream_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._dfg_stream(anyelement, text, timestamptz) (
    SFUNC = collmine._dfg_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._dfg_stream(anyelement, text, timestamptz, bigint) (
    SFUNC = collmine._dfg_stream_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._dfg_stream_grouped(anyelement, text, timestamptz) (
    SFUNC = collmine._dfg_stream_grouped_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._dfg_stream_grouped(anyelement, text, timestamptz, bigint) (
    SFUNC = collmine._dfg_stream_grouped_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- One block range of a table streamed in parts (_process_map_streamed_ranges, src/stream_parts.c):
-- _dfg_stream_grouped over the range, ending in the map of the range's cases (m) and what the
-- ranges are checked by to share no case (seen: the interval the cases lie in when they came in
-- ascending order, and their 64-bit hashes; src/case_stream.c).
CREATE TYPE collmine._dfg_part AS (
    m collmine.dfg,
    seen bytea
);
CREATE FUNCTION collmine._dfg_stream_part_final(internal) RETURNS collmine._dfg_part
    AS 'MODULE_PATHNAME', 'dfg_stream_part_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._dfg_stream_part(anyelement, text, timestamptz) (
    SFUNC = collmine._dfg_stream_grouped_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_part_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._dfg_stream_part(anyelement, text, timestamptz, bigint) (
    SFUNC = collmine._dfg_stream_grouped_trans,
    STYPE = internal,
    FINALFUNC = collmine._dfg_stream_part_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);

-- Do the parts (_dfg_part.seen) share no case: intervals apart, or no hash in two of them? Then
-- no case was split between two block ranges (src/stream_parts.c).
CREATE FUNCTION collmine._stream_parts_disjoint(seen bytea[]) RETURNS boolean
    AS 'MODULE_PATHNAME', 'stream_parts_disjoint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- The same as a check: true, or the refusal of a stream named who (22000, "events are not
-- grouped by case"), which variants() catches to read the table as one.
CREATE FUNCTION collmine._stream_parts_check(seen bytea[], who text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'stream_parts_check' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The COLLATE clause of a relation's column ('' for a type without collation): a stream gets the
-- case value in its column's own collation, the order of the index and of an ORDER BY.
CREATE FUNCTION collmine._collate_clause(log regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT CASE WHEN a.attcollation = 0 THEN '' ELSE format(' COLLATE %I.%I', n.nspname, c.collname) END
      FROM pg_catalog.pg_attribute a
      LEFT JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
     WHERE a.attrelid = log AND a.attname = col
$$;

-- Is msg (of a 22000 data_exception) a stream's refusal of its input (src/case_stream.h:
-- CASE_STREAM_NOT_SORTED, _NOT_GROUPED, _NO_HASH, after the aggregate's name)? Then the caller
-- reads the log another way; any other 22000 is raised.
CREATE FUNCTION collmine._stream_refused(msg text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT msg ~ '^collmine\._(dfg|variants)_stream[a-z_]*: (events are not in case order|events are not grouped by case|the case column''s type has no hash function)$'
$$;

-- The events a stream reads from rel (the text of a relation: a regclass, or ONLY and a leaf
-- partition): c, the case value; a, t, the activity and time as text and timestamptz; o, the
-- order key as bigint, when order_col is given; w, the weight as numeric (NULL without
-- weight_col); only the rows row_filter (a condition) keeps, when given. Ordered by the case
-- column for how 'index' (read through the case index), else as the relation lies. The one reading of a relation by both streams, _dfg_stream_sql and
-- _variants_stream_sql.
CREATE FUNCTION collmine._stream_events_sql(rel text, case_col name, activity_col name, ts_col name,
                                            order_col name, weight_col name, how text,
                                            row_filter text DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT format('SELECT %1$I AS c, %2$I::text AS a, %3$I::timestamptz AS t%4$s, %5$s AS w FROM %6$s%8$s%7$s',
        case_col, activity_col, ts_col,
        CASE WHEN order_col IS NULL THEN '' ELSE format(', %I::bigint AS o', order_col) END,
        CASE WHEN weight_col IS NULL THEN 'NULL::numeric' ELSE format('%I::numeric', weight_col) END,
        rel, CASE WHEN how = 'index' THEN format(' ORDER BY %I', case_col) ELSE '' END,
        CASE WHEN row_filter IS NULL THEN '' ELSE ' WHERE ' || row_filter END)
$$;

-- The query that streams the process map of rel's events (_stream_events_sql; only the rows
-- row_filter keeps, when given) by how ('index': _dfg_stream, which checks ascending case order;
-- 'grouped': _dfg_stream_grouped; 'part': _dfg_stream_part, grouped, for one block range): one
-- row, the map (m; for 'part' a collmine._dfg_part) and the count of events with a NULL case id
-- (n). The case value is passed in the collation of log's case column, the order of the index and
-- of the ORDER BY.
CREATE FUNCTION collmine._dfg_stream_sql(log regclass, rel text, case_col name, activity_col name, ts_col name,
                                         order_col name, how text, row_filter text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT format('SELECT collmine.%1$I(c%2$s, a, t%3$s) FILTER (WHERE c IS NOT NULL) AS m, '
                  'count(*) FILTER (WHERE c IS NULL) AS n FROM (%4$s) s',
        CASE how WHEN 'grouped' THEN '_dfg_stream_grouped' WHEN 'part' THEN '_dfg_stream_part' ELSE '_dfg_stream' END,
        collmine._collate_clause(log, case_col),
        CASE WHEN order_col IS NULL THEN '' ELSE ', o' END,
        collmine._stream_events_sql(rel, case_col, activity_col, ts_col, order_col, NULL,
                                    CASE WHEN how = 'part' THEN 'grouped' ELSE how END, row_filter))
$$;

-- The unweighted process map of a relation whose events are stored case after case, streamed
-- (_dfg_stream*), by `how`:
--   'index'    through the case index, in case order (sorts are disabled for this call, so the
--              planner takes the index), checked by _dfg_stream;
--   'grouped'  the table as it lies, for a table whose cases' events are adjacent, in any order
--              of the cases (written invoice after invoice; a row out of place here and there
--              is joined to its case, src/case_stream.c), checked by _dfg_stream_grouped, which
--              refuses other input with 22000; process_map() catches that. Serial,
-- and without synchronized scans, so that table order is file order. The case value is passed
-- in its column's own collation (_dfg_stream_sql). Same map and the
-- same report of left-out events as _process_map over _trace_sql's query.
CREATE FUNCTION collmine._process_map_streamed(log regclass, case_col name, activity_col name, ts_col name,
                                               order_col name, how text)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET enable_sort = off
SET max_parallel_workers_per_gather = 0
SET synchronize_seqscans = off
AS $$
DECLARE
    d collmine.dfg;
    null_events bigint;
BEGIN
    IF how IS NULL OR how NOT IN ('index', 'grouped') THEN
        RAISE EXCEPTION 'collmine._process_map_streamed: how must be index or grouped, not %', how
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Call collmine.process_map() instead.';
    END IF;
    EXECUTE collmine._dfg_stream_sql(log, log::text, case_col, activity_col, ts_col, order_col, how)
    INTO d, null_events;
    PERFORM collmine._report_left_out(null_events, coalesce(collmine.dfg_skipped(d), 0));
    RETURN d;
END
$$;

-- Whether this process runs inside a parallel plan (src/split_plan.c): no subtransaction can
-- start there, so process_map() cannot try a streamed read and catch its refusal.
CREATE FUNCTION collmine._in_parallel_mode() RETURNS boolean
    AS 'MODULE_PATHNAME', 'in_parallel_mode' LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- Is log a partitioned table whose every level is partitioned by the case column alone? Then no
-- case spans two leaf partitions, and each leaf can be mapped on its own, by its own worker
-- (_process_map_streamed_parts). Any other key (a date range, an expression, two columns) could
-- put a case's events in two leaves.
CREATE FUNCTION collmine._partitioned_by_case(log regclass, case_col name)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT coalesce(bool_and(pt.partnatts = 1 AND pt.partattrs[0] <> 0 AND a.attname = case_col), false)
      FROM pg_catalog.pg_partition_tree(log) t
      JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = t.relid
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE NOT t.isleaf
$$;

-- Does reading log's leaf partitions by name give the caller the rows that reading log gives?
-- A leaf read by name is checked against its own privileges and row-level security policies,
-- not log's: so the leaves are read apart (_process_map_streamed_parts, variants()' way
-- 'partitions') only when the caller may SELECT every leaf and no level of log has row-level
-- security enabled; otherwise log is read as one relation.
CREATE FUNCTION collmine._leaves_readable(log regclass)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT coalesce(bool_and((NOT t.isleaf OR pg_catalog.has_table_privilege(t.relid, 'SELECT'))
                             AND NOT c.relrowsecurity), false)
      FROM pg_catalog.pg_partition_tree(log) t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
$$;

-- The unweighted process map of a table partitioned by the case column (_partitioned_by_case)
-- whose leaves are each stored case after case: one _dfg_stream_grouped per leaf, read as it
-- lies, the maps merged by dfg_union. Each leaf's aggregate is a whole, non-partial plan, so with
-- workers a Parallel Append gives each leaf to one process and no case is split between two;
-- the leader only gathers (as in _variants). A leaf that is not grouped refuses with 22000, as
-- _process_map_streamed does. The same map, byte for byte, as one stream over the whole table.
CREATE FUNCTION collmine._process_map_streamed_parts(log regclass, case_col name, activity_col name, ts_col name,
                                                     order_col name)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET synchronize_seqscans = off
SET parallel_leader_participation = off
AS $$
DECLARE
    branches text;
    d collmine.dfg;
    null_events bigint;
BEGIN
    SELECT string_agg(collmine._dfg_stream_sql(log, 'ONLY ' || t.relid::regclass::text, case_col, activity_col,
                                               ts_col, order_col, 'grouped'), ' UNION ALL ' ORDER BY t.relid)
      INTO branches
      FROM pg_catalog.pg_partition_tree(log) t
     WHERE t.isleaf;
    IF branches IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT collmine.dfg_union(m), sum(n)::bigint FROM (%s) u', branches)
    INTO d, null_events;
    PERFORM collmine._report_left_out(null_events, coalesce(collmine.dfg_skipped(d), 0));
    RETURN d;
END
$$;

-- How many block ranges a table stored case after case is streamed in, one per parallel worker
-- (_process_map_streamed_ranges): as many as PostgreSQL would give a parallel scan of it (one
-- more worker each time the table triples past min_parallel_table_scan_size), at most
-- max_parallel_workers_per_gather; 1 (a serial read) for a small table, a view, a table with
-- inheritance children, or with no workers allowed.
CREATE FUNCTION collmine._stream_range_count(log regclass)
RETURNS integer
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT CASE WHEN c.relkind <> 'r' OR c.relhassubclass OR pages < 3 * min_pages THEN 1
                ELSE greatest(least(current_setting('max_parallel_workers_per_gather')::integer,
                                    1 + floor(ln(pages / min_pages) / ln(3))::integer), 1) END
      FROM pg_catalog.pg_class c,
           LATERAL (SELECT pg_catalog.pg_relation_size(c.oid)::float8 / current_setting('block_size')::float8 AS pages,
                           greatest(pg_catalog.pg_size_bytes(current_setting('min_parallel_table_scan_size'))::float8
                                    / current_setting('block_size')::float8, 1) AS min_pages) x
     WHERE c.oid = log
$$;

-- The row filters of n block ranges of about equal size that together cover the table (ctid
-- bounds, read by TID range scans). Each inner bound is placed in the 64 blocks around its
-- block b where no case of those blocks has rows on both sides of it, the place nearest b: a
-- case stored across b, and a short row that went back to an earlier page with room for it
-- (BPIC 2012 loaded by COPY: at most 21 pages back), stay in one range. Where there is no such
-- place the bound stays at b's first row. The bounds only save work: the readers
-- (_process_map_streamed_ranges, variants()' 'ranges' way) check that no case is in two ranges.
CREATE FUNCTION collmine._stream_range_filters(log regclass, case_col name, n integer)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    pages bigint := pg_catalog.pg_relation_size(log) / current_setting('block_size')::bigint;
    bounds tid[] := '{}';
    bound tid;
    b bigint;
    filters text[] := '{}';
BEGIN
    FOR k IN 1 .. n - 1 LOOP
        b := pages * k / n;
        -- w: the rows of the window in storage order; a place before row rn is clean when every
        -- case with a row before it has its last row of the window before it too
        EXECUTE format($q$
            SELECT ctid FROM (
                SELECT ctid, rn, max(last_rn) OVER (ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                  FROM (SELECT ctid, rn, max(rn) OVER (PARTITION BY c) AS last_rn
                          FROM (SELECT ctid, %1$I AS c, row_number() OVER (ORDER BY ctid) AS rn
                                  FROM ONLY %2$s WHERE ctid >= %3$L::tid AND ctid < %4$L::tid) w) x) y
             WHERE reach < rn
             ORDER BY abs((ctid::text::point)[0] - %5$s), ctid
             LIMIT 1$q$,
            case_col, log, format('(%s,0)', greatest(b - 32, 0)), format('(%s,0)', b + 32), b)
        INTO bound;
        bounds := bounds || coalesce(bound, format('(%s,0)', b)::tid);
    END LOOP;
    FOR k IN 1 .. n LOOP
        filters := filters || coalesce(nullif(concat_ws(' AND ',
            CASE WHEN k > 1 THEN format('ctid >= %L::tid', bounds[k - 1]) END,
            CASE WHEN k < n THEN format('ctid < %L::tid', bounds[k]) END), ''), 'true');
    END LOOP;
    RETURN filters;
END
$$;

-- The unweighted process map of an ordinary table stored case after case, streamed in n block
-- ranges (_stream_range_filters), each by _dfg_stream_part in its own branch of a UNION ALL: a
-- Parallel Append gives each range to one worker, as _process_map_streamed_parts gives each
-- leaf. The maps are merged by dfg_union when no case is in two ranges
-- (_stream_parts_disjoint): then every case was mapped once, with all its rows, and the map is
-- the one stream's over the whole table. Otherwise (rows of a case stored in two ranges) the
-- table is streamed again, serially. A range that is not grouped refuses with 22000, as
-- _process_map_streamed does.
CREATE FUNCTION collmine._process_map_streamed_ranges(log regclass, case_col name, activity_col name, ts_col name,
                                                      order_col name, n integer)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
SET synchronize_seqscans = off
SET parallel_leader_participation = off
AS $$
DECLARE
    branches text;
    d collmine.dfg;
    null_events bigint;
    disjoint boolean;
BEGIN
    SELECT string_agg(format('SELECT (m).m, (m).seen, n FROM (%s) q',
                             collmine._dfg_stream_sql(log, 'ONLY ' || log::text, case_col, activity_col, ts_col,
                                                      order_col, 'part', f)),
                      ' UNION ALL ' ORDER BY k)
      INTO branches
      FROM unnest(collmine._stream_range_filters(log, case_col, n)) WITH ORDINALITY r(f, k);
    EXECUTE format('SELECT collmine.dfg_union(m), sum(n)::bigint, collmine._stream_parts_disjoint(array_agg(seen)) '
                   'FROM (%s) u', branches)
    INTO d, null_events, disjoint;
    IF NOT disjoint THEN
        RAISE DEBUG 'collmine: a case of % is stored in two of % block ranges; streaming it serially', log, n;
        RETURN collmine._process_map_streamed(log, case_col, activity_col, ts_col, order_col, 'grouped');
    END IF;
    PERFORM collmine._report_left_out(null_events, coalesce(collmine.dfg_skipped(d), 0));
    RETURN d;
END
$$;

-- _process_map_streamed(..., how) for how 'grouped' (in block ranges, one per worker, when
-- _stream_range_count allows more than one), or _process_map_streamed_parts for how
-- 'partitions' (streamed true), or streamed false
-- when the stream refused the input (an event out of case order, or a case that came back): then
-- the log must be read another way. Any other error is raised.
CREATE FUNCTION collmine._process_map_try_stream(log regclass, case_col name, activity_col name, ts_col name,
                                                 order_col name, how text, OUT streamed boolean, OUT map collmine.dfg)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    msg text;
BEGIN
    IF how = 'partitions' THEN
        map := collmine._process_map_streamed_parts(log, case_col, activity_col, ts_col, order_col);
    ELSIF how = 'grouped' AND collmine._stream_range_count(log) > 1 THEN
        map := collmine._process_map_streamed_ranges(log, case_col, activity_col, ts_col, order_col,
                                                     collmine._stream_range_count(log));
    ELSE
        map := collmine._process_map_streamed(log, case_col, activity_col, ts_col, order_col, how);
    END IF;
    streamed := true;
EXCEPTION WHEN data_exception THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    IF NOT collmine._stream_refused(msg) THEN
        RAISE;
    END IF;
    streamed := false;
END
$$;

-- The process map of a relation's events: in case order through its case index when the relation
-- is stored that way, otherwise by hashing the cases.
CREATE FUNCTION collmine._process_map_of(log regclass, case_col name, trace_sql text, weighted boolean)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
BEGIN
    IF collmine._in_case_order(log, case_col) THEN
        RETURN collmine._process_map_in_case_order(trace_sql, weighted);
    END IF;
    RETURN collmine._process_map(trace_sql, weighted);
END
$$;

CREATE FUNCTION collmine.process_map(log regclass, case_col name, activity_col name, ts_col name,
                                     order_col name DEFAULT NULL, weight_col name DEFAULT NULL)
RETURNS collmine.dfg
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog
AS $$
DECLARE
    trace_sql text;
    ok boolean;
    d collmine.dfg;
BEGIN
    -- _trace_sql also checks the arguments and columns, for both paths
    trace_sql := collmine._trace_sql(log, case_col, activity_col, ts_col, order_col, weight_col);
    -- Not inside a parallel plan, where the refusal of a stream could not be caught (no
    -- subtransaction); not on Citus, where a distributed table is pulled to the coordinator
    -- whole before a stream could refuse it.
    IF weight_col IS NULL AND NOT collmine._in_parallel_mode()
       AND NOT collmine._citus_distributed(format('SELECT 1 FROM %s', log)) THEN
        -- stored case after case (in case order or in any order of the cases, a row out of place
        -- here and there): stream the table as it lies, each leaf partition in its own worker
        -- when it is partitioned by the case (and the leaves read by name give the same rows);
        -- a log in time order is refused after a few rows
        SELECT * INTO ok, d
          FROM collmine._process_map_try_stream(log, case_col, activity_col, ts_col, order_col,
                                                CASE WHEN collmine._partitioned_by_case(log, case_col)
                                                          AND collmine._leaves_readable(log)
                                                     THEN 'partitions' ELSE 'grouped' END);
        IF ok THEN
            RETURN d;
        END IF;
        -- nearly in case order with a case index: stream it through the index
        IF collmine._in_case_order(log, case_col) THEN
            RETURN collmine._process_map_streamed(log, case_col, activity_col, ts_col, order_col, 'index');
        END IF;
    END IF;
    RETURN collmine._process_map_of(log, case_col, trace_sql, weight_col IS NOT NULL);
END
$$;
COMMENT ON FUNCTION collmine.process_map(regclass, name, name, name, name, name) IS
    'the process map (directly-follows graph with frequencies, durations and money) of an event log';
