-- 55_forecast: payment-date prediction and cash forecast on a small hand-made log, where every
-- probability is worked out by hand below (censoring included), plus the argument errors.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
CREATE SCHEMA fc;
CREATE TABLE fc.invoices (
    case_id text PRIMARY KEY, customer_id text, customer_name text, segment text,
    business_unit text, collector text, country text, terms text, terms_days integer,
    currency text, status text, dispute_reason text, source_system text,
    invoice_date date, due_date date, amount numeric, open_amount numeric);
CREATE TABLE fc.events (
    case_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL,
    user_id text, is_automated boolean, amount numeric, currency text,
    source_system text, source_ref text);
-- The forecast date is 2024-03-31. The clock of an invoice counts days from its due date; an
-- invoice is at risk from its invoice date (clock -31 for these NET30 invoices: it enters at
-- invoice_date - 1 - due_date = -31). Clock days of the events:
--   T1 A  due 01-31  settled 01-31                         event at 0
--   T2 A  due 01-31  settled 02-07                         event at 7
--   T5 A  due 02-10  settled 02-13                         event at 3
--   T3 B  due 01-31  reminder 02-14 (14), settled 02-21    event at 21
--   T4 B  due 01-31  reminder 02-14 (14), written off 03-15: never pays, so it stays at risk
--                    and is censored at 03-31 = clock 60
--   O1 A  due 03-31  open at 03-31: censored at clock 0; to forecast from a = 0
--   O2 B  due 03-15  reminder 03-29 (14), open at 03-31: censored at 16; forecast from a = 16
INSERT INTO fc.invoices VALUES
 ('T1','C1','One',  'A','BU','ann','DE','NET30',30,'EUR','settled',NULL,'hand','2024-01-01','2024-01-31',1000,0),
 ('T2','C1','One',  'A','BU','ann','DE','NET30',30,'EUR','settled',NULL,'hand','2024-01-01','2024-01-31',1000,0),
 ('T3','C2','Two',  'B','BU','ann','DE','NET30',30,'EUR','settled',NULL,'hand','2024-01-01','2024-01-31',1000,0),
 ('T4','C2','Two',  'B','BU','ann','DE','NET30',30,'EUR','written_off',NULL,'hand','2024-01-01','2024-01-31',1000,0),
 ('T5','C1','One',  'A','BU','ann','DE','NET30',30,'EUR','settled',NULL,'hand','2024-01-11','2024-02-10',1000,0),
 ('O1','C1','One',  'A','BU','ann','DE','NET30',30,'EUR','open',NULL,'hand','2024-03-01','2024-03-31',1000,1000),
 ('O2','C2','Two',  'B','BU','ann','DE','NET30',30,'EUR','open',NULL,'hand','2024-02-14','2024-03-15', 500, 500);
INSERT INTO fc.events (case_id, activity, ts, ord, amount) VALUES
 ('T1','Invoice Generated',     '2024-01-01 09:00', 1, NULL),
 ('T1','Payment Received',      '2024-01-31 10:00', 2, 1000),
 ('T1','Invoice Settled',       '2024-01-31 15:00', 3, NULL),
 ('T2','Invoice Generated',     '2024-01-01 09:00', 4, NULL),
 ('T2','Payment Received',      '2024-02-07 10:00', 5, 1000),
 ('T2','Invoice Settled',       '2024-02-07 15:00', 6, NULL),
 ('T3','Invoice Generated',     '2024-01-01 09:00', 7, NULL),
 ('T3','Overdue Reminder Sent', '2024-02-14 08:00', 8, NULL),
 ('T3','Payment Received',      '2024-02-21 10:00', 9, 1000),
 ('T3','Invoice Settled',       '2024-02-21 15:00',10, NULL),
 ('T4','Invoice Generated',     '2024-01-01 09:00',11, NULL),
 ('T4','Overdue Reminder Sent', '2024-02-14 08:00',12, NULL),
 ('T4','Invoice Written Off',   '2024-03-15 16:00',13, 1000),
 ('T5','Invoice Generated',     '2024-01-11 09:00',14, NULL),
 ('T5','Payment Received',      '2024-02-13 10:00',15, 1000),
 ('T5','Invoice Settled',       '2024-02-13 15:00',16, NULL),
 ('O1','Invoice Generated',     '2024-03-01 09:00',17, NULL),
 ('O2','Invoice Generated',     '2024-02-14 09:00',18, NULL),
 ('O2','Overdue Reminder Sent', '2024-03-29 08:00',19, NULL),
 -- after the forecast date: must not matter for a forecast as of 2024-03-31
 ('O1','Payment Received',      '2024-04-02 10:00',20, 1000),
 ('O1','Invoice Settled',       '2024-04-02 15:00',21, NULL);

-- The process states (a change on day x holds from day x + 1; the payment days of T1, T2,
-- T3 and T5 are their settlement days, so those changes never count for them).
SELECT * FROM collmine._forecast_states('fc', '2024-03-31') ORDER BY case_id, changed_on;

-- All invoices ("no reminder", which every invoice is in from its start): all 7 enter at -31.
--   t=0:  at risk 7 (T1..T5, O1, O2: exit >= 0; O1 is censored at 0, still at risk that day),
--         1 settled (T1)                          S(0)  = 6/7
--   t=3:  at risk 5 (T5, T2, O2, T3, T4), 1 (T5)  S(3)  = 6/7 * 4/5 = 24/35
--   t=7:  at risk 4 (T2, O2, T3, T4), 1 (T2)      S(7)  = 24/35 * 3/4 = 18/35
--   t=21: at risk 2 (T3, T4; O2 was censored at 16), 1 (T3)
--                                                 S(21) = 18/35 * 1/2 = 9/35, flat after.
-- "1 reminder": T3, T4, O2 enter at 14 (reminder on clock day 14, holds from 15).
--   t=21: at risk 2 (T3, T4), 1 (T3)              S1(21) = 1/2
-- O1, a = 0, no reminder; support = at risk on day 1 = 5 (T5, T2, O2, T3, T4) >= 2:
--   week 1 (clock 1..7):   1 - S(7)/S(0) = 1 - (18/35)/(6/7) = 1 - 0.6 = 0.4
--   week 2 (8..14):        0
--   week 3 (15..21):       S(14)/S(0) - S(21)/S(0) = 0.6 - 0.3 = 0.3
--   week 4, 5, 6:          0;  paid in 4 weeks 0.7
--   median: S(t)/S(0) <= 0.5 first at t = 21: 2024-03-31 + 21 = 2024-04-21
-- O2, a = 16, 1 reminder; support = at risk on day 17 = 2 (T3, T4) >= 2:
--   week 1 (17..23): 1 - S1(21)/S1(16) = 1 - 0.5 = 0.5, then 0; median t = 21: 2024-04-05
SELECT case_id, open_amount, clock_day, state, stratum, stratum_level, support,
       p_week, p_paid_4w, p_paid_in_horizon, median_payment_date, as_of_date
  FROM collmine.payment_forecast('fc', '2024-03-31', 6, NULL, 2);

-- Per segment. Segment A: T1 (ev 0), O1 (cens 0), T5 (ev 3), T2 (ev 7), all from -31.
--   t=0: 4 at risk, 1 settled -> 3/4;  t=3: 2 at risk (T5, T2), 1 -> 3/8;
--   t=7: 1 at risk (T2), 1 settled: the hazard is 1 and the survival 0.
-- With min_support 2, O1 (support on day 1: T5, T2 = 2) uses "A / no reminder":
--   week 1: 1 - 0/(3/4) = 1;  median: S(3)/S(0) = 1/2 <= 0.5 at t = 3: 2024-04-03
-- O2 uses "B / 1 reminder" (T3, T4, O2 as above, support 2): 0.5 in week 1.
SELECT case_id, stratum, stratum_level, support, p_week, median_payment_date
  FROM collmine.payment_forecast('fc', '2024-03-31', 2, 'segment', 2);
-- With min_support 3, "A / no reminder" (2) falls back to "no reminder" (5): the all-invoice
-- figures of O1 above; "B / 1 reminder" (2) and "1 reminder" (2) fall back to all invoices,
-- support 2 (T3, T4 at risk on day 17): S(21)/S(16) = (9/35)/(18/35) = 0.5 in week 1.
SELECT case_id, stratum, stratum_level, support, p_week, median_payment_date
  FROM collmine.payment_forecast('fc', '2024-03-31', 2, 'segment', 3);

-- Cash: week 1 expects 1000 * 0.4 + 500 * 0.5 = 650, variance 1000^2 * 0.4 * 0.6
-- + 500^2 * 0.5 * 0.5 = 302500 (sd 550), 80% interval 650 -/+ 1.2816 * 550 = 650 -/+ 704.85,
-- so 0 .. 1354.85; week 2 nothing; week 3: 300, variance 10^6 * 0.3 * 0.7 = 210000
-- (sd 458.26), 300 -/+ 587.28, so 0 .. 887.28.
SELECT group_value, currency, week, week_start, week_end, open_invoices, open_amount,
       round(expected_cash, 2) AS expected, round(low_80, 2) AS low, round(high_80, 2) AS high
  FROM collmine.cash_forecast('fc', '2024-03-31', 4, NULL, 2);

-- The backtest from the month-ends 2024-01-31 and 2024-02-29 (the log's last day is
-- 2024-04-02, so both have their 2 weeks observed), with min_support 1:
--   actual: week 1 (02-01..02-07) T2 settled, 1000; (03-01..03-07) nothing.  week 2
--     (02-08..02-14) T5, 1000; (03-08..03-14) nothing.
--   due date: at 01-31 T2, T3, T4 are due 01-31, already past: first day, week 1 (3000); T5 due
--     02-10, week 2 (1000). At 02-29 T4 (due 01-31) week 1 (1000); O2 due 03-15, week 3.
--     Week 1: 4000, week 2: 1000.
--   customer average days late: at 01-31 only T1 was settled (0 days late), so 0 for all:
--     the same as the due date. At 02-29 customer C2 averages 21 (T3): T4 moves to 02-21,
--     still past (week 1), O2 to 04-05 (past the horizon). Week 1: 4000, week 2: 1000.
--   forecast: at 01-31 the history is T1 settled on clock day 0, T2, T3, T4 censored at 0 and
--     T5 at -10. T2, T3, T4 (a = 0) get 0: no settlement after day 0. T5 (a = -10): on day 0,
--     4 at risk (T1..T4), 1 settled: 0.25 on its clock day 0 = 02-10, week 2: 250. At 02-29
--     O2 (a = -15) has no history before day 0 and T4 (a = 29) none after 29: 0.
SELECT method, currency, week, as_of_dates, actual_cash, round(forecast_cash, 2) AS forecast_cash
  FROM collmine.forecast_backtest('fc', '2024-01-01', '2024-02-29', 2, NULL, 1)
 WHERE week IS NOT NULL ORDER BY method, week;

-- States with a dispute and a partial payment, on the KPI tests' hand-made log (50_kpi_log.inc)
-- as of 2024-01-31 (clock from the due date; all numbers by hand):
--   A1 due 12-31: 1 reminder 01-05 (clock 5), partly paid 01-10 (10), open: censored at 31
--   A2 due 02-04: partly paid 01-20 (-15), settled 01-22: event at -13
--   A3 due 01-25 (enters at -11): dispute 01-28 (3), open: censored at 6
--   A4 due 10-31: reminders 11-10 (10), 12-10 (40), written off: at risk until 01-31 = 92
--   U5 due 01-20 (enters at -11): reminder 01-25 (5), partly paid 01-30 (10), settled 01-31: 11
--   U6 due 12-15: no state change (dunning initiated and a credit memo are not states): 47
-- (A day whose events leave the state as it was repeats it: the Payment Posted days A1 01-11,
-- A2 01-22, U5 01-31.)
-- All invoices: t=-13: 4 at risk (A1, A2, A4, U6; A3 and U5 enter at -11), 1 settled;
--   t=11: 4 at risk (A1, A4, U5, U6; A3 left at 6), 1 settled (U5).
-- A1 (a = 31, "1 reminder, partly paid"): that stratum has A1 (10..31) and U5 (10..11), none
--   at risk on day 32: all invoices (support 2: A4, U6), no settlement after 31: 0, no median.
-- A3 (a = 6, "no reminder, in dispute"): only A3 itself: all invoices, support 4 (A1, A4, U5,
--   U6 on day 7): 1/4 settle on day 11, in week 1; the survival never reaches 0.5: no median.
-- U6 (a = 47, "no reminder" = all invoices, support 1: A4): 0.
\set ECHO none
\set QUIET on
\set log demo
\i test/sql/50_kpi_log.inc
\set QUIET off
\set ECHO all
SELECT * FROM collmine._forecast_states('demo', '2024-01-31') ORDER BY case_id, changed_on;
SELECT case_id, clock_day, state, stratum, stratum_level, support, p_week, median_payment_date
  FROM collmine.payment_forecast('demo', '2024-01-31', 3, NULL, 1);

-- Errors (message and hint; the call stack is not part of the contract)
\set SHOW_CONTEXT never
SELECT * FROM collmine.payment_forecast('fc', '2024-03-31', 0);
SELECT * FROM collmine.payment_forecast('fc', '2024-03-31', 13, NULL, 0);
SELECT * FROM collmine.payment_forecast('fc', '2024-03-31', 13, 'no_such_column');
SELECT * FROM collmine.payment_forecast('no_such_schema', '2024-03-31');
SELECT * FROM collmine.forecast_backtest('fc', '2024-03-31', '2024-01-31');
SELECT * FROM collmine.forecast_calibration('fc', '2024-01-01', '2024-02-29', 'no_such_column');
