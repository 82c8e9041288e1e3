#!/usr/bin/env bash
# test/demo.sh: `make demo`. collmine's main job on the bundled NetSuite sample, through the real
# connector path: a throwaway cluster, CREATE EXTENSION, staging tables, \copy of the CSV exports,
# the canonical event log, then the numbers a credit manager asks for and the process map.
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
SAMPLE=test/data/erp/sample
mkdir -p "$OUT"
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off -d postgres)

say() { printf '\n== %s ==\n' "$*"; }

say "installing collmine and loading the NetSuite sample ($SAMPLE)"
{
    echo "SET client_min_messages = warning;"
    echo "CREATE EXTENSION collmine;"
    echo "SELECT count(*) AS staging_tables FROM collmine.create_staging('netsuite', 'erp');"
    for t in transaction transactionline nexttransactionlinelink systemnote phonecall message customer term \
             subsidiary customrecord_3805_dunning_eval_result; do
        echo "\\copy erp.$t FROM '$SAMPLE/netsuite.$t.csv' WITH (FORMAT csv, HEADER true)"
    done
} | "${PSQL[@]}"
"${PSQL[@]}" -c "SELECT relname AS staging_table, n_live_tup AS rows FROM pg_stat_user_tables
                 WHERE schemaname = 'erp' AND relname NOT IN ('events', 'invoices', 'quality_issues', 'csv_import', 'transaction_search')
                 ORDER BY relname" 2>/dev/null || true

say "building the event log: collmine.netsuite_build (dates in NetSuite display format, read with the date_format and timestamp_format settings)"
"${PSQL[@]}" -c "SELECT * FROM collmine.netsuite_build('erp',
    '{\"date_format\": \"MM/DD/YYYY\", \"timestamp_format\": \"MM/DD/YYYY HH12:MI am\"}')"

say "events and cases"
"${PSQL[@]}" -c "SELECT (SELECT count(*) FROM erp.events) AS events,
                        (SELECT count(DISTINCT case_id) FROM erp.events) AS cases,
                        (SELECT count(DISTINCT activity) FROM erp.events) AS activities,
                        (SELECT min(ts)::date FROM erp.events) AS first_event,
                        (SELECT max(ts)::date FROM erp.events) AS last_event"
"${PSQL[@]}" -c "SELECT status, count(*) AS invoices, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
                 FROM erp.invoices GROUP BY status ORDER BY invoices DESC"

say "top variants"
if [ "$("${PSQL[@]}" -Atc "SELECT to_regprocedure('collmine.variants(regclass,name,name,name,name,name)') IS NOT NULL")" = t ]; then
    "${PSQL[@]}" -c "SELECT rank, cases, round((100 * share)::numeric, 1) AS pct, median_throughput, variant
                     FROM collmine.variants('erp.events', 'case_id', 'activity', 'ts', 'ord') ORDER BY rank LIMIT 10"
else
    echo "(collmine.variants is not in this build; plain-SQL variants instead)"
    "${PSQL[@]}" -c "SELECT count(*) AS cases, variant FROM
                        (SELECT case_id, string_agg(activity, ' > ' ORDER BY ts, ord) AS variant FROM erp.events GROUP BY case_id) v
                     GROUP BY variant ORDER BY cases DESC, variant LIMIT 10"
fi

say "process map"
if [ -n "$("${PSQL[@]}" -Atc "SELECT to_regtype('collmine.dfg')")" ] &&
   [ "$("${PSQL[@]}" -Atc "SELECT to_regprocedure('collmine.process_map(regclass,name,name,name,name,name)') IS NOT NULL
                             AND to_regprocedure('collmine.dfg_edges(collmine.dfg)') IS NOT NULL
                             AND to_regprocedure('collmine.dfg_to_dot(collmine.dfg)') IS NOT NULL")" = t ]; then
    "${PSQL[@]}" -c "SELECT source, target, frequency
                     FROM collmine.dfg_edges(collmine.process_map('erp.events', 'case_id', 'activity', 'ts', 'ord'))
                     ORDER BY frequency DESC, source, target LIMIT 15"
    "${PSQL[@]}" -Atc "SELECT collmine.dfg_to_dot(collmine.process_map('erp.events', 'case_id', 'activity', 'ts', 'ord'))" > "$OUT/netsuite_process_map.dot"
else
    echo "(collmine.process_map is not in this build; directly-follows edges in plain SQL instead)"
    "${PSQL[@]}" -c "SELECT source, target, count(*) AS frequency FROM
                        (SELECT activity AS source, lead(activity) OVER (PARTITION BY case_id ORDER BY ts, ord) AS target FROM erp.events) x
                     WHERE target IS NOT NULL GROUP BY source, target ORDER BY frequency DESC, source, target LIMIT 15"
    "${PSQL[@]}" -Atc "SELECT 'digraph process_map {' || E'\n  rankdir=LR; node [shape=box, style=rounded];\n' ||
                              string_agg(format('  %s -> %s [label=\"%s\"];', to_json(source)::text, to_json(target)::text, n), E'\n' ORDER BY n DESC, source, target) ||
                              E'\n}'
                       FROM (SELECT source, target, count(*) AS n FROM
                               (SELECT activity AS source, lead(activity) OVER (PARTITION BY case_id ORDER BY ts, ord) AS target FROM erp.events) x
                             WHERE target IS NOT NULL GROUP BY source, target) e" > "$OUT/netsuite_process_map.dot"
fi
echo "DOT written to demo-output/netsuite_process_map.dot"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg "$OUT/netsuite_process_map.dot" -o "$OUT/netsuite_process_map.svg" && echo "SVG written to demo-output/netsuite_process_map.svg"
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

say "data-quality report: collmine.data_quality('erp')"
"${PSQL[@]}" -c "SELECT check_name, severity, problems, examples, description FROM collmine.data_quality('erp')"

echo
echo "done: the cluster is removed again; results in demo-output/ (set CM_KEEP=1 to keep the cluster)"
