-- 57_manual_activity_counts: the manual activity dashboard reads the log once. Its event counts
-- come from each case's list of events (summed per kind of case) with manual_activity_share's
-- formula (_manual_activity_share_sql), its case figures from the same lists; events with an
-- unknown is_automated (NULL), and events outside the period ("all of the log" is '-infinity'
-- to 'infinity': a NULL or an infinite timestamp is outside) must be counted exactly as
-- manual_activity_share counts them, while they still belong to their case's activities.
-- A hand-made log of three EUR invoices (dates invoice/due; timestamps UTC):
--   M1 SMB 100 2024-01-01/2024-01-31: generated 01-01 00:00 (automated), reminder 01-20
--      (automated), call 01-25 (manual), payment received 02-01 (manual, late), settled 02-02
--      00:00 (automated): cycle 32 days, not on time
--   M2 ENT 200 2024-01-02/2024-01-31: generated 01-02 00:00 (manual), call 01-10 (unknown),
--      call 01-12 (manual), payment received 01-15 (manual), settled 01-16 00:00 (automated):
--      cycle 14 days, on time
--   M3 SMB 300 2024-01-03/2024-02-02: generated 01-03 (automated), a call with no timestamp
--      (automated); still open
-- The facts are taken then (as of 2024-02-02, the last event); afterwards two events at
-- 'infinity' are added: M3 a manual call, M1 an automated Dispute Registered (an activity that
-- occurs only there). invoice_facts cannot be computed over infinite timestamps, so the
-- dashboard reads the facts taken before, as its materialized variant reads invoice_facts_mv.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA mac_log;
CREATE TABLE mac_log.invoices (
    case_id text PRIMARY KEY, customer_id text, customer_name text, segment text, collector text,
    terms_days integer, currency text, dispute_reason text, invoice_date date, due_date date, amount numeric);
CREATE TABLE mac_log.events (
    case_id text NOT NULL, activity text NOT NULL, ts timestamptz, ord bigint NOT NULL,
    is_automated boolean, amount numeric);
CREATE INDEX ON mac_log.events (case_id, ts, ord);
INSERT INTO mac_log.invoices VALUES
 ('M1', 'C1', 'One',   'SMB', 'ann', 30, 'EUR', NULL, '2024-01-01', '2024-01-31', 100),
 ('M2', 'C2', 'Two',   'ENT', 'bob', 30, 'EUR', NULL, '2024-01-02', '2024-01-31', 200),
 ('M3', 'C3', 'Three', 'SMB', 'ann', 30, 'EUR', NULL, '2024-01-03', '2024-02-02', 300);
INSERT INTO mac_log.events VALUES
 ('M1', 'Invoice Generated',     '2024-01-01 00:00',  1, true,  NULL),
 ('M1', 'Overdue Reminder Sent', '2024-01-20 08:00',  2, true,  NULL),
 ('M1', 'Collection Call Made',  '2024-01-25 10:00',  3, false, NULL),
 ('M1', 'Payment Received',      '2024-02-01 12:00',  4, false, 100),
 ('M1', 'Invoice Settled',       '2024-02-02 00:00',  5, true,  NULL),
 ('M2', 'Invoice Generated',     '2024-01-02 00:00',  6, false, NULL),
 ('M2', 'Collection Call Made',  '2024-01-10 10:00',  7, NULL,  NULL),
 ('M2', 'Collection Call Made',  '2024-01-12 10:00',  8, false, NULL),
 ('M2', 'Payment Received',      '2024-01-15 12:00',  9, false, 200),
 ('M2', 'Invoice Settled',       '2024-01-16 00:00', 10, true,  NULL),
 ('M3', 'Invoice Generated',     '2024-01-03 00:00', 11, true,  NULL),
 ('M3', 'Collection Call Made',  NULL,               12, true,  NULL);
CREATE TABLE mac_facts AS SELECT * FROM collmine.invoice_facts('mac_log');
CREATE UNIQUE INDEX ON mac_facts (case_id);
SELECT case_id, status, extract(epoch FROM cycle_time) / 86400 AS cycle_days, paid_on_time, as_of_date
  FROM mac_facts ORDER BY case_id;

-- Computing the facts (the view) and reading them from the relation (the materialized variant)
-- give the same rows.
SELECT count(*) AS rows,
       (SELECT count(*) FROM (SELECT * FROM collmine.dashboard_manual_activity_impact('mac_log')
                              EXCEPT ALL SELECT * FROM collmine.dashboard_manual_activity_impact('mac_log', 'mac_facts')) d) AS view_not_mv,
       (SELECT count(*) FROM (SELECT * FROM collmine.dashboard_manual_activity_impact('mac_log', 'mac_facts')
                              EXCEPT ALL SELECT * FROM collmine.dashboard_manual_activity_impact('mac_log')) d) AS mv_not_view
  FROM collmine.dashboard_manual_activity_impact('mac_log');

INSERT INTO mac_log.events VALUES
 ('M3', 'Collection Call Made',  'infinity', 13, false, NULL),
 ('M1', 'Dispute Registered',    'infinity', 14, true,  NULL);

-- Counted (timestamps in the period only):
--   Collection Call Made: M1 manual, M2 unknown, M2 manual (M3's two calls are outside) -> 3
--     events, 2 manual, 0 automated, 1 unknown, share 2 / (2 + 0) = 1
--   Invoice Generated: M1 automated, M2 manual, M3 automated -> 3, 1, 2, 0, share 1/3
--   Invoice Settled: M1, M2 automated -> 2, 0, 2, 0, share 0
--   Overdue Reminder Sent: M1 automated -> 1, 0, 1, 0, share 0
--   Payment Received: M1, M2 manual -> 2, 2, 0, 0, share 1
--   Dispute Registered: only at 'infinity', so no row (as manual_activity_share has none)
-- Cases (every event of the case, inside the period or not):
--   Collection Call Made: M1, M2, M3 -> 3 cases, all 3 with a manual call (M3's at 'infinity');
--     settled with manual: M1 32 and M2 14 days -> 23, on time (0 + 1) / 2 = 0.5; without: none
--   Invoice Generated: 3 cases, by hand in M2 only: with 14 days, on time 1; without: M1 (M3 is
--     open) 32 days, on time 0
--   Invoice Settled: M1, M2, never by hand: without (32 + 14) / 2 = 23, on time 0.5
--   Overdue Reminder Sent: M1, automated: without 32, on time 0
--   Payment Received: M1, M2, by hand in both: with 23, on time 0.5
SELECT activity, events, manual_events, automated_events, unknown_events, round(manual_share, 6) AS share,
       cases, cases_with_manual, round(avg_cycle_days_with_manual, 6) AS cycle_with,
       round(avg_cycle_days_without_manual, 6) AS cycle_without,
       round(on_time_rate_with_manual, 6) AS on_time_with, round(on_time_rate_without_manual, 6) AS on_time_without
  FROM collmine.dashboard_manual_activity_impact('mac_log', 'mac_facts') ORDER BY activity;

-- The same counts and shares, to the last digit, as manual_activity_share over the whole log;
-- its total row: 11 events, 5 manual, 5 automated, 1 unknown, share 5 / 10 = 0.5
SELECT activity, events, manual_events, automated_events, unknown_events, manual_share
  FROM collmine.manual_activity_share('mac_log', '-infinity', 'infinity') ORDER BY activity NULLS FIRST;
SELECT count(*) AS differing
  FROM ((SELECT activity, events, manual_events, automated_events, unknown_events, manual_share::text
           FROM collmine.dashboard_manual_activity_impact('mac_log', 'mac_facts')
         EXCEPT ALL
         SELECT activity, events, manual_events, automated_events, unknown_events, manual_share::text
           FROM collmine.manual_activity_share('mac_log', '-infinity', 'infinity') WHERE activity IS NOT NULL)
        UNION ALL
        (SELECT activity, events, manual_events, automated_events, unknown_events, manual_share::text
           FROM collmine.manual_activity_share('mac_log', '-infinity', 'infinity') WHERE activity IS NOT NULL
         EXCEPT ALL
         SELECT activity, events, manual_events, automated_events, unknown_events, manual_share::text
           FROM collmine.dashboard_manual_activity_impact('mac_log', 'mac_facts'))) d;

-- manual_activity_share by segment for January 2024: SMB (M1, M3) and ENT (M2), the events of
-- 2024-01-01 to 2024-01-31 (M1's payment and settlement fall in February):
--   ENT: call 2 (1 manual, 1 unknown), generated 1 manual, payment 1 manual, settled 1
--        automated; total 5 events, 3 manual, 1 automated, 1 unknown, share 3/4
--   SMB: call 1 manual, generated 2 automated, reminder 1 automated; total 4, 1 manual,
--        3 automated, share 1/4
SELECT group_value, activity, events, manual_events, automated_events, unknown_events, manual_share
  FROM collmine.manual_activity_share('mac_log', '2024-01-01', '2024-01-31', 'segment');

DROP TABLE mac_facts;
DROP SCHEMA mac_log CASCADE;
