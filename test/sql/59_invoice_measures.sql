-- 59_invoice_measures: the per-invoice measures have one definition each (issue 11.2), the
-- data template's (../shared/reference/netsuite-data-template.txt, quoted below), shared by the
-- connectors' invoices and collmine.invoice_facts:
--   Days Overdue: "(Current Date or Payment Date) - Due Date"; "A value of zero or less
--     indicates the invoice is not overdue" (collmine._days_overdue). The payment date is the
--     moment paid_on_time judges (collmine._paid_at: the last Payment Received, or the settlement
--     when no payment settled the invoice); a written-off invoice counts to its write-off; an open
--     one to the data's current date (as_of).
--   Invoice To Cash Cycle Time: "Timestamp('Invoice Settled') - Timestamp('Invoice
--     Generated')", for settled invoices only (collmine._cycle_time).
--   Payment Posting Lag: "Timestamp('Payment Posted') - Timestamp('Payment Received')"; with
--     several payments the mean over the k-th receipt and the k-th posting
--     (collmine._payment_facts_sql).
-- Hand-made cases for the rules, then a small NetSuite export built by the connector whose every
-- value is worked out below, and invoice_facts on the same log. The plain-SQL cross-check over
-- the bundled samples of the three sources is in 40_connectors_sample.
SET client_min_messages = warning;
SET timezone = 'UTC';

-- Days overdue by hand (due 2024-05-31, current date 2024-06-30):
--   paid 06-01 03:00 UTC, judged in UTC: 06-01 - 05-31 = 1
--   the same moment in New York is 05-31 23:00: 0 (paid on the due date: not overdue)
--   paid 05-20: -11 (paid 11 days early); written off 06-10: 10; open: 06-30 - 05-31 = 30
--   no due date: NULL
SELECT c.label, collmine._days_overdue(c.status, c.paid_at, c.written_off_at, '2024-06-30', c.due_date, c.tz) AS days_overdue
  FROM (VALUES ('paid the day after, UTC', 'settled', '2024-06-01 03:00+00'::timestamptz, NULL::timestamptz, '2024-05-31'::date, 'UTC'),
               ('paid on the due date in New York', 'settled', '2024-06-01 03:00+00', NULL, '2024-05-31', 'America/New_York'),
               ('paid early', 'settled', '2024-05-20 09:00+00', NULL, '2024-05-31', 'UTC'),
               ('written off', 'written_off', NULL, '2024-06-10 08:00+00', '2024-05-31', 'UTC'),
               ('open', 'open', NULL, NULL, '2024-05-31', 'UTC'),
               ('no due date', 'open', NULL, NULL, NULL, 'UTC')) c(label, status, paid_at, written_off_at, due_date, tz);

-- Cycle time by hand: settled 05-20 09:00, generated 05-01 09:00: 19 days; written off or open:
-- none, whatever the closing time
SELECT c.label, collmine._cycle_time(c.status, c.closed_at, '2024-05-01 09:00+00') AS cycle_time
  FROM (VALUES ('settled', 'settled', '2024-05-20 09:00+00'::timestamptz),
               ('written off', 'written_off', '2024-06-10 08:00+00'),
               ('open', 'open', NULL)) c(label, status, closed_at);

-- Posting lag by hand, over a log of events (case, activity, ts, ord):
--   P1: received 05-01 00:00, posted 05-01 08:00: 8 hours
--   P2: received 05-05 and 05-01, posted 05-05 12:00 and 05-02 08:00 (rows and ord in no
--       particular order): by time the 1st receipt (05-01) pairs with the 1st posting (05-02
--       08:00: 32 h), the 2nd (05-05) with the 2nd (05-05 12:00: 12 h): mean 22 hours
--   P3: three receipts, one posting: only the 1st pair counts (05-03 - 05-01 = 2 days)
--   P4: received, never posted: no lag; the last receipt 05-09
--   P5: a posting after the cut-off (events before 05-10 count): no lag
CREATE TEMP TABLE lag_ev (case_id text, activity text, ts timestamptz, ord bigint);
INSERT INTO lag_ev VALUES
    ('P1', 'Payment Received', '2024-05-01 00:00+00', 1), ('P1', 'Payment Posted', '2024-05-01 08:00+00', 2),
    ('P2', 'Payment Received', '2024-05-05 00:00+00', 3), ('P2', 'Payment Posted', '2024-05-05 12:00+00', 4),
    ('P2', 'Payment Received', '2024-05-01 00:00+00', 1), ('P2', 'Payment Posted', '2024-05-02 08:00+00', 2),
    ('P3', 'Payment Received', '2024-05-01 00:00+00', 1), ('P3', 'Payment Received', '2024-05-02 00:00+00', 2),
    ('P3', 'Payment Posted', '2024-05-03 00:00+00', 3), ('P3', 'Payment Received', '2024-05-04 00:00+00', 4),
    ('P4', 'Payment Received', '2024-05-09 00:00+00', 1),
    ('P5', 'Payment Received', '2024-05-09 00:00+00', 1), ('P5', 'Payment Posted', '2024-05-10 00:00+00', 2);
CREATE FUNCTION pg_temp.lags() RETURNS TABLE (case_id text, last_received_at timestamptz, posting_lag interval)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE collmine._payment_facts_sql('pg_temp.lag_ev', $a$ARRAY['Payment Received']$a$,
                                                     $a$ARRAY['Payment Posted']$a$, $a$'2024-05-10'::timestamptz$a$);
END $$;
SELECT * FROM pg_temp.lags() ORDER BY case_id;

-- ---- a NetSuite export, built by the connector (build time zone UTC, as this session) -------
-- Customer Acme, terms Net 30, USD. Payment Received is the payment's transaction date (00:00),
-- Payment Posted its GL posting (its creation time), the link's lastmodifieddate when it was
-- applied; the application that pays the invoice in full settles it then. as_of 2024-06-30.
SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'im');
INSERT INTO im.subsidiary VALUES ('1', 'US Inc.', 'US');
INSERT INTO im.term VALUES ('1', 'Net 30', '30');
INSERT INTO im.customer (id, entityid, companyname, category, terms, subsidiary, salesrep, billcountry) VALUES
    ('10', 'C10', 'Acme', 'Standard', '1', '1', '101', 'US');
INSERT INTO im.transaction (id, tranid, type, trandate, createddate, duedate, entity, foreigntotal, currency, posting, createdby, terms, memo) VALUES
    ('1', 'M1', 'CustInvc', '2024-05-01', '2024-05-01 09:00', '2024-05-31', '10', '100.00', 'USD', 'T', '101', '1', NULL),
    ('2', 'M2', 'CustInvc', '2024-05-02', '2024-05-02 10:00', '2024-06-01', '10', '100.00', 'USD', 'T', '101', '1', NULL),
    ('3', 'M3', 'CustInvc', '2024-04-01', '2024-04-01 09:00', '2024-05-01', '10', '300.00', 'USD', 'T', '101', '1', NULL),
    ('4', 'M4', 'CustInvc', '2024-05-03', '2024-05-03 09:00', '2024-06-02', '10', '50.00', 'USD', 'T', '101', '1', NULL),
    ('5', 'M5', 'CustInvc', '2024-03-01', '2024-03-01 09:00', '2024-03-31', '10', '200.00', 'USD', 'T', '101', '1', NULL),
    ('6', 'M6', 'CustInvc', '2024-05-15', '2024-05-15 09:00', '2024-06-14', '10', '400.00', 'USD', 'T', '101', '1', NULL),
    ('7', 'M7', 'CustInvc', '2024-06-10', '2024-06-10 09:00', '2024-07-10', '10', '100.00', 'USD', 'T', '101', '1', NULL),
    ('11', 'PY1', 'CustPymt', '2024-05-20', '2024-05-20 08:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('12', 'PY2', 'CustPymt', '2024-06-01', '2024-06-03 08:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('13', 'PY3A', 'CustPymt', '2024-04-20', '2024-04-20 08:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('14', 'PY3B', 'CustPymt', '2024-05-05', '2024-05-06 08:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('15', 'PY3C', 'CustPymt', '2024-05-10', '2024-05-10 12:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('16', 'PY5', 'CustPymt', '2024-04-15', '2024-04-15 08:00', NULL, '10', '50.00', 'USD', 'T', '101', NULL, NULL),
    ('17', 'PY6', 'CustPymt', '2024-06-20', '2024-06-21 08:00', NULL, '10', '100.00', 'USD', 'T', '101', NULL, NULL),
    ('21', 'CM4', 'CustCred', '2024-05-25', '2024-05-25 08:00', NULL, '10', '50.00', 'USD', 'T', '101', NULL, 'price correction'),
    ('31', 'JE5', 'Journal', '2024-06-10', '2024-06-10 08:00', NULL, '10', '150.00', 'USD', 'T', '101', NULL, 'Bad debt write-off');
INSERT INTO im.transactionline (transaction, id, mainline, subsidiary) VALUES
    ('1', '0', 'T', '1'), ('2', '0', 'T', '1'), ('3', '0', 'T', '1'), ('4', '0', 'T', '1'),
    ('5', '0', 'T', '1'), ('6', '0', 'T', '1'), ('7', '0', 'T', '1');
INSERT INTO im.nexttransactionlinelink (previousdoc, previoustype, nextdoc, nexttype, foreignamount, lastmodifieddate) VALUES
    ('1', 'CustInvc', '11', 'CustPymt', '100.00', '2024-05-20 09:00'),  -- M1 paid in full
    ('2', 'CustInvc', '12', 'CustPymt', '100.00', '2024-06-03 08:30'),  -- M2 paid in full
    ('3', 'CustInvc', '13', 'CustPymt', '100.00', '2024-04-20 09:00'),  -- M3 1st part
    ('3', 'CustInvc', '14', 'CustPymt', '100.00', '2024-05-06 08:30'),  -- M3 2nd part
    ('3', 'CustInvc', '15', 'CustPymt', '100.00', '2024-05-10 12:30'),  -- M3 last part: settled
    ('4', 'CustInvc', '21', 'CustCred', '50.00', '2024-05-25 10:00'),   -- M4 credited in full
    ('5', 'CustInvc', '16', 'CustPymt', '50.00', '2024-04-15 09:00'),   -- M5 partial payment
    ('5', 'CustInvc', '31', 'Journal', '150.00', '2024-06-10 09:00'),   -- M5 the rest written off
    ('6', 'CustInvc', '17', 'CustPymt', '100.00', '2024-06-21 09:00');  -- M6 partial payment
SELECT activity, events FROM collmine.netsuite_build('im', '{"as_of": "2024-06-30 23:59:00+00"}')
 WHERE activity IN ('Payment Received', 'Payment Posted', 'Invoice Settled', 'Invoice Written Off', 'Credit Memo Issued');

-- Worked out from the template's text (default: paid = the last Payment Received):
-- M1 paid before due, one payment: received 05-20, due 05-31: days overdue -11, on time;
--    settled 05-20 09:00 - generated 05-01 09:00 = 19 days; posted 05-20 08:00: lag 8 hours.
-- M2 paid on the due date, posted and settled two days later: received 06-01, due 06-01: 0 (not
--    overdue), on time; cycle 06-03 08:30 - 05-02 10:00 = 31 days 22:30; lag 06-03 08:00 -
--    06-01 00:00 = 2 days 8 hours.
-- M3 three partial payments, the last after due: received 04-20, 05-05, 05-10; due 05-01: 9
--    days overdue (the last payment), late; cycle 05-10 12:30 - 04-01 09:00 = 39 days 03:30;
--    lags 8 h, 1 day 8 h (32 h), 12 h: mean 52 h / 3 = 17:20.
-- M4 settled by a credit memo, no payment: paid when settled, 05-25, due 06-02: -8, on time;
--    cycle 05-25 10:00 - 05-03 09:00 = 22 days 01:00; no posting lag.
-- M5 partly paid (04-15), the rest written off 06-10 08:00 (the journal's creation): counted to
--    the write-off, 06-10 - 03-31 = 71 days; never paid: not on time; no cycle time (a
--    write-off is not a settlement); the partial payment's lag 8 hours.
-- M6 open, partly paid: 06-30 - 06-14 = 16 days overdue; paid on time and cycle time unknown;
--    lag 06-21 08:00 - 06-20 00:00 = 1 day 8 hours.
-- M7 open, not yet due: 06-30 - 07-10 = -10; nothing else.
SELECT case_id, status, due_date, days_overdue, paid_on_time, cycle_time, posting_lag
  FROM im.invoices ORDER BY case_id;

-- invoice_facts on the same log, as of the build's as_of date, in the same time zone: the same
-- values (the facts' days_late is days overdue above zero for paid invoices: M3 9, M1 M2 M4 0)
SELECT f.case_id, f.status, f.paid_at, f.days_overdue, f.days_late, f.paid_on_time, f.cycle_time, f.posting_lag
  FROM collmine.invoice_facts('im', '2024-06-30') f ORDER BY f.case_id;
SELECT i.case_id
  FROM im.invoices i FULL JOIN collmine.invoice_facts('im', '2024-06-30') f USING (case_id)
 WHERE (i.status, i.days_overdue, i.paid_on_time, i.cycle_time, i.posting_lag)
       IS DISTINCT FROM (f.status, f.days_overdue, f.paid_on_time, f.cycle_time, f.posting_lag);

-- By the setting paid_on_time = settled (the facts' on_time_basis => 'settled') the pay date is
-- the settlement for days overdue too: M2 settled 06-03, due 06-01: 2 days overdue and late;
-- M1 (settled 05-20) -11, M3 (settled 05-10) 9, M4 -8 as before; M5, M6, M7 unchanged.
SELECT count(*) AS rows FROM collmine.netsuite_build('im', '{"as_of": "2024-06-30 23:59:00+00", "paid_on_time": "settled"}');
SELECT case_id, days_overdue, paid_on_time FROM im.invoices ORDER BY case_id;
SELECT i.case_id
  FROM im.invoices i FULL JOIN collmine.invoice_facts('im', '2024-06-30', on_time_basis => 'settled') f USING (case_id)
 WHERE (i.days_overdue, i.paid_on_time) IS DISTINCT FROM (f.days_overdue, f.paid_on_time);
DROP SCHEMA im CASCADE;

-- ---- dunning adherence of one invoice (collmine._dunning_outcome), grace 7 days ------------
-- due 2024-01-31: the deadline is the end of 01-31 + 7 = 2024-02-08 00:00 in the session's
-- TimeZone (UTC here)
SELECT collmine._dunning_deadline('2024-01-31', 7) AS deadline;
--   settled 02-05 (before the deadline), never dunned: needed no dunning (NULL)
--   written off 02-07: needed none either
--   open, first dunning 02-07 23:59: in time; at 02-08 00:00: late (the deadline is exclusive)
--   settled 02-08 00:00 (open at the deadline), never dunned: not dunned
--   open, no dunning: not dunned; no due date (no deadline): NULL
SELECT c.label, collmine._dunning_outcome(collmine._dunning_deadline(c.due_date, 7), c.settled_at, c.written_off_at, c.dunned_at) AS outcome
  FROM (VALUES ('settled before the deadline', '2024-01-31'::date, '2024-02-05 10:00+00'::timestamptz, NULL::timestamptz, NULL::timestamptz),
               ('written off before the deadline', '2024-01-31', NULL, '2024-02-07 10:00+00', NULL),
               ('dunned on the last day', '2024-01-31', NULL, NULL, '2024-02-07 23:59+00'),
               ('dunned at the deadline', '2024-01-31', NULL, NULL, '2024-02-08 00:00+00'),
               ('settled at the deadline', '2024-01-31', '2024-02-08 00:00+00', NULL, NULL),
               ('open, never dunned', '2024-01-31', NULL, NULL, NULL),
               ('no due date', NULL, NULL, NULL, '2024-02-01 00:00+00')) c(label, due_date, settled_at, written_off_at, dunned_at);
