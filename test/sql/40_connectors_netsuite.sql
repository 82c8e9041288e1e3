-- NetSuite connector on a small hand-made export. Every expected event is worked out in the
-- comments; the last queries cross-check the derived invoice attributes in plain SQL.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'cm_ns');

-- customers 10 and 12 are in subsidiary 1 (US), 11 in subsidiary 2 (UK)
INSERT INTO cm_ns.subsidiary VALUES ('1', 'US Inc.', 'US'), ('2', 'UK Ltd', 'GB');
INSERT INTO cm_ns.term VALUES ('1', 'Net 30', '30');
INSERT INTO cm_ns.customer (id, entityid, companyname, category, terms, subsidiary, salesrep, billcountry) VALUES
    ('10', 'C10', 'Acme', 'Standard', '1', '1', '101', 'US'),
    ('11', 'C11', 'Bolt', 'Risky', '1', '2', '102', 'GB'),
    ('12', 'C12', 'Cogs', 'Prompt', '1', '1', '101', 'US');
INSERT INTO cm_ns.transaction (id, tranid, type, trandate, createddate, duedate, entity, foreigntotal, currency, posting, createdby, terms, memo) VALUES
    -- invoices
    ('1', 'INV1', 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '10', '100.00', 'USD', 'T', '101', '1', NULL),
    ('2', 'INV2', 'CustInvc', '2024-03-02', '2024-03-02 10:00', '2024-04-01', '10', '200.00', 'USD', 'T', '-4', '1', NULL),
    ('3', 'INV3', 'CustInvc', '2024-03-05', '2024-03-05 08:00', '2024-04-04', '10', '80.00', 'USD', 'T', '101', '1', NULL),
    ('4', 'INV4', 'CustInvc', '2024-01-10', '2024-01-10 09:00', '2024-02-09', '11', '500.00', 'GBP', 'T', '102', '1', NULL),
    ('5', 'INV5', 'CustInvc', '2024-04-15', '2024-04-15 09:00', '2024-05-15', '10', '300.00', 'USD', 'T', '101', '1', NULL),
    ('6', 'INV6', 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '12', '10.00', 'EUR', 'T', '101', '1', NULL),
    -- payments, a credit memo, a bad-debt journal
    ('11', 'PY1', 'CustPymt', '2024-03-10', '2024-03-10 08:00', NULL, '10', '40.00', 'USD', 'T', '101', NULL, NULL),
    ('12', 'PY2', 'CustPymt', '2024-03-20', '2024-03-20 08:00', NULL, '10', '60.00', 'USD', 'T', '101', NULL, NULL),
    ('13', 'PY3', 'CustPymt', '2024-04-10', '2024-04-10 08:00', NULL, '10', '230.00', 'USD', 'T', '101', NULL, NULL),
    ('14', 'PY4', 'CustPymt', '2024-03-05', '2024-03-05 08:00', NULL, '12', '12.00', 'USD', 'T', '101', NULL, NULL),
    ('21', 'CM1', 'CustCred', '2024-03-25', '2024-03-25 08:00', NULL, '10', '50.00', 'USD', 'T', '101', NULL, 'price correction'),
    ('31', 'JE1', 'Journal', '2024-04-20', '2024-04-20 08:00', NULL, '11', '500.00', 'GBP', 'T', '102', NULL, 'Bad debt write-off');
INSERT INTO cm_ns.transactionline (transaction, id, mainline, subsidiary) VALUES
    ('1', '0', 'T', '1'), ('2', '0', 'T', '1'), ('3', '0', 'T', '1'), ('4', '0', 'T', '2'), ('5', '0', 'T', '1'), ('6', '0', 'T', '1');
INSERT INTO cm_ns.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, foreignamount, lastmodifieddate) VALUES
    ('1', 'CustInvc', '11', 'CustPymt', '40.00', '2024-03-11 09:00'),   -- INV1 partial payment
    ('1', 'CustInvc', '12', 'CustPymt', '60.00', '2024-03-20 15:00'),   -- INV1 last application: settled here
    ('2', 'CustInvc', '21', 'CustCred', '50.00', '2024-03-25 16:00'),   -- INV2 credit memo
    ('2', 'CustInvc', '13', 'CustPymt', '150.00', '2024-04-11 10:00'),  -- PY3 pays INV2 ...
    ('3', 'CustInvc', '13', 'CustPymt', '80.00', '2024-04-11 10:00'),   -- ... and INV3
    ('4', 'CustInvc', '31', 'Journal', '500.00', '2024-04-20 17:00'),   -- INV4 written off
    ('6', 'CustInvc', '14', 'CustPymt', '12.00', '2024-03-05 12:00'),   -- INV6 overpaid, in USD
    ('999', 'CustInvc', '14', 'CustPymt', '1.00', '2024-03-05 12:00');  -- unknown invoice
INSERT INTO cm_ns.systemnote (id, date, recordtypeid, recordid, field, oldvalue, newvalue, name, context) VALUES
    ('501', '2024-03-05 11:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', NULL, 'Pricing', '101', 'UIF'),
    ('502', '2024-03-10 12:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', 'Pricing', 'Resolved', '101', 'UIF'),
    ('503', '2024-03-15 09:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', 'Resolved', 'Pricing', '103', 'UIF'),  -- reopened
    ('503', '2024-03-15 09:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', 'Resolved', 'Pricing', '103', 'UIF'),  -- duplicate export row
    ('504', '2024-03-25 09:00', '-30', '2', 'CUSTBODY_DISPUTE_STATUS', 'Pricing', 'Resolved', '101', 'CSV'),  -- CSV import: automated
    ('505', '2024-04-16 10:00', '-2', '10', 'CUSTENTITY_CREDIT_LIMIT_REQUEST', NULL, '5000', '101', 'UIF'),
    ('506', '2024-04-18 11:00', '-2', '10', 'CREDITLIMIT', '3000', '5000', '105', 'UIF'),
    ('507', '2024-04-20 11:00', '-30', '1', 'TRANDOC.KSTATUS', 'Open', 'Paid In Full', '-4', 'SLT');  -- not an activity
INSERT INTO cm_ns.message (id, author, messagedate, subject, isemailed, transaction) VALUES
    ('61', '101', '2024-03-01 10:00', 'Invoice INV1', 'T', '1'),
    ('62', '101', '2024-03-01 11:00', 'internal note', 'F', '1'),        -- not e-mailed: ignored
    ('63', '101', '2024-04-14 10:00', 'Invoice INV5', 'T', '5');         -- dated before INV5 exists
INSERT INTO cm_ns.customrecord_3805_dunning_eval_result VALUES
    ('71', '11', 'Sent', 'Level 1', '4', '2024-02-19 06:00'),
    ('72', '11', 'Cancelled', 'Level 2', '4', '2024-02-25 06:00'),       -- cancelled: ignored
    ('73', '11', 'Sent', 'Level 2', '4', '2024-03-04 06:00'),
    ('74', '10', 'Sent', 'Level 1', '2', '2024-04-08 06:00');
INSERT INTO cm_ns.phonecall (id, title, completeddate, assigned, company, transaction) VALUES
    ('81', 'about INV2', '2024-04-09 14:00', '103', '10', '2'),
    ('82', 'account review', '2024-03-01 14:00', '102', '11', NULL),     -- customer-level: open INV4
    ('83', 'not done yet', NULL, '102', '11', '4');                      -- not completed: ignored

SELECT * FROM collmine.netsuite_build('cm_ns', '{"as_of": "2024-04-30 23:59:00+00"}');

-- The template's rules (../shared/reference/netsuite-data-template.txt): Payment Received at
-- the payment's transaction date; Payment Posted at its GL posting (posting T: its creation);
-- Credit Memo Issued and Invoice Written Off at the document's creation; Invoice Settled at the
-- last application (the link) that pays the invoice in full; calls on the invoice they name;
-- customer-level notes and calls in customer_events only (customer_events_on_invoices: none).
-- INV1: Generated 03-01 09:00, Sent 10:00; PY1 received 03-10 (its date) and posted 03-10
--       08:00 (created); applied 03-11 09:00, a day after its posting: a re-application,
--       kept in applications. PY2 received 03-20, posted 08:00, applied 15:00: Settled at
--       15:00. Paid before its due date (03-31): no Payment Due Date Passed.
-- INV2: Generated 03-02 10:00 (by the system, -4: automated); dispute registered 03-05,
--       resolved 03-10, reopened 03-15; credit memo CM1 created 03-25 08:00, before the
--       resolution at 09:00 (CSV context: automated); due 04-01 (Payment Due Date Passed at 04-01 00:00, the due date itself); first
--       dunning letter 04-08 06:00 starts dunning; call 04-09 14:00; PY3 received 04-10, posted
--       04-10 08:00, applied and settled 04-11 10:00.
-- INV3: Generated 03-05; due 04-04 (passed event at 04-04 00:00); PY3 received 04-10 (same payment as
--       INV2), posted 04-10 08:00, settled 04-11 10:00.
-- INV4: Generated 01-10; due 02-09 (passed event at 02-09); letters 02-19 and 03-04 (02-25 cancelled);
--       the account review call 03-01 names no invoice: customer C11's event, not INV4's;
--       written off by JE1, created 04-20 08:00.
-- INV5: Generated 04-15 09:00; Sent 04-14 (flagged: before the invoice); the credit limit
--       request 04-16 and approval 04-18 are customer C10's events, not INV5's; due 05-15 is
--       after as_of: no Payment Due Date Passed.
-- INV6: Generated 03-01; PY4 (12.00 USD on a 10.00 EUR invoice) received 03-05, posted 08:00,
--       applied and settled 03-05 12:00.
SELECT case_id, ts, activity, user_id, is_automated, amount, currency
FROM cm_ns.events ORDER BY case_id, ord;

-- days_overdue is the template's "(Current Date or Payment Date) - Due Date", signed (zero or
-- less: not overdue), the payment date being the last Payment Received (the date paid_on_time
-- judges); cycle_time is Invoice Settled - Invoice Generated, for settled invoices only.
-- INV1 last paid (PY2) 03-20, due 03-31: on time, -11 days overdue; cycle 19 days 6 hours;
--   posting lag 8h (received 00:00, posted 08:00 each time).
-- INV2 last paid (PY3) 04-10, due 04-01: 9 days overdue (settled 04-11). INV3: paid 04-10, due
--   04-04: 6. INV4 written off 04-20, due 02-09: 71 days (2024 is a leap year), counted to the
--   write-off; no cycle time (never settled). INV5 open, as_of 04-30, due 05-15: -15. INV6 paid
--   03-05, due 03-31: -26. Country is the customer's billing country.
SELECT case_id, customer_name, segment, business_unit, collector, country, terms, terms_days, currency,
       status, dispute_reason, amount, amount_paid, amount_credited, amount_written_off, open_amount,
       settled_at, written_off_at, days_overdue, paid_on_time, cycle_time, posting_lag
FROM cm_ns.invoices ORDER BY case_id;

-- cross-check in plain SQL: settled_at is the last application of a settled invoice, and
-- cycle_time is settled minus generated, NULL unless settled (expected: no rows)
SELECT i.case_id FROM cm_ns.invoices i
WHERE i.status = 'settled' AND i.settled_at IS DISTINCT FROM
      (SELECT max(applied_at) FROM cm_ns.applications a WHERE a.case_id = i.case_id)
   OR i.cycle_time IS DISTINCT FROM CASE WHEN i.status = 'settled' THEN i.settled_at -
      (SELECT ts FROM cm_ns.events e WHERE e.case_id = i.case_id AND e.activity = 'Invoice Generated') END;

-- ord orders events with equal timestamps by the template's rank: Dunning Procedure Initiated
-- before Overdue Reminder Sent at INV2 04-08 06:00
SELECT activity, ord < lead(ord) OVER (ORDER BY ord) AS before_next
FROM cm_ns.events WHERE case_id = 'INV2' AND ts = '2024-04-08 06:00+00' ORDER BY ord;

-- customer-level events, once each: C10's credit limit request and approval, C11's call
SELECT customer_id, activity, ts, user_id, source_ref FROM cm_ns.customer_events ORDER BY ord;

-- the data-quality report: every problem with a count and examples
SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('cm_ns');

-- settings: a display date format and a different dispute field and write-off rule
SELECT collmine.connector_settings('netsuite') ->> 'dispute_field' AS default_dispute_field;
UPDATE cm_ns.transaction SET memo = 'Abschreibung' WHERE id = '31';
SELECT activity, events FROM collmine.netsuite_build('cm_ns', '{"as_of": "2024-04-30 23:59:00+00", "writeoff_memo_pattern": "abschreibung"}')
WHERE activity = 'Invoice Written Off';
SELECT activity, events FROM collmine.netsuite_build('cm_ns', '{"as_of": "2024-04-30 23:59:00+00", "dispute_field": "CUSTBODY_OTHER"}')
WHERE activity LIKE 'Dispute%';

-- ---- a saved-search export (display column names and formats) -------------------------------
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'cm_ss');
COPY cm_ss.transaction_search ("Internal ID", "Type", "Date", "Date Created", "Document Number", "Name", "Due Date/Receive By", "Amount", "Status", "Subsidiary", "Currency", "Applying Transaction", "Applying Link Amount", "Sales Rep") FROM stdin WITH (FORMAT csv);
101,Invoice,9/1/2024,9/1/2024 9:15 am,INV-101,Acme Corp,10/1/2024,500.00,Paid In Full,US Inc.,USD,Payment #PAY-7,200.00,Jane Roe
101,Invoice,9/1/2024,9/1/2024 9:15 am,INV-101,Acme Corp,10/1/2024,500.00,Paid In Full,US Inc.,USD,Payment #PAY-8,300.00,Jane Roe
102,Invoice,9/14/2024,9/14/2024 1:05 pm,INV-102,Acme Corp,10/14/2024,80.00,Paid In Full,US Inc.,USD,Payment #PAY-8,80.00,Jane Roe
103,Invoice,9/20/2024,9/20/2024 4:40 pm,INV-103,Bolt Ltd,10/20/2024,120.00,Open,US Inc.,USD,,,Jane Roe
201,Payment,9/20/2024,9/20/2024 10:00 am,PAY-7,Acme Corp,,200.00,Deposited,US Inc.,USD,,,
202,Payment,10/20/2024,10/20/2024 11:30 am,PAY-8,Acme Corp,,380.00,Deposited,US Inc.,USD,,,
\.
SELECT collmine.netsuite_from_saved_search('cm_ss') AS transactions;
SELECT * FROM collmine.netsuite_build('cm_ss', '{"date_format": "MM/DD/YYYY", "timestamp_format": "MM/DD/YYYY HH12:MI am", "as_of": "2024-10-31 23:59:00+00"}')
WHERE events > 0;
-- INV-101: Generated 09-01 09:15; PAY-7 received 09-20 (its date), posted at its creation
--   09-20 10:00 and applied then (the saved search dates the application by the payment's date
--   only, and an application is never before its document exists); due 10-01 (passed event at 10-01 00:00);
--   PAY-8 received 10-20, posted and applied 11:30: settled.
-- INV-102: Generated 09-14 13:05; due 10-14 (passed event 10-14); PAY-8 (shared with INV-101) 10-20
--   11:30: settled.
-- INV-103: Generated 09-20 16:40; open; due 10-20 (passed event 10-20), before as_of 10-31.
SELECT case_id, ts, activity, amount FROM cm_ss.events ORDER BY case_id, ord;
-- days overdue: 10-20 - 10-01 = 19, 10-20 - 10-14 = 6, open: 10-31 - 10-20 = 11
SELECT case_id, customer_name, collector, business_unit, status, due_date, settled_at, days_overdue, paid_on_time
FROM cm_ss.invoices ORDER BY case_id;
DROP SCHEMA cm_ss CASCADE;

DROP SCHEMA cm_ns CASCADE;
