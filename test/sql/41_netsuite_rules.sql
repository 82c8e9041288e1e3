-- NetSuite: one hand-made export with a few rows per derivation rule of issue 9. The expected
-- events are worked out below from the data template (../shared/reference/
-- netsuite-data-template.txt, "Where to get" and "Capture" of each activity; copied into the
-- comments where it decides), then cross-checked against the staging rows in plain SQL.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'r9');

-- Template attributes: Country is "the country of the customer's billing address" (not the
-- subsidiary's US); CollectorName a name (employee 201); CustomerId the customer (entityid).
INSERT INTO r9.subsidiary VALUES ('1', 'US Inc.', 'US');
INSERT INTO r9.employee (id, entityid, firstname, lastname) VALUES ('201', 'a.johnson', 'Alice', 'Johnson');
INSERT INTO r9.currency VALUES ('1', 'US Dollar', 'USD'), ('2', 'Euro', 'EUR');
INSERT INTO r9.customer (id, entityid, companyname, category, creditlimit, subsidiary, salesrep, billcountry) VALUES
    ('10', 'ACME', 'Acme', 'Enterprise', '5000', '1', '201', 'DE'),
    ('11', 'BOLT', 'Bolt', 'SMB', '2000', '1', '202', 'JP'),
    ('12', 'COGS', 'Cogs', 'SMB', '5000', '1', '201', 'FR');          -- no invoices at all
INSERT INTO r9.transaction (id, tranid, type, trandate, createddate, duedate, entity, status, foreigntotal,
                            foreignamountunpaid, currency, posting, createdby, memo) VALUES
    ('1', 'INV-A', 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '10', 'B', '100.00', '0.00', '1', 'T', '201', NULL),
    ('2', 'INV-B', 'CustInvc', '2024-03-02', '2024-03-02 10:00', '2024-04-01', '10', 'B', '200.00', '0.00', '1', 'T', '201', NULL),
    ('3', 'INV-C', 'CustInvc', '2024-01-10', '2024-01-10 09:00', '2024-02-09', '11', 'B', '500.00', '0.00', '2', 'T', '201', NULL),
    ('4', 'INV-D', 'CustInvc', '2024-04-01', '2024-04-01 09:00', '2024-05-01', '11', 'A', '300.00', '250.00', '2', 'T', '201', NULL),
    -- no creation time in the export; "Paid In Full" but no application of it is exported
    ('5', 'INV-E', 'CustInvc', '2024-04-05', NULL, '2024-05-05', '10', 'Paid In Full', '80.00', '0.00', '1', 'T', '201', NULL),
    -- dates outside the plausible window (min_date 1900-01-01)
    ('6', 'INV-F', 'CustInvc', '1850-03-01', '1850-03-01 09:00', '2024-05-31', '10', 'A', '10.00', '10.00', '1', 'T', '201', NULL),
    ('11', 'PY1', 'CustPymt', '2024-03-10', '2024-03-10 08:00', NULL, '10', 'C', '100.00', NULL, '1', 'T', '201', NULL),
    ('12', 'PY2', 'CustPymt', '2024-03-25', '2024-03-25 08:00', NULL, '10', 'C', '150.00', NULL, '1', 'T', '201', NULL),
    ('13', 'PY3', 'CustPymt', '2024-04-10', '2024-04-10 09:00', NULL, '11', 'A', '50.00', NULL, '2', 'F', '201', NULL),  -- unapproved: no GL impact
    ('21', 'CM1', 'CustCred', '2024-03-20', '2024-03-20 11:00', NULL, '10', 'B', '50.00', NULL, '1', 'T', '201', 'price correction'),
    ('31', 'JE1', 'Journal', '2024-04-20', '2024-04-20 12:00', NULL, '11', NULL, '500.00', NULL, '2', 'T', '201', 'Bad debt write-off');
-- the links come in either table; PY1's is in both (one fact seen from both ends)
INSERT INTO r9.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, foreignamount, lastmodifieddate) VALUES
    ('1', 'CustInvc', '11', 'CustPymt', '100.00', '2024-03-10 08:00'),
    ('3', 'CustInvc', '31', 'Journal', '500.00', '2024-04-20 12:00'),
    ('4', 'CustInvc', '13', 'CustPymt', '50.00', '2024-04-10 09:00');
INSERT INTO r9.previoustransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, foreignamount, lastmodifieddate) VALUES
    ('1', 'CustInvc', '11', 'CustPymt', '100.00', '2024-03-10 08:00'),
    ('2', 'CustInvc', '21', 'CustCred', '50.00', '2024-03-20 11:00'),
    ('2', 'CustInvc', '12', 'CustPymt', '150.00', '2024-03-28 14:00');   -- PY2 re-applied 3 days after posting
INSERT INTO r9.systemnote (id, date, recordtypeid, recordid, field, oldvalue, newvalue, name, context) VALUES
    ('501', '2024-03-15 09:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', NULL, 'Disputed', '201', 'UIF'),
    ('502', '2024-03-15 09:05', '-30', '2', 'CUSTBODY_DISPUTE_REASON', NULL, 'Price Discrepancy', '201', 'UIF'),
    ('503', '2024-03-20 10:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', 'Disputed', 'Resolved', '201', 'UIF'),
    ('504', '2024-02-01 10:00', '-2', '12', 'CUSTENTITY_CREDIT_LIMIT_REQUEST', NULL, '9000', '201', 'UIF'),
    ('505', '2024-02-06 10:00', '-2', '12', 'CREDITLIMIT', '5000', '9000', '105', 'UIF'),
    ('506', '2024-04-02 10:00', '-2', '11', 'CUSTENTITY_CREDIT_LIMIT_REQUEST', NULL, '4000', '201', 'UIF'),
    ('507', '9999-01-01 00:00', '-30', '1', 'CUSTBODY_DISPUTE_STATUS', NULL, 'Disputed', '201', 'UIF');   -- implausible
INSERT INTO r9.customrecord_3805_dunning_eval_result VALUES
    ('71', '11', 'Sent', 'Level 1', '3', '2024-04-20 09:00'),
    ('72', '11', 'Failed', 'Level 2', '3', '2024-04-21 09:00');        -- not sent: no reminder
INSERT INTO r9.phonecall (id, title, message, completeddate, assigned, company, transaction) VALUES
    ('81', 'Reminder', NULL, '2024-03-27 15:00', '201', '10', '2'),                          -- its transaction: INV-B
    ('82', 'Call about INV-D.', NULL, '2024-04-15 11:00', '201', '11', NULL),                -- number in the title
    ('83', 'Follow-up', E'Customer promised\npayment for INV-C', '2024-04-16 11:00', '201', '11', NULL),  -- in the message
    ('84', 'About INV-A', NULL, '2024-04-18 10:00', '201', '11', NULL),    -- another customer's invoice: not BOLT's
    ('85', 'Account review', NULL, '2024-04-19 10:00', '201', '10', NULL), -- names no invoice
    ('86', 'wrong number', NULL, '2024-04-19 11:00', '201', NULL, NULL);   -- no invoice, no customer

SELECT * FROM collmine.netsuite_build('r9', '{"as_of": "2024-04-30 23:59:00+00", "dispute_reason_field": "CUSTBODY_DISPUTE_REASON"}');

-- Expected, activity by activity (template text in quotes):
-- Invoice Generated, "Use the creation timestamp of the invoice transaction record":
--   INV-A 03-01 09:00, INV-B 03-02 10:00, INV-C 01-10 09:00, INV-D 04-01 09:00; INV-E has no
--   creation time in the export: its date, 04-05 00:00 (counted as date-only); INV-F's 1850
--   dates are implausible: no event, reported.
-- Payment Received, "Use the transaction date of the Customer Payment record": PY1 03-10,
--   PY2 03-25, PY3 04-10 (all 00:00: the export gives dates).
-- Payment Posted, "Use the GL posting date from the Customer Payment transaction": PY1
--   03-10 08:00 and PY2 03-25 08:00 (posted at creation); PY3 is not posted (posting F): none.
-- Invoice Settled, "Timestamp of the last payment application that sets status to Paid In
--   Full": INV-A 03-10 08:00 (PY1, in both link tables, counted once); INV-B 03-28 14:00 (PY2's
--   re-application, 3 days after its posting: kept as a re-application in applications).
-- Credit Memo Issued, "Use the creation timestamp of the Credit Memo transaction": INV-B
--   03-20 11:00, after the dispute resolved at 10:00.
-- Dispute Registered / Resolved: INV-B 03-15 09:00 / 03-20 10:00; reason "Price Discrepancy"
--   from dispute_reason_field. Note 507 (year 9999) is implausible: reported, no event.
-- Invoice Written Off, the write-off journal, at its creation: INV-C 04-20 12:00, after the
--   letter sent that morning.
-- Dunning Procedure Initiated / Overdue Reminder Sent, "creation timestamp of the Dunning
--   Letter record": INV-C 04-20 09:00; the Failed letter of 04-21 is no reminder.
-- Payment Due Date Passed: INV-C 02-09 00:00, "the value of the Due Date field" (still open at the end of that day); INV-A, INV-B settled before their
--   due dates; INV-D, INV-E due after as_of.
-- Collection Call Made, "a Phone Call activity record where the related record is the
--   customer, and the invoice number is referenced in the message": INV-B 03-27 15:00 (81,
--   its transaction), INV-D 04-15 11:00 (82, title), INV-C 04-16 11:00 (83, message). 84 names
--   ACME's INV-A but is BOLT's call, 85 names nothing: customer-level events of BOLT and ACME;
--   86 has neither invoice nor customer: reported, no event.
-- Credit Limit Requested / Approved: customer-level, in customer_events only: COGS request
--   02-01 10:00 and approval 02-06 10:00 (COGS has no invoice at all), BOLT request 04-02.
-- The counts returned: the log's events plus the customer-level events kept apart.
SELECT case_id, activity, ts FROM r9.events ORDER BY case_id, ord;
SELECT customer_id, activity, ts, source_ref FROM r9.customer_events ORDER BY ord;
SELECT case_id, kind, document, amount, currency, document_at, posted_at, applied_at, reapplied
FROM r9.applications ORDER BY case_id, applied_at;

-- Attributes: customer id = entityid, country = billing country, collector = employee name
-- (else the id: 202 is not in the employee export), currency code, credit limit, NetSuite status.
SELECT case_id, customer_id, customer_name, country, collector, currency, credit_limit, source_status,
       status, dispute_reason, open_amount, posting_lag
FROM r9.invoices ORDER BY case_id;

-- The data-quality report: calls at customer level and without any link, date-only events,
-- the export's own status and unpaid amounts against the derivation (INV-E is "Paid In Full"
-- with 0.00 unpaid, but no application of it is in the export; USD open total 0 against 80),
-- the implausible dates, the re-applied payment, the unposted payment.
SELECT check_name, severity, problems, examples FROM collmine.data_quality('r9');
SELECT check_name, source_ref, case_id, detail FROM r9.quality_issues
WHERE check_name IN ('status_mismatch', 'open_amount_mismatch', 'open_total_mismatch', 'date_only_timestamp', 'implausible_date')
ORDER BY check_name, source_ref, detail;

-- ---- plain-SQL cross-checks against the staging rows (each: no rows) ----
-- every call event is a completed call on its invoice or naming the invoice number of its
-- customer as a whole word; every such pair has its event
WITH expect AS (
    SELECT t.tranid AS case_id, p.id
    FROM r9.phonecall p JOIN r9.transaction t ON t.type = 'CustInvc'
     AND (t.id = p.transaction
          OR (p.transaction IS NULL AND t.entity = p.company
              AND ' ' || p.title || ' ' || coalesce(p.message, '') || ' ' ~ ('[^[:alnum:]_/-]' || t.tranid || '[^[:alnum:]_/-]')))
    WHERE p.completeddate IS NOT NULL),
got AS (SELECT case_id, split_part(source_ref, ':', 2) AS id FROM r9.events WHERE activity = 'Collection Call Made')
(SELECT * FROM expect EXCEPT SELECT * FROM got) UNION ALL (SELECT * FROM got EXCEPT SELECT * FROM expect);
-- credit memos and write-offs at their documents' createddate
SELECT e.case_id, e.activity FROM r9.events e JOIN r9.transaction d ON d.tranid = e.source_ref
WHERE e.activity IN ('Credit Memo Issued', 'Invoice Written Off') AND e.ts <> d.createddate::timestamptz;
-- Payment Posted at the createddate of payments with posting T, and only those
SELECT e.case_id FROM r9.events e JOIN r9.transaction d ON d.tranid = e.source_ref
WHERE e.activity = 'Payment Posted' AND (e.ts <> d.createddate::timestamptz OR d.posting <> 'T');
-- each customer-level note once, nowhere twice
SELECT n.id FROM r9.systemnote n WHERE n.recordtypeid = '-2'
  AND (SELECT count(*) FROM r9.customer_events c WHERE c.source_ref = 'systemnote:' || n.id)
    + (SELECT count(*) FROM r9.events e WHERE e.source_ref = 'systemnote:' || n.id) <> 1;
-- re-applied = applied more than reapplication_after (1 hour) after the payment's creation
SELECT a.case_id, a.document FROM r9.applications a JOIN r9.transaction d ON d.tranid = a.document
WHERE a.kind = 'payment' AND a.reapplied IS DISTINCT FROM (a.applied_at > d.createddate::timestamptz + interval '1 hour');

-- Credit approval time counts each request once: COGS 02-01 to 02-06 = 5 days; BOLT's is open.
SELECT * FROM collmine.credit_approval_time('r9', '2024-01-01', '2024-04-30');

-- ---- customer_events_on_invoices = open_invoices: the old projection, as a setting ----
-- BOLT's request 04-02 and call 84 (04-18) go on INV-C (written off only 04-20) and INV-D;
-- ACME's call 85 (04-19) on INV-E, its only open invoice then; COGS has none.
SELECT activity, events FROM collmine.netsuite_build('r9', '{"as_of": "2024-04-30 23:59:00+00", "customer_events_on_invoices": "open_invoices"}')
WHERE activity IN ('Collection Call Made', 'Credit Limit Requested', 'Credit Limit Approved');
SELECT case_id, activity, ts FROM r9.events WHERE source_ref IN ('systemnote:506', 'phonecall:84', 'phonecall:85') ORDER BY ts, case_id;
SELECT count(*) AS customer_events_still_kept FROM r9.customer_events;

-- ---- settings that match nothing are findings, not silent zeros ----
SELECT activity, events FROM collmine.netsuite_build('r9', '{"as_of": "2024-04-30 23:59:00+00", "credit_limit_field": "CUSTENTITY_LIMIT", "dispute_field": "STATUS_X", "dunning_ignored_statuses": ["Cancelled"]}')
WHERE activity IN ('Credit Limit Approved', 'Dispute Registered', 'Overdue Reminder Sent');
SELECT source_ref, severity, detail FROM r9.quality_issues WHERE check_name = 'setting_matches_nothing' ORDER BY source_ref;

-- ---- settings are validated before anything is written (issue 13.4) ----
CREATE FUNCTION pg_temp.try(p text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM collmine.netsuite_build('r9', p::jsonb);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT count(*) AS events_before FROM r9.events;
SELECT p AS settings, pg_temp.try(p) AS result FROM (VALUES
    ('{"date_format": null}'), ('{"date_format": ""}'), ('{"date_format": "XX"}'),
    ('{"timestamp_format": ""}'), ('{"timezone": "Mars/Olympus"}'), ('{"as_of": "yesterday-ish"}'),
    ('{"on_error": null}'), ('{"dunning_ignored_statuses": "Failed"}'), ('{"dunning_ignored_statuses": [1]}'),
    ('{"customer_events_on_invoices": "all"}'), ('{"max_years_ahead": "5"}'), ('{"min_date": "soon"}'),
    ('{"writeoff_memo_pattern": "("}'), ('{"reapplication_after": "a while"}'), ('{"call_time_field": "title"}'),
    ('{"country_source": null}'), ('{"call_invoice_in_text": "yes"}')) v(p);
SELECT count(*) AS events_after FROM r9.events;

-- ---- a missing link table: invoices closed in the export, no application loaded ----
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'r9b');
INSERT INTO r9b.transaction (id, tranid, type, trandate, createddate, duedate, entity, status, foreigntotal, foreignamountunpaid)
SELECT g::text, 'INV' || g, 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '10', 'B', '100.00', '0.00'
FROM generate_series(1, 3) g;
SELECT activity, events FROM collmine.netsuite_build('r9b') WHERE events > 0;
SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('r9b')
WHERE severity IN ('error', 'warning') ORDER BY check_name;

-- ---- the inline parse path (src/fast_parse.c) equals the checked one (values every 5 days and
-- 7 hours from 1899 to 2032, around both ends of the window 1900-01-01 .. 2030-06-30, and every
-- half hour around the 2024 daylight-saving changes of New York), in the display formats and in
-- ISO 8601, with the session in UTC and in New York, whose gaps to_timestamp moves times out of
-- (expected: no rows) ----
BEGIN;
CREATE TEMP TABLE IF NOT EXISTS _cm_issue (check_name text, severity text, source_table text, source_ref text, case_id text, detail text);
CREATE TEMP TABLE parsed (session_zone text, date_format text, dv text, tv text, d_inline date, d_checked date,
                          t_inline timestamptz, t_checked timestamptz, d_fast boolean, t_fast boolean);
DO $$
DECLARE
    f record;
    z text;
    pc jsonb;   -- the parse context (_cm_parse_context), with the window fixed
BEGIN
    FOREACH z IN ARRAY ARRAY['UTC', 'America/New_York'] LOOP
        PERFORM set_config('TimeZone', z, true);
        FOR f IN SELECT * FROM (VALUES ('MM/DD/YYYY', 'MM/DD/YYYY HH12:MI am'), ('YYYY-MM-DD', NULL), ('DD.MM.YYYY', 'DD.MM.YYYY HH24:MI')) v(df, tf) LOOP
            pc := jsonb_build_object('on_error', 'report', 'timezone', 'Europe/Berlin', 'min_date', '1900-01-01',
                                     'max_date', '2030-06-30', 'date_format', f.df, 'timestamp_format', f.tf);
            INSERT INTO parsed
            SELECT z, f.df, x.dv, x.tv,
                   collmine._cm_date(x.dv, 't', 'c', 'r', pc), collmine._cm_date_parse(x.dv, 't', 'c', 'r', pc),
                   collmine._cm_ts(x.tv, 't', 'c', 'r', pc), collmine._cm_ts_parse(x.tv, 't', 'c', 'r', pc),
                   collmine._cm_fast_date(x.dv, f.df, '1900-01-01', '2030-06-30') IS NOT NULL,
                   collmine._cm_fast_ts(x.tv, f.tf, 'Europe/Berlin', '1900-01-01', '2030-06-30') IS NOT NULL
            FROM (SELECT to_char(g, f.df) AS dv, to_char(g, coalesce(f.tf, 'YYYY-MM-DD HH24:MI')) AS tv
                  FROM (SELECT generate_series(timestamp '1899-12-01', timestamp '2032-02-01', interval '5 days 7 hours')
                        UNION ALL SELECT generate_series(timestamp '2024-03-09', timestamp '2024-03-11', interval '30 minutes')
                        UNION ALL SELECT generate_series(timestamp '2024-11-02', timestamp '2024-11-04', interval '30 minutes')) s(g)) x;
        END LOOP;
    END LOOP;
END $$;
-- every value of the years 1901 to 2029 is read inline (8,904 of the grid's 9,123 values, and
-- the 194 around the changes, per format and zone), those of 1899, 1900, 2030 and later are not
SELECT session_zone, date_format, count(*) AS values_compared, count(*) FILTER (WHERE d_checked IS NULL) AS dates_outside_window,
       count(*) FILTER (WHERE t_checked IS NULL) AS times_outside_window,
       count(*) FILTER (WHERE d_fast) AS dates_inline, count(*) FILTER (WHERE t_fast) AS times_inline,
       count(*) FILTER (WHERE d_fast <> (extract(year FROM d_checked) BETWEEN 1901 AND 2029)) AS dates_inline_wrongly
FROM parsed GROUP BY session_zone, date_format ORDER BY session_zone, date_format;
SELECT * FROM parsed WHERE d_inline IS DISTINCT FROM d_checked OR t_inline IS DISTINCT FROM t_checked LIMIT 5;
ROLLBACK;

DROP SCHEMA r9b CASCADE;
DROP SCHEMA r9 CASCADE;
