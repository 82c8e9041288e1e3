-- Agreement with the published statistics of three real logs (test/data/real-logs/*.json),
-- on every value and not a sample, and with an independent plain-SQL computation of the same
-- figures (window functions and GROUP BY) in the same test. Traces are ordered by
-- (timestamp, event_seq), as the published figures assume.
--
-- The literal tables below were generated from the JSON files by
-- test/tools/published_stats_sql.py running_example rtfmp_100traces receipt
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
CREATE SCHEMA t12;
SET search_path = t12, public;
-- running_example: published statistics from test/data/real-logs/running_example.json
CREATE TABLE r_running_example_raw ("event_seq" text, "case_id" text, "activity" text, "timestamp" text, "resource" text, "lifecycle" text, "Activity" text, "Costs" text, "Resource" text, "case:creator" text);
\copy r_running_example_raw FROM 'test/data/real-logs/running_example.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE r_running_example_ev AS SELECT event_seq::bigint AS seq, case_id, activity, "timestamp"::timestamptz AS ts FROM r_running_example_raw;
CREATE TABLE r_running_example_pub_summary AS SELECT 6::bigint AS cases, 42::bigint AS events, 8::bigint AS activities, 6::bigint AS variants, 16::bigint AS edges, 36::bigint AS edge_occurrences, 11.190856::numeric AS mean_days, 9.44375::numeric AS median_days, 6.029167::numeric AS min_days, 18.245833::numeric AS max_days;
CREATE TABLE r_running_example_pub_activity (activity text, n bigint);
INSERT INTO r_running_example_pub_activity VALUES
  ('check ticket', 9),
  ('decide', 9),
  ('register request', 6),
  ('examine casually', 6),
  ('reinitiate request', 3),
  ('examine thoroughly', 3),
  ('pay compensation', 3),
  ('reject request', 3);
CREATE TABLE r_running_example_pub_start (activity text, n bigint);
INSERT INTO r_running_example_pub_start VALUES
  ('register request', 6);
CREATE TABLE r_running_example_pub_end (activity text, n bigint);
INSERT INTO r_running_example_pub_end VALUES
  ('pay compensation', 3),
  ('reject request', 3);
CREATE TABLE r_running_example_pub_edge (source text, target text, n bigint);
INSERT INTO r_running_example_pub_edge VALUES
  ('check ticket', 'decide', 6),
  ('examine casually', 'check ticket', 4),
  ('decide', 'pay compensation', 3),
  ('decide', 'reinitiate request', 3),
  ('decide', 'reject request', 3),
  ('register request', 'examine casually', 3),
  ('check ticket', 'examine casually', 2),
  ('examine casually', 'decide', 2),
  ('examine thoroughly', 'check ticket', 2),
  ('register request', 'check ticket', 2),
  ('check ticket', 'examine thoroughly', 1),
  ('examine thoroughly', 'decide', 1),
  ('register request', 'examine thoroughly', 1),
  ('reinitiate request', 'check ticket', 1),
  ('reinitiate request', 'examine casually', 1),
  ('reinitiate request', 'examine thoroughly', 1);
CREATE TABLE r_running_example_pub_variant (rank int, n bigint, activities text[]);
INSERT INTO r_running_example_pub_variant VALUES
  (1, 1, ARRAY['register request', 'examine casually', 'check ticket', 'decide', 'reinitiate request', 'examine thoroughly', 'check ticket', 'decide', 'pay compensation']::text[]),
  (2, 1, ARRAY['register request', 'check ticket', 'examine casually', 'decide', 'pay compensation']::text[]),
  (3, 1, ARRAY['register request', 'examine thoroughly', 'check ticket', 'decide', 'reject request']::text[]),
  (4, 1, ARRAY['register request', 'examine casually', 'check ticket', 'decide', 'pay compensation']::text[]),
  (5, 1, ARRAY['register request', 'examine casually', 'check ticket', 'decide', 'reinitiate request', 'check ticket', 'examine casually', 'decide', 'reinitiate request', 'examine casually', 'check ticket', 'decide', 'reject request']::text[]),
  (6, 1, ARRAY['register request', 'check ticket', 'examine thoroughly', 'decide', 'reject request']::text[]);

-- rtfmp_100traces: published statistics from test/data/real-logs/rtfmp_100traces.json
CREATE TABLE r_rtfmp_100traces_raw ("event_seq" text, "case_id" text, "activity" text, "timestamp" text, "resource" text, "lifecycle" text, "amount" text, "article" text, "dismissal" text, "expense" text, "lastSent" text, "notificationType" text, "paymentAmount" text, "points" text, "totalPaymentAmount" text, "vehicleClass" text);
\copy r_rtfmp_100traces_raw FROM 'test/data/real-logs/rtfmp_100traces.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE r_rtfmp_100traces_ev AS SELECT event_seq::bigint AS seq, case_id, activity, "timestamp"::timestamptz AS ts FROM r_rtfmp_100traces_raw;
CREATE TABLE r_rtfmp_100traces_pub_summary AS SELECT 100::bigint AS cases, 390::bigint AS events, 10::bigint AS activities, 10::bigint AS variants, 18::bigint AS edges, 290::bigint AS edge_occurrences, 312.469167::numeric AS mean_days, 253.0::numeric AS median_days, 0.0::numeric AS min_days, 1010.0::numeric AS max_days;
CREATE TABLE r_rtfmp_100traces_pub_activity (activity text, n bigint);
INSERT INTO r_rtfmp_100traces_pub_activity VALUES
  ('Create Fine', 100),
  ('Send Fine', 78),
  ('Payment', 58),
  ('Insert Fine Notification', 57),
  ('Add penalty', 57),
  ('Send for Credit Collection', 36),
  ('Insert Date Appeal to Prefecture', 1),
  ('Send Appeal to Prefecture', 1),
  ('Receive Result Appeal from Prefecture', 1),
  ('Notify Result Appeal to Offender', 1);
CREATE TABLE r_rtfmp_100traces_pub_start (activity text, n bigint);
INSERT INTO r_rtfmp_100traces_pub_start VALUES
  ('Create Fine', 100);
CREATE TABLE r_rtfmp_100traces_pub_end (activity text, n bigint);
INSERT INTO r_rtfmp_100traces_pub_end VALUES
  ('Payment', 47),
  ('Send for Credit Collection', 36),
  ('Send Fine', 17);
CREATE TABLE r_rtfmp_100traces_pub_edge (source text, target text, n bigint);
INSERT INTO r_rtfmp_100traces_pub_edge VALUES
  ('Create Fine', 'Send Fine', 77),
  ('Send Fine', 'Insert Fine Notification', 56),
  ('Insert Fine Notification', 'Add penalty', 52),
  ('Add penalty', 'Send for Credit Collection', 36),
  ('Create Fine', 'Payment', 23),
  ('Add penalty', 'Payment', 20),
  ('Payment', 'Payment', 5),
  ('Send Fine', 'Payment', 5),
  ('Insert Fine Notification', 'Payment', 4),
  ('Payment', 'Add penalty', 4),
  ('Add penalty', 'Send Appeal to Prefecture', 1),
  ('Insert Date Appeal to Prefecture', 'Add penalty', 1),
  ('Insert Fine Notification', 'Insert Date Appeal to Prefecture', 1),
  ('Notify Result Appeal to Offender', 'Payment', 1),
  ('Payment', 'Insert Fine Notification', 1),
  ('Payment', 'Send Fine', 1),
  ('Receive Result Appeal from Prefecture', 'Notify Result Appeal to Offender', 1),
  ('Send Appeal to Prefecture', 'Receive Result Appeal from Prefecture', 1);
CREATE TABLE r_rtfmp_100traces_pub_variant (rank int, n bigint, activities text[]);
INSERT INTO r_rtfmp_100traces_pub_variant VALUES
  (1, 36, ARRAY['Create Fine', 'Send Fine', 'Insert Fine Notification', 'Add penalty', 'Send for Credit Collection']::text[]),
  (2, 22, ARRAY['Create Fine', 'Payment']::text[]),
  (3, 16, ARRAY['Create Fine', 'Send Fine']::text[]),
  (4, 10, ARRAY['Create Fine', 'Send Fine', 'Insert Fine Notification', 'Add penalty', 'Payment']::text[]),
  (5, 5, ARRAY['Create Fine', 'Send Fine', 'Insert Fine Notification', 'Add penalty', 'Payment', 'Payment']::text[]),
  (6, 4, ARRAY['Create Fine', 'Send Fine', 'Payment']::text[]),
  (7, 4, ARRAY['Create Fine', 'Send Fine', 'Insert Fine Notification', 'Payment', 'Add penalty', 'Payment']::text[]),
  (8, 1, ARRAY['Create Fine', 'Send Fine', 'Payment', 'Insert Fine Notification', 'Add penalty', 'Payment']::text[]),
  (9, 1, ARRAY['Create Fine', 'Send Fine', 'Insert Fine Notification', 'Insert Date Appeal to Prefecture', 'Add penalty', 'Send Appeal to Prefecture', 'Receive Result Appeal from Prefecture', 'Notify Result Appeal to Offender', 'Payment']::text[]),
  (10, 1, ARRAY['Create Fine', 'Payment', 'Send Fine']::text[]);

-- receipt: published statistics from test/data/real-logs/receipt.json
CREATE TABLE r_receipt_raw ("event_seq" text, "case_id" text, "activity" text, "timestamp" text, "resource" text, "lifecycle" text, "concept:instance" text, "org:group" text, "case:channel" text, "case:deadline" text, "case:department" text, "case:enddate" text, "case:enddate_planned" text, "case:group" text, "case:responsible" text, "case:startdate" text);
\copy r_receipt_raw FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE r_receipt_ev AS SELECT event_seq::bigint AS seq, case_id, activity, "timestamp"::timestamptz AS ts FROM r_receipt_raw;
CREATE TABLE r_receipt_pub_summary AS SELECT 1434::bigint AS cases, 8577::bigint AS events, 27::bigint AS activities, 116::bigint AS variants, 99::bigint AS edges, 7143::bigint AS edge_occurrences, 5.408147::numeric AS mean_days, 0.033201::numeric AS median_days, 0.0::numeric AS min_days, 275.839601::numeric AS max_days;
CREATE TABLE r_receipt_pub_activity (activity text, n bigint);
INSERT INTO r_receipt_pub_activity VALUES
  ('Confirmation of receipt', 1434),
  ('T06 Determine necessity of stop advice', 1416),
  ('T02 Check confirmation of receipt', 1368),
  ('T04 Determine confirmation of receipt', 1307),
  ('T05 Print and send confirmation of receipt', 1300),
  ('T10 Determine necessity to stop indication', 1283),
  ('T03 Adjust confirmation of receipt', 55),
  ('T07-1 Draft intern advice aspect 1', 45),
  ('T11 Create document X request unlicensed', 44),
  ('T12 Check document X request unlicensed', 41),
  ('T14 Determine document X request unlicensed', 39),
  ('T15 Print document X request unlicensed', 39),
  ('T07-2 Draft intern advice aspect 2', 32),
  ('T07-5 Draft intern advice aspect 5', 27),
  ('T17 Check report Y to stop indication', 26),
  ('T16 Report reasons to hold request', 20),
  ('T19 Determine report Y to stop indication', 20),
  ('T20 Print report Y to stop indication', 20),
  ('T08 Draft and send request for advice', 18),
  ('T07-3 Draft intern advice hold for aspect 3', 8),
  ('T09-3 Process or receive external advice from party 3', 8),
  ('T09-1 Process or receive external advice from party 1', 7),
  ('T07-4 Draft internal advice to hold for type 4', 6),
  ('T18 Adjust report Y to stop indicition', 6),
  ('T09-4 Process or receive external advice from party 4', 5),
  ('T13 Adjust document X request unlicensed', 2),
  ('T09-2 Process or receive external advice from party 2', 1);
CREATE TABLE r_receipt_pub_start (activity text, n bigint);
INSERT INTO r_receipt_pub_start VALUES
  ('Confirmation of receipt', 1434);
CREATE TABLE r_receipt_pub_end (activity text, n bigint);
INSERT INTO r_receipt_pub_end VALUES
  ('T10 Determine necessity to stop indication', 828),
  ('T05 Print and send confirmation of receipt', 400),
  ('Confirmation of receipt', 116),
  ('T15 Print document X request unlicensed', 39),
  ('T06 Determine necessity of stop advice', 16),
  ('T20 Print report Y to stop indication', 15),
  ('T02 Check confirmation of receipt', 8),
  ('T11 Create document X request unlicensed', 4),
  ('T03 Adjust confirmation of receipt', 2),
  ('T04 Determine confirmation of receipt', 2),
  ('T07-1 Draft intern advice aspect 1', 1),
  ('T13 Adjust document X request unlicensed', 1),
  ('T07-5 Draft intern advice aspect 5', 1),
  ('T07-2 Draft intern advice aspect 2', 1);
CREATE TABLE r_receipt_pub_edge (source text, target text, n bigint);
INSERT INTO r_receipt_pub_edge VALUES
  ('T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 1177),
  ('T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 1165),
  ('T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 1119),
  ('Confirmation of receipt', 'T02 Check confirmation of receipt', 1079),
  ('T05 Print and send confirmation of receipt', 'T06 Determine necessity of stop advice', 791),
  ('Confirmation of receipt', 'T06 Determine necessity of stop advice', 239),
  ('T02 Check confirmation of receipt', 'T06 Determine necessity of stop advice', 178),
  ('T10 Determine necessity to stop indication', 'T02 Check confirmation of receipt', 155),
  ('T10 Determine necessity to stop indication', 'T04 Determine confirmation of receipt', 141),
  ('T04 Determine confirmation of receipt', 'T06 Determine necessity of stop advice', 103),
  ('T10 Determine necessity to stop indication', 'T05 Print and send confirmation of receipt', 102),
  ('T05 Print and send confirmation of receipt', 'T10 Determine necessity to stop indication', 86),
  ('T06 Determine necessity of stop advice', 'T02 Check confirmation of receipt', 75),
  ('T03 Adjust confirmation of receipt', 'T02 Check confirmation of receipt', 51),
  ('T02 Check confirmation of receipt', 'T03 Adjust confirmation of receipt', 43),
  ('T06 Determine necessity of stop advice', 'T04 Determine confirmation of receipt', 43),
  ('T11 Create document X request unlicensed', 'T12 Check document X request unlicensed', 39),
  ('T06 Determine necessity of stop advice', 'T07-1 Draft intern advice aspect 1', 38),
  ('T12 Check document X request unlicensed', 'T14 Determine document X request unlicensed', 38),
  ('T14 Determine document X request unlicensed', 'T15 Print document X request unlicensed', 38),
  ('T07-1 Draft intern advice aspect 1', 'T06 Determine necessity of stop advice', 34),
  ('T10 Determine necessity to stop indication', 'T11 Create document X request unlicensed', 34),
  ('T07-2 Draft intern advice aspect 2', 'T06 Determine necessity of stop advice', 22),
  ('T06 Determine necessity of stop advice', 'T07-5 Draft intern advice aspect 5', 21),
  ('T07-5 Draft intern advice aspect 5', 'T06 Determine necessity of stop advice', 21),
  ('T16 Report reasons to hold request', 'T17 Check report Y to stop indication', 20),
  ('T17 Check report Y to stop indication', 'T19 Determine report Y to stop indication', 20),
  ('T19 Determine report Y to stop indication', 'T20 Print report Y to stop indication', 20),
  ('T10 Determine necessity to stop indication', 'T16 Report reasons to hold request', 19),
  ('T06 Determine necessity of stop advice', 'T07-2 Draft intern advice aspect 2', 18),
  ('T04 Determine confirmation of receipt', 'T10 Determine necessity to stop indication', 17),
  ('T06 Determine necessity of stop advice', 'T05 Print and send confirmation of receipt', 16),
  ('T02 Check confirmation of receipt', 'T10 Determine necessity to stop indication', 15),
  ('T05 Print and send confirmation of receipt', 'T11 Create document X request unlicensed', 10),
  ('T06 Determine necessity of stop advice', 'T08 Draft and send request for advice', 8),
  ('T08 Draft and send request for advice', 'T09-3 Process or receive external advice from party 3', 8),
  ('T04 Determine confirmation of receipt', 'T03 Adjust confirmation of receipt', 6),
  ('T06 Determine necessity of stop advice', 'T06 Determine necessity of stop advice', 6),
  ('T17 Check report Y to stop indication', 'T18 Adjust report Y to stop indicition', 6),
  ('T18 Adjust report Y to stop indicition', 'T17 Check report Y to stop indication', 6),
  ('T06 Determine necessity of stop advice', 'T07-3 Draft intern advice hold for aspect 3', 5),
  ('T07-4 Draft internal advice to hold for type 4', 'T06 Determine necessity of stop advice', 5),
  ('T08 Draft and send request for advice', 'T09-1 Process or receive external advice from party 1', 5),
  ('T09-1 Process or receive external advice from party 1', 'T06 Determine necessity of stop advice', 5),
  ('T07-1 Draft intern advice aspect 1', 'T08 Draft and send request for advice', 4),
  ('T07-3 Draft intern advice hold for aspect 3', 'T07-2 Draft intern advice aspect 2', 4),
  ('T09-3 Process or receive external advice from party 3', 'T06 Determine necessity of stop advice', 4),
  ('T09-4 Process or receive external advice from party 4', 'T06 Determine necessity of stop advice', 4),
  ('T10 Determine necessity to stop indication', 'T03 Adjust confirmation of receipt', 4),
  ('T05 Print and send confirmation of receipt', 'T07-2 Draft intern advice aspect 2', 3),
  ('T05 Print and send confirmation of receipt', 'T07-5 Draft intern advice aspect 5', 3),
  ('T06 Determine necessity of stop advice', 'T07-4 Draft internal advice to hold for type 4', 3),
  ('T08 Draft and send request for advice', 'T09-4 Process or receive external advice from party 4', 3),
  ('T20 Print report Y to stop indication', 'T02 Check confirmation of receipt', 3),
  ('T02 Check confirmation of receipt', 'T07-1 Draft intern advice aspect 1', 2),
  ('T03 Adjust confirmation of receipt', 'T06 Determine necessity of stop advice', 2),
  ('T05 Print and send confirmation of receipt', 'T08 Draft and send request for advice', 2),
  ('T05 Print and send confirmation of receipt', 'T13 Adjust document X request unlicensed', 2),
  ('T06 Determine necessity of stop advice', 'T03 Adjust confirmation of receipt', 2),
  ('T07-1 Draft intern advice aspect 1', 'T07-2 Draft intern advice aspect 2', 2),
  ('T07-1 Draft intern advice aspect 1', 'T07-4 Draft internal advice to hold for type 4', 2),
  ('T07-2 Draft intern advice aspect 2', 'T02 Check confirmation of receipt', 2),
  ('T07-2 Draft intern advice aspect 2', 'T07-1 Draft intern advice aspect 1', 2),
  ('T07-2 Draft intern advice aspect 2', 'T08 Draft and send request for advice', 2),
  ('T07-3 Draft intern advice hold for aspect 3', 'T06 Determine necessity of stop advice', 2),
  ('T07-5 Draft intern advice aspect 5', 'T07-1 Draft intern advice aspect 1', 2),
  ('T09-1 Process or receive external advice from party 1', 'T07-3 Draft intern advice hold for aspect 3', 2),
  ('T09-3 Process or receive external advice from party 3', 'T07-2 Draft intern advice aspect 2', 2),
  ('T12 Check document X request unlicensed', 'T02 Check confirmation of receipt', 2),
  ('T20 Print report Y to stop indication', 'T05 Print and send confirmation of receipt', 2),
  ('T02 Check confirmation of receipt', 'T05 Print and send confirmation of receipt', 1),
  ('T02 Check confirmation of receipt', 'T07-2 Draft intern advice aspect 2', 1),
  ('T02 Check confirmation of receipt', 'T07-5 Draft intern advice aspect 5', 1),
  ('T04 Determine confirmation of receipt', 'T08 Draft and send request for advice', 1),
  ('T04 Determine confirmation of receipt', 'T14 Determine document X request unlicensed', 1),
  ('T05 Print and send confirmation of receipt', 'T12 Check document X request unlicensed', 1),
  ('T05 Print and send confirmation of receipt', 'T15 Print document X request unlicensed', 1),
  ('T05 Print and send confirmation of receipt', 'T16 Report reasons to hold request', 1),
  ('T07-1 Draft intern advice aspect 1', 'T02 Check confirmation of receipt', 1),
  ('T07-1 Draft intern advice aspect 1', 'T04 Determine confirmation of receipt', 1),
  ('T07-2 Draft intern advice aspect 2', 'T05 Print and send confirmation of receipt', 1),
  ('T07-2 Draft intern advice aspect 2', 'T07-3 Draft intern advice hold for aspect 3', 1),
  ('T07-2 Draft intern advice aspect 2', 'T09-1 Process or receive external advice from party 1', 1),
  ('T07-3 Draft intern advice hold for aspect 3', 'T07-4 Draft internal advice to hold for type 4', 1),
  ('T07-3 Draft intern advice hold for aspect 3', 'T07-5 Draft intern advice aspect 5', 1),
  ('T07-4 Draft internal advice to hold for type 4', 'T07-2 Draft intern advice aspect 2', 1),
  ('T07-5 Draft intern advice aspect 5', 'T08 Draft and send request for advice', 1),
  ('T07-5 Draft intern advice aspect 5', 'T09-2 Process or receive external advice from party 2', 1),
  ('T07-5 Draft intern advice aspect 5', 'T09-4 Process or receive external advice from party 4', 1),
  ('T08 Draft and send request for advice', 'T07-1 Draft intern advice aspect 1', 1),
  ('T08 Draft and send request for advice', 'T07-5 Draft intern advice aspect 5', 1),
  ('T09-2 Process or receive external advice from party 2', 'T09-4 Process or receive external advice from party 4', 1),
  ('T09-3 Process or receive external advice from party 3', 'T04 Determine confirmation of receipt', 1),
  ('T09-3 Process or receive external advice from party 3', 'T09-1 Process or receive external advice from party 1', 1),
  ('T09-4 Process or receive external advice from party 4', 'T07-2 Draft intern advice aspect 2', 1),
  ('T11 Create document X request unlicensed', 'T04 Determine confirmation of receipt', 1),
  ('T12 Check document X request unlicensed', 'T04 Determine confirmation of receipt', 1),
  ('T13 Adjust document X request unlicensed', 'T12 Check document X request unlicensed', 1),
  ('T14 Determine document X request unlicensed', 'T05 Print and send confirmation of receipt', 1);
CREATE TABLE r_receipt_pub_variant (rank int, n bigint, activities text[]);
INSERT INTO r_receipt_pub_variant VALUES
  (1, 713, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication']::text[]),
  (2, 123, ARRAY['Confirmation of receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt']::text[]),
  (3, 116, ARRAY['Confirmation of receipt']::text[]),
  (4, 115, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt']::text[]),
  (5, 75, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 'T05 Print and send confirmation of receipt']::text[]),
  (6, 40, ARRAY['Confirmation of receipt', 'T06 Determine necessity of stop advice', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 'T10 Determine necessity to stop indication']::text[]),
  (7, 28, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T06 Determine necessity of stop advice', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 'T10 Determine necessity to stop indication']::text[]),
  (8, 25, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 'T06 Determine necessity of stop advice', 'T10 Determine necessity to stop indication', 'T11 Create document X request unlicensed', 'T12 Check document X request unlicensed', 'T14 Determine document X request unlicensed', 'T15 Print document X request unlicensed']::text[]),
  (9, 13, ARRAY['Confirmation of receipt', 'T06 Determine necessity of stop advice', 'T02 Check confirmation of receipt', 'T10 Determine necessity to stop indication', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt']::text[]),
  (10, 12, ARRAY['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt', 'T05 Print and send confirmation of receipt', 'T06 Determine necessity of stop advice']::text[]);

-- Every check for one log: collmine against the published figure, and against plain SQL.
-- Each row is a count of mismatching values (0 is right) or a boolean (true is right).
CREATE FUNCTION t12.check_log(log text)
RETURNS TABLE (check_name text, vs_published text, vs_plain_sql text)
LANGUAGE plpgsql AS $fn$
DECLARE
    ev text := format('t12.%I', 'r_' || log || '_ev');
    pub text := 't12.r_' || log || '_pub_';
    r record;
BEGIN
    EXECUTE format('CREATE TEMP TABLE tr ON COMMIT DROP AS SELECT case_id, collmine.trace_agg(activity, ts, seq) AS t FROM %s GROUP BY case_id', ev);
    -- the plain-SQL reference: each event with its successor and position
    EXECUTE format($q$CREATE TEMP TABLE plain ON COMMIT DROP AS
        SELECT case_id, activity, ts,
               lead(activity) OVER w AS next_activity,
               row_number() OVER w AS pos,
               count(*) OVER (PARTITION BY case_id) AS len
        FROM %s WINDOW w AS (PARTITION BY case_id ORDER BY ts, seq)$q$, ev);

    -- cases, events, distinct activities
    EXECUTE format($q$SELECT (SELECT count(*) FROM tr) = s.cases AND (SELECT sum(collmine.trace_length(t)) FROM tr) = s.events
                            AND (SELECT count(DISTINCT a) FROM tr, unnest(collmine.trace_activities(t)) a) = s.activities AS pub,
                            (SELECT count(*) FROM tr) = (SELECT count(DISTINCT case_id) FROM plain)
                            AND (SELECT sum(collmine.trace_length(t)) FROM tr) = (SELECT count(*) FROM plain) AS plain
                     FROM %ssummary s$q$, pub) INTO r;
    check_name := 'cases, events, activities'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- every activity count
    EXECUTE format($q$WITH c AS (SELECT a AS activity, count(*) AS n FROM tr, unnest(collmine.trace_activities(t)) a GROUP BY a),
                     p AS (SELECT activity, count(*) AS n FROM plain GROUP BY activity)
        SELECT (SELECT count(*) FROM c FULL JOIN %sactivity x USING (activity) WHERE c.n IS DISTINCT FROM x.n) AS pub,
               (SELECT count(*) FROM c FULL JOIN p USING (activity) WHERE c.n IS DISTINCT FROM p.n) AS plain$q$, pub) INTO r;
    check_name := 'activity counts'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- start and end activities
    EXECUTE format($q$WITH c AS (SELECT collmine.trace_start_activity(t) AS activity, count(*) AS n FROM tr GROUP BY 1),
                     p AS (SELECT activity, count(*) AS n FROM plain WHERE pos = 1 GROUP BY 1)
        SELECT (SELECT count(*) FROM c FULL JOIN %sstart x USING (activity) WHERE c.n IS DISTINCT FROM x.n) AS pub,
               (SELECT count(*) FROM c FULL JOIN p USING (activity) WHERE c.n IS DISTINCT FROM p.n) AS plain$q$, pub) INTO r;
    check_name := 'start activity counts'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;
    EXECUTE format($q$WITH c AS (SELECT collmine.trace_end_activity(t) AS activity, count(*) AS n FROM tr GROUP BY 1),
                     p AS (SELECT activity, count(*) AS n FROM plain WHERE pos = len GROUP BY 1)
        SELECT (SELECT count(*) FROM c FULL JOIN %send x USING (activity) WHERE c.n IS DISTINCT FROM x.n) AS pub,
               (SELECT count(*) FROM c FULL JOIN p USING (activity) WHERE c.n IS DISTINCT FROM p.n) AS plain$q$, pub) INTO r;
    check_name := 'end activity counts'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- every directly-follows edge
    EXECUTE format($q$WITH c AS (SELECT s.source, s.target, count(*) AS n FROM tr, collmine.trace_steps(t) s GROUP BY 1, 2),
                     p AS (SELECT activity AS source, next_activity AS target, count(*) AS n FROM plain WHERE next_activity IS NOT NULL GROUP BY 1, 2)
        SELECT (SELECT count(*) FROM c FULL JOIN %sedge x USING (source, target) WHERE c.n IS DISTINCT FROM x.n) AS pub,
               (SELECT count(*) FROM c FULL JOIN p USING (source, target) WHERE c.n IS DISTINCT FROM p.n) AS plain$q$, pub) INTO r;
    check_name := 'directly-follows edge counts'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- the number of variants (by id and by exact sequence), and the published top variants
    EXECUTE format($q$WITH p AS (SELECT string_agg(activity, E'\x1f' ORDER BY pos) AS seq FROM plain GROUP BY case_id)
        SELECT (SELECT count(DISTINCT collmine.trace_variant_id(t)) FROM tr) = s.variants
               AND (SELECT count(DISTINCT collmine.trace_activities(t)) FROM tr) = s.variants AS pub,
               (SELECT count(DISTINCT collmine.trace_variant_id(t)) FROM tr) = (SELECT count(DISTINCT seq) FROM p) AS plain
        FROM %ssummary s$q$, pub) INTO r;
    check_name := 'number of variants'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;
    EXECUTE format($q$WITH c AS (SELECT collmine.trace_activities(t) AS activities, count(*) AS n FROM tr GROUP BY 1),
                     p AS (SELECT array_agg(activity ORDER BY pos) AS activities FROM plain GROUP BY case_id),
                     pc AS (SELECT activities, count(*) AS n FROM p GROUP BY 1)
        SELECT (SELECT count(*) FROM %svariant x LEFT JOIN c USING (activities) WHERE c.n IS DISTINCT FROM x.n) AS pub,
               (SELECT count(*) FROM c FULL JOIN pc USING (activities) WHERE c.n IS DISTINCT FROM pc.n) AS plain$q$, pub) INTO r;
    check_name := 'variant frequencies'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- case durations in days (published to 6 decimals)
    EXECUTE format($q$WITH c AS (SELECT extract(epoch FROM collmine.trace_throughput(t)) / 86400 AS d FROM tr),
                     p AS (SELECT extract(epoch FROM max(ts) - min(ts)) / 86400 AS d FROM plain GROUP BY case_id)
        SELECT round((SELECT avg(d) FROM c), 6) = s.mean_days AND round((SELECT min(d) FROM c), 6) = s.min_days
               AND round((SELECT max(d) FROM c), 6) = s.max_days
               AND round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM c)::numeric, 6) = s.median_days AS pub,
               (SELECT avg(d) FROM c) = (SELECT avg(d) FROM p) AS plain
        FROM %ssummary s$q$, pub) INTO r;
    check_name := 'case duration mean, median, min, max'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;

    -- the variants() entry point agrees with the trace-level figures
    EXECUTE format($q$SELECT count(*) = s.variants AND sum(v.cases) = s.cases AND round(max(v.cumulative_share)::numeric, 9) = 1 AS pub,
                            bool_and(v.variant_id = collmine.variant_id(v.activities)) AS plain
                     FROM collmine.variants(%L, 'case_id', 'activity', 'ts', 'seq') v, %ssummary s GROUP BY s.variants, s.cases$q$, ev, pub) INTO r;
    check_name := 'variants() entry point'; vs_published := r.pub; vs_plain_sql := r.plain; RETURN NEXT;
    DROP TABLE tr;
    DROP TABLE plain;
END
$fn$;

BEGIN;
SELECT * FROM t12.check_log('running_example');
COMMIT;
BEGIN;
SELECT * FROM t12.check_log('rtfmp_100traces');
COMMIT;
BEGIN;
SELECT * FROM t12.check_log('receipt');
COMMIT;

-- The running example in full, checked by hand against running_example.json: six cases, six
-- variants of one case each (share 1/6), starting with "register request" and ending in
-- "pay compensation" (3) or "reject request" (3).
SELECT rank, cases, round(share::numeric, 6) AS share, round(cumulative_share::numeric, 6) AS cumulative,
       variant, mean_throughput
FROM collmine.variants('t12.r_running_example_ev', 'case_id', 'activity', 'ts', 'seq');

-- Its edges with durations. check ticket -> decide occurs 6 times (published); register
-- request -> examine casually 3 times: case 3 (2010-12-30 14:32 -> 15:06, 00:34), case 6
-- (2011-01-06 15:02 -> 16:06, 01:04) and case 5 (2011-01-06 09:02 -> 2011-01-07 10:16,
-- 1 day 01:14), so min 00:34, max 1 day 01:14.
SELECT s.source, s.target, count(*) AS n, min(s.duration), max(s.duration)
FROM (SELECT case_id, collmine.trace_agg(activity, ts, seq) AS t FROM t12.r_running_example_ev GROUP BY case_id) tr,
     collmine.trace_steps(t) s
GROUP BY 1, 2 ORDER BY n DESC, 1, 2;

-- Ties matter: 8 of the 100 road-fine cases have events with equal timestamps. With event_seq
-- as the order key there are 10 variants (published); without an order key the documented
-- fallback (activity name) applies, deterministically.
SELECT count(DISTINCT collmine.trace_variant_id(with_key)) AS variants_with_order_key,
       count(DISTINCT collmine.trace_variant_id(by_name)) AS variants_name_fallback,
       count(*) FILTER (WHERE collmine.trace_variant_id(with_key) <> collmine.trace_variant_id(by_name)) AS cases_that_differ
FROM (SELECT collmine.trace_agg(activity, ts, seq) AS with_key, collmine.trace_agg(activity, ts) AS by_name
      FROM t12.r_rtfmp_100traces_ev GROUP BY case_id) s;

RESET search_path;
DROP SCHEMA t12 CASCADE;
