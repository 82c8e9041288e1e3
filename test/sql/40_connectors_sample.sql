-- The bundled sample (test/data/erp/sample, made by test/gen/erpgen.pl; see its README) through
-- the real connector path: create_staging, \copy, build. The connector's output must equal the
-- generator's ground truth file committed next to the sample: every comparison below prints the
-- metrics that differ, so the expected output is an empty set for each source.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE TEMP TABLE truth (source text, metric text, value text);
\copy truth FROM 'test/data/erp/sample/netsuite.truth.csv' WITH (FORMAT csv, HEADER true)
\copy truth FROM 'test/data/erp/sample/d365fo.truth.csv' WITH (FORMAT csv, HEADER true)
\copy truth FROM 'test/data/erp/sample/d365bc.truth.csv' WITH (FORMAT csv, HEADER true)

-- The same metrics computed from a connector's output, in plain SQL.
CREATE FUNCTION pg_temp.sample_metrics(sch text, src text) RETURNS TABLE(metric text, value text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT 'activity:' || t.activity, count(e.case_id)::text
        FROM collmine.template_activities() t LEFT JOIN %1$I.events e ON e.activity = t.activity AND e.source_system = %2$L
        GROUP BY t.activity
        UNION ALL SELECT 'invoices', count(*)::text FROM %1$I.invoices WHERE source_system = %2$L
        UNION ALL SELECT 'invoices_settled', count(*)::text FROM %1$I.invoices WHERE source_system = %2$L AND status = 'settled'
        UNION ALL SELECT 'invoices_written_off', count(*)::text FROM %1$I.invoices WHERE source_system = %2$L AND status = 'written_off'
        UNION ALL SELECT 'invoices_open', count(*)::text FROM %1$I.invoices WHERE source_system = %2$L AND status = 'open'
        UNION ALL SELECT 'invoices_paid_on_time', count(*)::text FROM %1$I.invoices WHERE source_system = %2$L AND paid_on_time
        UNION ALL SELECT 'invoices_disputed', count(DISTINCT case_id)::text FROM %1$I.events WHERE source_system = %2$L AND activity = 'Dispute Registered'
        UNION ALL SELECT 'invoices_dispute_reopened', count(*)::text FROM (SELECT case_id FROM %1$I.events WHERE source_system = %2$L AND activity = 'Dispute Registered' GROUP BY case_id HAVING count(*) > 1) x
        UNION ALL SELECT 'invoices_paid_in_parts', count(*)::text FROM (SELECT case_id FROM %1$I.events WHERE source_system = %2$L AND activity = 'Payment Posted' GROUP BY case_id HAVING count(*) > 1) x
        UNION ALL SELECT 'payments_applied_to_two_invoices', count(*)::text FROM (SELECT source_ref FROM %1$I.events WHERE source_system = %2$L AND activity = 'Payment Received' GROUP BY source_ref HAVING count(DISTINCT case_id) = 2) x
        UNION ALL SELECT 'as_of', to_char(max(last_data_update) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM %1$I.invoices WHERE source_system = %2$L$q$, sch, src);
END
$$;

-- Differences between truth and connector for one source (expected: none).
CREATE FUNCTION pg_temp.sample_diff(sch text, src text) RETURNS TABLE(metric text, truth text, connector text)
LANGUAGE sql AS $$
    SELECT coalesce(t.metric, m.metric), t.value, m.value
    FROM (SELECT * FROM truth WHERE source = src) t
    FULL JOIN pg_temp.sample_metrics(sch, src) m ON m.metric = t.metric
    WHERE t.value IS DISTINCT FROM m.value
    ORDER BY 1
$$;

-- ==== netsuite ====
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'cm_sample_netsuite');
\copy cm_sample_netsuite.customer (id, entityid, companyname, category, creditlimit, terms, subsidiary, salesrep) FROM 'test/data/erp/sample/netsuite.customer.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.customrecord_3805_dunning_eval_result FROM 'test/data/erp/sample/netsuite.customrecord_3805_dunning_eval_result.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.message FROM 'test/data/erp/sample/netsuite.message.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.nexttransactionlinelink FROM 'test/data/erp/sample/netsuite.nexttransactionlinelink.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.phonecall (id, title, startdate, completeddate, createddate, status, assigned, owner, company, transaction) FROM 'test/data/erp/sample/netsuite.phonecall.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.subsidiary FROM 'test/data/erp/sample/netsuite.subsidiary.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.systemnote FROM 'test/data/erp/sample/netsuite.systemnote.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.term FROM 'test/data/erp/sample/netsuite.term.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.transaction FROM 'test/data/erp/sample/netsuite.transaction.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_netsuite.transactionline FROM 'test/data/erp/sample/netsuite.transactionline.csv' WITH (FORMAT csv, HEADER true)
-- as_of is the generator's extraction time, so that due dates between the last event and
-- the extraction count the same way on both sides
-- the bundled samples' truth (made before 0.2.0) counts each customer-level event (credit
-- limits, account calls) once per invoice of the customer open at that moment: the setting
-- customer_events_on_invoices = open_invoices reproduces that projection; it counts invoices
-- paid on time by settlement (the default before 0.2.0): the setting paid_on_time = settled
SELECT * FROM collmine.netsuite_build('cm_sample_netsuite', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "customer_events_on_invoices": "open_invoices", "paid_on_time": "settled"}'::jsonb || jsonb_build_object('as_of', (SELECT value FROM truth WHERE source = 'netsuite' AND metric = 'as_of')));
SELECT * FROM pg_temp.sample_diff('cm_sample_netsuite', 'netsuite');
-- the deliberate problems of --dirty are reported, and nothing else is
SELECT check_name, severity, problems FROM collmine.data_quality('cm_sample_netsuite');

-- ==== d365fo ====
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365fo', 'cm_sample_d365fo');
\copy cm_sample_d365fo."CredManCreditLimitAdjTable" FROM 'test/data/erp/sample/d365fo.CredManCreditLimitAdjTable.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CredManCreditLimitAdjTrans" FROM 'test/data/erp/sample/d365fo.CredManCreditLimitAdjTrans.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustCollectionLetterJour" FROM 'test/data/erp/sample/d365fo.CustCollectionLetterJour.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustCollectionLetterTrans" FROM 'test/data/erp/sample/d365fo.CustCollectionLetterTrans.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustCollectionsLinkTable" FROM 'test/data/erp/sample/d365fo.CustCollectionsLinkTable.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustDisputeHistory" FROM 'test/data/erp/sample/d365fo.CustDisputeHistory.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustSettlement" FROM 'test/data/erp/sample/d365fo.CustSettlement.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustTable" FROM 'test/data/erp/sample/d365fo.CustTable.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."CustTrans" FROM 'test/data/erp/sample/d365fo.CustTrans.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."PaymTerm" FROM 'test/data/erp/sample/d365fo.PaymTerm.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365fo."smmActivities" FROM 'test/data/erp/sample/d365fo.smmActivities.csv' WITH (FORMAT csv, HEADER true)
-- as_of is the generator's extraction time, so that due dates between the last event and
-- the extraction count the same way on both sides
SELECT * FROM collmine.d365fo_build('cm_sample_d365fo', '{"customer_events_on_invoices": "open_invoices", "paid_on_time": "settled"}'::jsonb || jsonb_build_object('as_of', (SELECT value FROM truth WHERE source = 'd365fo' AND metric = 'as_of')));
SELECT * FROM pg_temp.sample_diff('cm_sample_d365fo', 'd365fo');
-- the deliberate problems of --dirty are reported, and nothing else is
SELECT check_name, severity, problems FROM collmine.data_quality('cm_sample_d365fo');

-- ==== d365bc ====
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365bc', 'cm_sample_d365bc');
\copy cm_sample_d365bc."Change Log Entry" FROM 'test/data/erp/sample/d365bc.Change_Log_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365bc."Cust. Ledger Entry" FROM 'test/data/erp/sample/d365bc.Cust_Ledger_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365bc."Customer" FROM 'test/data/erp/sample/d365bc.Customer.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365bc."Detailed Cust. Ledg. Entry" FROM 'test/data/erp/sample/d365bc.Detailed_Cust_Ledg_Entry.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365bc."Issued Reminder Header" FROM 'test/data/erp/sample/d365bc.Issued_Reminder_Header.csv' WITH (FORMAT csv, HEADER true)
\copy cm_sample_d365bc."Issued Reminder Line" FROM 'test/data/erp/sample/d365bc.Issued_Reminder_Line.csv' WITH (FORMAT csv, HEADER true)
-- as_of is the generator's extraction time, so that due dates between the last event and
-- the extraction count the same way on both sides
SELECT * FROM collmine.d365bc_build('cm_sample_d365bc', '{"local_currency": "USD", "customer_events_on_invoices": "open_invoices", "paid_on_time": "settled"}'::jsonb || jsonb_build_object('as_of', (SELECT value FROM truth WHERE source = 'd365bc' AND metric = 'as_of')));
SELECT * FROM pg_temp.sample_diff('cm_sample_d365bc', 'd365bc');
-- the deliberate problems of --dirty are reported, and nothing else is
SELECT check_name, severity, problems FROM collmine.data_quality('cm_sample_d365bc');

-- One definition per measure (issue 11.2): for every invoice of the three samples, the
-- connector's invoices columns equal collmine.invoice_facts as of the build's as_of date, and
-- equal the data template's text written here in plain SQL from the log's events: days overdue
-- = (the pay date: the last Payment Received, or the settlement with basis 'settled' or without
-- a payment; the write-off date; as_of when open) - the due date; cycle time = Invoice Settled -
-- Invoice Generated, settled invoices only; posting lag = the mean over k of the k-th Payment
-- Posted - the k-th Payment Received. Each prints its differences (expected: none), after the
-- number of invoices it compared.
CREATE FUNCTION pg_temp.measures_diff(sch text, basis text) RETURNS TABLE(case_id text, measure text, connector text, other text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH f AS (SELECT * FROM collmine.invoice_facts(%1$L,
                       (SELECT (max(last_data_update) AT TIME ZONE 'UTC')::date FROM %1$I.invoices), NULL, %2$L)),
             ev AS (SELECT e.case_id, e.activity, e.ts,
                           row_number() OVER (PARTITION BY e.case_id, e.activity ORDER BY e.ts, e.ord) AS k
                      FROM %1$I.events e WHERE e.activity IN ('Payment Received', 'Payment Posted')),
             pay AS (SELECT r.case_id, max(r.ts) AS last_received, avg(p.ts - r.ts) AS lag
                       FROM ev r LEFT JOIN ev p ON p.case_id = r.case_id AND p.k = r.k AND p.activity = 'Payment Posted'
                      WHERE r.activity = 'Payment Received' GROUP BY r.case_id),
             gen AS (SELECT e.case_id, min(e.ts) AS ts FROM %1$I.events e WHERE e.activity = 'Invoice Generated' GROUP BY e.case_id),
             plain AS (SELECT i.case_id,
                              (CASE i.status WHEN 'settled' THEN CASE WHEN %2$L = 'settled' THEN i.settled_at
                                                                      ELSE coalesce(pay.last_received, i.settled_at) END
                                             WHEN 'written_off' THEN i.written_off_at
                                             ELSE i.last_data_update END AT TIME ZONE 'UTC')::date - i.due_date AS days_overdue,
                              CASE WHEN i.status = 'settled' THEN i.settled_at - gen.ts END AS cycle_time,
                              pay.lag AS posting_lag
                         FROM %1$I.invoices i LEFT JOIN pay USING (case_id) LEFT JOIN gen USING (case_id))
        SELECT i.case_id, m.measure, m.connector, m.other
          FROM %1$I.invoices i LEFT JOIN f USING (case_id) LEFT JOIN plain p USING (case_id)
          CROSS JOIN LATERAL (VALUES
              ('facts: row', i.case_id, f.case_id),
              ('facts: status', i.status, f.status),
              ('facts: days_overdue', i.days_overdue::text, f.days_overdue::text),
              ('facts: paid_on_time', i.paid_on_time::text, f.paid_on_time::text),
              ('facts: cycle_time', i.cycle_time::text, f.cycle_time::text),
              ('facts: posting_lag', i.posting_lag::text, f.posting_lag::text),
              ('plain: days_overdue', i.days_overdue::text, p.days_overdue::text),
              ('plain: cycle_time', i.cycle_time::text, p.cycle_time::text),
              ('plain: posting_lag', i.posting_lag::text, p.posting_lag::text)) m(measure, connector, other)
         WHERE m.connector IS DISTINCT FROM m.other
         ORDER BY 1, 2 $q$, sch, basis);
END $$;
SELECT count(*) AS netsuite_invoices FROM cm_sample_netsuite.invoices;
SELECT * FROM pg_temp.measures_diff('cm_sample_netsuite', 'settled');
SELECT count(*) AS d365fo_invoices FROM cm_sample_d365fo.invoices;
SELECT * FROM pg_temp.measures_diff('cm_sample_d365fo', 'settled');
SELECT count(*) AS d365bc_invoices FROM cm_sample_d365bc.invoices;
SELECT * FROM pg_temp.measures_diff('cm_sample_d365bc', 'settled');

-- ord is a deterministic tie-breaker: unique per source, and a rebuild gives the same numbering
CREATE TEMP TABLE first_ord AS SELECT case_id, activity, ts, source_ref, ord FROM cm_sample_netsuite.events;
SELECT count(*) = count(DISTINCT ord) AS ord_unique FROM cm_sample_netsuite.events;
SELECT count(*) AS rows FROM collmine.netsuite_build('cm_sample_netsuite', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2025-06-30T23:59:00Z", "customer_events_on_invoices": "open_invoices"}');
SELECT count(*) AS ord_changes FROM first_ord f FULL JOIN cm_sample_netsuite.events e USING (case_id, activity, ts, source_ref, ord)
WHERE f.ord IS NULL OR e.ord IS NULL;
-- (that rebuild has the default basis, the template's: the measures of the pay date again)
SELECT * FROM pg_temp.measures_diff('cm_sample_netsuite', 'payment_received');

-- physical row order does not matter: the same exports loaded in another (deterministically
-- shuffled) order give the same events with the same ord
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'cm_sample_shuffled');
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT DISTINCT table_name FROM collmine.staging_columns WHERE source = 'netsuite' LOOP
        EXECUTE format('INSERT INTO cm_sample_shuffled.%1$I SELECT * FROM cm_sample_netsuite.%1$I x ORDER BY md5(x::text) DESC', t);
    END LOOP;
END $$;
SELECT count(*) AS rows FROM collmine.netsuite_build('cm_sample_shuffled', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2025-06-30T23:59:00Z", "customer_events_on_invoices": "open_invoices"}');
SELECT count(*) AS differences FROM
    (SELECT case_id, activity, ts, ord, source_ref FROM cm_sample_netsuite.events
     EXCEPT SELECT case_id, activity, ts, ord, source_ref FROM cm_sample_shuffled.events) x;
SELECT count(*) AS invoice_differences FROM
    (SELECT * FROM cm_sample_netsuite.invoices EXCEPT SELECT * FROM cm_sample_shuffled.invoices) x;
DROP SCHEMA cm_sample_shuffled CASCADE;

DROP SCHEMA cm_sample_netsuite, cm_sample_d365fo, cm_sample_d365bc CASCADE;

-- dropping the extension never drops the user's staging or log tables (in a database of its
-- own, so that other tests never see the extension missing)
CREATE DATABASE cm_connectors_drop;
\c cm_connectors_drop
SET timezone = 'UTC';
SET client_min_messages = warning;
CREATE EXTENSION collmine;
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365bc', 'erp');
INSERT INTO erp."Cust. Ledger Entry" ("Entry No.", "Customer No.", "Posting Date", "Document Type", "Document No.", "Due Date", "Amount")
VALUES ('1', 'C1', '2024-03-01', 'Invoice', 'INV1', '2024-03-31', '100.00');
SELECT * FROM collmine.d365bc_build('erp') WHERE events > 0;
DROP EXTENSION collmine;
SELECT count(*) AS tables_left FROM pg_tables WHERE schemaname = 'erp';
SELECT case_id, activity, ts FROM erp.events ORDER BY ord;
\c contrib_regression
DROP DATABASE cm_connectors_drop;
