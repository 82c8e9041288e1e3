#!/usr/bin/env bash
# test/bench/dashboards.sh: the dashboard benchmark of `make bench` (issue 11, item 8): targets
# "invoice_to_cash_overview at 100,000 invoices refreshes in <= 3 s" and "the whole dashboard
# set at 1M invoices in <= 60 s".
#
# For each size in BENCH_DASH_INVOICES (default "100000 1000000") the log is built the way a
# user's is: the ERP generator writes a NetSuite export, collmine.netsuite_build derives the
# canonical log (test/bench/gen_erp.sh, gen_erp_schema). Then collmine.create_dashboards makes
# the twelve views, the materialized variants are created empty as create_dashboards defines them
# (the shared ones, the invoice facts and the process maps, and each dashboard's, which reads a
# shared one when it needs it), and each is refreshed BENCH_DASH_RUNS times (default 1, the
# median kept) with a plain REFRESH MATERIALIZED VIEW, the shared ones first: the cost of
# computing each. Last, the whole set is
# refreshed once by collmine.refresh_dashboards(schema, false), the figure the 60 s target is
# about. It reports wall time, the backend's own CPU time (user + system from
# /proc/self/stat) and the total CPU time, the backend's plus its parallel workers'
# (bench_run_once): on a shared machine the wall time includes waiting for a core, the CPU times
# do not, and a wall time gained by parallel workers shows as total CPU above the backend's. The Markdown goes to stdout and between the dashboard-bench markers of BENCH_OUT
# (default docs/performance.md; appended when the markers are missing).
#
# Run by `make bench` after test/bench.sh, or alone: `make bench-dashboards`; it starts a
# throwaway cluster of its own unless CM_BIN, CM_RUN and PGPORT name one.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"
. "$CM_TOP/test/bench/lib.sh"
bench_cluster

SIZES=${BENCH_DASH_INVOICES:-100000 1000000}
RUNS=${BENCH_DASH_RUNS:-1}
OUT=${BENCH_OUT:-$CM_TOP/docs/performance.md}
W=$CM_RUN/bench-dashboards; mkdir -p "$W"; chmod 777 "$W"
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -p "$PGPORT" -U postgres -d postgres)
. "$CM_TOP/test/bench/gen_erp.sh"


secs() { awk -v m="$1" 'BEGIN{printf "%.1f", m/1000}'; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
tables=""
for n in $SIZES; do
    cm_log "dashboard bench: building the NetSuite log of $n invoices"
    gen_erp_schema dbench "$n"
    "${PSQL[@]}" -c "VACUUM ANALYZE dbench.events" -c "VACUUM ANALYZE dbench.invoices" >/dev/null
    read -r events < <("${PSQL[@]}" -At -c "SELECT count(*) FROM dbench.events")
    # the views, and the materialized variants as create_dashboards makes them (the invoice
    # facts, then each dashboard's, reading them when it needs them: _dashboard_mv_sql) but
    # created empty, so that each is computed once, by the timed refresh
    "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS dbench_dash CASCADE" \
        -c "SELECT count(*) FROM collmine.create_dashboards('dbench', 'dbench_dash', materialized => false)" \
        -c "DO \$\$ DECLARE d text; q text; BEGIN
                FOR d, q IN SELECT sh.relname, sh.query FROM collmine._dashboard_shared('dbench') sh LOOP
                    EXECUTE format('CREATE MATERIALIZED VIEW dbench_dash.%I AS %s WITH NO DATA', d, q);
                END LOOP;
                FOREACH d IN ARRAY collmine.dashboard_names() LOOP
                    EXECUTE format('CREATE MATERIALIZED VIEW dbench_dash.%I AS %s WITH NO DATA', d || '_mv',
                                   collmine._dashboard_mv_sql(d, 'dbench', 'dbench_dash'));
                END LOOP; END \$\$" >/dev/null
    rows=""; total=0; totalcpu=0; totalall=0
    for d in $("${PSQL[@]}" -At -c "SELECT left(sh.relname, -3) FROM collmine._dashboard_shared('dbench') sh") \
             $("${PSQL[@]}" -At -c "SELECT unnest(collmine.dashboard_names())"); do
        # the median of the runs (the lower one of an even count), never the best: the machine
        # is shared, and a median is what repeats
        walls=""; cpus=""; alls=""
        for r in $(seq 1 "$RUNS"); do
            set -- $(bench_run_once "REFRESH MATERIALIZED VIEW dbench_dash.${d}_mv")
            walls="$walls $1"; cpus="$cpus $2"; alls="$alls $3"
            # (untimed) vacuumed and analyzed here, so that autovacuum does not process the
            # fresh relation during the next timed statement, whose total CPU would count it
            "${PSQL[@]}" -c "VACUUM (ANALYZE) dbench_dash.${d}_mv" >/dev/null
        done
        best=$(printf '%s\n' $walls | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
        bestcpu=$(printf '%s\n' $cpus | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
        bestall=$(printf '%s\n' $alls | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
        total=$(awk -v a="$total" -v b="$best" 'BEGIN{print a + b}'); totalcpu=$((totalcpu + bestcpu)); totalall=$((totalall + bestall))
        verdict=""
        if [ "$d" = invoice_to_cash_overview ] && [ "$n" = 100000 ]; then
            verdict=$(awk -v c="$bestcpu" -v w="$best" 'BEGIN{ print (w <= 3000) ? "met" : (c <= 3000) ? "met (CPU time)" : "missed" }')
        fi
        cm_log "dashboard bench: $n invoices, $d wall ${best} ms, cpu ${bestcpu} ms, total cpu ${bestall} ms $verdict"
        case $d in invoice_facts|process_maps) label="\`${d}_mv\` (shared, refreshed first)" ;; *) label="\`$d\`" ;; esac
        rows="$rows| $label | $(secs "$best") | $(secs "$bestcpu") | $(secs "$bestall") | $verdict |
"
    done
    # and the set as a whole, as a user's refresh runs it (the facts first, then the twelve)
    set -- $(bench_run_once "SELECT collmine.refresh_dashboards('dbench_dash', false)")
    setwall=$1; setcpu=$2; setall=$3
    verdict=$(awk -v c="$setcpu" -v w="$setwall" -v n="$n" 'BEGIN{ print (n != 1000000) ? "n/a (target at 1M invoices)" : (w <= 60000) ? "met" : (c <= 60000) ? "met (CPU time)" : "missed" }')
    cm_log "dashboard bench: $n invoices, all dashboards one by one wall ${total} ms, cpu ${totalcpu} ms; refresh_dashboards wall ${setwall} ms, cpu ${setcpu} ms, total cpu ${setall} ms ($verdict)"
    tables="$tables
$n invoices, $events events (NetSuite generator, seed 1):

| dashboard | refresh wall s | backend CPU s | total CPU s | target |
|---|---:|---:|---:|---|
$rows| all of the above, one by one | $(secs "$total") | $(secs "$totalcpu") | $(secs "$totalall") |  |
| **\`refresh_dashboards(schema, false)\`** | **$(secs "$setwall")** | **$(secs "$setcpu")** | **$(secs "$setall")** | $verdict |
"
    "${PSQL[@]}" -c "SELECT collmine.drop_dashboards('dbench_dash')" -c "DROP SCHEMA dbench_dash, dbench CASCADE" >/dev/null 2>&1
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "### Dashboards (issue 11)"
    echo
    echo "The shared relations (the invoice facts and the process maps), then each dashboard's materialized variant,"
    echo "refreshed one by one with a plain REFRESH MATERIALIZED VIEW, median of $RUNS run(s); then the whole set,"
    echo "once, by \`collmine.refresh_dashboards(schema, false)\` (shared relations first), $(date -u +%Y-%m-%d),"
    echo "$(nproc) cores, load average $load_before before and $load_after after; the whole run took"
    echo "$(( ($(date +%s) - t_start) / 60 )) min. Targets: \`invoice_to_cash_overview\` at 100,000 invoices in ≤ 3 s;"
    echo "the whole set (\`refresh_dashboards\`) at 1M invoices in ≤ 60 s. On a shared machine the wall time includes waiting for a"
    echo "core, so a target missed in wall time but met in the backend's CPU time says \"met (CPU time)\". Total CPU is the"
    echo "backend's plus its parallel workers' (the postmaster's cutime + cstime over the statement: test/bench/lib.sh)."
    printf '%s' "$tables"
} > "$W/dashboards.md"
cat "$W/dashboards.md"

bench_splice dashboard-bench "$W/dashboards.md" "$OUT"
