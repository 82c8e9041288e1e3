-- Issue 9 (parts 2-5) and issue 13.4: NetSuite activities derived as the data template says,
-- the export checked against itself, attributes from the template, customer-level events kept
-- once (customer_events), payment applications kept (applications), settings validated and
-- implausible dates reported. Replaces the connector functions of sql/parts/40_connectors_common.sql,
-- 41_netsuite.sql and collmine.activity_pairs of 50_kpi.sql in place.

-- staging tables: new optional columns and tables (a fresh install registers them in this order)
DELETE FROM collmine.staging_columns WHERE source = 'netsuite' AND table_name IN ('phonecall', 'customer');
SELECT collmine._cm_def('netsuite', 'phonecall',
    ARRAY['id', 'title', 'startdate', 'completeddate', 'createddate', 'status', 'assigned', 'owner',
          'company', 'transaction', 'message'],
    ARRAY['id', 'completeddate']);
SELECT collmine._cm_def('netsuite', 'customer',
    ARRAY['id', 'entityid', 'companyname', 'category', 'creditlimit', 'terms', 'subsidiary', 'salesrep',
          'billcountry'],
    ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'previoustransactionlinelink',
    ARRAY['previousdoc', 'previousline', 'previoustype', 'nextdoc', 'nextline', 'nexttype', 'linktype',
          'foreignamount', 'lastmodifieddate'],
    ARRAY['previousdoc', 'nextdoc', 'foreignamount', 'lastmodifieddate']);
SELECT collmine._cm_def('netsuite', 'employee', ARRAY['id', 'entityid', 'firstname', 'lastname', 'email'], ARRAY['id']);
SELECT collmine._cm_def('netsuite', 'currency', ARRAY['id', 'name', 'symbol'], ARRAY['id']);

-- ---------------------------------------------------------------------------------------------
-- Settings. Each build takes a jsonb of settings merged over the source defaults; unknown keys
-- are an error so that a typo never silently falls back to a default.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION collmine.connector_settings(p_source text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    common jsonb := '{"date_format": "YYYY-MM-DD", "timestamp_format": null, "timezone": "UTC",
                      "as_of": null, "on_error": "error", "min_date": "1900-01-01", "max_years_ahead": 5,
                      "customer_events_on_invoices": "none"}';
BEGIN
    PERFORM collmine._cm_check_source(p_source);
    RETURN common || CASE p_source
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
            "call_time_field": "completeddate",
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

-- Raise the error of an invalid setting value, naming the setting.
CREATE OR REPLACE FUNCTION collmine._cm_setting_check(p_source text, p_key text, p_value jsonb, p_ok boolean, p_hint text)
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

-- Parse a date export value with the load's date_format. Values that match the format's
-- strict pattern (collmine.cm_date_fast, built by _cm_fast_pattern: cannot fail to parse) are
-- cast inline, in the query; every other value goes to _cm_date_parse, which reports it.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE OR REPLACE FUNCTION collmine._cm_date(v text, p_table text, p_col text, p_row text)
RETURNS date
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN v IS NULL THEN NULL
        WHEN pg_catalog.btrim(v) OPERATOR(pg_catalog.~) pg_catalog.current_setting('collmine.cm_date_fast')
            THEN collmine._cm_date_cast(v)
        ELSE collmine._cm_date_parse(v, p_table, p_col, p_row) END
$$;

-- The cast of a value that matched the fast date pattern.
CREATE OR REPLACE FUNCTION collmine._cm_date_cast(v text)
RETURNS date
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('collmine.cm_date_format') OPERATOR(pg_catalog.=) 'YYYY-MM-DD'
                THEN pg_catalog.left(pg_catalog.btrim(v), 10)::pg_catalog.date
                ELSE pg_catalog.to_date(pg_catalog.btrim(v), pg_catalog.current_setting('collmine.cm_date_format')) END
$$;

-- A strict regular expression for values of a to_date / to_timestamp format that are sure to
-- parse and to lie in the plausible window (day 1 to 28, a year strictly inside the window,
-- hours and minutes in range), or '' when the format has other fields: values that do not
-- match take the slow, checked path.
CREATE OR REPLACE FUNCTION collmine._cm_fast_pattern(p_format text, p_iso_date boolean, p_min date, p_max date)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $$
DECLARE
    tok text;
    re text := '';
    yyyy text := '(' || coalesce((SELECT string_agg(y::text, '|') FROM generate_series(extract(year FROM p_min)::integer + 1,
                                                                                      extract(year FROM p_max)::integer - 1) y
                                  WHERE y BETWEEN 1000 AND 9999), 'x') || ')';
BEGIN
    IF p_format IS NULL THEN
        -- ISO 8601 local time, as _cm_ts reads it without timestamp_format
        RETURN '^' || yyyy || '-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$';
    END IF;
    IF p_iso_date AND p_format = 'YYYY-MM-DD' THEN
        RETURN '^' || yyyy || '-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])([ T].*)?$';
    END IF;
    FOR tok IN SELECT m[1] FROM regexp_matches(p_format, '(YYYY|HH24|HH12|HH|MM|MI|DD|SS|AM|PM|am|pm|[A-Za-z]+|.)', 'g') m LOOP
        re := re || CASE
            WHEN tok = 'YYYY' THEN yyyy
            WHEN tok = 'MM' THEN '(0?[1-9]|1[0-2])'
            WHEN tok = 'DD' THEN '(0?[1-9]|1\d|2[0-8])'
            WHEN tok = 'HH24' THEN '([01]?\d|2[0-3])'
            WHEN tok IN ('HH12', 'HH') THEN '(0?[1-9]|1[0-2])'
            WHEN tok IN ('MI', 'SS') THEN '[0-5]\d'
            WHEN tok IN ('AM', 'PM', 'am', 'pm') THEN '[aApP][mM]'
            WHEN tok ~ '^[A-Za-z]' THEN NULL
            ELSE regexp_replace(tok, '([^A-Za-z0-9 ])', '\\\1', 'g') END;
        IF re IS NULL THEN
            RETURN '';
        END IF;
    END LOOP;
    RETURN '^' || re || '$';
END
$$;

-- The checked parse of a date value: errors and findings name table, column and row.
CREATE OR REPLACE FUNCTION collmine._cm_date_parse(v text, p_table text, p_col text, p_row text)
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := current_setting('collmine.cm_date_format');
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
            format('Dates are read with the date_format setting, now ''%s''; pass for example ''{"date_format": "MM/DD/YYYY"}'' to the build function.', fmt));
        RETURN NULL;
    END;
    IF d < current_setting('collmine.cm_min_date')::date OR d > current_setting('collmine.cm_max_date')::date THEN
        RETURN collmine._cm_implausible(v, p_table, p_col, p_row);
    END IF;
    RETURN d;
END
$$;

-- Parse a timestamp export value: timestamp_format if set, else ISO 8601; values without a
-- UTC offset are local times in the load's timezone setting. Values that match the strict
-- pattern collmine.cm_ts_fast are cast inline; the others go to _cm_ts_parse.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE OR REPLACE FUNCTION collmine._cm_ts(v text, p_table text, p_col text, p_row text)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN v IS NULL THEN NULL
        WHEN pg_catalog.btrim(v) OPERATOR(pg_catalog.~) pg_catalog.current_setting('collmine.cm_ts_fast')
            THEN collmine._cm_ts_cast(v)
        ELSE collmine._cm_ts_parse(v, p_table, p_col, p_row) END
$$;

-- The cast of a value that matched the fast timestamp pattern.
CREATE OR REPLACE FUNCTION collmine._cm_ts_cast(v text)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT (CASE WHEN pg_catalog.current_setting('collmine.cm_timestamp_format') OPERATOR(pg_catalog.=) ''
                 THEN pg_catalog.btrim(v)::pg_catalog.timestamp
                 ELSE pg_catalog.to_timestamp(pg_catalog.btrim(v), pg_catalog.current_setting('collmine.cm_timestamp_format'))::pg_catalog.timestamp END)
           AT TIME ZONE pg_catalog.current_setting('collmine.cm_timezone')
$$;

-- The checked parse of a timestamp value: errors and findings name table, column and row.
CREATE OR REPLACE FUNCTION collmine._cm_ts_parse(v text, p_table text, p_col text, p_row text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    fmt text := nullif(current_setting('collmine.cm_timestamp_format'), '');
    tz text := current_setting('collmine.cm_timezone');
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
            t := collmine._cm_date_strict(s)::timestamp AT TIME ZONE tz;
        END IF;
    EXCEPTION WHEN data_exception THEN
        PERFORM collmine._cm_bad('timestamp', v, p_table, p_col, p_row,
            format('Timestamps are read as ISO 8601 (2024-09-14 13:05:00) unless the timestamp_format setting is given (now %s), for example ''{"timestamp_format": "MM/DD/YYYY HH12:MI am"}''.', coalesce(fmt, 'not set')));
        RETURN NULL;
    END;
    IF t < current_setting('collmine.cm_min_date')::date::timestamp AT TIME ZONE tz
       OR t >= (current_setting('collmine.cm_max_date')::date + 1)::timestamp AT TIME ZONE tz THEN
        RETURN collmine._cm_implausible(v, p_table, p_col, p_row);
    END IF;
    RETURN t;
END
$$;

-- Parse an amount: digits with an optional sign and decimal point (no thousands separators).
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE OR REPLACE FUNCTION collmine._cm_num(v text, p_table text, p_col text, p_row text)
RETURNS numeric
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE
        WHEN pg_catalog.btrim(v) OPERATOR(pg_catalog.~) '^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$'
            THEN pg_catalog.btrim(v)::pg_catalog.numeric
        ELSE collmine._cm_num_parse(v, p_table, p_col, p_row) END
$$;

-- The checked parse of an amount: errors and findings name table, column and row.
CREATE OR REPLACE FUNCTION collmine._cm_num_parse(v text, p_table text, p_col text, p_row text)
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
        'Amounts must be plain numbers such as 1234.56 or -10 (no currency symbols or thousands separators).');
    RETURN NULL;
END
$$;

-- A date export value as the timestamp of its midnight in the load's time zone.
-- (no SET clause, so that the planner inlines it; everything is schema-qualified instead)
CREATE OR REPLACE FUNCTION collmine._cm_day(v text, p_table text, p_col text, p_row text)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT collmine._cm_date(v, p_table, p_col, p_row)::pg_catalog.timestamp
           AT TIME ZONE pg_catalog.current_setting('collmine.cm_timezone')
$$;

-- A date outside the plausible window (settings min_date, max_years_ahead) is a finding, never
-- kept: it is read as NULL whatever on_error says, so that no event lands in year 1 or 9999.
CREATE OR REPLACE FUNCTION collmine._cm_implausible(v text, p_table text, p_col text, p_row text)
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

-- Add the columns (given as 'name type') that a table made by an earlier version lacks.
CREATE OR REPLACE FUNCTION collmine._cm_add_columns(p_schema name, p_table name, p_columns text[])
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

-- Create the canonical event log and invoice tables (docs/architecture.md) and the table that
-- keeps the data-quality findings of the last build, if they do not exist yet.
CREATE OR REPLACE FUNCTION collmine.create_event_log(p_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', p_schema);
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
        cycle_time interval, posting_lag interval, last_data_update timestamptz,
        source_status text, credit_limit numeric)$f$, p_schema);
    -- invoices tables made by 0.1.0 get the columns added since (only when missing: no lock)
    PERFORM collmine._cm_add_columns(p_schema, 'invoices', ARRAY['source_status text', 'credit_limit numeric']);
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.quality_issues (
        source_system text NOT NULL, check_name text NOT NULL, severity text NOT NULL,
        source_table text, source_ref text, case_id text, detail text)$f$, p_schema);
    -- customer-level events (credit-limit requests and approvals, calls about no invoice), once each
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.customer_events (
        customer_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
        user_id text, is_automated boolean, detail text, source_system text, source_ref text)$f$, p_schema);
    -- every application of a payment, credit memo or write-off to an invoice, with the payment's
    -- own posting and whether the application was re-made later (payment-application rework)
    EXECUTE format($f$CREATE TABLE IF NOT EXISTS %I.applications (
        case_id text NOT NULL, kind text NOT NULL, document text, amount numeric, currency text,
        document_at timestamptz, posted_at timestamptz, applied_at timestamptz, reapplied boolean,
        source_system text, source_ref text)$f$, p_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS events_case_ts ON %I.events (case_id, ts, ord)', p_schema);
END
$$;
COMMENT ON FUNCTION collmine.create_event_log(name) IS
    'create <schema>.events, invoices, quality_issues, customer_events and applications (owned by the caller) if missing';

-- ---------------------------------------------------------------------------------------------
-- Build workspace: temporary tables that a source part fills and _cm_finish consumes.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION collmine._cm_begin(p_source text, p_schema name, s jsonb)
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
    PERFORM set_config('collmine.cm_on_error', s->>'on_error', true);
    PERFORM set_config('collmine.cm_date_format', s->>'date_format', true);
    PERFORM set_config('collmine.cm_timestamp_format', coalesce(s->>'timestamp_format', ''), true);
    PERFORM set_config('collmine.cm_timezone', s->>'timezone', true);
    PERFORM set_config('collmine.cm_min_date', to_char((s->>'min_date')::date, 'YYYY-MM-DD'), true);
    PERFORM set_config('collmine.cm_max_date',
        to_char((greatest(now(), (s->>'as_of')::timestamptz) AT TIME ZONE (s->>'timezone'))::date
                + make_interval(years => (s->>'max_years_ahead')::integer), 'YYYY-MM-DD'), true);
    -- patterns of values that parse inline, in the window (the others take the checked path)
    PERFORM set_config('collmine.cm_date_fast', collmine._cm_fast_pattern(s->>'date_format', true,
        current_setting('collmine.cm_min_date')::date, current_setting('collmine.cm_max_date')::date), true);
    PERFORM set_config('collmine.cm_ts_fast', collmine._cm_fast_pattern(s->>'timestamp_format', false,
        current_setting('collmine.cm_min_date')::date, current_setting('collmine.cm_max_date')::date), true);
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

-- Turn the workspace into the canonical events and invoices of one source, and store the
-- quality findings. Returns the event count per activity.
CREATE OR REPLACE FUNCTION collmine._cm_finish(p_source text, p_schema name, s jsonb)
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
SET client_min_messages = warning
AS $$
DECLARE
    as_of timestamptz;
    tz text := s->>'timezone';
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

    -- the data's own "now": the as_of setting, else the latest time anywhere in the export
    as_of := coalesce((s->>'as_of')::timestamptz,
                      greatest((SELECT max(invoice_ts) FROM _cm_inv), (SELECT max(applied_ts) FROM _cm_app),
                               (SELECT max(doc_ts) FROM _cm_app), (SELECT max(ts) FROM _cm_raw)));

    -- running balance per invoice: the application that brings it to zero settles the invoice,
    -- or writes it off when that application is a write-off
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

    -- all events of the load, before ordering
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

    -- customer-level events (credit limits, calls about no invoice) are kept once each in
    -- customer_events; with customer_events_on_invoices = open_invoices they are also put on
    -- every invoice of that customer that is open at that moment
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

    -- Payment Due Date Passed: at the end of the due date, if the invoice was still open then
    INSERT INTO _cm_ev
    SELECT i.case_id, 'Payment Due Date Passed', ((i.due_date + 1)::timestamp AT TIME ZONE tz), NULL, true, NULL, NULL, i.source_ref, NULL
    FROM _cm_inv i LEFT JOIN _cm_end e USING (case_id)
    WHERE i.due_date IS NOT NULL AND i.invoice_ts IS NOT NULL
      AND ((i.due_date + 1)::timestamp AT TIME ZONE tz) <= as_of
      AND (e.end_ts IS NULL OR e.end_ts >= ((i.due_date + 1)::timestamp AT TIME ZONE tz));

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

    -- the export checked against itself: the ERP's own status and open amount against the
    -- derived ones, per invoice and in total per currency
    PERFORM collmine._cm_crosscheck();

    -- write the canonical tables: replace this source's rows, keep other sources' rows
    EXECUTE format('DELETE FROM %I.customer_events WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.applications WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.events WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.invoices WHERE source_system = %L', p_schema, p_source);
    EXECUTE format('DELETE FROM %I.quality_issues WHERE source_system = %L', p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.events (case_id, activity, ts, ord, user_id, is_automated, amount, currency, source_system, source_ref)
        SELECT v.case_id, v.activity, v.ts,
               row_number() OVER (ORDER BY v.ts, t.rank, v.case_id, v.sort_key, v.source_ref, v.user_id, v.amount),
               v.user_id, v.is_automated, v.amount, v.currency, %L, v.source_ref
        FROM pg_temp._cm_ev v JOIN collmine.template_activities() t ON t.activity = v.activity$q$, p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.customer_events (customer_id, activity, ts, ord, user_id, is_automated, detail, source_system, source_ref)
        SELECT v.customer_id, v.activity, v.ts,
               row_number() OVER (ORDER BY v.ts, t.rank, v.customer_id, v.sort_key, v.source_ref, v.user_id),
               v.user_id, v.is_automated, v.detail, %L, v.source_ref
        FROM pg_temp._cm_cev v JOIN collmine.template_activities() t ON t.activity = v.activity$q$, p_schema, p_source);
    EXECUTE format($q$INSERT INTO %I.applications (case_id, kind, document, amount, currency, document_at, posted_at,
                                                   applied_at, reapplied, source_system, source_ref)
        SELECT a.case_id, a.kind, a.doc_ref, a.amount, a.currency, a.doc_ts, a.posted_ts, a.applied_ts,
               coalesce(a.reapplied, false), %L, a.source_ref
        FROM pg_temp._cm_app a$q$, p_schema, p_source);

    EXECUTE format($q$INSERT INTO %I.invoices
        SELECT i.case_id, i.customer_id, i.customer_name, i.segment, i.business_unit, i.collector,
               i.country, i.terms, i.currency,
               CASE WHEN e.end_kind IS NULL THEN 'open' WHEN e.end_kind = 'writeoff' THEN 'written_off' ELSE 'settled' END,
               dr.detail,
               %2$L, i.terms_days, i.invoice_date, i.due_date, i.amount,
               coalesce(ap.paid, 0), coalesce(ap.credited, 0), coalesce(ap.written_off, 0),
               i.amount - coalesce(ap.paid, 0) - coalesce(ap.credited, 0) - coalesce(ap.written_off, 0) - coalesce(ap.other, 0),
               CASE WHEN e.end_kind <> 'writeoff' THEN e.end_ts END,
               CASE WHEN e.end_kind = 'writeoff' THEN e.end_ts END,
               greatest(0, coalesce((e.end_ts AT TIME ZONE %3$L)::date, (%4$L::timestamptz AT TIME ZONE %3$L)::date) - i.due_date),
               CASE WHEN e.end_kind IS NULL THEN NULL WHEN e.end_kind = 'writeoff' THEN false
                    ELSE e.end_ts < ((i.due_date + 1)::timestamp AT TIME ZONE %3$L) END,
               e.end_ts - i.invoice_ts,
               ap.lag,
               %4$L::timestamptz,
               i.source_status, i.credit_limit
        FROM pg_temp._cm_inv i
        LEFT JOIN pg_temp._cm_end e USING (case_id)
        LEFT JOIN (SELECT a.case_id,
                          sum(a.amount) FILTER (WHERE a.kind = 'payment') AS paid,
                          sum(a.amount) FILTER (WHERE a.kind = 'credit') AS credited,
                          sum(a.amount) FILTER (WHERE a.kind = 'writeoff') AS written_off,
                          sum(a.amount) FILTER (WHERE a.kind NOT IN ('payment', 'credit', 'writeoff')) AS other,
                          avg(coalesce(a.posted_ts, a.applied_ts) - a.doc_ts) FILTER (WHERE a.kind = 'payment' AND a.unposted IS NOT TRUE) AS lag
                   FROM pg_temp._cm_app a GROUP BY a.case_id) ap USING (case_id)
        LEFT JOIN (SELECT DISTINCT ON (r.case_id) r.case_id, r.detail FROM pg_temp._cm_raw r
                   WHERE r.activity IN ('dispute:disputed', 'dispute:reason')
                   ORDER BY r.case_id, r.activity = 'dispute:reason' DESC, r.ts DESC, r.sort_key DESC, r.source_ref DESC) dr USING (case_id)$q$,
        p_schema, p_source, tz, as_of);

    -- a log that mixes currencies cannot add amounts across invoices without conversion
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'mixed_currency', 'info', NULL, string_agg(c, ', ' ORDER BY c),
           format('invoices in %s currencies (%s); collmine does not convert amounts', count(*), string_agg(c, ', ' ORDER BY c))
    FROM (SELECT DISTINCT i.currency AS c FROM _cm_inv i WHERE i.currency IS NOT NULL) x
    HAVING count(*) > 1;

    EXECUTE format($q$INSERT INTO %I.quality_issues
        SELECT %L, q.check_name, q.severity, q.source_table, q.source_ref, q.case_id, q.detail FROM pg_temp._cm_issue q$q$,
        p_schema, p_source);

    -- per activity: its events in the log, plus the customer-level events kept apart
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
CREATE OR REPLACE FUNCTION collmine._cm_crosscheck()
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

-- Derive the canonical events and invoices of <schema> from its NetSuite staging tables.
-- The rule of each activity is the data template's (../shared/reference/netsuite-data-template.txt,
-- "Where to get" and "Capture"); docs/connectors.md puts each rule next to the template's text.
CREATE OR REPLACE FUNCTION collmine.netsuite_build(p_schema name, p_settings jsonb DEFAULT '{}')
RETURNS TABLE(activity text, events bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    s jsonb := collmine._cm_settings('netsuite', p_settings);
    tr text; tl text; lk text; lk2 text; sn text; pc text; msg text; cu text; te text; su text; ev text; em text; cy text;
    auto_users text[] := collmine._cm_list(s->'automated_users');
    ui_ctx text[] := collmine._cm_list(s->'interactive_contexts');
    has_prev boolean;
BEGIN
    PERFORM collmine._cm_begin('netsuite', p_schema, s);
    -- staging schemas made by an earlier version lack the tables and columns added since
    PERFORM collmine.create_staging('netsuite', p_schema);
    PERFORM collmine._cm_add_columns(p_schema, 'phonecall', ARRAY['message text']);
    PERFORM collmine._cm_add_columns(p_schema, 'customer', ARRAY['billcountry text']);
    PERFORM collmine._cm_require(p_schema, 'netsuite', ARRAY['transaction_search']);   -- read only by netsuite_from_saved_search
    tr  := collmine._cm_dedup(p_schema, 'transaction', ARRAY['id']);
    tl  := collmine._cm_dedup(p_schema, 'transactionline', ARRAY['transaction', 'id']);
    lk  := collmine._cm_dedup(p_schema, 'nexttransactionlinelink', ARRAY['previousdoc', 'previousline', 'nextdoc', 'nextline']);
    lk2 := collmine._cm_dedup(p_schema, 'previoustransactionlinelink', ARRAY['previousdoc', 'previousline', 'nextdoc', 'nextline']);
    sn  := collmine._cm_dedup(p_schema, 'systemnote', ARRAY['id']);
    pc  := collmine._cm_dedup(p_schema, 'phonecall', ARRAY['id']);
    msg := collmine._cm_dedup(p_schema, 'message', ARRAY['id']);
    cu  := collmine._cm_dedup(p_schema, 'customer', ARRAY['id']);
    te  := collmine._cm_dedup(p_schema, 'term', ARRAY['id']);
    su  := collmine._cm_dedup(p_schema, 'subsidiary', ARRAY['id']);
    ev  := collmine._cm_dedup(p_schema, 'customrecord_3805_dunning_eval_result', ARRAY['id']);
    em  := collmine._cm_dedup(p_schema, 'employee', ARRAY['id']);
    cy  := collmine._cm_dedup(p_schema, 'currency', ARRAY['id']);

    -- the two link tables are one fact seen from either end: read their union, once per link
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', lk2) INTO has_prev;
    IF has_prev THEN
        DROP TABLE IF EXISTS pg_temp._cm_ns_link;
        EXECUTE format($q$CREATE TEMP TABLE _cm_ns_link AS
            SELECT DISTINCT ON (k.previousdoc, k.previousline, k.nextdoc, k.nextline)
                   k.previousdoc, k.previousline, k.previoustype, k.nextdoc, k.nextline, k.nexttype, k.linktype,
                   k.foreignamount, k.lastmodifieddate
            FROM (SELECT 1 AS pref, x.* FROM %s x UNION ALL SELECT 2, y.* FROM %s y) k
            ORDER BY k.previousdoc, k.previousline, k.nextdoc, k.nextline, k.pref$q$, lk, lk2);
        ANALYZE pg_temp._cm_ns_link;
        lk := 'pg_temp._cm_ns_link';
    END IF;

    -- transaction types outside the known set are reported once per value
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'unknown_enum_value', 'warning', 'transaction', 'id=' || t.id, format('column "type" has unknown value "%%s"', t.type)
        FROM %s t WHERE t.type IS NULL OR t.type NOT IN ('CustInvc', 'CustPymt', 'CustCred', 'Journal', 'Deposit', 'CustDep', 'CustRfnd')$q$, tr);

    -- invoices. Template attributes: CustomerId the customer's entityid (else its internal id),
    -- Country the customer's billing country (country_source), CollectorName the dunning
    -- manager's (else the sales rep's) employee name, currency code, credit limit, the
    -- NetSuite status (A Open, B Paid In Full, ...), and the unpaid amount for the cross-check
    EXECUTE format($q$INSERT INTO pg_temp._cm_inv
        SELECT t.tranid, t.id, t.entity, coalesce(nullif(btrim(c.entityid), ''), t.entity), c.companyname, c.category,
               coalesce(sl.name, sc.name, l.subsidiary, c.subsidiary),
               coalesce(nullif(btrim(concat_ws(' ', e.firstname, e.lastname)), ''), e.entityid,
                        coalesce(t.custbody_3805_dunning_manager, c.salesrep)),
               CASE WHEN %2$L = 'customer' THEN c.billcountry ELSE coalesce(sl.country, sc.country) END,
               coalesce(te.name, t.terms),
               collmine._cm_num(te.daysuntilnetdue, 'term', 'daysuntilnetdue', 'id=' || te.id)::integer,
               coalesce(cy.symbol, t.currency), collmine._cm_num(t.foreigntotal, 'transaction', 'foreigntotal', 'id=' || t.id),
               coalesce(collmine._cm_ts(t.createddate, 'transaction', 'createddate', 'id=' || t.id),
                        td.d::timestamp AT TIME ZONE %10$L),
               td.d,
               collmine._cm_date(t.duedate, 'transaction', 'duedate', 'id=' || t.id),
               t.createdby, t.createdby = ANY (%1$L::text[]), 'transaction:' || t.id,
               CASE st.code WHEN 'A' THEN 'Open' WHEN 'B' THEN 'Paid In Full' WHEN 'D' THEN 'Pending Approval'
                            WHEN 'E' THEN 'Rejected' WHEN 'V' THEN 'Voided' ELSE t.status END,
               CASE st.code WHEN 'A' THEN true WHEN 'B' THEN false END,
               collmine._cm_num(t.foreignamountunpaid, 'transaction', 'foreignamountunpaid', 'id=' || t.id),
               collmine._cm_num(c.creditlimit, 'customer', 'creditlimit', 'id=' || c.id)
        FROM %3$s t
        CROSS JOIN LATERAL (SELECT collmine._cm_date(t.trandate, 'transaction', 'trandate', 'id=' || t.id) AS d) td
        CROSS JOIN LATERAL (SELECT CASE upper(btrim(regexp_replace(t.status, '^CustInvc:', '')))
                                       WHEN 'A' THEN 'A' WHEN 'OPEN' THEN 'A' WHEN 'B' THEN 'B' WHEN 'PAID IN FULL' THEN 'B'
                                       WHEN 'D' THEN 'D' WHEN 'PENDING APPROVAL' THEN 'D' WHEN 'E' THEN 'E'
                                       WHEN 'REJECTED' THEN 'E' WHEN 'V' THEN 'V' WHEN 'VOIDED' THEN 'V' END AS code) st
        LEFT JOIN (SELECT DISTINCT ON (x.transaction) x.transaction, x.subsidiary FROM %4$s x
                   ORDER BY x.transaction, (x.mainline = 'T') DESC, collmine._cm_key(x.id), x.id) l ON l.transaction = t.id
        LEFT JOIN %5$s c ON c.id = t.entity
        LEFT JOIN %6$s te ON te.id = t.terms
        LEFT JOIN %7$s sl ON sl.id = l.subsidiary
        LEFT JOIN %7$s sc ON sc.id = c.subsidiary
        LEFT JOIN %8$s e ON e.id = coalesce(t.custbody_3805_dunning_manager, c.salesrep)
        LEFT JOIN %9$s cy ON cy.id = t.currency
        WHERE t.type = 'CustInvc'$q$, auto_users, s->>'country_source', tr, tl, cu, te, su, em, cy, s->>'timezone');
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_enum_value', 'warning', 'transaction', i.source_ref, i.case_id,
           format('column "status" has unknown value "%s"; the status cross-check skips it', i.source_status)
    FROM _cm_inv i WHERE i.source_open IS NULL AND i.source_status IS NOT NULL
      AND i.source_status NOT IN ('Pending Approval', 'Rejected', 'Voided');
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'missing_country', 'info', 'customer', format('%s invoices', count(*) FILTER (WHERE i.country IS NULL)),
           format('%s of %s invoices have no country: %s', count(*) FILTER (WHERE i.country IS NULL), count(*),
                  CASE WHEN s->>'country_source' = 'customer'
                       THEN 'the customer export has no billcountry (the template''s billing country); "country_source": "subsidiary" takes the subsidiary''s'
                       ELSE 'the subsidiary has no country' END)
    FROM _cm_inv i HAVING count(*) FILTER (WHERE i.country IS NULL) > 0;
    EXECUTE format('INSERT INTO pg_temp._cm_cust SELECT c.id, coalesce(nullif(btrim(c.entityid), %L), c.id) FROM %s c', '', cu);

    -- applications: a payment, credit memo or journal linked to the invoice. Template: Payment
    -- Received at the payment's transaction date; Payment Posted at its GL posting (posting
    -- 'T': its creation time), once; Credit Memo Issued and Invoice Written Off at the document's
    -- creation time. The link's lastmodifieddate is when the payment was applied: later than the
    -- posting by more than reapplication_after, it is a re-application (rework), kept as such.
    EXECUTE format($q$INSERT INTO pg_temp._cm_app
        SELECT x.case_id, x.kind, x.doc_ref, x.amount, x.currency,
               CASE WHEN x.kind = 'payment' THEN x.doc_day ELSE coalesce(x.created, x.doc_day) END,
               greatest(x.applied, x.created, x.doc_day),   -- never before the document exists
               x.user_id, x.auto, x.source_ref, x.sort_key,
               CASE WHEN x.kind = 'payment' AND x.posting IS NOT FALSE THEN coalesce(x.created, x.doc_day) END,
               x.kind = 'payment' AND x.posting IS NOT FALSE AND x.applied > coalesce(x.created, x.doc_day) + %L::interval,
               x.kind = 'payment' AND x.posting IS FALSE
        FROM (SELECT coalesce(i.tranid, 'transaction id=' || k.previousdoc) AS case_id,
                     CASE WHEN n.type = 'CustPymt' THEN 'payment'
                          WHEN n.type IN ('CustCred', 'Journal') AND n.memo ~* %L THEN 'writeoff'
                          WHEN n.type = 'CustCred' THEN 'credit'
                          ELSE 'other' END AS kind,
                     coalesce(n.tranid, 'transaction id=' || k.nextdoc) AS doc_ref,
                     abs(collmine._cm_num(k.foreignamount, 'nexttransactionlinelink', 'foreignamount', format('%%s->%%s', k.previousdoc, k.nextdoc))) AS amount,
                     coalesce(cy.symbol, n.currency) AS currency,
                     collmine._cm_day(n.trandate, 'transaction', 'trandate', 'id=' || n.id) AS doc_day,
                     collmine._cm_ts(n.createddate, 'transaction', 'createddate', 'id=' || n.id) AS created,
                     collmine._cm_ts(k.lastmodifieddate, 'nexttransactionlinelink', 'lastmodifieddate', format('%%s->%%s', k.previousdoc, k.nextdoc)) AS applied,
                     collmine._cm_bool(n.posting) AS posting,
                     n.createdby AS user_id, n.createdby = ANY (%L::text[]) AS auto,
                     format('nexttransactionlinelink:%%s->%%s/%%s', k.previousdoc, k.nextdoc, coalesce(k.nextline, '')) AS source_ref,
                     collmine._cm_key(k.nextdoc) AS sort_key
              FROM %s k
              LEFT JOIN %s i ON i.id = k.previousdoc
              LEFT JOIN %s n ON n.id = k.nextdoc
              LEFT JOIN %s cy ON cy.id = n.currency
              WHERE i.id IS NULL OR i.type = 'CustInvc') x$q$,
        s->>'reapplication_after', s->>'writeoff_memo_pattern', auto_users, lk, tr, tr, cy);
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, case_id, detail)
    SELECT 'unknown_document', 'warning', 'nexttransactionlinelink', a.source_ref, a.case_id, 'the applying transaction is not in the export; ignored'
    FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';
    DELETE FROM _cm_app a WHERE a.doc_ref LIKE 'transaction id=%';

    -- Invoice Sent to Customer: an e-mailed message on the invoice
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || m.transaction), NULL, 'Invoice Sent to Customer',
               collmine._cm_ts(m.messagedate, 'message', 'messagedate', 'id=' || m.id), m.author, false, NULL,
               'message:' || m.id, collmine._cm_key(m.id)
        FROM %s m LEFT JOIN %s i ON i.id = m.transaction
        WHERE coalesce(collmine._cm_bool(m.isemailed), true) AND (i.id IS NULL OR i.type = 'CustInvc')$q$, msg, tr);

    -- Overdue Reminder Sent: each dunning letter (evaluation result) whose status is not one of
    -- dunning_ignored_statuses (by default Cancelled, Rejected, Failed: no letter went out), for
    -- each invoice in its list, at its creation
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT coalesce(i.tranid, 'transaction id=' || btrim(inv)), e.custrecord_3805_evaluation_result_cust, 'Overdue Reminder Sent',
               collmine._cm_ts(e.created, 'customrecord_3805_dunning_eval_result', 'created', 'id=' || e.id), NULL, true,
               e.custrecord_3805_eval_result_letter_type, 'customrecord_3805_dunning_eval_result:' || e.id, collmine._cm_key(e.id)
        FROM %s e CROSS JOIN LATERAL unnest(string_to_array(e.custrecord_3805_eval_result_invoice_list, ',')) inv
        LEFT JOIN %s i ON i.id = btrim(inv)
        WHERE btrim(inv) <> '' AND coalesce(e.custrecord_3805_eval_result_status, '') <> ALL (%L::text[])$q$,
        ev, tr, collmine._cm_list(s->'dunning_ignored_statuses'));

    -- system notes: dunning level set, dispute field changes, credit limit changes
    EXECUTE format($q$INSERT INTO pg_temp._cm_raw
        SELECT CASE WHEN n.recordtypeid = %2$L THEN coalesce(i.tranid, 'transaction id=' || n.recordid) END,
               CASE WHEN n.recordtypeid = %3$L THEN n.recordid END,
               CASE WHEN upper(n.field) = upper(%4$L) THEN 'Dunning Procedure Initiated'
                    WHEN upper(n.field) = upper(%5$L) AND coalesce(n.newvalue, '') = ANY (%6$L::text[]) THEN 'dispute:resolved'
                    WHEN upper(n.field) = upper(%5$L) THEN 'dispute:disputed'
                    WHEN upper(n.field) = upper(%12$L) THEN 'dispute:reason'
                    WHEN upper(n.field) = upper(%7$L) THEN 'Credit Limit Approved'
                    ELSE 'Credit Limit Requested' END,
               collmine._cm_ts(n.date, 'systemnote', 'date', 'id=' || n.id), n.name,
               n.name = ANY (%8$L::text[]) OR coalesce(n.context, '') <> ALL (%9$L::text[]),
               n.newvalue, 'systemnote:' || n.id, collmine._cm_key(n.id)
        FROM %1$s n LEFT JOIN %10$s i ON i.id = n.recordid AND n.recordtypeid = %2$L
        WHERE (n.recordtypeid = %2$L AND upper(n.field) IN (upper(%4$L), upper(%5$L), upper(%12$L))
               AND (i.id IS NULL OR i.type = 'CustInvc')
               AND NOT (upper(n.field) = upper(%4$L) AND coalesce(n.newvalue, '') IN ('', '0'))
               AND NOT (upper(n.field) = upper(%12$L) AND coalesce(n.newvalue, '') = ''))
           OR (n.recordtypeid = %3$L AND upper(n.field) IN (upper(%7$L), upper(%11$L)))$q$,
        sn, s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dunning_level_field',
        s->>'dispute_field', collmine._cm_list(s->'dispute_resolved_values'), s->>'credit_limit_field',
        auto_users, ui_ctx, tr, s->>'credit_limit_request_field', coalesce(s->>'dispute_reason_field', ''));

    -- Collection Call Made (template: a Phone Call whose related record is the customer and
    -- whose message references the invoice number): a completed call belongs to the invoice in
    -- its transaction field, else to each invoice of its customer whose number (tranid) is a word
    -- of its title or message (call_invoice_in_text), else to the customer alone: a
    -- customer-level event, never copied onto invoices unless customer_events_on_invoices says so
    DROP TABLE IF EXISTS pg_temp._cm_ns_call;
    EXECUTE format($q$CREATE TEMP TABLE _cm_ns_call AS
        SELECT p.id, nullif(btrim(p.company), '') AS company, p.title, p.message,
               CASE WHEN i.type = 'CustInvc' THEN i.tranid
                    WHEN i.id IS NULL AND coalesce(btrim(p.transaction), '') <> '' THEN 'transaction id=' || p.transaction END AS case_id,
               collmine._cm_ts(p.%2$I, 'phonecall', %2$L, 'id=' || p.id) AS ts,
               coalesce(p.assigned, p.owner) AS user_id, collmine._cm_key(p.id) AS sort_key
        FROM %1$s p LEFT JOIN %3$s i ON i.id = p.transaction
        WHERE coalesce(p.completeddate, '') <> ''$q$, pc, s->>'call_time_field', tr);
    ANALYZE pg_temp._cm_ns_call;
    ANALYZE pg_temp._cm_inv;
    DROP TABLE IF EXISTS pg_temp._cm_ns_callref;
    CREATE TEMP TABLE _cm_ns_callref (id text, case_id text);
    IF (s->>'call_invoice_in_text')::boolean THEN
        INSERT INTO _cm_ns_callref
        SELECT DISTINCT c.id, i.case_id
        FROM _cm_ns_call c
        CROSS JOIN LATERAL regexp_split_to_table(concat_ws(' ', c.title, c.message), '[^[:alnum:]_/-]+') w(tok)
        JOIN _cm_inv i ON i.case_id = w.tok AND (c.company IS NULL OR i.customer_key = c.company)
        WHERE c.case_id IS NULL AND w.tok <> '';
        ANALYZE pg_temp._cm_ns_callref;
    END IF;
    INSERT INTO _cm_raw
    SELECT coalesce(c.case_id, r.case_id), CASE WHEN c.case_id IS NULL AND r.case_id IS NULL THEN c.company END,
           'Collection Call Made', c.ts, c.user_id, false, c.title, 'phonecall:' || c.id, c.sort_key
    FROM _cm_ns_call c LEFT JOIN _cm_ns_callref r ON r.id = c.id
    WHERE c.case_id IS NOT NULL OR r.case_id IS NOT NULL OR c.company IS NOT NULL;
    INSERT INTO _cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT CASE WHEN c.company IS NULL THEN 'unlinked_call' ELSE 'customer_level_call' END,
           CASE WHEN c.company IS NULL THEN 'warning' ELSE 'info' END, 'phonecall', 'phonecall:' || c.id,
           CASE WHEN c.company IS NULL THEN 'a call with no invoice, no invoice number in its title or message and no customer; ignored'
                ELSE format('a call of customer %s naming no invoice: a customer-level event (customer_events)', c.company) END
    FROM _cm_ns_call c
    WHERE c.case_id IS NULL AND NOT EXISTS (SELECT 1 FROM _cm_ns_callref r WHERE r.id = c.id);

    PERFORM collmine._netsuite_unmatched_settings(s, sn, ev, tr, lk);

    RETURN QUERY SELECT * FROM collmine._cm_finish('netsuite', p_schema, s);
END
$$;
COMMENT ON FUNCTION collmine.netsuite_build(name, jsonb) IS
    'derive <schema>.events, invoices, customer_events and applications from the NetSuite staging tables; returns events per activity';

-- A setting that names a field, a status or a value that occurs nowhere in the export derives
-- nothing: say so in the data-quality report instead of giving a silent zero.
CREATE OR REPLACE FUNCTION collmine._netsuite_unmatched_settings(s jsonb, sn text, ev text, tr text, lk text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, collmine
AS $$
DECLARE
    r record;
BEGIN
    EXECUTE format($q$SELECT count(*) FILTER (WHERE n.recordtypeid = %2$L) AS tx_notes,
               count(*) FILTER (WHERE n.recordtypeid = %3$L) AS cust_notes,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%4$L)) AS dispute,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%4$L)
                                AND coalesce(n.newvalue, '') = ANY (%5$L::text[])) AS resolved,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%6$L)) AS dunning,
               count(*) FILTER (WHERE n.recordtypeid = %2$L AND upper(n.field) = upper(%7$L)) AS reason,
               count(*) FILTER (WHERE n.recordtypeid = %3$L AND upper(n.field) = upper(%8$L)) AS climit,
               count(*) FILTER (WHERE n.recordtypeid = %3$L AND upper(n.field) = upper(%9$L)) AS crequest,
               (SELECT string_agg(f, ', ') FROM (SELECT DISTINCT upper(m.field) AS f FROM %1$s m
                 WHERE m.recordtypeid = %2$L ORDER BY 1 LIMIT 12) x) AS tx_fields,
               (SELECT string_agg(f, ', ') FROM (SELECT DISTINCT upper(m.field) AS f FROM %1$s m
                 WHERE m.recordtypeid = %3$L ORDER BY 1 LIMIT 12) x) AS cust_fields
        FROM %1$s n$q$,
        sn, s->>'transaction_recordtypeid', s->>'customer_recordtypeid', s->>'dispute_field',
        collmine._cm_list(s->'dispute_resolved_values'), s->>'dunning_level_field', s->>'dispute_reason_field',
        s->>'credit_limit_field', s->>'credit_limit_request_field') INTO r;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'setting_matches_nothing', 'warning', 'systemnote', x.setting,
           format('setting %s = %s matches no system note (of %s on %s records); %s derives nothing. Fields present: %s',
                  x.setting, s->x.setting, x.notes, x.kind, x.what, coalesce(x.fields, 'none'))
    FROM (VALUES ('dispute_field', r.dispute, r.tx_notes, 'transaction', 'Dispute Registered / Resolved', r.tx_fields),
                 ('dunning_level_field', r.dunning, r.tx_notes, 'transaction', 'an explicit Dunning Procedure Initiated', r.tx_fields),
                 ('dispute_reason_field', CASE WHEN s->>'dispute_reason_field' IS NULL THEN 1 ELSE r.reason END, r.tx_notes,
                  'transaction', 'the dispute reason', r.tx_fields),
                 ('credit_limit_field', r.climit, r.cust_notes, 'customer', 'Credit Limit Approved', r.cust_fields),
                 ('credit_limit_request_field', r.crequest, r.cust_notes, 'customer', 'Credit Limit Requested', r.cust_fields))
         AS x(setting, matched, notes, kind, what, fields)
    WHERE x.matched = 0;
    INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
    SELECT 'setting_matches_nothing', 'warning', 'systemnote', 'dispute_resolved_values',
           format('setting dispute_resolved_values = %s matches none of the %s dispute notes: no dispute is ever resolved',
                  s->'dispute_resolved_values', r.dispute)
    WHERE r.dispute > 0 AND r.resolved = 0;
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'setting_matches_nothing', 'info', 'customrecord_3805_dunning_eval_result', 'dunning_ignored_statuses',
               format('setting dunning_ignored_statuses = %%s matches none of the %%s dunning letters; statuses present: %%s',
                      %2$L, count(*), string_agg(DISTINCT coalesce(e.custrecord_3805_eval_result_status, '(empty)'), ', '))
        FROM %1$s e
        HAVING count(*) > 0 AND count(*) FILTER (WHERE coalesce(e.custrecord_3805_eval_result_status, '') = ANY (%3$L::text[])) = 0$q$,
        ev, s->'dunning_ignored_statuses', collmine._cm_list(s->'dunning_ignored_statuses'));
    EXECUTE format($q$INSERT INTO pg_temp._cm_issue (check_name, severity, source_table, source_ref, detail)
        SELECT 'setting_matches_nothing', 'warning', 'transaction', 'writeoff_memo_pattern',
               format('setting writeoff_memo_pattern = %%s matches the memo of none of the %%s journals applied to invoices: no write-off is derived',
                      %2$L, count(*))
        FROM %1$s k JOIN %3$s n ON n.id = k.nextdoc
        WHERE n.type = 'Journal'
        HAVING count(*) > 0 AND count(*) FILTER (WHERE n.memo ~* %2$L) = 0$q$,
        lk, s->>'writeoff_memo_pattern', tr);
END
$$;

-- Every occurrence of start_activity in a case paired with the same-numbered occurrence of
-- end_activity (1st with 1st, 2nd with 2nd, in (ts, ord) order); ended_at NULL when unmatched.
CREATE OR REPLACE FUNCTION collmine.activity_pairs(log_schema name, start_activity text, end_activity text,
                                        group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, pair_no bigint, started_at timestamptz,
               ended_at timestamptz, duration_days numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
    customer_level boolean := false;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF start_activity IS NULL OR end_activity IS NULL OR start_activity = end_activity THEN
        RAISE EXCEPTION 'invalid activity pair: % to %', start_activity, end_activity
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name two different activities, e.g. ''Payment Received'' and ''Payment Posted''.';
    END IF;
    -- customer-level activities that a connector keeps once each in customer_events (credit
    -- limits) pair per customer there, each once; case_id is then the customer id, and group_by
    -- reads the customer's first invoice
    IF to_regclass(format('%I.customer_events', log_schema)) IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.customer_events WHERE activity = $1)', log_schema)
            INTO customer_level USING start_activity;
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH s AS (SELECT e.%3$I::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.%3$I ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.%4$I e WHERE e.activity = $1),
             f AS (SELECT e.%3$I::text AS case_id, e.ts,
                          row_number() OVER (PARTITION BY e.%3$I ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.%4$I e WHERE e.activity = $2)
        SELECT s.case_id, (%2$s), s.n, s.ts, f.ts,
               extract(epoch FROM f.ts - s.ts)::numeric / 86400
          FROM s LEFT JOIN f ON f.case_id = s.case_id AND f.n = s.n
                 LEFT JOIN LATERAL (SELECT * FROM %1$I.invoices x WHERE x.%3$I::text = s.case_id
                                    ORDER BY x.case_id LIMIT 1) i ON true
    $q$, log_schema, grp, CASE WHEN customer_level THEN 'customer_id' ELSE 'case_id' END,
         CASE WHEN customer_level THEN 'customer_events' ELSE 'events' END) USING start_activity, end_activity;
END
$$;
