#!/usr/bin/env bash
# test/demo.sh: `make demo`. collmine's main job on the bundled NetSuite export, through the real
# connector path: a throwaway cluster, CREATE EXTENSION, `collmine-load` of the export directory
# (columns matched by header name, as a user loads real SuiteQL exports), the canonical event log,
# then the numbers a credit manager asks for and the process map.
# Output files (DOT, and SVG when graphviz is installed) go to demo-output/ at the repository top.
set -euo pipefail
. "$(dirname "$0")/pg.sh"

cm_ensure_headers
cm_rundir
trap cm_cleanup EXIT
cm_stage
cm_start 1

cd "$CM_TOP"
OUT=$CM_TOP/demo-output
EXPORT=test/data/erp/netsuite-export
mkdir -p "$OUT"
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off -d postgres)
export PGDATABASE=postgres

say() { printf '\n== %s ==\n' "$*"; }

say "loading the NetSuite export in $EXPORT (SuiteQL tables: shuffled columns, CRLF, memos with newlines)"
"${PSQL[@]}" -c "CREATE EXTENSION collmine"
echo "\$ collmine-load netsuite $EXPORT erp"
"$CM_BIN/collmine-load" netsuite "$EXPORT" erp
say "building the event log: collmine.netsuite_build"
"${PSQL[@]}" -c "SELECT * FROM collmine.netsuite_build('erp',
    '{\"date_format\": \"MM/DD/YYYY\", \"timestamp_format\": \"MM/DD/YYYY HH12:MI am\", \"as_of\": \"2025-06-30T23:59:00Z\"}')"
"${PSQL[@]}" -c "SELECT activity, count(*) AS customer_level_events FROM erp.customer_events GROUP BY 1 ORDER BY 1"

say "events and cases"
"${PSQL[@]}" -c "SELECT (SELECT count(*) FROM erp.events) AS events,
                        (SELECT count(DISTINCT case_id) FROM erp.events) AS cases,
                        (SELECT count(DISTINCT activity) FROM erp.events) AS activities,
                        (SELECT min(ts)::date FROM erp.events) AS first_event,
                        (SELECT max(ts)::date FROM erp.events) AS last_event"
"${PSQL[@]}" -c "SELECT status, count(*) AS invoices, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
                 FROM erp.invoices GROUP BY status ORDER BY invoices DESC"

say "top variants: collmine.variants('erp')"
"${PSQL[@]}" -c "SELECT rank, cases, round((100 * share)::numeric, 1) AS pct, round((100 * cumulative_share)::numeric, 1) AS cum_pct,
                        justify_hours(median_throughput) AS median_throughput, variant
                 FROM collmine.variants('erp') ORDER BY rank LIMIT 10"

say "process map: collmine.process_map('erp') (the 15 most frequent paths)"
"${PSQL[@]}" -c "CREATE TABLE demo_map AS SELECT collmine.process_map('erp') AS m"
"${PSQL[@]}" -c "SELECT collmine.dfg_cases(m) AS cases, collmine.dfg_events(m) AS events, collmine.dfg_skipped(m) AS skipped FROM demo_map"
"${PSQL[@]}" -c "SELECT source, target, frequency, cases, date_trunc('minute', median_duration) AS median, date_trunc('minute', p90_duration) AS p90
                 FROM demo_map, collmine.dfg_edges(m) ORDER BY frequency DESC, source, target LIMIT 15"
"${PSQL[@]}" -Atc "SELECT collmine.dfg_to_dot(m, 'frequency') FROM demo_map" > "$OUT/netsuite_process_map.dot"
"${PSQL[@]}" -Atc "SELECT collmine.dfg_to_dot(collmine.dfg_filter(m, 1.0, 0.4), 'performance') FROM demo_map" > "$OUT/netsuite_process_map_performance.dot"
"${PSQL[@]}" -Atc "SELECT collmine.dfg_to_mermaid(collmine.dfg_filter(m, 1.0, 0.4), 'frequency') FROM demo_map" > "$OUT/netsuite_process_map.mmd"
echo "DOT written to demo-output/netsuite_process_map.dot (and _performance.dot, simplified with dfg_filter); Mermaid to .mmd"
if command -v dot >/dev/null 2>&1; then
    for f in netsuite_process_map netsuite_process_map_performance; do
        dot -Tsvg "$OUT/$f.dot" -o "$OUT/$f.svg" && echo "SVG written to demo-output/$f.svg"
    done
else
    echo "(graphviz is not installed: no SVG; apt-get install graphviz to get one)"
fi

say "invoice-to-cash time (Invoice Generated to Invoice Settled)"
"${PSQL[@]}" -c "SELECT segment, count(*) AS settled,
                        justify_hours(date_trunc('hour', avg(cycle_time))) AS mean,
                        justify_hours(date_trunc('hour', percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time))) AS median,
                        round(100.0 * count(*) FILTER (WHERE paid_on_time) / count(*), 1) AS on_time_pct,
                        round(avg(days_overdue), 1) AS mean_days_late
                 FROM erp.invoices WHERE status = 'settled' GROUP BY ROLLUP (segment) ORDER BY segment NULLS LAST"

say "dispute resolution time (Dispute Registered to the next Dispute Resolved)"
"${PSQL[@]}" -c "SELECT count(*) AS disputes, count(resolved) AS resolved,
                        justify_hours(date_trunc('hour', avg(resolved - ts))) AS mean,
                        justify_hours(date_trunc('hour', percentile_cont(0.5) WITHIN GROUP (ORDER BY resolved - ts))) AS median,
                        (SELECT count(*) FROM (SELECT case_id FROM erp.events WHERE activity = 'Dispute Registered'
                                               GROUP BY case_id HAVING count(*) > 1) r) AS reopened_invoices
                 FROM (SELECT ts, activity,
                              CASE WHEN lead(activity) OVER w = 'Dispute Resolved' THEN lead(ts) OVER w END AS resolved
                       FROM erp.events WHERE activity IN ('Dispute Registered', 'Dispute Resolved')
                       WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)) d
                 WHERE activity = 'Dispute Registered'"

say "payment posting lag (Payment Received to Payment Posted)"
"${PSQL[@]}" -c "SELECT count(*) AS invoices_paid,
                        justify_hours(date_trunc('minute', avg(posting_lag))) AS mean,
                        justify_hours(date_trunc('minute', percentile_cont(0.5) WITHIN GROUP (ORDER BY posting_lag))) AS median,
                        justify_hours(date_trunc('minute', max(posting_lag))) AS longest
                 FROM erp.invoices WHERE posting_lag IS NOT NULL"

say "dunning policy: adherence per rule (collmine.policy_adherence with the shipped default dunning policy)"
"${PSQL[@]}" -c "SELECT rule_name, activated_cases, activations, violations,
                        round(100 * (1 - violations::numeric / nullif(activations, 0)), 1) AS kept_pct
                 FROM collmine.policy_adherence('erp', ARRAY(SELECT collmine.default_dunning_policy()))
                 ORDER BY kept_pct, rule_name"

say "collections KPIs and dashboards (collmine.create_dashboards into schema dash)"
"${PSQL[@]}" -c "SELECT count(*) AS dashboards_created FROM collmine.create_dashboards('erp', 'dash')"
"${PSQL[@]}" -c "SELECT month, round(dso, 1) AS dso, round(cei, 1) AS cei, round(avg_cycle_days, 1) AS cycle_days
                 FROM dash.invoice_to_cash_overview_mv WHERE currency = 'USD' ORDER BY month DESC LIMIT 6"
"${PSQL[@]}" -c "SELECT attribute, value, cases, written_off_cases, round(lift, 2) AS lift
                 FROM dash.write_off_root_causes_mv ORDER BY excess_write_offs DESC LIMIT 5"

say "data-quality report: collmine.data_quality('erp')"
"${PSQL[@]}" -c "SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('erp')"

echo
echo "done: the cluster is removed again; results in demo-output/ (set CM_KEEP=1 to keep the cluster)"
