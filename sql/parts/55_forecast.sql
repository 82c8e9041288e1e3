-- collmine install script, layer 5d: payment-date prediction and cash forecast (docs/forecast.md).
--
-- For every invoice open at an as-of date D, the probability of being settled in each of the
-- next weeks, learned only from what was known at the end of D (events with ts < D + 1, the
-- KPI convention of 50_kpi.sql). The invoice facts (existence, status, settle date, open amount,
-- due date, group value) come from collmine.invoice_snapshot(log, D): one definition, reused.
--
-- Method: Kaplan-Meier product-limit estimation with delayed entry (left truncation), per
-- stratum, on a day clock that starts at each invoice's due date (its invoice date when it has
-- none). An invoice's history is cut into episodes, one per process state it passed through
-- (reminders sent, open dispute, partly paid: collmine._forecast_states); an episode is at risk
-- in the stratum (group value x state) from the day it entered the state until it left it, was
-- settled (the event), or D (censored). Written-off invoices never pay: they stay at risk, without
-- an event, until D. The hazard on day t of a stratum is settlements / invoices at risk; an open
-- invoice at clock age a in state s gets the conditional survival S(a+k)/S(a) of the finest
-- stratum that had at least min_support invoices at risk on day a+1 (group and state, then the
-- state over all groups, then all invoices).
--
-- Everything here is plpgsql/SQL; STABLE, PARALLEL RESTRICTED, SECURITY INVOKER like 50_kpi.sql.

-- The process state label for a number of reminders, open disputes and whether money came in.
CREATE FUNCTION collmine._forecast_state(reminders bigint, open_disputes bigint, partly_paid boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN reminders OPERATOR(pg_catalog.>=) 3 THEN '3+ reminders'
                WHEN reminders OPERATOR(pg_catalog.=) 2 THEN '2 reminders'
                WHEN reminders OPERATOR(pg_catalog.=) 1 THEN '1 reminder'
                ELSE 'no reminder' END
           OPERATOR(pg_catalog.||) CASE WHEN open_disputes OPERATOR(pg_catalog.>) 0 THEN ', in dispute' ELSE '' END
           OPERATOR(pg_catalog.||) CASE WHEN partly_paid THEN ', partly paid' ELSE '' END
$$;

-- The process state of every invoice at the end of each day on which one of its
-- state-changing events happened, by the end of day as_of: reminders = Overdue Reminder Sent
-- so far, open disputes = Dispute Registered - Dispute Resolved so far, partly paid = a Payment
-- Received or Payment Posted event with a non-zero amount so far. Invoices without such events
-- have no row (their state is _forecast_state(0, 0, false) throughout). One sort of the
-- relevant events; a row may repeat the previous day's state.
CREATE FUNCTION collmine._forecast_states(log_schema name, as_of date)
RETURNS TABLE (case_id text, changed_on date, state text)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    PERFORM collmine._check_log(log_schema);
    RETURN QUERY EXECUTE format($q$
        SELECT r.case_id, r.day, collmine._forecast_state(r.rem, r.disp, coalesce(r.paid, false))
          FROM (SELECT e.case_id::text AS case_id, e.ts::date AS day,
                       count(*) FILTER (WHERE e.activity = ANY ($2)) OVER w AS rem,
                       count(*) FILTER (WHERE e.activity = ANY ($3)) OVER w
                         - count(*) FILTER (WHERE e.activity = ANY ($4)) OVER w AS disp,
                       bool_or((e.activity = ANY ($5) OR e.activity = ANY ($6)) AND abs(e.amount) > 0) OVER w AS paid,
                       lead(e.ts::date) OVER w AS next_day
                  FROM %1$I.events e
                 WHERE (e.activity = ANY ($2) OR e.activity = ANY ($3) OR e.activity = ANY ($4)
                        OR e.activity = ANY ($5) OR e.activity = ANY ($6))
                   AND e.ts < $1
                WINDOW w AS (PARTITION BY e.case_id ORDER BY e.ts, e.ord ROWS UNBOUNDED PRECEDING)) r
         WHERE r.next_day IS DISTINCT FROM r.day
    $q$, log_schema) USING (as_of + 1)::timestamptz,
        collmine._role_activities(log_schema, 'reminder'), collmine._role_activities(log_schema, 'dispute_opened'),
        collmine._role_activities(log_schema, 'dispute_closed'), collmine._role_activities(log_schema, 'payment_received'),
        collmine._role_activities(log_schema, 'payment_posted');
END
$$;

-- The value on clock day t of a cumulative per-day array v that starts on clock day lo: 0
-- before lo, the last value after the array's end (the curve is flat after its last day).
CREATE FUNCTION collmine._km_at(v double precision[], lo integer, t integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN t OPERATOR(pg_catalog.<) lo THEN 0::double precision
                ELSE v[LEAST(t OPERATOR(pg_catalog.-) lo OPERATOR(pg_catalog.+) 1, pg_catalog.cardinality(v))] END
$$;

-- The first clock day t > a on which the conditional survival S(t)/S(a) of a Kaplan-Meier
-- curve is <= p, or NULL when the curve never gets there. f: cumulative sum of ln(1 - hazard)
-- over the days with hazard < 1, z: cumulative count of days with hazard 1, both indexed from
-- clock day lo; the curve is flat after its last day. Binary search: S(t)/S(a) never increases.
CREATE FUNCTION collmine._km_first_day_at_most(f double precision[], z double precision[], lo integer,
                                               a integer, p double precision)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer := cardinality(f);
    ia integer := a - lo + 1;
    fa double precision := CASE WHEN ia < 1 THEN 0 ELSE f[least(ia, n)] END;
    za double precision := CASE WHEN ia < 1 THEN 0 ELSE z[least(ia, n)] END;
    l integer := greatest(ia + 1, 1);
    h integer := n;
    m integer;
BEGIN
    -- 1e-12: a survival ratio that is p in exact arithmetic must count as reaching p
    IF n IS NULL OR l > n OR (z[n] = za AND exp(f[n] - fa) > p + 1e-12) THEN
        RETURN NULL;
    END IF;
    WHILE l < h LOOP
        m := (l + h) / 2;
        IF z[m] > za OR exp(f[m] - fa) <= p + 1e-12 THEN
            h := m;
        ELSE
            l := m + 1;
        END IF;
    END LOOP;
    RETURN lo + l - 1;
END
$$;

-- Raise a clear error for a bad log schema, horizon, group_by or minimum support.
CREATE FUNCTION collmine._check_forecast_args(log_schema name, horizon_weeks integer, group_by text,
                                              min_support integer)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF horizon_weeks IS NULL OR horizon_weeks < 1 OR horizon_weeks > 520 THEN
        RAISE EXCEPTION 'invalid horizon_weeks: %', horizon_weeks
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of weeks from 1 to 520, e.g. 13.';
    END IF;
    IF min_support IS NULL OR min_support < 1 THEN
        RAISE EXCEPTION 'invalid min_support: %', min_support
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give a number of invoices >= 1, e.g. 30.';
    END IF;
    PERFORM collmine._check_log(log_schema);
    PERFORM collmine._group_expr(log_schema, group_by);
END
$$;

-- For every invoice open at the end of as_of: the probability of being settled in each week of
-- the horizon (week w = days as_of + 7(w-1) + 1 .. as_of + 7w), learned only from events by
-- as_of, the Kaplan-Meier stratum it was predicted from, and that stratum's support.
CREATE FUNCTION collmine.payment_forecast(log_schema name, as_of date DEFAULT NULL,
                                          horizon_weeks integer DEFAULT 13, group_by text DEFAULT NULL,
                                          min_support integer DEFAULT 30)
RETURNS TABLE (
    case_id text, group_value text, currency text, open_amount numeric, due_date date,
    clock_day integer, state text, stratum text, stratum_level integer, support bigint,
    p_week double precision[], p_paid_4w double precision, p_paid_in_horizon double precision,
    median_payment_date date, as_of_date date)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    hz integer := horizon_weeks;
    ms integer := min_support;
    grouped boolean := group_by IS NOT NULL;
    init_state text := collmine._forecast_state(0, 0, false);
BEGIN
    PERFORM collmine._check_forecast_args(log_schema, hz, group_by, ms);
    RETURN QUERY
    WITH s AS MATERIALIZED (
            SELECT x.case_id, x.group_value, x.currency, x.open_amount, x.due_date, x.invoice_date,
                   coalesce(x.due_date, x.invoice_date) AS origin, x.status, x.as_of_date,
                   -- the last day the invoice is observed: settled that day (event), else as_of (censored)
                   CASE WHEN x.status = 'settled' THEN x.settled_at::date ELSE x.as_of_date END AS end_day
              FROM collmine.invoice_snapshot(log_schema, as_of, group_by) x),
         d AS (SELECT min(s.as_of_date) AS d FROM s),
         -- the state changes that count: a change on day x holds from day x + 1, so a change on
         -- the settlement day does not count for the settlement
         st AS MATERIALIZED (
            SELECT y.case_id, y.changed_on, y.state
              FROM collmine._forecast_states(log_schema, (SELECT d.d FROM d)) y JOIN s ON s.case_id = y.case_id
             WHERE y.changed_on < s.end_day OR s.status <> 'settled'),
         -- one episode per invoice and state it has been in: at risk in that state's stratum from
         -- the first day it entered the state until it was settled (event) or censored, whatever
         -- happened in between ("invoices that were once in this state"). Every invoice starts in
         -- the initial state on its invoice date (clock day invoice_date - origin, so it enters
         -- at invoice_date - 1 - origin); a change before the invoice date counts from then.
         ep AS (SELECT s.group_value, init_state AS state, s.invoice_date - 1 - s.origin AS entry,
                       s.end_day - s.origin AS exit, s.status = 'settled' AS event
                  FROM s WHERE s.end_day >= s.invoice_date
                UNION ALL
                SELECT s.group_value, c.state, greatest(c.first_day, s.invoice_date - 1) - s.origin,
                       s.end_day - s.origin, s.status = 'settled'
                  FROM (SELECT st.case_id, st.state, min(st.changed_on) AS first_day
                          FROM st WHERE st.state <> init_state GROUP BY st.case_id, st.state) c
                  JOIN s ON s.case_id = c.case_id
                 WHERE s.end_day >= s.invoice_date),
         -- entries, exits and settlements per stratum and clock day, for group x state (level 1)
         -- and state (level 2); all invoices (level 3) is the initial state's level 2, because
         -- every invoice is in the initial state's stratum from its start
         -- (many invoices share their entry and exit days: count them once per combination)
         epn AS (SELECT ep.group_value, ep.state, ep.entry, ep.exit, ep.event, count(*) AS n
                   FROM ep WHERE ep.exit > ep.entry
                  GROUP BY ep.group_value, ep.state, ep.entry, ep.exit, ep.event),
         cnt AS (SELECT CASE WHEN grouping(epn.group_value) = 0 THEN 1 ELSE 2 END AS lvl,
                        epn.group_value AS gv, epn.state AS st, v.t,
                        sum(v.i) AS n_in, sum(v.o) AS n_out, sum(v.e) AS n_ev
                   FROM epn CROSS JOIN LATERAL (VALUES (epn.entry, epn.n, 0, 0),
                                                       (epn.exit, 0, epn.n, CASE WHEN epn.event THEN epn.n ELSE 0 END)) AS v(t, i, o, e)
                  GROUP BY GROUPING SETS ((epn.group_value, epn.state, v.t), (epn.state, v.t))),
         keyed AS (SELECT cnt.*, CASE cnt.lvl WHEN 1 THEN quote_nullable(cnt.gv) || ' ' || cnt.st
                                              ELSE cnt.st END AS key
                     FROM cnt
                   UNION ALL
                   SELECT 3, NULL, NULL, cnt.t, cnt.n_in, cnt.n_out, cnt.n_ev, ''
                     FROM cnt WHERE cnt.lvl = 2 AND cnt.st = init_state),
         rng AS (SELECT keyed.key, min(keyed.lvl) AS lvl, min(keyed.t) AS lo, max(keyed.t) AS hi
                   FROM keyed GROUP BY keyed.key),
         dense AS (SELECT r.key, r.lvl, r.lo, g.t,
                          coalesce(sum(k.n_in - k.n_out) OVER w, 0) AS n_risk,   -- entry < t and exit >= t
                          coalesce(k.n_ev, 0) AS n_ev
                     FROM rng r CROSS JOIN LATERAL generate_series(r.lo, r.hi) AS g(t)
                          LEFT JOIN keyed k ON k.key = r.key AND k.t = g.t
                   WINDOW w AS (PARTITION BY r.key ORDER BY g.t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
         cum AS (SELECT dense.*,
                        sum(CASE WHEN dense.n_ev > 0 AND dense.n_ev < dense.n_risk
                                 THEN ln(1 - dense.n_ev::double precision / dense.n_risk) ELSE 0 END)
                            OVER (PARTITION BY dense.key ORDER BY dense.t) AS f,
                        sum(CASE WHEN dense.n_ev > 0 AND dense.n_ev >= dense.n_risk THEN 1 ELSE 0 END)
                            OVER (PARTITION BY dense.key ORDER BY dense.t)::double precision AS z
                   FROM dense),
         km AS MATERIALIZED (SELECT cum.key, min(cum.lvl) AS lvl, min(cum.lo) AS lo,
                       array_agg(cum.f ORDER BY cum.t) AS f, array_agg(cum.z ORDER BY cum.t) AS z,
                       array_agg(cum.n_risk ORDER BY cum.t) AS n
                  FROM cum GROUP BY cum.key),
         -- the open invoices, their clock day at as_of and their current state
         cur AS (SELECT DISTINCT ON (st.case_id) st.case_id, st.state
                   FROM st JOIN s ON s.case_id = st.case_id AND s.status = 'open'
                  ORDER BY st.case_id, st.changed_on DESC),
         op AS MATERIALIZED (
                SELECT s.case_id, s.group_value, s.currency, s.open_amount, s.due_date, s.as_of_date,
                       s.as_of_date - s.origin AS a, coalesce(cur.state, init_state) AS state,
                       quote_nullable(s.group_value) || ' ' || coalesce(cur.state, init_state) AS k1
                  FROM s LEFT JOIN cur ON cur.case_id = s.case_id
                 WHERE s.status = 'open'),
         -- the finest stratum with enough support on the next clock day, once per (group, state, day)
         pick AS MATERIALIZED (SELECT o.k1, o.state, o.a, m.key, m.lvl, m.n[o.a + 1 - m.lo + 1] AS sup
                    FROM (SELECT DISTINCT op.k1, op.state, op.a FROM op) o
                         CROSS JOIN LATERAL (
                         SELECT km.* FROM km
                          WHERE km.key IN (o.k1, o.state, '')
                            AND (km.lvl = 3
                                 OR (km.n[o.a + 1 - km.lo + 1] >= ms AND (km.lvl = 2 OR grouped)))
                          ORDER BY km.lvl LIMIT 1) m),
         -- each distinct (stratum, clock day): conditional survival at the week ends, median day
         pairs AS (SELECT DISTINCT pick.key, pick.a FROM pick),
         curve AS MATERIALIZED (
                SELECT pairs.key, pairs.a,
                       ARRAY(SELECT CASE WHEN collmine._km_at(km.z, km.lo, pairs.a + 7 * w) > collmine._km_at(km.z, km.lo, pairs.a)
                                         THEN 0::double precision
                                         ELSE exp(collmine._km_at(km.f, km.lo, pairs.a + 7 * w) - collmine._km_at(km.f, km.lo, pairs.a)) END
                               FROM generate_series(0, hz) AS w ORDER BY w) AS surv,
                       collmine._km_first_day_at_most(km.f, km.z, km.lo, pairs.a, 0.5) AS med
                  FROM pairs JOIN km ON km.key = pairs.key)
    SELECT o.case_id, o.group_value, o.currency, o.open_amount, o.due_date, o.a, o.state,
           CASE p.lvl WHEN 1 THEN coalesce(o.group_value, '(none)') || ' / ' || o.state
                      WHEN 2 THEN o.state ELSE 'all invoices' END,
           p.lvl, coalesce(p.sup, 0)::bigint,
           ARRAY(SELECT c.surv[w] - c.surv[w + 1] FROM generate_series(1, hz) AS w ORDER BY w),
           CASE WHEN hz >= 4 THEN 1 - c.surv[5] END,
           1 - c.surv[hz + 1],
           o.as_of_date + (c.med - o.a),
           o.as_of_date
      FROM op o JOIN pick p ON p.k1 = o.k1 AND p.a = o.a
                JOIN curve c ON c.key = p.key AND c.a = p.a
     ORDER BY o.case_id;
END
$$;

-- Expected collections per week of the horizon, per group and currency, with an 80% interval:
-- each open invoice pays its open amount A in week w with probability p_w (payment_forecast),
-- independently of the others, so the week's total has mean sum(A p_w) and variance
-- sum(A^2 p_w (1 - p_w)); the interval is mean -/+ 1.2816 standard deviations (normal
-- approximation), the lower bound never below 0.
CREATE FUNCTION collmine.cash_forecast(log_schema name, as_of date DEFAULT NULL,
                                       horizon_weeks integer DEFAULT 13, group_by text DEFAULT NULL,
                                       min_support integer DEFAULT 30)
RETURNS TABLE (
    group_value text, currency text, week integer, week_start date, week_end date,
    open_invoices bigint, open_amount numeric, expected_cash numeric, low_80 numeric, high_80 numeric,
    as_of_date date)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 100
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT f.group_value, f.currency, w.w::integer,
           min(f.as_of_date) + 7 * (w.w::integer - 1) + 1, min(f.as_of_date) + 7 * w.w::integer,
           count(*), sum(f.open_amount),
           sum(f.open_amount * w.p::numeric),
           greatest(sum(f.open_amount * w.p::numeric)
                    - 1.2815515655446004 * sqrt(sum(f.open_amount ^ 2 * (w.p * (1 - w.p))::numeric)), 0),
           sum(f.open_amount * w.p::numeric)
                    + 1.2815515655446004 * sqrt(sum(f.open_amount ^ 2 * (w.p * (1 - w.p))::numeric)),
           min(f.as_of_date)
      FROM collmine.payment_forecast(log_schema, as_of, horizon_weeks, group_by, min_support) f
           CROSS JOIN LATERAL unnest(f.p_week) WITH ORDINALITY AS w(p, w)
     WHERE f.open_amount > 0
     GROUP BY f.group_value, f.currency, w.w
     ORDER BY f.group_value, f.currency, w.w
$$;

-- The backtest's raw material: for each month-end in [first_as_of, last_as_of], every invoice
-- open then with an open amount, the weekly payment probabilities of three methods (the
-- Kaplan-Meier forecast, "pays on its due date", "pays its customer's average days late after
-- the due date"; a date already past counts as the first day after the as-of date), and what
-- happened: the week it was settled in (NULL: not within the horizon) and how many whole weeks
-- of the horizon the log covers.
CREATE FUNCTION collmine._forecast_backtest_rows(log_schema name, first_as_of date, last_as_of date,
                                                 horizon_weeks integer, group_by text, min_support integer)
RETURNS TABLE (as_of_date date, case_id text, currency text, open_amount numeric, method text,
               p_week double precision[], actual_week integer, weeks_observed integer)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    hz integer := horizon_weeks;
BEGIN
    PERFORM collmine._check_period(first_as_of, last_as_of);
    PERFORM collmine._check_forecast_args(log_schema, hz, group_by, min_support);
    PERFORM collmine._group_expr(log_schema, 'customer_id');
    RETURN QUERY
    WITH fin AS MATERIALIZED (SELECT x.case_id, x.group_value AS customer_id, x.invoice_date,
                                     x.settled_at::date AS settled_on, x.as_of_date
                                FROM collmine.invoice_snapshot(log_schema, NULL, 'customer_id') x),
         last_day AS (SELECT max(fin.as_of_date) AS d FROM fin),
         ends AS (SELECT (m + interval '1 month')::date - 1 AS d
                    FROM generate_series(date_trunc('month', first_as_of::timestamp),
                                         last_as_of::timestamp, interval '1 month') AS m
                   WHERE (m + interval '1 month')::date - 1 BETWEEN first_as_of AND last_as_of),
         fc AS MATERIALIZED (
                SELECT f.* FROM ends CROSS JOIN LATERAL
                       collmine.payment_forecast(log_schema, ends.d, hz, group_by, min_support) f
                 WHERE f.open_amount > 0),
         -- each customer's average days late (payment_behaviour) by the as-of date, else the
         -- currency's, else 0
         cust AS MATERIALIZED (
                SELECT ends.d, b.group_value AS customer_id, b.currency, b.avg_days_late
                  FROM ends CROSS JOIN LATERAL collmine.payment_behaviour(log_schema, '-infinity', ends.d, 'customer_id') b),
         allc AS MATERIALIZED (
                SELECT ends.d, b.currency, b.avg_days_late
                  FROM ends CROSS JOIN LATERAL collmine.payment_behaviour(log_schema, '-infinity', ends.d) b),
         base AS (SELECT fc.as_of_date, fc.case_id, fc.currency, fc.open_amount, fc.p_week,
                         coalesce(fc.due_date, fin.invoice_date) AS due,
                         coalesce(round(cust.avg_days_late), round(allc.avg_days_late), 0)::integer AS late,
                         CASE WHEN fin.settled_on > fc.as_of_date AND fin.settled_on <= fc.as_of_date + 7 * hz
                              THEN (fin.settled_on - fc.as_of_date - 1) / 7 + 1 END AS actual_week,
                         least(hz, greatest((last_day.d - fc.as_of_date) / 7, 0)) AS weeks_observed
                    FROM fc CROSS JOIN last_day
                         JOIN fin ON fin.case_id = fc.case_id
                         LEFT JOIN cust ON cust.d = fc.as_of_date AND cust.customer_id IS NOT DISTINCT FROM fin.customer_id
                                       AND cust.currency IS NOT DISTINCT FROM fc.currency
                         LEFT JOIN allc ON allc.d = fc.as_of_date AND allc.currency IS NOT DISTINCT FROM fc.currency)
    SELECT b.as_of_date, b.case_id, b.currency, b.open_amount, m.method,
           CASE m.method WHEN 'forecast' THEN b.p_week
                ELSE ARRAY(SELECT (w = (greatest(m.day, b.as_of_date + 1) - b.as_of_date - 1) / 7 + 1)::integer::double precision
                             FROM generate_series(1, hz) AS w ORDER BY w) END,
           b.actual_week, b.weeks_observed
      FROM base b
           CROSS JOIN LATERAL (VALUES ('forecast', NULL::date), ('due date', b.due),
                                      ('customer average days late', b.due + b.late)) AS m(method, day);
END
$$;

-- Backtest of the weekly cash forecast: for each month-end in [first_as_of, last_as_of],
-- forecast from that date and compare with what the log shows happened, per method, currency
-- and week of the horizon (and all weeks together, week NULL). Only weeks the log covers
-- entirely are compared. WAPE = sum |forecast - actual| / sum actual over the month-ends.
CREATE FUNCTION collmine.forecast_backtest(log_schema name, first_as_of date, last_as_of date,
                                           horizon_weeks integer DEFAULT 13, group_by text DEFAULT NULL,
                                           min_support integer DEFAULT 30)
RETURNS TABLE (method text, currency text, week integer, as_of_dates bigint, actual_cash numeric,
               forecast_cash numeric, abs_error numeric, wape numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 100
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    WITH cells AS (
        SELECT r.method, r.currency, r.as_of_date, w.w::integer AS week,
               sum(r.open_amount * w.p::numeric) AS fc,
               coalesce(sum(r.open_amount) FILTER (WHERE r.actual_week = w.w), 0) AS act
          FROM collmine._forecast_backtest_rows(log_schema, first_as_of, last_as_of, horizon_weeks, group_by, min_support) r
               CROSS JOIN LATERAL unnest(r.p_week) WITH ORDINALITY AS w(p, w)
         WHERE w.w <= r.weeks_observed
         GROUP BY r.method, r.currency, r.as_of_date, w.w)
    SELECT c.method, c.currency, c.week, count(DISTINCT c.as_of_date), sum(c.act), sum(c.fc),
           sum(abs(c.fc - c.act)), sum(abs(c.fc - c.act)) / nullif(sum(c.act), 0)
      FROM cells c
     GROUP BY GROUPING SETS ((c.method, c.currency, c.week), (c.method, c.currency))
     ORDER BY c.currency, c.week NULLS LAST, c.method
$$;

-- Calibration of the probability of being paid within 4 weeks, per method: the predictions
-- of the month-end backtest (as forecast_backtest) in ten bins of width 0.1, with the mean
-- predicted probability, the observed share paid and the Brier score; bin NULL is all of them.
CREATE FUNCTION collmine.forecast_calibration(log_schema name, first_as_of date, last_as_of date,
                                              group_by text DEFAULT NULL, min_support integer DEFAULT 30)
RETURNS TABLE (method text, bin integer, p_low numeric, p_high numeric, predictions bigint,
               mean_predicted numeric, observed_rate numeric, brier numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY INVOKER ROWS 40
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    WITH p AS (
        SELECT r.method,
               least(floor(p4.p * 10)::integer, 9) + 1 AS bin, p4.p,
               (r.actual_week <= 4)::integer AS y
          FROM collmine._forecast_backtest_rows(log_schema, first_as_of, last_as_of, 4, group_by, min_support) r
               CROSS JOIN LATERAL (SELECT least(greatest(r.p_week[1] + r.p_week[2] + r.p_week[3] + r.p_week[4], 0), 1)::numeric AS p) p4
         WHERE r.weeks_observed >= 4)
    SELECT p.method, p.bin, (p.bin - 1) / 10.0, p.bin / 10.0, count(*), avg(p.p), avg(coalesce(p.y, 0)),
           avg((p.p - coalesce(p.y, 0)) ^ 2)
      FROM p
     GROUP BY GROUPING SETS ((p.method, p.bin), (p.method))
     ORDER BY p.method, p.bin NULLS LAST
$$;

-- Create the cash forecast dashboard over the log in log_schema, in target_schema (created if
-- missing): the view cash_forecast (next 13 weeks of expected cash per segment and currency,
-- security_invoker so that the log is read with the querying user's rights) and, unless
-- materialized => false, cash_forecast_mv with the unique index cash_forecast_mv_key for
-- REFRESH MATERIALIZED VIEW CONCURRENTLY. Returns the names of the relations created.
CREATE FUNCTION collmine.create_forecast_dashboard(log_schema name, target_schema name,
                                                   materialized boolean DEFAULT true,
                                                   replace boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    r record;
    opts text := CASE WHEN current_setting('server_version_num')::integer >= 150000
                      THEN ' WITH (security_invoker = true)' ELSE '' END;
BEGIN
    PERFORM collmine._check_log(log_schema);
    PERFORM collmine._group_expr(log_schema, 'segment');
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the schema for the dashboard view, e.g. collmine.create_forecast_dashboard(''erp_log'', ''dash'').';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
    END IF;
    -- never touch a user's relation that merely carries one of the names
    FOR r IN SELECT c.relname::text AS name, c.relkind::text AS kind
               FROM pg_class c
              WHERE c.relnamespace OPERATOR(pg_catalog.=) to_regnamespace(quote_ident(target_schema))
                AND c.relname::text OPERATOR(pg_catalog.=) ANY (ARRAY['cash_forecast', 'cash_forecast_mv'])
    LOOP
        IF (r.name, r.kind) NOT IN (('cash_forecast', 'v'), ('cash_forecast_mv', 'm')) THEN
            RAISE EXCEPTION 'relation "%.%" already exists and is not a collmine dashboard view', target_schema, r.name
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Use another target schema; create_forecast_dashboard never drops tables or other relations.';
        ELSIF NOT replace THEN
            RAISE EXCEPTION 'relation "%.%" already exists', target_schema, r.name
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Pass replace => true to recreate the dashboard, or use another target schema.';
        END IF;
    END LOOP;
    IF to_regclass(format('%I.cash_forecast_mv', target_schema)) IS NOT NULL THEN
        EXECUTE format('DROP MATERIALIZED VIEW %I.cash_forecast_mv', target_schema);
    END IF;
    IF to_regclass(format('%I.cash_forecast', target_schema)) IS NOT NULL THEN
        EXECUTE format('DROP VIEW %I.cash_forecast', target_schema);
    END IF;
    EXECUTE format($v$CREATE VIEW %1$I.cash_forecast%3$s AS
SELECT coalesce(f.group_value, '(none)')::text AS segment,
       coalesce(f.currency, '(none)')::text AS currency,
       f.week::integer AS week,
       f.week_start::date AS week_start,
       f.week_end::date AS week_end,
       f.open_invoices::bigint AS open_invoices,
       f.open_amount::numeric AS open_amount,
       round(f.expected_cash, 2)::numeric AS expected_cash,
       round(f.low_80, 2)::numeric AS low_80,
       round(f.high_80, 2)::numeric AS high_80,
       f.as_of_date::date AS as_of_date
  FROM collmine.cash_forecast(%2$L, NULL, 13, 'segment') f$v$, target_schema, log_schema::text, opts);
    EXECUTE format('COMMENT ON VIEW %I.cash_forecast IS %L', target_schema,
                   'Cash forecast: expected collections in each of the next 13 weeks per segment and currency, with an 80% interval (collmine dashboard over ' || log_schema || ')');
    RETURN NEXT format('%I.cash_forecast', target_schema);
    IF materialized THEN
        EXECUTE format('CREATE MATERIALIZED VIEW %I.cash_forecast_mv AS SELECT * FROM %I.cash_forecast', target_schema, target_schema);
        EXECUTE format('CREATE UNIQUE INDEX cash_forecast_mv_key ON %I.cash_forecast_mv (segment, currency, week)', target_schema);
        EXECUTE format('COMMENT ON MATERIALIZED VIEW %I.cash_forecast_mv IS %L', target_schema,
                       'materialized cash forecast (refresh with REFRESH MATERIALIZED VIEW CONCURRENTLY)');
        RETURN NEXT format('%I.cash_forecast_mv', target_schema);
    END IF;
END
$$;

COMMENT ON FUNCTION collmine.payment_forecast(name, date, integer, text, integer) IS
    'For every invoice open at the end of as_of: probability of being settled in each week of the horizon, by Kaplan-Meier survival per stratum (group x process state, with fallback), learned only from events by as_of';
COMMENT ON FUNCTION collmine.cash_forecast(name, date, integer, text, integer) IS
    'Expected collections per week, group and currency from payment_forecast, with an 80% interval (normal approximation of a sum of independent payments)';
COMMENT ON FUNCTION collmine.forecast_backtest(name, date, date, integer, text, integer) IS
    'Backtest of the weekly cash forecast from each month-end in a range against what happened, with two naive baselines (due date, customer average days late): WAPE per currency and week';
COMMENT ON FUNCTION collmine.forecast_calibration(name, date, date, text, integer) IS
    'Calibration and Brier score of the probability of being paid within 4 weeks, from each month-end in a range, for the forecast and two naive baselines';
COMMENT ON FUNCTION collmine.create_forecast_dashboard(name, name, boolean, boolean) IS
    'Creates the cash_forecast dashboard view (next 13 weeks per segment and currency, security_invoker) and its materialized variant in a schema';
