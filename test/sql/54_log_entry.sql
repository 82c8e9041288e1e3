-- 54_log_entry: traces(), process_map() and variants() of a log named by its schema
-- (issue 11.3), each compared with the relation form over a plain-SQL view that joins the
-- events to their invoices (an independent way to attach the invoice's money to a case), plus
-- overload resolution and the errors for a weight that is not a numeric invoices column.
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
SET client_min_messages = warning;
SELECT collmine.create_event_log('t54');
RESET client_min_messages;
-- A canonical log of five cases: two with the same variant, a tie in time broken by ord (A:
-- Payment Received and Payment Posted at the same instant), an invoice without amount (D), and
-- a case without an invoices row (E).
INSERT INTO t54.invoices (case_id, currency, amount, open_amount, invoice_date, due_date, terms_days, customer_name) VALUES
  ('A', 'USD', 100, 0, '2024-01-01', '2024-01-31', 30, 'ann'),
  ('B', 'USD', 250.5, 0, '2024-01-02', '2024-02-01', 30, 'ann'),
  ('C', 'EUR', 1000, 1000, '2024-01-03', '2024-02-02', 30, 'bob'),
  ('D', 'USD', NULL, NULL, '2024-01-04', '2024-02-03', 30, 'bob');
INSERT INTO t54.events (case_id, activity, ts, ord) VALUES
  ('A', 'Invoice Generated', '2024-01-01', 1), ('A', 'Payment Received', '2024-01-11', 3),
  ('A', 'Payment Posted', '2024-01-11', 2), ('A', 'Invoice Settled', '2024-01-12', 4),
  ('B', 'Invoice Generated', '2024-01-02', 5), ('B', 'Payment Received', '2024-01-22', 6),
  ('B', 'Payment Posted', '2024-01-22', 7), ('B', 'Invoice Settled', '2024-01-23', 8),
  ('C', 'Invoice Generated', '2024-01-03', 9), ('C', 'Overdue Reminder Sent', '2024-02-10', 10),
  ('D', 'Invoice Generated', '2024-01-04', 11), ('D', 'Payment Received', '2024-01-24', 12),
  ('D', 'Payment Posted', '2024-01-24', 13), ('D', 'Invoice Settled', '2024-01-25', 14),
  ('E', 'Invoice Generated', '2024-01-05', 15);
-- The independent form: every event with its invoice's money, as a user would write it.
CREATE VIEW t54.log AS
  SELECT e.case_id, e.activity, e.ts, e.ord, i.amount AS inv_amount, i.open_amount AS inv_open
    FROM t54.events e LEFT JOIN t54.invoices i ON i.case_id = e.case_id;

-- By hand: G -> Posted -> Received -> S (A: ord puts Posted first), G -> Received -> Posted -> S
-- (B, D), G -> Reminder (C), G (E). With weight amount: B + D = 250.5 (D has none), A 100, C 1000,
-- E none (no invoices row).
SELECT rank, cases, weight, variant FROM collmine.variants('t54', weight => 'amount');

-- each overload equals the relation form over the view
SELECT (SELECT count(*) FROM (
          (SELECT * FROM collmine.variants('t54') EXCEPT ALL
           SELECT * FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord'))
          UNION ALL
          (SELECT * FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord') EXCEPT ALL
           SELECT * FROM collmine.variants('t54'))) d) AS variants_diff,
       (SELECT count(*) FROM (
          (SELECT * FROM collmine.variants('t54', weight => 'amount') EXCEPT ALL
           SELECT * FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord', 'inv_amount'))
          UNION ALL
          (SELECT * FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord', 'inv_amount') EXCEPT ALL
           SELECT * FROM collmine.variants('t54', weight => 'amount'))) d) AS weighted_variants_diff,
       (SELECT count(*) FROM (
          (SELECT case_id, trace::text FROM collmine.traces('t54') EXCEPT ALL
           SELECT case_id, trace::text FROM collmine.traces('t54.log', 'case_id', 'activity', 'ts', 'ord'))
          UNION ALL
          (SELECT case_id, trace::text FROM collmine.traces('t54.log', 'case_id', 'activity', 'ts', 'ord') EXCEPT ALL
           SELECT case_id, trace::text FROM collmine.traces('t54'))) d) AS traces_diff,
       (SELECT count(*) FROM collmine.traces('t54')) AS traces,
       collmine.process_map('t54')::text
         = collmine.process_map('t54.log', 'case_id', 'activity', 'ts', 'ord')::text AS same_map,
       collmine.process_map('t54', 'open_amount')::text
         = collmine.process_map('t54.log', 'case_id', 'activity', 'ts', 'ord', 'inv_open')::text AS same_weighted_map,
       collmine.process_map('t54', weight => 'amount')::text
         = collmine.process_map('t54.log', 'case_id', 'activity', 'ts', 'ord', 'inv_amount')::text AS same_amount_map,
       collmine.process_map('t54', 'amount')::text <> collmine.process_map('t54')::text AS weight_changes_map;

-- Money per edge of the amount-weighted map, by hand: G -> Received: B, D = 250.5;
-- G -> Posted: A = 100; G -> Reminder: C = 1000; Posted -> Received: A = 100;
-- Received -> Posted: B, D = 250.5; Posted -> S: B, D = 250.5; Received -> S: A = 100.
SELECT source, target, frequency, weight FROM collmine.dfg_edges(collmine.process_map('t54', 'amount'))
ORDER BY source COLLATE "C", target COLLATE "C";

-- Overload resolution: every spelling reaches the intended form (the relation form without an
-- order column sorts A's, B's and D's same-instant payments by name: 3 variants, not 4).
SELECT count(*) AS one_arg FROM collmine.variants('t54');
SELECT count(*) AS named FROM collmine.variants(log_schema => 't54', weight => 'amount');
SELECT count(*) AS four_args FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts');
SELECT count(*) AS five_args FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord');
SELECT count(*) AS six_args FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', 'ord', 'inv_amount');
SELECT count(*) AS named_relation FROM collmine.variants('t54.log', 'case_id', 'activity', 'ts', weight_col => 'inv_amount');
SELECT collmine.dfg_cases(collmine.process_map('t54.log', 'case_id', 'activity', 'ts')) AS relation_map_cases,
       collmine.dfg_cases(collmine.process_map(log_schema => 't54')) AS schema_map_cases;

-- Errors: an unknown weight column (42703) and a text column (42804) name the numeric columns;
-- a schema without the canonical tables, and a NULL schema, say what a log schema is.
\set VERBOSITY default
SELECT * FROM collmine.variants('t54', weight => 'amout');
SELECT collmine.process_map('t54', 'customer_name');
SELECT * FROM collmine.traces('no_such_log');
SELECT * FROM collmine.traces(NULL);
\set VERBOSITY terse
DO $$
BEGIN
    PERFORM * FROM collmine.variants('t54', 'amout');
EXCEPTION WHEN undefined_column THEN RAISE NOTICE 'sqlstate 42703 for an unknown weight';
END $$;
DO $$
BEGIN
    PERFORM collmine.process_map('t54', 'case_id');
EXCEPTION WHEN datatype_mismatch THEN RAISE NOTICE 'sqlstate 42804 for a non-numeric weight';
END $$;
\set VERBOSITY default

-- A quoted schema name and a weight that needs quoting work, and nothing can be injected.
SET client_min_messages = warning;
SELECT collmine.create_event_log('Log 54');
RESET client_min_messages;
ALTER TABLE "Log 54".invoices ADD COLUMN "Open Amount" numeric;
INSERT INTO "Log 54".events SELECT * FROM t54.events;
INSERT INTO "Log 54".invoices SELECT i.*, i.open_amount FROM t54.invoices i;
SELECT collmine.process_map('Log 54', 'Open Amount')::text = collmine.process_map('t54', 'open_amount')::text AS quoted_ok;
SELECT * FROM collmine.variants('t54', 'amount) FROM x; --');

DROP SCHEMA "Log 54" CASCADE;
DROP SCHEMA t54 CASCADE;
