-- 0.2.0: loading by header name as a normal role (issue 9 part 1; issue 13 items 2, 3, 7, 8).
--
-- collmine.staging_columns becomes readable by every role; create_event_log creates its schema
-- and index only when missing (no CREATE on the database, no SHARE lock on events); settings
-- errors name the setting; a bad staging value's hint points at column order and collmine-load;
-- the header rule of import_csv is shared with collmine-load (_cm_header_map, _cm_load_plan);
-- builds drop their temporary tables (_cm_drop_workspace); dashboard views are security_invoker
-- and their monthly trend is bounded by the data; root_causes evaluates the outcome in a block
-- that is always rolled back.

GRANT SELECT ON collmine.staging_columns TO PUBLIC;

-- Create the canonical event log and invoice tables (docs/architecture.md) and the table that
-- keeps the data-quality findings of the last build, if they do not exist yet.
CREATE OR REPLACE FUNCTION collmine.create_event_log(p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists
    IF to_regnamespace(quote_ident(p_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', p_schema);
    END IF;
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.events (
        case_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
        user_id text, is_automated boolean, amount numeric, currency text,
        source_system text, source_ref text)$f$, p_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.invoices (
        case_id text PRIMARY KEY, customer_id text, customer_name text, segment text,
        business_unit text, collector text, country text, terms text, currency text, status text,
        dispute_reason text, source_system text, terms_days integer, invoice_date date,
        due_date date, amount numeric, amount_paid numeric, amount_credited numeric,
        amount_written_off numeric, open_amount numeric, settled_at timestamptz,
        written_off_at timestamptz, days_overdue integer, paid_on_time boolean,
        cycle_time interval, posting_lag interval, last_data_update timestamptz)$f$, p_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.quality_issues (
        source_system text NOT NULL, check_name text NOT NULL, severity text NOT NULL,
        source_table text, source_ref text, case_id text, detail text)$f$, p_schema);
    -- CREATE INDEX IF NOT EXISTS takes a SHARE lock on events even when the index exists, and
    -- would hold it for the whole build
    IF to_regclass(format('%I.events_case_ts', p_schema)) IS NULL THEN
        EXECUTE format('CREATE INDEX events_case_ts ON %I.events (case_id, ts, ord)', p_schema);
    END IF;
END
$$;

-- Create the staging tables of one source in a schema the caller owns; existing tables are kept
-- and get the columns added since.
CREATE OR REPLACE FUNCTION collmine.create_staging(p_source text, p_schema name)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    t text;
    cols text;
    c text;
BEGIN
    PERFORM collmine._cm_check_source(p_source);
    PERFORM collmine.create_event_log(p_schema);
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I.csv_import (line_no bigint GENERATED ALWAYS AS IDENTITY, line text)', p_schema);
    FOR t, cols IN
        SELECT table_name, string_agg(format('%I text', column_name), ', ' ORDER BY position)
        FROM collmine.staging_columns WHERE source = p_source
        GROUP BY table_name ORDER BY min(position), table_name
    LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I (%s)', p_schema, t, cols);
        -- a table made by an earlier version gets the export columns added since
        FOR c IN SELECT sc.column_name FROM collmine.staging_columns sc
                 WHERE sc.source = p_source AND sc.table_name = t
                   AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                   WHERE a.attrelid = format('%I.%I', p_schema, t)::regclass
                                     AND a.attname = sc.column_name AND a.attnum > 0 AND NOT a.attisdropped)
                 ORDER BY sc.position LOOP
            EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I text', p_schema, t, c);
        END LOOP;
        RETURN NEXT format('%I.%I', p_schema, t)::regclass;
    END LOOP;
END
$$;
COMMENT ON FUNCTION collmine.create_staging(text, name) IS
    'create the staging tables of a source (netsuite, d365fo, d365bc) with the real export column names, plus events/invoices, in a schema the caller owns; existing tables are kept and get missing columns added';

-- Merge user settings over the defaults, rejecting unknown keys and bad values.
CREATE OR REPLACE FUNCTION collmine._cm_settings(p_source text, p_settings jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    d jsonb := collmine.connector_settings(p_source);
    k text;
    s jsonb;
BEGIN
    FOR k IN SELECT jsonb_object_keys(coalesce(p_settings, '{}')) LOOP
        IF NOT d ? k THEN
            RAISE EXCEPTION 'unknown % setting "%"', p_source, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Valid settings: %s.', (SELECT string_agg(x, ', ' ORDER BY x) FROM jsonb_object_keys(d) x));
        END IF;
    END LOOP;
    -- each value has the kind of its default (a list stays a list of strings, a text stays a
    -- text; a default of null takes a text or null), so that no error further on is a bare
    -- "cannot extract elements from a scalar" that does not say which setting is wrong
    FOR k IN SELECT x FROM jsonb_object_keys(coalesce(p_settings, '{}')) x ORDER BY x LOOP
        IF jsonb_typeof(d->k) = 'array'
           AND (jsonb_typeof(p_settings->k) <> 'array'
                OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_settings->k) e WHERE jsonb_typeof(e) <> 'string')) THEN
            RAISE EXCEPTION 'invalid % setting "%": % is not a list of texts', p_source, k, p_settings->k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Give a JSON array of strings, like the default %s.', d->k);
        ELSIF jsonb_typeof(d->k) IS DISTINCT FROM 'array' AND jsonb_typeof(p_settings->k) NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'invalid % setting "%": % is not a text', p_source, k, p_settings->k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Give a JSON string%s.', CASE WHEN d->>k IS NOT NULL THEN ', like the default ' || (d->k)::text ELSE ' or null' END);
        ELSIF jsonb_typeof(d->k) = 'string' AND coalesce(btrim(p_settings->>k), '') = '' AND k IN ('date_format', 'timezone', 'on_error') THEN
            RAISE EXCEPTION 'invalid % setting "%": it must not be empty', p_source, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Leave it out to use the default %s.', d->k);
        END IF;
    END LOOP;
    s := d || coalesce(p_settings, '{}');
    IF s->>'on_error' NOT IN ('error', 'report') THEN
        RAISE EXCEPTION 'invalid on_error setting "%"', s->>'on_error'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use "error" (stop at the first malformed value) or "report" (skip it and list it in data_quality()).';
    END IF;
    -- the server's own errors for these would not name the setting
    BEGIN
        PERFORM now() AT TIME ZONE (s->>'timezone');
    EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
        RAISE EXCEPTION 'invalid timezone setting "%"', s->>'timezone'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a time zone name of pg_timezone_names, such as "UTC" or "Europe/Berlin".';
    END;
    BEGIN
        PERFORM (s->>'as_of')::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'invalid as_of setting "%"', s->>'as_of'
            USING ERRCODE = 'invalid_datetime_format',
                  HINT = 'Give the extraction time of the export as an ISO 8601 timestamp, such as "2025-06-30T23:59:00Z".';
    END;
    RETURN s;
END
$$;

CREATE OR REPLACE FUNCTION collmine._cm_bad(p_kind text, p_value text, p_table text, p_col text, p_row text, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF current_setting('collmine.cm_on_error', true) = 'report' THEN
        INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        VALUES ('bad_' || p_kind, 'error', p_table, p_row,
                format('invalid %s "%s" in column "%s"; value read as NULL', p_kind, p_value, p_col));
        RETURN;
    END IF;
    -- a file loaded by position whose columns come in another order fills columns with the
    -- neighbours' values: say so, as the format setting is then not the cause
    RAISE EXCEPTION 'invalid % "%" in column "%" of % row %', p_kind, p_value, p_col, p_table, p_row
        USING ERRCODE = CASE p_kind WHEN 'date' THEN 'invalid_datetime_format'
                                    WHEN 'timestamp' THEN 'invalid_datetime_format'
                                    ELSE 'invalid_text_representation' END,
              HINT = p_hint || ' If the value belongs to another column, the file was loaded by position with its columns in another order: load exports by header with collmine-load (docs/connectors.md, "Loading exports").';
END
$$;

-- Drop the build's temporary tables (every pg_temp table named _cm_*), so that a session that
-- builds keeps none of them. RETURN QUERY has already stored the build's result when it runs.
CREATE OR REPLACE FUNCTION collmine._cm_drop_workspace()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    t name;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'r' AND c.relname LIKE '\_cm\_%'
             ORDER BY c.relname LOOP
        EXECUTE format('DROP TABLE pg_temp.%I', t);
    END LOOP;
END
$$;

-- The position of each staging column of one table in a file's header fields: the exact name,
-- else the same name in any case and without surrounding blanks (NetSuite and Dynamics exports
-- vary in both). NULL when the header lacks the column. The one header rule of import_csv and
-- collmine-load.
CREATE OR REPLACE FUNCTION collmine._cm_header_map(p_source text, p_table text, p_fields text[])
RETURNS TABLE(column_name text, required boolean, idx integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, collmine
AS $$
    SELECT sc.column_name, sc.required,
           coalesce(array_position(p_fields, sc.column_name),
                    (SELECT min(u.o)::integer FROM unnest(p_fields) WITH ORDINALITY AS u(f, o)
                      WHERE lower(btrim(u.f, E' \t\r\n')) = lower(sc.column_name)))
    FROM collmine.staging_columns sc
    WHERE sc.source = p_source AND sc.table_name = p_table
    ORDER BY sc.position
$$;

-- How collmine-load loads one export file: which staging table it fills (by the file name, else
-- by the header), the delimiter, and the staging columns with the header position of each; the
-- header fields that match no column and the optional columns that the file lacks, for the
-- loader to report. A header that matches no table, or lacks a required column, is an error
-- naming the file and the column.
CREATE OR REPLACE FUNCTION collmine._cm_load_plan(p_source text, p_file text, p_header text)
RETURNS TABLE(table_name text, delimiter text, fields integer, columns text, positions text,
              extra text, missing text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    hdr text := rtrim(regexp_replace(p_header, '^\ufeff', ''), E'\r\n');   -- BOM, line end
    fname text := regexp_replace(p_file, '^.*/', '');
    base text;
    d text;
    f text[];
    tbl text;
    cand record;
    second record;
    miss text;
BEGIN
    PERFORM collmine._cm_check_source(p_source);
    IF hdr IS NULL OR btrim(hdr) = '' THEN
        RAISE EXCEPTION 'file "%" has no header line', fname
            USING ERRCODE = 'bad_copy_file_format',
                  HINT = 'Export the table with its column names in the first line.';
    END IF;
    -- the delimiter whose split of the header names the most staging columns of the source
    SELECT x.d INTO d
    FROM unnest(ARRAY[',', ';', E'\t', '|']) WITH ORDINALITY AS x(d, o)
    ORDER BY (SELECT count(*) FROM unnest(collmine._cm_csv_split(hdr, x.d)) h
              WHERE EXISTS (SELECT 1 FROM collmine.staging_columns sc
                            WHERE sc.source = p_source AND lower(sc.column_name) = lower(btrim(h, E' \t\r\n')))) DESC,
             x.o
    LIMIT 1;
    f := collmine._cm_csv_split(hdr, d);
    -- by name: the file name without directory, source prefix and extension, letters and digits
    -- only, equals the table's ("d365bc.Cust_Ledger_Entry.csv" is "Cust. Ledger Entry")
    base := lower(regexp_replace(regexp_replace(regexp_replace(fname, '\.[^.]*$', ''),
                                                '^' || p_source || '[._ -]', '', 'i'), '[^A-Za-z0-9]', '', 'g'));
    SELECT t.table_name INTO tbl
    FROM (SELECT DISTINCT sc.table_name FROM collmine.staging_columns sc WHERE sc.source = p_source) t
    WHERE lower(regexp_replace(t.table_name, '[^A-Za-z0-9]', '', 'g')) = base;
    IF tbl IS NULL THEN
        -- by header: the table with the most columns in the header, if it has them all
        SELECT t.table_name, count(m.idx) AS matched, count(*) FILTER (WHERE m.required AND m.idx IS NULL) AS lacking
        INTO cand
        FROM (SELECT DISTINCT sc.table_name FROM collmine.staging_columns sc WHERE sc.source = p_source) t,
             collmine._cm_header_map(p_source, t.table_name, f) m
        GROUP BY t.table_name
        ORDER BY count(m.idx) DESC, count(*) FILTER (WHERE m.required AND m.idx IS NULL), t.table_name
        LIMIT 1;
        IF cand.matched IS NULL OR cand.matched = 0 THEN
            RAISE EXCEPTION 'file "%": its header matches no % export table', fname, p_source
                USING ERRCODE = 'undefined_table',
                      HINT = format('The header begins %s. Known %s tables: %s. Name the file after its table (e.g. %s.csv) or export it with the documented columns (docs/connectors.md).',
                                    left(hdr, 80), p_source,
                                    (SELECT string_agg(DISTINCT sc.table_name, ', ') FROM collmine.staging_columns sc WHERE sc.source = p_source),
                                    (SELECT min(sc.table_name) FROM collmine.staging_columns sc WHERE sc.source = p_source));
        END IF;
        SELECT t.table_name, count(m.idx) AS matched INTO second
        FROM (SELECT DISTINCT sc.table_name FROM collmine.staging_columns sc WHERE sc.source = p_source) t,
             collmine._cm_header_map(p_source, t.table_name, f) m
        WHERE t.table_name <> cand.table_name
        GROUP BY t.table_name
        HAVING count(*) FILTER (WHERE m.required AND m.idx IS NULL) = 0
        ORDER BY count(m.idx) DESC, t.table_name
        LIMIT 1;
        IF cand.lacking = 0 AND second.matched = cand.matched THEN
            RAISE EXCEPTION 'file "%": its header fits the % tables "%" and "%" equally', fname, p_source, cand.table_name, second.table_name
                USING ERRCODE = 'ambiguous_column',
                      HINT = format('Name the file after its table, e.g. %s.csv.', regexp_replace(cand.table_name, '[^A-Za-z0-9]+', '_', 'g'));
        END IF;
        tbl := cand.table_name;
    END IF;
    SELECT string_agg(format('"%s"', m.column_name), ', ' ORDER BY m.column_name) INTO miss
    FROM collmine._cm_header_map(p_source, tbl, f) m WHERE m.required AND m.idx IS NULL;
    IF miss IS NOT NULL THEN
        RAISE EXCEPTION 'file "%" (% table "%") lacks the required column%: %', fname, p_source, tbl,
                        CASE WHEN strpos(miss, ',') > 0 THEN 's' ELSE '' END, miss
            USING ERRCODE = 'undefined_column',
                  HINT = format('The export must have the columns %s, in any order.',
                      (SELECT string_agg(format('"%s"', sc.column_name), ', ' ORDER BY sc.position) FROM collmine.staging_columns sc
                       WHERE sc.source = p_source AND sc.table_name = tbl AND sc.required));
    END IF;
    RETURN QUERY
    SELECT tbl, d, cardinality(f),
           string_agg(format('%I', m.column_name), ', ' ORDER BY m.idx) FILTER (WHERE m.idx IS NOT NULL),
           string_agg('c' || m.idx, ', ' ORDER BY m.idx) FILTER (WHERE m.idx IS NOT NULL),
           (SELECT string_agg(coalesce(u.h, '(empty)'), ', ' ORDER BY u.o) FROM unnest(f) WITH ORDINALITY AS u(h, o)
             WHERE u.o <> ALL (SELECT mm.idx FROM collmine._cm_header_map(p_source, tbl, f) mm WHERE mm.idx IS NOT NULL)),
           string_agg(m.column_name, ', ' ORDER BY m.column_name) FILTER (WHERE m.idx IS NULL)
    FROM collmine._cm_header_map(p_source, tbl, f) m;
END
$$;

CREATE OR REPLACE FUNCTION collmine.import_csv(p_table regclass, p_delimiter text DEFAULT ',')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    nsp name;
    rel name;
    landing text;
    hdr text;
    hdr_line bigint;
    fields text[];
    want record;
    idx integer;
    cols text := '';
    vals text := '';
    src text;
    n bigint;
    bad record;
    other text;
BEGIN
    SELECT c.relnamespace::regnamespace::name, c.relname INTO nsp, rel FROM pg_class c WHERE c.oid = p_table;
    src := (SELECT min(source) FROM collmine.staging_columns WHERE table_name = rel);
    IF src IS NULL THEN
        RAISE EXCEPTION 'table % is not a collmine staging table', p_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Create staging tables with collmine.create_staging(source, schema) and name one of them.';
    END IF;
    IF p_delimiter IS NULL OR length(p_delimiter) <> 1 OR p_delimiter = '"' THEN
        RAISE EXCEPTION 'invalid delimiter "%"', p_delimiter
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give one character, such as '','' or '';'' or E''\t''.';
    END IF;
    landing := format('%I.csv_import', nsp);
    EXECUTE format('SELECT line_no, line FROM %s ORDER BY line_no LIMIT 1', landing) INTO hdr_line, hdr;
    IF hdr IS NULL THEN
        RAISE EXCEPTION 'nothing to import: % is empty', landing
            USING ERRCODE = 'no_data_found',
                  HINT = format('Land the file first: \copy %s(line) FROM PROGRAM ''tr -d "\r" < file.csv'' WITH (FORMAT csv, DELIMITER E''\x01'', QUOTE E''\x02''), or load the exports with collmine-load.', landing);
    END IF;
    hdr := regexp_replace(hdr, '^\ufeff', '');          -- byte order mark of Excel exports
    fields := collmine._cm_csv_split(hdr, p_delimiter);
    -- a header that stays one field but contains another usual delimiter: wrong delimiter
    IF cardinality(fields) = 1 THEN
        other := (SELECT d FROM unnest(ARRAY[',', ';', E'\t', '|']) d WHERE d <> p_delimiter AND strpos(hdr, d) > 0 LIMIT 1);
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'header of % is one column "%": the file is delimited by "%", not "%"', p_table, left(hdr, 60), other, p_delimiter
                USING ERRCODE = 'bad_copy_file_format',
                      HINT = format('Import it with SELECT collmine.import_csv(%L, %L);', p_table::text, other);
        END IF;
    END IF;
    FOR want IN SELECT * FROM collmine._cm_header_map(src, rel, fields) LOOP
        idx := want.idx;
        IF idx IS NULL AND want.required THEN
            RAISE EXCEPTION 'column "%" is missing from the header of the file for %', want.column_name, p_table
                USING ERRCODE = 'undefined_column',
                      HINT = format('The export must have the columns %s.',
                          (SELECT string_agg(format('"%s"', column_name), ', ' ORDER BY position) FROM collmine.staging_columns
                           WHERE source = src AND table_name = rel AND required));
        END IF;
        IF idx IS NOT NULL THEN
            cols := cols || CASE WHEN cols = '' THEN '' ELSE ', ' END || format('%I', want.column_name);
            vals := vals || CASE WHEN vals = '' THEN '' ELSE ', ' END || format('f[%s]', idx);
        END IF;
    END LOOP;

    DROP TABLE IF EXISTS pg_temp._cm_csv;
    CREATE TEMP TABLE _cm_csv (line_no bigint, f text[]);
    -- join physical lines of a record whose quoted field spans a line break
    EXECUTE format($q$
        INSERT INTO pg_temp._cm_csv
        SELECT min(line_no), collmine._cm_csv_split(string_agg(line, E'\n' ORDER BY line_no), %L)
        FROM (SELECT line_no, line,
                     sum(CASE WHEN open_before THEN 0 ELSE 1 END) OVER (ORDER BY line_no) AS rec
              FROM (SELECT line_no, line,
                           coalesce((sum(length(line) - length(replace(line, '"', ''))) OVER
                               (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) %% 2 = 1, false) AS open_before
                    FROM %s WHERE line_no > %s AND line IS NOT NULL AND line <> '') x) y
        GROUP BY rec$q$, p_delimiter, landing, hdr_line);
    SELECT c.line_no, cardinality(c.f) AS got INTO bad FROM _cm_csv c
    WHERE cardinality(c.f) <> cardinality(fields) ORDER BY c.line_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'line % of the file for % has % fields, the header has %', bad.line_no - hdr_line + 1, p_table, bad.got, cardinality(fields)
            USING ERRCODE = 'bad_copy_file_format',
                  HINT = 'Check the delimiter and the quoting of that line: fields that contain the delimiter must be in double quotes.';
    END IF;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pg_temp._cm_csv ORDER BY line_no', p_table, cols, vals);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format('TRUNCATE %s', landing);
    DROP TABLE pg_temp._cm_csv;
    RETURN n;
END
$$;

-- _cm_finish gains one line at its end (PERFORM collmine._cm_drop_workspace();). It is patched
-- in place rather than restated, so that another 0.2.0 fragment that replaces _cm_finish and
-- sorts before this one keeps its changes.
DO $patch$
DECLARE
    f regprocedure := 'collmine._cm_finish(text, name, jsonb)'::regprocedure;
    def text := pg_catalog.pg_get_functiondef(f);
    tail text := E'    GROUP BY t.rank, t.activity ORDER BY t.rank;\n';
BEGIN
    IF pg_catalog.strpos(def, 'collmine._cm_drop_workspace()') = 0 THEN
        IF pg_catalog.strpos(def, tail) = 0 THEN
            RAISE EXCEPTION 'collmine upgrade: unexpected definition of collmine._cm_finish';
        END IF;
        EXECUTE pg_catalog.replace(def, tail, tail || E'    PERFORM collmine._cm_drop_workspace();\n');
    END IF;
END
$patch$;

-- The SELECT of one dashboard view over the log in log_schema (%1$I = schema, %2$L = its name
-- as a literal for collmine function calls).
CREATE OR REPLACE FUNCTION collmine._dashboard_sql(dashboard text, log_schema name)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q text;
BEGIN
    CASE dashboard
    WHEN 'collection_strategy_by_segment' THEN q := $v$
WITH s AS (SELECT * FROM collmine.invoice_snapshot(%2$L, NULL, 'segment')),
     d AS (SELECT f.case_id, f.paid_within
             FROM collmine.followup_events(%2$L, 'Overdue Reminder Sent', 30, true) f),
     c AS (SELECT f.case_id, count(*) AS calls, count(*) FILTER (WHERE f.paid_within) AS ok
             FROM collmine.followup_events(%2$L, 'Collection Call Made', 14, false) f
            GROUP BY f.case_id)
SELECT coalesce(s.group_value, '(none)')::text AS segment,
       coalesce(s.currency, '(none)')::text AS currency,
       count(*)::bigint AS invoices,
       (count(*) FILTER (WHERE s.status = 'open'))::bigint AS open_invoices,
       coalesce(sum(s.open_amount), 0)::numeric AS open_amount,
       coalesce(sum(s.open_amount) FILTER (WHERE s.days_past_due > 0), 0)::numeric AS overdue_amount,
       count(d.case_id)::bigint AS dunned_invoices,
       ((count(*) FILTER (WHERE d.paid_within))::numeric / nullif(count(d.case_id), 0))::numeric AS dunning_success_rate,
       coalesce(sum(c.calls), 0)::bigint AS calls,
       (sum(c.ok)::numeric / nullif(sum(c.calls), 0))::numeric AS contact_success_rate,
       (avg(greatest(s.settled_at::date - s.due_date, 0)) FILTER (WHERE s.status = 'settled' AND s.due_date IS NOT NULL))::numeric AS avg_days_late,
       ((count(*) FILTER (WHERE s.status = 'settled' AND s.settled_at::date <= s.due_date))::numeric
         / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.due_date IS NOT NULL), 0))::numeric AS on_time_rate,
       (count(*) FILTER (WHERE s.status = 'written_off'))::bigint AS written_off_invoices,
       ((count(*) FILTER (WHERE s.status = 'written_off'))::numeric
         / nullif(count(*) FILTER (WHERE s.status <> 'open'), 0))::numeric AS write_off_rate_by_count,
       (sum(s.written_off_amount) / nullif(sum(s.amount) FILTER (WHERE s.status <> 'open'), 0))::numeric AS write_off_rate_by_value
  FROM s LEFT JOIN d ON d.case_id = s.case_id LEFT JOIN c ON c.case_id = s.case_id
 GROUP BY 1, 2
$v$;
    WHEN 'overdue_invoices_aging' THEN q := $v$
WITH s AS (SELECT * FROM collmine.invoice_snapshot(%2$L)),
     ev AS (SELECT e.case_id::text AS case_id,
                   count(*) FILTER (WHERE e.activity = 'Overdue Reminder Sent') AS reminders,
                   count(*) FILTER (WHERE e.activity = 'Collection Call Made') AS calls,
                   count(*) FILTER (WHERE e.activity = 'Dispute Registered')
                     - count(*) FILTER (WHERE e.activity = 'Dispute Resolved') AS open_disputes
              FROM %1$I.events e GROUP BY 1),
     la AS (SELECT DISTINCT ON (e.case_id) e.case_id::text AS case_id, e.activity::text AS activity, e.ts
              FROM %1$I.events e ORDER BY e.case_id, e.ts DESC, e.ord DESC)
SELECT s.case_id::text AS case_id,
       i.customer_id::text AS customer_id,
       i.customer_name::text AS customer_name,
       i.segment::text AS segment,
       i.collector::text AS collector,
       s.currency::text AS currency,
       s.amount::numeric AS amount,
       s.open_amount::numeric AS open_amount,
       s.invoice_date::date AS invoice_date,
       s.due_date::date AS due_date,
       s.days_past_due::integer AS days_past_due,
       s.aging_bucket::text AS aging_bucket,
       coalesce(ev.reminders, 0)::integer AS reminders_sent,
       coalesce(ev.calls, 0)::integer AS calls_made,
       (coalesce(ev.open_disputes, 0) > 0)::boolean AS in_dispute,
       (CASE WHEN coalesce(ev.open_disputes, 0) > 0 THEN 'in dispute'
             WHEN coalesce(ev.calls, 0) > 0 THEN 'called'
             WHEN coalesce(ev.reminders, 0) > 0 THEN 'dunning'
             WHEN s.days_past_due > 0 THEN 'overdue, no action'
             ELSE 'not yet due' END)::text AS collection_status,
       la.activity::text AS last_activity,
       la.ts::timestamptz AS last_activity_at,
       s.as_of_date::date AS as_of_date
  FROM s JOIN %1$I.invoices i ON i.case_id::text = s.case_id
         LEFT JOIN ev ON ev.case_id = s.case_id
         LEFT JOIN la ON la.case_id = s.case_id
 WHERE s.open_amount > 0
$v$;
    WHEN 'dispute_resolution_time' THEN q := $v$
SELECT p.case_id::text AS case_id,
       p.pair_no::integer AS dispute_no,
       i.dispute_reason::text AS dispute_reason,
       i.segment::text AS segment,
       i.customer_name::text AS customer_name,
       i.collector::text AS collector,
       i.currency::text AS currency,
       i.amount::numeric AS amount,
       p.started_at::timestamptz AS registered_at,
       p.ended_at::timestamptz AS resolved_at,
       (CASE WHEN p.ended_at IS NULL THEN 'open' ELSE 'resolved' END)::text AS status,
       p.duration_days::numeric AS resolution_days,
       (CASE WHEN p.ended_at IS NULL
             THEN extract(epoch FROM mx.last_ts - p.started_at)::numeric / 86400 END)::numeric AS open_days
  FROM collmine.activity_pairs(%2$L, 'Dispute Registered', 'Dispute Resolved') p
       LEFT JOIN %1$I.invoices i ON i.case_id::text = p.case_id
       CROSS JOIN (SELECT max(e.ts) AS last_ts FROM %1$I.events e) mx
$v$;
    WHEN 'write_off_root_causes' THEN q := $v$
SELECT r.attribute::text AS attribute,
       r.value::text AS value,
       r.cases::bigint AS cases,
       r.outcome_cases::bigint AS written_off_cases,
       r.outcome_rate::numeric AS write_off_rate,
       r.baseline_rate::numeric AS baseline_rate,
       r.lift::numeric AS lift,
       r.support::numeric AS support,
       r.outcome_share::numeric AS share_of_write_offs,
       r.excess_outcomes::numeric AS excess_write_offs,
       r.z_score::double precision AS z_score,
       r.p_value::double precision AS p_value,
       r.rank_in_attribute::bigint AS rank_in_attribute
  FROM collmine.root_causes(%2$L, 'written_off') r
$v$;
    WHEN 'manual_activity_impact' THEN q := $v$
WITH ev AS (SELECT e.case_id::text AS case_id, e.activity::text AS activity, e.is_automated
              FROM %1$I.events e),
     a AS (SELECT ev.activity, count(*) AS n,
                  count(*) FILTER (WHERE NOT ev.is_automated) AS manual,
                  count(*) FILTER (WHERE ev.is_automated) AS auto,
                  count(*) FILTER (WHERE ev.is_automated IS NULL) AS unknown
             FROM ev GROUP BY ev.activity),
     ca AS (SELECT ev.activity, ev.case_id, coalesce(bool_or(NOT ev.is_automated), false) AS any_manual
              FROM ev GROUP BY ev.activity, ev.case_id),
     cs AS (SELECT s.case_id,
                   CASE WHEN s.status = 'settled'
                        THEN extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400 END AS cycle_days,
                   CASE WHEN s.status = 'settled' AND s.due_date IS NOT NULL
                        THEN (s.settled_at::date <= s.due_date)::integer END AS on_time
              FROM collmine.invoice_snapshot(%2$L) s)
SELECT a.activity::text AS activity,
       a.n::bigint AS events,
       a.manual::bigint AS manual_events,
       a.auto::bigint AS automated_events,
       a.unknown::bigint AS unknown_events,
       (a.manual::numeric / nullif(a.manual + a.auto, 0))::numeric AS manual_share,
       count(ca.case_id)::bigint AS cases,
       (count(*) FILTER (WHERE ca.any_manual))::bigint AS cases_with_manual,
       (avg(cs.cycle_days) FILTER (WHERE ca.any_manual))::numeric AS avg_cycle_days_with_manual,
       (avg(cs.cycle_days) FILTER (WHERE NOT ca.any_manual))::numeric AS avg_cycle_days_without_manual,
       (avg(cs.on_time) FILTER (WHERE ca.any_manual))::numeric AS on_time_rate_with_manual,
       (avg(cs.on_time) FILTER (WHERE NOT ca.any_manual))::numeric AS on_time_rate_without_manual
  FROM a JOIN ca ON ca.activity = a.activity LEFT JOIN cs ON cs.case_id = ca.case_id
 GROUP BY a.activity, a.n, a.manual, a.auto, a.unknown
$v$;
    WHEN 'payment_posting_lag' THEN q := $v$
SELECT date_trunc('month', p.started_at)::date AS month,
       count(*)::bigint AS payments,
       count(p.ended_at)::bigint AS posted,
       (count(*) - count(p.ended_at))::bigint AS unposted,
       avg(p.duration_days)::numeric AS avg_lag_days,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_days))::numeric AS median_lag_days,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration_days))::numeric AS p90_lag_days,
       max(p.duration_days)::numeric AS max_lag_days,
       ((count(*) FILTER (WHERE p.ended_at::date = p.started_at::date))::numeric
         / nullif(count(p.ended_at), 0))::numeric AS posted_same_day_rate
  FROM collmine.activity_pairs(%2$L, 'Payment Received', 'Payment Posted') p
 GROUP BY 1
$v$;
    WHEN 'payment_terms_compliance' THEN q := $v$
WITH s AS (SELECT x.*, x.settled_at::date AS sd,
                  coalesce(x.invoice_date + x.terms_days, x.due_date) AS terms_due,
                  x.due_date - (x.invoice_date + x.terms_days) AS dev
             FROM collmine.invoice_snapshot(%2$L, NULL, 'terms') x)
SELECT coalesce(s.group_value, '(none)')::text AS terms,
       min(s.terms_days)::integer AS terms_days,
       count(*)::bigint AS invoices,
       (count(*) FILTER (WHERE s.status = 'settled' AND s.terms_due IS NOT NULL))::bigint AS settled_invoices,
       (count(*) FILTER (WHERE s.status = 'settled' AND s.sd <= s.terms_due))::bigint AS paid_within_terms,
       ((count(*) FILTER (WHERE s.status = 'settled' AND s.sd <= s.terms_due))::numeric
         / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.terms_due IS NOT NULL), 0))::numeric AS compliance_rate,
       (avg(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd > s.terms_due))::numeric AS avg_days_beyond_terms,
       (max(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd > s.terms_due))::integer AS max_days_beyond_terms,
       (count(*) FILTER (WHERE s.dev <> 0))::bigint AS due_date_deviations,
       ((count(*) FILTER (WHERE s.dev <> 0))::numeric / nullif(count(s.dev), 0))::numeric AS deviation_rate,
       (avg(s.dev) FILTER (WHERE s.dev <> 0))::numeric AS avg_due_date_deviation_days,
       (count(*) FILTER (WHERE s.open_amount > 0 AND s.as_of_date > s.terms_due))::bigint AS open_beyond_terms
  FROM s
 GROUP BY 1
$v$;
    WHEN 'invoice_to_cash_overview' THEN q := $v$
WITH s AS MATERIALIZED (SELECT * FROM collmine.invoice_snapshot(%2$L)),
     bounds AS (SELECT date_trunc('month', min(s.invoice_date)::timestamp)::date AS m0, max(s.as_of_date) AS last_day FROM s),
     -- the months in which the log has an event, plus the as_of month: as many as the data has,
     -- however far apart its first and last dates are
     active AS (SELECT DISTINCT date_trunc('month', e.ts::date::timestamp)::date AS m FROM %1$I.events e
                UNION SELECT date_trunc('month', b.last_day::timestamp)::date FROM bounds b),
     months AS (SELECT a.m AS month_start,
                       least((a.m + interval '1 month')::date - 1, b.last_day) AS month_end
                  FROM bounds b JOIN active a ON a.m BETWEEN b.m0 AND b.last_day),
     k AS (SELECT mo.month_start, r.*
             FROM months mo CROSS JOIN LATERAL collmine.receivables_kpis(%2$L, mo.month_start, mo.month_end) r),
     cyc AS (SELECT date_trunc('month', s.settled_at)::date AS m, s.currency, count(*) AS n,
                    avg(extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400) AS d
               FROM s WHERE s.status = 'settled' GROUP BY 1, 2),
     wo AS (SELECT date_trunc('month', s.written_off_at)::date AS m, s.currency, count(*) AS n,
                   sum(s.written_off_amount) AS v
              FROM s WHERE s.status = 'written_off' GROUP BY 1, 2)
SELECT k.month_start::date AS month,
       coalesce(k.currency, '(none)')::text AS currency,
       k.invoices_generated::bigint AS invoices_generated,
       k.credit_sales::numeric AS credit_sales,
       k.ending_ar::numeric AS ending_ar,
       k.ending_past_due_ar::numeric AS ending_past_due_ar,
       k.dso::numeric AS dso,
       k.dso_countback::numeric AS dso_countback,
       k.best_possible_dso::numeric AS best_possible_dso,
       k.average_days_delinquent::numeric AS average_days_delinquent,
       k.cei::numeric AS cei,
       coalesce(cyc.n, 0)::bigint AS settled_invoices,
       cyc.d::numeric AS avg_cycle_days,
       coalesce(wo.n, 0)::bigint AS written_off_invoices,
       coalesce(wo.v, 0)::numeric AS written_off_amount
  FROM k LEFT JOIN cyc ON cyc.m = k.month_start AND cyc.currency IS NOT DISTINCT FROM k.currency
         LEFT JOIN wo ON wo.m = k.month_start AND wo.currency IS NOT DISTINCT FROM k.currency
$v$;
    ELSE
        RAISE EXCEPTION 'unknown dashboard: %', dashboard
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Use one of: %s.', array_to_string(collmine.dashboard_names(), ', '));
    END CASE;
    RETURN format(q, log_schema, log_schema::text);
END
$$;

-- Create the dashboard views (and their materialized variants) for the log in log_schema,
-- in target_schema (created if missing). Returns the names of the relations created.
CREATE OR REPLACE FUNCTION collmine.create_dashboards(log_schema name, target_schema name,
                                           materialized boolean DEFAULT true,
                                           replace boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    mv_names text[];
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the schema for the dashboard views, e.g. collmine.create_dashboards(''erp_log'', ''dash'').';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;
    -- never touch a user's table or other relation that happens to carry a dashboard name
    SELECT array_agg(n || '_mv') INTO mv_names FROM unnest(collmine.dashboard_names()) n;
    SELECT c.oid::regclass::text INTO d
      FROM pg_class c
     WHERE c.relnamespace OPERATOR(pg_catalog.=) to_regnamespace(quote_ident(target_schema))
       AND c.relname::text OPERATOR(pg_catalog.=) ANY (collmine.dashboard_names() || mv_names)
       AND NOT ((c.relkind OPERATOR(pg_catalog.=) 'v' AND c.relname::text OPERATOR(pg_catalog.=) ANY (collmine.dashboard_names()))
             OR (c.relkind OPERATOR(pg_catalog.=) 'm' AND c.relname::text OPERATOR(pg_catalog.=) ANY (mv_names)))
     LIMIT 1;
    IF d IS NOT NULL THEN
        RAISE EXCEPTION 'relation % already exists and is not a collmine dashboard view', d
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Use another target schema; create_dashboards never drops tables or other relations.';
    END IF;
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        IF to_regclass(format('%I.%I', target_schema, d)) IS NOT NULL
           OR to_regclass(format('%I.%I', target_schema, d || '_mv')) IS NOT NULL THEN
            IF NOT replace THEN
                RAISE EXCEPTION 'relation "%.%" already exists', target_schema, d
                    USING ERRCODE = 'duplicate_table',
                          HINT = 'Pass replace => true to recreate the dashboards, or use another target schema.';
            END IF;
            PERFORM collmine.drop_dashboards(target_schema);
            EXIT;
        END IF;
    END LOOP;
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        -- security_invoker: the view reads the log with the querying role's rights and row-level
        -- security policies, not its owner's (the materialized variant holds what the refreshing
        -- role sees: docs/dashboards/README.md)
        EXECUTE format('CREATE VIEW %I.%I WITH (security_invoker = true) AS %s', target_schema, d, collmine._dashboard_sql(d, log_schema));
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', target_schema, d,
                       collmine._dashboard_question(d) || ' (collmine dashboard over ' || log_schema || ')');
        RETURN NEXT format('%I.%I', target_schema, d);
        IF materialized THEN
            EXECUTE format('CREATE MATERIALIZED VIEW %I.%I AS SELECT * FROM %I.%I',
                           target_schema, d || '_mv', target_schema, d);
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (%s)',
                           d || '_mv_key', target_schema, d || '_mv', collmine._dashboard_key(d));
            EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.%I IS %L', target_schema, d || '_mv',
                           'materialized ' || collmine._dashboard_question(d) || ' (refresh with collmine.refresh_dashboards)');
            RETURN NEXT format('%I.%I', target_schema, d || '_mv');
        END IF;
    END LOOP;
END
$$;

-- Rank the values of each attribute by outcome rate, with lift, support and significance.
CREATE OR REPLACE FUNCTION collmine.root_causes(log_schema name, outcome text, attributes text[] DEFAULT NULL,
                                     min_cases integer DEFAULT 1)
RETURNS TABLE (
    attribute text, value text, cases bigint, outcome_cases bigint, outcome_rate numeric,
    baseline_rate numeric, lift numeric, support numeric, outcome_share numeric,
    excess_outcomes numeric, z_score double precision, p_value double precision,
    rank_in_attribute bigint)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY INVOKER   -- unsafe: it opens a subtransaction
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    attrs text[];
    a text;
    parts text[] := '{}';
    expr text;
    ranked jsonb;
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF min_cases IS NULL OR min_cases < 1 THEN
        RAISE EXCEPTION 'invalid min_cases: %', min_cases
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of cases >= 1, e.g. 10.';
    END IF;
    expr := collmine._outcome_expr(log_schema, outcome);
    IF attributes IS NULL THEN
        SELECT array_agg(a.attname::text ORDER BY array_position(d.names, a.attname::text))
          INTO attrs
          FROM pg_attribute a,
               (SELECT ARRAY['segment', 'business_unit', 'collector', 'country', 'terms', 'customer_name',
                             'currency', 'dispute_reason', 'source_system']) AS d(names)
         WHERE a.attrelid OPERATOR(pg_catalog.=) to_regclass(format('%I.%I', log_schema, 'invoices'))
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname::text OPERATOR(pg_catalog.=) ANY (d.names);
    ELSE
        attrs := attributes;
    END IF;
    IF attrs IS NULL OR cardinality(attrs) = 0 THEN
        RAISE EXCEPTION 'no attributes to rank'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name invoices columns, e.g. ARRAY[''segment'', ''collector''].';
    END IF;
    FOREACH a IN ARRAY attrs LOOP
        -- validates the column name (error with the list of columns otherwise)
        PERFORM collmine._group_expr(log_schema, a);
        parts := parts || format('SELECT %L::text AS attribute, b.%I::text AS value, b.o FROM b', a, a);
    END LOOP;
    -- A custom outcome expression runs inside a block that is always rolled back, so whatever it
    -- changes in the session (set_config(..., false), for one) does not outlive the call; only the
    -- ranked rows, kept as jsonb, leave the block.
    BEGIN
        EXECUTE format($q$
        WITH b AS MATERIALIZED (
                 SELECT i.*, (%2$s)::boolean AS o FROM %1$I.invoices i),
             bb AS (SELECT * FROM b WHERE b.o IS NOT NULL),
             tot AS (SELECT count(*)::numeric AS n, (count(*) FILTER (WHERE bb.o))::numeric AS k FROM bb),
             av AS (%3$s),
             g AS (SELECT av.attribute, av.value, count(*)::numeric AS n,
                          (count(*) FILTER (WHERE av.o))::numeric AS k
                     FROM av WHERE av.o IS NOT NULL GROUP BY av.attribute, av.value),
             s AS (SELECT g.*, tot.n AS bn, tot.k AS bk,
                          CASE WHEN tot.n > g.n AND tot.k > 0 AND tot.k < tot.n THEN
                              ((g.k / g.n - (tot.k - g.k) / (tot.n - g.n))
                               / sqrt((tot.k / tot.n) * (1 - tot.k / tot.n) * (1 / g.n + 1 / (tot.n - g.n))))::double precision
                          END AS z
                     FROM g CROSS JOIN tot WHERE g.n >= $1),
             r AS (SELECT s.attribute, s.value, s.n::bigint AS cases, s.k::bigint AS outcome_cases,
                          s.k / s.n AS outcome_rate, s.bk / s.bn AS baseline_rate,
                          CASE WHEN s.bk > 0 THEN (s.k / s.n) / (s.bk / s.bn) END AS lift,
                          s.n / s.bn AS support,
                          CASE WHEN s.bk > 0 THEN s.k / s.bk END AS outcome_share,
                          s.k - s.n * s.bk / s.bn AS excess_outcomes,
                          s.z AS z_score,
                          collmine._erfc_pos(abs(s.z) / sqrt(2::double precision)) AS p_value,
                          row_number() OVER (PARTITION BY s.attribute ORDER BY s.k / s.n DESC, s.n DESC, s.value) AS rank_in_attribute
                     FROM s)
        SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY array_position($2, r.attribute), r.rank_in_attribute), '[]')
          FROM r
        $q$, log_schema, expr, array_to_string(parts, ' UNION ALL ')) INTO ranked USING min_cases, attrs;
        RAISE EXCEPTION USING ERRCODE = 'CMRB0';
    EXCEPTION WHEN SQLSTATE 'CMRB0' THEN
        NULL;
    END;
    RETURN QUERY
    SELECT e.j->>'attribute', e.j->>'value', (e.j->>'cases')::bigint, (e.j->>'outcome_cases')::bigint,
           (e.j->>'outcome_rate')::numeric, (e.j->>'baseline_rate')::numeric, (e.j->>'lift')::numeric,
           (e.j->>'support')::numeric, (e.j->>'outcome_share')::numeric, (e.j->>'excess_outcomes')::numeric,
           (e.j->>'z_score')::double precision, (e.j->>'p_value')::double precision,
           (e.j->>'rank_in_attribute')::bigint
      FROM jsonb_array_elements(ranked) WITH ORDINALITY AS e(j, n)
     ORDER BY e.n;
END
$$;

-- Dashboards made by 0.1.0 read the log with their owner's rights, past row-level security:
-- make them security_invoker where the upgrading role may, and say so where it may not.
DO $views$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.oid::regclass AS rel
               FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
              WHERE c.relkind = 'v' AND c.relname::text = ANY (collmine.dashboard_names())
                AND d.description LIKE '%(collmine dashboard over %'
                AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false) LOOP
        BEGIN
            EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', v.rel);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'dashboard view % still bypasses row-level security', v.rel
                USING HINT = pg_catalog.format('Its owner should run ALTER VIEW %s SET (security_invoker = true);', v.rel);
        END;
    END LOOP;
END
$views$;
