-- collmine install script, layer 1: ERP connectors, the parts every source shares.
--
-- A connector works in a schema that the user names and owns:
--   collmine.create_staging(source, schema)   creates the staging tables with the real export
--                                             column names (all text), the csv_import landing
--                                             table, and the canonical events/invoices tables;
--   \copy ... FROM 'file.csv' (FORMAT csv, HEADER true)   loads an export (fast path), or
--   collmine.import_csv(table, delimiter)     checks header and rows of a file landed in
--                                             <schema>.csv_import and fills the staging table;
--   collmine.<source>_build(schema, settings) derives the canonical log from the staging tables;
--   collmine.data_quality(schema)             lists every problem found by the last build.
--
-- Every table the connectors create is created by a function call, so it belongs to the caller
-- and DROP EXTENSION never drops it. The source-specific parts (41_netsuite.sql, 42_d365fo.sql,
-- 43_d365bc.sql) fill three temporary tables (invoices, applications, raw events); the shared
-- finishing step below turns those into the 15 template activities.

-- (collmine.template_activities(), the 15 activities, is in 05_vocabulary.sql with the roles.)

-- The export columns of every staging table, per source: the single description that
-- create_staging, import_csv and the docs rely on.
CREATE TABLE collmine.staging_columns (
    source      text    NOT NULL,
    table_name  text    NOT NULL,
    position    integer NOT NULL,
    column_name text    NOT NULL,
    required    boolean NOT NULL,
    PRIMARY KEY (source, table_name, position)
);
COMMENT ON TABLE collmine.staging_columns IS
    'export columns of each connector staging table; required columns must be present in a file given to import_csv';
-- every role that loads exports reads it (create_staging, import_csv, the builds, collmine-load)
GRANT SELECT ON collmine.staging_columns TO PUBLIC;

-- Register the columns of one staging table (used only by this install script).
CREATE FUNCTION collmine._cm_def(p_source text, p_table text, p_columns text[], p_required text[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, collmine
AS $$
    INSERT INTO collmine.staging_columns (source, table_name, position, column_name, required)
    SELECT p_source, p_table, o::integer, c, c OPERATOR(pg_catalog.=) ANY (p_required)
    FROM pg_catalog.unnest(p_columns) WITH ORDINALITY AS u(c, o)
$$;

-- Known sources and their ERP names, for messages.
CREATE FUNCTION collmine._cm_check_source(p_source text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF p_source IS NULL OR p_source NOT IN ('netsuite', 'd365fo', 'd365bc') THEN
        RAISE EXCEPTION 'unknown source "%"', p_source
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of ''netsuite'', ''d365fo'' (Dynamics 365 Finance & Operations), ''d365bc'' (Business Central).';
    END IF;
    RETURN p_source;
END
$$;

-- An invoice's status from its closing events: the one derivation, used by the KPIs'
-- invoice_snapshot (events by the as-of date) and the connectors' invoices.status (issue 11.2).
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._invoice_status(settled_at timestamptz, written_off_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN written_off_at IS NOT NULL THEN 'written_off'
                WHEN settled_at IS NOT NULL THEN 'settled' ELSE 'open' END
$$;

-- When a settled invoice counts as paid: by basis 'payment_received' (the data template's
-- reading and the default) its last Payment Received, or the settlement when no payment settled
-- it (a credit memo); by basis 'settled' its settlement. NULL unless settled. The one place
-- that says so: _paid_on_time and collmine.invoice_facts (paid_at, days_late) read it.
CREATE FUNCTION collmine._paid_at(status text, settled_at timestamptz, basis text, payment_received_at timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN status OPERATOR(pg_catalog.=) 'settled'
                THEN coalesce(CASE WHEN basis OPERATOR(pg_catalog.=) 'payment_received' THEN payment_received_at END,
                              settled_at) END
$$;

-- Paid on time: the one definition of this business fact, used by collmine.invoice_facts (and
-- through it the KPI payment_behaviour and the root cause paid_late) and the connectors'
-- invoices.paid_on_time (issue 11.2). A settled invoice is paid on time when it was paid
-- (_paid_at) before the end of its due date in time zone tz (paid on the due date itself
-- counts); a written-off invoice never is; an open invoice, or a settled one without a due
-- date, has no answer (NULL). The connectors pass their build setting "timezone", the KPIs the
-- session's TimeZone. basis: 'payment_received' (the template: the last Payment Received on or
-- before the due date) or 'settled' (the settlement; the default before 0.2.0). The KPIs take
-- it as the argument on_time_basis, the connectors as the setting "paid_on_time"
-- (docs/kpis.md, "Paid on time: one definition").
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._paid_on_time(status text, settled_at timestamptz, due_date date, tz text,
                                       basis text DEFAULT 'settled', payment_received_at timestamptz DEFAULT NULL)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN status OPERATOR(pg_catalog.=) 'written_off' THEN false
                WHEN status OPERATOR(pg_catalog.=) 'settled'
                    THEN collmine._paid_at(status, settled_at, basis, payment_received_at) OPERATOR(pg_catalog.<)
                         pg_catalog.timezone(tz, (due_date OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamp) END
$$;

-- Days overdue, the data template's "(Current Date or Payment Date) - Due Date", signed: zero
-- or less means not overdue (negative: paid, or still, that many days before the due date). The
-- one definition, used by the connectors' invoices.days_overdue and collmine.invoice_facts
-- (days_overdue, and days_late = its positive part for paid invoices). The day it counts to:
-- for a settled invoice its pay date, the date in time zone tz of paid_at (collmine._paid_at,
-- the same moment _paid_on_time judges: the last Payment Received, or the settlement when no
-- payment settled it, e.g. a credit memo); for a written-off invoice the day it was written off
-- (it stopped being a receivable then, and it was never paid); for an open invoice as_of_date,
-- the data's "current date". NULL without a due date.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._days_overdue(status text, paid_at timestamptz, written_off_at timestamptz,
                                       as_of_date date, due_date date, tz text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE status WHEN 'settled' THEN pg_catalog.timezone(tz, paid_at)::pg_catalog.date
                       WHEN 'written_off' THEN pg_catalog.timezone(tz, written_off_at)::pg_catalog.date
                       ELSE as_of_date END OPERATOR(pg_catalog.-) due_date
$$;

-- Invoice To Cash Cycle Time, the data template's "Timestamp('Invoice Settled') -
-- Timestamp('Invoice Generated')": only for a settled invoice (a write-off is not a
-- settlement: NULL, as for an open invoice). The one definition, used by the connectors'
-- invoices.cycle_time and collmine.invoice_facts.
CREATE FUNCTION collmine._cycle_time(status text, settled_at timestamptz, generated_at timestamptz)
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN status OPERATOR(pg_catalog.=) 'settled' THEN settled_at OPERATOR(pg_catalog.-) generated_at END
$$;

-- The data template's Payment Posting Lag of one invoice, "Timestamp('Payment Posted') -
-- Timestamp('Payment Received')": for an invoice paid in several payments, the mean over k of its
-- k-th Payment Posted minus its k-th Payment Received in (ts, ord) order, over the k that have
-- both (the pairing of the KPI posting_lag, collmine.activity_pairs, whose pairs the aggregates
-- _paired_starts and _paired_ends below take from the same state); NULL when no k has both.
-- An aggregate over the invoice's receipts (received true) and postings (false), in any input
-- order (src/payment_lag.c): each difference is timestamptz - timestamptz, and the mean is
-- avg(interval)'s (interval_pl, then interval_div by the number of pairs); the order key is not
-- an argument because it only orders equal timestamps, whose intervals are equal. Internal
-- state with combine, serialize and deserialize, so that a grouping with it runs in parallel.
CREATE FUNCTION collmine._posting_lag_trans(internal, timestamptz, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'posting_lag_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._posting_lag_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'posting_lag_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._posting_lag_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'posting_lag_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine._posting_lag_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'posting_lag_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION collmine._posting_lag_final(internal) RETURNS interval
    AS 'MODULE_PATHNAME', 'posting_lag_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._posting_lag(ts timestamptz, received boolean) (
    SFUNC = collmine._posting_lag_trans,
    STYPE = internal,
    SSPACE = 96,
    FINALFUNC = collmine._posting_lag_final,
    COMBINEFUNC = collmine._posting_lag_combine,
    SERIALFUNC = collmine._posting_lag_serialize,
    DESERIALFUNC = collmine._posting_lag_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine._posting_lag(timestamptz, boolean) IS
    'an invoice''s payment posting lag: the mean over k of its k-th posting minus its k-th receipt (received true), in time order; NULL without a pair';

-- The pairs of collmine.activity_pairs (and of every duration KPI) of one case: its k-th start
-- (is_start true) with its k-th end (false) in time order, NULL times last, as two arrays of one
-- element per start: _paired_starts the starts, _paired_ends each one's end (NULL when the case
-- has fewer ends); NULL when the case has no start. The same state and pairing as
-- _posting_lag's (src/payment_lag.c), so the posting lag and the payment pairs are paired by one
-- definition, and the two aggregates over the same arguments keep one state per group.
CREATE FUNCTION collmine._paired_starts_final(internal) RETURNS timestamptz[]
    AS 'MODULE_PATHNAME', 'paired_starts_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION collmine._paired_ends_final(internal) RETURNS timestamptz[]
    AS 'MODULE_PATHNAME', 'paired_ends_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE collmine._paired_starts(ts timestamptz, is_start boolean) (
    SFUNC = collmine._posting_lag_trans,
    STYPE = internal,
    SSPACE = 96,
    FINALFUNC = collmine._paired_starts_final,
    COMBINEFUNC = collmine._posting_lag_combine,
    SERIALFUNC = collmine._posting_lag_serialize,
    DESERIALFUNC = collmine._posting_lag_deserialize,
    PARALLEL = SAFE
);
CREATE AGGREGATE collmine._paired_ends(ts timestamptz, is_start boolean) (
    SFUNC = collmine._posting_lag_trans,
    STYPE = internal,
    SSPACE = 96,
    FINALFUNC = collmine._paired_ends_final,
    COMBINEFUNC = collmine._posting_lag_combine,
    SERIALFUNC = collmine._posting_lag_serialize,
    DESERIALFUNC = collmine._posting_lag_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE collmine._paired_starts(timestamptz, boolean) IS
    'a case''s starts (is_start true) in time order, one per pair of activity_pairs; NULL without a start';
COMMENT ON AGGREGATE collmine._paired_ends(timestamptz, boolean) IS
    'the end of each of a case''s pairs of activity_pairs: its k-th end (is_start false) in time order, NULL when it has fewer ends';

-- The payment facts of an invoice as the SQL of two aggregate columns over its events (aliased
-- e), for a grouping by case: last_received_at (its last Payment Received) and posting_lag
-- (collmine._posting_lag over its receipts and postings). The one definition, in the connectors'
-- invoices (_payment_facts_sql) and in invoice_facts (inside the snapshot's one grouped pass over
-- the events, _snapshot_query). received, posted: SQL expressions of text[] (the activities of
-- each role; an activity of both counts as received).
CREATE FUNCTION collmine._payment_facts_columns(received text, posted text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
AS $$
    SELECT pg_catalog.format($q$max(e.ts) FILTER (WHERE e.activity = ANY (%1$s)) AS last_received_at,
               collmine._posting_lag(e.ts, e.activity = ANY (%1$s))
                   FILTER (WHERE e.activity = ANY (%1$s) OR e.activity = ANY (%2$s)) AS posting_lag$q$,
        received, posted)
$$;

-- The payment facts of each case of an event log, as the text of a query for EXECUTE with the
-- columns case_id, last_received_at and posting_lag (_payment_facts_columns), run by the
-- connectors' invoices (last_received_at for paid_on_time and days_overdue, posting_lag).
-- events: a relation or parenthesized subquery with case_id, activity, ts; received, posted:
-- SQL expressions of text[] (the activities of each role); until: an SQL expression of
-- timestamptz (events before it count).
CREATE FUNCTION collmine._payment_facts_sql(events text, received text, posted text, until text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
AS $$
    SELECT pg_catalog.format($q$
        SELECT e.case_id::text AS case_id, %5$s
          FROM %1$s e
         WHERE (e.activity = ANY (%2$s) OR e.activity = ANY (%3$s)) AND e.ts < %4$s
         GROUP BY e.case_id::text$q$, events, received, posted, until,
         collmine._payment_facts_columns(received, posted))
$$;

-- Create the canonical event log and invoice tables (docs/architecture.md) and the table that
-- keeps the data-quality findings of the last build, if they do not exist yet.
CREATE FUNCTION collmine.create_event_log(log_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists
    IF to_regnamespace(quote_ident(log_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', log_schema);
    END IF;
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.events (
        case_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
        user_id text, is_automated boolean, amount numeric, currency text,
        source_system text, source_ref text)$f$, log_schema);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.invoices (
        case_id text PRIMARY KEY, customer_id text, customer_name text, segment text,
        business_unit text, collector text, country text, terms text, currency text, status text,
        dispute_reason text, source_system text, terms_days integer, invoice_date date,
        due_date date, amount numeric, amount_paid numeric, amount_credited numeric,
        amount_written_off numeric, open_amount numeric, settled_at timestamptz,
        written_off_at timestamptz, days_overdue integer, paid_on_time boolean,
        cycle_time interval, posting_lag interval, last_data_update timestamptz,
        source_status text, credit_limit numeric)$f$, log_schema);
    -- invoices tables made by 0.1.0 get the columns added since (only when missing: no lock)
    PERFORM collmine._cm_add_columns(log_schema, 'invoices', ARRAY['source_status text', 'credit_limit numeric']);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.quality_issues (
        source_system text NOT NULL, check_name text NOT NULL, severity text NOT NULL,
        source_table text, source_ref text, case_id text, detail text)$f$, log_schema);
    -- customer-level events (credit-limit requests and approvals, calls about no invoice), once each
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.customer_events (
        customer_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
        user_id text, is_automated boolean, detail text, source_system text, source_ref text)$f$, log_schema);
    -- every application of a payment, credit memo or write-off to an invoice, with the payment's
    -- own posting and whether the application was re-made later (payment-application rework)
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.applications (
        case_id text NOT NULL, kind text NOT NULL, document text, amount numeric, currency text,
        document_at timestamptz, posted_at timestamptz, applied_at timestamptz, reapplied boolean,
        source_system text, source_ref text)$f$, log_schema);
    -- the log's activity names per role (empty: the template's names; docs/vocabulary.md)
    PERFORM collmine._create_vocabulary(log_schema);
    -- CREATE INDEX IF NOT EXISTS takes a SHARE lock on events even when the index exists, and
    -- would hold it for the whole build
    IF to_regclass(format('%I.events_case_ts', log_schema)) IS NULL THEN
        EXECUTE format('CREATE INDEX events_case_ts ON %I.events (case_id, ts, ord)', log_schema);
    END IF;
END
$$;
COMMENT ON FUNCTION collmine.create_event_log(name) IS
    'create <schema>.events, invoices, quality_issues, customer_events, applications and vocabulary (owned by the caller) if missing';

-- Add the columns (given as 'name type') that a table made by an earlier version lacks.
CREATE FUNCTION collmine._cm_add_columns(p_schema name, p_table name, p_columns text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY p_columns LOOP
        IF NOT collmine._has_column(format('%I.%I', p_schema, p_table)::regclass, split_part(c, ' ', 1)) THEN
            EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I %s', p_schema, p_table, split_part(c, ' ', 1), split_part(c, ' ', 2));
        END IF;
    END LOOP;
END
$$;

-- Create the staging tables of a source that do not exist yet (all columns text). The builds
-- call it so that a staging schema made by an earlier version gets the tables added since; they
-- never add a column, so that a required column missing from a user's table stays an error.
CREATE FUNCTION collmine._cm_create_missing_tables(p_source text, p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    t text;
    cols text;
BEGIN
    FOR t, cols IN
        SELECT table_name, string_agg(format('%I text', column_name), ', ' ORDER BY position)
        FROM collmine.staging_columns WHERE source = p_source
        GROUP BY table_name ORDER BY min(position), table_name
    LOOP
        IF to_regclass(format('%I.%I', p_schema, t)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I.%I (%s)', p_schema, t, cols);
        END IF;
    END LOOP;
END
$$;

-- Create the staging tables of one source in a schema the caller owns; existing tables are kept
-- and get the export columns added since.
CREATE FUNCTION collmine.create_staging(source text, log_schema name)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    t text;
    c text;
BEGIN
    PERFORM collmine._cm_check_source(source);
    PERFORM collmine.create_event_log(log_schema);
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I.csv_import (line_no bigint GENERATED ALWAYS AS IDENTITY, line text)', log_schema);
    PERFORM collmine._cm_create_missing_tables(source, log_schema);
    FOR t IN
        SELECT table_name FROM collmine.staging_columns WHERE staging_columns.source = create_staging.source
        GROUP BY table_name ORDER BY min(position), table_name
    LOOP
        -- a table made by an earlier version gets the export columns added since
        FOR c IN SELECT sc.column_name FROM collmine.staging_columns sc
                 WHERE sc.source = create_staging.source AND sc.table_name = t
                   AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                   WHERE a.attrelid = format('%I.%I', log_schema, t)::regclass
                                     AND a.attname = sc.column_name AND a.attnum > 0 AND NOT a.attisdropped)
                 ORDER BY sc.position LOOP
            EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I text', log_schema, t, c);
        END LOOP;
        RETURN NEXT format('%I.%I', log_schema, t)::regclass;
    END LOOP;
END
$$;
COMMENT ON FUNCTION collmine.create_staging(text, name) IS
    'create the staging tables of a source (netsuite, d365fo, d365bc) with the real export column names, plus events/invoices, in a schema the caller owns; existing tables are kept and get missing columns added';

-- ---------------------------------------------------------------------------------------------
-- Settings. Each build takes a jsonb of settings merged over the source defaults; unknown keys
-- are an error so that a typo never silently falls back to a default.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION collmine.connector_settings(source text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    common jsonb := '{"date_format": "YYYY-MM-DD", "timestamp_format": null, "timezone": "UTC",
                      "as_of": null, "on_error": "error", "min_date": "1900-01-01", "max_years_ahead": 5,
                      "customer_events_on_invoices": "none", "due_date_passed_at": "due_date",
                      "paid_on_time": "payment_received"}';
BEGIN
    PERFORM collmine._cm_check_source(source);
    RETURN common || CASE source
        WHEN 'netsuite' THEN '{
            "dispute_field": "CUSTBODY_DISPUTE_STATUS",
            "dispute_resolved_values": ["", "Resolved", "Closed"],
            "dunning_level_field": "CUSTBODY_3805_DUNNING_LEVEL",
            "dispute_reason_field": null,
            "dunning_ignored_statuses": ["Cancelled", "Rejected", "Failed"],
            "writeoff_memo_pattern": "write.?off|bad debt",
            "credit_limit_field": "CREDITLIMIT",
            "credit_limit_request_field": "CUSTENTITY_CREDIT_LIMIT_REQUEST",
            "customer_recordtypeid": "-2",
            "transaction_recordtypeid": "-30",
            "automated_users": ["-4"],
            "interactive_contexts": ["UIF"],
            "call_time_field": "createddate",
            "call_invoice_in_text": true,
            "reapplication_after": "1 hour",
            "country_source": "customer"}'::jsonb
        WHEN 'd365fo' THEN '{
            "call_types": ["Call"],
            "writeoff_transtypes": ["WriteOff"],
            "automated_users": ["Batch"]}'::jsonb
        ELSE '{
            "writeoff_reason_codes": ["WRITEOFF", "BADDEBT"],
            "dispute_field": "Dispute Status",
            "dispute_resolved_values": [""],
            "local_currency": null,
            "credit_limit_field": "Credit Limit (LCY)",
            "automated_users": ["JOBQUEUE"]}'::jsonb
    END;
END
$$;
COMMENT ON FUNCTION collmine.connector_settings(text) IS
    'default load settings of a source; pass overrides as jsonb to the build function';

-- Merge user settings over the defaults, rejecting unknown keys and bad values.
CREATE FUNCTION collmine._cm_settings(p_source text, p_settings jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    d jsonb := collmine.connector_settings(p_source);
    k text;
    s jsonb;
    bad boolean;
BEGIN
    FOR k IN SELECT jsonb_object_keys(coalesce(p_settings, '{}')) LOOP
        IF NOT d ? k THEN
            RAISE EXCEPTION 'unknown % setting "%"', p_source, k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Valid settings: %s.', (SELECT string_agg(x, ', ' ORDER BY x) FROM jsonb_object_keys(d) x));
        END IF;
    END LOOP;
    s := d || coalesce(p_settings, '{}');
    -- every value has the type of its default: a list stays a list of strings, a string a
    -- non-empty string, a number a number; settings whose default is null take a string or null
    FOR k IN SELECT jsonb_object_keys(s) LOOP
        bad := CASE jsonb_typeof(d->k)
               WHEN 'array' THEN jsonb_typeof(s->k) IS DISTINCT FROM 'array'
                                 OR EXISTS (SELECT 1 FROM jsonb_array_elements(s->k) x WHERE jsonb_typeof(x) <> 'string')
               WHEN 'string' THEN jsonb_typeof(s->k) IS DISTINCT FROM 'string' OR btrim(s->>k) = ''
               WHEN 'number' THEN jsonb_typeof(s->k) IS DISTINCT FROM 'number'
               WHEN 'boolean' THEN jsonb_typeof(s->k) IS DISTINCT FROM 'boolean'
               ELSE jsonb_typeof(s->k) NOT IN ('string', 'null') OR coalesce(btrim(s->>k), 'x') = '' END;
        IF bad IS NOT FALSE THEN
            RAISE EXCEPTION 'invalid % setting "%": %', p_source, k, coalesce((s->k)::text, 'missing')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('"%s" takes %s; the default is %s.', k,
                          CASE jsonb_typeof(d->k) WHEN 'array' THEN 'a list of strings' WHEN 'string' THEN 'a non-empty string'
                               WHEN 'number' THEN 'a number' WHEN 'boolean' THEN 'true or false' ELSE 'a non-empty string or null' END,
                          d->k);
        END IF;
    END LOOP;
    PERFORM collmine._cm_setting_check(p_source, 'on_error', s->'on_error', s->>'on_error' IN ('error', 'report'),
        'Use "error" (stop at the first malformed value) or "report" (skip it and list it in data_quality()).');
    PERFORM collmine._cm_setting_check(p_source, 'customer_events_on_invoices', s->'customer_events_on_invoices', s->>'customer_events_on_invoices' IN ('none', 'open_invoices'),
        'Use "none" (customer-level events only in <schema>.customer_events) or "open_invoices" (also on every invoice of the customer open at that moment).');
    PERFORM collmine._cm_setting_check(p_source, 'due_date_passed_at', s->'due_date_passed_at', s->>'due_date_passed_at' IN ('due_date', 'day_after'),
        'Use "due_date" (the due date itself, as the data template says) or "day_after" (00:00 after the due date, when it has passed).');
    PERFORM collmine._cm_setting_check(p_source, 'paid_on_time', s->'paid_on_time', s->>'paid_on_time' IN ('settled', 'payment_received'),
        'Use "settled" (settled on or before the due date: collmine''s rule) or "payment_received" (the last Payment Received on or before the due date: the data template''s wording).');
    PERFORM collmine._cm_setting_check(p_source, 'max_years_ahead', s->'max_years_ahead', (s->>'max_years_ahead')::numeric BETWEEN 0 AND 1000,
        'Give the number of years after today (or after as_of) up to which a date is plausible, e.g. 5.');
    -- the formats must read back what they write; the others must parse as their type
    BEGIN
        PERFORM collmine._cm_setting_check(p_source, 'date_format', s->'date_format',
            to_date(to_char(date '2024-09-14', s->>'date_format'), s->>'date_format') = date '2024-09-14',
            'Give a to_date format with year, month and day, such as "YYYY-MM-DD" or "MM/DD/YYYY".');
        PERFORM collmine._cm_setting_check(p_source, 'timestamp_format', s->'timestamp_format', s->>'timestamp_format' IS NULL OR
            to_timestamp(to_char(timestamp '2024-09-14 13:05', s->>'timestamp_format'), s->>'timestamp_format')::timestamp = timestamp '2024-09-14 13:05',
            'Give a to_timestamp format with date and time to the minute, such as "MM/DD/YYYY HH12:MI am", or null for ISO 8601.');
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_setting_check(p_source, CASE WHEN s->>'timestamp_format' IS NULL THEN 'date_format' ELSE 'date_format or timestamp_format' END,
            s->'date_format', false, 'Give to_date / to_timestamp formats such as "MM/DD/YYYY" and "MM/DD/YYYY HH12:MI am".');
    END;
    FOR k IN SELECT x FROM unnest(ARRAY['timezone', 'as_of', 'min_date', 'reapplication_after', 'writeoff_memo_pattern']) x WHERE s ? x AND s->>x IS NOT NULL LOOP
        BEGIN
            CASE k
                WHEN 'timezone' THEN PERFORM now() AT TIME ZONE (s->>k);
                WHEN 'as_of' THEN PERFORM (s->>k)::timestamptz;
                WHEN 'min_date' THEN PERFORM (s->>k)::date;
                WHEN 'reapplication_after' THEN PERFORM (s->>k)::interval;
                ELSE PERFORM '' ~* (s->>k);
            END CASE;
        EXCEPTION WHEN data_exception OR invalid_parameter_value OR syntax_error THEN
            PERFORM collmine._cm_setting_check(p_source, k, s->k, false,
                CASE k WHEN 'timezone' THEN 'Give a time zone name such as "UTC" or "Europe/Berlin".'
                       WHEN 'as_of' THEN 'Give a timestamp such as "2025-06-30 23:59:00+00".'
                       WHEN 'min_date' THEN 'Give a date such as "1900-01-01".'
                       WHEN 'reapplication_after' THEN 'Give an interval such as "1 hour".'
                       ELSE 'Give a valid (PostgreSQL) regular expression.' END);
        END;
    END LOOP;
    IF s ? 'call_time_field' THEN
        PERFORM collmine._cm_setting_check(p_source, 'call_time_field', s->'call_time_field', s->>'call_time_field' IN ('completeddate', 'startdate', 'createddate'),
            'Use "completeddate", "startdate" or "createddate".');
    END IF;
    IF s ? 'country_source' THEN
        PERFORM collmine._cm_setting_check(p_source, 'country_source', s->'country_source', s->>'country_source' IN ('customer', 'subsidiary'),
            'Use "customer" (the customer''s billing country, as the template says) or "subsidiary".');
    END IF;
    IF s->>'as_of' IS NOT NULL THEN
        PERFORM collmine._cm_setting_check(p_source, 'as_of', s->'as_of', (s->>'as_of')::timestamptz >= (s->>'min_date')::date,
            'as_of must not be before min_date.');
    END IF;
    RETURN s;
END
$$;

-- Raise the error of an invalid setting value, naming the setting.
CREATE FUNCTION collmine._cm_setting_check(p_source text, p_key text, p_value jsonb, p_ok boolean, p_hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF p_ok IS NOT TRUE THEN
        RAISE EXCEPTION 'invalid % setting "%": %', p_source, p_key, coalesce(p_value::text, 'null')
            USING ERRCODE = 'invalid_parameter_value', HINT = p_hint;
    END IF;
END
$$;

-- A jsonb array of strings as text[] (settings lists).
CREATE FUNCTION collmine._cm_list(p jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$ SELECT coalesce(array_agg(x), '{}') FROM jsonb_array_elements_text(coalesce(p, '[]')) x $$;

-- ---------------------------------------------------------------------------------------------
-- Value parsing. A malformed value either stops the build with an error naming table, column
-- and row (on_error = error), or is recorded as a quality issue and read as NULL (report).
-- What the parsers need from the settings is the build's parse context (_cm_parse_context),
-- a small jsonb that every call receives as its last argument, written into the query as a
-- constant: the planner inlines the SQL parsers and folds the context's fields away.
-- ---------------------------------------------------------------------------------------------

-- The parse context of a build, computed once from its settings: on_error, the formats, the
-- time zone and the plausible window [min_date, max_date] (max_years_ahead after today or
-- as_of).
CREATE FUNCTION collmine._cm_parse_context(s jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    min_date date := (s->>'min_date')::date;
    max_date date := ((greatest(now(), (s->>'as_of')::timestamptz) AT TIME ZONE (s->>'timezone'))::date
                      + make_interval(years => (s->>'max_years_ahead')::integer))::date;
BEGIN
    RETURN jsonb_build_object(
        'on_error', s->>'on_error', 'date_format', s->>'date_format',
        'timestamp_format', s->>'timestamp_format',   -- null: ISO 8601
        'timezone', s->>'timezone', 'min_date', min_date, 'max_date', max_date);
END
$$;

-- Stop the build at a malformed value, or (on_error = report) record it and go on.
CREATE FUNCTION collmine._cm_bad(p_kind text, p_value text, p_table text, p_col text, p_row text, p_hint text, p_on_error text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF p_on_error = 'report' THEN
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

-- The inline parse of the connectors' values (src/fast_parse.c): a date, a local time or an
-- amount that is sure to parse (and, for dates and times, to lie inside the plausible window)
-- is read in C; every other value gives NULL and takes the checked path (_cm_date_parse,
-- _cm_ts_parse, _cm_num_parse), which reads it the same way or reports it.
CREATE FUNCTION collmine._cm_fast_date(v text, date_format text, min_date text, max_date text)
RETURNS date
AS 'MODULE_PATHNAME', 'cm_fast_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION collmine._cm_fast_ts(v text, timestamp_format text, tz text, min_date text, max_date text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'cm_fast_ts'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION collmine._cm_fast_num(v text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'cm_fast_num'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Parse a date export value with the load's date_format: inline (_cm_fast_date) when it is
-- sure to parse, else through _cm_date_parse, which reports it.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_date(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS date
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN v IS NULL THEN NULL
        ELSE COALESCE(
            collmine._cm_fast_date(v, pc OPERATOR(pg_catalog.->>) 'date_format', pc OPERATOR(pg_catalog.->>) 'min_date',
                                   pc OPERATOR(pg_catalog.->>) 'max_date'),
            collmine._cm_date_parse(v, p_table, p_col, p_row, pc)) END
$$;

-- The checked parse of a date value: errors and findings name table, column and row.
CREATE FUNCTION collmine._cm_date_parse(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := pc->>'date_format';
    d date;
BEGIN
    IF v IS NULL OR btrim(v) = '' THEN RETURN NULL; END IF;
    BEGIN
        IF fmt = 'YYYY-MM-DD' THEN
            IF btrim(v) !~ '^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$' THEN RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format'; END IF;
            d := left(btrim(v), 10)::date;
        ELSE
            d := to_date(btrim(v), fmt);
            -- to_date is lenient: insist that the value round-trips through the format
            IF regexp_replace(to_char(d, fmt), '(^|\D)0+(\d)', '\1\2', 'g') <> regexp_replace(btrim(v), '(^|\D)0+(\d)', '\1\2', 'g') THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format';
            END IF;
        END IF;
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_bad('date', v, p_table, p_col, p_row,
            format('Dates are read with the date_format setting, now ''%s''; pass for example ''{"date_format": "MM/DD/YYYY"}'' to the build function.', fmt),
            pc->>'on_error');
        RETURN NULL;
    END;
    IF d < (pc->>'min_date')::date OR d > (pc->>'max_date')::date THEN
        RETURN collmine._cm_implausible(v, p_table, p_col, p_row);
    END IF;
    RETURN d;
END
$$;

-- Parse a timestamp export value: timestamp_format if set, else ISO 8601; values without a
-- UTC offset are local times in the load's timezone setting. Inline (_cm_fast_ts) when it is
-- sure to parse, else through _cm_ts_parse, which reports it.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_ts(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN v IS NULL THEN NULL
        ELSE COALESCE(
            collmine._cm_fast_ts(v, pc OPERATOR(pg_catalog.->>) 'timestamp_format', pc OPERATOR(pg_catalog.->>) 'timezone',
                                 pc OPERATOR(pg_catalog.->>) 'min_date', pc OPERATOR(pg_catalog.->>) 'max_date'),
            collmine._cm_ts_parse(v, p_table, p_col, p_row, pc)) END
$$;

-- The checked parse of a timestamp value: errors and findings name table, column and row.
CREATE FUNCTION collmine._cm_ts_parse(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := pc->>'timestamp_format';
    tz text := pc->>'timezone';
    s text := btrim(v);
    t timestamptz;
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    BEGIN
        IF fmt IS NOT NULL THEN
            t := to_timestamp(s, fmt)::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}$' THEN
            t := s::date::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$' THEN
            t := s::timestamp AT TIME ZONE tz;
        ELSIF s ~ '^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$' THEN
            t := s::timestamptz;
        ELSE
            -- a date in the display date format, as saved searches write them
            t := collmine._cm_date_strict(s, pc->>'date_format')::timestamp AT TIME ZONE tz;
        END IF;
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_bad('timestamp', v, p_table, p_col, p_row,
            format('Timestamps are read as ISO 8601 (2024-09-14 13:05:00) unless the timestamp_format setting is given (now %s), for example ''{"timestamp_format": "MM/DD/YYYY HH12:MI am"}''.', coalesce(fmt, 'not set')),
            pc->>'on_error');
        RETURN NULL;
    END;
    IF t < (pc->>'min_date')::date::timestamp AT TIME ZONE tz
       OR t >= ((pc->>'max_date')::date + 1)::timestamp AT TIME ZONE tz THEN
        RETURN collmine._cm_implausible(v, p_table, p_col, p_row);
    END IF;
    RETURN t;
END
$$;

-- A date outside the plausible window (settings min_date, max_years_ahead) is a finding, never
-- kept: it is read as NULL whatever on_error says, so that no event lands in year 1 or 9999.
CREATE FUNCTION collmine._cm_implausible(v text, p_table text, p_col text, p_row text)
RETURNS date
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    VALUES ('implausible_date', 'error', p_table, p_row,
            format('"%s" in column "%s" is outside the plausible window (before min_date or more than max_years_ahead years after today or as_of); read as NULL',
                   v, p_col));
    RETURN NULL;
END
$$;

-- A date in the load's date_format fmt that raises a data_exception when it does not match.
CREATE FUNCTION collmine._cm_date_strict(s text, fmt text)
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    d date := to_date(s, fmt);
BEGIN
    IF regexp_replace(to_char(d, fmt), '(^|\D)0+(\d)', '\1\2', 'g') <> regexp_replace(s, '(^|\D)0+(\d)', '\1\2', 'g') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_datetime_format';
    END IF;
    RETURN d;
END
$$;

-- Parse an amount: digits with an optional sign and decimal point (no thousands separators),
-- inline (_cm_fast_num) when it is a plain number, else through _cm_num_parse.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_num(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS numeric
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN v IS NULL THEN NULL
        ELSE COALESCE(collmine._cm_fast_num(v), collmine._cm_num_parse(v, p_table, p_col, p_row, pc)) END
$$;

-- The checked parse of an amount: errors and findings name table, column and row.
CREATE FUNCTION collmine._cm_num_parse(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS numeric
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s text := btrim(v);
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    IF s ~ '^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$' THEN
        RETURN s::numeric;
    END IF;
    PERFORM collmine._cm_bad('amount', v, p_table, p_col, p_row,
        'Amounts must be plain numbers such as 1234.56 or -10 (no currency symbols or thousands separators).',
        pc->>'on_error');
    RETURN NULL;
END
$$;

-- Decode an enum that may be exported as an integer (Synapse Link, BYOD) or as a name (data
-- management packages). Unknown values are kept as given and recorded as a quality issue.
CREATE FUNCTION collmine._cm_enum(v text, p_map jsonb, p_table text, p_col text, p_row text)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s text := btrim(v);
    n text;
BEGIN
    IF s IS NULL OR s = '' THEN RETURN NULL; END IF;
    IF p_map ? s THEN RETURN p_map->>s; END IF;
    SELECT value INTO n FROM jsonb_each_text(p_map) WHERE lower(value) = lower(s) OR lower(replace(value, ' ', '')) = lower(replace(s, ' ', '')) LIMIT 1;
    IF n IS NOT NULL THEN RETURN n; END IF;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    VALUES ('unknown_enum_value', 'warning', p_table, p_row, format('column "%s" has unknown value "%s"', p_col, v));
    RETURN s;
END
$$;

-- Yes/No, true/false, 1/0, T/F as boolean.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_bool(v text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN v IS NULL OR pg_catalog.btrim(v) OPERATOR(pg_catalog.=) '' THEN NULL
                WHEN pg_catalog.lower(pg_catalog.btrim(v)) OPERATOR(pg_catalog.=) ANY ('{1,t,true,yes,y}'::pg_catalog.text[]) THEN true
                WHEN pg_catalog.lower(pg_catalog.btrim(v)) OPERATOR(pg_catalog.=) ANY ('{0,f,false,no,n}'::pg_catalog.text[]) THEN false END
$$;

-- Numeric sort key of a source id ('17' sorts before '100'); NULL for non-numeric ids (up to
-- 30 digits, an optional minus, spaces around dropped). In C (src/fast_parse.c): it is read
-- for every row of every source, where a regular expression cost more than the rest of it.
CREATE FUNCTION collmine._cm_key(v text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'cm_source_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- ---------------------------------------------------------------------------------------------
-- Build workspace: temporary tables that a source part fills and _cm_finish consumes.
--
-- A build is a short sequence of named steps (docs/architecture.md, "How a connector build
-- runs"). The settings travel as arguments: s, the validated settings (_cm_settings), and pc,
-- the parse context derived from them (_cm_parse_context). The rows travel through the
-- workspace, the session's temporary tables _cm_*: each step's comment says which it reads and
-- which it fills. Findings go to the workspace table _cm_issue, which any step, and any value
-- parser called inside a query, appends to.
-- ---------------------------------------------------------------------------------------------

-- Check that the target schema exists, create the canonical tables if missing, and create an
-- empty workspace: _cm_inv, _cm_app, _cm_raw, _cm_cust and _cm_issue.
CREATE FUNCTION collmine._cm_begin(p_source text, p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    IF to_regnamespace(p_schema) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', p_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = format('Create the staging tables first: SELECT collmine.create_staging(%L, %L);', p_source, p_schema);
    END IF;
    PERFORM collmine.create_event_log(p_schema);
    DROP TABLE IF EXISTS pg_temp._cm_inv, pg_temp._cm_app, pg_temp._cm_raw, pg_temp._cm_issue, pg_temp._cm_cust;
    -- one row per invoice (case)
    CREATE TEMP TABLE _cm_inv (
        case_id text, src_id text, customer_key text, customer_id text, customer_name text,
        segment text, business_unit text, collector text, country text, terms text,
        terms_days integer, currency text, amount numeric, invoice_ts timestamptz,
        invoice_date date, due_date date, user_id text, is_automated boolean, source_ref text,
        -- optional, for sources that export them: the ERP's own status and open amount (the
        -- build cross-checks its derivation against them) and the customer's credit limit
        source_status text, source_open boolean, source_open_amount numeric, credit_limit numeric);
    -- one row per application of a payment, credit memo or write-off to an invoice
    -- (posted_ts: the payment's own GL posting where the source has it; reapplied: the
    -- application was made later than that posting, a rework of the payment's application;
    -- unposted: the payment has no GL impact, so no Payment Posted)
    CREATE TEMP TABLE _cm_app (
        case_id text, kind text, doc_ref text, amount numeric, currency text,
        doc_ts timestamptz, applied_ts timestamptz, user_id text, is_automated boolean,
        source_ref text, sort_key numeric, posted_ts timestamptz, reapplied boolean, unposted boolean);
    -- explicit events; case_id NULL with customer_key set means a customer-level event
    CREATE TEMP TABLE _cm_raw (
        case_id text, customer_key text, activity text, ts timestamptz, user_id text,
        is_automated boolean, detail text, source_ref text, sort_key numeric);
    -- the customers' ids as shown to users, for customer-level events (optional)
    CREATE TEMP TABLE _cm_cust (customer_key text, customer_id text);
    CREATE TEMP TABLE _cm_issue (
        check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
END
$$;

-- Drop the build's temporary tables (every pg_temp table named _cm_*), so that a session that
-- builds keeps none of them. RETURN QUERY has already stored the build's result when it runs.
CREATE FUNCTION collmine._cm_drop_workspace()
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

-- Whether Citus manages the relation (distributed, reference or Citus-local table). False when
-- Citus is not installed; collmine does not depend on it.
CREATE FUNCTION collmine._cm_citus_table(rel regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    r boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)' INTO r USING rel;
    RETURN r;
END
$$;

-- Report duplicated source keys of a staging table and return the name of the relation to read:
-- the staging table itself when its keys are unique, else a de-duplicated temporary copy (first
-- row per key by the full row text, so the choice does not depend on row order). A staging
-- table that Citus distributes is read once into a temporary copy on the coordinator first: the
-- build's steps join the staging tables on keys other than any one distribution column (a link
-- table on both of its documents, notes and calls on the transaction they name), which Citus
-- cannot push down, so the build runs on the coordinator from the copies (docs/scale-out.md).
-- The relation to read a staging table from on the coordinator: the table itself, or, for a table
-- that Citus distributes, a temporary copy of it read once (see _cm_dedup for why the connectors'
-- steps cannot run over the shards).
CREATE FUNCTION collmine._cm_citus_local(p_schema name, p_table text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    rel text := format('%I.%I', p_schema, p_table);
    tmp name := '_cm_c_' || md5(p_table);
BEGIN
    IF NOT collmine._cm_citus_table(rel::regclass) THEN
        RETURN rel;
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS pg_temp.%I', tmp);
    EXECUTE format('CREATE TEMP TABLE %I AS SELECT * FROM %s', tmp, rel);
    RETURN format('pg_temp.%I', tmp);
END
$$;

CREATE FUNCTION collmine._cm_dedup(p_schema name, p_table text, p_key text[])
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    keyexpr text := (SELECT string_agg(format('%I', k), ', ') FROM unnest(p_key) k);
    tmp text := '_cm_d_' || md5(p_table);
    rel text := collmine._cm_citus_local(p_schema, p_table);
    dups bigint;
BEGIN
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'duplicate_row', 'warning', %3$L, concat_ws('/', %2$s), count(*) || ' rows with this key; one kept'
        FROM %1$s GROUP BY %2$s HAVING count(*) > 1$q$, rel, keyexpr, p_table);
    GET DIAGNOSTICS dups = ROW_COUNT;
    IF dups = 0 THEN
        -- fresh loads have no statistics yet; without them joins get nested-loop plans
        EXECUTE format('ANALYZE %s', rel);
        RETURN rel;
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS pg_temp.%I', tmp);
    EXECUTE format($q$CREATE TEMP TABLE %1$I AS
        SELECT DISTINCT ON (%3$s) * FROM %2$s t ORDER BY %3$s, t::text$q$, tmp, rel, keyexpr);
    EXECUTE format('ANALYZE pg_temp.%I', tmp);
    RETURN format('pg_temp.%I', tmp);
END
$$;

-- Stage the exports: de-duplicate each staging table on its source key (_cm_dedup, in the
-- order given), and return the relation to read for each, as {table: relation}. p_keys is a
-- jsonb array of [table, key column, ...].
CREATE FUNCTION collmine._cm_stage(p_schema name, p_keys jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    k jsonb;
    src jsonb := '{}';
BEGIN
    FOR k IN SELECT x FROM jsonb_array_elements(p_keys) WITH ORDINALITY AS a(x, n) ORDER BY n LOOP
        src := src || jsonb_build_object(k->>0,
            collmine._cm_dedup(p_schema, k->>0,
                               ARRAY(SELECT c FROM jsonb_array_elements_text(k) WITH ORDINALITY AS b(c, i) WHERE i > 1 ORDER BY i)));
    END LOOP;
    RETURN src;
END
$$;

-- Turn the workspace into the canonical events and invoices of one source, and store the
-- quality findings. Returns the event count per activity. Each step is a function of its own.
CREATE FUNCTION collmine._cm_finish(p_source text, p_schema name, s jsonb)
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    as_of timestamptz;
BEGIN
    PERFORM collmine._cm_check_invoices();
    PERFORM collmine._cm_check_references();
    as_of := collmine._cm_as_of(s);
    PERFORM collmine._cm_settle();
    PERFORM collmine._cm_application_events();
    PERFORM collmine._cm_explicit_events();
    PERFORM collmine._cm_customer_events(s);
    PERFORM collmine._cm_due_date_events(s, as_of);
    PERFORM collmine._cm_check_events(s);
    -- the export checked against itself: the ERP's own status and open amount against the
    -- derived ones, per invoice and in total per currency
    PERFORM collmine._cm_crosscheck();
    PERFORM collmine._cm_write_log(p_source, p_schema);
    PERFORM collmine._cm_write_invoices(p_source, p_schema, s, as_of);
    PERFORM collmine._cm_write_quality(p_source, p_schema);
    RETURN QUERY SELECT * FROM collmine._cm_event_counts(s);
    PERFORM collmine._cm_drop_workspace();
END
$$;

-- Step: the invoices as the source part left them (_cm_inv). Duplicate case ids keep one row
-- (by source ref); invoices without a date, a due date or an amount are findings.
CREATE FUNCTION collmine._cm_check_invoices()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    ANALYZE pg_temp._cm_inv;   -- temporary tables have no statistics otherwise: bad join plans
    ANALYZE pg_temp._cm_app;
    ANALYZE pg_temp._cm_raw;
    -- duplicate case ids: keep one (by full row text), report the rest
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'duplicate_invoice', 'warning', 'invoice', string_agg(i.source_ref, ', ' ORDER BY i.source_ref), i.case_id,
           count(*) || ' invoice rows share this case id; one kept'
    FROM _cm_inv i GROUP BY i.case_id HAVING count(*) > 1;
    DELETE FROM _cm_inv a USING _cm_inv b
    WHERE a.case_id = b.case_id AND (a.source_ref, a.src_id) > (b.source_ref, b.src_id);

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_invoice_date', 'error', 'invoice', i.source_ref, i.case_id, 'no invoice date: the case has no Invoice Generated event'
    FROM _cm_inv i WHERE i.invoice_ts IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_due_date', 'warning', 'invoice', i.source_ref, i.case_id, 'no due date: no Payment Due Date Passed, no days overdue'
    FROM _cm_inv i WHERE i.due_date IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_amount', 'warning', 'invoice', i.source_ref, i.case_id, 'no invoice amount: settlement cannot be inferred'
    FROM _cm_inv i WHERE i.amount IS NULL;
END
$$;

-- Step: applications (_cm_app) and explicit events (_cm_raw) that point to no known invoice,
-- or have no time, are findings and leave the workspace; applications in another currency than
-- their invoice are findings and stay.
CREATE FUNCTION collmine._cm_check_references()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- applications and events that point to no known invoice
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_invoice', 'warning', 'application', a.source_ref, a.case_id, 'applied to an invoice that is not in the export; ignored'
    FROM _cm_app a WHERE NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = a.case_id);
    DELETE FROM _cm_app a WHERE NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = a.case_id);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_invoice', 'warning', split_part(r.source_ref, ':', 1), r.source_ref, r.case_id,
           r.activity || ' linked to an invoice that is not in the export; ignored'
    FROM _cm_raw r WHERE r.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = r.case_id);
    DELETE FROM _cm_raw r WHERE r.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _cm_inv i WHERE i.case_id = r.case_id);

    -- rows whose timestamp could not be read are reported, not guessed
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_event_time', 'error', split_part(r.source_ref, ':', 1), r.source_ref, r.case_id, r.activity || ' without a time; left out'
    FROM _cm_raw r WHERE r.ts IS NULL;
    DELETE FROM _cm_raw r WHERE r.ts IS NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'missing_event_time', 'error', 'application', a.source_ref, a.case_id, a.kind || ' application without a date; left out'
    FROM _cm_app a WHERE a.applied_ts IS NULL OR a.doc_ts IS NULL OR a.amount IS NULL;
    DELETE FROM _cm_app a WHERE a.applied_ts IS NULL OR a.doc_ts IS NULL OR a.amount IS NULL;

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'mixed_currency', 'warning', 'application', a.source_ref, a.case_id,
           format('%s in %s applied to an invoice in %s; amounts taken as given', a.kind, a.currency, i.currency)
    FROM _cm_app a JOIN _cm_inv i USING (case_id)
    WHERE a.currency IS NOT NULL AND i.currency IS NOT NULL AND a.currency <> i.currency;
END
$$;

-- Step: the data's own "now": the as_of setting, else the latest time anywhere in the export.
CREATE FUNCTION collmine._cm_as_of(s jsonb)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    RETURN coalesce((s->>'as_of')::timestamptz,
                    greatest((SELECT max(invoice_ts) FROM _cm_inv), (SELECT max(applied_ts) FROM _cm_app),
                             (SELECT max(doc_ts) FROM _cm_app), (SELECT max(ts) FROM _cm_raw)));
END
$$;

-- Step: settlement. A running balance per invoice over its applications (_cm_bal); the
-- application that brings it to zero settles the invoice, or writes it off when that
-- application is a write-off (_cm_end: one row per invoice that ended).
CREATE FUNCTION collmine._cm_settle()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_bal;
    CREATE TEMP TABLE _cm_bal AS
    SELECT a.*, i.amount AS inv_amount,
           sum(a.amount) OVER w AS cum,
           sum(a.amount) OVER w - a.amount AS cum_before
    FROM _cm_app a JOIN _cm_inv i USING (case_id)
    WINDOW w AS (PARTITION BY a.case_id ORDER BY a.applied_ts, a.sort_key, a.source_ref ROWS UNBOUNDED PRECEDING);
    ANALYZE pg_temp._cm_bal;

    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'payment_exceeds_invoice', 'warning', 'application', min(b.source_ref), b.case_id,
           format('applications total %s for an invoice of %s', max(b.cum), max(b.inv_amount))
    FROM _cm_bal b GROUP BY b.case_id HAVING max(b.cum) > max(b.inv_amount) + 0.005;

    DROP TABLE IF EXISTS pg_temp._cm_end;
    CREATE TEMP TABLE _cm_end AS
    SELECT DISTINCT ON (b.case_id) b.case_id, b.kind AS end_kind,
           CASE WHEN b.kind = 'writeoff' THEN b.doc_ts ELSE b.applied_ts END AS end_ts, b.source_ref
    FROM _cm_bal b
    WHERE b.inv_amount > 0 AND b.cum >= b.inv_amount - 0.005 AND b.cum_before < b.inv_amount - 0.005
    ORDER BY b.case_id, b.applied_ts, b.sort_key, b.source_ref;
    ANALYZE pg_temp._cm_end;
END
$$;

-- Step: the events that invoices and applications imply, into a new _cm_ev (all events of the
-- load, before ordering): Invoice Generated, Payment Received, Payment Posted, Credit Memo
-- Issued, Invoice Written Off and Invoice Settled.
CREATE FUNCTION collmine._cm_application_events()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_ev;
    CREATE TEMP TABLE _cm_ev (case_id text, activity text, ts timestamptz, user_id text,
        is_automated boolean, amount numeric, currency text, source_ref text, sort_key numeric);
    INSERT INTO _cm_ev
    SELECT i.case_id, 'Invoice Generated', i.invoice_ts, i.user_id, i.is_automated, i.amount, i.currency, i.source_ref, collmine._cm_key(i.src_id)
    FROM _cm_inv i WHERE i.invoice_ts IS NOT NULL;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Payment Received', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'payment' GROUP BY a.case_id, a.doc_ref;
    -- Payment Posted: the payment's own GL posting, once per (invoice, payment), where the
    -- source has it; else (F&O, BC) each application's posting
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Payment Posted', min(a.posted_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'payment' AND a.posted_ts IS NOT NULL GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Payment Posted', a.applied_ts, a.user_id, a.is_automated, a.amount, a.currency, a.source_ref, a.sort_key
    FROM _cm_app a WHERE a.kind = 'payment' AND a.posted_ts IS NULL AND a.unposted IS NOT TRUE;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'payment_not_posted', 'info', 'application', a.source_ref, a.case_id,
           'the payment has no GL posting in the export; no Payment Posted'
    FROM _cm_app a WHERE a.kind = 'payment' AND a.unposted;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'payment_reapplied', 'info', 'application', a.source_ref, a.case_id,
           format('payment %s posted %s, applied to this invoice %s: a re-application (kept in applications)', a.doc_ref, a.posted_ts, a.applied_ts)
    FROM _cm_app a WHERE a.kind = 'payment' AND a.reapplied;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Credit Memo Issued', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'credit' GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT a.case_id, 'Invoice Written Off', min(a.doc_ts), min(a.user_id), bool_and(a.is_automated), sum(a.amount), min(a.currency), min(a.doc_ref), min(a.sort_key)
    FROM _cm_app a WHERE a.kind = 'writeoff' GROUP BY a.case_id, a.doc_ref;
    INSERT INTO _cm_ev
    SELECT e.case_id, 'Invoice Settled', e.end_ts, NULL, true, NULL, NULL, e.source_ref, NULL
    FROM _cm_end e WHERE e.end_kind <> 'writeoff';
END
$$;

-- Step: the explicit per-invoice events of _cm_raw into _cm_ev. Dunning starts with the first
-- reminder unless the source gave an earlier start; a dispute is Registered on entering the
-- disputed state and Resolved on leaving it.
CREATE FUNCTION collmine._cm_explicit_events()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- explicit per-invoice events; dunning starts with the first reminder unless the source
    -- gave an earlier start
    INSERT INTO _cm_ev
    SELECT r.case_id, r.activity, r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
    FROM _cm_raw r
    WHERE r.case_id IS NOT NULL AND r.activity NOT IN ('dispute:disputed', 'dispute:resolved', 'dispute:reason', 'Dunning Procedure Initiated');
    INSERT INTO _cm_ev
    SELECT DISTINCT ON (r.case_id) r.case_id, 'Dunning Procedure Initiated', r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
    FROM _cm_raw r WHERE r.activity IN ('Overdue Reminder Sent', 'Dunning Procedure Initiated')
    ORDER BY r.case_id, r.ts, (r.activity = 'Overdue Reminder Sent'), r.sort_key, r.source_ref;

    -- disputes: Registered on entering the disputed state, Resolved on leaving it
    INSERT INTO _cm_ev
    SELECT d.case_id, CASE d.activity WHEN 'dispute:disputed' THEN 'Dispute Registered' ELSE 'Dispute Resolved' END,
           d.ts, d.user_id, d.is_automated, NULL, NULL, d.source_ref, d.sort_key
    FROM (SELECT r.*, lag(r.activity) OVER (PARTITION BY r.case_id ORDER BY r.ts, r.sort_key, r.source_ref) AS prev
          FROM _cm_raw r WHERE r.activity IN ('dispute:disputed', 'dispute:resolved')) d
    WHERE (d.activity = 'dispute:disputed' AND d.prev IS DISTINCT FROM 'dispute:disputed')
       OR (d.activity = 'dispute:resolved' AND d.prev = 'dispute:disputed');
END
$$;

-- Step: customer-level events (credit limits, calls about no invoice) are kept once each in
-- _cm_cev (for customer_events); with the setting customer_events_on_invoices = open_invoices
-- they are also put into _cm_ev on every invoice of that customer that is open at that moment.
CREATE FUNCTION collmine._cm_customer_events(s jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    INSERT INTO _cm_cust
    SELECT DISTINCT i.customer_key, i.customer_id FROM _cm_inv i
    WHERE i.customer_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _cm_cust c WHERE c.customer_key = i.customer_key);
    DROP TABLE IF EXISTS pg_temp._cm_cev;
    CREATE TEMP TABLE _cm_cev AS
    SELECT coalesce(c.customer_id, r.customer_key) AS customer_id, r.activity, r.ts, r.user_id, r.is_automated,
           r.detail, r.source_ref, r.sort_key
    FROM _cm_raw r LEFT JOIN (SELECT DISTINCT ON (x.customer_key) x.* FROM _cm_cust x ORDER BY x.customer_key, x.customer_id) c
         ON c.customer_key = r.customer_key
    WHERE r.case_id IS NULL AND r.customer_key IS NOT NULL;
    IF s->>'customer_events_on_invoices' = 'open_invoices' THEN
        INSERT INTO _cm_ev
        SELECT i.case_id, r.activity, r.ts, r.user_id, r.is_automated, NULL, NULL, r.source_ref, r.sort_key
        FROM _cm_raw r
        JOIN _cm_inv i ON i.customer_key = r.customer_key AND i.invoice_ts <= r.ts
        LEFT JOIN _cm_end e ON e.case_id = i.case_id
        WHERE r.case_id IS NULL AND (e.end_ts IS NULL OR e.end_ts > r.ts);
    END IF;
END
$$;

-- Step: Payment Due Date Passed into _cm_ev, if the invoice was still open at the end of its
-- due date (as of the data's "now", as_of). The template stamps it with the due date itself
-- (00:00 in the load's time zone); the setting due_date_passed_at = "day_after" stamps it when
-- the due date is over (00:00 of the next day).
CREATE FUNCTION collmine._cm_due_date_events(s jsonb, as_of timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    tz text := s->>'timezone';
BEGIN
    INSERT INTO _cm_ev
    SELECT i.case_id, 'Payment Due Date Passed',
           ((i.due_date + CASE WHEN s->>'due_date_passed_at' = 'day_after' THEN 1 ELSE 0 END)::timestamp AT TIME ZONE tz),
           NULL, true, NULL, NULL, i.source_ref, NULL
    FROM _cm_inv i LEFT JOIN _cm_end e USING (case_id)
    WHERE i.due_date IS NOT NULL AND i.invoice_ts IS NOT NULL
      AND ((i.due_date + 1)::timestamp AT TIME ZONE tz) <= as_of
      AND (e.end_ts IS NULL OR e.end_ts >= ((i.due_date + 1)::timestamp AT TIME ZONE tz));
END
$$;

-- Step: checks of the derived events (_cm_ev): events dated before their invoice, and events
-- whose time is only a date.
CREATE FUNCTION collmine._cm_check_events(s jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    tz text := s->>'timezone';
BEGIN
    ANALYZE pg_temp._cm_ev;
    -- events dated before their invoice exists are kept and flagged
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'event_before_invoice', 'warning', split_part(v.source_ref, ':', 1), v.source_ref, v.case_id,
           format('%s at %s, before the invoice (%s); kept', v.activity, v.ts, i.invoice_ts)
    FROM _cm_ev v JOIN _cm_inv i USING (case_id)
    WHERE v.activity <> 'Invoice Generated' AND v.ts < i.invoice_ts;

    -- events whose time came from a date-only export value (00:00 in the load's time zone);
    -- Payment Due Date Passed is at 00:00 by definition
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'date_only_timestamp', 'info', 'events', format('%s: %s of %s', x.activity, x.n, x.total),
           format('%s of %s %s events carry only a date (read as 00:00 %s): they sort before same-day events that have a time', x.n, x.total, x.activity, tz)
    FROM (SELECT v.activity, count(*) FILTER (WHERE (v.ts AT TIME ZONE tz)::time = '00:00') AS n, count(*) AS total
          FROM _cm_ev v WHERE v.activity <> 'Payment Due Date Passed' GROUP BY v.activity) x
    WHERE x.n > 0;
END
$$;

-- Step: write the canonical events, customer_events and applications of one source into
-- <schema>: this source's rows (and its invoices and findings) are replaced, other sources'
-- rows kept. ord numbers the events in time order, activity rank breaking ties.
CREATE FUNCTION collmine._cm_write_log(p_source text, p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- write the canonical tables: replace this source's rows, keep other sources' rows
    EXECUTE format('DELETE FROM %I.customer_events WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.applications WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.events WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.invoices WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.quality_issues WHERE source_system = %L', p_schema, p_source);
    -- ord: ROWS, not the default RANGE frame, so that the window does not compare the seven
    -- sort keys of every row with the next one's to find peers (row_number does not use them);
    -- its text keys in "C", so that the same export numbers its events alike in a database of
    -- any collation (they only break ties of time and activity) and no locale is consulted.
    -- rows go in in the order of the index events_case_ts (case_id, ts, ord), not of ord: each
    -- index entry then lands next to the previous one instead of at a random leaf, which halves
    -- the cost of the insert (the index is kept: dropping it around the insert would lock out
    -- every reader of events until the build commits, where now they read the old log meanwhile)
    EXECUTE format($q$INSERT INTO %I.events (case_id, activity, ts, ord, user_id, is_automated, amount, currency, source_system, source_ref)
        SELECT o.case_id, o.activity, o.ts, o.ord, o.user_id, o.is_automated, o.amount, o.currency, %L, o.source_ref
        FROM (SELECT v.case_id, v.activity, v.ts,
                     row_number() OVER (ORDER BY v.ts, t.rank, v.case_id COLLATE "C", v.sort_key, v.source_ref COLLATE "C",
                                                 v.user_id COLLATE "C", v.amount ROWS UNBOUNDED PRECEDING) AS ord,
                     v.user_id, v.is_automated, v.amount, v.currency, v.source_ref
              FROM pg_temp._cm_ev v JOIN collmine.template_activities() t ON t.activity = v.activity) o
        ORDER BY o.case_id, o.ts, o.ord$q$, p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.customer_events (customer_id, activity, ts, ord, user_id, is_automated, detail, source_system, source_ref)
        SELECT v.customer_id, v.activity, v.ts,
               row_number() OVER (ORDER BY v.ts, t.rank, v.customer_id COLLATE "C", v.sort_key, v.source_ref COLLATE "C",
                                           v.user_id COLLATE "C" ROWS UNBOUNDED PRECEDING),
               v.user_id, v.is_automated, v.detail, %L, v.source_ref
        FROM pg_temp._cm_cev v JOIN collmine.template_activities() t ON t.activity = v.activity$q$, p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.applications (case_id, kind, document, amount, currency, document_at, posted_at,
                                                   applied_at, reapplied, source_system, source_ref)
        SELECT a.case_id, a.kind, a.doc_ref, a.amount, a.currency, a.doc_ts, a.posted_ts, a.applied_ts,
               coalesce(a.reapplied, false), %L, a.source_ref
        FROM pg_temp._cm_app a$q$, p_schema, p_source);
END
$$;

-- Step: write the canonical invoices of one source into <schema> (after _cm_write_log has
-- written its events): the workspace's invoices with their status, amounts, settlement and
-- the measures derived from them, as of the data's "now" (as_of). Each measure is the one
-- definition that collmine.invoice_facts uses too: status (_invoice_status), paid on time
-- (_paid_on_time, at _paid_at), days overdue (_days_overdue), cycle time (_cycle_time), and the
-- last payment received and the posting lag from the source's events (_payment_facts_sql).
CREATE FUNCTION collmine._cm_write_invoices(p_source text, p_schema name, s jsonb, as_of timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    tz text := s->>'timezone';
BEGIN
    EXECUTE format($q$INSERT INTO %1$I.invoices
        SELECT i.case_id, i.customer_id, i.customer_name, i.segment, i.business_unit, i.collector,
               i.country, i.terms, i.currency,
               st.status,
               dr.detail,
               %2$L, i.terms_days, i.invoice_date, i.due_date, i.amount,
               coalesce(ap.paid, 0), coalesce(ap.credited, 0), coalesce(ap.written_off, 0),
               i.amount - coalesce(ap.paid, 0) - coalesce(ap.credited, 0) - coalesce(ap.written_off, 0) - coalesce(ap.other, 0),
               st.settled_at, st.written_off_at,
               collmine._days_overdue(st.status, x.paid_at, st.written_off_at, (%4$L::timestamptz AT TIME ZONE %3$L)::date,
                                      i.due_date, %3$L),
               collmine._paid_on_time(st.status, st.settled_at, i.due_date, %3$L, %5$L, pf.last_received_at),
               collmine._cycle_time(st.status, st.settled_at, i.invoice_ts),
               pf.posting_lag,
               %4$L::timestamptz,
               i.source_status, i.credit_limit
        FROM pg_temp._cm_inv i
        LEFT JOIN pg_temp._cm_end e USING (case_id)
        CROSS JOIN LATERAL (SELECT se.settled_at, se.written_off_at,
                                   collmine._invoice_status(se.settled_at, se.written_off_at) AS status
                              FROM (SELECT CASE WHEN e.end_kind <> 'writeoff' THEN e.end_ts END AS settled_at,
                                           CASE WHEN e.end_kind = 'writeoff' THEN e.end_ts END AS written_off_at) se) st
        LEFT JOIN (%6$s) pf USING (case_id)
        CROSS JOIN LATERAL (SELECT collmine._paid_at(st.status, st.settled_at, %5$L, pf.last_received_at) AS paid_at) x
        LEFT JOIN (SELECT a.case_id,
                          sum(a.amount) FILTER (WHERE a.kind = 'payment') AS paid,
                          sum(a.amount) FILTER (WHERE a.kind = 'credit') AS credited,
                          sum(a.amount) FILTER (WHERE a.kind = 'writeoff') AS written_off,
                          sum(a.amount) FILTER (WHERE a.kind NOT IN ('payment', 'credit', 'writeoff')) AS other
                   FROM pg_temp._cm_app a GROUP BY a.case_id) ap USING (case_id)
        LEFT JOIN (SELECT DISTINCT ON (r.case_id) r.case_id, r.detail FROM pg_temp._cm_raw r
                   WHERE r.activity IN ('dispute:disputed', 'dispute:reason')
                   ORDER BY r.case_id, r.activity = 'dispute:reason' DESC, r.ts DESC, r.sort_key DESC, r.source_ref DESC) dr USING (case_id)$q$,
        p_schema, p_source, tz, as_of, s->>'paid_on_time',
        -- from the source's events just written by _cm_write_log, all of them (as the status is)
        collmine._payment_facts_sql(format('(SELECT * FROM %I.events WHERE source_system = %L)', p_schema, p_source),
                                    quote_literal(ARRAY['Payment Received']) || '::text[]',
                                    quote_literal(ARRAY['Payment Posted']) || '::text[]',
                                    quote_literal('infinity') || '::timestamptz'));
END
$$;

-- Step: the last finding (a log that mixes currencies), then every finding of the workspace
-- (_cm_issue) into <schema>.quality_issues.
CREATE FUNCTION collmine._cm_write_quality(p_source text, p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    -- a log that mixes currencies cannot add amounts across invoices without conversion
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'mixed_currency', 'info', NULL, string_agg(c, ', ' ORDER BY c),
           format('invoices in %s currencies (%s); collmine does not convert amounts', count(*), string_agg(c, ', ' ORDER BY c))
    FROM (SELECT DISTINCT i.currency AS c FROM _cm_inv i WHERE i.currency IS NOT NULL) x
    HAVING count(*) > 1;

    EXECUTE format($q$INSERT INTO %I.quality_issues
        SELECT %L, q.check_name, q.severity, q.source_table, q.source_ref, q.case_id, q.detail FROM pg_temp._cm_issue q$q$,
        p_schema, p_source);
END
$$;

-- Step: the build's result. Per activity: its events in the log (_cm_ev), plus the
-- customer-level events kept apart (_cm_cev) unless they were put on the invoices.
CREATE FUNCTION collmine._cm_event_counts(s jsonb)
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    RETURN QUERY
    SELECT t.activity,
           coalesce(v.n, 0) + CASE WHEN s->>'customer_events_on_invoices' = 'open_invoices' THEN 0 ELSE coalesce(c.n, 0) END
    FROM collmine.template_activities() t
    LEFT JOIN (SELECT x.activity, count(*) AS n FROM _cm_ev x GROUP BY x.activity) v ON v.activity = t.activity
    LEFT JOIN (SELECT x.activity, count(*) AS n FROM _cm_cev x GROUP BY x.activity) c ON c.activity = t.activity
    ORDER BY t.rank;
END
$$;

-- Cross-check the derivation against the ERP's own view of each invoice, where the source part
-- filled source_open / source_open_amount: status (open or closed at the export) and open amount
-- per invoice, and the open total per currency. Each disagreement is a finding with examples.
CREATE FUNCTION collmine._cm_crosscheck()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp._cm_xc;
    CREATE TEMP TABLE _cm_xc AS
    SELECT i.case_id, i.source_ref, i.currency, i.source_status, i.source_open, i.source_open_amount,
           e.end_kind IS NULL AS derived_open,
           i.amount - coalesce(ap.applied, 0) AS derived_open_amount
    FROM _cm_inv i
    LEFT JOIN _cm_end e USING (case_id)
    LEFT JOIN (SELECT a.case_id, sum(a.amount) AS applied FROM _cm_app a GROUP BY a.case_id) ap USING (case_id)
    WHERE i.source_open IS NOT NULL OR i.source_open_amount IS NOT NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'status_mismatch', 'warning', 'invoice', x.source_ref, x.case_id,
           format('the export says %s ("%s"), the applications in the export make it %s',
                  CASE WHEN x.source_open THEN 'open' ELSE 'closed' END, x.source_status,
                  CASE WHEN x.derived_open THEN 'open' ELSE 'settled or written off' END)
    FROM _cm_xc x WHERE x.source_open IS NOT NULL AND x.source_open <> x.derived_open;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'open_amount_mismatch', 'warning', 'invoice', x.source_ref, x.case_id,
           format('the export says %s unpaid, the applications in the export leave %s', x.source_open_amount, x.derived_open_amount)
    FROM _cm_xc x WHERE abs(x.source_open_amount - x.derived_open_amount) > 0.005;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'open_total_mismatch', 'warning', 'invoice', coalesce(x.currency, 'no currency'),
           format('open amount in %s: the export says %s, derived %s (difference %s over %s invoices)',
                  coalesce(x.currency, 'no currency'), sum(x.source_open_amount), sum(x.derived_open_amount),
                  sum(x.source_open_amount) - sum(x.derived_open_amount), count(*))
    FROM _cm_xc x WHERE x.source_open_amount IS NOT NULL AND x.derived_open_amount IS NOT NULL
    GROUP BY x.currency
    HAVING abs(sum(x.source_open_amount) - sum(x.derived_open_amount)) > 0.005;
    -- invoices closed in the export but without a single application: the link table is missing
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'missing_applications', 'error', 'invoice', format('%s invoices', count(*) FILTER (WHERE x.source_open IS FALSE OR x.source_open_amount < x.derived_open_amount - 0.005)),
           format('%s of %s invoices are closed or partly paid in the export but no application of any invoice was loaded: is the link table (nexttransactionlinelink or previoustransactionlinelink) missing?',
                  count(*) FILTER (WHERE x.source_open IS FALSE OR x.source_open_amount < x.derived_open_amount - 0.005), count(*))
    FROM _cm_xc x
    WHERE NOT EXISTS (SELECT 1 FROM _cm_app)
    HAVING count(*) FILTER (WHERE x.source_open IS FALSE OR x.source_open_amount < x.derived_open_amount - 0.005) > 0;
    DROP TABLE pg_temp._cm_xc;
END
$$;

-- The data-quality report of the last builds in a schema: one row per problem kind, with a
-- count and up to five example source rows.
CREATE FUNCTION collmine.data_quality(log_schema name)
RETURNS TABLE(source_system text, check_name text, severity text, problems bigint, examples text[], description text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, collmine
AS $$
BEGIN
    IF to_regclass(format('%I.quality_issues', log_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" has no quality_issues table', log_schema
            USING ERRCODE = 'undefined_table',
                  HINT = 'Run a build first, for example SELECT * FROM collmine.netsuite_build(''erp'');';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT q.source_system, q.check_name, q.severity, count(*),
               (array_agg(coalesce(q.case_id || ' (' || q.source_ref || ')', q.source_table || ' ' || q.source_ref, q.source_ref, q.case_id)
                          ORDER BY q.case_id, q.source_ref))[1:5],
               min(q.detail)
        FROM %I.quality_issues q
        GROUP BY q.source_system, q.check_name, q.severity
        ORDER BY q.source_system, CASE q.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, q.check_name$q$, log_schema);
END
$$;
COMMENT ON FUNCTION collmine.data_quality(name) IS
    'data-quality report of the last connector builds in a schema: problem kind, count, example rows';

-- ---------------------------------------------------------------------------------------------
-- Checked CSV import: lines landed in <schema>.csv_import by
--   \copy <schema>.csv_import(line) FROM 'file.csv' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
-- are split as CSV, the header is matched to the staging table's columns by name, and the rows
-- are inserted. Errors name the file line and the column.
-- ---------------------------------------------------------------------------------------------

-- Split one CSV record (quotes doubled inside quoted fields); unquoted empty fields are NULL.
CREATE FUNCTION collmine._cm_csv_split(p_line text, p_delim text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $$
DECLARE
    out text[] := '{}';
    d text := regexp_replace(p_delim, '([^A-Za-z0-9])', '\\\1', 'g');
    m text[];
    f text;
BEGIN
    FOR m IN SELECT regexp_matches(p_line || p_delim, '("(?:[^"]|"")*"|[^"' || d || ']*)' || d, 'g') LOOP
        f := m[1];
        IF f LIKE '"%' THEN
            f := replace(substr(f, 2, length(f) - 2), '""', '"');
        ELSIF f = '' THEN
            f := NULL;
        END IF;
        out := out || f;
    END LOOP;
    RETURN out;
END
$$;

-- The position of each staging column of one table in a file's header fields: the exact name,
-- else the same name in any case and without surrounding blanks (NetSuite and Dynamics exports
-- vary in both). NULL when the header lacks the column. The one header rule of import_csv and
-- collmine-load.
CREATE FUNCTION collmine._cm_header_map(p_source text, p_table text, p_fields text[])
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
CREATE FUNCTION collmine._cm_load_plan(p_source text, p_file text, p_header text)
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

CREATE FUNCTION collmine.import_csv(staging_table regclass, delimiter text DEFAULT ',')
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
    SELECT c.relnamespace::regnamespace::name, c.relname INTO nsp, rel FROM pg_class c WHERE c.oid = staging_table;
    src := (SELECT min(source) FROM collmine.staging_columns WHERE table_name = rel);
    IF src IS NULL THEN
        RAISE EXCEPTION 'table % is not a collmine staging table', staging_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Create staging tables with collmine.create_staging(source, schema) and name one of them.';
    END IF;
    IF delimiter IS NULL OR length(delimiter) <> 1 OR delimiter = '"' THEN
        RAISE EXCEPTION 'invalid delimiter "%"', delimiter
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
    fields := collmine._cm_csv_split(hdr, delimiter);
    -- a header that stays one field but contains another usual delimiter: wrong delimiter
    IF cardinality(fields) = 1 THEN
        other := (SELECT d FROM unnest(ARRAY[',', ';', E'\t', '|']) d WHERE d <> delimiter AND strpos(hdr, d) > 0 LIMIT 1);
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'header of % is one column "%": the file is delimited by "%", not "%"', staging_table, left(hdr, 60), other, delimiter
                USING ERRCODE = 'bad_copy_file_format',
                      HINT = format('Import it with SELECT collmine.import_csv(%L, %L);', staging_table::text, other);
        END IF;
    END IF;
    FOR want IN SELECT * FROM collmine._cm_header_map(src, rel, fields) LOOP
        idx := want.idx;
        IF idx IS NULL AND want.required THEN
            RAISE EXCEPTION 'column "%" is missing from the header of the file for %', want.column_name, staging_table
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
        GROUP BY rec$q$, delimiter, landing, hdr_line);
    SELECT c.line_no, cardinality(c.f) AS got INTO bad FROM _cm_csv c
    WHERE cardinality(c.f) <> cardinality(fields) ORDER BY c.line_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'line % of the file for % has % fields, the header has %', bad.line_no - hdr_line + 1, staging_table, bad.got, cardinality(fields)
            USING ERRCODE = 'bad_copy_file_format',
                  HINT = 'Check the delimiter and the quoting of that line: fields that contain the delimiter must be in double quotes.';
    END IF;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pg_temp._cm_csv ORDER BY line_no', staging_table, cols, vals);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format('TRUNCATE %s', landing);
    DROP TABLE pg_temp._cm_csv;
    RETURN n;
END
$$;
COMMENT ON FUNCTION collmine.import_csv(regclass, text) IS
    'move a CSV file landed in <schema>.csv_import into a staging table, matching header names and checking every line';

-- A date export value as the timestamp of its midnight in the load's time zone.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE FUNCTION collmine._cm_day(v text, p_table text, p_col text, p_row text, pc jsonb)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT collmine._cm_date(v, p_table, p_col, p_row, pc)::pg_catalog.timestamp
           AT TIME ZONE (pc OPERATOR(pg_catalog.->>) 'timezone')
$$;

-- Check that every staging table of a source exists with all its columns, and that no table
-- holds whole lines in its first column (a file loaded with the wrong delimiter).
CREATE FUNCTION collmine._cm_require(p_schema name, p_source text, p_skip text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    c record;
    first_col text;
    second_col text;
    v text;
BEGIN
    FOR c IN SELECT sc.table_name, sc.column_name FROM collmine.staging_columns sc
             WHERE sc.source = p_source AND sc.table_name <> ALL (p_skip) ORDER BY sc.table_name, sc.position LOOP
        IF to_regclass(format('%I.%I', p_schema, c.table_name)) IS NULL THEN
            RAISE EXCEPTION 'staging table %.% does not exist', p_schema, c.table_name
                USING ERRCODE = 'undefined_table',
                      HINT = format('Create the staging tables with SELECT collmine.create_staging(%L, %L); and load the exports into them (an empty table is fine).', p_source, p_schema);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = format('%I.%I', p_schema, c.table_name)::regclass
                         AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" is missing from staging table %.%', c.column_name, p_schema, c.table_name
                USING ERRCODE = 'undefined_column',
                      HINT = format('Recreate it with collmine.create_staging(%L, %L), or add the column: ALTER TABLE %I.%I ADD COLUMN %I text;',
                                    p_source, p_schema, p_schema, c.table_name, c.column_name);
        END IF;
    END LOOP;
    FOR c IN SELECT sc.table_name FROM collmine.staging_columns sc WHERE sc.source = p_source AND sc.table_name <> ALL (p_skip)
             GROUP BY sc.table_name ORDER BY sc.table_name LOOP
        SELECT min(column_name) FILTER (WHERE position = 1), min(column_name) FILTER (WHERE position = 2)
        INTO first_col, second_col
        FROM collmine.staging_columns WHERE source = p_source AND table_name = c.table_name;
        EXECUTE format('SELECT %1$I FROM %2$I.%3$I WHERE %4$I IS NULL AND %1$I ~ ''[;,\t|]'' LIMIT 1',
                       first_col, p_schema, c.table_name, second_col) INTO v;
        IF v IS NOT NULL THEN
            RAISE EXCEPTION 'staging table %.% holds whole lines in column "%": "%"', p_schema, c.table_name, first_col, left(v, 60)
                USING ERRCODE = 'bad_copy_file_format',
                      HINT = format('The file was loaded with the wrong delimiter. Truncate the table and load it again with the file''s delimiter, e.g. \copy %I.%I FROM ''file.csv'' WITH (FORMAT csv, HEADER true, DELIMITER '';'')',
                                    p_schema, c.table_name);
        END IF;
    END LOOP;
END
$$;
