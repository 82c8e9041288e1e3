-- 50_kpi_docs: the examples of docs/kpis.md, docs/root-cause.md and docs/dashboards/*.md, run
-- as written (the docs show these results), on the hand-made log loaded as schema demo.
-- Generated from the docs' ```sql blocks; regenerate it when they change.
\set log demo
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off

-- ==== docs/kpis.md ====
CREATE TABLE demo_fx (currency text PRIMARY KEY, rate numeric);   -- to EUR
INSERT INTO demo_fx VALUES ('EUR', 1), ('USD', 0.9);
CREATE SCHEMA demo_eur;
CREATE VIEW demo_eur.invoices AS
  SELECT i.case_id, i.customer_id, i.customer_name, i.segment, i.business_unit, i.collector,
         i.country, i.terms, i.terms_days, 'EUR'::text AS currency, i.status, i.dispute_reason,
         i.source_system, i.invoice_date, i.due_date, i.amount * fx.rate AS amount
    FROM demo.invoices i JOIN demo_fx fx USING (currency);
CREATE VIEW demo_eur.events AS
  SELECT e.case_id, e.activity, e.ts, e.ord, e.user_id, e.is_automated,
         e.amount * fx.rate AS amount, 'EUR'::text AS currency, e.source_system, e.source_ref
    FROM demo.events e JOIN demo.invoices i USING (case_id) JOIN demo_fx fx ON fx.currency = i.currency;
SELECT currency, ending_ar, credit_sales, round(dso, 2) AS dso
  FROM collmine.receivables_kpis('demo_eur', '2024-01-01', '2024-01-31');
--  currency | ending_ar | credit_sales |  dso
--  EUR      |    3300.0 |      3220.0  | 31.77
SELECT case_id, currency, status, paid_amount, open_amount, days_past_due, aging_bucket
  FROM collmine.invoice_snapshot('demo', '2024-01-31') ORDER BY case_id;
--  A1 | EUR | open        | 600 |  400 | 31 | 31-60     (partial payment)
--  A2 | EUR | settled     | 500 |    0 |    |
--  A3 | EUR | open        |   0 | 2000 |  6 | 1-30
--  A4 | EUR | written_off |   0 |    0 |    |
--  U5 | USD | settled     | 800 |    0 |    |
--  U6 | USD | open        |   0 | 1000 | 47 | 31-60     (1200 less a 200 credit memo)
SELECT case_id, status, paid_at, paid_on_time, days_overdue, days_late, cycle_time, posting_lag
  FROM collmine.invoice_facts('demo') ORDER BY case_id;
--  A1 | settled     | 2024-02-05 09:00:00+00 | f |  36 | 36 | 66 days 06:00:00 | 15:00:00   (lags 1 day and 6 h)
--  A2 | settled     | 2024-01-20 10:00:00+00 | t | -15 |  0 | 17 days 01:00:00 | 2 days
--  A3 | settled     | 2024-02-20 09:00:00+00 | f |  26 | 26 | 37 days          | 1 day
--  A4 | written_off |                        | f |  81 |    |                  |            (to the write-off, 01-20)
--  U5 | settled     | 2024-01-30 10:00:00+00 | f |  10 | 10 | 21 days 01:00:00 | 1 day
--  U6 | open        |                        |   |  68 |    |                  |            (to as_of, 2024-02-21)
SELECT * FROM collmine.aging('demo', '2023-12-31', 'segment');
--  ENT | EUR | 1 |  300 |    0 |    0 | 0 | 300 | 0 | 2023-12-31   (A4: 61 days past due)
--  ENT | USD | 1 | 1200 |    0 | 1200 | 0 |   0 | 0 | 2023-12-31   (U6: 16 days)
--  SMB | EUR | 1 | 1000 | 1000 |    0 | 0 |   0 | 0 | 2023-12-31   (A1: due that very day)
SELECT currency, beginning_ar, ending_ar, credit_sales, round(dso, 2) AS dso,
       round(dso_countback, 2) AS dso_cb, round(best_possible_dso, 2) AS bpdso,
       round(average_days_delinquent, 2) AS add, round(cei, 2) AS cei
  FROM collmine.receivables_kpis('demo', '2024-01-01', '2024-01-31');
--  EUR | 1300 | 2400 | 2500 | 29.76 | 29.76 | 0.00 | 29.76 | 36.84
--  USD | 1200 | 1000 |  800 | 38.75 | 67.00 | 0.00 | 38.75 | 50.00
SELECT currency, settled_invoices, avg_days_to_pay, avg_days_late, avg_days_late_weighted
  FROM collmine.payment_behaviour('demo', '2024-02-01', '2024-02-29');
--  EUR | 2 | 51.0 | 31.0 | 29.33
SELECT group_value, settled_invoices, paid_within_terms, avg_days_beyond_terms,
       invoices_generated, due_date_deviations, avg_due_date_deviation_days
  FROM collmine.terms_compliance('demo', '2024-01-01', '2024-01-31');
--  NET10 | 1 | 0 | 11 | 1 | 0 |
--  NET30 | 1 | 1 |    | 2 | 1 | -20     (A3: NET30, but due 10 days after invoicing)
SELECT completed, round(avg_days, 4) AS avg, round(median_days, 4) AS median,
       round(p90_days, 4) AS p90, open_at_end
  FROM collmine.posting_lag('demo', '2024-01-01', '2024-01-31');
--  3 | 1.3333 | 1.0000 | 1.8000 | 0        (lags of 1, 2 and 1 days)
SELECT dunning_due, dunned_in_time, round(adherence_rate, 4), dunned_late, not_dunned
  FROM collmine.dunning_adherence('demo', '2023-12-01', '2024-01-31');
--  3 | 2 | 0.6667 | 1 | 0      (U6 was dunned 11 days after its deadline)
SELECT triggers, paid_within, settled_within
  FROM collmine.collection_success_after_dunning('demo', '2024-01-01', '2024-01-31');
--  2 | 2 | 1     (A1 paid 600 five days after its reminder, settled only after 31 days)
SELECT events, manual_events, unknown_events, round(manual_share, 4)
  FROM collmine.manual_activity_share('demo', '2024-01-01', '2024-01-31') WHERE activity IS NULL;
--  24 | 9 | 1 | 0.3913      (9 ÷ 23)
SELECT currency, closed_invoices, written_off_invoices, write_off_rate_by_count,
       write_off_rate_by_value, bad_debt_ratio
  FROM collmine.write_off_rate('demo', '2024-01-01', '2024-01-31');
--  EUR | 2 | 1 | 0.5 | 0.375 | 0.12     (A4 300 of A2 500 + A4 300 closed; 300 ÷ 2500 sales)
--  USD | 1 | 0 | 0   | 0     | 0
-- every payment with its posting (k-th receipt with k-th posting of the same invoice)
SELECT case_id, pair_no, round(duration_days, 4) AS days
  FROM collmine.activity_pairs('demo', 'Payment Received', 'Payment Posted') ORDER BY case_id, pair_no;
--  A1 | 1 | 1.0000
--  A1 | 2 | 0.2500
--  A2 | 1 | 2.0000
--  A3 | 1 | 1.0000
--  U5 | 1 | 1.0000

-- any pair of activities: from a collection call to settlement, completed in Jan-Feb 2024
-- (A1 28.0417 days, U5 4.0000; A4's call of 2023-12-20 never led to a settlement)
SELECT completed, round(avg_days, 4) AS avg, open_at_end
  FROM collmine.duration_stats('demo', 'Collection Call Made', 'Invoice Settled', '2024-01-01', '2024-02-29');
--  2 | 16.0208 | 1

SELECT completed, round(avg_days, 4) AS avg, round(median_days, 4) AS median, open_at_end
  FROM collmine.cycle_time('demo', '2024-01-01', '2024-01-31');
--  2 | 19.0417 | 19.0417 | 4      (A2 17.04 and U5 21.04 days; A1, A3, A4, U6 not settled)

SELECT group_value, completed, round(avg_days, 2) AS avg
  FROM collmine.dispute_resolution_time('demo', '2024-02-01', '2024-02-29', 'dispute_reason');
--  pricing | 1 | 13.00

SELECT completed, round(avg_days, 2) AS avg
  FROM collmine.credit_approval_time('demo', '2024-01-01', '2024-01-31');
--  1 | 2.50

SELECT group_value, triggers, paid_within, settled_within
  FROM collmine.contact_success('demo', '2024-01-01', '2024-01-31', 14, 'collector');
--  ann | 2 | 2 | 1

-- each invoice's first reminder and what followed within 30 days
SELECT case_id, triggered_at, paid_within, settled_within, window_open
  FROM collmine.followup_events('demo', 'Overdue Reminder Sent', 30, first_only => true) ORDER BY case_id;
--  A1 | 2024-01-05 08:00:00+00 | t | f | f
--  A4 | 2023-11-10 08:00:00+00 | f | f | f
--  U5 | 2024-01-25 08:00:00+00 | t | t | f

-- any trigger: were disputed invoices paid within 30 days of the dispute?
SELECT triggers, paid_within, settled_within
  FROM collmine.followup_success('demo', 'Dispute Registered', 30, '2024-01-01', '2024-01-31');
--  1 | 1 | 1      (A3: disputed 01-28, paid 02-20, settled 02-21)

SELECT round(collmine.normal_cdf(1.96)::numeric, 6) AS phi;   -- the root-cause p-values use it
--  0.975002

SELECT collmine.dashboard_names();

-- ==== docs/root-cause.md ====
SELECT attribute, value, cases, outcome_cases, round(outcome_rate, 4) AS rate,
       round(lift, 4) AS lift, round(excess_outcomes, 4) AS excess,
       round(z_score::numeric, 4) AS z, round(p_value::numeric, 4) AS p
  FROM collmine.root_causes('demo', 'written_off', ARRAY['segment', 'terms']);
-- who pays late?
SELECT attribute, value, cases, outcome_cases, round(lift, 2) AS lift
  FROM collmine.root_causes('demo', 'paid_late', ARRAY['segment', 'collector']);
-- large invoices: any boolean expression over invoices columns
SELECT attribute, value, cases, outcome_cases
  FROM collmine.root_causes('demo', 'i.amount >= 1000', ARRAY['currency', 'collector']);
-- the top drivers of write-offs across all standard attributes, groups of 20 or more
SELECT attribute, value, cases, outcome_cases, round(lift, 2) AS lift, p_value
  FROM collmine.root_causes('demo', 'written_off', min_cases => 20)
 ORDER BY excess_outcomes DESC LIMIT 10;

SELECT count(*) FROM collmine.create_dashboards('demo', 'dash');
-- ==== docs/dashboards/collection-strategy-by-segment.md ====
SELECT segment, currency, invoices, open_amount, dunned_invoices, dunning_success_rate,
       calls, contact_success_rate, avg_days_late, write_off_rate_by_value
  FROM dash.collection_strategy_by_segment ORDER BY segment, currency;

-- ==== docs/dashboards/overdue-invoices-aging.md ====
SELECT case_id, customer_name, currency, open_amount, due_date, days_past_due, aging_bucket,
       collection_status, last_activity
  FROM dash.overdue_invoices_aging ORDER BY days_past_due DESC;

-- ==== docs/dashboards/dispute-resolution-time.md ====
SELECT dispute_reason, count(*) AS disputes, avg(resolution_days) AS avg_days,
       count(*) FILTER (WHERE status = 'open') AS still_open
  FROM dash.dispute_resolution_time GROUP BY dispute_reason;

-- ==== docs/dashboards/write-off-root-causes.md ====
SELECT attribute, value, cases, written_off_cases, round(lift, 2) AS lift,
       round(excess_write_offs, 2) AS excess, round(p_value::numeric, 4) AS p
  FROM dash.write_off_root_causes
 WHERE rank_in_attribute = 1 ORDER BY excess_write_offs DESC, p_value;

-- ==== docs/dashboards/manual-activity-impact.md ====
SELECT activity, events, manual_events, round(manual_share, 2) AS share,
       round(avg_cycle_days_with_manual, 1) AS cycle_manual,
       round(avg_cycle_days_without_manual, 1) AS cycle_other
  FROM dash.manual_activity_impact WHERE manual_events > 0 ORDER BY events DESC, activity;

-- ==== docs/dashboards/payment-posting-lag.md ====
SELECT month, payments, posted, round(avg_lag_days, 3) AS avg_days,
       round(median_lag_days, 3) AS median_days, round(posted_same_day_rate, 2) AS same_day
  FROM dash.payment_posting_lag ORDER BY month;

-- ==== docs/dashboards/payment-terms-compliance.md ====
SELECT terms, invoices, settled_invoices, paid_within_terms, round(compliance_rate, 2) AS rate,
       avg_days_beyond_terms, due_date_deviations, avg_due_date_deviation_days, open_beyond_terms
  FROM dash.payment_terms_compliance ORDER BY terms;

-- ==== docs/dashboards/invoice-to-cash-overview.md ====
SELECT month, currency, credit_sales, ending_ar, round(dso, 2) AS dso,
       round(dso_countback, 2) AS dso_cb, round(cei, 2) AS cei, round(avg_cycle_days, 2) AS cycle
  FROM dash.invoice_to_cash_overview ORDER BY month, currency;

-- ==== docs/dashboards/process-map-edges.md ====
SELECT source, target, frequency, cases, round(median_duration_days, 2) AS median_days, amount
  FROM dash.process_map_edges
 WHERE currency = 'EUR' AND frequency > 1
 ORDER BY frequency DESC, source, target;

-- ==== docs/dashboards/process-map-activities.md ====
SELECT activity, frequency, cases, starts, ends, amount
  FROM dash.process_map_activities
 WHERE currency = 'USD'
 ORDER BY frequency DESC, activity;

-- ==== docs/dashboards/variants.md ====
SELECT rank, cases, round(share, 3) AS share, round(median_throughput_days, 1) AS median_days, variant
  FROM dash.variants WHERE rank <= 2 ORDER BY rank;

-- ==== docs/dashboards/policy-adherence.md ====
SELECT segment, rule_name, cases, activated_cases, satisfied_cases, violations, round(adherence, 3) AS adherence
  FROM dash.policy_adherence
 WHERE rule_name IN ('reminder_in_7_days', 'invoice_sent_in_2_days')
 ORDER BY segment, rule_name;

SET client_min_messages = warning;
DROP SCHEMA dash, demo, demo_eur CASCADE;
DROP TABLE demo_fx;
RESET client_min_messages;
