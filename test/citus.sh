#!/usr/bin/env bash
# test/citus.sh: `make test-citus`. collmine on Citus: a coordinator and two workers, checked
# against the single-node results.
#
# Builds Citus once into a cache outside the repository (test/citus-lib.sh), stages the server
# with collmine and Citus installed in it (test/pg.sh), starts a coordinator (cluster 1, port
# 5441) and two workers (clusters 2 and 3) on one private Unix socket directory, and checks:
#   - collmine is installed at the same version on every node (CREATE EXTENSION on the
#     coordinator propagates it);
#   - a real log (test/data/real-logs/receipt.csv, WABO receipt phase: 1,434 cases, 8,577
#     events) distributed by case id over 32 shards gives exactly the single-node results for
#     process_map(), variants(), traces() and policy_tally();
#   - EXPLAIN shows the per-case trace_agg running on the shards and dfg_agg/policy_tally split
#     into worker_partial_agg (workers) and coord_combine_agg (coordinator); the check is shown
#     to fail on a log distributed by activity and on an aggregate Citus cannot split;
#     variants() groups on the shards (its check fails on a local table), also with events
#     without a case id;
#   - the bundled NetSuite sample built by collmine.netsuite_build into events and invoices
#     distributed (co-located) by the invoice id equals the single-node build, and so do a
#     KPI, aging, the policy tally and all twelve dashboards (views and materialized views);
#     the KPI's invoice-to-events join runs on the workers; and the build over distributed
#     staging tables (every log table distributed or replicated too) equals it as well, and so
#     do the Dynamics 365 builds of the regression tests' hand-made exports, and a NetSuite
#     saved-search export (netsuite_from_saved_search) distributed with its staging tables;
#   - policy_adherence(log_schema, ...) and replay_fitness(log_schema, net, group_by) equal the
#     single-node results, with the tallies split over the workers.
# Prints ok/not ok lines and "N passed, N failed"; exits non-zero on any failure. Without the
# Citus source (../shared/vendor/citus, or $CM_CITUS_VENDOR) it says so and exits 0.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/test/pg.sh"
. "$TOP/test/citus-lib.sh"

if ! cm_citus_vendor >/dev/null; then
    echo "# skip: no Citus source in ${CM_CITUS_VENDOR:-$TOP/../shared/vendor/citus} (set CM_CITUS_VENDOR to a directory with citus-$CM_CITUS_VERSION.tar.gz)"
    echo "0 passed, 0 failed"
    exit 0
fi

cm_citus_stage
cm_citus_start 1 2 3
cm_citus_cluster postgres 1 2 3

passed=0; failed=0
ok()    { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -U postgres -d postgres)
# (Pipelines below end in `grep -c`, never `grep -q`: with pipefail, grep -q exiting early can
# kill the writer with SIGPIPE and turn a match into a failure.)
coord() { "${PSQL[@]}" -p 5441 -At "$@"; }

# ok when the two queries print exactly the same rows (and at least one); $4 = minimum rows.
same() {
    local label=$1 a b min=${4:-1}
    a=$(coord -c "$2" 2>&1) || { notok "$label: $a"; return; }
    b=$(coord -c "$3" 2>&1) || { notok "$label: $b"; return; }
    if [ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | grep -c .)" -ge "$min" ]; then
        ok "$label ($(printf '%s\n' "$a" | grep -c .) rows)"
    else
        notok "$label"; diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -20 | sed 's/^/# /'
    fi
}

# Print ok/not ok for a query that returns one boolean.
check() {
    local label=$1 got
    got=$(coord -c "$2" 2>&1) || { notok "$label: $got"; return; }
    if [ "$got" = t ]; then ok "$label"; else notok "$label (got: $got)"; fi
}

# --- the nodes -------------------------------------------------------------------------------
check "two workers in the cluster, coordinator registered" \
    "SELECT count(*) FILTER (WHERE shouldhaveshards) = 2 AND count(*) FILTER (WHERE groupid = 0) = 1 FROM pg_dist_node"
v=$(coord -c "SELECT extversion FROM pg_extension WHERE extname = 'collmine'")
for p in 5442 5443; do
    w=$("${PSQL[@]}" -p $p -At -c "SELECT extversion FROM pg_extension WHERE extname = 'collmine'")
    if [ -n "$v" ] && [ "$w" = "$v" ]; then ok "collmine $v installed on the worker at port $p"; else notok "collmine on the worker at port $p (coordinator $v, worker '$w')"; fi
done

# --- a real log, distributed by case id ------------------------------------------------------
cd "$TOP"
coord >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA rl;         -- distributed by case id
CREATE SCHEMA rl_local;   -- the same log on one node (an ordinary table on the coordinator)
CREATE TEMP TABLE receipt_csv (
    event_seq bigint, case_id text, activity text, ts timestamptz, resource text, lifecycle text,
    instance text, org_group text, channel text, deadline text, department text, enddate text,
    enddate_planned text, grp text, responsible text, startdate text);
\copy receipt_csv FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE rl_local.events AS SELECT case_id, activity, ts, event_seq AS ord, resource FROM receipt_csv;
CREATE TABLE rl.events (LIKE rl_local.events);
SELECT create_distributed_table('rl.events', 'case_id', shard_count => 32);
INSERT INTO rl.events SELECT * FROM rl_local.events;
-- the wrong layout, for the negative check: distributed by activity
CREATE TABLE rl.events_by_activity (LIKE rl_local.events);
SELECT create_distributed_table('rl.events_by_activity', 'activity', shard_count => 32);
INSERT INTO rl.events_by_activity SELECT * FROM rl_local.events;
ANALYZE rl_local.events;
-- events without a case id (a group of their own in variants(), which only counts them): on a
-- copy distributed by activity, since a distribution column cannot hold NULL
CREATE TABLE rl_local.events_nullcase AS
SELECT * FROM rl_local.events
UNION ALL SELECT NULL, 'Confirmation of receipt', '2011-01-01 00:00+00', -1, NULL
UNION ALL SELECT NULL, 'T02 Check confirmation of receipt', '2011-01-02 00:00+00', -2, NULL;
CREATE TABLE rl.events_nullcase (LIKE rl_local.events);
SELECT create_distributed_table('rl.events_nullcase', 'activity', shard_count => 32);
INSERT INTO rl.events_nullcase SELECT * FROM rl_local.events_nullcase;
-- a few rules over the log's own activities, for policy_tally
CREATE TABLE rl_local.rules AS
SELECT ARRAY[
    ROW('receipt_checked', 'response', 'Confirmation of receipt', 'T02 Check confirmation of receipt',
        NULL, NULL, '7 days', 'warning', NULL),
    ROW('starts_with_receipt', 'init', 'Confirmation of receipt', NULL, NULL, NULL, NULL, 'error', NULL),
    ROW('t06_after_t04', 'precedence', 'T04 Determine confirmation of receipt',
        'T06 Determine necessity of stop advice', NULL, NULL, NULL, 'error', NULL),
    ROW('one_confirmation', 'absence', 'Confirmation of receipt', NULL, 1, NULL, NULL, 'error', NULL)
]::collmine.rule[] AS rules;
SQL
check "receipt log distributed: 8577 events, 1434 cases, 32 shards on 2 workers" \
    "SELECT (SELECT count(*) FROM rl.events) = 8577 AND (SELECT count(DISTINCT case_id) FROM rl.events) = 1434
        AND (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'rl.events'::regclass) = 32
        AND (SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
              WHERE s.logicalrelid = 'rl.events'::regclass) = 2"

args="'case_id', 'activity', 'ts', 'ord'"
same "process_map() on the distributed log equals single-node (text form)" \
    "SELECT collmine.process_map('rl.events', $args)::text" \
    "SELECT collmine.process_map('rl_local.events', $args)::text"
same "process map edges (frequencies, durations) equal single-node" \
    "SELECT * FROM collmine.dfg_edges(collmine.process_map('rl.events', $args)) ORDER BY 1, 2" \
    "SELECT * FROM collmine.dfg_edges(collmine.process_map('rl_local.events', $args)) ORDER BY 1, 2" 10
same "variants() equal single-node (every column, 116 variants)" \
    "SELECT * FROM collmine.variants('rl.events', $args)" \
    "SELECT * FROM collmine.variants('rl_local.events', $args)" 116
# a variant whose throughputs sum to more than 2^31 days (25 cases from 4713 BC to 287000 AD):
# sum(interval) would overflow; the shards sum the day and time parts, and the mean is exact
coord -c "CREATE TABLE rl_local.span (case_id text, activity text, ts timestamptz, ord bigint)" \
      -c "INSERT INTO rl_local.span SELECT i::text, a, t, NULL FROM generate_series(1, 25) i,
            (VALUES ('a', timestamptz '4713-01-01 00:00:00+00 BC'), ('b', timestamptz '287000-01-01 00:00:00+00')) v(a, t)" \
      -c "CREATE TABLE rl.span (LIKE rl_local.span)" -c "SELECT create_distributed_table('rl.span', 'case_id', shard_count => 4)" \
      -c "INSERT INTO rl.span SELECT * FROM rl_local.span" >/dev/null
same "variants() of a variant summing more than 2^31 days equal single-node (exact mean 106545620 days)" \
    "SELECT *, mean_throughput = interval '106545620 days' FROM collmine.variants('rl.span', $args)" \
    "SELECT *, mean_throughput = interval '106545620 days' FROM collmine.variants('rl_local.span', $args)" 1
same "variants() with events without a case id, log distributed by activity, equal single-node" \
    "SELECT * FROM collmine.variants('rl.events_nullcase', $args)" \
    "SELECT * FROM collmine.variants('rl_local.events_nullcase', $args)" 116
same "traces() equal single-node (1434 traces, text form)" \
    "SELECT case_id, trace::text FROM collmine.traces('rl.events', $args) ORDER BY 1" \
    "SELECT case_id, trace::text FROM collmine.traces('rl_local.events', $args) ORDER BY 1" 1434
tally() {
    echo "SELECT (collmine.policy_adherence(r.rules, x.tally)).*
            FROM rl_local.rules r,
                 (SELECT collmine.policy_tally(t, (SELECT rules FROM rl_local.rules)) AS tally
                    FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM $1 GROUP BY case_id) s) x"
}
same "policy_tally / policy_adherence equal single-node" "$(tally rl.events)" "$(tally rl_local.events)" 4
same "a throughput KPI (mean, median and p90 throughput over the cases) equals single-node" \
    "SELECT avg(tp), percentile_cont(0.5) WITHIN GROUP (ORDER BY tp), percentile_disc(0.9) WITHIN GROUP (ORDER BY tp)
       FROM (SELECT collmine.trace_throughput(collmine.trace_agg(activity, ts, ord)) AS tp FROM rl.events GROUP BY case_id) s" \
    "SELECT avg(tp), percentile_cont(0.5) WITHIN GROUP (ORDER BY tp), percentile_disc(0.9) WITHIN GROUP (ORDER BY tp)
       FROM (SELECT collmine.trace_throughput(collmine.trace_agg(activity, ts, ord)) AS tp FROM rl_local.events GROUP BY case_id) s"

# --- plans: what runs on the workers ---------------------------------------------------------
# The verbose plan of a query over the distributed log: the coordinator's part and, for one
# task of each job, the query a worker runs ("Query: ...") and the worker's plan.
plan() { coord -c "EXPLAIN (VERBOSE, COSTS OFF) $1" 2>&1; }
# True (t) when a worker-side query of the plan matches $2 (extended regular expression).
worker_runs() {
    local p; p=$(plan "$1") || { echo "error: $p"; return; }
    if grep -E '^ *Query: ' <<<"$p" | grep -Ec "$2" >/dev/null; then echo t; else echo f; fi
}
# True when the aggregate is split: partials on the workers, the combine on the coordinator.
split_agg() {
    local p; p=$(plan "$1") || { echo "error: $p"; return; }
    if grep -E '^ *Query: ' <<<"$p" | grep -c 'worker_partial_agg' >/dev/null &&
       grep -v -E '^ *Query: ' <<<"$p" | grep -c 'coord_combine_agg' >/dev/null
    then echo t; else echo f; fi
}
expect() {  # label, expected t/f, got
    if [ "$3" = "$2" ]; then ok "$1"; else notok "$1 (expected $2, got $3)"; fi
}

T="SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM rl.events GROUP BY case_id"
MAP="SELECT collmine.dfg_agg(t) FROM ($T) s"
echo "# plan of the process map over the distributed log:"
plan "$MAP" | sed 's/^/#   /'
expect "trace_agg runs on the workers (GROUP BY the distribution column is pushed down whole)" t \
    "$(worker_runs "$T" 'collmine\.trace_agg\(.*GROUP BY')"
expect "dfg_agg is split: worker_partial_agg on the shards, coord_combine_agg on the coordinator" t \
    "$(split_agg "$MAP")"
expect "the per-case trace_agg of the process map runs inside the workers' partial aggregate" t \
    "$(worker_runs "$MAP" 'worker_partial_agg\(.*collmine\.trace_agg\(')"
expect "policy_tally is split into worker_partial_agg / coord_combine_agg" t \
    "$(split_agg "$(tally rl.events)")"
# The same checks must be able to fail. A log distributed by activity cannot build a trace on a
# shard: raw events are pulled to the coordinator.
TA="SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM rl.events_by_activity GROUP BY case_id"
expect "negative: on a log distributed by activity the trace_agg check fails (raw events travel)" f \
    "$(worker_runs "$TA" 'collmine\.trace_agg\(')"
expect "negative: on a log distributed by activity the process-map check fails" f \
    "$(worker_runs "SELECT collmine.dfg_agg(t) FROM ($TA) s" 'worker_partial_agg\(.*collmine\.trace_agg\(')"
# ORDER BY inside an aggregate stops Citus from splitting it: the split check must say so.
expect "negative: dfg_agg(t ORDER BY case_id) is not split (traces travel, the check fails)" f \
    "$(split_agg "SELECT collmine.dfg_agg(t ORDER BY case_id) FROM ($T) s")"
same "the unsplit plans still give the single-node map" \
    "SELECT collmine.dfg_agg(t ORDER BY case_id)::text FROM ($TA) s" \
    "SELECT collmine.process_map('rl_local.events', $args)::text"

# The entry points run dynamic SQL; auto_explain shows the plans they really execute.
entry_plan() {
    coord -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
          -c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_verbose = on" \
          -c "SET auto_explain.log_level = notice" -c "SET client_min_messages = notice" \
          -c "$1" 2>&1 >/dev/null
}
p=$(entry_plan "SELECT collmine.process_map('rl.events', $args)")
if grep -q coord_combine_agg <<<"$p" && grep -Eq 'worker_partial_agg\(.*collmine\.trace_agg\(' <<<"$p"; then
    ok "process_map() executes the split plan (auto_explain of its dynamic SQL)"
else
    notok "process_map() executes the split plan (auto_explain of its dynamic SQL)"; printf '%s\n' "$p" | head -40 | sed 's/^/# /'
fi
# variants() on the distributed log: its grouping is split (docs/scale-out.md): each shard
# sends one row per variant (the representative trace and the throughputs), not every trace.
p=$(entry_plan "SELECT count(*) FROM collmine.variants('rl.events', $args)")
if grep -Eq 'Query: .*worker_partial_agg\(.*collmine\._variant_rep\(.*array_agg\(' <<<"$p" && grep -q coord_combine_agg <<<"$p" &&
   [ "$(grep -E '^ *Query: ' <<<"$p" | grep -Ec 'collmine\._variant_agg\(')" = 0 ]; then
    ok "variants() groups the variants on the workers (worker_partial_agg of _variant_rep, array_agg; auto_explain)"
else
    notok "variants() groups the variants on the workers (auto_explain)"; printf '%s\n' "$p" | grep -E 'Query:|Error|ERROR' | head -10 | cut -c1-400 | sed 's/^/# /'
fi
p=$(entry_plan "SELECT count(*) FROM collmine.variants('rl_local.events', $args)")
if grep -Eq 'worker_partial_agg\(.*collmine\._variant_rep\(' <<<"$p"; then
    notok "negative: variants() over a local table has no split plan (auto_explain)"
else
    ok "negative: variants() over a local table has no split plan, the check fails there (auto_explain)"
fi
# What travels, in text form (as worker_partial_agg and array_agg send it): one row per
# (shard, variant) against one trace per case.
echo "# variants() on 32 shards sends about $(coord -c "
    SELECT pg_size_pretty(sum(octet_length(r::text)))
      FROM (SELECT get_shard_id_for_distribution_column('rl.events', case_id) AS shard, collmine._variant_key(t) AS k,
                   collmine._variant_rep(t), count(*), sum(collmine.trace_skipped(t)), count(tp), sum(tp), array_agg(tp), min(tp), max(tp)
              FROM (SELECT case_id, t, collmine.trace_throughput(t) AS tp FROM ($T) s) s GROUP BY 1, 2) r") to the coordinator; its traces are $(coord -c "
    SELECT pg_size_pretty(sum(octet_length(t::text))) FROM ($T) s")"
p=$(entry_plan "SELECT count(*) FROM collmine.variants('rl.events', $args)")
if grep -Eq 'Query: .*collmine\.trace_agg\(' <<<"$p"; then
    ok "variants() builds the traces on the workers (auto_explain)"
else
    notok "variants() builds the traces on the workers (auto_explain)"; printf '%s\n' "$p" | head -40 | sed 's/^/# /'
fi

# --- the connectors' build writing into distributed, co-located events and invoices ----------
# Staging stays on the coordinator (it is joined on keys other than the invoice id); the build
# writes its output into events and invoices that are distributed by case_id beforehand.
for x in erpd erps; do
    sed -e "s/'erp'/'$x'/g" -e "s/\\berp\\./$x./g" test/data/erp/load-netsuite-sample.psql > "$CM_RUN/load-$x.psql"
done
out=$(coord 2>&1 <<SQL
SET client_min_messages = warning;
\i test/data/erp/load-netsuite-sample.psql
SELECT collmine.create_event_log('erpd');
SELECT create_distributed_table('erpd.events', 'case_id');
SELECT create_distributed_table('erpd.invoices', 'case_id', colocate_with => 'erpd.events');
\i $CM_RUN/load-erpd.psql
SQL
) && ok "netsuite_build writes into distributed events and invoices" || notok "netsuite_build into distributed tables: $out"
# The SQL that creates log schema $1 with every table distributed or replicated: events,
# invoices and applications by case id (co-located), customer_events by customer id, the
# quality report and the vocabulary as reference tables (a finding's case id may be NULL).
dist_log() {
    cat <<SQL
SELECT collmine.create_event_log('$1');
SELECT create_distributed_table('$1.events', 'case_id');
SELECT create_distributed_table('$1.' || t, 'case_id', colocate_with => '$1.events') FROM unnest('{invoices,applications}'::text[]) t;
SELECT create_distributed_table('$1.customer_events', 'customer_id');
SELECT create_reference_table('$1.' || t) FROM unnest('{quality_issues,vocabulary}'::text[]) t;
SQL
}
# The NetSuite staging tables of schema $1 distributed as in a real deployment: the transactions
# by their own id, their lines and links co-located with them, notes, calls and messages by id,
# the small dimensions as reference tables.
dist_netsuite_staging() {
    cat <<SQL
SELECT create_distributed_table('$1.transaction', 'id');
SELECT create_distributed_table('$1.transactionline', 'transaction', colocate_with => '$1.transaction');
SELECT create_distributed_table('$1.' || t, 'previousdoc', colocate_with => '$1.transaction')
  FROM unnest('{nexttransactionlinelink,previoustransactionlinelink}'::text[]) t;
SELECT create_distributed_table('$1.' || t, 'id') FROM unnest('{systemnote,phonecall,message}'::text[]) t;
SELECT create_reference_table('$1.' || t) FROM unnest('{customer,term,subsidiary,customrecord_3805_dunning_eval_result,employee,currency}'::text[]) t;
SQL
}
# The build over distributed staging (docs/scale-out.md): staging tables distributed by their
# own ids (transactionline co-located with transaction), the small dimensions as reference
# tables, and every table of the log schema distributed or replicated: events, invoices and
# applications by case id (co-located), customer_events by customer id, the quality report and
# the vocabulary as reference tables (a finding's case id may be NULL). The build reads each
# distributed staging table once into the coordinator's session (_cm_dedup) and writes the log
# tables in place; every log table must equal the single-node build's.
out=$(coord 2>&1 <<SQL
SET client_min_messages = warning;
SELECT count(*) FROM collmine.create_staging('netsuite', 'erps');
$(dist_netsuite_staging erps)
$(dist_log erps)
\i $CM_RUN/load-erps.psql
SQL
) && ok "netsuite_build over distributed staging into a distributed log schema" || notok "netsuite_build over distributed staging: $out"
check "the staging and log tables of erps are Citus tables (11 distributed, 8 reference)" \
    "SELECT count(*) FILTER (WHERE partmethod = 'h') = 11 AND count(*) FILTER (WHERE partmethod = 'n') = 8
       FROM pg_dist_partition WHERE logicalrelid::text LIKE 'erps.%'"
for t in events invoices applications customer_events quality_issues vocabulary; do
    same "over distributed staging: $t equals the single-node build's" \
        "SELECT x::text FROM erps.$t x ORDER BY 1" "SELECT x::text FROM erp.$t x ORDER BY 1" 0
done
# The Dynamics 365 builds read their staging through the same step: each hand-made export of
# the regression tests (its statements up to the first build) built once on local staging and
# once with every staging table distributed by its first column into a distributed log schema.
d365() {  # source, regression test file, its line with the first build, schema there
    local src=$1 file=$2 last=$3 sch=$4 out
    out=$(coord 2>&1 <<SQL
SET client_min_messages = warning;
$(sed -n "1,${last}p" "$file")
SELECT count(*) FROM collmine.create_staging('$src', '${sch}_dist');
SELECT count(create_distributed_table(format('%I.%I', c.table_schema, c.table_name), c.column_name))
  FROM information_schema.columns c WHERE c.table_schema = '${sch}_dist' AND c.ordinal_position = 1
   AND c.table_name IN (SELECT table_name FROM collmine.staging_columns WHERE source = '$src');
$(dist_log ${sch}_dist)
$(sed -n "1,${last}p" "$file" | sed -E "s/\b$sch\b/${sch}_dist/g")
SQL
    ) && ok "${src}_build over distributed staging into a distributed log schema" || { notok "${src}_build over distributed staging: $out"; return; }
    for t in events invoices applications customer_events quality_issues; do
        same "$src over distributed staging: $t equals the single-node build's" \
            "SELECT x::text FROM ${sch}_dist.$t x ORDER BY 1" "SELECT x::text FROM $sch.$t x ORDER BY 1" 0
    done
}
d365 d365bc test/sql/40_connectors_d365bc.sql 40 cm_bc
d365 d365fo test/sql/40_connectors_d365fo.sql 44 cm_fo
# A NetSuite saved-search export (display column names) turned into the SuiteQL staging tables
# by netsuite_from_saved_search, then built: the regression test's hand-made export, once on
# local staging and once with the export and every staging table it fills distributed (the
# export by internal id, the SuiteQL tables as in erps) into a distributed log schema.
ss_first=$(grep -n "collmine.create_staging('netsuite', 'cm_ss')" test/sql/40_connectors_netsuite.sql | cut -d: -f1)
ss_last=$(grep -n "collmine.netsuite_build('cm_ss'" test/sql/40_connectors_netsuite.sql | cut -d: -f1)
ss_block() { sed -n "${ss_first},$((ss_last + 1))p" test/sql/40_connectors_netsuite.sql | sed -E "s/\bcm_ss\b/$1/g"; }
out=$(coord 2>&1 <<SQL
SET client_min_messages = warning;
$(ss_block cm_ss)
SELECT count(*) FROM collmine.create_staging('netsuite', 'cm_ssd');
SELECT create_distributed_table('cm_ssd.transaction_search', 'Internal ID');
$(dist_netsuite_staging cm_ssd)
$(dist_log cm_ssd)
$(ss_block cm_ssd | grep -v "create_staging('netsuite', 'cm_ssd')")
SQL
) && ok "netsuite_from_saved_search and netsuite_build over a distributed saved-search export" \
  || notok "netsuite_from_saved_search over a distributed export: $out"
for t in transaction transactionline nexttransactionlinelink customer events invoices applications quality_issues; do
    same "saved search over distributed staging: $t equals the single-node build's" \
        "SELECT x::text FROM cm_ssd.$t x ORDER BY 1" "SELECT x::text FROM cm_ss.$t x ORDER BY 1" 0
done
check "events and invoices are distributed by case_id and co-located" \
    "SELECT count(*) = 2 AND count(DISTINCT colocationid) = 1 AND bool_and(column_to_column_name(logicalrelid, partkey) = 'case_id')
       FROM pg_dist_partition WHERE logicalrelid IN ('erpd.events'::regclass, 'erpd.invoices'::regclass)"
same "the distributed build's events equal the single-node build's" \
    "SELECT e::text FROM erpd.events e ORDER BY 1" "SELECT e::text FROM erp.events e ORDER BY 1" 100
same "the distributed build's invoices equal the single-node build's" \
    "SELECT i::text FROM erpd.invoices i ORDER BY case_id" "SELECT i::text FROM erp.invoices i ORDER BY case_id" 10
same "the distributed build's quality report equals the single-node build's" \
    "SELECT q::text FROM erpd.quality_issues q ORDER BY 1" "SELECT q::text FROM erp.quality_issues q ORDER BY 1" 0
same "receivables_kpis (DSO, CEI, ADD) equal single-node" \
    "SELECT * FROM collmine.receivables_kpis('erpd', '2025-01-01', '2025-06-30') ORDER BY 1, 2" \
    "SELECT * FROM collmine.receivables_kpis('erp', '2025-01-01', '2025-06-30') ORDER BY 1, 2"
same "aging by segment equals single-node" \
    "SELECT * FROM collmine.aging('erpd', '2025-03-31', group_by => 'segment') ORDER BY 1, 2, 3" \
    "SELECT * FROM collmine.aging('erp', '2025-03-31', group_by => 'segment') ORDER BY 1, 2, 3"
# Co-location pays off: each invoice is joined with its events on the shard that holds both.
p=$(entry_plan "SELECT count(*) FROM collmine.receivables_kpis('erpd', '2025-01-01', '2025-06-30')")
if grep -E '^ *Query: ' <<<"$p" | grep -E 'erpd\.invoices_[0-9]+' | grep -Ec 'erpd\.events_[0-9]+' >/dev/null; then
    ok "receivables_kpis joins invoices with their events on the workers (co-located, auto_explain)"
else
    notok "receivables_kpis joins invoices with their events on the workers (co-located, auto_explain)"
    grep -E '^ *Query: ' <<<"$p" | grep -oE '[a-z_]+\.[a-z_]+_[0-9]+' | sort | uniq -c | head -10 | sed 's/^/# shard in a worker query: /'
fi
dtally() {
    echo "SELECT (collmine.policy_adherence((SELECT array_agg(r) FROM collmine.default_dunning_policy() r), x.tally)).*
            FROM (SELECT collmine.policy_tally(t, (SELECT array_agg(r) FROM collmine.default_dunning_policy() r)) AS tally
                    FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM $1.events GROUP BY case_id) s) x"
}
same "dunning policy adherence on the ERP log equals single-node" "$(dtally erpd)" "$(dtally erp)" 10
# The log-schema conformance entry points (docs/scale-out.md), each against the single-node
# build: policy adherence per rule and per segment, and token replay on a sequence net of the
# template's activities, for the whole log and per segment, on the log built from local staging
# (erpd) and from distributed staging (erps).
NET="collmine.sequence_net(ARRAY['Invoice Generated', 'Invoice Sent to Customer', 'Payment Due Date Passed',
                                 'Payment Received', 'Payment Posted', 'Invoice Settled'])"
POL="ARRAY(SELECT collmine.default_dunning_policy())"
for x in erpd erps; do
    same "policy_adherence('$x', dunning policy) equals single-node" \
        "SELECT * FROM collmine.policy_adherence('$x', $POL)" "SELECT * FROM collmine.policy_adherence('erp', $POL)" 10
    same "policy_adherence('$x', dunning policy, group_by => 'segment') equals single-node" \
        "SELECT * FROM collmine.policy_adherence('$x', $POL, group_by => 'segment')" \
        "SELECT * FROM collmine.policy_adherence('erp', $POL, group_by => 'segment')" 20
    same "replay_fitness('$x', net) equals single-node" \
        "SELECT * FROM collmine.replay_fitness('$x', $NET)" "SELECT * FROM collmine.replay_fitness('erp', $NET)"
    same "replay_fitness('$x', net, group_by => 'segment') equals single-node" \
        "SELECT * FROM collmine.replay_fitness('$x', $NET, 'segment')" "SELECT * FROM collmine.replay_fitness('erp', $NET, 'segment')" 2
done
rtally() {
    echo "SELECT (collmine.replay_fitness(collmine.replay_tally(t, $NET))).*
            FROM (SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM $1.events GROUP BY case_id) s"
}
same "replay_tally / replay_fitness over the traces equal single-node" "$(rtally erpd)" "$(rtally erp)"
expect "replay_tally is split into worker_partial_agg / coord_combine_agg" t "$(split_agg "$(rtally erpd)")"
p=$(entry_plan "SELECT count(*) FROM collmine.replay_fitness('erpd', $NET)")
if grep -Eq 'worker_partial_agg\(.*collmine\.replay_tally\(' <<<"$p" && grep -q coord_combine_agg <<<"$p"; then
    ok "replay_fitness('erpd', net) tallies on the workers (auto_explain)"
else
    notok "replay_fitness('erpd', net) tallies on the workers (auto_explain)"; printf '%s\n' "$p" | grep -E 'Query:|Error|ERROR' | head -10 | cut -c1-300 | sed 's/^/# /'
fi
p=$(entry_plan "SELECT count(*) FROM collmine.policy_adherence('erpd', $POL)")
if grep -Eq 'worker_partial_agg\(.*collmine\.policy_tally\(' <<<"$p" && grep -q coord_combine_agg <<<"$p"; then
    ok "policy_adherence('erpd', rules) tallies on the workers (auto_explain)"
else
    notok "policy_adherence('erpd', rules) tallies on the workers (auto_explain)"; printf '%s\n' "$p" | grep -E 'Query:|Error|ERROR' | head -10 | cut -c1-300 | sed 's/^/# /'
fi
for x in erpd erps; do
    same "variants('$x') equals single-node (every column)" \
        "SELECT * FROM collmine.variants('$x')" "SELECT * FROM collmine.variants('erp')" 100
    same "variants('$x', weight => 'amount') equals single-node (every column)" \
        "SELECT * FROM collmine.variants('$x', weight => 'amount')" "SELECT * FROM collmine.variants('erp', weight => 'amount')" 100
done
same "process map with money (weight = amount) equals single-node" \
    "SELECT collmine.process_map('erpd.events', $args, 'amount')::text" \
    "SELECT collmine.process_map('erp.events', $args, 'amount')::text"
out=$(coord -c "SET client_min_messages = warning" -c "SELECT count(*) FROM collmine.create_dashboards('erpd', 'dashd')" \
            -c "SELECT count(*) FROM collmine.create_dashboards('erp', 'dash')" 2>&1) \
    && ok "create_dashboards over the distributed log (views and materialized views)" || notok "create_dashboards over the distributed log: $out"
for d in $(coord -c "SELECT unnest(collmine.dashboard_names())"); do
    same "dashboard $d equals single-node" \
        "SELECT v::text FROM dashd.$d v ORDER BY 1" "SELECT v::text FROM dash.$d v ORDER BY 1"
done
out=$(coord -c "SELECT collmine.refresh_dashboards('dashd')" 2>&1) && ok "refresh_dashboards over the distributed log" || notok "refresh_dashboards: $out"
same "materialized dashboards equal single-node after refresh" \
    "SELECT v::text FROM dashd.invoice_to_cash_overview_mv v ORDER BY 1" "SELECT v::text FROM dash.invoice_to_cash_overview_mv v ORDER BY 1"

echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
