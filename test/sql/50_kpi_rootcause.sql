-- 50_kpi_rootcause: root-cause ranking of case outcomes, on the hand-made log of
-- test/sql/50_kpi_log.inc and on a generated log with a planted driver, checked against a
-- plain GROUP BY computation of the same statistics.
\set log kpi_rlog
\set QUIET on
\i test/sql/50_kpi_log.inc
\set QUIET off
SET timezone = 'UTC';
\set SHOW_CONTEXT never

-- normal CDF through the erf approximation (A&S 7.1.26, |error| < 1.5e-7):
-- Phi(0) = 0.5, Phi(1.96) = 0.9750021, Phi(-1) = 0.1586553; no underflow error far out
SELECT round(collmine.normal_cdf(0)::numeric, 6) AS phi_0, round(collmine.normal_cdf(1.96)::numeric, 6) AS phi_1_96,
       round(collmine.normal_cdf(-1)::numeric, 6) AS phi_m1, collmine.normal_cdf(40) AS phi_40,
       collmine.normal_cdf(-40) AS phi_m40, collmine.normal_cdf(NULL) AS phi_null;

-- written off: only A4 (ENT, bob, NET30) of 6 cases, baseline 1/6.
-- segment ENT: n = 3, k = 1, rate 1/3, lift (1/3)/(1/6) = 2, support 3/6 = 0.5, share of
--   write-offs 1/1, excess 1 - 3 * 1/6 = 0.5.
--   z = (1/3 - 0/3) / sqrt(1/6 * 5/6 * (1/3 + 1/3)) = 0.3333 / 0.3043 = 1.0954,
--   two-sided p = erfc(1.0954 / sqrt 2) = 0.2733
-- terms NET30: n = 5, k = 1, rate 0.2, lift 1.2; NET10: n = 1, k = 0;
--   z = (1/5 - 0/1) / sqrt(1/6 * 5/6 * (1/5 + 1)) = 0.2 / 0.4082 = 0.4899, p = 0.6242
SELECT attribute, value, cases, outcome_cases, round(outcome_rate, 4) AS rate, round(baseline_rate, 4) AS base,
       round(lift, 4) AS lift, round(support, 4) AS support, round(outcome_share, 4) AS share,
       round(excess_outcomes, 4) AS excess, round(z_score::numeric, 4) AS z, round(p_value::numeric, 4) AS p,
       rank_in_attribute AS rank
  FROM collmine.root_causes('kpi_rlog', 'written_off', ARRAY['segment', 'terms']);
-- paid late: settled A1 (late), A2 (on time), A3 (late), U5 (late); A4 and U6 never settled
-- are left out (NULL outcome). Baseline 3/4; SMB: A1, A2, U5 -> 2/3; ENT: A3 -> 1/1.
SELECT attribute, value, cases, outcome_cases, round(outcome_rate, 4) AS rate, round(lift, 4) AS lift
  FROM collmine.root_causes('kpi_rlog', 'paid_late', ARRAY['segment']);
-- disputed: only A3 (pricing)
SELECT attribute, value, cases, outcome_cases, rank_in_attribute
  FROM collmine.root_causes('kpi_rlog', 'disputed', ARRAY['dispute_reason']);
-- any boolean expression over invoices columns (alias i): invoices of 1000 or more (A1, A3, U6)
SELECT attribute, value, cases, outcome_cases
  FROM collmine.root_causes('kpi_rlog', 'i.amount >= 1000', ARRAY['currency', 'collector']);
-- min_cases hides small groups: customer names have one case each
SELECT count(*) FROM collmine.root_causes('kpi_rlog', 'written_off', ARRAY['customer_name'], min_cases => 2);
-- no attribute list: the standard attributes that exist in invoices
SELECT DISTINCT attribute FROM collmine.root_causes('kpi_rlog', 'written_off') ORDER BY 1;

-- errors
SELECT * FROM collmine.root_causes('kpi_rlog', '');
SELECT * FROM collmine.root_causes('kpi_rlog', 'true; DROP TABLE kpi_rlog.events');
SELECT * FROM collmine.root_causes('kpi_rlog', 'true -- comment');
\set VERBOSITY terse
SELECT * FROM collmine.root_causes('kpi_rlog', 'no_such_column > 1');
SELECT * FROM collmine.root_causes('kpi_rlog', 'amount');
\set VERBOSITY default
SELECT * FROM collmine.root_causes('kpi_rlog', 'written_off', ARRAY['segment', 'nope']);
SELECT * FROM collmine.root_causes('kpi_rlog', 'written_off', ARRAY[]::text[]);
SELECT * FROM collmine.root_causes('kpi_rlog', 'written_off', min_cases => 0);
-- the injection surface, stated honestly (docs/root-cause.md): the expression is SQL that runs
-- with the caller's rights. A plain data-modifying statement cannot be written inside it; a
-- volatile function it calls can write, but the block that evaluates the expression is always
-- rolled back, so neither its writes nor its session settings outlive the call.
\set VERBOSITY terse
SELECT * FROM collmine.root_causes('kpi_rlog', 'EXISTS (SELECT 1 FROM (DELETE FROM kpi_rlog.events RETURNING 1) x)');
\set VERBOSITY default
CREATE FUNCTION kpi_rlog.forget_events() RETURNS boolean LANGUAGE sql VOLATILE
    AS 'DELETE FROM kpi_rlog.events WHERE case_id = ''U6''; SELECT true';
SELECT count(*) FROM collmine.root_causes('kpi_rlog', 'kpi_rlog.forget_events()', ARRAY['segment']);
SELECT count(*) AS events_left FROM kpi_rlog.events;  -- the 6 events of U6 deleted and rolled back: 42
-- set_config(..., false) inside the expression does not persist in the caller's session
SELECT count(*) FROM collmine.root_causes('kpi_rlog', 'set_config(''collmine.probe'', ''leaked'', false) IS NOT NULL', ARRAY['segment']);
SELECT coalesce(current_setting('collmine.probe', true), '') AS probe_after;

-- a generated log of 600 invoices in blocks of three (one per segment), the blocks dealt to
-- four collectors in turn. Within each collector, every 2nd invoice of 'zed' is written off
-- (75 of 150) and every 10th of the others (15 of 150): the planted driver. Segments take
-- turns along each collector's invoices, so every segment gets exactly 1/3 of each collector's
-- write-offs: 75/3 + 3 * 15/3 = 40 of 200, the baseline 120/600 = 0.2, z = 0, p = 1.
CREATE SCHEMA kpi_rgen;
CREATE TABLE kpi_rgen.invoices (LIKE kpi_rlog.invoices);
CREATE TABLE kpi_rgen.events (LIKE kpi_rlog.events);
INSERT INTO kpi_rgen.invoices (case_id, segment, collector, currency, amount, invoice_date, due_date, terms_days)
SELECT 'G' || g, (ARRAY['SMB', 'MID', 'ENT'])[1 + g % 3], (ARRAY['ann', 'bob', 'cy', 'zed'])[1 + (g / 3) % 4],
       'EUR', 100 + g, DATE '2024-01-01' + g % 60, DATE '2024-01-31' + g % 60, 30
  FROM generate_series(0, 599) g;
INSERT INTO kpi_rgen.events (case_id, activity, ts, ord)
SELECT x.case_id, 'Invoice Written Off', x.due_date + 90, x.g
  FROM (SELECT i.case_id, i.collector, i.due_date, substr(i.case_id, 2)::int AS g,
               row_number() OVER (PARTITION BY i.collector ORDER BY substr(i.case_id, 2)::int) AS rn
          FROM kpi_rgen.invoices i) x
 WHERE x.rn % (CASE WHEN x.collector = 'zed' THEN 2 ELSE 10 END) = 0;
-- zed: rate 75/150 = 0.5, lift 0.5/0.2 = 2.5; the others 0.1, lift 0.5.
-- z for zed = (0.5 - 45/450) / sqrt(0.2 * 0.8 * (1/150 + 1/450)) = 0.4 / 0.0377 = 10.61
-- the top row of collector is zed, strongly significant; no segment is
SELECT attribute, value, cases, outcome_cases, round(outcome_rate, 4) AS rate, round(lift, 2) AS lift,
       round(z_score::numeric, 2) AS z, p_value < 0.001 AS significant, rank_in_attribute
  FROM collmine.root_causes('kpi_rgen', 'written_off', ARRAY['collector', 'segment']);
-- self-check: the same statistics from a plain GROUP BY and the two-proportion z formula
WITH o AS (SELECT i.collector, EXISTS (SELECT 1 FROM kpi_rgen.events e WHERE e.case_id = i.case_id
                                        AND e.activity = 'Invoice Written Off') AS wo
             FROM kpi_rgen.invoices i),
     t AS (SELECT count(*)::numeric n, count(*) FILTER (WHERE wo)::numeric k FROM o),
     g AS (SELECT collector, count(*)::numeric n, count(*) FILTER (WHERE wo)::numeric k FROM o GROUP BY 1),
     plain AS (SELECT g.collector, g.n, g.k, g.k / g.n AS rate, (g.k / g.n) / (t.k / t.n) AS lift,
                      (g.k / g.n - (t.k - g.k) / (t.n - g.n))
                        / sqrt(t.k / t.n * (1 - t.k / t.n) * (1 / g.n + 1 / (t.n - g.n))) AS z
                 FROM g, t)
SELECT count(*) AS differences
  FROM plain FULL JOIN (SELECT * FROM collmine.root_causes('kpi_rgen', 'written_off', ARRAY['collector'])) r
    ON r.value = plain.collector
 WHERE r.cases IS DISTINCT FROM plain.n OR r.outcome_cases IS DISTINCT FROM plain.k
    OR round(r.outcome_rate, 10) IS DISTINCT FROM round(plain.rate, 10)
    OR round(r.lift, 10) IS DISTINCT FROM round(plain.lift, 10)
    OR abs(r.z_score - plain.z::float8) > 1e-9;

-- An outcome keyword's rows are returned as computed, a custom expression's through the jsonb
-- that leaves its rolled-back block: the keyword written_off and the same test written as a
-- custom expression give the same rows, text for text, in the same order.
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE k.r = c.r) AS rows_equal
  FROM (SELECT row_number() OVER () AS n, x::text AS r FROM collmine.root_causes('kpi_rgen', 'written_off') x) k
  FULL JOIN (SELECT row_number() OVER () AS n, x::text AS r
               FROM collmine.root_causes('kpi_rgen', 'EXISTS (SELECT 1 FROM kpi_rgen.events e WHERE e.case_id = i.case_id AND e.activity = ''Invoice Written Off'')') x) c
    USING (n);

-- The outcome keywords are one list (_outcome_keyword), which both _outcome_expr and
-- root_causes read: case and surrounding blanks do not matter; anything else, a near miss
-- included, is a custom expression (NULL)
SELECT o AS outcome, collmine._outcome_keyword(o) AS keyword
  FROM (VALUES (' Written_Off '), ('disputed'), ('PAID_LATE'), ('i.amount > 100'), ('written off')) v(o);

-- _erfc_pos (one expression, so that it is inlined) is A&S 7.1.26 as written with t computed
-- once, bit for bit, from 0 to beyond its cut-off at 26, and NULL for NULL
SELECT count(*) AS values_compared,
       count(*) FILTER (WHERE float8send(collmine._erfc_pos(x)) IS NOT DISTINCT FROM float8send(ref)) AS values_equal
  FROM (SELECT x, CASE WHEN x > 26 THEN 0::double precision
                       ELSE t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
                            * exp(-x * x) END AS ref
          FROM (SELECT x, 1.0::double precision / (1.0 + 0.3275911 * x) AS t
                  FROM (SELECT g / 997.0::double precision AS x FROM generate_series(0, 27000) g
                        UNION ALL VALUES (NULL::double precision), ('Infinity')) v) w) y;

SET client_min_messages = warning;
DROP SCHEMA kpi_rlog, kpi_rgen CASCADE;
RESET client_min_messages;
