-- Dynamics 365 Finance & Operations connector on a small hand-made export. Enums come mixed as
-- integers (Synapse Link) and names (data management): both decode. Expected events are worked
-- out in the comments.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365fo', 'cm_fo');

INSERT INTO cm_fo."CustTable" ("DataAreaId", "AccountNum", "CustGroup", "SegmentId", "PaymTermId", "PartyCountry") VALUES
    ('usmf', 'US-001', '10', 'Standard', 'Net30', 'US'),
    ('usmf', 'US-002', '30', 'Risky', 'Net30', 'US');
INSERT INTO cm_fo."PaymTerm" VALUES ('usmf', 'Net30', '30');
INSERT INTO cm_fo."CustTrans" ("DataAreaId", "RecId", "AccountNum", "Invoice", "Voucher", "TransDate", "DueDate", "AmountCur", "CurrencyCode", "TransType", "PaymTermId", "CreatedBy") VALUES
    ('usmf', '1', 'US-001', 'CIV-1', 'SIV-1', '2024-03-01', '2024-03-31', '100.00', 'USD', '2', 'Net30', 'Batch'),
    ('usmf', '2', 'US-001', 'CIV-2', 'SIV-2', '2024-03-02', '2024-04-01', '200.00', 'USD', 'Sales', 'Net30', 'usr101'),
    ('usmf', '3', 'US-002', 'CIV-3', 'SIV-3', '2024-01-10', '2024-02-09', '500.00', 'USD', 'Cust', 'Net30', 'usr102'),
    ('usmf', '11', 'US-001', NULL, 'PAY-1', '2024-03-10', NULL, '-40.00', 'USD', '15', NULL, 'usr101'),
    ('usmf', '12', 'US-001', NULL, 'PAY-2', '2024-04-10', NULL, '-260.00', 'USD', 'Payment', NULL, 'usr101'),
    ('usmf', '21', 'US-002', NULL, 'WO-1', '2024-04-20', NULL, '-500.00', 'USD', 'WriteOff', NULL, 'usr102');
INSERT INTO cm_fo."CustSettlement" ("DataAreaId", "RecId", "TransRecId", "OffsetRecid", "TransDate", "SettleAmountCur") VALUES
    ('usmf', '101', '1', '11', '2024-03-12', '40.00'),    -- CIV-1 partial
    ('usmf', '102', '1', '12', '2024-04-11', '60.00'),    -- CIV-1 rest: settled
    ('usmf', '103', '2', '12', '2024-04-11', '200.00'),   -- the same payment settles CIV-2
    ('usmf', '104', '3', '21', '2024-04-20', '500.00'),   -- CIV-3 written off
    ('usmf', '105', '11', '1', '2024-03-12', '-40.00');   -- payment side of the pair: ignored
INSERT INTO cm_fo."CustCollectionLetterJour" VALUES
    ('usmf', 'CL-1', 'US-002', '1', '2024-02-19', '2024-02-20', '2', 'Batch'),
    ('usmf', 'CL-2', 'US-002', '2', '2024-03-04', NULL, 'Posted', 'Batch'),
    ('usmf', 'CL-3', 'US-002', '2', '2024-03-05', '2024-03-05', '3', 'usr102');   -- cancelled
INSERT INTO cm_fo."CustCollectionLetterTrans" ("DataAreaId", "RecId", "CollectionLetterNum", "CustTransId", "Invoice") VALUES
    ('usmf', '201', 'CL-1', '3', 'CIV-3'), ('usmf', '202', 'CL-2', '3', 'CIV-3'), ('usmf', '203', 'CL-3', '3', 'CIV-3');
INSERT INTO cm_fo."CustDisputeHistory" ("DataAreaId", "RecId", "CustTrans", "Status", "CreatedDateTime", "ReasonTableRef", "ResponsibleWorker") VALUES
    ('usmf', '301', '2', '1', '2024-03-05T11:00:00Z', 'PRICE', 'W101'),
    ('usmf', '302', '2', '2', '2024-03-06T11:00:00Z', 'PRICE', 'W101'),          -- promise to pay: not a dispute step
    ('usmf', '303', '2', '3', '2024-03-10T12:00:00Z', 'PRICE', 'W101'),
    ('usmf', '304', '2', 'Disputed', '2024-03-15T09:00:00Z', 'QTY', 'W103'),    -- reopened
    ('usmf', '305', '2', 'Resolved', '2024-03-25T09:00:00Z', 'QTY', 'W103');
INSERT INTO cm_fo."smmActivities" ("DataAreaId", "ActivityNumber", "TypeId", "Purpose", "ActualEndDateTime", "ResponsibleWorker") VALUES
    ('usmf', 'ACT-1', 'Call', 'Collections call', '2024-03-01T14:00:00Z', 'W102'),
    ('usmf', 'ACT-2', 'Task', 'Check remittance', '2024-03-02T14:00:00Z', 'W102');  -- not a call type
INSERT INTO cm_fo."CustCollectionsLinkTable" VALUES ('usmf', 'ACT-1', '2', '3'), ('usmf', 'ACT-2', '2', '3');
INSERT INTO cm_fo."CredManCreditLimitAdjTable" VALUES ('usmf', 'CLA-1', 'Posted', '1', '2024-03-03', '2024-03-01T10:00:00Z', 'usr101');
INSERT INTO cm_fo."CredManCreditLimitAdjTrans" VALUES ('usmf', 'CLA-1', 'US-001', '5000', '8000');

SELECT * FROM collmine.d365fo_build('cm_fo', '{"as_of": "2024-04-30 23:59:00+00"}');

-- usmf/CIV-1: Generated 03-01 (by Batch: automated); credit limit requested 03-01 10:00 when
--   CIV-1 is US-001's only open invoice, approved (posted) 03-03 when CIV-1 and CIV-2 are open;
--   PAY-1 received 03-10, posted (settlement) 03-12; due 03-31 (passed event 03-31 00:00); PAY-2 received
--   04-10, posted 04-11 and settled then.
-- usmf/CIV-2: Generated 03-02; credit limit approved 03-03; dispute 03-05, resolved 03-10
--   (the promise-to-pay row changes nothing), reopened 03-15, resolved 03-25; due 04-01, its
--   passed event at 04-01 00:00; PAY-2 (the same payment as CIV-1) received 04-10, posted and settled 04-11.
-- usmf/CIV-3: Generated 01-10; due 02-09 (Payment Due Date Passed at 02-09 00:00); letter CL-1 printed 02-20 starts dunning;
--   call 03-01 14:00; letter CL-2 03-04 (no print date: letter date); CL-3 cancelled: ignored;
--   written off 04-20.
SELECT case_id, ts, activity, user_id, is_automated, amount
FROM cm_fo.events ORDER BY case_id, ord;

-- CIV-1 last paid (PAY-2 received) 04-10, due 03-31: 10 days overdue (settled 04-11); posting
--   lags 2 days and 1 day: mean 36 hours. CIV-2 paid 04-10, due 04-01: 9 days.
-- CIV-3 written off 04-20, due 02-09: 71 days (to the write-off); no cycle time (not settled).
SELECT case_id, customer_id, segment, business_unit, country, terms, terms_days, status, dispute_reason,
       amount, amount_paid, amount_written_off, open_amount, settled_at, written_off_at,
       days_overdue, paid_on_time, cycle_time, posting_lag
FROM cm_fo.invoices ORDER BY case_id;

SELECT check_name, severity, problems, examples FROM collmine.data_quality('cm_fo');

-- the call types and the write-off transaction types are settings
SELECT activity, events FROM collmine.d365fo_build('cm_fo', '{"as_of": "2024-04-30 23:59:00+00", "call_types": ["Call", "Task"], "writeoff_transtypes": ["BadDebt"]}')
WHERE activity IN ('Collection Call Made', 'Invoice Written Off');
SELECT check_name, problems, examples FROM collmine.data_quality('cm_fo') WHERE check_name = 'unknown_enum_value';

DROP SCHEMA cm_fo CASCADE;
