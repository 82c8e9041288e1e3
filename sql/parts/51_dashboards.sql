-- collmine install script, layer 5b: the credit & collections dashboards as views.
--
-- collmine.create_dashboards(log_schema, target_schema) creates, in a schema the user names and
-- owns, one view per dashboard over the canonical log in log_schema, and a materialized variant
-- <name>_mv of each with a unique index, so that collmine.refresh_dashboards() can refresh them
-- concurrently (from pg_cron, for example). Column names and types are stable and documented in
-- docs/dashboards/*.md; every output column carries an explicit cast.
--
-- The views call collmine functions, so they depend on the extension: DROP EXTENSION collmine
-- refuses while dashboards exist, and DROP EXTENSION collmine CASCADE drops the dashboard views
-- and materialized views (derived data only). The log tables never depend on collmine and are
-- never dropped. collmine.drop_dashboards() removes the dashboards on their own.

-- The dashboard names, in documentation order; the materialized variant of each is <name>_mv.
CREATE FUNCTION collmine.dashboard_names()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['collection_strategy_by_segment', 'overdue_invoices_aging',
                   'dispute_resolution_time', 'write_off_root_causes', 'manual_activity_impact',
                   'payment_posting_lag', 'payment_terms_compliance', 'invoice_to_cash_overview',
                   'process_map_edges', 'process_map_activities', 'variants', 'policy_adherence']::text[] $$;

-- The process map of each currency's invoices, weighted by the invoice amount: the one source of
-- the process_map_edges and process_map_activities dashboards (money is never summed across
-- currencies; a case without an invoices row or currency is in '(none)').
CREATE FUNCTION collmine._process_maps_by_currency(log_schema name)
RETURNS TABLE (currency text, map collmine.dfg)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT coalesce(i.currency::text, ''(none)''), collmine.dfg_agg(t.trace, i.amount::numeric) '
        '  FROM collmine.traces($1) t LEFT JOIN %I.invoices i ON i.case_id::text = t.case_id '
        ' GROUP BY 1', log_schema) USING log_schema;
END
$$;

-- The SELECT of one dashboard view over the log in log_schema (%1$I = schema, %2$L = its name
-- as a literal for collmine function calls).
CREATE FUNCTION collmine._dashboard_sql(dashboard text, log_schema name)
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
       ((count(*) FILTER (WHERE s.status = 'settled' AND collmine._paid_on_time(s.status, s.settled_at, s.due_date, current_setting('TimeZone'))))::numeric
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
                   CASE WHEN s.status = 'settled'
                        THEN collmine._paid_on_time(s.status, s.settled_at, s.due_date, current_setting('TimeZone'))::integer END AS on_time
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
    WHEN 'process_map_edges' THEN q := $v$
SELECT m.currency::text AS currency,
       e.source::text AS source,
       e.target::text AS target,
       e.frequency::bigint AS frequency,
       e.cases::bigint AS cases,
       (extract(epoch FROM e.median_duration)::numeric / 86400)::numeric AS median_duration_days,
       (extract(epoch FROM e.p90_duration)::numeric / 86400)::numeric AS p90_duration_days,
       e.weight::numeric AS amount
  FROM collmine._process_maps_by_currency(%2$L) m CROSS JOIN LATERAL collmine.dfg_edges(m.map) e
$v$;
    WHEN 'process_map_activities' THEN q := $v$
SELECT m.currency::text AS currency,
       a.activity::text AS activity,
       a.events::bigint AS frequency,
       a.cases::bigint AS cases,
       a.starts::bigint AS starts,
       a.ends::bigint AS ends,
       a.weight::numeric AS amount
  FROM collmine._process_maps_by_currency(%2$L) m CROSS JOIN LATERAL collmine.dfg_activities(m.map) a
$v$;
    WHEN 'variants' THEN q := $v$
SELECT v.rank::bigint AS rank,
       v.variant_id::bigint AS variant_id,
       v.variant::text AS variant,
       v.cases::bigint AS cases,
       v.share::numeric AS share,
       v.cumulative_share::numeric AS cumulative_share,
       (extract(epoch FROM v.median_throughput)::numeric / 86400)::numeric AS median_throughput_days
  FROM collmine.variants(%2$L) v
$v$;
    WHEN 'policy_adherence' THEN q := $v$
SELECT coalesce(p.group_value, '(none)')::text AS segment,
       p.rule_name::text AS rule_name,
       p.template::text AS template,
       p.severity::text AS severity,
       p.cases::bigint AS cases,
       p.activated_cases::bigint AS activated_cases,
       p.satisfied_cases::bigint AS satisfied_cases,
       p.violations::bigint AS violations,
       p.adherence::numeric AS adherence
  FROM collmine.policy_adherence(%2$L, ARRAY(SELECT collmine.default_dunning_policy()), 'segment') p
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

-- The unique key columns of each dashboard's materialized variant.
CREATE FUNCTION collmine._dashboard_key(dashboard text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE dashboard
        WHEN 'collection_strategy_by_segment' THEN 'segment, currency'
        WHEN 'overdue_invoices_aging' THEN 'case_id'
        WHEN 'dispute_resolution_time' THEN 'case_id, dispute_no'
        WHEN 'write_off_root_causes' THEN 'attribute, rank_in_attribute'
        WHEN 'manual_activity_impact' THEN 'activity'
        WHEN 'payment_posting_lag' THEN 'month'
        WHEN 'payment_terms_compliance' THEN 'terms'
        WHEN 'invoice_to_cash_overview' THEN 'month, currency'
        WHEN 'process_map_edges' THEN 'currency, source, target'
        WHEN 'process_map_activities' THEN 'currency, activity'
        WHEN 'variants' THEN 'variant_id'
        WHEN 'policy_adherence' THEN 'segment, rule_name'
    END
$$;

-- The question each dashboard answers (also its COMMENT).
CREATE FUNCTION collmine._dashboard_question(dashboard text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE dashboard
        WHEN 'collection_strategy_by_segment' THEN 'Collection Strategy Performance by Segment: how well do dunning and calls collect, per segment and currency?'
        WHEN 'overdue_invoices_aging' THEN 'Overdue Invoices Aging and Status: which invoices are open, how old, and where are they in collections?'
        WHEN 'dispute_resolution_time' THEN 'Invoice Dispute Resolution Time: how long do disputes take, by reason, and which are still open?'
        WHEN 'write_off_root_causes' THEN 'Invoice Write-Off Root Cause Analysis: which attribute values drive write-offs?'
        WHEN 'manual_activity_impact' THEN 'Manual Activity Frequency and Impact: which activities are done by hand, and do those cases take longer?'
        WHEN 'payment_posting_lag' THEN 'Payment Posting Lag Analysis: how long from cash received to payment posted, per month?'
        WHEN 'payment_terms_compliance' THEN 'Payment Terms Compliance and Deviations: do customers pay within terms, and do due dates match terms?'
        WHEN 'invoice_to_cash_overview' THEN 'Invoice-to-cash overview: monthly trend of DSO, CEI, AR and cycle time per currency'
        WHEN 'process_map_edges' THEN 'Process map, edges: which step follows which, how often, how long between them, and how much money passes, per currency?'
        WHEN 'process_map_activities' THEN 'Process map, activities: how often does each step happen, in how many invoices, and for how much money, per currency?'
        WHEN 'variants' THEN 'Process variants: which paths do invoices take, how common is each, and how long does it take?'
        WHEN 'policy_adherence' THEN 'Policy adherence: how well does each segment follow each rule of the default dunning policy?'
    END
$$;

-- Create the dashboard views (and their materialized variants) for the log in log_schema,
-- in target_schema (created if missing). Returns the names of the relations created.
CREATE FUNCTION collmine.create_dashboards(log_schema name, target_schema name,
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

-- Drop the dashboard views and materialized views of target_schema (nothing else).
CREATE FUNCTION collmine.drop_dashboards(target_schema name)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    n integer := 0;
BEGIN
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        IF to_regclass(format('%I.%I', target_schema, d || '_mv')) IS NOT NULL THEN
            EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, d || '_mv');
            n := n + 1;
        END IF;
        IF to_regclass(format('%I.%I', target_schema, d)) IS NOT NULL THEN
            EXECUTE format('DROP VIEW %I.%I', target_schema, d);
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

-- Refresh every dashboard materialized view in target_schema, concurrently by default (readers
-- are not blocked; an unpopulated view is refreshed plainly). Returns how many were refreshed.
CREATE FUNCTION collmine.refresh_dashboards(target_schema name, concurrently boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d text;
    rel regclass;
    n integer := 0;
    conc boolean := $2;   -- "concurrently" is a keyword inside plpgsql expressions
BEGIN
    IF target_schema IS NULL OR to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', target_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Create the dashboards first: SELECT collmine.create_dashboards(''erp_log'', ''dash'');';
    END IF;
    FOREACH d IN ARRAY collmine.dashboard_names() LOOP
        rel := to_regclass(format('%I.%I', target_schema, d || '_mv'));
        CONTINUE WHEN rel IS NULL;
        IF conc AND (SELECT m.ispopulated FROM pg_matviews m
                              WHERE m.schemaname OPERATOR(pg_catalog.=) target_schema
                                AND m.matviewname OPERATOR(pg_catalog.=) (d || '_mv')::name) THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', rel);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %s', rel);
        END IF;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
