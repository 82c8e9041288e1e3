-- 50_kpi_dashboards: the dashboard views and their materialized variants over the hand-made log
-- of test/sql/50_kpi_log.inc, their column contract, concurrent refresh, and what DROP
-- EXTENSION does to them. The log's last event is 2024-02-21 09:00, so views are as of 2024-02-21.
\set log kpi_dlog
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off
SET timezone = 'UTC';
\set SHOW_CONTEXT never

SELECT * FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash');
-- the column contract (docs/dashboards/*.md): names and types of every view, in order
SELECT c.table_name, c.ordinal_position AS pos, c.column_name, c.data_type
  FROM information_schema.columns c
 WHERE c.table_schema = 'kpi_dash' AND c.table_name NOT LIKE '%\_mv'
 ORDER BY array_position(collmine.dashboard_names(), c.table_name::text), c.ordinal_position;
-- the materialized variants have the same columns and a unique index
SELECT count(*) AS column_mismatches
  FROM (SELECT table_name, ordinal_position, column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'kpi_dash' AND table_name NOT LIKE '%\_mv') v
  FULL JOIN (SELECT a.attrelid::regclass::text AS mv, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS t
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = 'kpi_dash'::regnamespace AND c.relkind = 'm' AND a.attnum > 0
                AND c.relname NOT IN (SELECT sh.relname FROM collmine._dashboard_shared(NULL) sh)) m
    ON m.mv = 'kpi_dash.' || v.table_name || '_mv' AND m.attnum = v.ordinal_position
 WHERE m.attname IS DISTINCT FROM v.column_name::name
    OR replace(m.t, 'timestamp with time zone', 'timestamptz') IS DISTINCT FROM replace(v.data_type, 'timestamp with time zone', 'timestamptz');
SELECT indexrelid::regclass AS unique_index FROM pg_index
 WHERE indisunique AND indrelid::regclass::text LIKE 'kpi\_dash.%\_mv' ORDER BY 1;
-- the materialized dashboards that need the invoice facts read them from invoice_facts_mv, which
-- holds collmine.invoice_facts of the log (same columns, same rows), and the two process-map
-- dashboards read process_maps_mv, so that refresh_dashboards computes each once; their views
-- compute them
SELECT count(*) AS facts_column_mismatches
  FROM (SELECT a.attnum, a.attname, a.atttypid FROM pg_attribute a
         WHERE a.attrelid = 'kpi_dash.invoice_facts_mv'::regclass AND a.attnum > 0) m
  FULL JOIN (SELECT n AS attnum, p.proargnames[p.pronargs + n] AS attname, p.proallargtypes[p.pronargs + n] AS atttypid
               FROM pg_proc p CROSS JOIN generate_series(1, cardinality(p.proallargtypes) - p.pronargs) n
              WHERE p.oid = 'collmine.invoice_facts(name, date, text, text)'::regprocedure) f
    ON f.attnum = m.attnum
 WHERE m.attname IS DISTINCT FROM f.attname OR m.atttypid IS DISTINCT FROM f.atttypid;
SELECT (SELECT count(*) FROM (SELECT * FROM kpi_dash.invoice_facts_mv EXCEPT ALL SELECT * FROM collmine.invoice_facts('kpi_dlog')) x)
     + (SELECT count(*) FROM (SELECT * FROM collmine.invoice_facts('kpi_dlog') EXCEPT ALL SELECT * FROM kpi_dash.invoice_facts_mv) x)
       AS facts_differing_rows;
SELECT d.refobjid::regclass AS shared, c.relname AS read_by
  FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
  JOIN pg_class c ON c.oid = r.ev_class
 WHERE d.refobjid IN ('kpi_dash.invoice_facts_mv'::regclass, 'kpi_dash.process_maps_mv'::regclass) AND c.oid <> d.refobjid
 ORDER BY 1, array_position(collmine.dashboard_names(), left(c.relname::text, -3));
-- facts of another date than the relation's are refused, not answered wrongly
\set VERBOSITY terse
SELECT * FROM collmine._payment_behaviour('kpi_dlog', '-infinity', '2024-01-31', NULL, 'payment_received', 'kpi_dash.invoice_facts_mv');
SELECT * FROM collmine._facts('kpi_dlog', NULL, NULL, 'settled', 'kpi_dash.invoice_facts_mv');
\set VERBOSITY default

-- Collection Strategy Performance by Segment
-- ENT/EUR: A3 (settled 27 days after due), A4 (written off): 1 of 2 closed written off; by
--   value 300 / (2000 + 300) = 0.1304; A4's first reminder (11-10) was never followed by a payment
-- ENT/USD: U6, open 1000, overdue; never reminded or called
-- SMB/EUR: A1 (36 days late), A2 (on time): avg late 18, on time 0.5; A1 reminded 01-05 and
--   paid 01-10 (within 30 days), called 01-08 and paid 01-10 (within 14 days)
-- SMB/USD: U5 11 days late; reminded and called, paid 01-30
SELECT segment, currency, invoices, open_invoices, open_amount, overdue_amount, dunned_invoices,
       round(dunning_success_rate, 4) AS dun_ok, calls, round(contact_success_rate, 4) AS call_ok,
       round(avg_days_late, 2) AS late, round(on_time_rate, 4) AS on_time, written_off_invoices,
       round(write_off_rate_by_count, 4) AS wo_n, round(write_off_rate_by_value, 4) AS wo_v
  FROM kpi_dash.collection_strategy_by_segment ORDER BY segment, currency;
-- Overdue Invoices Aging and Status: only U6 is open on 2024-02-21: 1000 left, due 2023-12-15
-- -> 68 days past due (61-90); its last event is the credit memo of 01-12
SELECT * FROM kpi_dash.overdue_invoices_aging;
-- Invoice Dispute Resolution Time: A3, 01-28 09:00 to 02-10 09:00 = 13 days
SELECT * FROM kpi_dash.dispute_resolution_time;
-- Invoice Write-Off Root Cause Analysis: A4 is the only write-off (1 of 6, baseline 1/6);
-- see 50_kpi_rootcause for the statistics. Top value per attribute:
SELECT attribute, value, cases, written_off_cases, round(write_off_rate, 4) AS rate,
       round(lift, 4) AS lift, round(p_value::numeric, 4) AS p
  FROM kpi_dash.write_off_root_causes WHERE rank_in_attribute = 1 ORDER BY attribute;
-- Manual Activity Frequency and Impact: Payment Received is always manual (5 events in 4
-- cases); its cases' cycle times are A1 66.25, A2 17.04, A3 37.00, U5 21.04 days -> 35.33;
-- on time only A2 -> 0.25. Collection Call Made: A1, A4, U5; settled: A1 66.25, U5 21.04 -> 43.65
SELECT activity, events, manual_events, automated_events, unknown_events, round(manual_share, 4) AS share,
       cases, cases_with_manual, round(avg_cycle_days_with_manual, 2) AS cyc_manual,
       round(avg_cycle_days_without_manual, 2) AS cyc_auto, round(on_time_rate_with_manual, 4) AS ot_manual,
       round(on_time_rate_without_manual, 4) AS ot_auto
  FROM kpi_dash.manual_activity_impact ORDER BY activity;
-- Payment Posting Lag Analysis: January 1, 2, 1 days (see 50_kpi); February 0.25 (same day) and 1
SELECT month, payments, posted, unposted, round(avg_lag_days, 4) AS avg, round(median_lag_days, 4) AS median,
       round(p90_lag_days, 4) AS p90, round(max_lag_days, 4) AS max, round(posted_same_day_rate, 4) AS same_day
  FROM kpi_dash.payment_posting_lag ORDER BY month;
-- Payment Terms Compliance and Deviations: NET30 settled A1 (36 beyond), A2 (within), A3 (7
-- beyond): 1 of 3, avg beyond 21.5, max 36; A3's due date deviates by -20 (1 of 5); U6 open
-- and past its terms. NET10: U5 11 days beyond.
SELECT terms, terms_days, invoices, settled_invoices, paid_within_terms, round(compliance_rate, 4) AS rate,
       round(avg_days_beyond_terms, 2) AS beyond, max_days_beyond_terms, due_date_deviations,
       round(deviation_rate, 4) AS dev_rate, round(avg_due_date_deviation_days, 2) AS dev_days, open_beyond_terms
  FROM kpi_dash.payment_terms_compliance ORDER BY terms;
-- invoice-to-cash overview: January matches 50_kpi (EUR DSO 29.76, CEI 36.84; USD 38.75, 50.00);
-- February (to 02-21, 21 days): EUR no sales, AR 0, CEI (2400 + 0 - 0) / (2400 + 0 - 0) = 100;
-- settled A1 (66.25 days) and A3 (37.00 days) -> 51.63
SELECT month, currency, invoices_generated, credit_sales, ending_ar, ending_past_due_ar,
       round(dso, 2) AS dso, round(dso_countback, 2) AS dso_cb, round(best_possible_dso, 2) AS bpdso,
       round(average_days_delinquent, 2) AS add, round(cei, 2) AS cei, settled_invoices,
       round(avg_cycle_days, 2) AS cycle, written_off_invoices, written_off_amount
  FROM kpi_dash.invoice_to_cash_overview ORDER BY month, currency;

-- every materialized variant holds exactly what its view shows
CREATE FUNCTION pg_temp.mv_differs(d text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((TABLE kpi_dash.%1$I EXCEPT ALL TABLE kpi_dash.%2$I)
                    UNION ALL (TABLE kpi_dash.%2$I EXCEPT ALL TABLE kpi_dash.%1$I)) x', d, d || '_mv') INTO n;
    RETURN n;
END $$;
SELECT d AS dashboard, pg_temp.mv_differs(d) AS differing_rows FROM unnest(collmine.dashboard_names()) d;

-- On a log stored in case order (_log_in_case_order: an index leading with case_id, the events
-- stored in its order and analyzed, as the connectors leave them) each currency's map is built
-- from the traces read through the index in (case_id, ts, ord) order and merge-joined with
-- invoices (_log_traces_in_case_order, _log_tally_rows_in_case_order): the same maps as the
-- hashed plan's above, and the same rows of both process-map dashboards.
CREATE TEMP TABLE maps_hashed AS
  SELECT currency, map::text AS map FROM collmine._process_maps_by_currency('kpi_dlog');
CREATE TEMP TABLE map_rows_hashed AS
  SELECT e::text AS r FROM collmine.dashboard_process_map_edges('kpi_dlog') e
  UNION ALL SELECT a::text FROM collmine.dashboard_process_map_activities('kpi_dlog') a;
SELECT collmine._log_in_case_order('kpi_dlog') AS in_case_order;
CREATE INDEX kpi_dlog_events_case_ts ON kpi_dlog.events (case_id, ts, ord);
CLUSTER kpi_dlog.events USING kpi_dlog_events_case_ts;
ANALYZE kpi_dlog.events;
SELECT collmine._log_in_case_order('kpi_dlog') AS in_case_order;
SELECT count(*) AS maps, count(*) FILTER (WHERE h.map = o.map) AS maps_equal
  FROM maps_hashed h FULL JOIN (SELECT currency, map::text AS map
                                  FROM collmine._process_maps_by_currency('kpi_dlog')) o USING (currency);
SELECT (SELECT count(*) FROM map_rows_hashed) AS map_rows,
       (SELECT count(*) FROM ((TABLE map_rows_hashed EXCEPT ALL
                               SELECT e::text FROM collmine.dashboard_process_map_edges('kpi_dlog') e
                               EXCEPT ALL SELECT a::text FROM collmine.dashboard_process_map_activities('kpi_dlog') a)
                              UNION ALL
                              ((SELECT e::text FROM collmine.dashboard_process_map_edges('kpi_dlog') e
                                UNION ALL SELECT a::text FROM collmine.dashboard_process_map_activities('kpi_dlog') a)
                               EXCEPT ALL TABLE map_rows_hashed)) x) AS differing_rows;

-- new events: U6 is paid in full on 2024-03-01; the views see it at once, the materialized
-- variants after a (concurrent) refresh
INSERT INTO kpi_dlog.events (case_id, activity, ts, ord, is_automated, amount) VALUES
 ('U6', 'Payment Received', '2024-03-01 10:00', 43, false, 1000),
 ('U6', 'Payment Posted',   '2024-03-01 12:00', 44, true,  1000),
 ('U6', 'Invoice Settled',  '2024-03-01 12:00', 45, true,  NULL);
SELECT (SELECT count(*) FROM kpi_dash.overdue_invoices_aging) AS view_rows,
       (SELECT count(*) FROM kpi_dash.overdue_invoices_aging_mv) AS mv_rows_before_refresh;
-- a materialized dashboard refreshed on its own reads the facts of the last refresh of
-- invoice_facts_mv (docs/dashboards/README.md): U6 is still open there
REFRESH MATERIALIZED VIEW kpi_dash.overdue_invoices_aging_mv;
SELECT count(*) AS mv_rows_own_refresh FROM kpi_dash.overdue_invoices_aging_mv;
-- refresh_dashboards refreshes the facts first
SELECT collmine.refresh_dashboards('kpi_dash');
SELECT (SELECT count(*) FROM kpi_dash.overdue_invoices_aging_mv) AS mv_rows_after_refresh;
SELECT d AS dashboard, pg_temp.mv_differs(d) AS differing_rows FROM unnest(collmine.dashboard_names()) d;
SELECT collmine.refresh_dashboards('kpi_dash', false);
-- concurrent refresh inside a transaction block works too
BEGIN;
SELECT collmine.refresh_dashboards('kpi_dash', true);
COMMIT;

-- creating again needs replace => true; replace recreates them
SELECT * FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash');
SELECT count(*) FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash', replace => true);
-- views only
SELECT * FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash_plain', materialized => false) LIMIT 2;
SELECT collmine.refresh_dashboards('kpi_dash_plain');
SELECT collmine.refresh_dashboards('no_such_schema');
SELECT * FROM collmine.create_dashboards('no_such_schema', 'kpi_dash2');
-- a log without a column that the dashboards show is refused when they are created, even
-- without materialized variants (whose creation would run the queries)
CREATE SCHEMA kpi_dnocol;
CREATE TABLE kpi_dnocol.events AS SELECT case_id, activity, ts, ord, amount FROM kpi_dlog.events;
CREATE TABLE kpi_dnocol.invoices AS SELECT case_id, currency, amount, invoice_date, due_date, terms_days, segment FROM kpi_dlog.invoices;
SELECT * FROM collmine.create_dashboards('kpi_dnocol', 'kpi_dash4', materialized => false);
-- each view is SELECT * FROM its dashboard function (checked when collmine was installed), and
-- calls nothing else
SELECT c.relname AS view, string_agg(p.proname, ', ') AS calls
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid
 WHERE c.relnamespace = 'kpi_dash'::regnamespace AND c.relkind = 'v'
 GROUP BY c.relname ORDER BY array_position(collmine.dashboard_names(), c.relname::text);
SELECT count(*) AS rows_of_function_not_view
  FROM (SELECT * FROM collmine.dashboard_invoice_to_cash_overview('kpi_dlog') EXCEPT ALL SELECT * FROM kpi_dash.invoice_to_cash_overview) x;
-- a user's own table with a dashboard name is never dropped by replace
CREATE SCHEMA kpi_dash3;
CREATE TABLE kpi_dash3.payment_posting_lag (x int);
SELECT count(*) FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash3', replace => true);
SELECT to_regclass('kpi_dash3.payment_posting_lag') AS users_table_kept;
-- nor one named like a shared relation
CREATE SCHEMA kpi_dash5;
CREATE TABLE kpi_dash5.invoice_facts_mv (x int);
\set VERBOSITY terse
SELECT count(*) FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash5', replace => true);
\set VERBOSITY default
DROP SCHEMA kpi_dash5 CASCADE;
-- dashboards made before the shared relations (0.1.0, whose materialized variants read their
-- view) have none: refresh_dashboards refreshes them as they are
SELECT count(*) FROM collmine.create_dashboards('kpi_dlog', 'kpi_dash6', materialized => false);
DO $$ DECLARE d text; BEGIN FOREACH d IN ARRAY collmine.dashboard_names() LOOP
    EXECUTE format('CREATE MATERIALIZED VIEW kpi_dash6.%I AS SELECT * FROM kpi_dash6.%I', d || '_mv', d);
END LOOP; END $$;
SELECT collmine.refresh_dashboards('kpi_dash6', false) AS refreshed_without_shared;
SELECT collmine.drop_dashboards('kpi_dash6');
DROP SCHEMA kpi_dash6;

-- DROP EXTENSION: refused while dashboards depend on collmine; with CASCADE it drops the
-- dashboards (derived data) and never the log tables
BEGIN;
\set VERBOSITY terse
DROP EXTENSION collmine;
\set VERBOSITY default
ROLLBACK;
BEGIN;
SET LOCAL client_min_messages = warning;
DROP EXTENSION collmine CASCADE;
SELECT to_regclass('kpi_dlog.events') AS events, to_regclass('kpi_dlog.invoices') AS invoices,
       to_regclass('kpi_dash.overdue_invoices_aging') AS view, to_regclass('kpi_dash.overdue_invoices_aging_mv') AS mv;
ROLLBACK;

-- drop_dashboards removes exactly the dashboard relations
SELECT collmine.drop_dashboards('kpi_dash');
SELECT collmine.drop_dashboards('kpi_dash_plain');
SELECT count(*) AS left_in_kpi_dash FROM pg_class WHERE relnamespace = 'kpi_dash'::regnamespace;
SET client_min_messages = warning;
DROP SCHEMA kpi_dash, kpi_dash_plain, kpi_dash3, kpi_dnocol, kpi_dlog CASCADE;
RESET client_min_messages;
