-- test/t/upgrade/user_objects.sql: what a user of collmine 0.1.0 has built on it, created before
-- ALTER EXTENSION collmine UPDATE by test/t/70_upgrade.sh. Only 0.1.0's API is used here.
-- Run with psql from the top of the repository (the sample loader \copies relative paths).

-- A connector log from the bundled NetSuite sample (schema erp: events, invoices).
\i test/data/erp/load-netsuite-sample.psql
SET client_min_messages = warning;
CREATE SCHEMA u;

-- Stored values of collmine's own types: one trace per invoice, process maps as dfg values.
CREATE TABLE u.traces AS
    SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM erp.events GROUP BY case_id;
CREATE TABLE u.dfgs AS
    SELECT 'all'::text AS scope, collmine.dfg_agg(t) AS d FROM u.traces
    UNION ALL
    SELECT 'long', collmine.dfg_agg(t) FROM u.traces WHERE collmine.trace_length(t) > 3;
-- their text forms as 0.1.0 wrote them
CREATE TABLE u.traces_text AS SELECT case_id, t::text AS t FROM u.traces;
CREATE TABLE u.dfgs_text AS SELECT scope, d::text AS d FROM u.dfgs;

-- The dashboards: views and materialized views in schema dash.
SELECT count(*) AS dashboards FROM collmine.create_dashboards('erp', 'dash');

-- A policy table with the example dunning policy, and a view that checks every trace against it.
SELECT collmine.create_policy_table('u');
INSERT INTO u.policy_rules SELECT 'dunning', r.* FROM collmine.default_dunning_policy() r;
CREATE VIEW u.policy_check AS
    SELECT tr.case_id, collmine.policy_fitness(tr.t, collmine.policy('u.policy_rules', 'dunning')) AS fitness
    FROM u.traces tr;
-- Policy tallies as 0.1.0 wrote them (no rule-set fingerprint), stored per segment, and views
-- that read them and that tally live: the same rows after the update (0.2.0 reads old tallies
-- by their length, and its own tallies end with the fingerprint).
CREATE TABLE u.policy_tallies AS
    SELECT i.segment, collmine.policy_tally(tr.t, collmine.policy('u.policy_rules', 'dunning')) AS tally
    FROM u.traces tr JOIN erp.invoices i USING (case_id) GROUP BY i.segment;
CREATE VIEW u.policy_adherence_stored AS
    SELECT s.segment, a.* FROM u.policy_tallies s,
           collmine.policy_adherence(collmine.policy('u.policy_rules', 'dunning'), s.tally) a;
CREATE VIEW u.policy_adherence_rollup AS
    SELECT a.* FROM (SELECT collmine.policy_tally_union(tally) AS tally FROM u.policy_tallies) s,
           collmine.policy_adherence(collmine.policy('u.policy_rules', 'dunning'), s.tally) a;
CREATE VIEW u.policy_adherence_live AS
    WITH pol AS NOT MATERIALIZED (SELECT collmine.policy('u.policy_rules', 'dunning') AS rules)
    SELECT a.* FROM (SELECT collmine.policy_tally(tr.t, pol.rules) AS tally FROM u.traces tr CROSS JOIN pol) s
           CROSS JOIN pol, collmine.policy_adherence(pol.rules, s.tally) a;

-- A view over dfg_edges, and views over KPI functions (a user's own report).
CREATE VIEW u.edges AS
    SELECT g.scope, e.* FROM u.dfgs g, collmine.dfg_edges(g.d) e;
CREATE VIEW u.cycle_report AS
    SELECT * FROM collmine.cycle_time('erp', '2024-01-01', '2025-06-30');
CREATE VIEW u.receivables_report AS
    SELECT * FROM collmine.receivables_kpis('erp', '2024-01-01', '2025-06-30');
CREATE MATERIALIZED VIEW u.variants_mv AS
    SELECT * FROM collmine.variants('erp.events', 'case_id', 'activity', 'ts', 'ord');
RESET client_min_messages;
