-- 56_paid_on_time: one definition of "paid on time" (issue 11.2). collmine._paid_on_time is the
-- only place that decides it (when the invoice counts as paid: collmine._paid_at); the
-- connectors' invoices.paid_on_time, collmine.invoice_facts and through it the KPI
-- payment_behaviour call it. By default it is the data template's reading (the last Payment
-- Received on or before the due date), by the named option the settlement. Hand-made cases for
-- the rule and its time zone, then the bundled NetSuite sample (test/data/erp/sample) built by
-- the connector with each basis: per invoice against the rule written here in plain SQL from
-- docs/kpis.md, and the facts, the KPI and the dashboard against the connector's column. Every
-- comparison prints only its differences.
SET client_min_messages = warning;
SET timezone = 'UTC';

-- The rule, by hand (due date 2024-01-31):
--   settled 2024-01-31 23:59:59 UTC, judged in UTC: on the due date -> on time
--   settled 2024-02-01 00:00:00 UTC, judged in UTC: the day after -> late
--   settled 2024-02-01 04:30:00 UTC = 2024-01-31 23:30 in New York: on time there, late in UTC
--   written off: never on time; open, or settled without a due date: no answer (NULL)
SELECT c.label, collmine._paid_on_time(c.status, c.settled_at, c.due_date, c.tz) AS paid_on_time
  FROM (VALUES ('on the due date', 'settled', '2024-01-31 23:59:59+00'::timestamptz, '2024-01-31'::date, 'UTC'),
               ('the day after', 'settled', '2024-02-01 00:00:00+00', '2024-01-31', 'UTC'),
               ('23:30 in New York', 'settled', '2024-02-01 04:30:00+00', '2024-01-31', 'America/New_York'),
               ('04:30 in UTC', 'settled', '2024-02-01 04:30:00+00', '2024-01-31', 'UTC'),
               ('written off', 'written_off', '2024-01-10 00:00:00+00', '2024-01-31', 'UTC'),
               ('open', 'open', NULL, '2024-01-31', 'UTC'),
               ('no due date', 'settled', '2024-01-10 00:00:00+00', NULL, 'UTC')) c(label, status, settled_at, due_date, tz);
-- The data template's reading, basis 'payment_received': the last Payment Received decides;
-- without one (settled by a credit memo) the settlement does. Due 2024-01-31:
--   received 01-31 18:00, settled 02-02: on time by the template, late by settlement
--   received 02-01 09:00, settled 02-01: late either way
--   no payment, settled 01-20: on time (the settlement)
SELECT c.label, collmine._paid_on_time('settled', c.settled_at, '2024-01-31', 'UTC') AS by_settlement,
       collmine._paid_on_time('settled', c.settled_at, '2024-01-31', 'UTC', 'payment_received', c.received_at) AS by_payment
  FROM (VALUES ('received on the due date', '2024-02-02 10:00+00'::timestamptz, '2024-01-31 18:00+00'::timestamptz),
               ('received the day after', '2024-02-01 12:00+00', '2024-02-01 09:00+00'),
               ('no payment', '2024-01-20 12:00+00', NULL)) c(label, settled_at, received_at);

-- The sample through the connector (build time zone: the default, UTC, as this session), with
-- the default basis, the template's.
\i test/data/erp/load-netsuite-sample.psql
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) AS invoices, count(*) FILTER (WHERE paid_on_time) AS paid_on_time,
       count(*) FILTER (WHERE NOT paid_on_time) AS late_or_written_off, count(*) FILTER (WHERE paid_on_time IS NULL) AS no_answer
  FROM erp.invoices;

-- 1. per invoice: the connector's column equals the template's rule of docs/kpis.md in plain
-- SQL (the last Payment Received, or the settlement when there was none)
SELECT i.case_id, i.status, i.settled_at, i.due_date, i.paid_on_time
  FROM erp.invoices i
  LEFT JOIN (SELECT case_id, max(ts) AS last_received FROM erp.events WHERE activity = 'Payment Received' GROUP BY case_id) r USING (case_id)
 WHERE i.paid_on_time IS DISTINCT FROM
       CASE i.status WHEN 'settled' THEN (coalesce(r.last_received, i.settled_at) AT TIME ZONE 'UTC')::date <= i.due_date
                     WHEN 'written_off' THEN false END;

-- 2. the facts per invoice, and the KPI over the whole log per currency, against the column
SELECT i.case_id, i.paid_on_time AS connector, f.paid_on_time AS facts
  FROM erp.invoices i JOIN collmine.invoice_facts('erp') f USING (case_id)
 WHERE i.paid_on_time IS DISTINCT FROM f.paid_on_time;
WITH kpi AS (SELECT currency, settled_invoices, paid_on_time, on_time_rate
               FROM collmine.payment_behaviour('erp', '1900-01-01', '2100-12-31')),
     col AS (SELECT currency, count(*) AS settled_invoices, count(*) FILTER (WHERE paid_on_time) AS paid_on_time,
                    (count(*) FILTER (WHERE paid_on_time))::numeric / nullif(count(paid_on_time), 0) AS on_time_rate
               FROM erp.invoices WHERE status = 'settled' GROUP BY currency)
SELECT * FROM ((TABLE kpi EXCEPT TABLE col) UNION ALL (TABLE col EXCEPT TABLE kpi)) d;

SELECT sum(settled_invoices) AS settled, sum(paid_on_time) AS paid_on_time
  FROM collmine.payment_behaviour('erp', '1900-01-01', '2100-12-31');

-- Settlement, the named option (the default before 0.2.0): it differs from the template's
-- reading for the settled invoices whose last payment arrived by the due date but that were
-- settled after it (posting lag), or the reverse.
CREATE TEMP TABLE by_payment AS SELECT case_id, paid_on_time FROM erp.invoices;
SELECT count(*) > 0 AS rebuilt FROM collmine.netsuite_build('erp',
    '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2025-06-30T23:59:00Z",
      "paid_on_time": "settled"}');
SELECT count(*) AS changed_by_the_option
  FROM erp.invoices i JOIN by_payment b USING (case_id) WHERE i.paid_on_time IS DISTINCT FROM b.paid_on_time;
-- per invoice: settlement on or before the due date, in plain SQL
SELECT i.case_id, i.status, i.settled_at, i.due_date, i.paid_on_time
  FROM erp.invoices i
 WHERE i.paid_on_time IS DISTINCT FROM
       CASE i.status WHEN 'settled' THEN (i.settled_at AT TIME ZONE 'UTC')::date <= i.due_date
                     WHEN 'written_off' THEN false END;
-- the facts and the KPI with on_time_basis => 'settled' agree with that column
SELECT i.case_id, i.paid_on_time AS connector, f.paid_on_time AS facts
  FROM erp.invoices i JOIN collmine.invoice_facts('erp', on_time_basis => 'settled') f USING (case_id)
 WHERE i.paid_on_time IS DISTINCT FROM f.paid_on_time;
WITH kpi AS (SELECT currency, settled_invoices, paid_on_time, on_time_rate
               FROM collmine.payment_behaviour('erp', '1900-01-01', '2100-12-31', on_time_basis => 'settled')),
     col AS (SELECT currency, count(*) AS settled_invoices, count(*) FILTER (WHERE paid_on_time) AS paid_on_time,
                    (count(*) FILTER (WHERE paid_on_time))::numeric / nullif(count(paid_on_time), 0) AS on_time_rate
               FROM erp.invoices WHERE status = 'settled' GROUP BY currency)
SELECT * FROM ((TABLE kpi EXCEPT TABLE col) UNION ALL (TABLE col EXCEPT TABLE kpi)) d;
SELECT sum(settled_invoices) AS settled, sum(paid_on_time) AS paid_on_time
  FROM collmine.payment_behaviour('erp', '1900-01-01', '2100-12-31', on_time_basis => 'settled');

-- 3. the dashboard (it selects from payment_behaviour, so it judges by the default, the
-- template's basis): on_time_rate per segment and currency, against the connector's column of
-- the default build (kept in by_payment above)
SELECT count(*) > 0 AS dashboards FROM collmine.create_dashboards('erp', 'dash56', materialized => false);
WITH dash AS (SELECT segment, currency, on_time_rate FROM dash56.collection_strategy_by_segment),
     col AS (SELECT coalesce(i.segment, '(none)') AS segment, coalesce(i.currency, '(none)') AS currency,
                    ((count(*) FILTER (WHERE b.paid_on_time))::numeric
                      / nullif(count(*) FILTER (WHERE i.status = 'settled' AND i.due_date IS NOT NULL), 0)) AS on_time_rate
               FROM erp.invoices i JOIN by_payment b USING (case_id) GROUP BY 1, 2)
SELECT * FROM ((TABLE dash EXCEPT TABLE col) UNION ALL (TABLE col EXCEPT TABLE dash)) d;

-- 4. the manual-activity dashboard (invoice_facts, the default basis): invoices settled on time
-- among those without any manual event of their first activity, Invoice Generated (one case
-- each), against the default build's column
WITH m AS (SELECT on_time_rate_with_manual, on_time_rate_without_manual
             FROM dash56.manual_activity_impact WHERE activity = 'Invoice Generated'),
     c AS (SELECT e.case_id, coalesce(bool_or(NOT e.is_automated), false) AS any_manual
             FROM erp.events e WHERE e.activity = 'Invoice Generated' GROUP BY e.case_id),
     col AS (SELECT avg(b.paid_on_time::integer) FILTER (WHERE c.any_manual AND i.status = 'settled') AS with_manual,
                    avg(b.paid_on_time::integer) FILTER (WHERE NOT c.any_manual AND i.status = 'settled') AS without_manual
               FROM c JOIN erp.invoices i USING (case_id) JOIN by_payment b USING (case_id))
SELECT m.*, col.* FROM m, col
 WHERE m.on_time_rate_with_manual IS DISTINCT FROM col.with_manual
    OR m.on_time_rate_without_manual IS DISTINCT FROM col.without_manual;

SELECT round(on_time_rate_with_manual, 4) AS with_manual, round(on_time_rate_without_manual, 4) AS without_manual
  FROM dash56.manual_activity_impact WHERE activity = 'Invoice Generated';
SELECT collmine.drop_dashboards('dash56');

-- any other value is refused, by the connector and by the facts
\set VERBOSITY terse
SELECT * FROM collmine.netsuite_build('erp', '{"paid_on_time": "received"}');
SELECT count(*) FROM collmine.invoice_facts('erp', on_time_basis => 'received');
\set VERBOSITY default

DROP SCHEMA erp CASCADE;
