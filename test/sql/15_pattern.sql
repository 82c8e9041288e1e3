-- trace_matches: the pattern language over activity sequences (docs/trace.md).
SET timezone = 'UTC';
CREATE SCHEMA t15;
CREATE TABLE t15.tr AS
SELECT c, collmine.trace_agg(a, '2024-01-01'::timestamptz + n * interval '1 day') AS t
FROM (VALUES
  ('paid on time', 1, 'Invoice Generated'), ('paid on time', 2, 'Payment Received'), ('paid on time', 3, 'Invoice Settled'),
  ('dunned',  1, 'Invoice Generated'), ('dunned', 2, 'Payment Due Date Passed'), ('dunned', 3, 'Overdue Reminder Sent'),
  ('dunned',  4, 'Overdue Reminder Sent'), ('dunned', 5, 'Payment Received'), ('dunned', 6, 'Invoice Settled'),
  ('written off', 1, 'Invoice Generated'), ('written off', 2, 'Payment Due Date Passed'), ('written off', 3, 'Invoice Written Off'),
  ('disputed', 1, 'Invoice Generated'), ('disputed', 2, 'Dispute Registered'), ('disputed', 3, 'Dispute Resolved'),
  ('disputed', 4, 'Credit Memo Issued'), ('disputed', 5, 'Invoice Settled')
) v(c, n, a) GROUP BY c;

-- Each pattern against each case; expected matches worked out by hand per line.
SELECT p.label, string_agg(tr.c, ', ' ORDER BY tr.c) FILTER (WHERE collmine.trace_matches(tr.t, p.pattern)) AS matching
FROM t15.tr, (VALUES
  ('ends settled (3 cases)',               '.* "Invoice Settled"'),
  ('starts generated (all 4)',             '"Invoice Generated" .*'),
  ('exact happy path (paid on time)',      '"Invoice Generated" "Payment Received" "Invoice Settled"'),
  ('two or more reminders (dunned)',       '.* "Overdue Reminder Sent"{2,} .*'),
  ('exactly one reminder (none)',          '[^ "Overdue Reminder Sent"]* "Overdue Reminder Sent" [^ "Overdue Reminder Sent"]*'),
  ('settled or written off at the end (all)', '.* ("Invoice Settled" | "Invoice Written Off")'),
  ('set form of the same (all)',           '.* ["Invoice Settled" "Invoice Written Off"]'),
  ('no payment at all (disputed, written off)', '[^ "Payment Received"]*'),
  ('dispute then memo (disputed)',         '.* "Dispute Registered" . "Credit Memo Issued" .*'),
  ('optional due date then reminder+ (dunned)', '"Invoice Generated" "Payment Due Date Passed"? "Overdue Reminder Sent"+ .*'),
  ('exactly 3 events (paid on time, written off)', '...'),
  ('3 to 5 events (all but dunned)',       '.{3,5}'),
  ('empty pattern matches only empty traces (none)', ''),
  ('unknown activity never matches (none)', '.* "No Such Activity" .*'),
  ('escaped quote in a name (none)',       '.* "say \"hi\"" .*')
) p(label, pattern)
GROUP BY p.label ORDER BY p.label;

-- the empty trace matches '' and '.*' but not '.'
SELECT collmine.trace_matches(t, '') AS empty, collmine.trace_matches(t, '.*') AS star, collmine.trace_matches(t, '.') AS one
FROM (SELECT '{"v":1,"skipped":0,"events":[]}'::collmine.trace AS t) s;

-- nested repetitions do not blow up (Pike VM: linear in trace length x pattern size)
SELECT collmine.trace_matches(t, '((.*)*)* "Invoice Settled"') FROM t15.tr WHERE c = 'dunned';

-- syntax errors: SQLSTATE 2201B with the position
SELECT collmine.trace_matches(t, '"Invoice Generated') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, 'Invoice Generated') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '("A"') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '"A")') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '"A"{3,1}') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '"A"{2000}') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '[]') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '[^ "A"') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '"A\x"') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '*') FROM t15.tr WHERE c = 'dunned';
SELECT collmine.trace_matches(t, '(.{1000}){1000}') FROM t15.tr WHERE c = 'dunned';

DROP SCHEMA t15 CASCADE;
