-- 50_kpi_names: an activity name that is neither a template activity nor in the log is almost
-- always a typo; the KPI functions that take activity names warn instead of silently returning
-- nothing. Template activities that simply did not happen (no credit-limit events in this log)
-- stay silent, and names that do occur in the log (a log in other words) are accepted.
-- Credit-limit events are deleted below so that a template activity is really absent.
\set log kpi_names
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off
SET timezone = 'UTC';

-- the log's own activities: no warning; 5 pairs (A1 twice, A2, A3, U5: every Payment Received is posted)
SELECT count(*) AS pairs FROM collmine.activity_pairs('kpi_names', 'Payment Received', 'Payment Posted');
-- a template activity absent from this log (its credit-limit events were deleted): silent, 0 pairs
DELETE FROM kpi_names.events WHERE activity LIKE 'Credit Limit%';
SELECT count(*) AS pairs FROM collmine.activity_pairs('kpi_names', 'Credit Limit Requested', 'Credit Limit Approved');
-- a typo (lower-case r): warned, with the log's names in the hint
SELECT count(*) AS pairs FROM collmine.activity_pairs('kpi_names', 'Payment received', 'Payment Posted');
SELECT count(*) AS triggers FROM collmine.followup_events('kpi_names', 'Overdue Reminder Snet', 30);
-- the shortcut KPIs pass template names and never warn: no pairs, so no rows
SELECT count(*) AS rows FROM collmine.credit_approval_time('kpi_names', '2024-01-01', '2024-01-31');
-- a name that is not a template activity but occurs in the log is fine
INSERT INTO kpi_names.events (case_id, activity, ts, ord) VALUES ('A1', 'Zahlung erhalten', '2024-01-10 12:00+00', 900);
SELECT count(*) AS triggers FROM collmine.followup_events('kpi_names', 'Zahlung erhalten', 30);
