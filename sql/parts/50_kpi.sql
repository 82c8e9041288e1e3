-- collmine install script, layer 5a: collections KPIs over the canonical event log.
--
-- Every function here takes the schema that holds the canonical tables `events` and
-- `invoices` (docs/architecture.md) and reads them with dynamic SQL, quoting every identifier
-- with format('%I'). They run as the caller (SECURITY INVOKER), so privileges and row-level
-- security on the user's tables hold. They are STABLE (they read tables and depend on the
-- TimeZone setting for day boundaries) and PARALLEL RESTRICTED (plpgsql with dynamic SQL).
--
-- Conventions (docs/kpis.md has the full text):
--   * an invoice exists at date D when its invoice_date (else its Invoice Generated date) is <= D;
--   * "by D" means events with ts < (D + 1)::timestamptz, the end of day D in the session TimeZone;
--   * money is never summed across currencies: every money KPI returns one row per
--     (group_value, currency);
--   * group_by names a column of invoices; its values are returned as text in group_value.
--     group_by NULL puts every invoice in one group whose group_value is NULL.
--   * SET jit = off: these are many short queries over set-returning functions whose default
--     row estimates (1000) would trigger JIT compilation that costs far more than the query.
--     Summary functions declare ROWS 10 for the same reason (they return one row per group).

-- Raise a clear error unless log_schema holds the canonical events and invoices tables.
CREATE FUNCTION collmine._check_log(log_schema name)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    c text;
    need_events text[] := ARRAY['case_id', 'activity', 'ts', 'ord', 'amount'];
    need_invoices text[] := ARRAY['case_id', 'currency', 'amount', 'invoice_date', 'due_date', 'terms_days'];
BEGIN
    IF log_schema IS NULL THEN
        RAISE EXCEPTION 'log schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the schema that holds the canonical events and invoices tables, e.g. collmine.aging(''erp_log'').';
    END IF;
    FOREACH t IN ARRAY ARRAY['events', 'invoices'] LOOP
        IF to_regclass(format('%I.%I', log_schema, t)) IS NULL THEN
            RAISE EXCEPTION 'relation "%.%" does not exist', log_schema, t
                USING ERRCODE = 'undefined_table',
                      HINT = 'The log schema must hold the canonical tables events and invoices (see docs/architecture.md).';
        END IF;
        FOREACH c IN ARRAY CASE t WHEN 'events' THEN need_events ELSE need_invoices END LOOP
            IF NOT collmine._has_column(to_regclass(format('%I.%I', log_schema, t)), c::name) THEN
                RAISE EXCEPTION 'column "%" of relation "%.%" does not exist', c, log_schema, t
                    USING ERRCODE = 'undefined_column',
                          HINT = 'The canonical log layout is in docs/architecture.md.';
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- The SQL expression (over invoices aliased i) that yields the group value for group_by.
CREATE FUNCTION collmine._group_expr(log_schema name, group_by text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inv regclass := to_regclass(format('%I.%I', log_schema, 'invoices'));
BEGIN
    IF group_by IS NULL THEN
        RETURN 'NULL::text';
    END IF;
    IF NOT collmine._has_column(inv, group_by::name) THEN
        RAISE EXCEPTION 'invalid group_by: "%" is not a column of %.invoices', group_by, log_schema
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name one column of the invoices table: %s.', collmine._column_list(inv));
    END IF;
    RETURN format('i.%I::text', group_by);
END
$$;

-- Raise a clear error for an empty or reversed period.
CREATE FUNCTION collmine._check_period(period_start date, period_end date)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF period_start IS NULL OR period_end IS NULL OR period_start > period_end THEN
        RAISE EXCEPTION 'invalid period: % to %',
              coalesce(to_char(period_start, 'YYYY-MM-DD'), 'NULL'), coalesce(to_char(period_end, 'YYYY-MM-DD'), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give period_start <= period_end, both inclusive, e.g. ''2024-01-01'', ''2024-01-31''.';
    END IF;
END
$$;

-- The time of the log's last event (NULL for an empty log): the data's "now", which the
-- snapshot date and the dashboards' open durations are measured to.
CREATE FUNCTION collmine._last_event_at(log_schema name)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t timestamptz;
BEGIN
    EXECUTE format('SELECT max(e.ts) FROM %I.events e', log_schema) INTO t;
    RETURN t;
END
$$;

-- The date a snapshot is taken at: as_of, or when NULL the date of the log's last event (today
-- for an empty log). The one reading of "as_of NULL" for invoice_snapshot and invoice_facts.
CREATE FUNCTION collmine._snapshot_date(log_schema name, as_of date)
RETURNS date
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(as_of, collmine._last_event_at(log_schema)::date, current_date)
$$;

-- An invoice's open amount: its amount less what was paid (the greater of received and posted)
-- and credited, never below 0; the one rule of invoice_snapshot's open_amount and of the open
-- amounts at each boundary of _receivables_kpis_periods. One expression, no SET clause, so that
-- the planner inlines it (operators schema-qualified instead).
CREATE FUNCTION collmine._open_amount(amount numeric, paid numeric, credited numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT greatest(coalesce(amount, 0::numeric) OPERATOR(pg_catalog.-) paid OPERATOR(pg_catalog.-) credited, 0::numeric)
$$;

-- The query of invoice_snapshot over the log in log_schema with the group expression grp
-- (_group_expr), for invoice_snapshot and, inlined, invoice_facts (the snapshot streams into
-- the facts rather than being stored whole in a function's result first). Its parameters:
-- $1 the end of the as-of day ((as_of + 1)::timestamptz), $2 the as-of date, $3 to $11 the
-- log's names (collmine._role_activities) of the roles invoice_created, dunning_started,
-- reminder, dispute_opened, settled, written_off, payment_received, payment_posted and
-- credit_memo, in that order. With payment_facts, two more columns at the end,
-- last_received_at and posting_lag (_payment_facts_columns, for invoice_facts), computed in the
-- same grouped pass over the events, which reads the receipts and postings anyway.
CREATE FUNCTION collmine._snapshot_query(log_schema name, grp text, payment_facts boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
SET search_path = pg_catalog, pg_temp
AS $f$
    SELECT format($q$
        WITH ev AS (
            SELECT e.case_id%3$s,
                   min(e.ts) FILTER (WHERE e.activity = ANY ($3)) AS gen,
                   min(e.ts) FILTER (WHERE e.activity = ANY ($4) OR e.activity = ANY ($5)) AS dun,
                   min(e.ts) FILTER (WHERE e.activity = ANY ($5)) AS rem,
                   bool_or(e.activity = ANY ($6)) AS disp,
                   min(e.ts) FILTER (WHERE e.activity = ANY ($7)) AS settled,
                   min(e.ts) FILTER (WHERE e.activity = ANY ($8)) AS woff,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = ANY ($9)) AS recv,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = ANY ($10)) AS posted,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = ANY ($11)) AS cred,
                   sum(abs(e.amount)) FILTER (WHERE e.activity = ANY ($8)) AS woff_amt
              -- in case order, so that the aggregate streams one case at a time from the
              -- connectors' index on events (case_id, ts, ord): hashed, a million cases' sums
              -- outgrow work_mem and spill to disk
              FROM (SELECT e.case_id, e.activity, e.ts, e.amount
                      FROM %1$I.events e
                     WHERE e.ts < $1 AND e.activity = ANY ($3 || $4 || $5 || $6 || $7 || $8 || $9 || $10 || $11)
                     ORDER BY e.case_id) e
             GROUP BY e.case_id),
        b AS (
            SELECT i.case_id::text AS case_id, (%2$s) AS group_value, i.currency::text AS currency,
                   i.amount::numeric AS amount,
                   coalesce(i.invoice_date::date, ev.gen::date) AS invoice_date,
                   i.due_date::date AS due_date, i.terms_days::integer AS terms_days,
                   coalesce(ev.gen, i.invoice_date::timestamptz) AS generated_at,
                   ev.dun, ev.rem, coalesce(ev.disp, false) AS disp, ev.settled, ev.woff,
                   greatest(coalesce(ev.recv, 0), coalesce(ev.posted, 0)) AS paid,
                   coalesce(ev.cred, 0) AS cred, ev.woff_amt%4$s
              FROM %1$I.invoices i LEFT JOIN ev ON ev.case_id = i.case_id::text),
        c AS (
            SELECT b.*,
                   CASE WHEN b.settled IS NOT NULL OR b.woff IS NOT NULL THEN 0::numeric
                        ELSE collmine._open_amount(b.amount, b.paid, b.cred) END AS open_amt
              FROM b
             WHERE b.invoice_date <= $2)
        SELECT c.case_id, c.group_value, c.currency, c.amount, c.invoice_date, c.due_date,
               c.terms_days, c.generated_at, c.dun AS first_dunning_at, c.rem AS first_reminder_at,
               c.disp AS disputed, c.settled AS settled_at, c.woff AS written_off_at,
               c.paid AS paid_amount, c.cred AS credited_amount,
               CASE WHEN c.woff IS NULL THEN 0::numeric
                    ELSE coalesce(c.woff_amt, collmine._open_amount(c.amount, c.paid, c.cred)) END AS written_off_amount,
               c.open_amt AS open_amount,
               collmine._invoice_status(c.settled, c.woff) AS status,
               CASE WHEN c.open_amt > 0 AND c.due_date IS NOT NULL THEN $2 - c.due_date END AS days_past_due,
               CASE WHEN c.open_amt <= 0 THEN NULL
                    WHEN c.due_date IS NULL OR $2 - c.due_date <= 0 THEN 'current'
                    WHEN $2 - c.due_date <= 30 THEN '1-30'
                    WHEN $2 - c.due_date <= 60 THEN '31-60'
                    WHEN $2 - c.due_date <= 90 THEN '61-90'
                    ELSE 'over 90' END AS aging_bucket,
               $2 AS as_of_date%5$s
          FROM c
    $q$, log_schema, grp,
         CASE WHEN payment_facts THEN ', ' || collmine._payment_facts_columns('$9', '$10') ELSE '' END,
         CASE WHEN payment_facts THEN ', ev.last_received_at, ev.posting_lag' ELSE '' END,
         CASE WHEN payment_facts THEN ', c.last_received_at, c.posting_lag' ELSE '' END)
$f$;

-- Per-invoice state as of the end of day as_of, computed from the event history: the base of
-- every balance and aging KPI. as_of NULL means the date of the last event in the log.
CREATE FUNCTION collmine.invoice_snapshot(log_schema name, as_of date DEFAULT NULL, group_by text DEFAULT NULL)
RETURNS TABLE (
    case_id text, group_value text, currency text, amount numeric,
    invoice_date date, due_date date, terms_days integer, generated_at timestamptz,
    first_dunning_at timestamptz, first_reminder_at timestamptz, disputed boolean,
    settled_at timestamptz, written_off_at timestamptz,
    paid_amount numeric, credited_amount numeric, written_off_amount numeric, open_amount numeric,
    status text, days_past_due integer, aging_bucket text, as_of_date date)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
    d date;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    d := collmine._snapshot_date(log_schema, as_of);
    RETURN QUERY EXECUTE collmine._snapshot_query(log_schema, grp, false)
    USING (d + 1)::timestamptz, d,
        collmine._role_activities(log_schema, 'invoice_created'), collmine._role_activities(log_schema, 'dunning_started'),
        collmine._role_activities(log_schema, 'reminder'), collmine._role_activities(log_schema, 'dispute_opened'),
        collmine._role_activities(log_schema, 'settled'), collmine._role_activities(log_schema, 'written_off'),
        collmine._role_activities(log_schema, 'payment_received'), collmine._role_activities(log_schema, 'payment_posted'),
        collmine._role_activities(log_schema, 'credit_memo');
END
$$;

-- The per-invoice facts as of the end of day as_of: the snapshot (status, open amount, days past
-- due: collmine.invoice_snapshot) and the facts derived from it once, for every KPI and the
-- root causes: when the invoice counts as paid (paid_at: its last payment received by default,
-- the data template's reading, or its settlement with on_time_basis => 'settled'), whether
-- that was on time (collmine._paid_on_time), the cycle time (collmine._cycle_time), the posting
-- lag (collmine._posting_lag, by _payment_facts_columns), the days overdue
-- (collmine._days_overdue) and the days late (its positive part, for paid invoices): each the
-- one definition the connectors use too.
CREATE FUNCTION collmine.invoice_facts(log_schema name, as_of date DEFAULT NULL, group_by text DEFAULT NULL,
                                       on_time_basis text DEFAULT 'payment_received')
RETURNS TABLE (
    case_id text, group_value text, currency text, amount numeric,
    invoice_date date, due_date date, terms_days integer, generated_at timestamptz,
    first_dunning_at timestamptz, first_reminder_at timestamptz, disputed boolean,
    settled_at timestamptz, written_off_at timestamptz,
    paid_amount numeric, credited_amount numeric, written_off_amount numeric, open_amount numeric,
    status text, days_past_due integer, aging_bucket text, as_of_date date,
    last_payment_received_at timestamptz, paid_at timestamptz, paid_on_time boolean, days_late integer,
    cycle_time interval, posting_lag interval, days_overdue integer)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
-- serial: the planner's parallel plan scans the invoices in parallel and has each of the three
-- processes compute the grouped pass over the events for its hash (it costs that pass once), three
-- times the CPU for no gain in wall time; and the pass itself as a partial aggregate (which needs it
-- unordered) costs more wall time than it saves on two cores (docs/performance.md, sixth round)
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    d date;
BEGIN
    IF on_time_basis IS NULL OR on_time_basis NOT IN ('payment_received', 'settled') THEN
        RAISE EXCEPTION 'invalid on_time_basis: %', coalesce(quote_literal(on_time_basis), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''payment_received'' (paid when the last payment was received, the data template''s reading) or ''settled'' (when the invoice was settled).';
    END IF;
    PERFORM collmine._check_log(log_schema);
    -- the snapshot's date, resolved once here (and given to it) rather than read back from its
    -- rows, so that the snapshot is read once, streamed, not materialized
    d := collmine._snapshot_date(log_schema, as_of);
    -- the payment facts (last payment received, posting lag) come from the snapshot's own pass
    -- over the events (payment_facts => true): the events are read and grouped once
    RETURN QUERY EXECUTE format($q$
        WITH s AS (%1$s)
        SELECT s.case_id, s.group_value, s.currency, s.amount, s.invoice_date, s.due_date, s.terms_days,
               s.generated_at, s.first_dunning_at, s.first_reminder_at, s.disputed, s.settled_at,
               s.written_off_at, s.paid_amount, s.credited_amount, s.written_off_amount, s.open_amount,
               s.status, s.days_past_due, s.aging_bucket, s.as_of_date,
               s.last_received_at, x.paid_at,
               collmine._paid_on_time(s.status, s.settled_at, s.due_date, $13, $12, s.last_received_at),
               -- (an invoice not paid, or without a due date, has no days late; greatest() would
               -- read a NULL days_overdue as 0)
               CASE WHEN x.paid_at IS NOT NULL AND x.days_overdue IS NOT NULL THEN greatest(x.days_overdue, 0) END,
               collmine._cycle_time(s.status, s.settled_at, s.generated_at),
               s.posting_lag,
               x.days_overdue
          FROM s
               CROSS JOIN LATERAL (SELECT y.paid_at,
                                          collmine._days_overdue(s.status, y.paid_at, s.written_off_at, s.as_of_date, s.due_date,
                                                                 $13) AS days_overdue
                                     FROM (SELECT collmine._paid_at(s.status, s.settled_at, $12, s.last_received_at) AS paid_at) y) x
    $q$, collmine._snapshot_query(log_schema, collmine._group_expr(log_schema, group_by), true))
    -- _snapshot_query's parameters, then $12 and $13
    USING (d + 1)::timestamptz, d,
        collmine._role_activities(log_schema, 'invoice_created'), collmine._role_activities(log_schema, 'dunning_started'),
        collmine._role_activities(log_schema, 'reminder'), collmine._role_activities(log_schema, 'dispute_opened'),
        collmine._role_activities(log_schema, 'settled'), collmine._role_activities(log_schema, 'written_off'),
        collmine._role_activities(log_schema, 'payment_received'), collmine._role_activities(log_schema, 'payment_posted'),
        collmine._role_activities(log_schema, 'credit_memo'),
        on_time_basis,
        -- the session's time zone, read once rather than once per invoice
        current_setting('TimeZone');
END
$$;
COMMENT ON FUNCTION collmine.invoice_facts(name, date, text, text) IS
    'one row per invoice as of a date: the snapshot plus when it counts as paid, paid on time, days late, cycle time, posting lag and days overdue (the one derivation the KPIs and the connectors'' invoices share)';

-- The query that reads the facts of collmine.invoice_facts(log_schema) back from a relation that
-- holds them (a dashboard schema's invoice_facts_mv, which create_dashboards makes and
-- refresh_dashboards refreshes first), with the group value of group_by taken from the log's
-- invoices, as invoice_facts takes it (_group_expr). The relation holds the facts of one date
-- (as_of NULL: the log's last event date, at its last refresh) by the default on_time_basis;
-- asked for another date or basis, this raises rather than answer for the wrong one.
CREATE FUNCTION collmine._facts_from_sql(facts regclass, log_schema name, as_of date, group_by text,
                                         on_time_basis text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text := collmine._group_expr(log_schema, group_by);
    d date;
BEGIN
    EXECUTE format('SELECT f.as_of_date FROM %s f LIMIT 1', facts) INTO d;
    IF (as_of IS NOT NULL AND d IS NOT NULL AND as_of <> d) OR on_time_basis IS DISTINCT FROM 'payment_received' THEN
        RAISE EXCEPTION 'the invoice facts in % are as of % by on_time_basis ''payment_received'', not as of % by %',
                        facts, d, coalesce(as_of::text, 'the log''s last event date'), coalesce(quote_literal(on_time_basis), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Compute them with collmine.invoice_facts(log_schema, as_of, group_by, on_time_basis).';
    END IF;
    RETURN format(
        'SELECT f.case_id, %s AS group_value, f.currency, f.amount, f.invoice_date, f.due_date, f.terms_days, f.generated_at, '
        '       f.first_dunning_at, f.first_reminder_at, f.disputed, f.settled_at, f.written_off_at, '
        '       f.paid_amount, f.credited_amount, f.written_off_amount, f.open_amount, '
        '       f.status, f.days_past_due, f.aging_bucket, f.as_of_date, '
        '       f.last_payment_received_at, f.paid_at, f.paid_on_time, f.days_late, '
        '       f.cycle_time, f.posting_lag, f.days_overdue '
        '  FROM %s f %s',
        grp, facts,
        CASE WHEN group_by IS NOT NULL
             THEN format('JOIN %I.invoices i ON i.case_id::text = f.case_id', log_schema) ELSE '' END);
END
$$;

-- The query of the per-invoice facts as of as_of for a KPI: collmine.invoice_facts, or, when
-- facts names a relation that holds them (_facts_from_sql), a read of it. The KPIs' one source of
-- facts, so that a refresh of the dashboards computes them once. A query rather than rows, so
-- that a KPI runs its formula over it in one statement (EXECUTE format(..., _facts_sql(...))):
-- the facts stream into the formula, filtered as it reads them, instead of being stored whole
-- in a function's result first.
CREATE FUNCTION collmine._facts_sql(log_schema name, as_of date, group_by text, on_time_basis text, facts regclass)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF facts IS NULL THEN
        RETURN format('SELECT * FROM collmine.invoice_facts(%L, %L::date, %L, %L)', log_schema, as_of, group_by, on_time_basis);
    END IF;
    RETURN collmine._facts_from_sql(facts, log_schema, as_of, group_by, on_time_basis);
END
$$;

-- The query of the per-invoice snapshot as of as_of for a KPI: collmine.invoice_snapshot, or,
-- when facts names a relation that holds the invoice facts (_facts_from_sql), its snapshot
-- columns (a query, as _facts_sql's).
CREATE FUNCTION collmine._snapshot_sql(log_schema name, as_of date, group_by text, facts regclass)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF facts IS NULL THEN
        RETURN format('SELECT * FROM collmine.invoice_snapshot(%L, %L::date, %L)', log_schema, as_of, group_by);
    END IF;
    RETURN format(
        'SELECT f.case_id, f.group_value, f.currency, f.amount, f.invoice_date, f.due_date, f.terms_days, '
        '       f.generated_at, f.first_dunning_at, f.first_reminder_at, f.disputed, f.settled_at, '
        '       f.written_off_at, f.paid_amount, f.credited_amount, f.written_off_amount, f.open_amount, '
        '       f.status, f.days_past_due, f.aging_bucket, f.as_of_date '
        '  FROM (%s) f', collmine._facts_from_sql(facts, log_schema, as_of, group_by, 'payment_received'));
END
$$;

-- The per-invoice facts as of as_of as rows (_facts_sql), for the dashboards' SQL functions.
CREATE FUNCTION collmine._facts(log_schema name, as_of date, group_by text, on_time_basis text, facts regclass)
RETURNS TABLE (
    case_id text, group_value text, currency text, amount numeric,
    invoice_date date, due_date date, terms_days integer, generated_at timestamptz,
    first_dunning_at timestamptz, first_reminder_at timestamptz, disputed boolean,
    settled_at timestamptz, written_off_at timestamptz,
    paid_amount numeric, credited_amount numeric, written_off_amount numeric, open_amount numeric,
    status text, days_past_due integer, aging_bucket text, as_of_date date,
    last_payment_received_at timestamptz, paid_at timestamptz, paid_on_time boolean, days_late integer,
    cycle_time interval, posting_lag interval, days_overdue integer)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    RETURN QUERY EXECUTE collmine._facts_sql(log_schema, as_of, group_by, on_time_basis, facts);
END
$$;

-- Aging buckets of the open balance as of a date, per group and currency.
CREATE FUNCTION collmine.aging(log_schema name, as_of date DEFAULT NULL, group_by text DEFAULT NULL)
RETURNS TABLE (
    group_value text, currency text, open_invoices bigint, total_open numeric,
    current_amount numeric, past_due_1_30 numeric, past_due_31_60 numeric,
    past_due_61_90 numeric, past_due_over_90 numeric, as_of_date date)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT s.group_value, s.currency, count(*), sum(s.open_amount),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = 'current'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '1-30'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '31-60'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = '61-90'), 0),
           coalesce(sum(s.open_amount) FILTER (WHERE s.aging_bucket = 'over 90'), 0),
           min(s.as_of_date)
      FROM collmine.invoice_snapshot(log_schema, as_of, group_by) s
     WHERE s.open_amount > 0
     GROUP BY s.group_value, s.currency
     ORDER BY s.group_value, s.currency
$$;

-- The receivables KPIs of several periods at once (period_starts[k] to period_ends[k]), per
-- period, group and currency: the one computation behind receivables_kpis (one period) and the
-- monthly invoice_to_cash_overview dashboard (every month of the log). The invoices are the
-- snapshot's as of the last period end (collmine._snapshot_sql: computed, or read from the
-- relation facts when it is not NULL), so invoice date and close (settled or written off) have
-- the snapshot's one derivation; the log's events are read once more, for the payments.
-- The open amount at a boundary date D (a period's start - 1 or its end) has the rules of
-- invoice_snapshot: amount - the greater of received and posted - credited by the end of D,
-- never below 0, from the invoice date on and until the invoice is settled or written off.
-- Rather than computed per (invoice, D), each invoice's open amount is taken as steps over
-- the sorted boundary dates (positions found by width_bucket): it enters at the first boundary
-- on or after its invoice date, changes at the boundaries after which payments were made, and
-- leaves after the last boundary before its close (from the current AR: after its due date),
-- and the AR at a boundary is the running sum of these steps per group and currency: the work
-- grows with the invoices and payments, not with invoices times boundaries.
CREATE FUNCTION collmine._receivables_kpis_periods(log_schema name, period_starts date[], period_ends date[],
                                                   group_by text DEFAULT NULL, facts regclass DEFAULT NULL)
RETURNS TABLE (
    period_start date, period_end date, group_value text, currency text, period_days integer, months integer,
    beginning_ar numeric, ending_ar numeric, ending_current_ar numeric, ending_past_due_ar numeric,
    invoices_generated bigint, credit_sales numeric,
    dso numeric, dso_countback numeric, best_possible_dso numeric,
    average_days_delinquent numeric, cei numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 100
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    k integer;
BEGIN
    PERFORM collmine._check_log(log_schema);
    IF cardinality(period_starts) IS DISTINCT FROM cardinality(period_ends) THEN
        RAISE EXCEPTION 'invalid periods: % starts and % ends', cardinality(period_starts), cardinality(period_ends)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give one end date per start date.';
    END IF;
    FOR k IN 1 .. coalesce(cardinality(period_starts), 0) LOOP
        PERFORM collmine._check_period(period_starts[k], period_ends[k]);
    END LOOP;
    IF coalesce(cardinality(period_ends), 0) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH p AS (SELECT x.k, x.s, x.e, (x.e - x.s + 1)::integer AS ndays,
                          greatest(1, round((x.e - x.s + 1) / 30.4375))::integer AS nmonths
                     FROM unnest($1::date[], $2::date[]) WITH ORDINALITY AS x(s, e, k)),
             -- the sorted distinct boundary dates at which open amounts are needed
             dts AS (SELECT array_agg(DISTINCT v.d ORDER BY v.d) AS d
                       FROM p CROSS JOIN LATERAL (VALUES (p.s - 1), (p.e)) v(d)),
             inv AS (SELECT f.case_id, f.group_value, f.currency, f.amount, f.invoice_date, f.due_date,
                            least(f.settled_at, f.written_off_at) AS closed
                       FROM (%2$s) f),
             -- each invoice's steps over the boundaries: it counts at positions lo .. hi (the
             -- boundaries D on or after its invoice date at whose end it is neither settled nor
             -- written off: closed >= (D + 1)::timestamptz, i.e. closed::date > D), and in the
             -- current AR at lo .. hc (D <= its due date, or any D without one)
             rg AS (SELECT r.case_id, r.group_value, r.currency, r.amt, r.lo, r.hi, dts.d[r.hi] AS hi_d,
                           least(r.hi, CASE WHEN r.due_date IS NULL THEN r.hi
                                            ELSE width_bucket(r.due_date, dts.d) END) AS hc
                      FROM (SELECT inv.case_id, inv.group_value, inv.currency, inv.due_date,
                                   coalesce(inv.amount, 0) AS amt,
                                   width_bucket(inv.invoice_date - 1, dts.d) + 1 AS lo,
                                   CASE WHEN inv.closed IS NULL THEN cardinality(dts.d)
                                        ELSE width_bucket(inv.closed::date - 1, dts.d) END AS hi
                              FROM inv CROSS JOIN dts
                             WHERE inv.invoice_date IS NOT NULL) r CROSS JOIN dts
                     WHERE r.lo <= r.hi),
             -- each payment or credit that changes an invoice's open amount, at position b: one
             -- made by the end of D (ts < (D + 1)::timestamptz, i.e. ts::date <= D) counts from
             -- the first boundary on or after its day and not before lo; one after hi changes
             -- nothing counted (made after the end of the hi-th boundary, hi_d: the filter is
             -- a date comparison, so that width_bucket runs only for the payments kept). Each
             -- carries its invoice's columns, so that rg is read once here.
             pc AS (SELECT rg.case_id, rg.group_value, rg.currency, rg.amt, rg.hi, rg.hc,
                           greatest(width_bucket(e.ts::date - 1, dts.d) + 1, rg.lo) AS b,
                           CASE WHEN e.activity = ANY ($3) THEN coalesce(abs(e.amount), 0) ELSE 0 END AS r,
                           CASE WHEN e.activity = ANY ($4) THEN coalesce(abs(e.amount), 0) ELSE 0 END AS p,
                           CASE WHEN e.activity = ANY ($5) THEN coalesce(abs(e.amount), 0) ELSE 0 END AS c
                      FROM %1$I.events e JOIN rg ON rg.case_id = e.case_id::text CROSS JOIN dts
                     WHERE e.activity = ANY ($3 || $4 || $5) AND e.ts::date <= rg.hi_d),
             -- in (b, any) order per invoice: v, what its payments up to the row took off its
             -- open amount (_open_amount of the running sums, minus _open_amount of no sums: a0),
             -- and dv, the row's own change (_open_amount of the sums with the row minus without
             -- it). The dv of the rows at or before a position add up to the v of the last of
             -- them, whatever the order of the rows at one position.
             cw AS (SELECT x.group_value, x.currency, x.hi, x.hc, x.b, x.b_next,
                           collmine._open_amount(x.amt, greatest(x.rs, x.ps), x.cs)
                           - collmine._open_amount(x.amt, 0, 0) AS v,
                           collmine._open_amount(x.amt, greatest(x.rs, x.ps), x.cs)
                           - collmine._open_amount(x.amt, greatest(x.rs - x.r, x.ps - x.p), x.cs - x.c) AS dv
                      FROM (SELECT pc.*, lead(pc.b) OVER w AS b_next, sum(pc.r) OVER w AS rs,
                                   sum(pc.p) OVER w AS ps, sum(pc.c) OVER w AS cs
                              FROM pc
                            WINDOW w AS (PARTITION BY pc.case_id ORDER BY pc.b ROWS UNBOUNDED PRECEDING)) x),
             -- the invoices' open amounts before any payment (a0: _open_amount of no sums) summed
             -- per group, currency and positions, a few thousand rows rather than one per invoice
             ri AS (SELECT rg.group_value, rg.currency, rg.lo, rg.hi, rg.hc, sum(collmine._open_amount(rg.amt, 0, 0)) AS a0
                      FROM rg GROUP BY rg.group_value, rg.currency, rg.lo, rg.hi, rg.hc),
             -- the steps of the AR (ar) and the current AR (cur) at position b: the invoices' a0
             -- enters at lo (the current AR too, if lo <= hc) and leaves after hi (after hc from
             -- the current AR); each payment row's dv at its position (in the current AR too, up
             -- to hc), and the payments' v taken out again after hi by the invoice's last row,
             -- after hc by its last row at or before hc
             st AS (SELECT ri.group_value, ri.currency, ri.lo AS b, ri.a0 AS ar,
                           CASE WHEN ri.lo <= ri.hc THEN ri.a0 ELSE 0 END AS cur
                      FROM ri
                    UNION ALL
                    SELECT ri.group_value, ri.currency, ri.hi + 1, -ri.a0, 0
                      FROM ri
                    UNION ALL
                    SELECT ri.group_value, ri.currency, ri.hc + 1, 0, -ri.a0
                      FROM ri WHERE ri.lo <= ri.hc
                    UNION ALL
                    SELECT cw.group_value, cw.currency, cw.b, cw.dv, CASE WHEN cw.b <= cw.hc THEN cw.dv ELSE 0 END
                      FROM cw
                    UNION ALL
                    SELECT cw.group_value, cw.currency, cw.hi + 1, -cw.v, 0
                      FROM cw WHERE cw.b_next IS NULL
                    UNION ALL
                    SELECT cw.group_value, cw.currency, cw.hc + 1, 0, -cw.v
                      FROM cw WHERE cw.b <= cw.hc AND (cw.b_next IS NULL OR cw.b_next > cw.hc)),
             sb AS (SELECT st.group_value, st.currency, st.b, sum(st.ar) AS ar, sum(st.cur) AS cur
                      FROM st CROSS JOIN dts
                     WHERE st.b <= cardinality(dts.d)
                     GROUP BY 1, 2, 3),
             -- the AR and current AR at each boundary D per (group, currency): the running sums
             -- (a sum that nets to zero is the 0 of no open invoice, not 0.00)
             ar AS (SELECT sb.group_value, sb.currency,
                           nullif(sum(sb.ar) OVER w, 0) AS ar, nullif(sum(sb.cur) OVER w, 0) AS cur, sb.b,
                           lead(sb.b, 1, cardinality(dts.d) + 1) OVER w AS b_next
                      FROM sb CROSS JOIN dts
                    WINDOW w AS (PARTITION BY sb.group_value, sb.currency ORDER BY sb.b ROWS UNBOUNDED PRECEDING)),
             ds AS (SELECT inv.group_value, inv.currency, inv.invoice_date AS day, count(*) AS n, sum(inv.amount) AS sales
                      FROM inv WHERE inv.invoice_date IS NOT NULL
                     GROUP BY inv.group_value, inv.currency, inv.invoice_date),
             -- a (group, currency) is reported for a period when it has an invoice by the period end
             g0 AS (SELECT p.k, p.s, p.e, p.ndays, p.nmonths, ds.group_value, ds.currency,
                           coalesce(sum(ds.n) FILTER (WHERE ds.day >= p.s), 0)::bigint AS n_inv,
                           coalesce(sum(ds.sales) FILTER (WHERE ds.day >= p.s), 0) AS sales,
                           sum(ds.sales) FILTER (WHERE ds.day >= date_trunc('month', p.e::timestamp)::date) AS last_month_sales,
                           min(ds.day) AS first_day
                      FROM p JOIN ds ON ds.day <= p.e
                     GROUP BY p.k, p.s, p.e, p.ndays, p.nmonths, ds.group_value, ds.currency),
             -- the AR at D is the running sum at the last step position on or before D's
             g AS (SELECT g0.*, coalesce(ab.ar, 0) AS beg_ar, coalesce(ae.ar, 0) AS end_ar, coalesce(ae.cur, 0) AS cur_ar
                     FROM g0 CROSS JOIN dts
                     LEFT JOIN ar ab ON ab.b <= array_position(dts.d, g0.s - 1) AND ab.b_next > array_position(dts.d, g0.s - 1)
                                    AND ab.group_value IS NOT DISTINCT FROM g0.group_value
                                    AND ab.currency IS NOT DISTINCT FROM g0.currency
                     LEFT JOIN ar ae ON ae.b <= array_position(dts.d, g0.e) AND ae.b_next > array_position(dts.d, g0.e)
                                    AND ae.group_value IS NOT DISTINCT FROM g0.group_value
                                    AND ae.currency IS NOT DISTINCT FROM g0.currency),
             -- count-back: calendar months walking back from period_end (the first one partial)
             ms AS (SELECT g.k, g.e, g.group_value, g.currency, g.end_ar, g.last_month_sales, m.m,
                           (date_trunc('month', g.e::timestamp) - make_interval(months => m.m))::date AS m_start
                      FROM g CROSS JOIN LATERAL generate_series(0,
                             ((extract(year FROM g.e) * 12 + extract(month FROM g.e))
                              - (extract(year FROM g.first_day) * 12 + extract(month FROM g.first_day)))::integer) AS m(m)),
             msales AS (SELECT ds.group_value, ds.currency, date_trunc('month', ds.day::timestamp)::date AS m,
                               sum(ds.sales) AS sales
                          FROM ds GROUP BY 1, 2, 3),
             mw AS (SELECT ms.k, ms.group_value, ms.currency, ms.end_ar, ms.m,
                           (least(ms.e, (ms.m_start + interval '1 month')::date - 1) - ms.m_start + 1) AS days,
                           coalesce(CASE WHEN ms.m = 0 THEN ms.last_month_sales ELSE x.sales END, 0) AS sales
                      FROM ms LEFT JOIN msales x
                        ON x.group_value IS NOT DISTINCT FROM ms.group_value
                       AND x.currency IS NOT DISTINCT FROM ms.currency AND x.m = ms.m_start),
             mc AS (SELECT mw.*,
                           coalesce(sum(mw.sales) OVER w, 0) AS sales_before,
                           coalesce(sum(mw.days) OVER w, 0) AS days_before
                      FROM mw
                    WINDOW w AS (PARTITION BY mw.k, mw.group_value, mw.currency ORDER BY mw.m
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
             cb AS (SELECT mc.k, mc.group_value, mc.currency,
                           min(mc.days_before + (mc.end_ar - mc.sales_before) / mc.sales * mc.days) AS dso_cb
                      FROM mc
                     WHERE mc.sales > 0 AND mc.sales_before < mc.end_ar AND mc.sales_before + mc.sales >= mc.end_ar
                     GROUP BY mc.k, mc.group_value, mc.currency)
        SELECT g.s, g.e, g.group_value, g.currency, g.ndays, g.nmonths,
               g.beg_ar, g.end_ar, g.cur_ar, g.end_ar - g.cur_ar, g.n_inv, g.sales,
               CASE WHEN g.sales > 0 THEN g.end_ar / g.sales * g.ndays END,
               CASE WHEN g.end_ar = 0 THEN 0::numeric ELSE cb.dso_cb END,
               CASE WHEN g.sales > 0 THEN g.cur_ar / g.sales * g.ndays END,
               CASE WHEN g.sales > 0 THEN (g.end_ar - g.cur_ar) / g.sales * g.ndays END,
               CASE WHEN g.beg_ar + g.sales / g.nmonths - g.cur_ar <> 0
                    THEN (g.beg_ar + g.sales / g.nmonths - g.end_ar)
                         / (g.beg_ar + g.sales / g.nmonths - g.cur_ar) * 100 END
          FROM g LEFT JOIN cb
            ON cb.k = g.k AND cb.group_value IS NOT DISTINCT FROM g.group_value AND cb.currency IS NOT DISTINCT FROM g.currency
         ORDER BY g.k, g.group_value, g.currency
    $q$, log_schema, collmine._snapshot_sql(log_schema, (SELECT max(x) FROM unnest(period_ends) x), group_by, facts))
    USING period_starts, period_ends,
        collmine._role_activities(log_schema, 'payment_received'), collmine._role_activities(log_schema, 'payment_posted'),
        collmine._role_activities(log_schema, 'credit_memo');
END
$$;

-- DSO (standard and count-back), Best Possible DSO, ADD and CEI for one period, per group and
-- currency. Ratios with no credit sales (or a zero CEI denominator) are NULL. The formulas are
-- those of _receivables_kpis_periods, which computes any number of periods in one pass.
CREATE FUNCTION collmine.receivables_kpis(log_schema name, period_start date, period_end date,
                                          group_by text DEFAULT NULL)
RETURNS TABLE (
    group_value text, currency text, period_days integer, months integer,
    beginning_ar numeric, ending_ar numeric, ending_current_ar numeric, ending_past_due_ar numeric,
    invoices_generated bigint, credit_sales numeric,
    dso numeric, dso_countback numeric, best_possible_dso numeric,
    average_days_delinquent numeric, cei numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    SELECT r.group_value, r.currency, r.period_days, r.months, r.beginning_ar, r.ending_ar,
           r.ending_current_ar, r.ending_past_due_ar, r.invoices_generated, r.credit_sales,
           r.dso, r.dso_countback, r.best_possible_dso, r.average_days_delinquent, r.cei
      FROM collmine._receivables_kpis_periods(log_schema, ARRAY[period_start], ARRAY[period_end], group_by) r
     ORDER BY r.group_value, r.currency;
END
$$;

-- The formula of payment_behaviour, as a query over the rows of the query src (the invoice
-- facts' columns, group_value among them), with $1 the period start: the one text of it, which
-- _payment_behaviour runs over the facts and the strategy dashboard over its one read of them.
CREATE FUNCTION collmine._payment_behaviour_sql(src text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
AS $$
    SELECT pg_catalog.format($q$
    WITH s AS (SELECT x.group_value, x.currency, x.amount, x.invoice_date, x.due_date,
                      x.paid_at::date AS pd, x.days_late, x.days_overdue, x.paid_on_time AS on_time
                 FROM (%s) x
                WHERE x.status = 'settled' AND x.settled_at::date >= $1)
    SELECT s.group_value, s.currency, count(*),
           avg(s.pd - s.invoice_date)::numeric,
           -- days_late is NULL without a due date: those invoices are left out
           avg(s.days_late)::numeric,
           CASE WHEN sum(s.amount) FILTER (WHERE s.days_late IS NOT NULL) <> 0
                THEN sum(s.amount * s.days_late) / sum(s.amount) FILTER (WHERE s.days_late IS NOT NULL) END,
           avg(s.days_overdue)::numeric,
           count(*) FILTER (WHERE s.on_time),
           (count(*) FILTER (WHERE s.on_time))::numeric / nullif(count(s.on_time), 0)
      FROM s
     GROUP BY s.group_value, s.currency
     ORDER BY s.group_value, s.currency
    $q$, src)
$$;

-- The formula of payment_behaviour over the invoice facts as of period_end (collmine._facts: computed,
-- or read from the relation facts when it is not NULL).
CREATE FUNCTION collmine._payment_behaviour(log_schema name, period_start date, period_end date,
                                            group_by text, on_time_basis text, facts regclass)
RETURNS TABLE (
    group_value text, currency text, settled_invoices bigint, avg_days_to_pay numeric,
    avg_days_late numeric, avg_days_late_weighted numeric, avg_days_from_due numeric,
    paid_on_time bigint, on_time_rate numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY EXECUTE collmine._payment_behaviour_sql(
        collmine._facts_sql(log_schema, period_end, group_by, on_time_basis, facts)) USING period_start;
END
$$;

-- Payment behaviour of the invoices settled in a period: days to pay, days late (plain and
-- amount-weighted), signed days from due date, and the on-time rate, each measured when the
-- invoice counts as paid (collmine.invoice_facts: paid_at, by on_time_basis).
CREATE FUNCTION collmine.payment_behaviour(log_schema name, period_start date, period_end date,
                                           group_by text DEFAULT NULL, on_time_basis text DEFAULT 'payment_received')
RETURNS TABLE (
    group_value text, currency text, settled_invoices bigint, avg_days_to_pay numeric,
    avg_days_late numeric, avg_days_late_weighted numeric, avg_days_from_due numeric,
    paid_on_time bigint, on_time_rate numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT * FROM collmine._payment_behaviour(log_schema, period_start, period_end, group_by, on_time_basis, NULL)
$$;

-- The formula of terms_compliance over the snapshot as of period_end (collmine._snapshot_sql: computed,
-- or read from the invoice facts in the relation facts when it is not NULL).
CREATE FUNCTION collmine._terms_compliance(log_schema name, period_start date, period_end date,
                                           group_by text, facts regclass)
RETURNS TABLE (
    group_value text, settled_invoices bigint, paid_within_terms bigint, compliance_rate numeric,
    avg_days_beyond_terms numeric, invoices_generated bigint, due_date_deviations bigint,
    deviation_rate numeric, avg_due_date_deviation_days numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY EXECUTE format($q$
    WITH s AS (SELECT x.*, x.settled_at::date AS sd,
                      coalesce(x.invoice_date + x.terms_days, x.due_date) AS terms_due,
                      x.due_date - (x.invoice_date + x.terms_days) AS dev
                 FROM (%s) x)
    SELECT s.group_value,
           count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= $1 AND s.terms_due IS NOT NULL),
           count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= $1 AND s.sd <= s.terms_due),
           (count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= $1 AND s.sd <= s.terms_due))::numeric
               / nullif(count(*) FILTER (WHERE s.status = 'settled' AND s.sd >= $1 AND s.terms_due IS NOT NULL), 0),
           avg(s.sd - s.terms_due) FILTER (WHERE s.status = 'settled' AND s.sd >= $1 AND s.sd > s.terms_due)::numeric,
           count(*) FILTER (WHERE s.invoice_date >= $1),
           count(*) FILTER (WHERE s.invoice_date >= $1 AND s.dev <> 0),
           (count(*) FILTER (WHERE s.invoice_date >= $1 AND s.dev <> 0))::numeric
               / nullif(count(*) FILTER (WHERE s.invoice_date >= $1 AND s.dev IS NOT NULL), 0),
           avg(s.dev) FILTER (WHERE s.invoice_date >= $1 AND s.dev <> 0)::numeric
      FROM s
     GROUP BY s.group_value
    HAVING count(*) FILTER (WHERE s.invoice_date >= $1
                               OR (s.status = 'settled' AND s.sd >= $1)) > 0
     ORDER BY s.group_value
    $q$, collmine._snapshot_sql(log_schema, period_end, group_by, facts)) USING period_start;
END
$$;

-- Payment terms compliance (settled within invoice_date + terms_days) and deviations (due
-- dates that do not match the terms) for a period. Grouped by terms unless told otherwise.
CREATE FUNCTION collmine.terms_compliance(log_schema name, period_start date, period_end date,
                                          group_by text DEFAULT 'terms')
RETURNS TABLE (
    group_value text, settled_invoices bigint, paid_within_terms bigint, compliance_rate numeric,
    avg_days_beyond_terms numeric, invoices_generated bigint, due_date_deviations bigint,
    deviation_rate numeric, avg_due_date_deviation_days numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT * FROM collmine._terms_compliance(log_schema, period_start, period_end, group_by, NULL)
$$;

-- Every occurrence of a start activity in a case paired with the same-numbered occurrence of
-- an end activity (1st with 1st, 2nd with 2nd, in (ts, ord) order); ended_at NULL when
-- unmatched. The duration is ended_at - started_at, an interval (docs/conventions.md), and
-- duration_days the same in days, the column of 0.1.0. starts and ends are sets of the log's names (a role's activities): the one body of
-- activity_pairs and of every duration KPI.
CREATE FUNCTION collmine._activity_pairs(log_schema name, starts text[], ends text[], group_by text DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, pair_no bigint, started_at timestamptz,
               ended_at timestamptz, duration_days numeric, duration interval)
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
    IF starts && ends THEN
        RAISE EXCEPTION 'invalid activity pair: % to %', array_to_string(starts, ', '), array_to_string(ends, ', ')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name two different activities, e.g. ''Payment Received'' and ''Payment Posted''; check the log''s vocabulary (collmine.log_vocabulary) when they are role names.';
    END IF;
    -- customer-level activities that a connector keeps once each in customer_events (credit
    -- limits) pair per customer there, each once; case_id is then the customer id, and group_by
    -- reads the customer's first invoice
    -- (a role that may not read customer_events sees the log without them, as privileges say)
    IF to_regclass(format('%I.customer_events', log_schema)) IS NOT NULL
       AND has_table_privilege(to_regclass(format('%I.customer_events', log_schema)), 'SELECT') THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.customer_events WHERE activity = ANY ($1))', log_schema)
            INTO customer_level USING starts;
    END IF;
    -- one pass over the events of both kinds, grouped by case: _paired_starts and _paired_ends
    -- (one shared state per case, src/payment_lag.c) pair the k-th start with the k-th end in
    -- time order, as two arrays of one element per start, unnested side by side (set-returning
    -- functions in the select list run in step, with no tuplestore per case) with k; a start
    -- without a case (NULL case_id) is paired with nothing, as a join on case_id pairs it
    RETURN QUERY EXECUTE format($q$
        SELECT p.case_id, (%2$s), p.n, p.s, p.f,
               extract(epoch FROM p.f - p.s)::numeric / 86400, p.f - p.s
          FROM (SELECT g.case_id, unnest(g.s) AS s,
                       unnest(CASE WHEN g.case_id IS NOT NULL THEN g.f END) AS f,
                       generate_series(1::bigint, cardinality(g.s)) AS n
                  FROM (SELECT e.%3$I::text AS case_id,
                               collmine._paired_starts(e.ts, coalesce(e.activity = ANY ($1), false)) AS s,
                               collmine._paired_ends(e.ts, coalesce(e.activity = ANY ($1), false)) AS f
                          FROM %1$I.%4$I e WHERE e.activity = ANY ($1) OR e.activity = ANY ($2)
                         GROUP BY e.%3$I) g) p %5$s
    $q$, log_schema, grp, CASE WHEN customer_level THEN 'customer_id' ELSE 'case_id' END,
         CASE WHEN customer_level THEN 'customer_events' ELSE 'events' END,
         -- the invoice is looked up only for its group value: without group_by, a million
         -- index probes at 1M invoices for nothing; a customer's first invoice is found once
         -- per customer of the pairs' activities, in one sorted pass (invoices.customer_id has
         -- no index: a probe per pair read the whole table each time)
         CASE WHEN group_by IS NULL THEN ''
              WHEN customer_level THEN format(
             'LEFT JOIN (SELECT DISTINCT ON (x.customer_id::text) x.* FROM %1$I.invoices x '
             '            WHERE x.customer_id::text IN (SELECT c.customer_id::text FROM %1$I.customer_events c '
             '                                           WHERE c.activity = ANY ($1) OR c.activity = ANY ($2)) '
             '            ORDER BY x.customer_id::text, x.case_id) i ON i.customer_id::text = p.case_id',
             log_schema)
              ELSE format(
             'LEFT JOIN LATERAL (SELECT * FROM %1$I.invoices x WHERE x.case_id::text = p.case_id '
             '                   ORDER BY x.case_id LIMIT 1) i ON true',
             log_schema) END)
        USING starts, ends;
END
$$;

-- Raise a clear error unless two different activities are named.
CREATE FUNCTION collmine._check_activity_pair(start_activity text, end_activity text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF start_activity IS NULL OR end_activity IS NULL OR start_activity = end_activity THEN
        RAISE EXCEPTION 'invalid activity pair: % to %', start_activity, end_activity
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name two different activities, e.g. ''Payment Received'' and ''Payment Posted''.';
    END IF;
END
$$;

-- Every occurrence of from_activity in a case paired with the same-numbered occurrence of
-- to_activity. A template name stands for its role's activities in the log's vocabulary; a
-- name the log does not know is reported (warning, or error with strict).
CREATE FUNCTION collmine.activity_pairs(log_schema name, from_activity text, to_activity text,
                                        group_by text DEFAULT NULL, strict boolean DEFAULT false)
RETURNS TABLE (case_id text, group_value text, pair_no bigint, started_at timestamptz,
               ended_at timestamptz, duration_days numeric, duration interval)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    PERFORM collmine._check_activity_pair(from_activity, to_activity);
    RETURN QUERY SELECT * FROM collmine._activity_pairs(log_schema,
        collmine._activity_names(log_schema, from_activity, strict),
        collmine._activity_names(log_schema, to_activity, strict), group_by);
END
$$;

-- Duration statistics of the activity pairs completed in a period, and how many were started by
-- the period end but not completed by then: the one body of every duration KPI. The statistics
-- as intervals (*_duration, docs/conventions.md) and the same in days (*_days, the columns of
-- 0.1.0, which views built on it keep).
CREATE FUNCTION collmine._duration_stats(log_schema name, starts text[], ends text[],
                                         period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    t0 timestamptz;
    t1 timestamptz;
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    t0 := period_start::timestamptz;
    t1 := (period_end + 1)::timestamptz;
    RETURN QUERY
    WITH p AS (SELECT x.*,
                      (x.ended_at >= t0 AND x.ended_at < t1) AS done,
                      (x.started_at < t1 AND (x.ended_at IS NULL OR x.ended_at >= t1)) AS still_open
                 FROM collmine._activity_pairs(log_schema, starts, ends, group_by) x)
    SELECT p.group_value,
           count(*) FILTER (WHERE p.done),
           avg(p.duration_days) FILTER (WHERE p.done),
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_days) FILTER (WHERE p.done))::numeric,
           (percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration_days) FILTER (WHERE p.done))::numeric,
           max(p.duration_days) FILTER (WHERE p.done),
           count(*) FILTER (WHERE p.still_open),
           avg(p.duration) FILTER (WHERE p.done),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration) FILTER (WHERE p.done),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration) FILTER (WHERE p.done),
           max(p.duration) FILTER (WHERE p.done)
      FROM p
     WHERE p.done OR p.still_open
     GROUP BY p.group_value
     ORDER BY p.group_value;
END
$$;

-- Duration statistics of any pair of activities named by the caller (activity_pairs' names).
CREATE FUNCTION collmine.duration_stats(log_schema name, from_activity text, to_activity text,
                                        period_start date, period_end date, group_by text DEFAULT NULL,
                                        strict boolean DEFAULT false)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    PERFORM collmine._check_log(log_schema);
    PERFORM collmine._check_activity_pair(from_activity, to_activity);
    RETURN QUERY SELECT * FROM collmine._duration_stats(log_schema,
        collmine._activity_names(log_schema, from_activity, strict),
        collmine._activity_names(log_schema, to_activity, strict), period_start, period_end, group_by);
END
$$;

-- Invoice-to-cash cycle time: invoice created to settled, settled in the period.
CREATE FUNCTION collmine.cycle_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._duration_stats(log_schema, collmine._role_activities(log_schema, 'invoice_created'),
                                             collmine._role_activities(log_schema, 'settled'), period_start, period_end, group_by) $$;

-- Payment posting lag: payment received to payment posted, posted in the period.
CREATE FUNCTION collmine.posting_lag(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._duration_stats(log_schema, collmine._role_activities(log_schema, 'payment_received'),
                                             collmine._role_activities(log_schema, 'payment_posted'), period_start, period_end, group_by) $$;

-- Dispute resolution time: dispute opened to dispute closed, closed in the period.
CREATE FUNCTION collmine.dispute_resolution_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._duration_stats(log_schema, collmine._role_activities(log_schema, 'dispute_opened'),
                                             collmine._role_activities(log_schema, 'dispute_closed'), period_start, period_end, group_by) $$;

-- Credit approval cycle time: credit limit requested to approved, approved in the period.
CREATE FUNCTION collmine.credit_approval_time(log_schema name, period_start date, period_end date, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, completed bigint, avg_days numeric, median_days numeric,
               p90_days numeric, max_days numeric, open_at_end bigint, avg_duration interval,
               median_duration interval, p90_duration interval, max_duration interval)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._duration_stats(log_schema, collmine._role_activities(log_schema, 'credit_limit_requested'),
                                             collmine._role_activities(log_schema, 'credit_limit_approved'), period_start, period_end, group_by) $$;

-- Dunning adherence of one invoice, the one definition (collmine.dunning_adherence counts it):
-- the invoice needs dunning when it is still open (neither settled nor written off) at its
-- deadline, the end of day due_date + grace_days in the session's TimeZone
-- (_dunning_deadline); then it was dunned 'in_time' when its first dunning (Dunning Procedure
-- Initiated or Overdue Reminder Sent: invoice_snapshot's first_dunning_at) came before the
-- deadline, 'late' when later, 'not_dunned' when not at all (by the snapshot's date). NULL:
-- no dunning was needed (closed before the deadline, or no due date).
CREATE FUNCTION collmine._dunning_deadline(due_date date, grace_days integer)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT (due_date OPERATOR(pg_catalog.+) grace_days OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamptz
$$;

CREATE FUNCTION collmine._dunning_outcome(deadline timestamptz, settled_at timestamptz, written_off_at timestamptz,
                                          first_dunning_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN deadline IS NULL OR settled_at OPERATOR(pg_catalog.<) deadline
                     OR written_off_at OPERATOR(pg_catalog.<) deadline THEN NULL
                WHEN first_dunning_at OPERATOR(pg_catalog.<) deadline THEN 'in_time'
                WHEN first_dunning_at IS NOT NULL THEN 'late'
                ELSE 'not_dunned' END
$$;

-- Dunning adherence: of the invoices whose dunning deadline (due_date + grace_days) falls in
-- the period and that needed dunning then, how many were dunned in time, late (by period_end)
-- or not at all (collmine._dunning_outcome).
CREATE FUNCTION collmine.dunning_adherence(log_schema name, period_start date, period_end date,
                                           grace_days integer DEFAULT 7, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, dunning_due bigint, dunned_in_time bigint, adherence_rate numeric,
               dunned_late bigint, not_dunned bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    IF grace_days IS NULL OR grace_days < 0 THEN
        RAISE EXCEPTION 'invalid grace_days: %', grace_days
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of days >= 0, e.g. 7.';
    END IF;
    RETURN QUERY
    WITH d AS (SELECT x.group_value,
                      collmine._dunning_outcome(collmine._dunning_deadline(x.due_date, grace_days),
                                                x.settled_at, x.written_off_at, x.first_dunning_at) AS outcome
                 FROM collmine.invoice_snapshot(log_schema, period_end, group_by) x
                WHERE x.due_date + grace_days BETWEEN period_start AND period_end)
    SELECT d.group_value, count(*),
           count(*) FILTER (WHERE d.outcome = 'in_time'),
           (count(*) FILTER (WHERE d.outcome = 'in_time'))::numeric / count(*),
           count(*) FILTER (WHERE d.outcome = 'late'),
           count(*) FILTER (WHERE d.outcome = 'not_dunned')
      FROM d
     WHERE d.outcome IS NOT NULL
     GROUP BY d.group_value
     ORDER BY d.group_value;
END
$$;

-- Each occurrence of a trigger activity (one of trigger_activities, or only the first per
-- case), and whether the invoice was paid within N days after it. "Paid" is a payment received
-- or settled event after the trigger in (ts, ord) order and at most within_days later;
-- "settled" counts only the settled role. window_open: the window reaches past the last event
-- of the log and the invoice is not settled within it, so the outcome is not final yet. The one
-- body of followup_events and of every follow-up KPI. last_event_at: the log's last event time
-- when the caller has it already (the strategy dashboard asks twice, and reads the log for it
-- once); NULL: read from the log here.
CREATE FUNCTION collmine._followup_events(log_schema name, trigger_activities text[], within_days integer,
                                          first_only boolean DEFAULT false, group_by text DEFAULT NULL,
                                          last_event_at timestamptz DEFAULT NULL)
RETURNS TABLE (case_id text, group_value text, triggered_at timestamptz, paid_within boolean,
               settled_within boolean, window_open boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    IF within_days IS NULL OR within_days < 0 THEN
        RAISE EXCEPTION 'invalid within_days: %', within_days
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of days >= 0, e.g. 30.';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH t AS (SELECT e.case_id::text AS case_id, e.ts, e.ord,
                          row_number() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.ord) AS n
                     FROM %1$I.events e WHERE e.activity = ANY ($1)),
             mx AS (%3$s),
             -- "after the trigger in (ts, ord) order" as a row comparison, one range of the
             -- connectors' index on events (case_id, ts, ord) per trigger: the payment and
             -- settled events in it give the outcome, 2 settled (settled is one of the paid
             -- roles), 1 paid only, 0 neither (no such event), as the largest of 2 for a settled
             -- event and 1 for a payment. One range read to its end costs less than two
             -- lookups that stop at their first hit (a settled one, then, for the triggers not
             -- settled within the window, four in ten first reminders, a payment one): the window
             -- holds a few events. One step over t, with the lookup correlated to it, so that
             -- Citus pushes the whole step down to the shards (a correlated lookup over a
             -- materialized step is not supported there); MATERIALIZED, so that outcome, read
             -- three times below, is looked up once.
             o AS MATERIALIZED (
                   SELECT t.case_id, t.ts,
                          coalesce((SELECT max(CASE WHEN p.activity = ANY ($5) THEN 2 ELSE 1 END)
                                      FROM %1$I.events p
                                     WHERE p.case_id::text = t.case_id
                                       AND (p.activity = ANY ($4) OR p.activity = ANY ($5))
                                       AND (p.ts, p.ord) > (t.ts, t.ord)
                                       AND p.ts <= t.ts + $3), 0) AS outcome
                     FROM t WHERE NOT $2 OR t.n = 1)
        SELECT o.case_id, (%2$s), o.ts, o.outcome >= 1, o.outcome = 2, (o.outcome <> 2 AND o.ts + $3 > mx.last_ts)
          FROM o CROSS JOIN mx LEFT JOIN %1$I.invoices i ON i.case_id::text = o.case_id
    $q$, log_schema, grp,
         CASE WHEN last_event_at IS NULL THEN format('SELECT max(e.ts) AS last_ts FROM %I.events e', log_schema)
              ELSE 'SELECT $6 AS last_ts' END)
    USING trigger_activities, first_only, make_interval(days => within_days),
          collmine._role_activities(log_schema, 'payment_received'), collmine._role_activities(log_schema, 'settled'),
          last_event_at;
END
$$;

-- Each occurrence of a trigger activity named by the caller (a template name stands for its
-- role's activities in the log's vocabulary), and what followed within N days.
CREATE FUNCTION collmine.followup_events(log_schema name, trigger_activity text, within_days integer,
                                         first_only boolean DEFAULT false, group_by text DEFAULT NULL,
                                         strict boolean DEFAULT false)
RETURNS TABLE (case_id text, group_value text, triggered_at timestamptz, paid_within boolean,
               settled_within boolean, window_open boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY SELECT * FROM collmine._followup_events(log_schema,
        collmine._activity_names(log_schema, trigger_activity, strict), within_days, first_only, group_by);
END
$$;

-- Follow-up success per group for the triggers that happened in the period (_followup_events).
-- Events after period_end count: the log is the full history.
CREATE FUNCTION collmine._followup_success(log_schema name, trigger_activities text[], within_days integer,
                                           period_start date, period_end date,
                                           first_only boolean DEFAULT false, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY
    SELECT f.group_value, count(*),
           count(*) FILTER (WHERE f.paid_within),
           (count(*) FILTER (WHERE f.paid_within))::numeric / count(*),
           count(*) FILTER (WHERE f.settled_within),
           (count(*) FILTER (WHERE f.settled_within))::numeric / count(*),
           count(*) FILTER (WHERE f.window_open)
      FROM collmine._followup_events(log_schema, trigger_activities, within_days, first_only, group_by) f
     WHERE f.triggered_at >= period_start::timestamptz AND f.triggered_at < (period_end + 1)::timestamptz
     GROUP BY f.group_value
     ORDER BY f.group_value;
END
$$;

-- Follow-up success of a trigger activity named by the caller.
CREATE FUNCTION collmine.followup_success(log_schema name, trigger_activity text, within_days integer,
                                          period_start date, period_end date,
                                          first_only boolean DEFAULT false, group_by text DEFAULT NULL,
                                          strict boolean DEFAULT false)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY SELECT * FROM collmine._followup_success(log_schema,
        collmine._activity_names(log_schema, trigger_activity, strict), within_days, period_start, period_end,
        first_only, group_by);
END
$$;

-- Collection success after dunning: invoices whose first reminder falls in the period, paid
-- within within_days of it.
CREATE FUNCTION collmine.collection_success_after_dunning(log_schema name, period_start date, period_end date,
                                                          within_days integer DEFAULT 30, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._followup_success(log_schema, collmine._role_activities(log_schema, 'reminder'),
                                               within_days, period_start, period_end, true, group_by) $$;

-- Collections contact success: every collection call in the period, paid within within_days.
CREATE FUNCTION collmine.contact_success(log_schema name, period_start date, period_end date,
                                         within_days integer DEFAULT 14, group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, triggers bigint, paid_within bigint, success_rate numeric,
               settled_within bigint, settled_rate numeric, window_open bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$ SELECT * FROM collmine._followup_success(log_schema, collmine._role_activities(log_schema, 'call'),
                                               within_days, period_start, period_end, false, group_by) $$;

-- The formula of manual_activity_share, as a query over the rows of the query src: the number
-- of events n in the period per group value gv, activity act and is_automated (any row of src
-- counts, so several rows of one kind add up): one row per (group, activity) with its events
-- by manual (is_automated = false), automated and unknown (NULL) and the manual share, which
-- leaves the unknown out, then the row with activity NULL that is the group's total, summed
-- from those rows (the same rows as GROUPING SETS ((group, activity), (group)), which Citus
-- cannot run on a distributed log). The one text of it, which manual_activity_share runs over
-- the events and the manual activity dashboard over its one read of each case's events.
CREATE FUNCTION collmine._manual_activity_share_sql(src text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
AS $$
    SELECT pg_catalog.format($q$
    WITH c AS MATERIALIZED (
        SELECT s.gv, s.act, sum(s.n)::bigint AS n,
               coalesce(sum(s.n) FILTER (WHERE NOT s.is_automated), 0)::bigint AS m,
               coalesce(sum(s.n) FILTER (WHERE s.is_automated), 0)::bigint AS a,
               coalesce(sum(s.n) FILTER (WHERE s.is_automated IS NULL), 0)::bigint AS u
          FROM (%s) s
         GROUP BY s.gv, s.act)
    SELECT c.gv, c.act, c.n, c.m, c.a, c.u, c.m::numeric / nullif(c.m + c.a, 0) FROM c
    UNION ALL
    SELECT c.gv, NULL::text, sum(c.n)::bigint, sum(c.m)::bigint, sum(c.a)::bigint, sum(c.u)::bigint,
           sum(c.m) / nullif(sum(c.m) + sum(c.a), 0)
      FROM c GROUP BY c.gv
     ORDER BY 1, 2 NULLS FIRST
    $q$, src)
$$;

-- Manual activity share: events in the period by is_automated, per group and activity; the row
-- with activity NULL is the group's total. Events with is_automated NULL are counted as unknown
-- and left out of the share (_manual_activity_share_sql).
CREATE FUNCTION collmine.manual_activity_share(log_schema name, period_start date, period_end date,
                                               group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, activity text, events bigint, manual_events bigint,
               automated_events bigint, unknown_events bigint, manual_share numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    grp text;
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    PERFORM collmine._check_log(log_schema);
    grp := collmine._group_expr(log_schema, group_by);
    RETURN QUERY EXECUTE collmine._manual_activity_share_sql(format($q$
        SELECT (%2$s) AS gv, e.activity::text AS act, e.is_automated, count(*) AS n
          FROM %1$I.events e LEFT JOIN %1$I.invoices i ON i.case_id::text = e.case_id::text
         WHERE e.ts >= $1 AND e.ts < $2
         GROUP BY 1, 2, 3
    $q$, log_schema, grp)) USING period_start::timestamptz, (period_end + 1)::timestamptz;
END
$$;

-- The formula of write_off_rate, as a query over the rows of the query src (the snapshot's
-- columns, group_value among them), with $1 the period start: the one text of it, which
-- _write_off_rate runs over the snapshot and the strategy dashboard over its one read of the facts.
CREATE FUNCTION collmine._write_off_rate_sql(src text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE   -- (format() is STABLE)
AS $$
    SELECT pg_catalog.format($q$
    WITH s AS (SELECT x.*, coalesce(x.written_off_at, x.settled_at)::date AS closed_on
                 FROM (%s) x),
         g AS (SELECT s.group_value, s.currency,
                      count(*) FILTER (WHERE s.closed_on >= $1) AS n_closed,
                      coalesce(sum(s.amount) FILTER (WHERE s.closed_on >= $1), 0) AS v_closed,
                      count(*) FILTER (WHERE s.status = 'written_off' AND s.closed_on >= $1) AS n_wo,
                      coalesce(sum(s.written_off_amount) FILTER (WHERE s.status = 'written_off' AND s.closed_on >= $1), 0) AS v_wo,
                      coalesce(sum(s.amount) FILTER (WHERE s.invoice_date >= $1), 0) AS sales,
                      count(*) FILTER (WHERE s.invoice_date >= $1) AS n_gen
                 FROM s GROUP BY s.group_value, s.currency)
    SELECT g.group_value, g.currency, g.n_closed, g.v_closed, g.n_wo, g.v_wo,
           g.n_wo::numeric / nullif(g.n_closed, 0),
           g.v_wo / nullif(g.v_closed, 0),
           g.sales,
           g.v_wo / nullif(g.sales, 0)
      FROM g
     WHERE g.n_closed > 0 OR g.n_gen > 0
     ORDER BY g.group_value, g.currency
    $q$, src)
$$;

-- The formula of write_off_rate over the snapshot as of period_end (collmine._snapshot_sql: computed,
-- or read from the invoice facts in the relation facts when it is not NULL).
CREATE FUNCTION collmine._write_off_rate(log_schema name, period_start date, period_end date,
                                         group_by text, facts regclass)
RETURNS TABLE (group_value text, currency text, closed_invoices bigint, closed_amount numeric,
               written_off_invoices bigint, written_off_amount numeric,
               write_off_rate_by_count numeric, write_off_rate_by_value numeric,
               credit_sales numeric, bad_debt_ratio numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_period(period_start, period_end);
    RETURN QUERY EXECUTE collmine._write_off_rate_sql(
        collmine._snapshot_sql(log_schema, period_end, group_by, facts)) USING period_start;
END
$$;

-- Write-offs in a period: by count and by value over the invoices closed (settled or written
-- off) in the period, and the bad-debt ratio (written-off value / credit sales of the period).
CREATE FUNCTION collmine.write_off_rate(log_schema name, period_start date, period_end date,
                                        group_by text DEFAULT NULL)
RETURNS TABLE (group_value text, currency text, closed_invoices bigint, closed_amount numeric,
               written_off_invoices bigint, written_off_amount numeric,
               write_off_rate_by_count numeric, write_off_rate_by_value numeric,
               credit_sales numeric, bad_debt_ratio numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT * FROM collmine._write_off_rate(log_schema, period_start, period_end, group_by, NULL)
$$;
