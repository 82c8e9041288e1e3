-- 50_kpi: every collections KPI on the hand-made log of test/sql/50_kpi_log.inc, with the
-- expected value worked out beside each query. Day boundaries follow TimeZone (UTC here).
\set log kpi_hand
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off
SET timezone = 'UTC';

-- ==== invoice state as of 2024-01-31 (end of day) ====
-- A1: 1000 - 600 paid (received 01-10) = 400 open, 31 days past due (01-31 - 12-31) -> 31-60
-- A2: settled 01-22 -> 0;  A3: 2000 open, 6 days past due -> 1-30;  A4: written off 01-20 -> 0
-- U5: settled 01-31 10:00 -> 0;  U6: 1200 - 200 credit memo = 1000, 47 days past due -> 31-60
SELECT case_id, currency, status, paid_amount, credited_amount, written_off_amount, open_amount,
       days_past_due, aging_bucket
  FROM collmine.invoice_snapshot('kpi_hand', '2024-01-31') ORDER BY case_id;
-- as of 2023-12-31 only A1, A4, U6 exist (A2, A3, U5 are invoiced in January)
SELECT case_id, status, open_amount, days_past_due, aging_bucket
  FROM collmine.invoice_snapshot('kpi_hand', '2023-12-31') ORDER BY case_id;

-- ==== aging buckets ====
-- 2024-01-31: EUR open = A1 400 (31-60) + A3 2000 (1-30) = 2400; USD = U6 1000 (31-60)
SELECT * FROM collmine.aging('kpi_hand', '2024-01-31');
-- 2023-12-31 by segment: ENT/EUR A4 300, 61 days past due -> 61-90; ENT/USD U6 1200, 16 days
-- -> 1-30; SMB/EUR A1 1000 due that very day -> current
SELECT * FROM collmine.aging('kpi_hand', '2023-12-31', 'segment');
-- 2024-01-19 by collector: ann/EUR A1 400 (600 paid on 01-10) + A2 500 = 900; ann/USD U5 800;
-- bob/EUR A3 2000 + A4 300 (80 days past due, not yet written off: 61-90) = 2300;
-- bob/USD U6 1200 - 200 credit memo (01-12) = 1000, 35 days past due: 31-60
SELECT group_value, currency, open_invoices, total_open, past_due_61_90, past_due_31_60
  FROM collmine.aging('kpi_hand', '2024-01-19', 'collector');

-- ==== DSO, count-back DSO, Best Possible DSO, ADD, CEI for January 2024 ====
-- 31 days, N = round(31 / 30.4375) = 1 month.
-- EUR: beginning AR (2023-12-31) = A1 1000 + A4 300 = 1300; ending AR = 2400, of it current 0;
--      credit sales = A2 500 + A3 2000 = 2500.
--      DSO = 2400 / 2500 * 31 = 29.76; BPDSO = 0 / 2500 * 31 = 0; ADD = 29.76 - 0 = 29.76
--      count-back: January sales 2500 >= 2400, so 2400 / 2500 * 31 = 29.76
--      CEI = (1300 + 2500/1 - 2400) / (1300 + 2500/1 - 0) * 100 = 1400 / 3800 * 100 = 36.84
-- USD: beginning AR = U6 1200; ending AR = U6 1000; current 0; sales = U5 800.
--      DSO = 1000 / 800 * 31 = 38.75; BPDSO = 0; ADD = 38.75
--      count-back: Jan 800 < 1000 (31 days, 200 left), Dec no sales (31 days), Nov 1200 covers
--      the remaining 200: 31 + 31 + 200 / 1200 * 30 = 67.00
--      CEI = (1200 + 800 - 1000) / (1200 + 800 - 0) * 100 = 50.00
SELECT group_value, currency, period_days, months, beginning_ar, ending_ar, ending_current_ar,
       ending_past_due_ar, invoices_generated, credit_sales, round(dso, 2) AS dso,
       round(dso_countback, 2) AS dso_cb, round(best_possible_dso, 2) AS bpdso,
       round(average_days_delinquent, 2) AS add, round(cei, 2) AS cei
  FROM collmine.receivables_kpis('kpi_hand', '2024-01-01', '2024-01-31');
-- Edge case, no sales in the period (March 2024): every sales ratio is NULL, not an error.
-- EUR: no AR at all: CEI denominator 0 + 0 - 0 = 0 -> NULL; count-back of zero AR = 0.
-- USD: U6 1000 open all month: CEI = (1000 + 0 - 1000) / (1000 + 0 - 0) * 100 = 0;
--      count-back: Mar 31 + Feb 29 + Jan 31 (800 < 1000) + Dec 31 + 200/1200 * 30 = 127.00
SELECT group_value, currency, beginning_ar, ending_ar, credit_sales, dso, round(dso_countback, 2) AS dso_cb,
       best_possible_dso, average_days_delinquent, round(cei, 2) AS cei
  FROM collmine.receivables_kpis('kpi_hand', '2024-03-01', '2024-03-31');
-- a quarter: Q4 2023 (92 days, N = round(92 / 30.4375) = 3)
-- EUR: beginning (09-30) 0; ending (12-31) A1 1000 current + A4 300 = 1300; sales A4 300 + A1 1000
--      DSO = 1300 / 1300 * 92 = 92; BPDSO = 1000 / 1300 * 92 = 70.77; ADD = 21.23
--      CEI = (0 + 1300/3 - 1300) / (0 + 1300/3 - 1000) * 100 = -866.67 / -566.67 * 100 = 152.94
-- USD: ending U6 1200 past due; sales 1200: DSO = 92, BPDSO 0, ADD 92,
--      CEI = (0 + 400 - 1200) / (0 + 400 - 0) * 100 = -200
SELECT group_value, currency, period_days, months, ending_ar, credit_sales, round(dso, 2) AS dso,
       round(best_possible_dso, 2) AS bpdso, round(average_days_delinquent, 2) AS add, round(cei, 2) AS cei
  FROM collmine.receivables_kpis('kpi_hand', '2023-10-01', '2023-12-31');
-- grouped by segment, January:
-- ENT/EUR: beginning A4 300, ending A3 2000, sales A3 2000: DSO = 31.00,
--          CEI = (300 + 2000 - 2000) / (300 + 2000 - 0) * 100 = 13.04
-- ENT/USD: beginning 1200, ending 1000, no sales: DSO NULL, CEI = (1200 - 1000) / 1200 * 100 = 16.67
-- SMB/EUR: beginning A1 1000, ending A1 400, sales A2 500: DSO = 400 / 500 * 31 = 24.80,
--          CEI = (1000 + 500 - 400) / (1000 + 500) * 100 = 73.33
-- SMB/USD: ending 0, sales U5 800: DSO = 0, CEI = 800 / 800 * 100 = 100.00
SELECT group_value, currency, beginning_ar, ending_ar, credit_sales, round(dso, 2) AS dso, round(cei, 2) AS cei
  FROM collmine.receivables_kpis('kpi_hand', '2024-01-01', '2024-01-31', 'segment');

-- ==== payment behaviour ====
-- Measured when the invoice counts as paid: by default (the data template) its last Payment
-- Received, with on_time_basis => 'settled' its settlement.
-- January: settled A2 (EUR, invoiced 01-05, due 02-04, received 01-20, settled 01-22) and U5
-- (USD, 01-10, due 01-20, received 01-30, settled 01-31). EUR: 15 days to pay, 0 late, -15
-- from due, on time. USD: 20 days to pay, 10 days late, not on time.
SELECT group_value, currency, settled_invoices, round(avg_days_to_pay, 2) AS to_pay,
       round(avg_days_late, 2) AS late, round(avg_days_late_weighted, 2) AS late_w,
       round(avg_days_from_due, 2) AS from_due, paid_on_time, round(on_time_rate, 4) AS on_time_rate
  FROM collmine.payment_behaviour('kpi_hand', '2024-01-01', '2024-01-31');
-- by settlement: EUR 17 days to pay, 0 late, -13 from due, on time; USD 21, 11 late, 11, not
SELECT group_value, currency, settled_invoices, round(avg_days_to_pay, 2) AS to_pay,
       round(avg_days_late, 2) AS late, round(avg_days_late_weighted, 2) AS late_w,
       round(avg_days_from_due, 2) AS from_due, paid_on_time, round(on_time_rate, 4) AS on_time_rate
  FROM collmine.payment_behaviour('kpi_hand', '2024-01-01', '2024-01-31', on_time_basis => 'settled');
-- February: A1 (1000, 12-01 -> last payment 02-05: 66 days to pay, 36 late) and A3 (2000,
-- 01-15 -> received 02-20: 36 days, 26 late). avg to pay 51; avg late 31; weighted
-- (1000*36 + 2000*26) / 3000 = 29.33. (By settlement A3 is 37 and 27: 51.5, 31.5, 30.)
SELECT group_value, currency, settled_invoices, round(avg_days_to_pay, 2) AS to_pay,
       round(avg_days_late, 2) AS late, round(avg_days_late_weighted, 2) AS late_w,
       paid_on_time, round(on_time_rate, 4) AS on_time_rate
  FROM collmine.payment_behaviour('kpi_hand', '2024-02-01', '2024-02-29');
SELECT group_value, currency, settled_invoices, round(avg_days_to_pay, 2) AS to_pay,
       round(avg_days_late, 2) AS late, round(avg_days_late_weighted, 2) AS late_w,
       paid_on_time, round(on_time_rate, 4) AS on_time_rate
  FROM collmine.payment_behaviour('kpi_hand', '2024-02-01', '2024-02-29', on_time_basis => 'settled');
-- the facts behind it, per invoice (paid_at, on time, days late, cycle time, posting lag):
-- A1 paid 02-05 09:00, 36 late, cycle 66 days 6 h, lags 1 d and 6 h -> 15 h; A2 01-20, on
-- time, 0 late, cycle 17 d 1 h, lag 2 d; A3 02-20, 26 late, 37 d, lag 1 d; A4 written off: not
-- on time, no paid_at, no days late, no cycle time; U5 01-30, 10 late, 21 d 1 h, lag 1 d; U6
-- open: nothing.
SELECT case_id, status, paid_at, paid_on_time, days_late, cycle_time, posting_lag
  FROM collmine.invoice_facts('kpi_hand') ORDER BY case_id;

-- ==== payment terms compliance and deviations (grouped by terms by default) ====
-- January: NET10: U5 due by terms 01-20, settled 01-31 -> 11 days beyond, not compliant; no
-- deviation (due 01-20 = 01-10 + 10). NET30: A2 compliant (settled 01-22 <= 02-04); generated
-- A2 (no deviation) and A3 (due 01-25 vs 01-15 + 30 = 02-14: -20 days) -> 1 of 2 deviate.
SELECT group_value, settled_invoices, paid_within_terms, round(compliance_rate, 4) AS rate,
       round(avg_days_beyond_terms, 2) AS beyond, invoices_generated, due_date_deviations,
       round(deviation_rate, 4) AS dev_rate, round(avg_due_date_deviation_days, 2) AS dev_days
  FROM collmine.terms_compliance('kpi_hand', '2024-01-01', '2024-01-31');
-- February: A1 settled 02-05 vs 12-01 + 30 = 12-31 -> 36 beyond; A3 settled 02-21 vs 02-14 -> 7
-- beyond (27 days after its shortened due date, 7 days beyond its terms): avg 21.5
SELECT group_value, settled_invoices, paid_within_terms, round(avg_days_beyond_terms, 2) AS beyond,
       invoices_generated, deviation_rate
  FROM collmine.terms_compliance('kpi_hand', '2024-02-01', '2024-02-29');

-- ==== durations (days) ====
-- cycle time, settled in January: A2 01-05 09:00 -> 01-22 10:00 = 17.0417; U5 01-10 09:00 ->
-- 01-31 10:00 = 21.0417; median 19.0417; p90 17.0417 + 0.9 * 4 = 20.6417. Not settled by
-- 01-31: A1, A3, U6 and the written-off A4 -> open_at_end 4.
SELECT group_value, completed, round(avg_days, 4) AS avg, round(median_days, 4) AS median,
       round(p90_days, 4) AS p90, round(max_days, 4) AS max, open_at_end
  FROM collmine.cycle_time('kpi_hand', '2024-01-01', '2024-01-31');
-- The same as intervals (docs/conventions.md): A2 17 days 01:00, U5 21 days 01:00; avg and median
-- 19 days 01:00; p90 17 days 01:00 + 0.9 * 4 days = 20 days 15:24; max 21 days 01:00. Each
-- *_days column is its interval in days.
SELECT avg_duration, median_duration, p90_duration, max_duration,
       round(extract(epoch FROM avg_duration) / 86400, 10) = round(avg_days, 10)
         AND round(extract(epoch FROM p90_duration) / 86400, 10) = round(p90_days, 10) AS same_in_days
  FROM collmine.cycle_time('kpi_hand', '2024-01-01', '2024-01-31');
-- posting lag, posted in January: A1 1st payment 1.0, A2 2.0, U5 1.0 -> avg 1.3333, median 1,
-- p90 1 + 0.8 * (2 - 1) = 1.8. February: A1 2nd payment 09:00 -> 15:00 = 0.25, A3 1.0.
SELECT group_value, completed, round(avg_days, 4) AS avg, round(median_days, 4) AS median,
       round(p90_days, 4) AS p90, round(max_days, 4) AS max, open_at_end
  FROM collmine.posting_lag('kpi_hand', '2024-01-01', '2024-01-31');
SELECT group_value, completed, round(avg_days, 4) AS avg, round(max_days, 4) AS max
  FROM collmine.posting_lag('kpi_hand', '2024-02-01', '2024-02-29');
-- dispute resolution: A3 registered 01-28, resolved 02-10 = 13 days. In January it is still open.
SELECT group_value, completed, avg_days, open_at_end
  FROM collmine.dispute_resolution_time('kpi_hand', '2024-01-01', '2024-01-31', 'dispute_reason');
SELECT group_value, completed, round(avg_days, 2) AS avg, open_at_end
  FROM collmine.dispute_resolution_time('kpi_hand', '2024-02-01', '2024-02-29', 'dispute_reason');
-- credit approval: U6 requested 01-03 09:00, approved 01-05 21:00 = 2.5 days
SELECT group_value, completed, round(avg_days, 2) AS avg, open_at_end
  FROM collmine.credit_approval_time('kpi_hand', '2024-01-01', '2024-01-31');

-- ==== dunning adherence (grace 7 days) ====
-- December 2023: U6 due 12-15, deadline 12-22, still open, no dunning by 12-31 -> not dunned
SELECT * FROM collmine.dunning_adherence('kpi_hand', '2023-12-01', '2023-12-31');
-- December + January: A1 (deadline 01-07, dunned 01-05: in time), U5 (deadline 01-27, first
-- reminder 01-25: in time), U6 (deadline 12-22, dunned 01-02: late) -> 2 of 3 = 0.6667
SELECT group_value, dunning_due, dunned_in_time, round(adherence_rate, 4) AS rate, dunned_late, not_dunned
  FROM collmine.dunning_adherence('kpi_hand', '2023-12-01', '2024-01-31');
-- January + February: A1, U5 in time; A3 (due 01-25, deadline 02-01, open, never dunned);
-- A2 (deadline 02-11) was settled on 01-22, so it needed no dunning
SELECT group_value, dunning_due, dunned_in_time, round(adherence_rate, 4) AS rate, dunned_late, not_dunned
  FROM collmine.dunning_adherence('kpi_hand', '2024-01-01', '2024-02-29');

-- ==== collection success after dunning (30 days) and contact success (14 days) ====
-- first reminders in January: A1 01-05 (payment 01-10: paid; settled 02-05 is 31 days later:
-- not settled within 30) and U5 01-25 (paid 01-30, settled 01-31) -> 2/2 paid, 1/2 settled
SELECT group_value, triggers, paid_within, round(success_rate, 4) AS success, settled_within,
       round(settled_rate, 4) AS settled, window_open
  FROM collmine.collection_success_after_dunning('kpi_hand', '2024-01-01', '2024-01-31');
-- November 2023: A4's first reminder 11-10 -> never paid
SELECT * FROM collmine.collection_success_after_dunning('kpi_hand', '2023-11-01', '2023-11-30');
-- calls in January: A1 01-08 (paid 01-10; settled 02-05 > 01-22) and U5 01-27 (paid, settled)
SELECT group_value, triggers, paid_within, round(success_rate, 4) AS success, settled_within, window_open
  FROM collmine.contact_success('kpi_hand', '2024-01-01', '2024-01-31', 14, 'collector');
-- a 400-day window that reaches past the last event (02-21) for A4's unanswered call (12-20)
SELECT group_value, triggers, paid_within, window_open
  FROM collmine.contact_success('kpi_hand', '2023-12-01', '2023-12-31', 400);

-- ties in (ts, ord): "after the trigger" is after it in (ts, ord) order, and the window ends
-- at trigger + N days inclusive. A small log of its own (kpi_follow):
--   F1 reminder 01-01 10:00 ord 2; a payment at the same time but ord 1 (before it);
--      settled 01-31 10:00 (exactly 30 days later)      -> paid (settled counts), settled
--   F2 reminder 01-01 10:00 ord 5; a payment at the same time, ord 6 (after it);
--      settled 01-31 10:00:01 (30 days and a second)     -> paid, not settled
--   F3 reminders 01-01 10:00 ord 10 and 12, a payment between them (ord 11): the first
--      reminder is ord 10 -> paid; the one at ord 12 has nothing after it -> not paid
--   F4 reminder 06-01, the log's last event, nothing after it -> not paid, window open
CREATE SCHEMA kpi_follow;
CREATE TABLE kpi_follow.invoices (LIKE kpi_hand.invoices INCLUDING ALL);
CREATE TABLE kpi_follow.events (LIKE kpi_hand.events INCLUDING ALL);
CREATE INDEX ON kpi_follow.events (case_id, ts, ord);
INSERT INTO kpi_follow.invoices (case_id, segment, currency, invoice_date, due_date, amount)
SELECT c, 'S', 'EUR', '2023-12-01', '2023-12-31', 100 FROM unnest(ARRAY['F1','F2','F3','F4']) c;
INSERT INTO kpi_follow.events (case_id, activity, ts, ord) VALUES
 ('F1','Invoice Generated','2023-12-01 08:00',0),
 ('F1','Payment Received','2024-01-01 10:00',1), ('F1','Overdue Reminder Sent','2024-01-01 10:00',2),
 ('F1','Invoice Settled','2024-01-31 10:00',3),
 ('F2','Overdue Reminder Sent','2024-01-01 10:00',5), ('F2','Payment Received','2024-01-01 10:00',6),
 ('F2','Invoice Settled','2024-01-31 10:00:01',7),
 ('F3','Overdue Reminder Sent','2024-01-01 10:00',12), ('F3','Payment Received','2024-01-01 10:00',11),
 ('F3','Overdue Reminder Sent','2024-01-01 10:00',10),
 ('F4','Overdue Reminder Sent','2024-06-01 10:00',20);
SELECT case_id, triggered_at, paid_within, settled_within, window_open
  FROM collmine.followup_events('kpi_follow', 'Overdue Reminder Sent', 30) ORDER BY 1, 2, 3;
SELECT case_id, paid_within, settled_within, window_open
  FROM collmine.followup_events('kpi_follow', 'Overdue Reminder Sent', 30, first_only => true) ORDER BY 1;
-- a payment as the trigger is not its own follow-up: F1's (ord 1) is settled exactly 30 days
-- later; F2's (ord 6) and F3's (ord 11) have no payment or settlement after them within 30 days
SELECT case_id, paid_within, settled_within
  FROM collmine.followup_events('kpi_follow', 'Payment Received', 30) ORDER BY 1;
-- the same outcomes in plain SQL, one EXISTS per role, on both hand-made logs, every trigger
-- activity and several windows: no row differs
CREATE FUNCTION pg_temp.followup_plain(sch name, trig text, days integer, first_only boolean)
RETURNS TABLE (case_id text, triggered_at timestamptz, paid_within boolean, settled_within boolean)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT t.case_id, t.ts,
               EXISTS (SELECT 1 FROM %1$I.events p WHERE p.case_id = t.case_id
                          AND p.activity IN ('Payment Received', 'Invoice Settled')
                          AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord)) AND p.ts <= t.ts + $2 * interval '1 day'),
               EXISTS (SELECT 1 FROM %1$I.events p WHERE p.case_id = t.case_id
                          AND p.activity = 'Invoice Settled'
                          AND (p.ts > t.ts OR (p.ts = t.ts AND p.ord > t.ord)) AND p.ts <= t.ts + $2 * interval '1 day')
          FROM %1$I.events t
         WHERE t.activity = $1
           AND NOT ($3 AND EXISTS (SELECT 1 FROM %1$I.events r WHERE r.case_id = t.case_id AND r.activity = $1
                                      AND (r.ts < t.ts OR (r.ts = t.ts AND r.ord < t.ord))))$q$, sch)
    USING trig, days, first_only;
END $$;
SELECT count(*) AS differing_rows
  FROM (VALUES ('kpi_hand'::name), ('kpi_follow')) l(sch),
       (SELECT DISTINCT activity FROM kpi_hand.events) a,
       (VALUES (0), (1), (14), (30), (400)) d(days), (VALUES (false), (true)) f(first_only),
       LATERAL ((SELECT x.case_id, x.triggered_at, x.paid_within, x.settled_within
                   FROM collmine.followup_events(l.sch, a.activity, d.days, f.first_only) x
                 EXCEPT ALL SELECT * FROM pg_temp.followup_plain(l.sch, a.activity, d.days, f.first_only))
                UNION ALL
                (SELECT * FROM pg_temp.followup_plain(l.sch, a.activity, d.days, f.first_only)
                 EXCEPT ALL SELECT x.case_id, x.triggered_at, x.paid_within, x.settled_within
                   FROM collmine.followup_events(l.sch, a.activity, d.days, f.first_only) x)) z;

-- ==== manual activity share, January ====
-- 24 events in January, 9 manual (A1 call + payment, A2 payment, A3 dispute, A4 write-off, U5
-- call + payment, U6 credit request + credit memo), 1 unknown (U6 approval), 14 automated:
-- share 9 / 23 = 0.3913. SMB (A1, A2, U5): 5 of 16 = 0.3125; ENT: 4 of 7 known = 0.5714.
SELECT group_value, activity, events, manual_events, automated_events, unknown_events,
       round(manual_share, 4) AS share
  FROM collmine.manual_activity_share('kpi_hand', '2024-01-01', '2024-01-31')
 WHERE activity IS NULL OR activity IN ('Payment Received', 'Credit Limit Approved', 'Invoice Generated');
SELECT group_value, events, manual_events, unknown_events, round(manual_share, 4) AS share
  FROM collmine.manual_activity_share('kpi_hand', '2024-01-01', '2024-01-31', 'segment')
 WHERE activity IS NULL;

-- ==== write-offs, January ====
-- EUR closed: A2 settled (500) and A4 written off (300): by count 1/2 = 0.5, by value 300/800 =
-- 0.375; bad-debt ratio 300 / 2500 sales = 0.12. USD: U5 settled, nothing written off.
SELECT group_value, currency, closed_invoices, closed_amount, written_off_invoices, written_off_amount,
       round(write_off_rate_by_count, 4) AS by_count, round(write_off_rate_by_value, 4) AS by_value,
       credit_sales, round(bad_debt_ratio, 4) AS bad_debt
  FROM collmine.write_off_rate('kpi_hand', '2024-01-01', '2024-01-31');

-- ==== self-checks against plain SQL on the same log ====
-- the final snapshot agrees with the invoices table's own open_amount and status columns
SELECT count(*) AS mismatches
  FROM collmine.invoice_snapshot('kpi_hand') s JOIN kpi_hand.invoices i USING (case_id)
 WHERE s.open_amount <> i.open_amount OR s.status <> i.status;
-- open balance on every day from 2023-09-30 to 2024-03-01, recomputed with a plain query
WITH days AS (SELECT d::date AS d FROM generate_series('2023-09-30'::date, '2024-03-01'::date, '1 day') d),
plain AS (
    SELECT days.d, i.currency,
           sum(CASE WHEN EXISTS (SELECT 1 FROM kpi_hand.events e WHERE e.case_id = i.case_id
                                   AND e.activity IN ('Invoice Settled', 'Invoice Written Off')
                                   AND e.ts < days.d + 1)
                    THEN 0
                    ELSE greatest(i.amount
                         - greatest((SELECT coalesce(sum(e.amount), 0) FROM kpi_hand.events e WHERE e.case_id = i.case_id AND e.activity = 'Payment Received' AND e.ts < days.d + 1),
                                    (SELECT coalesce(sum(e.amount), 0) FROM kpi_hand.events e WHERE e.case_id = i.case_id AND e.activity = 'Payment Posted' AND e.ts < days.d + 1))
                         - (SELECT coalesce(sum(e.amount), 0) FROM kpi_hand.events e WHERE e.case_id = i.case_id AND e.activity = 'Credit Memo Issued' AND e.ts < days.d + 1), 0)
               END) AS ar
      FROM days JOIN kpi_hand.invoices i ON i.invoice_date <= days.d
     GROUP BY days.d, i.currency),
ours AS (SELECT days.d, a.currency, a.total_open AS ar
           FROM days CROSS JOIN LATERAL collmine.aging('kpi_hand', days.d) a)
SELECT count(*) AS differing_days
  FROM plain FULL JOIN ours USING (d, currency)
 WHERE coalesce(plain.ar, 0) <> coalesce(ours.ar, 0);
-- the aging buckets add up to the total, and groups add up to the ungrouped figures
SELECT bool_and(total_open = current_amount + past_due_1_30 + past_due_31_60 + past_due_61_90 + past_due_over_90) AS buckets_add_up
  FROM generate_series('2023-10-01'::date, '2024-03-01'::date, '7 days') d,
       LATERAL collmine.aging('kpi_hand', d::date, 'country') a;
SELECT (SELECT array_agg(currency || ':' || ending_ar || ':' || credit_sales ORDER BY currency)
          FROM collmine.receivables_kpis('kpi_hand', '2024-01-01', '2024-01-31'))
     = (SELECT array_agg(currency || ':' || e || ':' || s ORDER BY currency)
          FROM (SELECT currency, sum(ending_ar) e, sum(credit_sales) s
                  FROM collmine.receivables_kpis('kpi_hand', '2024-01-01', '2024-01-31', 'collector')
                 GROUP BY currency) x) AS groups_add_up;
-- ADD is DSO minus Best Possible DSO, month by month
SELECT bool_and(average_days_delinquent IS NOT DISTINCT FROM dso - best_possible_dso) AS add_is_dso_minus_bpdso
  FROM generate_series('2023-10-01'::date, '2024-02-01'::date, '1 month') m,
       LATERAL collmine.receivables_kpis('kpi_hand', m::date, (m + interval '1 month' - interval '1 day')::date) r;
-- posting lag against a plain pairing of the k-th receipt with the k-th posting
WITH r AS (SELECT case_id, ts, row_number() OVER (PARTITION BY case_id ORDER BY ts, ord) n FROM kpi_hand.events WHERE activity = 'Payment Received'),
     p AS (SELECT case_id, ts, row_number() OVER (PARTITION BY case_id ORDER BY ts, ord) n FROM kpi_hand.events WHERE activity = 'Payment Posted')
SELECT round(avg(extract(epoch FROM p.ts - r.ts) / 86400)::numeric, 6)
     = (SELECT round(avg_days, 6) FROM collmine.posting_lag('kpi_hand', '2000-01-01', '2100-01-01')) AS posting_lag_matches
  FROM r JOIN p USING (case_id, n);

-- ==== time zone: day boundaries follow the session TimeZone ====
-- U5 settles 2024-01-31 10:00 UTC, which is 2024-02-01 00:00 in Pacific/Kiritimati (UTC+14):
-- there its status is still open at the end of 01-31, while its payment (01-30 10:00 UTC =
-- 01-31 00:00 local) has already brought the open amount to 0.
SET timezone = 'Pacific/Kiritimati';
SELECT case_id, status, open_amount FROM collmine.invoice_snapshot('kpi_hand', '2024-01-31') WHERE case_id = 'U5';
RESET timezone;
SET timezone = 'UTC';

-- ==== an invoice without a due date ====
-- N1 (EUR 100, invoiced 2024-01-02, no due date) is settled 01-12: it counts as settled with 10
-- days to pay, but in no lateness or on-time figure; while open it ages as current
CREATE SCHEMA kpi_nodue;
CREATE TABLE kpi_nodue.invoices (LIKE kpi_hand.invoices);
CREATE TABLE kpi_nodue.events (LIKE kpi_hand.events);
INSERT INTO kpi_nodue.invoices (case_id, currency, invoice_date, due_date, terms_days, amount)
VALUES ('N1', 'EUR', '2024-01-02', NULL, NULL, 100);
INSERT INTO kpi_nodue.events (case_id, activity, ts, ord, amount) VALUES
 ('N1', 'Invoice Generated', '2024-01-02 09:00', 1, NULL),
 ('N1', 'Payment Received',  '2024-01-12 09:00', 2, 100),
 ('N1', 'Invoice Settled',   '2024-01-12 09:00', 3, NULL);
SELECT currency, settled_invoices, avg_days_to_pay, avg_days_late, avg_days_late_weighted,
       avg_days_from_due, paid_on_time, on_time_rate
  FROM collmine.payment_behaviour('kpi_nodue', '2024-01-01', '2024-01-31');
SELECT currency, total_open, current_amount FROM collmine.aging('kpi_nodue', '2024-01-05');
SET client_min_messages = warning;
DROP SCHEMA kpi_nodue CASCADE;
RESET client_min_messages;

-- ==== search_path safety ====
-- an operator in the caller's schema that shadows text = (and raises if ever used) is never
-- picked up: every layer-5 function runs with search_path = pg_catalog, pg_temp
CREATE SCHEMA kpi_evil;
CREATE FUNCTION kpi_evil.trap(text, text) RETURNS boolean LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'shadowing operator used'; END $$;
CREATE OPERATOR kpi_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = kpi_evil.trap);
SET search_path = kpi_evil, pg_catalog, public;
SELECT currency, total_open FROM collmine.aging('kpi_hand', '2024-01-31');
SELECT currency, round(dso, 2) AS dso FROM collmine.receivables_kpis('kpi_hand', '2024-01-01', '2024-01-31');
SELECT triggers FROM collmine.contact_success('kpi_hand', '2024-01-01', '2024-01-31');
SELECT count(*) FROM collmine.root_causes('kpi_hand', 'written_off', ARRAY['segment']);
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA kpi_evil CASCADE;
RESET client_min_messages;

-- ==== errors ====
\set SHOW_CONTEXT never
SELECT * FROM collmine.aging('no_such_schema');
SELECT * FROM collmine.aging(NULL);
SELECT * FROM collmine.aging('kpi_hand', '2024-01-31', 'no_such_column');
SELECT * FROM collmine.aging('kpi_hand', '2024-01-31', 'segment; DROP TABLE x');
SELECT * FROM collmine.receivables_kpis('kpi_hand', '2024-02-01', '2024-01-01');
SELECT * FROM collmine.dunning_adherence('kpi_hand', '2024-01-01', '2024-01-31', -1);
SELECT * FROM collmine.contact_success('kpi_hand', '2024-01-01', '2024-01-31', NULL);
SELECT * FROM collmine.activity_pairs('kpi_hand', 'Payment Received', 'Payment Received');
CREATE SCHEMA kpi_broken;
CREATE TABLE kpi_broken.events (case_id text, activity text, ts timestamptz);
CREATE TABLE kpi_broken.invoices (case_id text);
SELECT * FROM collmine.aging('kpi_broken');
-- an empty log gives no rows, not an error
CREATE SCHEMA kpi_empty;
CREATE TABLE kpi_empty.events (LIKE kpi_hand.events);
CREATE TABLE kpi_empty.invoices (LIKE kpi_hand.invoices);
SELECT count(*) FROM collmine.receivables_kpis('kpi_empty', '2024-01-01', '2024-01-31');
SELECT count(*) FROM collmine.aging('kpi_empty');
SET client_min_messages = warning;
DROP SCHEMA kpi_broken, kpi_empty CASCADE;
DROP SCHEMA kpi_hand, kpi_follow CASCADE;
RESET client_min_messages;
