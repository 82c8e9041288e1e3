-- 57_dashboard_equality: every KPI that a dashboard shows, computed three ways on one log, must
-- agree: (1) through the dashboard view, (2) through the KPI function that defines it
-- (docs/kpis.md), and (3) through a plain-SQL statement written here from the formula in
-- docs/kpis.md, reading only the log's events and invoices (no collmine function).
--
-- The log is the bundled NetSuite sample (test/data/erp/sample, 1500 invoices in three
-- currencies, made by test/gen/erpgen.pl) built by collmine.netsuite_build. Each check prints one
-- row: the KPI, how many rows (month x currency, segment x currency, ...) were compared, and how
-- many of them differ between view and function and between view and plain SQL; values are
-- compared rounded to 6 decimals. Expected: rows > 0 and both differ counts 0 everywhere.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) > 0 AS staged FROM collmine.create_staging('netsuite', 'eq_log');
\copy eq_log.customer (id, entityid, companyname, category, creditlimit, terms, subsidiary, salesrep) FROM 'test/data/erp/sample/netsuite.customer.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.customrecord_3805_dunning_eval_result FROM 'test/data/erp/sample/netsuite.customrecord_3805_dunning_eval_result.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.message FROM 'test/data/erp/sample/netsuite.message.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.nexttransactionlinelink FROM 'test/data/erp/sample/netsuite.nexttransactionlinelink.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.phonecall (id, title, startdate, completeddate, createddate, status, assigned, owner, company, transaction) FROM 'test/data/erp/sample/netsuite.phonecall.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.subsidiary FROM 'test/data/erp/sample/netsuite.subsidiary.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.systemnote FROM 'test/data/erp/sample/netsuite.systemnote.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.term FROM 'test/data/erp/sample/netsuite.term.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.transaction FROM 'test/data/erp/sample/netsuite.transaction.csv' WITH (FORMAT csv, HEADER true)
\copy eq_log.transactionline FROM 'test/data/erp/sample/netsuite.transactionline.csv' WITH (FORMAT csv, HEADER true)
SELECT count(*) > 0 AS built FROM collmine.netsuite_build('eq_log', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2025-06-30T23:59:00Z"}');
SELECT count(*) > 0 AS created FROM collmine.create_dashboards('eq_log', 'eq_dash', materialized => false);
CREATE INDEX ON eq_log.events (case_id, ts);

-- the log's as-of date: the date of its last event (docs/dashboards/README.md, "Time and as-of")
CREATE TEMP TABLE asof AS SELECT max(ts)::date AS d FROM eq_log.events;
SELECT (SELECT d FROM asof) AS as_of, (SELECT count(*) FROM eq_log.invoices) AS invoices, (SELECT count(*) FROM eq_log.events) AS events;

-- Plain SQL, from docs/kpis.md "Conventions": each invoice as it stood at the end of day d.
-- It exists when its invoice_date (else its first Invoice Generated date) is <= d; its open
-- amount is 0 once settled or written off by d, else amount - max(received, posted) - credited
-- (absolute event amounts, never below 0); status written_off / settled / open.
CREATE FUNCTION pg_temp.state_at(d date)
RETURNS TABLE (case_id text, segment text, terms text, currency text, amount numeric, invoice_date date,
               due_date date, terms_days integer, generated_at timestamptz, settled_at timestamptz,
               written_off_at timestamptz, written_off_amount numeric, open_amt numeric, status text)
LANGUAGE sql STABLE AS $$
  SELECT i.case_id::text, i.segment::text, i.terms::text, i.currency::text, i.amount,
         coalesce(i.invoice_date, g.gen::date), i.due_date, i.terms_days, coalesce(g.gen, i.invoice_date::timestamptz),
         x.settled, x.woff,
         CASE WHEN x.woff IS NOT NULL THEN coalesce(x.woff_amt, greatest(coalesce(i.amount, 0) - greatest(x.recv, x.posted) - x.cred, 0)) ELSE 0 END,
         CASE WHEN x.settled IS NOT NULL OR x.woff IS NOT NULL THEN 0
              ELSE greatest(coalesce(i.amount, 0) - greatest(x.recv, x.posted) - x.cred, 0) END,
         CASE WHEN x.woff IS NOT NULL THEN 'written_off' WHEN x.settled IS NOT NULL THEN 'settled' ELSE 'open' END
    FROM eq_log.invoices i
    CROSS JOIN LATERAL (SELECT min(e.ts) AS gen FROM eq_log.events e
                         WHERE e.case_id = i.case_id AND e.activity = 'Invoice Generated') g
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Received'), 0) AS recv,
               coalesce(sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Posted'), 0) AS posted,
               coalesce(sum(abs(e.amount)) FILTER (WHERE e.activity = 'Credit Memo Issued'), 0) AS cred,
               sum(abs(e.amount)) FILTER (WHERE e.activity = 'Invoice Written Off') AS woff_amt,
               min(e.ts) FILTER (WHERE e.activity = 'Invoice Settled') AS settled,
               min(e.ts) FILTER (WHERE e.activity = 'Invoice Written Off') AS woff
          FROM eq_log.events e WHERE e.case_id = i.case_id AND e.ts < (d + 1)::timestamptz) x
   WHERE coalesce(i.invoice_date, g.gen::date) <= d
$$;
CREATE TEMP TABLE now_state AS SELECT * FROM pg_temp.state_at((SELECT d FROM asof));

-- Compare three queries with the same columns (keys first); numeric columns are rounded to 6
-- decimals by the queries themselves, so that their rows print alike when equal. Returns one
-- row for the report.
CREATE FUNCTION pg_temp.agree(check_name text, dash text, fn text, plain text)
RETURNS TABLE (kpi text, compared bigint, function_differs bigint, plain_differs bigint)
LANGUAGE plpgsql AS $$
DECLARE n bigint; f bigint; p bigint;
BEGIN
    -- each query once, its rows as text (the values are rounded, so equal numbers print alike)
    EXECUTE format('CREATE TEMP TABLE cmp_d AS SELECT x::text AS r FROM (%s) x', dash);
    EXECUTE format('CREATE TEMP TABLE cmp_f AS SELECT x::text AS r FROM (%s) x', fn);
    EXECUTE format('CREATE TEMP TABLE cmp_p AS SELECT x::text AS r FROM (%s) x', plain);
    SELECT count(*) INTO n FROM cmp_d;
    SELECT count(*) INTO f FROM ((TABLE cmp_d EXCEPT ALL TABLE cmp_f) UNION ALL (TABLE cmp_f EXCEPT ALL TABLE cmp_d)) x;
    SELECT count(*) INTO p FROM ((TABLE cmp_d EXCEPT ALL TABLE cmp_p) UNION ALL (TABLE cmp_p EXCEPT ALL TABLE cmp_d)) x;
    DROP TABLE cmp_d, cmp_f, cmp_p;
    RETURN QUERY SELECT check_name, n, f, p;
END $$;
CREATE TEMP TABLE report (kpi text, compared bigint, function_differs bigint, plain_differs bigint);

-- ==== invoice_to_cash_overview: receivables_kpis of each month (docs/kpis.md, DSO ... CEI) ====
-- Each row is the month from its first day to its last (or to the as-of date).
CREATE TEMP TABLE ov_months AS
  SELECT DISTINCT month AS ms, least((month + interval '1 month')::date - 1, (SELECT d FROM asof)) AS me FROM eq_dash.invoice_to_cash_overview;
-- plain: beginning AR (end of the day before), ending AR and its current part, sales of the month
CREATE TEMP TABLE pl_month AS
  WITH e AS (SELECT m.ms, m.me, s.* FROM ov_months m CROSS JOIN LATERAL pg_temp.state_at(m.me) s),
       b AS (SELECT m.ms, s.currency, sum(s.open_amt) AS beg_ar
               FROM ov_months m CROSS JOIN LATERAL pg_temp.state_at(m.ms - 1) s GROUP BY 1, 2),
       g AS (SELECT e.ms, e.me, e.currency, sum(e.open_amt) AS end_ar,
                    coalesce(sum(e.open_amt) FILTER (WHERE e.due_date IS NULL OR e.me - e.due_date <= 0), 0) AS cur_ar,
                    count(*) FILTER (WHERE e.invoice_date >= e.ms) AS n_inv,
                    coalesce(sum(e.amount) FILTER (WHERE e.invoice_date >= e.ms), 0) AS sales
               FROM e GROUP BY 1, 2, 3)
  SELECT g.ms, g.me, g.currency, g.me - g.ms + 1 AS days, greatest(1, round((g.me - g.ms + 1) / 30.4375)) AS n,
         coalesce(b.beg_ar, 0) AS beg_ar, g.end_ar, g.cur_ar, g.n_inv, g.sales
    FROM g LEFT JOIN b ON b.ms = g.ms AND b.currency = g.currency;
-- plain count-back DSO: walk back over calendar months from the period end (the first month
-- counted from its 1st day to the period end), subtracting each month's sales from the AR and
-- adding its days, until a month's sales exhaust the rest: that month adds rest / sales x days
CREATE TEMP TABLE pl_cb AS
  WITH RECURSIVE w(ms, currency, k, m_start, m_end, rest, days_so_far, dso) AS (
       SELECT p.ms, p.currency, 0, date_trunc('month', p.me::timestamp)::date, p.me, p.end_ar, 0::numeric,
              CASE WHEN p.end_ar = 0 THEN 0::numeric END
         FROM pl_month p
       UNION ALL
       SELECT w.ms, w.currency, w.k + 1, (w.m_start - interval '1 month')::date, w.m_start - 1,
              w.rest - s.sales, w.days_so_far + (w.m_end - w.m_start + 1),
              CASE WHEN s.sales > 0 AND s.sales >= w.rest
                   THEN w.days_so_far + w.rest / s.sales * (w.m_end - w.m_start + 1) END
         FROM w CROSS JOIN LATERAL (SELECT coalesce(sum(i.amount), 0) AS sales FROM now_state i
                                     WHERE i.currency = w.currency AND i.invoice_date BETWEEN w.m_start AND w.m_end) s
        WHERE w.dso IS NULL
          AND w.m_start >= (SELECT date_trunc('month', min(i.invoice_date))::date FROM now_state i WHERE i.currency = w.currency))
  SELECT w.ms, w.currency, max(w.dso) AS dso_cb FROM w GROUP BY w.ms, w.currency;
INSERT INTO report SELECT * FROM pg_temp.agree('overview: sales, AR, DSO, count-back DSO, Best Possible DSO, ADD, CEI',
  $q$ SELECT month, currency, invoices_generated, round(credit_sales, 6), round(ending_ar, 6), round(ending_past_due_ar, 6),
             round(dso, 6), round(dso_countback, 6), round(best_possible_dso, 6), round(average_days_delinquent, 6), round(cei, 6)
        FROM eq_dash.invoice_to_cash_overview $q$,
  $q$ SELECT m.ms, r.currency, r.invoices_generated, round(r.credit_sales, 6), round(r.ending_ar, 6), round(r.ending_past_due_ar, 6),
             round(r.dso, 6), round(r.dso_countback, 6), round(r.best_possible_dso, 6), round(r.average_days_delinquent, 6), round(r.cei, 6)
        FROM ov_months m CROSS JOIN LATERAL collmine.receivables_kpis('eq_log', m.ms, m.me) r $q$,
  $q$ SELECT p.ms, p.currency, p.n_inv, round(p.sales, 6), round(p.end_ar, 6), round(p.end_ar - p.cur_ar, 6),
             round(p.end_ar / nullif(p.sales, 0) * p.days, 6), round(cb.dso_cb, 6),
             round(p.cur_ar / nullif(p.sales, 0) * p.days, 6), round((p.end_ar - p.cur_ar) / nullif(p.sales, 0) * p.days, 6),
             round((p.beg_ar + p.sales / p.n - p.end_ar) / nullif(p.beg_ar + p.sales / p.n - p.cur_ar, 0) * 100, 6)
        FROM pl_month p JOIN pl_cb cb USING (ms, currency) $q$);
-- cycle time (Invoice Generated -> Invoice Settled, settled in the month) and write-offs of the month
INSERT INTO report SELECT * FROM pg_temp.agree('overview: settled invoices and their cycle time',
  $q$ SELECT month, currency, settled_invoices, round(avg_cycle_days, 6) FROM eq_dash.invoice_to_cash_overview WHERE settled_invoices > 0 $q$,
  $q$ SELECT m.ms, c.group_value, c.completed, round(c.avg_days, 6)
        FROM ov_months m CROSS JOIN LATERAL collmine.cycle_time('eq_log', m.ms, m.me, 'currency') c WHERE c.completed > 0 $q$,
  $q$ SELECT date_trunc('month', s.settled_at)::date, s.currency, count(*),
             round(avg(extract(epoch FROM s.settled_at - s.generated_at)::numeric / 86400), 6)
        FROM now_state s WHERE s.status = 'settled' GROUP BY 1, 2 $q$);
INSERT INTO report SELECT * FROM pg_temp.agree('overview: write-offs of the month',
  $q$ SELECT month, currency, written_off_invoices, round(written_off_amount, 6) FROM eq_dash.invoice_to_cash_overview WHERE written_off_invoices > 0 $q$,
  $q$ SELECT m.ms, w.currency, w.written_off_invoices, round(w.written_off_amount, 6)
        FROM ov_months m CROSS JOIN LATERAL collmine.write_off_rate('eq_log', m.ms, m.me) w WHERE w.written_off_invoices > 0 $q$,
  $q$ SELECT date_trunc('month', s.written_off_at)::date, s.currency, count(*), round(sum(s.written_off_amount), 6)
        FROM now_state s WHERE s.status = 'written_off' GROUP BY 1, 2 $q$);

-- ==== collection_strategy_by_segment, over the whole log as of its last day ====
-- open and overdue amounts (aging), days late and on-time rate (payment_behaviour: settled
-- invoices with a due date, measured at the pay date = the last Payment Received, or the
-- settlement when no payment was received; on time = paid before the end of the due date),
-- write-off rates
-- (write_off_rate: written off / closed, by count and by invoiced value)
INSERT INTO report SELECT * FROM pg_temp.agree('strategy: open and overdue amount (aging)',
  $q$ SELECT segment, currency, round(open_amount, 6), round(overdue_amount, 6) FROM eq_dash.collection_strategy_by_segment WHERE open_amount > 0 $q$,
  $q$ SELECT coalesce(group_value, '(none)'), currency, round(total_open, 6), round(total_open - current_amount, 6)
        FROM collmine.aging('eq_log', (SELECT d FROM asof), 'segment') $q$,
  $q$ SELECT coalesce(segment, '(none)'), currency, round(sum(open_amt), 6),
             round(coalesce(sum(open_amt) FILTER (WHERE (SELECT d FROM asof) - due_date > 0), 0), 6)
        FROM now_state WHERE open_amt > 0 GROUP BY 1, 2 $q$);
INSERT INTO report SELECT * FROM pg_temp.agree('strategy: average days late and on-time rate (payment_behaviour)',
  $q$ SELECT segment, currency, round(avg_days_late, 6), round(on_time_rate, 6) FROM eq_dash.collection_strategy_by_segment WHERE on_time_rate IS NOT NULL $q$,
  $q$ SELECT coalesce(group_value, '(none)'), currency, round(avg_days_late, 6), round(on_time_rate, 6)
        FROM collmine.payment_behaviour('eq_log', '-infinity', (SELECT d FROM asof), 'segment') WHERE on_time_rate IS NOT NULL $q$,
  $q$ SELECT coalesce(n.segment, '(none)'), n.currency, round(avg(greatest(p.paid::date - n.due_date, 0)), 6),
             round(avg((p.paid < (n.due_date + 1)::timestamptz)::integer), 6)
        FROM now_state n
             CROSS JOIN LATERAL (SELECT coalesce(max(e.ts), n.settled_at) AS paid FROM eq_log.events e
                                  WHERE e.case_id = n.case_id AND e.activity = 'Payment Received') p
       WHERE n.status = 'settled' AND n.due_date IS NOT NULL GROUP BY 1, 2 $q$);
INSERT INTO report SELECT * FROM pg_temp.agree('strategy: write-offs and write-off rates (write_off_rate)',
  $q$ SELECT segment, currency, written_off_invoices, round(write_off_rate_by_count, 6), round(write_off_rate_by_value, 6)
        FROM eq_dash.collection_strategy_by_segment $q$,
  $q$ SELECT coalesce(group_value, '(none)'), currency, written_off_invoices, round(write_off_rate_by_count, 6), round(write_off_rate_by_value, 6)
        FROM collmine.write_off_rate('eq_log', '-infinity', (SELECT d FROM asof), 'segment') $q$,
  $q$ SELECT coalesce(segment, '(none)'), currency, count(*) FILTER (WHERE status = 'written_off'),
             round((count(*) FILTER (WHERE status = 'written_off'))::numeric / nullif(count(*) FILTER (WHERE status <> 'open'), 0), 6),
             round(sum(written_off_amount) / nullif(sum(amount) FILTER (WHERE status <> 'open'), 0), 6)
        FROM now_state GROUP BY 1, 2 $q$);
-- dunning and contact success (collection_success_after_dunning / contact_success, per segment:
-- the dashboard splits them by currency, so its counts are summed and its rates weighted back).
-- Plain: a trigger is paid within N days when a Payment Received or Invoice Settled follows it
-- (in (ts, ord) order) at most N days later; dunning counts each invoice's first reminder only.
CREATE TEMP TABLE pl_trig AS
  SELECT t.case_id, t.activity, s.segment,
         EXISTS (SELECT 1 FROM eq_log.events p
                  WHERE p.case_id = t.case_id AND p.activity IN ('Payment Received', 'Invoice Settled')
                    AND (p.ts, p.ord) > (t.ts, t.ord)
                    AND p.ts <= t.ts + CASE t.activity WHEN 'Overdue Reminder Sent' THEN interval '30 days' ELSE interval '14 days' END) AS paid
    FROM (SELECT e.*, row_number() OVER (PARTITION BY e.case_id, e.activity ORDER BY e.ts, e.ord) AS n
            FROM eq_log.events e WHERE e.activity IN ('Overdue Reminder Sent', 'Collection Call Made')) t
    JOIN now_state s ON s.case_id = t.case_id
   WHERE t.activity = 'Collection Call Made' OR t.n = 1;
INSERT INTO report SELECT * FROM pg_temp.agree('strategy: dunning success (collection_success_after_dunning)',
  $q$ SELECT segment, sum(dunned_invoices), round(sum(dunning_success_rate * dunned_invoices), 6)
        FROM eq_dash.collection_strategy_by_segment WHERE dunned_invoices > 0 GROUP BY 1 $q$,
  $q$ SELECT coalesce(group_value, '(none)'), triggers, round(paid_within, 6)
        FROM collmine.collection_success_after_dunning('eq_log', '-infinity', (SELECT d FROM asof), 30, 'segment') $q$,
  $q$ SELECT coalesce(segment, '(none)'), count(*), round(count(*) FILTER (WHERE paid), 6)
        FROM pl_trig WHERE activity = 'Overdue Reminder Sent' GROUP BY 1 $q$);
INSERT INTO report SELECT * FROM pg_temp.agree('strategy: contact success (contact_success)',
  $q$ SELECT segment, sum(calls), round(sum(contact_success_rate * calls), 6)
        FROM eq_dash.collection_strategy_by_segment WHERE calls > 0 GROUP BY 1 $q$,
  $q$ SELECT coalesce(group_value, '(none)'), triggers, round(paid_within, 6)
        FROM collmine.contact_success('eq_log', '-infinity', (SELECT d FROM asof), 14, 'segment') $q$,
  $q$ SELECT coalesce(segment, '(none)'), count(*), round(count(*) FILTER (WHERE paid), 6)
        FROM pl_trig WHERE activity = 'Collection Call Made' GROUP BY 1 $q$);

-- ==== overdue_invoices_aging: the open balance by aging bucket (aging) ====
INSERT INTO report SELECT * FROM pg_temp.agree('aging: open amount per bucket (aging)',
  $q$ SELECT currency, count(*), round(sum(open_amount), 6),
             round(sum(open_amount) FILTER (WHERE aging_bucket = 'current'), 6),
             round(sum(open_amount) FILTER (WHERE aging_bucket = '1-30'), 6),
             round(sum(open_amount) FILTER (WHERE aging_bucket = '31-60'), 6),
             round(sum(open_amount) FILTER (WHERE aging_bucket = '61-90'), 6),
             round(sum(open_amount) FILTER (WHERE aging_bucket = 'over 90'), 6)
        FROM eq_dash.overdue_invoices_aging GROUP BY 1 $q$,
  $q$ SELECT currency, open_invoices, round(total_open, 6), round(nullif(current_amount, 0), 6), round(nullif(past_due_1_30, 0), 6),
             round(nullif(past_due_31_60, 0), 6), round(nullif(past_due_61_90, 0), 6), round(nullif(past_due_over_90, 0), 6)
        FROM collmine.aging('eq_log') $q$,
  $q$ SELECT currency, count(*), round(sum(open_amt), 6),
             round(sum(open_amt) FILTER (WHERE due_date IS NULL OR (SELECT d FROM asof) - due_date <= 0), 6),
             round(sum(open_amt) FILTER (WHERE (SELECT d FROM asof) - due_date BETWEEN 1 AND 30), 6),
             round(sum(open_amt) FILTER (WHERE (SELECT d FROM asof) - due_date BETWEEN 31 AND 60), 6),
             round(sum(open_amt) FILTER (WHERE (SELECT d FROM asof) - due_date BETWEEN 61 AND 90), 6),
             round(sum(open_amt) FILTER (WHERE (SELECT d FROM asof) - due_date > 90), 6)
        FROM now_state WHERE open_amt > 0 GROUP BY 1 $q$);

-- ==== payment_terms_compliance (terms_compliance over the whole log) ====
-- compliance: settled by invoice_date + terms_days (the due date without terms_days);
-- deviation: due_date <> invoice_date + terms_days
INSERT INTO report SELECT * FROM pg_temp.agree('terms: compliance and due-date deviations (terms_compliance)',
  $q$ SELECT terms, settled_invoices, paid_within_terms, round(compliance_rate, 6), round(avg_days_beyond_terms, 6),
             due_date_deviations, round(deviation_rate, 6), round(avg_due_date_deviation_days, 6)
        FROM eq_dash.payment_terms_compliance $q$,
  $q$ SELECT coalesce(group_value, '(none)'), settled_invoices, paid_within_terms, round(compliance_rate, 6), round(avg_days_beyond_terms, 6),
             due_date_deviations, round(deviation_rate, 6), round(avg_due_date_deviation_days, 6)
        FROM collmine.terms_compliance('eq_log', '-infinity', (SELECT d FROM asof)) $q$,
  $q$ SELECT coalesce(terms, '(none)'),
             count(*) FILTER (WHERE status = 'settled' AND td IS NOT NULL),
             count(*) FILTER (WHERE status = 'settled' AND settled_at::date <= td),
             round((count(*) FILTER (WHERE status = 'settled' AND settled_at::date <= td))::numeric
                   / nullif(count(*) FILTER (WHERE status = 'settled' AND td IS NOT NULL), 0), 6),
             round(avg(settled_at::date - td) FILTER (WHERE status = 'settled' AND settled_at::date > td), 6),
             count(*) FILTER (WHERE dev <> 0),
             round((count(*) FILTER (WHERE dev <> 0))::numeric / nullif(count(dev), 0), 6),
             round(avg(dev) FILTER (WHERE dev <> 0), 6)
        FROM (SELECT s.*, coalesce(s.invoice_date + s.terms_days, s.due_date) AS td,
                     s.due_date - (s.invoice_date + s.terms_days) AS dev FROM now_state s) x
       GROUP BY 1 $q$);

-- ==== payment_posting_lag and dispute_resolution_time: k-th start paired with k-th end ====
-- (the dashboards group by month of receipt and list disputes one by one; the KPI functions
-- summarise the pairs completed in a period: over the whole log the totals must agree)
CREATE TEMP TABLE pl_pairs AS
  WITH s AS (SELECT e.case_id, e.activity, e.ts, row_number() OVER (PARTITION BY e.case_id, e.activity ORDER BY e.ts, e.ord) AS n
               FROM eq_log.events e
              WHERE e.activity IN ('Payment Received', 'Payment Posted', 'Dispute Registered', 'Dispute Resolved'))
  SELECT a.case_id, a.activity AS start_activity, extract(epoch FROM b.ts - a.ts)::numeric / 86400 AS days
    FROM s a JOIN s b ON b.case_id = a.case_id AND b.n = a.n
                     AND (a.activity, b.activity) IN (('Payment Received', 'Payment Posted'), ('Dispute Registered', 'Dispute Resolved'));
INSERT INTO report SELECT * FROM pg_temp.agree('posting lag: payments posted, average and longest lag (posting_lag)',
  $q$ SELECT sum(posted), round(sum(avg_lag_days * posted) / sum(posted), 6), round(max(max_lag_days), 6) FROM eq_dash.payment_posting_lag $q$,
  $q$ SELECT completed, round(avg_days, 6), round(max_days, 6) FROM collmine.posting_lag('eq_log', '-infinity', 'infinity') $q$,
  $q$ SELECT count(*), round(avg(days), 6), round(max(days), 6) FROM pl_pairs WHERE start_activity = 'Payment Received' $q$);
INSERT INTO report SELECT * FROM pg_temp.agree('disputes: resolved, average and longest resolution per reason (dispute_resolution_time)',
  $q$ SELECT dispute_reason, count(*), round(avg(resolution_days), 6), round(max(resolution_days), 6)
        FROM eq_dash.dispute_resolution_time WHERE status = 'resolved' GROUP BY 1 $q$,
  $q$ SELECT group_value, completed, round(avg_days, 6), round(max_days, 6)
        FROM collmine.dispute_resolution_time('eq_log', '-infinity', 'infinity', 'dispute_reason') $q$,
  $q$ SELECT i.dispute_reason::text, count(*), round(avg(p.days), 6), round(max(p.days), 6)
        FROM pl_pairs p JOIN eq_log.invoices i ON i.case_id = p.case_id
       WHERE p.start_activity = 'Dispute Registered' GROUP BY 1 $q$);

-- ==== manual_activity_impact: manual share per activity (manual_activity_share) ====
-- manual = is_automated false; unknown = NULL, left out of the share
INSERT INTO report SELECT * FROM pg_temp.agree('manual activity share (manual_activity_share)',
  $q$ SELECT activity, events, manual_events, automated_events, unknown_events, round(manual_share, 6) FROM eq_dash.manual_activity_impact $q$,
  $q$ SELECT activity, events, manual_events, automated_events, unknown_events, round(manual_share, 6)
        FROM collmine.manual_activity_share('eq_log', '-infinity', 'infinity') WHERE activity IS NOT NULL $q$,
  $q$ SELECT activity::text, count(*), count(*) FILTER (WHERE NOT is_automated), count(*) FILTER (WHERE is_automated),
             count(*) FILTER (WHERE is_automated IS NULL),
             round((count(*) FILTER (WHERE NOT is_automated))::numeric / nullif(count(is_automated), 0), 6)
        FROM eq_log.events GROUP BY 1 $q$);

SELECT * FROM report ORDER BY kpi;
SELECT count(*) AS checks, sum(function_differs) AS function_differs, sum(plain_differs) AS plain_differs,
       bool_and(compared > 0) AS every_check_compared_rows FROM report;

SELECT collmine.drop_dashboards('eq_dash');
DROP SCHEMA eq_dash, eq_log CASCADE;
