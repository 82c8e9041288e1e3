-- test/bench/gen_events.sql: a deterministic synthetic invoice-to-cash event log for `make bench`.
--
-- psql variables: :log (table to create, e.g. bench.events_1m), :ncases (number of invoices).
-- About 7.9 events per invoice on average. Every value comes from hashint8extended() of the
-- invoice number and the event position, so the same :ncases always gives the same log on every
-- machine (no random(), no dependency on physical order).
--
-- Each invoice follows one of 12 paths of the credit & collections template (the 15 activity
-- names), chosen with realistic weights; paths with dunning repeat "Overdue Reminder Sent" 1 to 3
-- times, which gives 27 variants. Events are 2 to 4 days apart; times never tie within an invoice.
-- Rows are written invoice after invoice (each invoice's events together), but not in the order of
-- the invoice numbers: the join below hands the invoices on in runs (314,734 descents of the case
-- id in table order at 10M). make bench also measures a copy in case-id order (layout "case"), the
-- order of an ERP extract sorted by document number and of the connectors' events tables.

DROP TABLE IF EXISTS :log;
DROP TABLE IF EXISTS pg_temp.bench_paths;

-- The paths: weight out of 100, activities in order; 'R' stands for the reminder block.
CREATE TEMP TABLE bench_paths (pid int, weight int, acts text[]);
INSERT INTO bench_paths VALUES
 (1, 38, '{Invoice Generated,Invoice Sent to Customer,Payment Received,Payment Posted,Invoice Settled}'),
 (2,  3, '{Credit Limit Requested,Credit Limit Approved,Invoice Generated,Invoice Sent to Customer,Payment Received,Payment Posted,Invoice Settled}'),
 (3, 18, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,R,Payment Received,Payment Posted,Invoice Settled}'),
 (4, 12, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,Dunning Procedure Initiated,R,Collection Call Made,Payment Received,Payment Posted,Invoice Settled}'),
 (5,  6, '{Invoice Generated,Invoice Sent to Customer,Dispute Registered,Dispute Resolved,Credit Memo Issued,Payment Received,Payment Posted,Invoice Settled}'),
 (6,  4, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,Dispute Registered,Dispute Resolved,Credit Memo Issued,Invoice Settled}'),
 (7,  3, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,Dunning Procedure Initiated,R,Collection Call Made,Collection Call Made,Invoice Written Off}'),
 (8,  5, '{Invoice Generated,Invoice Sent to Customer,Payment Received,Payment Posted,Payment Due Date Passed,Overdue Reminder Sent,Payment Received,Payment Posted,Invoice Settled}'),
 (9,  2, '{Invoice Generated,Payment Received,Payment Posted,Invoice Sent to Customer,Invoice Settled}'),
 (10, 1, '{Invoice Generated,Invoice Sent to Customer,Payment Posted,Payment Received,Invoice Settled}'),
 (11, 4, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,R}'),
 (12, 4, '{Invoice Generated,Invoice Sent to Customer,Payment Due Date Passed,Dunning Procedure Initiated,R,Collection Call Made,Dispute Registered,Dispute Resolved,Payment Received,Payment Posted,Invoice Settled}');

-- Every path expanded for 1, 2 and 3 reminders (paths without 'R' give the same list three times).
CREATE TEMP TABLE bench_variants AS
SELECT p.pid, r.r,
       ARRAY(SELECT a FROM unnest(p.acts) WITH ORDINALITY AS x(tok, k)
                  CROSS JOIN LATERAL generate_series(1, CASE WHEN tok = 'R' THEN r.r ELSE 1 END) AS g
                  CROSS JOIN LATERAL (SELECT CASE WHEN tok = 'R' THEN 'Overdue Reminder Sent' ELSE tok END) AS y(a)
             ORDER BY k, g) AS acts
FROM bench_paths p CROSS JOIN generate_series(1, 3) AS r(r);

-- 100 slots, each naming a path, in proportion to the weights.
CREATE TEMP TABLE bench_slots AS
SELECT array_agg(pid ORDER BY pid, n) AS slots
FROM bench_paths CROSS JOIN LATERAL generate_series(1, weight) AS n;

CREATE TABLE :log (case_id text NOT NULL, activity text NOT NULL, ts timestamptz NOT NULL, ord bigint NOT NULL);

INSERT INTO :log (case_id, activity, ts, ord)
SELECT 'INV-' || lpad(c.i::text, 8, '0'),
       e.activity,
       -- invoice dates spread over two years; events 2 days apart plus up to 2 days of jitter
       timestamptz '2023-01-01 00:00:00+00'
         + (((c.h2 & 9223372036854775807) % (730 * 86400)) + e.pos * 172800
            + (hashint8extended(c.i * 64 + e.pos, 7) & 9223372036854775807) % 172800) * interval '1 second',
       c.i * 64 + e.pos
FROM (SELECT i,
             hashint8extended(i, 1) AS h1,
             hashint8extended(i, 2) AS h2
      FROM generate_series(1, :ncases::bigint) AS i) AS c
CROSS JOIN bench_slots s
JOIN bench_variants v ON v.pid = s.slots[1 + (c.h1 & 9223372036854775807) % 100] AND v.r = 1 + ((c.h1 & 9223372036854775807) / 100) % 3
CROSS JOIN LATERAL unnest(v.acts) WITH ORDINALITY AS e(activity, pos);

VACUUM (FREEZE, ANALYZE) :log;
