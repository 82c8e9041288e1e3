-- Dynamics 365 Business Central connector on a small hand-made export, with BC's quoted table
-- and field names. Option fields come as captions or integers. Expected events are in comments.
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT count(*) AS staging_tables FROM collmine.create_staging('d365bc', 'cm_bc');

INSERT INTO cm_bc."Customer" ("No.", "Name", "Customer Posting Group", "Country/Region Code", "Payment Terms Code", "Salesperson Code") VALUES
    ('C1', 'Acme', 'DOMESTIC', 'US', '30 DAYS', 'JR'),
    ('C2', 'Bolt', 'FOREIGN', 'DE', '30 DAYS', 'PS');
INSERT INTO cm_bc."Cust. Ledger Entry" ("Entry No.", "Customer No.", "Posting Date", "Document Date", "Document Type", "Document No.", "Due Date", "Reason Code", "User ID", "Currency Code", "Amount", "Global Dimension 1 Code") VALUES
    ('1', 'C1', '2024-03-01', '2024-03-01', 'Invoice', 'PSI-1', '2024-03-31', NULL, 'JOBQUEUE', '', '100.00', 'SALES'),
    ('2', 'C1', '2024-03-02', '2024-03-02', '2', 'PSI-2', '2024-04-01', NULL, 'ANNA', '', '200.00', 'SALES'),
    ('3', 'C2', '2024-01-10', '2024-01-10', 'Invoice', 'PSI-3', '2024-02-09', NULL, 'ANNA', 'EUR', '500.00', 'SALES'),
    ('11', 'C1', '2024-03-11', '2024-03-10', 'Payment', 'PMT-1', NULL, NULL, 'ANNA', '', '-40.00', NULL),
    ('12', 'C1', '2024-04-11', '2024-04-10', '1', 'PMT-2', NULL, NULL, 'ANNA', '', '-210.00', NULL),
    ('21', 'C1', '2024-03-25', NULL, 'Credit Memo', 'PCM-1', NULL, NULL, 'ANNA', '', '-50.00', NULL),
    ('31', 'C2', '2024-04-20', '2024-04-20', '', 'WO-1', NULL, 'WRITEOFF', 'ANNA', 'EUR', '-500.00', NULL);
INSERT INTO cm_bc."Detailed Cust. Ledg. Entry" ("Entry No.", "Cust. Ledger Entry No.", "Entry Type", "Posting Date", "Amount", "Applied Cust. Ledger Entry No.", "Unapplied", "User ID") VALUES
    ('101', '1', 'Initial Entry', '2024-03-01', '100.00', NULL, 'false', 'JOBQUEUE'),
    ('102', '1', 'Application', '2024-03-12', '-40.00', '11', 'false', 'ANNA'),    -- PSI-1 partial payment
    ('103', '11', 'Application', '2024-03-12', '40.00', '1', 'false', 'ANNA'),     -- payment side: ignored
    ('104', '1', 'Application', '2024-04-11', '-60.00', '12', 'false', 'ANNA'),    -- PSI-1 settled
    ('105', '2', 'Application', '2024-03-26', '-50.00', '21', 'false', 'ANNA'),    -- credit memo on PSI-2
    ('106', '2', 'Application', '2024-04-05', '-150.00', '12', 'true', 'ANNA'),    -- later unapplied: ignored
    ('107', '2', 'Application', '2024-04-11', '-150.00', '12', 'No', 'ANNA'),      -- PMT-2 also pays PSI-2
    ('108', '3', '2', '2024-04-20', '-500.00', '31', '0', 'ANNA');                 -- write-off (option as integer)
INSERT INTO cm_bc."Issued Reminder Header" VALUES
    ('IR1', 'C2', '2024-02-19', '1', 'JOBQUEUE'), ('IR2', 'C2', '2024-03-04', '2', 'JOBQUEUE');
INSERT INTO cm_bc."Issued Reminder Line" VALUES
    ('IR1', '10000', '3', 'Invoice', 'PSI-3'), ('IR2', '10000', '3', 'Invoice', 'PSI-3'),
    ('IR2', '20000', '0', NULL, NULL);                                              -- a text line: ignored
INSERT INTO cm_bc."Change Log Entry" VALUES
    ('1', '2024-03-05T11:00:00Z', 'ANNA', '21', '86', 'Dispute Status', '2', '', 'PRICE', 'Modification'),
    ('2', '2024-03-10T12:00:00Z', 'ANNA', '21', '86', 'Dispute Status', '2', 'PRICE', '', 'Modification'),
    ('3', '2024-03-15T09:00:00Z', 'ANNA', '21', '86', 'Dispute Status', '2', '', 'QUANTITY', 'Modification'),
    ('4', '2024-03-25T09:00:00Z', 'JOBQUEUE', '21', '86', 'Dispute Status', '2', 'QUANTITY', '', 'Modification'),
    ('5', '2024-03-03T10:00:00Z', 'CREDITMGR', '18', '20', 'Credit Limit (LCY)', 'C1', '5000', '8000', 'Modification'),
    ('6', '2024-03-03T11:00:00Z', 'ANNA', '18', '2', 'Name', 'C1', 'ACME', 'Acme', 'Modification');

SELECT * FROM collmine.d365bc_build('cm_bc', '{"as_of": "2024-04-30 23:59:00+00", "local_currency": "USD"}');

-- PSI-1: Generated 03-01 (JOBQUEUE: automated); credit limit changed 03-03 10:00 while PSI-1
--   and PSI-2 are C1's open invoices; PMT-1 received 03-10 (document date), applied 03-12;
--   due 03-31 (Payment Due Date Passed at 03-31 00:00); PMT-2 received 04-10, applied 04-11: settled.
-- PSI-2: Generated 03-02; credit limit 03-03; dispute set 03-05, cleared 03-10, set again
--   03-15, cleared 03-25 09:00; credit memo PCM-1 03-25 (no document date: posting date);
--   due 04-01 (passed event at 04-01 00:00); the unapplied application of 04-05 is ignored; PMT-2 received 04-10,
--   applied 04-11: settled.
-- PSI-3: Generated 01-10; due 02-09 (Payment Due Date Passed at 02-09 00:00); reminders 02-19 (starts dunning) and 03-04;
--   written off 04-20 by the WRITEOFF-coded entry.
SELECT case_id, ts, activity, user_id, is_automated, amount, currency
FROM cm_bc.events ORDER BY case_id, ord;

-- terms_days is due date minus document date (30); the blank currency is the local currency.
-- PSI-1 last paid (PMT-2 received, its document date) 04-10, due 03-31: 10 days overdue
--   (settled 04-11); posting lags 03-10 -> 03-12 and 04-10 -> 04-11: mean 36 hours. PSI-2 paid
--   04-10, due 04-01: 9 days; lag 1 day. PSI-3 written off 04-20, due 02-09: 71 days (to the
--   write-off); no cycle time (not settled).
SELECT case_id, customer_name, segment, business_unit, collector, country, terms, terms_days, currency,
       status, dispute_reason, amount_paid, amount_credited, amount_written_off, open_amount,
       settled_at, written_off_at, days_overdue, paid_on_time, cycle_time, posting_lag
FROM cm_bc.invoices ORDER BY case_id;

SELECT check_name, severity, problems, examples FROM collmine.data_quality('cm_bc');

-- without the write-off reason code the WO-1 entry is an unclassified application: it still
-- brings the balance to zero, so PSI-3 counts as settled and no write-off event is derived
SELECT activity, events FROM collmine.d365bc_build('cm_bc', '{"as_of": "2024-04-30 23:59:00+00", "writeoff_reason_codes": ["BADDEBT"]}')
WHERE activity IN ('Invoice Written Off', 'Invoice Settled');

DROP SCHEMA cm_bc CASCADE;
