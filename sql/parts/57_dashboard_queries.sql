-- collmine install script, layer 5b (continued): the body of every dashboard as a static SQL
-- function, collmine.dashboard_<name>(log_schema), parsed and checked when the extension is
-- installed (CREATE FUNCTION validates a LANGUAGE sql body), so a mistake in a dashboard fails
-- the install and the test suite, never a customer's create_dashboards. The views that
-- create_dashboards makes are just SELECT * FROM collmine.dashboard_<name>('log').
--
-- Every business figure comes from the KPI function that defines it (docs/kpis.md): on-time
-- rate and days late from payment_behaviour, write-off rates from write_off_rate, open amounts,
-- days past due and aging buckets from invoice_snapshot, DSO/CEI from receivables_kpis'
-- computation, terms compliance from terms_compliance, dunning and contact outcomes from
-- followup_events, durations from activity_pairs; test/sql/57_dashboard_equality.sql checks
-- each against its function and against plain SQL. Those KPI functions read the log with
-- dynamic SQL; what a dashboard needs from the log besides them (invoice attributes, per-case
-- activity counts, the last event) comes from the small _dashboard_* readers below, whose SQL
-- is fixed except for the quoted schema name.
--
-- This file comes after the layers whose functions the dashboards call (52 root causes, 53
-- policy adherence, 54 log entry points), because a SQL body may only name existing functions.
-- The dashboards that need the per-invoice facts or snapshot take a second argument, facts: NULL
-- (the views) computes them (collmine.invoice_facts, invoice_snapshot); a relation that holds
-- collmine.invoice_facts(log_schema) (the materialized variants: the dashboard schema's
-- invoice_facts_mv, refreshed first by refresh_dashboards) is read instead, so that a refresh of
-- the set computes the facts once. Either way each figure comes from the same KPI formula
-- (collmine._facts, _snapshot and the KPI functions' bodies over them).
-- The two process-map dashboards take maps the same way (process_maps_mv).
-- "All of the log" as a KPI period is '-infinity' to the log's as-of date (the date of its last
-- event, as invoice_snapshot takes it).

-- The invoice attributes the dashboards show, typed (a missing column raises 42703 here): of
-- every invoice, or when cases is not NULL of those cases only (a caller that needs a few reads
-- them by the invoices' key, not all of them; on a log without that index, a filter in one pass).
CREATE FUNCTION collmine._dashboard_invoices(log_schema name, cases text[] DEFAULT NULL)
RETURNS TABLE (case_id text, customer_id text, customer_name text, segment text, collector text,
               dispute_reason text, currency text, amount numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY EXECUTE format(
        'SELECT i.case_id::text, i.customer_id::text, i.customer_name::text, i.segment::text, '
        '       i.collector::text, i.dispute_reason::text, i.currency::text, i.amount::numeric '
        '  FROM %I.invoices i WHERE $1 IS NULL OR i.case_id::text = ANY ($1)', log_schema) USING cases;
END
$$;

-- The open invoices as of the log's last event date (the snapshot's, _snapshot_sql: computed, or
-- read from the invoice facts in facts), each with the attributes the aging dashboard shows from
-- the log's invoices (typed as _dashboard_invoices types them). One query, so that only the open
-- invoices (8% at 1M invoices) leave it: not every invoice's snapshot and attributes, each
-- stored whole in a function's result and then matched.
CREATE FUNCTION collmine._dashboard_open_invoices(log_schema name, facts regclass)
RETURNS TABLE (case_id text, customer_id text, customer_name text, segment text, collector text,
               currency text, amount numeric, open_amount numeric, invoice_date date, due_date date,
               days_past_due integer, aging_bucket text, as_of_date date)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY EXECUTE format(
        'SELECT s.case_id, i.customer_id::text, i.customer_name::text, i.segment::text, i.collector::text, '
        '       s.currency, s.amount, s.open_amount, s.invoice_date, s.due_date, s.days_past_due, '
        '       s.aging_bucket, s.as_of_date '
        '  FROM (%s) s JOIN %I.invoices i ON i.case_id::text = s.case_id '
        ' WHERE s.open_amount > 0',
        collmine._snapshot_sql(log_schema, NULL, NULL, facts), log_schema);
END
$$;

-- For each case of cases, in one read of its events: how many are of the activities in
-- reminder and in call, how many more are in opened than in closed (disputes still open), and
-- its last event in (ts, ord) order (the last row of its window in that order). Only the cases
-- named: the caller needs a few (the open invoices), read in (case_id, ts, ord) order from the
-- connectors' index on events rather than by a pass over the whole log, so that the window
-- needs no sort.
CREATE FUNCTION collmine._dashboard_case_followups(log_schema name, cases text[], reminder text[], call text[],
                                                   opened text[], closed text[])
RETURNS TABLE (case_id text, reminders bigint, calls bigint, open_disputes bigint, last_activity text,
               last_activity_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY EXECUTE format(
        'SELECT DISTINCT ON (e.case_id) e.case_id::text, '
        '       count(*) FILTER (WHERE e.activity = ANY ($2)) OVER w, '
        '       count(*) FILTER (WHERE e.activity = ANY ($3)) OVER w, '
        '       count(*) FILTER (WHERE e.activity = ANY ($4)) OVER w - count(*) FILTER (WHERE e.activity = ANY ($5)) OVER w, '
        '       last_value(e.activity::text) OVER w, last_value(e.ts) OVER w '
        '  FROM %I.events e WHERE e.case_id::text = ANY ($1) '
        'WINDOW w AS (PARTITION BY e.case_id ORDER BY e.ts, e.ord ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) '
        ' ORDER BY e.case_id', log_schema) USING cases, reminder, call, opened, closed;
END
$$;

-- The calendar months (first days, in the session TimeZone) in which the log has an event.
CREATE FUNCTION collmine._dashboard_event_months(log_schema name)
RETURNS SETOF date
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 24
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    -- the distinct days first: a hash of a few hundred dates, and date_trunc per day, not per event
    RETURN QUERY EXECUTE format(
        'SELECT DISTINCT date_trunc(''month'', d.d::timestamp)::date FROM (SELECT DISTINCT e.ts::date AS d FROM %I.events e) d',
        log_schema);
END
$$;

-- Each currency's process map (_process_maps_by_currency): computed, or, when maps names a
-- relation that holds them (a dashboard schema's process_maps_mv), read from it, so that the two
-- process-map dashboards' materialized variants share one computation per refresh of the set.
CREATE FUNCTION collmine._dashboard_maps(log_schema name, maps regclass)
RETURNS TABLE (currency text, map collmine.dfg)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF maps IS NULL THEN
        RETURN QUERY SELECT * FROM collmine._process_maps_by_currency(log_schema);
    ELSE
        RETURN QUERY EXECUTE format('SELECT m.currency, m.map FROM %s m', maps);
    END IF;
END
$$;

-- Collection Strategy Performance by Segment (docs/dashboards/collection-strategy-by-segment.md).
-- The invoice facts are read once, with the segment joined once (_facts_sql), and the open
-- amounts, payment_behaviour's formula and write_off_rate's (_payment_behaviour_sql,
-- _write_off_rate_sql: the one text of each) all run over that one read, as of the facts' date.
-- The follow-ups (one row per trigger: 555k at 1M invoices) are joined with the facts by
-- hashing them: the planner, which takes a set-returning function for 1000 rows, would
-- otherwise sort the million facts rows and the follow-ups for a merge join (1.3 s of 9 at 1M);
-- no other join of this query or of the functions it calls (invoice_facts included) is a merge
-- join, and the SET clause lasts for this call only.
CREATE FUNCTION collmine.dashboard_collection_strategy_by_segment(log_schema name, facts regclass DEFAULT NULL)
RETURNS TABLE (segment text, currency text, invoices bigint, open_invoices bigint, open_amount numeric,
               overdue_amount numeric, dunned_invoices bigint, dunning_success_rate numeric, calls bigint,
               contact_success_rate numeric, avg_days_late numeric, on_time_rate numeric,
               written_off_invoices bigint, write_off_rate_by_count numeric, write_off_rate_by_value numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH c AS MATERIALIZED (
             SELECT x.case_id, x.group_value, x.currency, x.amount, x.invoice_date, x.due_date, x.status,
                    x.settled_at, x.written_off_at, x.written_off_amount, x.open_amount, x.aging_bucket,
                    x.paid_at, x.days_late, x.days_overdue, x.paid_on_time
               FROM (%1$s) x),
         -- open and overdue amounts: the snapshot's open amounts by aging bucket, as aging() sums them
         s AS (SELECT c.group_value, c.currency, count(*) AS invoices,
                      count(*) FILTER (WHERE c.status = 'open') AS open_invoices,
                      coalesce(sum(c.open_amount) FILTER (WHERE c.open_amount > 0), 0) AS open_amount,
                      coalesce(sum(c.open_amount) FILTER (WHERE c.open_amount > 0 AND c.aging_bucket <> 'current'), 0) AS overdue_amount
                 FROM c GROUP BY c.group_value, c.currency),
         -- payment_behaviour and write_off_rate over the whole history ($1 '-infinity') as of the
         -- facts' date
         pb (group_value, currency, settled_invoices, avg_days_to_pay, avg_days_late, avg_days_late_weighted,
             avg_days_from_due, paid_on_time, on_time_rate) AS (%2$s),
         wo (group_value, currency, closed_invoices, closed_amount, written_off_invoices, written_off_amount,
             write_off_rate_by_count, write_off_rate_by_value, credit_sales, bad_debt_ratio) AS (%3$s),
         -- each invoice's first reminder, and every call, with their outcome (_followup_events, as
         -- collection_success_after_dunning and contact_success take them), both measured to the
         -- log's last event time read once
         mx AS (SELECT max(e.ts) AS last_ts FROM %4$I.events e),
         f AS (SELECT x.case_id, 'dunning' AS kind, x.paid_within
                 FROM collmine._followup_events($2, collmine._role_activities($2, 'reminder'), 30, true, NULL,
                                                (SELECT mx.last_ts FROM mx)) x
               UNION ALL
               SELECT x.case_id, 'call', x.paid_within
                 FROM collmine._followup_events($2, collmine._role_activities($2, 'call'), 14, false, NULL,
                                                (SELECT mx.last_ts FROM mx)) x),
         fc AS (SELECT c.group_value, c.currency,
                       count(*) FILTER (WHERE f.kind = 'dunning') AS dunned,
                       count(*) FILTER (WHERE f.kind = 'dunning' AND f.paid_within) AS dunned_ok,
                       count(*) FILTER (WHERE f.kind = 'call') AS calls,
                       count(*) FILTER (WHERE f.kind = 'call' AND f.paid_within) AS calls_ok
                  FROM f JOIN c ON c.case_id = f.case_id
                 GROUP BY c.group_value, c.currency)
    SELECT coalesce(s.group_value, '(none)')::text,
           coalesce(s.currency, '(none)')::text,
           s.invoices::bigint,
           s.open_invoices::bigint,
           s.open_amount::numeric,
           s.overdue_amount::numeric,
           coalesce(fc.dunned, 0)::bigint,
           (fc.dunned_ok::numeric / nullif(fc.dunned, 0))::numeric,
           coalesce(fc.calls, 0)::bigint,
           (fc.calls_ok::numeric / nullif(fc.calls, 0))::numeric,
           pb.avg_days_late::numeric,
           pb.on_time_rate::numeric,
           coalesce(wo.written_off_invoices, 0)::bigint,
           wo.write_off_rate_by_count::numeric,
           wo.write_off_rate_by_value::numeric
      FROM s
      LEFT JOIN pb ON pb.group_value IS NOT DISTINCT FROM s.group_value AND pb.currency IS NOT DISTINCT FROM s.currency
      LEFT JOIN wo ON wo.group_value IS NOT DISTINCT FROM s.group_value AND wo.currency IS NOT DISTINCT FROM s.currency
      LEFT JOIN fc ON fc.group_value IS NOT DISTINCT FROM s.group_value AND fc.currency IS NOT DISTINCT FROM s.currency
    $q$, collmine._facts_sql(log_schema, NULL, 'segment', 'payment_received', facts),
         collmine._payment_behaviour_sql('SELECT * FROM c'), collmine._write_off_rate_sql('SELECT * FROM c'),
         log_schema)
    USING '-infinity'::date, log_schema;
END
$$;

-- Overdue Invoices Aging and Status (docs/dashboards/overdue-invoices-aging.md).
CREATE FUNCTION collmine.dashboard_overdue_invoices_aging(log_schema name, facts regclass DEFAULT NULL)
RETURNS TABLE (case_id text, customer_id text, customer_name text, segment text, collector text,
               currency text, amount numeric, open_amount numeric, invoice_date date, due_date date,
               days_past_due integer, aging_bucket text, reminders_sent integer, calls_made integer,
               in_dispute boolean, collection_status text, last_activity text,
               last_activity_at timestamptz, as_of_date date)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
WITH s AS MATERIALIZED (SELECT x.* FROM collmine._dashboard_open_invoices(log_schema, facts) x),
     -- the open invoices: only their events are read below
     o AS MATERIALIZED (SELECT array_agg(s.case_id) AS cases FROM s),
     -- the log's names of the four roles counted (its vocabulary, else the template's), each
     -- looked up once
     r AS MATERIALIZED (SELECT collmine._role_activities(log_schema, 'reminder') AS reminder,
                               collmine._role_activities(log_schema, 'call') AS call,
                               collmine._role_activities(log_schema, 'dispute_opened') AS opened,
                               collmine._role_activities(log_schema, 'dispute_closed') AS closed),
     ev AS (SELECT f.* FROM o CROSS JOIN r
                   CROSS JOIN LATERAL collmine._dashboard_case_followups(log_schema, o.cases, r.reminder, r.call,
                                                                         r.opened, r.closed) f)
SELECT s.case_id::text,
       s.customer_id::text,
       s.customer_name::text,
       s.segment::text,
       s.collector::text,
       s.currency::text,
       s.amount::numeric,
       s.open_amount::numeric,
       s.invoice_date::date,
       s.due_date::date,
       s.days_past_due::integer,
       s.aging_bucket::text,
       coalesce(ev.reminders, 0)::integer,
       coalesce(ev.calls, 0)::integer,
       (coalesce(ev.open_disputes, 0) > 0)::boolean,
       (CASE WHEN coalesce(ev.open_disputes, 0) > 0 THEN 'in dispute'
             WHEN coalesce(ev.calls, 0) > 0 THEN 'called'
             WHEN coalesce(ev.reminders, 0) > 0 THEN 'dunning'
             WHEN s.days_past_due > 0 THEN 'overdue, no action'
             ELSE 'not yet due' END)::text,
       ev.last_activity::text,
       ev.last_activity_at::timestamptz,
       s.as_of_date::date
  FROM s LEFT JOIN ev ON ev.case_id = s.case_id
$$;

-- Invoice Dispute Resolution Time (docs/dashboards/dispute-resolution-time.md).
CREATE FUNCTION collmine.dashboard_dispute_resolution_time(log_schema name)
RETURNS TABLE (case_id text, dispute_no integer, dispute_reason text, segment text, customer_name text,
               collector text, currency text, amount numeric, registered_at timestamptz,
               resolved_at timestamptz, status text, resolution_days numeric, open_days numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
WITH mx AS MATERIALIZED (SELECT collmine._last_event_at(log_schema) AS last_ts),
     p AS MATERIALIZED (SELECT * FROM collmine.activity_pairs(log_schema, 'Dispute Registered', 'Dispute Resolved'))
SELECT p.case_id::text,
       p.pair_no::integer,
       i.dispute_reason::text,
       i.segment::text,
       i.customer_name::text,
       i.collector::text,
       i.currency::text,
       i.amount::numeric,
       p.started_at::timestamptz,
       p.ended_at::timestamptz,
       (CASE WHEN p.ended_at IS NULL THEN 'open' ELSE 'resolved' END)::text,
       p.duration_days::numeric,
       (CASE WHEN p.ended_at IS NULL
             THEN extract(epoch FROM mx.last_ts - p.started_at)::numeric / 86400 END)::numeric
  FROM p
       -- the invoices of the disputes' cases only (a few percent of the invoices)
       LEFT JOIN collmine._dashboard_invoices(log_schema, ARRAY(SELECT DISTINCT p.case_id FROM p)) i
              ON i.case_id = p.case_id
       CROSS JOIN mx
$$;

-- Invoice Write-Off Root Cause Analysis (docs/dashboards/write-off-root-causes.md).
CREATE FUNCTION collmine.dashboard_write_off_root_causes(log_schema name)
RETURNS TABLE (attribute text, value text, cases bigint, written_off_cases bigint, write_off_rate numeric,
               baseline_rate numeric, lift numeric, support numeric, share_of_write_offs numeric,
               excess_write_offs numeric, z_score double precision, p_value double precision,
               rank_in_attribute bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT r.attribute::text,
       r.value::text,
       r.cases::bigint,
       r.outcome_cases::bigint,
       r.outcome_rate::numeric,
       r.baseline_rate::numeric,
       r.lift::numeric,
       r.support::numeric,
       r.outcome_share::numeric,
       r.excess_outcomes::numeric,
       r.z_score::double precision,
       r.p_value::double precision,
       r.rank_in_attribute::bigint
  FROM collmine.root_causes(log_schema, 'written_off') r
$$;

-- Manual Activity Frequency and Impact (docs/dashboards/manual-activity-impact.md), from one
-- read of the log: each case's events, one element per event in (case_id, ts, ord) order (the
-- index's, not needed for the figures), give both the event counts, over which
-- manual_activity_share's formula runs (_manual_activity_share_sql, the one text of it, over
-- the whole log: '-infinity' to 'infinity'), and each case's activities with whether each was
-- done by hand (is_automated = false). A settled case's cycle time and whether it was paid on
-- time are its invoice facts (_facts_sql: the one derivation of both).
--
-- The cases are summed per kind (a distinct list of activities and is_automated flags) before
-- anything else: a few thousand kinds leave the grouping, not a million cases; a mean over the
-- cases is the sum of their sums over the count of their counts, so the averages are those of
-- avg() over the cases, to the last digit. One row per case before the join with the facts, not
-- per (case, activity) (six million at 1M invoices, which outgrow work_mem), and no DISTINCT,
-- which would sort each case's events twice. Read from a relation, the facts come in case_id
-- order (its unique index), so that they merge with the cases as the grouping yields them,
-- rather than a hash of a million cases' lists (350 MB at 1M invoices). The events outside the
-- period (a timestamp of 'infinity') belong to their case's activities but not to the counts:
-- each case lists them apart (NULL when there are none, so the kinds stay as many) and the
-- counts leave them out.
CREATE FUNCTION collmine.dashboard_manual_activity_impact(log_schema name, facts regclass DEFAULT NULL)
RETURNS TABLE (activity text, events bigint, manual_events bigint, automated_events bigint,
               unknown_events bigint, manual_share numeric, cases bigint, cases_with_manual bigint,
               avg_cycle_days_with_manual numeric, avg_cycle_days_without_manual numeric,
               on_time_rate_with_manual numeric, on_time_rate_without_manual numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY EXECUTE format($q$
    WITH k AS MATERIALIZED (
             SELECT c.activities, c.automated, c.out_activities, c.out_automated, count(*) AS cases,
                    sum(cs.cycle_days) AS cycle_sum, count(cs.cycle_days) AS cycle_n,
                    sum(cs.on_time) AS on_time_sum, count(cs.on_time) AS on_time_n
               FROM (SELECT e.case_id::text AS case_id, array_agg(e.activity::text) AS activities,
                            array_agg(e.is_automated) AS automated,
                            array_agg(e.activity::text) FILTER (WHERE (e.ts >= $1 AND e.ts < $2) IS NOT TRUE) AS out_activities,
                            array_agg(e.is_automated) FILTER (WHERE (e.ts >= $1 AND e.ts < $2) IS NOT TRUE) AS out_automated
                       FROM %1$I.events e GROUP BY e.case_id) c
               LEFT JOIN (SELECT f.case_id, extract(epoch FROM f.cycle_time)::numeric / 86400 AS cycle_days,
                                 CASE WHEN f.status = 'settled' THEN f.paid_on_time::integer END AS on_time
                            FROM (%2$s) f %3$s) cs ON cs.case_id = c.case_id
              GROUP BY c.activities, c.automated, c.out_activities, c.out_automated),
         -- the events in the period per activity and is_automated: those of each kind of case
         -- times its cases, less those outside the period
         n AS (SELECT NULL::text AS gv, u.act, u.is_automated, sum(u.n) AS n
                 FROM (SELECT x.act, x.is_automated, k.cases AS n
                         FROM k CROSS JOIN LATERAL unnest(k.activities, k.automated) x(act, is_automated)
                       UNION ALL
                       SELECT x.act, x.is_automated, -k.cases
                         FROM k CROSS JOIN LATERAL unnest(k.out_activities, k.out_automated) x(act, is_automated)) u
                GROUP BY u.act, u.is_automated
               HAVING sum(u.n) > 0),
         a (group_value, activity, events, manual_events, automated_events, unknown_events, manual_share) AS (%4$s),
         -- each activity of a kind of case once (its first position in the list), and whether it
         -- was done by hand there (MATERIALIZED: the list of manual ones made once per kind)
         cm AS MATERIALIZED (
             SELECT k.activities, k.cases, k.cycle_sum, k.cycle_n, k.on_time_sum, k.on_time_n,
                    ARRAY(SELECT x.act FROM unnest(k.activities, k.automated) x(act, is_automated)
                           WHERE NOT x.is_automated) AS manual_activities
               FROM k),
         cu AS (SELECT u.activity, u.activity = ANY (cm.manual_activities) AS manual,
                       cm.cases, cm.cycle_sum, cm.cycle_n, cm.on_time_sum, cm.on_time_n
                  FROM cm CROSS JOIN LATERAL unnest(cm.activities) WITH ORDINALITY u(activity, n)
                 WHERE u.n = array_position(cm.activities, u.activity)),
         -- per activity, before the join with a
         ca AS (SELECT cu.activity, sum(cu.cases) AS cases,
                       coalesce(sum(cu.cases) FILTER (WHERE cu.manual), 0) AS cases_with_manual,
                       sum(cu.cycle_sum) FILTER (WHERE cu.manual)
                         / nullif(sum(cu.cycle_n) FILTER (WHERE cu.manual), 0) AS cycle_with,
                       sum(cu.cycle_sum) FILTER (WHERE NOT cu.manual)
                         / nullif(sum(cu.cycle_n) FILTER (WHERE NOT cu.manual), 0) AS cycle_without,
                       sum(cu.on_time_sum) FILTER (WHERE cu.manual)
                         / nullif(sum(cu.on_time_n) FILTER (WHERE cu.manual), 0) AS on_time_with,
                       sum(cu.on_time_sum) FILTER (WHERE NOT cu.manual)
                         / nullif(sum(cu.on_time_n) FILTER (WHERE NOT cu.manual), 0) AS on_time_without
                  FROM cu GROUP BY cu.activity)
    SELECT a.activity::text,
           a.events::bigint,
           a.manual_events::bigint,
           a.automated_events::bigint,
           a.unknown_events::bigint,
           a.manual_share::numeric,
           ca.cases::bigint,
           ca.cases_with_manual::bigint,
           ca.cycle_with::numeric,
           ca.cycle_without::numeric,
           ca.on_time_with::numeric,
           ca.on_time_without::numeric
      FROM a JOIN ca ON ca.activity = a.activity
     WHERE a.activity IS NOT NULL
    $q$, log_schema, collmine._facts_sql(log_schema, NULL, NULL, 'payment_received', facts),
         CASE WHEN facts IS NOT NULL THEN 'ORDER BY f.case_id' ELSE '' END,
         collmine._manual_activity_share_sql('SELECT * FROM n'))
    USING '-infinity'::date::timestamptz, ('infinity'::date + 1)::timestamptz;
END
$$;

-- Payment Posting Lag Analysis (docs/dashboards/payment-posting-lag.md): the payment-to-posting
-- pairs of activity_pairs, by the month the payment was received.
CREATE FUNCTION collmine.dashboard_payment_posting_lag(log_schema name)
RETURNS TABLE (month date, payments bigint, posted bigint, unposted bigint, avg_lag_days numeric,
               median_lag_days numeric, p90_lag_days numeric, max_lag_days numeric,
               posted_same_day_rate numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT date_trunc('month', p.started_at)::date,
       count(*)::bigint,
       count(p.ended_at)::bigint,
       (count(*) - count(p.ended_at))::bigint,
       avg(p.duration_days)::numeric,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_days))::numeric,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY p.duration_days))::numeric,
       max(p.duration_days)::numeric,
       ((count(*) FILTER (WHERE p.ended_at::date = p.started_at::date))::numeric
         / nullif(count(p.ended_at), 0))::numeric
  FROM collmine.activity_pairs(log_schema, 'Payment Received', 'Payment Posted') p
 GROUP BY 1
$$;

-- The per-terms figures of the terms dashboard that terms_compliance does not give (invoices,
-- the terms' days, the largest days beyond terms, the open invoices past their terms, the
-- snapshot's date), aggregated in one statement over the snapshot's query (_snapshot_sql: the
-- invoice facts read from facts, or computed), so that only the groups come back instead of a
-- million snapshot rows stored in a function's result first.
CREATE FUNCTION collmine._dashboard_terms_groups(log_schema name, facts regclass)
RETURNS TABLE (group_value text, terms_days integer, invoices bigint, as_of date, max_beyond integer,
               open_beyond bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 10
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT x.group_value, min(x.terms_days), count(*), max(x.as_of_date),
               max(x.settled_at::date - x.terms_due)
                 FILTER (WHERE x.status = 'settled' AND x.settled_at::date > x.terms_due),
               count(*) FILTER (WHERE x.open_amount > 0 AND x.as_of_date > x.terms_due)
          FROM (SELECT s.*, coalesce(s.invoice_date + s.terms_days, s.due_date) AS terms_due FROM (%s) s) x
         GROUP BY x.group_value
    $q$, collmine._snapshot_sql(log_schema, NULL, 'terms', facts));
END
$$;

-- Payment Terms Compliance and Deviations (docs/dashboards/payment-terms-compliance.md):
-- terms_compliance over the whole log, plus the terms' days, the latest payment beyond terms
-- and the open invoices past their terms from invoice_snapshot.
CREATE FUNCTION collmine.dashboard_payment_terms_compliance(log_schema name, facts regclass DEFAULT NULL)
RETURNS TABLE (terms text, terms_days integer, invoices bigint, settled_invoices bigint,
               paid_within_terms bigint, compliance_rate numeric, avg_days_beyond_terms numeric,
               max_days_beyond_terms integer, due_date_deviations bigint, deviation_rate numeric,
               avg_due_date_deviation_days numeric, open_beyond_terms bigint)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
WITH s AS MATERIALIZED (SELECT * FROM collmine._dashboard_terms_groups(log_schema, facts)),
     t AS (SELECT c.* FROM (SELECT coalesce(max(s.as_of), current_date) AS as_of FROM s) p
                  CROSS JOIN LATERAL collmine._terms_compliance(log_schema, '-infinity', p.as_of, 'terms', facts) c)
SELECT coalesce(s.group_value, '(none)')::text,
       s.terms_days::integer,
       s.invoices::bigint,
       coalesce(t.settled_invoices, 0)::bigint,
       coalesce(t.paid_within_terms, 0)::bigint,
       t.compliance_rate::numeric,
       t.avg_days_beyond_terms::numeric,
       s.max_beyond::integer,
       coalesce(t.due_date_deviations, 0)::bigint,
       t.deviation_rate::numeric,
       t.avg_due_date_deviation_days::numeric,
       s.open_beyond::bigint
  FROM s LEFT JOIN t ON t.group_value IS NOT DISTINCT FROM s.group_value
$$;

-- Invoice-to-cash overview (docs/dashboards/invoice-to-cash-overview.md): one row per month
-- with an event and currency; the receivables figures are receivables_kpis' of each month
-- (computed for all months in one pass), cycle time and write-offs come from invoice_snapshot.
-- The snapshot is its query (_snapshot_sql: computed, or read from the facts relation), run in
-- this statement rather than stored in a function's result first, so that the planner sees the
-- facts' size: the monthly settled and written-off figures are hashed, not a million rows sorted.
CREATE FUNCTION collmine.dashboard_invoice_to_cash_overview(log_schema name, facts regclass DEFAULT NULL)
RETURNS TABLE (month date, currency text, invoices_generated bigint, credit_sales numeric, ending_ar numeric,
               ending_past_due_ar numeric, dso numeric, dso_countback numeric, best_possible_dso numeric,
               average_days_delinquent numeric, cei numeric, settled_invoices bigint, avg_cycle_days numeric,
               written_off_invoices bigint, written_off_amount numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH s AS MATERIALIZED (SELECT x.invoice_date, x.as_of_date, x.status, x.currency, x.settled_at, x.generated_at,
                                   x.written_off_at, x.written_off_amount
                              FROM (%1$s) x),
         bounds AS (SELECT date_trunc('month', min(s.invoice_date)::timestamp)::date AS m0, max(s.as_of_date) AS last_day FROM s),
         -- the months in which the log has an event, plus the as_of month: as many as the data has,
         -- however far apart its first and last dates are
         active AS (SELECT m.m FROM collmine._dashboard_event_months($1) m(m)
                    UNION SELECT date_trunc('month', b.last_day::timestamp)::date FROM bounds b),
         months AS (SELECT a.m AS month_start,
                           least((a.m + interval '1 month')::date - 1, b.last_day) AS month_end
                      FROM bounds b JOIN active a ON a.m BETWEEN b.m0 AND b.last_day),
         k AS (SELECT r.* FROM collmine._receivables_kpis_periods($1,
                                  ARRAY(SELECT mo.month_start FROM months mo ORDER BY mo.month_start),
                                  ARRAY(SELECT mo.month_end FROM months mo ORDER BY mo.month_start), NULL, $2) r),
         cyc AS (SELECT date_trunc('month', s.settled_at)::date AS m, s.currency, count(*) AS n,
                        avg(extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400) AS d
                   FROM s WHERE s.status = 'settled' GROUP BY 1, 2),
         wo AS (SELECT date_trunc('month', s.written_off_at)::date AS m, s.currency, count(*) AS n,
                       sum(s.written_off_amount) AS v
                  FROM s WHERE s.status = 'written_off' GROUP BY 1, 2)
    SELECT k.period_start::date,
           coalesce(k.currency, '(none)')::text,
           k.invoices_generated::bigint,
           k.credit_sales::numeric,
           k.ending_ar::numeric,
           k.ending_past_due_ar::numeric,
           k.dso::numeric,
           k.dso_countback::numeric,
           k.best_possible_dso::numeric,
           k.average_days_delinquent::numeric,
           k.cei::numeric,
           coalesce(cyc.n, 0)::bigint,
           cyc.d::numeric,
           coalesce(wo.n, 0)::bigint,
           coalesce(wo.v, 0)::numeric
      FROM k LEFT JOIN cyc ON cyc.m = k.period_start AND cyc.currency IS NOT DISTINCT FROM k.currency
             LEFT JOIN wo ON wo.m = k.period_start AND wo.currency IS NOT DISTINCT FROM k.currency
    $q$, collmine._snapshot_sql(log_schema, NULL, NULL, facts)) USING log_schema, facts;
END
$$;

-- Process map, edges (docs/dashboards/process-map-edges.md): each currency's map, money-weighted.
CREATE FUNCTION collmine.dashboard_process_map_edges(log_schema name, maps regclass DEFAULT NULL)
RETURNS TABLE (currency text, source text, target text, frequency bigint, cases bigint,
               median_duration_days numeric, p90_duration_days numeric, amount numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT m.currency::text,
       e.source::text,
       e.target::text,
       e.frequency::bigint,
       e.cases::bigint,
       (extract(epoch FROM e.median_duration)::numeric / 86400)::numeric,
       (extract(epoch FROM e.p90_duration)::numeric / 86400)::numeric,
       e.weight::numeric
  FROM collmine._dashboard_maps(log_schema, maps) m CROSS JOIN LATERAL collmine.dfg_edges(m.map) e
$$;

-- Process map, activities (docs/dashboards/process-map-activities.md).
CREATE FUNCTION collmine.dashboard_process_map_activities(log_schema name, maps regclass DEFAULT NULL)
RETURNS TABLE (currency text, activity text, frequency bigint, cases bigint, starts bigint, ends bigint,
               amount numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT m.currency::text,
       a.activity::text,
       a.events::bigint,
       a.cases::bigint,
       a.starts::bigint,
       a.ends::bigint,
       a.weight::numeric
  FROM collmine._dashboard_maps(log_schema, maps) m CROSS JOIN LATERAL collmine.dfg_activities(m.map) a
$$;

-- Process variants (docs/dashboards/variants.md).
CREATE FUNCTION collmine.dashboard_variants(log_schema name)
RETURNS TABLE (rank bigint, variant_id bigint, variant text, cases bigint, share numeric,
               cumulative_share numeric, median_throughput_days numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT v.rank::bigint,
       v.variant_id::bigint,
       v.variant::text,
       v.cases::bigint,
       v.share::numeric,
       v.cumulative_share::numeric,
       (extract(epoch FROM v.median_throughput)::numeric / 86400)::numeric
  FROM collmine.variants(log_schema) v
$$;

-- Policy adherence per segment and rule of the default dunning policy (docs/dashboards/policy-adherence.md).
CREATE FUNCTION collmine.dashboard_policy_adherence(log_schema name)
RETURNS TABLE (segment text, rule_name text, template text, severity text, cases bigint,
               activated_cases bigint, satisfied_cases bigint, violations bigint, adherence numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT coalesce(p.group_value, '(none)')::text,
       p.rule_name::text,
       p.template::text,
       p.severity::text,
       p.cases::bigint,
       p.activated_cases::bigint,
       p.satisfied_cases::bigint,
       p.violations::bigint,
       p.adherence::numeric
  FROM collmine.policy_adherence(log_schema, ARRAY(SELECT collmine.default_dunning_policy()), 'segment') p
$$;

COMMENT ON FUNCTION collmine.dashboard_collection_strategy_by_segment(name, regclass) IS
    'the collection_strategy_by_segment dashboard over the log in log_schema: dunning, call and payment outcomes per segment and currency; facts: a relation holding collmine.invoice_facts(log_schema) to read them from instead of computing them (the dashboard schema''s invoice_facts_mv)';
COMMENT ON FUNCTION collmine.dashboard_overdue_invoices_aging(name, regclass) IS
    'the overdue_invoices_aging dashboard over the log in log_schema: every invoice with an open amount, its age and collection status; facts: a relation holding collmine.invoice_facts(log_schema) to read them from instead of computing them (the dashboard schema''s invoice_facts_mv)';
COMMENT ON FUNCTION collmine.dashboard_dispute_resolution_time(name) IS
    'the dispute_resolution_time dashboard over the log in log_schema: every dispute, open or resolved, with its duration';
COMMENT ON FUNCTION collmine.dashboard_write_off_root_causes(name) IS
    'the write_off_root_causes dashboard over the log in log_schema: root_causes of written-off invoices';
COMMENT ON FUNCTION collmine.dashboard_manual_activity_impact(name, regclass) IS
    'the manual_activity_impact dashboard over the log in log_schema: manual share per activity and the cycle time and on-time rate of cases with and without manual work; facts: a relation holding collmine.invoice_facts(log_schema) to read them from instead of computing them (the dashboard schema''s invoice_facts_mv)';
COMMENT ON FUNCTION collmine.dashboard_payment_posting_lag(name) IS
    'the payment_posting_lag dashboard over the log in log_schema: payment-to-posting lag per month of receipt';
COMMENT ON FUNCTION collmine.dashboard_payment_terms_compliance(name, regclass) IS
    'the payment_terms_compliance dashboard over the log in log_schema: terms compliance and due-date deviations per terms; facts: a relation holding collmine.invoice_facts(log_schema) to read them from instead of computing them (the dashboard schema''s invoice_facts_mv)';
COMMENT ON FUNCTION collmine.dashboard_invoice_to_cash_overview(name, regclass) IS
    'the invoice_to_cash_overview dashboard over the log in log_schema: monthly AR, DSO, CEI, cycle time and write-offs per currency; facts: a relation holding collmine.invoice_facts(log_schema) to read them from instead of computing them (the dashboard schema''s invoice_facts_mv)';
COMMENT ON FUNCTION collmine.dashboard_process_map_edges(name, regclass) IS
    'the process_map_edges dashboard over the log in log_schema: the edges of each currency''s money-weighted process map; maps: a relation holding each currency''s map to read instead of computing them (the dashboard schema''s process_maps_mv)';
COMMENT ON FUNCTION collmine.dashboard_process_map_activities(name, regclass) IS
    'the process_map_activities dashboard over the log in log_schema: the activities of each currency''s money-weighted process map; maps: a relation holding each currency''s map to read instead of computing them (the dashboard schema''s process_maps_mv)';
COMMENT ON FUNCTION collmine.dashboard_variants(name) IS
    'the variants dashboard over the log in log_schema: the process variants by frequency';
COMMENT ON FUNCTION collmine.dashboard_policy_adherence(name) IS
    'the policy_adherence dashboard over the log in log_schema: adherence to each rule of the default dunning policy per segment';
