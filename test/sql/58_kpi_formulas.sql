-- 58_kpi_formulas: the KPI functions agree with plain SQL written here from the formulas of
-- docs/kpis.md (issue 11.2), on the hand-made log (test/sql/50_kpi_log.inc) and on the bundled
-- NetSuite sample (test/data/erp/sample) built by the connector. The plain SQL reads the events
-- and invoices tables directly, by the template's activity names, and shares no code with the
-- functions (not invoice_snapshot, not invoice_facts). Each line prints the KPI, the log, the
-- period and 'same (n rows)' or the number of rows that differ; values are compared rounded to
-- 6 decimals.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set ECHO none
\set QUIET on
\set log f_hand
\i test/sql/50_kpi_log.inc
\i test/data/erp/load-netsuite-sample.psql
\set QUIET off
\set ECHO all
SET client_min_messages = warning;
SET timezone = 'UTC';

-- Per invoice and date D, from docs/kpis.md "Conventions": existence, open amount at D
-- (0 once settled or written off by D, else amount - paid - credited, never below 0, paid =
-- the greater of the received and the posted sums by D), status at D, days past due.
CREATE FUNCTION pg_temp.state(sch text, d date)
RETURNS TABLE (case_id text, currency text, amount numeric, invoice_date date, due_date date,
               terms_days integer, settled_at timestamptz, woff_at timestamptz, open_amt numeric,
               status text, dpd integer, first_dun timestamptz, last_recv timestamptz, woff_value numeric)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT i.case_id, i.currency, i.amount, coalesce(i.invoice_date, g.gen::date), i.due_date, i.terms_days,
               g.st, g.wo,
               CASE WHEN g.st IS NOT NULL OR g.wo IS NOT NULL THEN 0
                    ELSE greatest(i.amount - greatest(coalesce(g.recv, 0), coalesce(g.post, 0)) - coalesce(g.cred, 0), 0) END,
               CASE WHEN g.wo IS NOT NULL THEN 'written_off' WHEN g.st IS NOT NULL THEN 'settled' ELSE 'open' END,
               $1 - i.due_date, g.dun, g.lr,
               -- written off: the write-off events' amounts, else the balance open then
               CASE WHEN g.wo IS NOT NULL
                    THEN coalesce(g.woamt, greatest(i.amount - greatest(coalesce(g.recv, 0), coalesce(g.post, 0)) - coalesce(g.cred, 0), 0)) END
          FROM %1$I.invoices i
          LEFT JOIN (SELECT e.case_id,
                            min(e.ts) FILTER (WHERE e.activity = 'Invoice Generated') AS gen,
                            min(e.ts) FILTER (WHERE e.activity = 'Invoice Settled') AS st,
                            min(e.ts) FILTER (WHERE e.activity = 'Invoice Written Off') AS wo,
                            sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Received') AS recv,
                            sum(abs(e.amount)) FILTER (WHERE e.activity = 'Payment Posted') AS post,
                            sum(abs(e.amount)) FILTER (WHERE e.activity = 'Credit Memo Issued') AS cred,
                            min(e.ts) FILTER (WHERE e.activity IN ('Dunning Procedure Initiated', 'Overdue Reminder Sent')) AS dun,
                            max(e.ts) FILTER (WHERE e.activity = 'Payment Received') AS lr,
                            sum(abs(e.amount)) FILTER (WHERE e.activity = 'Invoice Written Off') AS woamt
                       FROM %1$I.events e WHERE e.ts < ($1 + 1)::timestamptz GROUP BY e.case_id) g
            ON g.case_id = i.case_id
         WHERE coalesce(i.invoice_date, g.gen::date) <= $1$q$, sch) USING d;
END $$;

-- Compare two queries' rows (numbers rounded to 6 decimals by the queries themselves).
CREATE FUNCTION pg_temp.same(kpi text, plain text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint; d1 bigint; d2 bigint;
BEGIN
    EXECUTE format('CREATE TEMP TABLE qa AS SELECT x::text AS r FROM (%s) x', kpi);
    EXECUTE format('CREATE TEMP TABLE qb AS SELECT x::text AS r FROM (%s) x', plain);
    SELECT count(*) INTO n FROM qa;
    SELECT count(*) INTO d1 FROM (TABLE qa EXCEPT ALL TABLE qb) x;
    SELECT count(*) INTO d2 FROM (TABLE qb EXCEPT ALL TABLE qa) x;
    DROP TABLE qa, qb;
    RETURN CASE WHEN d1 = 0 AND d2 = 0 THEN format('same (%s rows)', n)
                ELSE format('DIFFERENT: %s function rows not in plain SQL, %s the other way', d1, d2) END;
END $$;

CREATE TEMP TABLE cases (sch text, p0 date, p1 date);
INSERT INTO cases VALUES ('f_hand', '2024-01-01', '2024-01-31'), ('f_hand', '2023-10-01', '2024-02-29'),
                         ('erp', '2024-07-01', '2024-09-30'), ('erp', '2025-01-01', '2025-01-31'),
                         ('erp', '2024-01-01', '2025-06-30');

-- aging at p1: buckets of the open amount by days past due (current <= 0, 1-30, 31-60, 61-90, over 90)
SELECT c.sch, c.p1, pg_temp.same(
  format($k$SELECT currency, open_invoices, round(total_open, 6), round(current_amount, 6), round(past_due_1_30, 6),
                   round(past_due_31_60, 6), round(past_due_61_90, 6), round(past_due_over_90, 6)
              FROM collmine.aging(%L, %L)$k$, c.sch, c.p1),
  format($p$SELECT currency, count(*), round(sum(open_amt), 6),
                   round(coalesce(sum(open_amt) FILTER (WHERE due_date IS NULL OR dpd <= 0), 0), 6),
                   round(coalesce(sum(open_amt) FILTER (WHERE dpd BETWEEN 1 AND 30), 0), 6),
                   round(coalesce(sum(open_amt) FILTER (WHERE dpd BETWEEN 31 AND 60), 0), 6),
                   round(coalesce(sum(open_amt) FILTER (WHERE dpd BETWEEN 61 AND 90), 0), 6),
                   round(coalesce(sum(open_amt) FILTER (WHERE dpd > 90), 0), 6)
              FROM pg_temp.state(%L, %L) WHERE open_amt > 0 GROUP BY currency$p$, c.sch, c.p1)) AS aging
  FROM cases c ORDER BY 1, 2;

-- DSO = ending AR / credit sales x days; Best Possible DSO = current AR / sales x days;
-- ADD = DSO - BPDSO; CEI = (beginning AR + sales/N - ending AR) / (beginning AR + sales/N -
-- ending current AR) x 100, N = max(1, round(days / 30.4375))
SELECT c.sch, c.p0, c.p1, pg_temp.same(
  format($k$SELECT currency, round(beginning_ar, 6), round(ending_ar, 6), round(ending_current_ar, 6), invoices_generated,
                   round(credit_sales, 6), round(dso, 6), round(best_possible_dso, 6), round(average_days_delinquent, 6), round(cei, 6)
              FROM collmine.receivables_kpis(%L, %L, %L)$k$, c.sch, c.p0, c.p1),
  format($p$WITH e AS (SELECT * FROM pg_temp.state(%1$L, %3$L)), b AS (SELECT * FROM pg_temp.state(%1$L, %2$L::date - 1)),
                 k AS (SELECT cur, coalesce((SELECT sum(open_amt) FROM b WHERE b.currency = cur), 0) AS bar,
                              coalesce((SELECT sum(open_amt) FROM e WHERE e.currency = cur), 0) AS ear,
                              coalesce((SELECT sum(open_amt) FROM e WHERE e.currency = cur AND (e.due_date IS NULL OR e.dpd <= 0)), 0) AS car,
                              (SELECT count(*) FROM e WHERE e.currency = cur AND e.invoice_date >= %2$L) AS n,
                              coalesce((SELECT sum(amount) FROM e WHERE e.currency = cur AND e.invoice_date >= %2$L), 0) AS sales,
                              %3$L::date - %2$L::date + 1 AS days,
                              greatest(1, round((%3$L::date - %2$L::date + 1) / 30.4375)) AS nm
                         FROM (SELECT DISTINCT currency AS cur FROM e UNION SELECT DISTINCT currency FROM b) x)
            SELECT cur, round(bar, 6), round(ear, 6), round(car, 6), n, round(sales, 6),
                   round(ear / nullif(sales, 0) * days, 6), round(car / nullif(sales, 0) * days, 6),
                   round((ear - car) / nullif(sales, 0) * days, 6),
                   round((bar + sales / nm - ear) / nullif(bar + sales / nm - car, 0) * 100, 6)
              FROM k$p$, c.sch, c.p0, c.p1)) AS receivables
  FROM cases c ORDER BY 1, 2, 3;

-- many periods in one call (_receivables_kpis_periods, the overview's pass): the AR at each
-- period's start - 1 and end and the current AR at its end, per currency, for every month of
-- the NetSuite sample and every single day of the hand-made log (so that payments fall before,
-- on and between many boundaries), against the plain-SQL state at each date
CREATE TEMP TABLE many AS
SELECT 'erp'::text AS sch, m::date AS s, (m + interval '1 month')::date - 1 AS e
  FROM generate_series('2023-11-01'::date, '2025-07-01', '1 month') m
UNION ALL
SELECT 'f_hand', d::date, d::date FROM generate_series('2023-09-25'::date, '2024-04-05', '1 day') d;
SELECT m.sch, count(*) AS periods, pg_temp.same(
  format($k$SELECT period_start, currency, round(beginning_ar, 6), round(ending_ar, 6), round(ending_current_ar, 6)
              FROM collmine._receivables_kpis_periods(%L, %L::date[], %L::date[])$k$,
         m.sch, array_agg(m.s ORDER BY m.s), array_agg(m.e ORDER BY m.s)),
  string_agg(format($p$SELECT %2$L::date, cur,
                   round(coalesce((SELECT sum(open_amt) FROM pg_temp.state(%1$L, %2$L::date - 1) b WHERE b.currency = cur), 0), 6),
                   round(coalesce(sum(e.open_amt), 0), 6),
                   round(coalesce(sum(e.open_amt) FILTER (WHERE e.due_date IS NULL OR e.dpd <= 0), 0), 6)
              FROM (SELECT DISTINCT i.currency AS cur FROM %1$I.invoices i
                     WHERE coalesce(i.invoice_date, (SELECT min(x.ts)::date FROM %1$I.events x WHERE x.case_id = i.case_id
                                                       AND x.activity = 'Invoice Generated')) <= %3$L) c
              LEFT JOIN pg_temp.state(%1$L, %3$L) e ON e.currency = cur
             GROUP BY cur$p$, m.sch, m.s, m.e), ' UNION ALL ')) AS receivables_many
  FROM many m GROUP BY m.sch ORDER BY 1;

-- payment behaviour over the invoices settled in the period, at the pay date (the last Payment
-- Received, or the settlement without one): days to pay, days late (plain, amount-weighted),
-- signed days from due, paid on time = pay date <= due date
SELECT c.sch, c.p0, c.p1, pg_temp.same(
  format($k$SELECT currency, settled_invoices, round(avg_days_to_pay, 6), round(avg_days_late, 6),
                   round(avg_days_late_weighted, 6), round(avg_days_from_due, 6), paid_on_time, round(on_time_rate, 6)
              FROM collmine.payment_behaviour(%L, %L, %L)$k$, c.sch, c.p0, c.p1),
  format($p$WITH s AS (SELECT *, coalesce(last_recv, settled_at)::date AS pd FROM pg_temp.state(%1$L, %3$L)
                        WHERE status = 'settled' AND settled_at::date >= %2$L)
            SELECT currency, count(*), round(avg(pd - invoice_date), 6),
                   round(avg(greatest(pd - due_date, 0)) FILTER (WHERE due_date IS NOT NULL), 6),
                   round(sum(amount * greatest(pd - due_date, 0)) FILTER (WHERE due_date IS NOT NULL)
                         / nullif(sum(amount) FILTER (WHERE due_date IS NOT NULL), 0), 6),
                   round(avg(pd - due_date), 6),
                   count(*) FILTER (WHERE pd <= due_date),
                   round((count(*) FILTER (WHERE pd <= due_date))::numeric / nullif(count(due_date), 0), 6)
              FROM s GROUP BY currency$p$, c.sch, c.p0, c.p1)) AS payment_behaviour
  FROM cases c ORDER BY 1, 2, 3;

-- write-offs: closed (settled or written off) in the period; rate by count and by value; bad
-- debt = written-off amount / credit sales (rows for currencies with closings or sales); the
-- written-off amount is the write-off events' amounts, else the balance open then
SELECT c.sch, c.p0, c.p1, pg_temp.same(
  format($k$SELECT currency, closed_invoices, round(closed_amount, 6), written_off_invoices,
                   round(written_off_amount, 6), round(write_off_rate_by_count, 6), round(write_off_rate_by_value, 6),
                   round(credit_sales, 6), round(bad_debt_ratio, 6)
              FROM collmine.write_off_rate(%L, %L, %L)$k$, c.sch, c.p0, c.p1),
  format($p$WITH s AS (SELECT *, coalesce(woff_at, settled_at)::date AS closed_on FROM pg_temp.state(%1$L, %3$L))
            SELECT currency, count(*) FILTER (WHERE closed_on >= %2$L),
                   round(coalesce(sum(amount) FILTER (WHERE closed_on >= %2$L), 0), 6),
                   count(*) FILTER (WHERE status = 'written_off' AND closed_on >= %2$L),
                   round(coalesce(sum(woff_value) FILTER (WHERE closed_on >= %2$L), 0), 6),
                   round((count(*) FILTER (WHERE status = 'written_off' AND closed_on >= %2$L))::numeric
                         / nullif(count(*) FILTER (WHERE closed_on >= %2$L), 0), 6),
                   round(coalesce(sum(woff_value) FILTER (WHERE closed_on >= %2$L), 0)
                         / nullif(sum(amount) FILTER (WHERE closed_on >= %2$L), 0), 6),
                   round(coalesce(sum(amount) FILTER (WHERE invoice_date >= %2$L), 0), 6),
                   round(coalesce(sum(woff_value) FILTER (WHERE closed_on >= %2$L), 0)
                         / nullif(sum(amount) FILTER (WHERE invoice_date >= %2$L), 0), 6)
              FROM s GROUP BY currency
            HAVING count(*) FILTER (WHERE closed_on >= %2$L) > 0 OR count(*) FILTER (WHERE invoice_date >= %2$L) > 0$p$,
         c.sch, c.p0, c.p1)) AS write_offs
  FROM cases c ORDER BY 1, 2, 3;

-- dunning adherence (grace 7 days): open at the end of due date + 7 (in the period); dunned in
-- time when the first dunning or reminder came by the end of that day
SELECT c.sch, c.p0, c.p1, pg_temp.same(
  format($k$SELECT dunning_due, dunned_in_time, round(adherence_rate, 6), dunned_late, not_dunned
              FROM collmine.dunning_adherence(%L, %L, %L)$k$, c.sch, c.p0, c.p1),
  format($p$WITH s AS (SELECT *, (due_date + 8)::timestamptz AS dl FROM pg_temp.state(%1$L, %3$L)
                        WHERE due_date + 7 BETWEEN %2$L AND %3$L
                          AND (settled_at IS NULL OR settled_at >= (due_date + 8)::timestamptz)
                          AND (woff_at IS NULL OR woff_at >= (due_date + 8)::timestamptz))
            SELECT count(*), count(*) FILTER (WHERE first_dun < dl),
                   round((count(*) FILTER (WHERE first_dun < dl))::numeric / count(*), 6),
                   count(*) FILTER (WHERE first_dun >= dl), count(*) FILTER (WHERE first_dun IS NULL)
              FROM s HAVING count(*) > 0$p$, c.sch, c.p0, c.p1)) AS dunning
  FROM cases c ORDER BY 1, 2, 3;

-- cycle time and posting lag: the k-th start paired with the k-th end in (ts, ord) order,
-- completed in the period: count and mean in days
SELECT c.sch, c.p0, c.p1, x.fn, x.a, x.b, pg_temp.same(
  format($k$SELECT completed, round(avg_days, 6) FROM collmine.%s(%L, %L, %L) WHERE completed > 0$k$, x.fn, c.sch, c.p0, c.p1),
  format($p$WITH s AS (SELECT case_id, ts, row_number() OVER (PARTITION BY case_id ORDER BY ts, ord) AS k
                         FROM %1$I.events WHERE activity = %4$L),
                 f AS (SELECT case_id, ts, row_number() OVER (PARTITION BY case_id ORDER BY ts, ord) AS k
                         FROM %1$I.events WHERE activity = %5$L),
                 p AS (SELECT extract(epoch FROM f.ts - s.ts)::numeric / 86400 AS days FROM s JOIN f USING (case_id, k)
                        WHERE f.ts >= %2$L::timestamptz AND f.ts < (%3$L::date + 1)::timestamptz)
            SELECT count(*), round(avg(days), 6) FROM p HAVING count(*) > 0$p$, c.sch, c.p0, c.p1, x.a, x.b)) AS durations
  FROM cases c CROSS JOIN (VALUES ('cycle_time', 'Invoice Generated', 'Invoice Settled'),
                                  ('posting_lag', 'Payment Received', 'Payment Posted')) x(fn, a, b)
 ORDER BY 1, 2, 3, 4;

-- the facts per invoice: paid on time and days late at the pay date, cycle time, posting lag
SELECT c.sch, pg_temp.same(
  format($k$SELECT case_id, status, paid_on_time, days_late, cycle_time FROM collmine.invoice_facts(%L, '2025-06-30')$k$, c.sch),
  format($p$SELECT s.case_id, s.status,
                   CASE s.status WHEN 'settled' THEN coalesce(s.last_recv, s.settled_at)::date <= s.due_date
                                 WHEN 'written_off' THEN false END,
                   CASE WHEN s.status = 'settled' AND s.due_date IS NOT NULL
                        THEN greatest(coalesce(s.last_recv, s.settled_at)::date - s.due_date, 0) END,
                   s.settled_at - (SELECT min(e.ts) FROM %1$I.events e WHERE e.case_id = s.case_id AND e.activity = 'Invoice Generated')
              FROM pg_temp.state(%1$L, '2025-06-30') s$p$, c.sch)) AS facts
  FROM (SELECT DISTINCT sch FROM cases) c ORDER BY 1;

DROP SCHEMA f_hand, erp CASCADE;
