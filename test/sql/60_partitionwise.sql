-- 60_partitionwise: collmine's per-case aggregate under parallel query (partial aggregation)
-- and partitionwise aggregation on a log hash-partitioned by case id. Plans are checked with a
-- boolean helper, never by comparing EXPLAIN text, and every result is compared with the plain
-- serial plan over an unpartitioned table and with a plain-SQL computation.
CREATE SCHEMA pw;

-- Does the plan of q have a line matching the regular expression?
CREATE FUNCTION pw.plan_has(q text, pattern text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line ~ pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;

CREATE TABLE pw.events (case_id text NOT NULL, activity text, ts timestamptz, ord bigint);
CREATE TABLE pw.events_part (case_id text NOT NULL, activity text, ts timestamptz, ord bigint)
    PARTITION BY HASH (case_id);
CREATE TABLE pw.events_part_0 PARTITION OF pw.events_part FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE pw.events_part_1 PARTITION OF pw.events_part FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE pw.events_part_2 PARTITION OF pw.events_part FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE pw.events_part_3 PARTITION OF pw.events_part FOR VALUES WITH (MODULUS 4, REMAINDER 3);

-- A hand-made log of three invoices.
--   INV-1 and INV-2: Generated -> Sent -> Payment Received -> Settled (INV-2's events arrive out of order)
--   INV-3: Generated -> Due Date Passed -> Reminder -> Payment Received -> Settled, where the
--          reminder and the payment share a timestamp and the order key keeps source order
INSERT INTO pw.events_part VALUES
  ('INV-1', 'Invoice Generated',        '2024-01-01 09:00+00', 1),
  ('INV-1', 'Invoice Sent to Customer', '2024-01-02 09:00+00', 2),
  ('INV-1', 'Payment Received',         '2024-01-20 09:00+00', 3),
  ('INV-1', 'Invoice Settled',          '2024-01-21 09:00+00', 4),
  ('INV-2', 'Invoice Settled',          '2024-02-11 09:00+00', 8),
  ('INV-2', 'Invoice Generated',        '2024-02-01 09:00+00', 5),
  ('INV-2', 'Payment Received',         '2024-02-10 09:00+00', 7),
  ('INV-2', 'Invoice Sent to Customer', '2024-02-01 12:00+00', 6),
  ('INV-3', 'Invoice Generated',        '2024-03-01 09:00+00', 9),
  ('INV-3', 'Payment Due Date Passed',  '2024-03-31 00:00+00', 10),
  ('INV-3', 'Overdue Reminder Sent',    '2024-04-05 09:00+00', 11),
  ('INV-3', 'Payment Received',         '2024-04-05 09:00+00', 12),
  ('INV-3', 'Invoice Settled',          '2024-04-06 09:00+00', 13);

SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;

-- Two variants: the short one twice (INV-1, INV-2), the dunning one once (INV-3).
-- Throughput: INV-1 20 days, INV-2 10 days, INV-3 36 days.
SELECT collmine.trace_variant(t) AS variant, count(*) AS cases
FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s
GROUP BY 1 ORDER BY 1;
SELECT case_id, collmine.trace_throughput(t) AS throughput
FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s
ORDER BY 1;
TRUNCATE pw.events_part;

-- A generated log of 3,000 cases with 1 to 7 events each, written position by position so that
-- a case's events lie far apart in the table (parallel workers then see parts of the same case,
-- and the combine function has to merge them). Pairs of events share a timestamp; ord breaks ties.
INSERT INTO pw.events
SELECT 'C' || lpad(c::text, 5, '0'),
       (ARRAY['Invoice Generated', 'Invoice Sent to Customer', 'Payment Due Date Passed',
              'Overdue Reminder Sent', 'Payment Received', 'Invoice Settled'])[1 + (hashint4(c * 7 + p) & 2147483647) % 6],
       timestamptz '2024-01-01 00:00+00' + (c % 97) * interval '1 day' + (p / 2) * interval '1 hour',
       c * 10 + p
FROM generate_series(0, 6) AS p, generate_series(1, 3000) AS c
WHERE p < 1 + c % 7
ORDER BY p, c;
INSERT INTO pw.events_part SELECT * FROM pw.events;
ANALYZE pw.events, pw.events_part;

-- The reference: a serial plan over the unpartitioned table.
SET enable_partitionwise_aggregate = off;
CREATE TABLE pw.reference AS
SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events GROUP BY case_id;

-- The reference agrees with plain SQL: same activity sequence and throughput for every case.
SELECT count(*) AS cases,
       count(*) FILTER (WHERE collmine.trace_activities(r.t) IS DISTINCT FROM p.acts) AS sequence_differs,
       count(*) FILTER (WHERE collmine.trace_throughput(r.t) IS DISTINCT FROM p.throughput) AS throughput_differs
FROM pw.reference r
JOIN (SELECT case_id, array_agg(activity ORDER BY ts, ord) AS acts, max(ts) - min(ts) AS throughput
      FROM pw.events GROUP BY case_id) p USING (case_id);

-- Parallel query: partial aggregation in the workers, combined in the leader.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- trace_agg's state is small (SSPACE), so on a log this size a serial hash aggregate is cheaper
-- than partial aggregation; a sort-based plan makes the partial path the cheaper one again.
SET enable_hashagg = off;
SELECT pw.plan_has('SELECT case_id, collmine.trace_agg(activity, ts, ord) FROM pw.events GROUP BY case_id',
                   '^\s*(->\s*)?Partial (Hash|Group)?Aggregate') AS partial_aggregate_with_ord,
       pw.plan_has('SELECT case_id, collmine.trace_agg(activity, ts) FROM pw.events GROUP BY case_id',
                   '^\s*(->\s*)?Partial (Hash|Group)?Aggregate') AS partial_aggregate_without_ord;
-- Differences between the parallel traces and the reference, in both directions: none.
SELECT count(*) AS differences FROM (
  (SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events GROUP BY case_id) s
   EXCEPT ALL SELECT case_id, t::text FROM pw.reference)
  UNION ALL
  (SELECT case_id, t::text FROM pw.reference
   EXCEPT ALL SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events GROUP BY case_id) s)
) d;
RESET parallel_leader_participation;
RESET enable_hashagg;

-- Partitionwise aggregation: the whole per-case aggregate runs below the Append, once per
-- partition (no Finalize step), because the log is partitioned by the grouping key.
SET max_parallel_workers_per_gather = 0;
SET enable_partitionwise_aggregate = on;
SELECT pw.plan_has('SELECT case_id, collmine.trace_agg(activity, ts, ord) FROM pw.events_part GROUP BY case_id', '^Append')
       AND NOT pw.plan_has('SELECT case_id, collmine.trace_agg(activity, ts, ord) FROM pw.events_part GROUP BY case_id', 'Finalize')
       AS partitionwise;
SELECT count(*) AS differences FROM (
  (SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s
   EXCEPT ALL SELECT case_id, t::text FROM pw.reference)
  UNION ALL
  (SELECT case_id, t::text FROM pw.reference
   EXCEPT ALL SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s)
) d;
-- Variants and mean throughput from the partitions equal the reference.
SELECT (SELECT array_agg(v ORDER BY v) FROM (SELECT collmine.trace_variant_id(t) || ':' || count(*) AS v
          FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s GROUP BY collmine.trace_variant_id(t)) x)
     = (SELECT array_agg(v ORDER BY v) FROM (SELECT collmine.trace_variant_id(t) || ':' || count(*) AS v
          FROM pw.reference GROUP BY collmine.trace_variant_id(t)) x) AS same_variants,
       (SELECT avg(collmine.trace_throughput(t))
          FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s)
     = (SELECT avg(collmine.trace_throughput(t)) FROM pw.reference) AS same_mean_throughput;

-- Without partitionwise aggregation the plan aggregates above the Append: the check can fail.
SET enable_partitionwise_aggregate = off;
SELECT pw.plan_has('SELECT case_id, collmine.trace_agg(activity, ts, ord) FROM pw.events_part GROUP BY case_id', '^Append')
       AS partitionwise_when_off;

-- Partitionwise and parallel together: each partition's aggregate may itself be partial.
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) AS differences FROM (
  (SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s
   EXCEPT ALL SELECT case_id, t::text FROM pw.reference)
  UNION ALL
  (SELECT case_id, t::text FROM pw.reference
   EXCEPT ALL SELECT case_id, t::text FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM pw.events_part GROUP BY case_id) s)
) d;

RESET ALL;
DROP SCHEMA pw CASCADE;
