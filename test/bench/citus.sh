#!/usr/bin/env bash
# test/bench/citus.sh: `make bench-citus`, collmine on Citus with 1, 2 and 4 workers.
#
# Starts a coordinator (cluster 1) and four workers (clusters 2-5) on one machine, generates the
# synthetic invoice-to-cash log of `make bench` (test/bench/gen_events.sql) on the coordinator,
# and distributes a copy of it by case_id (32 shards) while the cluster has 1, then 2, then 4
# workers (with colocate_with => 'none', Citus places a new table's shards round-robin on the
# workers present at that moment). For each
# layout, and for the plain table on the coordinator, it runs each item once and reports:
#   - wall time (on one machine the speed-up is bounded by its cores; not a scaling figure);
#   - bytes moved to the coordinator (how, per item: BYTES below);
#   - CPU seconds of each node: user+system time of every process of that cluster
#     (postmaster, live backends, and exited backends through the postmaster's cumulative
#     children's time) before and after the item, from /proc;
#   - the plan shape (EXPLAIN VERBOSE, 2-worker layout), written after the tables.
# Results go to $BENCH_CITUS_OUT (default build/bench-citus.md) and to stdout.
#
# Environment: BENCH_CITUS_EVENTS (default 10000000), BENCH_CITUS_WORKERS (default "1 2 4"),
# BENCH_CITUS_SHARDS (default 32), BENCH_CITUS_RUNS (runs per measurement after one warm-up, the
# fastest reported with its CPU figures; default 1), BENCH_CITUS_OUT.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/test/pg.sh"
. "$TOP/test/citus-lib.sh"

EVENTS=${BENCH_CITUS_EVENTS:-10000000}
LAYOUTS=${BENCH_CITUS_WORKERS:-"1 2 4"}
SHARDS=${BENCH_CITUS_SHARDS:-32}
RUNS=${BENCH_CITUS_RUNS:-1}
OUT=${BENCH_CITUS_OUT:-$TOP/build/bench-citus.md}
EVENTS_PER_CASE_X100=706      # the generator's mean events per invoice, times 100 (test/bench.sh)

cm_citus_vendor >/dev/null || cm_die "no Citus source in ${CM_CITUS_VENDOR:-$TOP/../shared/vendor/citus}"
cm_citus_stage
maxw=0; for w in $LAYOUTS; do [ "$w" -gt "$maxw" ] && maxw=$w; done
nodes=$(seq 1 $((maxw + 1)) | tr '\n' ' ')
CM_CITUS_CONF="shared_buffers = 256MB
work_mem = 256MB
max_parallel_workers_per_gather = 0
jit = off" cm_citus_start $nodes
cm_citus_cluster postgres 1                       # the workers are added layout by layout
for n in $(seq 2 $((maxw + 1))); do cm_citus_node postgres "$n"; done
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -U postgres -d postgres -p 5441)
coord() { "${PSQL[@]}" -At "$@"; }

# --- the log ---------------------------------------------------------------------------------
ncases=$((EVENTS * 100 / EVENTS_PER_CASE_X100))
cm_log "generating bench.events_local: $ncases invoices"
coord -c "CREATE SCHEMA bench"
"${PSQL[@]}" -v log=bench.events_local -v ncases="$ncases" -f "$TOP/test/bench/gen_events.sql" 2>&1 | grep -v NOTICE || true
nevents=$(coord -c "SELECT count(*) FROM bench.events_local")
added=0
declare -A PLACEMENT
for w in $LAYOUTS; do
    while [ "$added" -lt "$w" ]; do
        added=$((added + 1))
        coord -c "SELECT citus_add_node('$CM_RUN', $((5441 + added)))" >/dev/null
    done
    cm_log "distributing bench.events_w$w over $w worker(s), $SHARDS shards"
    coord -c "SET client_min_messages = warning" \
          -c "CREATE TABLE bench.events_w$w (LIKE bench.events_local)" \
          -c "SELECT create_distributed_table('bench.events_w$w', 'case_id', shard_count => $SHARDS, colocate_with => 'none')" \
          -c "INSERT INTO bench.events_w$w SELECT * FROM bench.events_local" \
          -c "VACUUM ANALYZE bench.events_w$w" >/dev/null
    PLACEMENT[$w]=$(coord -c "SELECT string_agg(n::text, '/' ORDER BY nodeport) FROM (SELECT nodeport, count(*) AS n
        FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid)
        WHERE logicalrelid = 'bench.events_w$w'::regclass GROUP BY nodeport) x")
done

# --- the items ---------------------------------------------------------------------------------
# BYTES says how the bytes moved to the coordinator are measured:
#   analyze  Citus's own "Tuple data received from nodes", summed over every statement the item
#            runs (EXPLAIN ANALYZE through auto_explain, so an entry point's dynamic SQL counts);
#   payload  for aggregates Citus splits (worker_partial_agg): the partial state crosses as its
#            text form, one per shard, so the payload is the sum over shards of the length of
#            that text, computed on the workers (run_command_on_shards). Citus 13.2.2 cannot
#            EXPLAIN ANALYZE these plans ("column field_0 has pseudo-type cstring").
ITEMS=(process_map policy_tally variants_by_id variants_entry)
declare -A SQL DESC BYTES PAYLOAD
T="SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM :log GROUP BY case_id"
POLICY="(SELECT array_agg(r) FROM collmine.default_dunning_policy() r)"
DESC[process_map]="process map: dfg_agg over the per-case traces, edges listed"
SQL[process_map]="SELECT count(*) FROM collmine.dfg_edges((SELECT collmine.dfg_agg(t) FROM ($T) s))"
BYTES[process_map]=payload
PAYLOAD[process_map]="SELECT octet_length(collmine.dfg_agg(t)::text) FROM (${T//:log/%s}) s"
DESC[policy_tally]="10-rule dunning policy adherence: policy_tally over the traces"
SQL[policy_tally]="SELECT count(*) FROM collmine.policy_adherence($POLICY, (SELECT collmine.policy_tally(t, $POLICY) FROM ($T) s))"
BYTES[policy_tally]=payload
PAYLOAD[policy_tally]="SELECT octet_length(collmine.policy_tally(t, $POLICY)::text) FROM (${T//:log/%s}) s"
DESC[variants_by_id]="variants with case counts: GROUP BY trace_variant_id(t), count(*)"
SQL[variants_by_id]="SELECT count(*), sum(cases) FROM (SELECT collmine.trace_variant_id(t) AS v, count(*) AS cases FROM ($T) s GROUP BY 1) x"
BYTES[variants_by_id]=analyze
DESC[variants_entry]="collmine.variants(), the entry point (shares, exact median throughput per variant)"
SQL[variants_entry]="SELECT count(*) FROM collmine.variants(':log', 'case_id', 'activity', 'ts', 'ord')"
# on a distributed log variants() splits its grouping (collmine._variants_sql): per shard, one
# row per variant with the partial aggregates, as text
BYTES[variants_entry]=payload
PAYLOAD[variants_entry]="SELECT sum(octet_length(r::text)) FROM (SELECT collmine._variant_key(t), collmine._variant_rep(t),
    count(t), sum(collmine.trace_skipped(t)), count(tp), sum(tp), array_agg(tp), min(tp), max(tp)
    FROM (SELECT t, collmine.trace_throughput(t) AS tp FROM (${T//:log/%s}) s) s GROUP BY 1) r"

# CPU ticks (user+system, own and reaped children) of every process of cluster $1.
cluster_ticks() {
    local pm; pm=$(head -1 "$CM_RUN/data$1/postmaster.pid")
    { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
      for c in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do
          awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || true
      done; } | awk '{s += $1} END {print s + 0}'
}
HZ=$(getconf CLK_TCK)

# Run $1 once; print its wall seconds and the CPU seconds of nodes 1..$2+1.
measure() {
    local sql=$1 w=$2 n before=() after=() t0 t1
    for n in $(seq 1 $((w + 1))); do before[$n]=$(cluster_ticks "$n"); done
    t0=$(date +%s.%N)
    coord -c "$sql" >/dev/null
    t1=$(date +%s.%N)
    sleep 0.5     # let the postmasters reap the backends that ended, so their time is counted
    for n in $(seq 1 $((w + 1))); do after[$n]=$(cluster_ticks "$n"); done
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}'
    for n in $(seq 1 $((w + 1))); do awk -v a="${before[$n]}" -v b="${after[$n]}" -v hz="$HZ" 'BEGIN {printf " %.2f", (b - a) / hz}'; done
    echo
}

# Bytes received by the coordinator while running $1, as Citus reports them (see BYTES above).
bytes_analyze() {
    coord -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
          -c "SET auto_explain.log_analyze = on" -c "SET auto_explain.log_timing = off" \
          -c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_format = json" \
          -c "SET auto_explain.log_level = notice" -c "SET client_min_messages = notice" -c "$1" 2>&1 >/dev/null |
        grep -o '"Tuple data received from nodes": "[0-9.]* [a-zA-Z]*"' | tr -d '"' |
        awk '{u = $NF; v = $(NF-1); m = (u == "kB") ? 1024 : (u == "MB") ? 1048576 : (u == "GB") ? 1073741824 : 1; s += v * m}
             END {printf "%d", s}'
}
# The summed text length of one partial state per shard of table $2 ($1 has %s for the shard).
bytes_payload() {
    coord -c "SELECT sum(result::bigint) FROM run_command_on_shards('$2', \$cm\$$1\$cm\$)"
}

human() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || echo "$1"; }

mkdir -p "$(dirname "$OUT")"
{
    echo "### $nevents events, $ncases invoices, $SHARDS shards; $(nproc) cores, fastest of $RUNS run(s), $(date -u +%Y-%m-%d)"
    echo
    echo "The log: $(coord -c "SELECT pg_size_pretty(pg_table_size('bench.events_local'))") on disk as a plain table."
    echo
    echo "| item | layout | wall s | bytes to the coordinator | CPU s coordinator | CPU s per worker |"
    echo "|---|---|---:|---:|---:|---|"
} > "$OUT"
for it in "${ITEMS[@]}"; do
    for w in 0 $LAYOUTS; do
        if [ "$w" = 0 ]; then log=bench.events_local; layout="single node"; else log=bench.events_w$w; layout="$w worker(s), shards ${PLACEMENT[$w]}"; fi
        q=${SQL[$it]//:log/$log}
        cm_log "$it on $layout"
        res=$(coord -c "$q")          # warms the caches; the result must equal the single node's
        if [ "$w" = 0 ]; then ref=$res; elif [ "$res" != "$ref" ]; then layout="$layout, RESULT DIFFERS"; fi
        best=
        for r in $(seq 1 "$RUNS"); do     # keep the fastest run (the machine is shared)
            m=$(measure "$q" "$w")
            if [ -z "$best" ] || awk -v a="${m%% *}" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then best=$m; fi
        done
        read -r secs cpu_c cpu_w <<<"$best"
        if [ "$w" = 0 ]; then cpu_w=-; moved=-
        elif [ "${BYTES[$it]}" = payload ]; then moved="$(human "$(bytes_payload "${PAYLOAD[$it]}" "$log")") (partial states)"
        else moved="$(human "$(bytes_analyze "$q")")"; fi
        printf '| `%s` | %s | %s | %s | %s | %s |\n' "$it" "$layout" "$secs" "$moved" "$cpu_c" "$(tr ' ' '/' <<<"$cpu_w")" >> "$OUT"
    done
done
{
    echo
    echo "Items:"
    for it in "${ITEMS[@]}"; do echo "- \`$it\`: ${DESC[$it]}"; done
    echo
    echo "#### Plan shapes (2 workers, EXPLAIN VERBOSE, one task shown)"
    for it in process_map variants_by_id policy_tally; do
        echo
        echo "\`$it\`:"
        echo '```'
        coord -c "EXPLAIN (VERBOSE, COSTS OFF) ${SQL[$it]//:log/bench.events_w2}" |
            grep -Ev '^ *(Output|Sort Key|Group Key):' | cut -c1-160
        echo '```'
    done
} >> "$OUT"
cat "$OUT"
