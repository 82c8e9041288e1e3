-- test/sql/57_vocabulary.sql: the activity vocabulary (issue 11.1 and 11.6, docs/vocabulary.md).
--
-- 1. The role list and the template activities it names.
-- 2. The German-log test: the hand-made log of the 50_* tests (test/sql/50_kpi_log.inc), once
--    with the template's activity names (voc_en) and once with every activity renamed to German
--    (voc_de) plus a vocabulary that maps the German names to their roles. Every KPI function,
--    the root causes, the forecast, policy adherence with the default policy, the process map
--    and the variants give the same rows on both (modulo the activity names, translated back
--    where a result shows them). Without the vocabulary the German log gives other results,
--    so the comparison does test the vocabulary.
-- 3. A hand-made many-to-one vocabulary (two reminder names), worked out by hand.
-- 4. Unknown names: a warning (01000), or with strict => true an error (42704) with a hint.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- 1. roles ------------------------------------------------------------------------------------
SELECT role, activity, rank FROM collmine.activity_roles() ORDER BY rank NULLS LAST, role;
-- the template activities are the roles that have a rank, in rank order
SELECT count(*) AS template_activities, bool_and(t.activity = r.activity) AS same_names
  FROM collmine.template_activities() t JOIN collmine.activity_roles() r USING (rank);

-- 2. the German log ---------------------------------------------------------------------------
\set ECHO none
\set QUIET on
\set log voc_en
\i test/sql/50_kpi_log.inc
\set log voc_de
\i test/sql/50_kpi_log.inc
\set QUIET off
\set ECHO all
CREATE TEMP TABLE de (template text PRIMARY KEY, german text UNIQUE);
INSERT INTO de VALUES
  ('Invoice Generated', 'Rechnung erstellt'), ('Invoice Sent to Customer', 'Rechnung versendet'),
  ('Credit Limit Requested', 'Kreditlimit beantragt'), ('Credit Limit Approved', 'Kreditlimit genehmigt'),
  ('Dispute Registered', 'Reklamation erfasst'), ('Dispute Resolved', 'Reklamation geklärt'),
  ('Credit Memo Issued', 'Gutschrift erstellt'), ('Payment Due Date Passed', 'Fälligkeit überschritten'),
  ('Dunning Procedure Initiated', 'Mahnverfahren eingeleitet'), ('Overdue Reminder Sent', 'Mahnung versendet'),
  ('Collection Call Made', 'Inkassoanruf getätigt'), ('Payment Received', 'Zahlung eingegangen'),
  ('Payment Posted', 'Zahlung verbucht'), ('Invoice Settled', 'Rechnung ausgeglichen'),
  ('Invoice Written Off', 'Rechnung ausgebucht');
UPDATE voc_de.events e SET activity = de.german FROM de WHERE de.template = e.activity;
-- every event of the German log is renamed (none keeps a template name)
SELECT count(*) AS events, count(*) FILTER (WHERE activity IN (SELECT template FROM de)) AS template_named
  FROM voc_de.events;

-- the same query on both logs: 'same (n rows)' when both give the same rows (as multisets,
-- with the German log's activity names translated back by the column expression given)
CREATE FUNCTION pg_temp.same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n_en bigint; n_de bigint; d1 bigint; d2 bigint;
BEGIN
    EXECUTE format('CREATE TEMP TABLE r_en AS %s', format(q, 'voc_en'));
    EXECUTE format('CREATE TEMP TABLE r_de AS %s', format(q, 'voc_de'));
    SELECT count(*) INTO n_en FROM r_en;
    SELECT count(*) INTO n_de FROM r_de;
    SELECT count(*) INTO d1 FROM (SELECT * FROM r_en EXCEPT ALL SELECT * FROM r_de) x;
    SELECT count(*) INTO d2 FROM (SELECT * FROM r_de EXCEPT ALL SELECT * FROM r_en) x;
    DROP TABLE r_en, r_de;
    RETURN CASE WHEN n_en = n_de AND d1 = 0 AND d2 = 0 THEN format('same (%s rows)', n_en)
                ELSE format('DIFFERENT: %s rows vs %s, %s and %s not in the other', n_en, n_de, d1, d2) END;
END $$;
-- translate a German name back (identity for any other name)
CREATE FUNCTION pg_temp.en(a text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT de.template FROM de WHERE de.german = a), a) $$;

CREATE TEMP TABLE checks (n serial, what text, q text);
INSERT INTO checks (what, q) VALUES
 ('invoice_snapshot (last event)', $$SELECT * FROM collmine.invoice_snapshot(%L)$$),
 ('invoice_snapshot 2023-12-31', $$SELECT * FROM collmine.invoice_snapshot(%L, '2023-12-31', 'segment')$$),
 ('invoice_snapshot 2024-01-31', $$SELECT * FROM collmine.invoice_snapshot(%L, '2024-01-31')$$),
 ('aging', $$SELECT * FROM collmine.aging(%L, '2024-01-31', 'segment')$$),
 ('receivables_kpis', $$SELECT * FROM collmine.receivables_kpis(%L, '2024-01-01', '2024-01-31', 'segment')$$),
 ('receivables_kpis year', $$SELECT * FROM collmine.receivables_kpis(%L, '2023-03-01', '2024-02-29')$$),
 ('payment_behaviour', $$SELECT * FROM collmine.payment_behaviour(%L, '2024-01-01', '2024-02-29')$$),
 ('terms_compliance', $$SELECT * FROM collmine.terms_compliance(%L, '2024-01-01', '2024-02-29')$$),
 ('dunning_adherence', $$SELECT * FROM collmine.dunning_adherence(%L, '2023-10-01', '2024-02-29')$$),
 ('cycle_time', $$SELECT * FROM collmine.cycle_time(%L, '2024-01-01', '2024-02-29')$$),
 ('posting_lag', $$SELECT * FROM collmine.posting_lag(%L, '2024-01-01', '2024-02-29', 'collector')$$),
 ('dispute_resolution_time', $$SELECT * FROM collmine.dispute_resolution_time(%L, '2024-01-01', '2024-02-29')$$),
 ('credit_approval_time', $$SELECT * FROM collmine.credit_approval_time(%L, '2024-01-01', '2024-02-29')$$),
 ('collection_success_after_dunning', $$SELECT * FROM collmine.collection_success_after_dunning(%L, '2023-10-01', '2024-02-29')$$),
 ('contact_success', $$SELECT * FROM collmine.contact_success(%L, '2023-10-01', '2024-02-29', 14, 'collector')$$),
 ('manual_activity_share', $$SELECT group_value, pg_temp.en(activity) AS activity, events, manual_events, automated_events, unknown_events, manual_share
                              FROM collmine.manual_activity_share(%L, '2023-10-01', '2024-02-29')$$),
 ('write_off_rate', $$SELECT * FROM collmine.write_off_rate(%L, '2024-01-01', '2024-01-31')$$),
 ('activity_pairs by template names', $$SELECT * FROM collmine.activity_pairs(%L, 'Payment Received', 'Payment Posted')$$),
 ('duration_stats by template names', $$SELECT * FROM collmine.duration_stats(%L, 'Collection Call Made', 'Invoice Settled', '2024-01-01', '2024-02-29')$$),
 ('followup_events by template name', $$SELECT * FROM collmine.followup_events(%L, 'Overdue Reminder Sent', 30, true)$$),
 ('followup_success by template name', $$SELECT * FROM collmine.followup_success(%L, 'Dispute Registered', 30, '2024-01-01', '2024-01-31')$$),
 ('root_causes written_off', $$SELECT * FROM collmine.root_causes(%L, 'written_off', ARRAY['segment', 'country'])$$),
 ('root_causes paid_late', $$SELECT * FROM collmine.root_causes(%L, 'paid_late', ARRAY['segment', 'collector'])$$),
 ('root_causes disputed', $$SELECT * FROM collmine.root_causes(%L, 'disputed', ARRAY['segment'])$$),
 ('payment_forecast', $$SELECT * FROM collmine.payment_forecast(%L, '2024-01-31', 8, min_support => 1)$$),
 ('cash_forecast', $$SELECT * FROM collmine.cash_forecast(%L, '2024-01-31', 8, min_support => 1)$$),
 ('policy_adherence default policy', $$SELECT * FROM collmine.policy_adherence(%L, ARRAY(SELECT collmine.default_dunning_policy()), 'segment')$$),
 ('process_map edges', $$SELECT pg_temp.en(source) AS source, pg_temp.en(target) AS target, frequency, cases, weight, min_duration, mean_duration,
                               median_duration, p90_duration, p95_duration, max_duration
                          FROM collmine.dfg_edges(collmine.process_map(%L, 'amount'))$$),
 ('process_map activities', $$SELECT pg_temp.en(activity) AS activity, events, cases, starts, ends, weight
                               FROM collmine.dfg_activities(collmine.process_map(%L, 'amount'))$$),
 ('variants', $$SELECT cases, share, weight, mean_throughput, median_throughput, min_throughput, max_throughput,
                       ARRAY(SELECT pg_temp.en(a) FROM unnest(activities) WITH ORDINALITY u(a, o) ORDER BY o) AS activities
                  FROM collmine.variants(%L, 'amount')$$);

-- before the vocabulary is filled, the German log is not understood: results differ
SELECT what, pg_temp.same(q) FROM checks WHERE what IN ('cycle_time', 'invoice_snapshot 2024-01-31') ORDER BY n;

-- fill the vocabulary: the German name of each role's template activity
SELECT collmine.map_activity('voc_de', de.german, r.role)
  FROM de JOIN collmine.activity_roles() r ON r.activity = de.template;
SELECT role, activity, source FROM collmine.log_vocabulary('voc_de') ORDER BY role, activity;
-- the English log has no vocabulary table: every role keeps its template name
SELECT count(*) AS roles, count(*) FILTER (WHERE source = 'template') AS by_template
  FROM collmine.log_vocabulary('voc_en');

-- every function gives the same rows on both logs
SELECT n, what, pg_temp.same(q) FROM checks ORDER BY n;

-- rules that name the German activities work too (read as their roles): the same rule with
-- German names on voc_de and with template names on voc_en
SELECT (SELECT array_agg(x::text) FROM collmine.policy_adherence('voc_de', ARRAY[ROW('reminded', 'response',
            'Fälligkeit überschritten', 'Mahnung versendet', NULL, NULL, '45 days', 'error', NULL)::collmine.rule]) x)
     = (SELECT array_agg(x::text) FROM collmine.policy_adherence('voc_en', ARRAY[ROW('reminded', 'response',
            'Payment Due Date Passed', 'Overdue Reminder Sent', NULL, NULL, '45 days', 'error', NULL)::collmine.rule]) x)
       AS same_adherence;

-- 3. many names for one role, worked out by hand ---------------------------------------------
-- voc_de2: the German log with U5's reminder called 'Zahlungserinnerung' instead. Mapping only
-- 'Mahnung versendet' to reminder misses it: U5 (first reminder 2024-01-25) drops out of the
-- collection success triggers of January (A1's reminder of 01-05 and U5's: 2 -> 1).
-- Mapping both names gives the 2 again.
\set ECHO none
\set QUIET on
\set log voc_de2
\i test/sql/50_kpi_log.inc
\set QUIET off
\set ECHO all
UPDATE voc_de2.events e SET activity = de.german FROM de WHERE de.template = e.activity;
UPDATE voc_de2.events SET activity = 'Zahlungserinnerung' WHERE case_id = 'U5' AND activity = 'Mahnung versendet';
SELECT collmine.map_activity('voc_de2', de.german, r.role)
  FROM de JOIN collmine.activity_roles() r ON r.activity = de.template;
SELECT triggers, paid_within FROM collmine.collection_success_after_dunning('voc_de2', '2024-01-01', '2024-01-31');
INSERT INTO voc_de2.vocabulary (activity, role) VALUES ('Zahlungserinnerung', 'reminder');   -- a plain INSERT works
SELECT triggers, paid_within FROM collmine.collection_success_after_dunning('voc_de2', '2024-01-01', '2024-01-31');
SELECT collmine._role_activities('voc_de2', 'reminder') AS reminder_names;
-- a template name given by the caller stands for both
SELECT count(*) AS reminders FROM collmine.followup_events('voc_de2', 'Overdue Reminder Sent', 30);
-- the policy sees both as 'Overdue Reminder Sent'
SELECT activated_cases, satisfied_cases
  FROM collmine.policy_adherence('voc_de2', ARRAY[ROW('call_after_reminder', 'precedence', 'Overdue Reminder Sent',
       'Collection Call Made', NULL, NULL, NULL, 'error', NULL)::collmine.rule]);
-- (A1, A4 and U5 have a call, each after a reminder: 3 activated; all 6 cases satisfy it, the
-- three without a call vacuously. Without the Zahlungserinnerung row U5's call would follow no
-- reminder.)

-- the fill helper checks its role
SELECT collmine.map_activity('voc_de2', 'Anruf', 'phone_call');
SELECT collmine.map_activity('no_such_schema', 'Anruf', 'call');
-- a row with an unknown role is shown, and ignored by the analytics
INSERT INTO voc_de2.vocabulary VALUES ('Anruf', 'phonecall');
SELECT * FROM collmine.log_vocabulary('voc_de2') WHERE source = 'unknown role';

-- 4. unknown names -----------------------------------------------------------------------------
-- warned (01000) and answered (no completed pair) by default
SELECT count(*) AS pairs FROM collmine.activity_pairs('voc_de', 'Zahlung eingegangen', 'Zahlung gebucht');
\set VERBOSITY sqlstate
SELECT count(*) AS completed FROM collmine.activity_pairs('voc_de', 'Zahlung eingegangen', 'Zahlung gebucht') WHERE ended_at IS NOT NULL;
\set VERBOSITY default
-- an error with strict => true, in every function that takes a name
SELECT count(*) FROM collmine.activity_pairs('voc_de', 'Zahlung eingegangen', 'Zahlung gebucht', strict => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM collmine.duration_stats('voc_de', 'Zahlung eingegangen', 'Zahlung gebucht', '2024-01-01', '2024-01-31', strict => true);
SELECT count(*) FROM collmine.followup_events('voc_de', 'Mahnung', 30, strict => true);
SELECT count(*) FROM collmine.followup_success('voc_de', 'Mahnung', 30, '2024-01-01', '2024-01-31', strict => true);
SELECT count(*) FROM collmine.policy_adherence('voc_de', ARRAY[ROW('typo', 'existence', 'Rechnung erstelt',
       NULL, NULL, NULL, NULL, NULL, NULL)::collmine.rule], strict => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- names that are known are not reported, strict or not: a mapped German name, a template
-- name (a role), a name that occurs in the log without a role
SELECT count(*) AS pairs FROM collmine.activity_pairs('voc_de', 'Zahlung eingegangen', 'Payment Posted', strict => true);
UPDATE voc_de.events SET activity = 'Notiz' WHERE case_id = 'A1' AND activity = 'Rechnung versendet';
SELECT count(*) AS pairs FROM collmine.activity_pairs('voc_de', 'Notiz', 'Rechnung ausgeglichen', strict => true);

DROP SCHEMA voc_en CASCADE;
DROP SCHEMA voc_de CASCADE;
DROP SCHEMA voc_de2 CASCADE;
