-- 55_forecast_generated: on a generated log with a KNOWN payment-delay distribution per segment
-- (test/sql/55_forecast_gen.inc, fixed seed), the forecast recovers the true probabilities
-- within a stated tolerance, the backtest beats both naive baselines, nothing after the
-- as-of date moves the forecast, and the dashboard view has its documented shape.
-- Checks print booleans, so that they do not depend on the random draws beyond the tolerance.
\set QUIET on
\set log gen
\set ninv 4000
\set seed 0.42
\i test/sql/55_forecast_gen.inc
\set QUIET off
SET extra_float_digits = 0;

-- The true probability that an invoice unpaid at the end of clock day a is paid within the
-- next k days (the formulas of 55_forecast_gen.inc).
CREATE FUNCTION pg_temp.truth(segment text, a integer, k integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN segment = 'FAST' THEN
                (SELECT count(*) FROM generate_series(greatest(a + 1, -10), 9) d WHERE d <= a + k)::double precision
                / nullif((SELECT count(*) FROM generate_series(greatest(a + 1, -10), 9)), 0)
           ELSE 0.9 * (SELECT count(*) FROM generate_series(greatest(a + 1, 0), 55) d WHERE d <= a + k) / 56.0
                / (0.9 * (SELECT count(*) FROM generate_series(greatest(a + 1, 0), 55)) / 56.0 + 0.1) END
$$;

-- 1. Recovery, as of the log's last day, per segment: the mean absolute error of the
-- probability of being paid within 4 weeks, and within the 13-week horizon, over the open
-- invoices is at most 0.03, and no single invoice is off by more than 0.10. (On this seed:
-- FAST 0.002 / 0.011, SLOW 0.007 / 0.040 for 4 weeks.) Every prediction comes from its
-- segment's own stratum (level 1) with at least 30 invoices of support.
CREATE TEMP TABLE fc_end AS SELECT * FROM collmine.payment_forecast('gen', '2024-12-31', 13, 'segment');
SELECT f.group_value,
       count(*) > 50 AS enough_open,
       avg(abs(f.p_paid_4w - pg_temp.truth(f.group_value, f.clock_day, 28))) <= 0.03 AS mae_4w_ok,
       max(abs(f.p_paid_4w - pg_temp.truth(f.group_value, f.clock_day, 28))) <= 0.10 AS max_4w_ok,
       avg(abs(f.p_paid_in_horizon - pg_temp.truth(f.group_value, f.clock_day, 91))) <= 0.03 AS mae_13w_ok,
       max(abs(f.p_paid_in_horizon - pg_temp.truth(f.group_value, f.clock_day, 91))) <= 0.10 AS max_13w_ok,
       bool_and(f.stratum_level = 1 AND f.support >= 30) AS own_stratum
  FROM fc_end f GROUP BY f.group_value ORDER BY f.group_value;

-- The weekly probabilities add up to the horizon's, and never exceed 1 together.
SELECT bool_and(abs((SELECT sum(p) FROM unnest(f.p_week) p) - f.p_paid_in_horizon) < 1e-9) AS weeks_add_up,
       bool_and((SELECT bool_and(p >= -1e-12) FROM unnest(f.p_week) p)) AS non_negative,
       bool_and(f.p_paid_in_horizon <= 1 + 1e-12) AS at_most_one
  FROM fc_end f;

-- The median payment date: FAST invoices not yet due pay by their due date + 9 days at the
-- latest, and the median of U{max(a+1,-10)..9} is what the forecast gives within 2 days.
SELECT bool_and(abs((f.median_payment_date - f.due_date)
                    - (greatest(f.clock_day + 1, -10) + 9) / 2.0) <= 2) AS fast_median_ok
  FROM fc_end f WHERE f.group_value = 'FAST' AND f.clock_day < 9;

-- 2. The cash forecast sums the invoices' expected payments; the interval contains the mean.
SELECT bool_and(c.low_80 <= c.expected_cash AND c.expected_cash <= c.high_80) AS interval_ok,
       count(*) AS rows,
       abs(sum(c.expected_cash) - (SELECT sum(f.open_amount * f.p_paid_in_horizon::numeric) FROM fc_end f)) < 0.01 AS sums_match
  FROM collmine.cash_forecast('gen', '2024-12-31', 13, 'segment') c;

-- 3. Backtest from the month-ends March to August 2024 (13 weeks all observed): in each
-- currency the forecast's weighted absolute percentage error of weekly cash over the whole
-- horizon is below both naive baselines', and so is it in week 1 and in at least 9 of the 13
-- weeks one by one. (On this seed, all weeks: EUR 0.21 against 0.77 (due date) and 0.46
-- (customer average), USD 0.35 against 0.88 and 0.54; the forecast loses week 3 in both
-- currencies, where the customer averages land, and weeks 12 and 13 in USD, the smaller one.)
CREATE TEMP TABLE bt AS SELECT * FROM collmine.forecast_backtest('gen', '2024-03-01', '2024-08-31', 13, 'segment');
CREATE TEMP VIEW bt_cmp AS
SELECT b.currency, b.week, min(b.as_of_dates) AS as_of_dates,
       min(b.wape) FILTER (WHERE b.method = 'forecast') AS f,
       min(b.wape) FILTER (WHERE b.method = 'due date') AS d,
       min(b.wape) FILTER (WHERE b.method = 'customer average days late') AS c
  FROM bt b GROUP BY b.currency, b.week;
SELECT x.currency, x.as_of_dates,
       x.f < x.d AND x.f < x.c AS beats_both_all_weeks,
       (SELECT y.f < y.d AND y.f < y.c FROM bt_cmp y WHERE y.currency = x.currency AND y.week = 1) AS beats_both_week_1,
       (SELECT count(*) FROM bt_cmp y WHERE y.currency = x.currency AND y.f < y.d AND y.f < y.c) >= 9 AS beats_both_9_of_13_weeks
  FROM bt_cmp x WHERE x.week IS NULL ORDER BY x.currency;

-- Brier score of "paid within 4 weeks": the forecast's is below both baselines', and it is
-- calibrated: in every bin with at least 50 predictions, the mean predicted probability is
-- within 0.1 of the observed share.
CREATE TEMP TABLE cal AS SELECT * FROM collmine.forecast_calibration('gen', '2024-03-01', '2024-08-31', 'segment');
SELECT min(c.brier) FILTER (WHERE c.method = 'forecast') < min(c.brier) FILTER (WHERE c.method = 'due date') AS brier_beats_due_date,
       min(c.brier) FILTER (WHERE c.method = 'forecast') < min(c.brier) FILTER (WHERE c.method = 'customer average days late') AS brier_beats_customer_average
  FROM cal c WHERE c.bin IS NULL;
SELECT bool_and(abs(c.mean_predicted - c.observed_rate) <= 0.1) FILTER (WHERE c.predictions >= 50) AS calibrated,
       sum(c.predictions) = (SELECT c2.predictions FROM cal c2 WHERE c2.method = 'forecast' AND c2.bin IS NULL) AS bins_cover_all
  FROM cal c WHERE c.method = 'forecast' AND c.bin IS NOT NULL;

-- 4. The dashboard: a security_invoker view with 13 weeks per segment and currency, and a
-- materialized variant that refreshes concurrently.
SELECT * FROM collmine.create_forecast_dashboard('gen', 'fdash');
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_schema = 'fdash' AND table_name = 'cash_forecast' ORDER BY ordinal_position;
SELECT c.reloptions FROM pg_class c WHERE c.oid = 'fdash.cash_forecast'::regclass;
SELECT segment, currency, count(*) AS weeks, min(week_start) AS first_week, max(week_end) AS last_week
  FROM fdash.cash_forecast GROUP BY 1, 2 ORDER BY 1, 2;
REFRESH MATERIALIZED VIEW CONCURRENTLY fdash.cash_forecast_mv;
SELECT count(*) FROM fdash.cash_forecast_mv;
\set SHOW_CONTEXT never
SELECT * FROM collmine.create_forecast_dashboard('gen', 'fdash');
CREATE SCHEMA fdash2;
CREATE TABLE fdash2.cash_forecast (x int);
SELECT * FROM collmine.create_forecast_dashboard('gen', 'fdash2', replace => true);
\set SHOW_CONTEXT errors
SELECT * FROM collmine.create_forecast_dashboard('gen', 'fdash', materialized => false, replace => true);
SELECT count(*) AS mv_left FROM pg_class WHERE relname = 'cash_forecast_mv' AND relnamespace = 'fdash'::regnamespace;

-- 5. No look-ahead: a forecast as of 2024-06-30 does not move when everything after that day
-- is deleted, nor when events after it are invented (every open invoice settled, disputed and
-- paid on 2024-07-01) and the invoice table's final-state columns are rewritten.
CREATE TEMP TABLE la0 AS SELECT * FROM collmine.payment_forecast('gen', '2024-06-30', 13, 'segment');
SELECT count(*) > 100 AS open_at_june FROM la0;
DELETE FROM gen.events WHERE ts >= '2024-07-01';
CREATE TEMP TABLE la1 AS SELECT * FROM collmine.payment_forecast('gen', '2024-06-30', 13, 'segment');
INSERT INTO gen.events (case_id, activity, ts, ord, amount)
SELECT la0.case_id, v.activity, '2024-07-01 09:00'::timestamptz + v.k * interval '1 minute', 10000000 + v.k, v.amount
  FROM la0 CROSS JOIN LATERAL (VALUES (1, 'Dispute Registered', NULL::numeric), (2, 'Overdue Reminder Sent', NULL),
                                      (3, 'Payment Received', la0.open_amount), (4, 'Invoice Settled', NULL)) AS v(k, activity, amount);
UPDATE gen.invoices SET status = 'settled', open_amount = 0, segment = segment;
CREATE TEMP TABLE la2 AS SELECT * FROM collmine.payment_forecast('gen', '2024-06-30', 13, 'segment');
SELECT (SELECT count(*) FROM (SELECT * FROM la0 EXCEPT SELECT * FROM la1) x) AS changed_by_deleting,
       (SELECT count(*) FROM (SELECT * FROM la1 EXCEPT SELECT * FROM la0) x) AS added_by_deleting,
       (SELECT count(*) FROM (SELECT * FROM la0 EXCEPT SELECT * FROM la2) x) AS changed_by_inventing,
       (SELECT count(*) FROM (SELECT * FROM la2 EXCEPT SELECT * FROM la0) x) AS added_by_inventing;
-- ... while a forecast as of 2024-07-01 does see the invented day.
SELECT count(*) AS open_at_july_1 FROM collmine.payment_forecast('gen', '2024-07-01', 13, 'segment')
 WHERE case_id IN (SELECT case_id FROM la0);
