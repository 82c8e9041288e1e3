#!/usr/bin/env bash
# test/bench.sh: `make bench`, the benchmark harness behind docs/performance.md.
#
# Starts a throwaway cluster (test/pg.sh) tuned for this machine, generates synthetic
# invoice-to-cash logs of about 1M and 10M events (test/bench/gen_events.sql: deterministic,
# hash-based, the 15 template activities), and measures on the same data, in one run:
#   baselines  a plain sequential scan; GROUP BY case_id with count(*)
#   collmine   traces, process map, variants, a duration KPI, a 10-rule conformance check
#   plain SQL  what an analyst writes without collmine (LAG/LEAD window functions, GROUP BY)
# Each measurement is a separately named item below. The items run in rounds, each round running
# every item once (round_robin). The report gives each item's median wall time over BENCH_RUNS
# rounds, events per second, the backend's peak anonymous memory, and each figure as a ratio to
# the baselines; the targets' ratios are medians of same-round ratios. Some items also run with
# 2 parallel workers, and their results are compared with the serial ones. An item whose
# collmine function does not exist is reported as "not available". The Markdown goes between the bench markers of docs/performance.md.
#
# Environment:
#   BENCH_SIZES    target event counts, default "1000000 10000000"; opt-in 100000000 (100M: about
#                  10 GB of table, see docs/performance.md, "100M events")
#   BENCH_RUNS     rounds, runs per measurement (the median is reported), default 3
#   BENCH_RUNS_LARGE  runs of the items that no target depends on, on logs over 2M events,
#                  default 1 (keeps the 10M run within about 15 minutes on 2 cores)
#   BENCH_TIMEOUT  statement timeout per run in seconds, default 900
#   BENCH_OUT      Markdown file to update, default docs/performance.md
#   BENCH_ONLY     space-separated item names to run (baselines always run), default all
#   BENCH_PARTS    hash partitions of the partitioned copy of each log, default 4; 0 makes no
#                  partitioned copy and no copy in time or case-id order, and runs nothing in parallel (the 100M-event run: the copies
#                  would double the disk space and the run time)
#   BENCH_GEN      sql (default): test/bench/gen_events.sql; netsuite: the ERP generator
#                  (test/gen/erpgen.pl) and collmine.netsuite_build, see test/bench/gen_erp.sh
#   BENCH_REAL     a real log to measure as well, default the BPIC 2012 log at
#                  ../shared/data/real-logs/bpic2012.csv.gz (event_seq,case_id,activity,timestamp;
#                  262,200 events, not in the repository); the report says when it is absent.
#                  Set it empty to skip.
#   BENCH_REAL_REPS  times each run repeats a query on the real log (times and CPU are per query),
#                  default 10
set -euo pipefail
. "$(dirname "$0")/pg.sh"

SIZES=${BENCH_SIZES:-"1000000 10000000"}
RUNS=${BENCH_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-900}
OUT=${BENCH_OUT:-$CM_TOP/docs/performance.md}
ONLY=${BENCH_ONLY:-}
PARTS=${BENCH_PARTS:-4}
RUNS_LARGE=${BENCH_RUNS_LARGE:-1}
GEN=${BENCH_GEN:-sql}
REAL_REPS=${BENCH_REAL_REPS:-10}
REAL=${BENCH_REAL-$(cd "$(dirname "$0")/.." && pwd)/../shared/data/real-logs/bpic2012.csv.gz}
KEY_ITEMS=" baseline_scan baseline_groupby collmine_process_map collmine_process_map_entry plain_process_map collmine_variants_entry plain_variants "   # the targets use these
EVENTS_PER_CASE_X100=706      # the generator's mean events per invoice, times 100

# --- the measured items --------------------------------------------------------------------
# item NAME GROUP PARALLEL "REQUIRED collmine FUNCTIONS" "DESCRIPTION" <<'SQL' ... SQL
# Every item runs serially on the log as an ordinary table. Items marked PARALLEL=yes also run
# with 2 workers on it, on a copy hash-partitioned by case_id (enable_partitionwise_aggregate
# = on), serially and with 2 workers: there each worker aggregates whole partitions (Parallel
# Append), no state is combined; and on copies in time order (layout "time") and in case-id
# order (layout "case"), serially and with 2 workers.
# :log is the event log table. Each query returns a small result (it is hashed to compare runs),
# never one row per case, so that client transfer is not measured.
ITEMS=(); declare -A I_GROUP I_PAR I_REQ I_DESC I_SQL
item() {
    ITEMS+=("$1"); I_GROUP[$1]=$2; I_PAR[$1]=$3; I_REQ[$1]=$4; I_DESC[$1]=$5; I_SQL[$1]=$(cat)
}
TRACES="SELECT case_id, collmine.trace_agg(activity, ts, ord) AS t FROM :log GROUP BY case_id"

item baseline_scan baseline no "" "plain sequential scan, count(*)" <<'SQL'
SELECT count(*) FROM :log
SQL
item baseline_groupby baseline yes "" "GROUP BY case_id, count(*)" <<'SQL'
SELECT count(*) AS cases, sum(n) AS events FROM (SELECT case_id, count(*) AS n FROM :log GROUP BY case_id) s
SQL
item collmine_traces collmine no "trace_agg" "one trace per case (trace_agg)" <<SQL
SELECT count(t) AS cases, sum(pg_catalog.pg_column_size(t)) AS bytes FROM ($TRACES) s
SQL
item collmine_process_map collmine yes "trace_agg dfg_agg dfg_edges" "process map: dfg_agg over the traces, edges listed" <<SQL
SELECT * FROM collmine.dfg_edges((SELECT collmine.dfg_agg(t) FROM ($TRACES) s))
SQL
item collmine_process_map_entry collmine yes "process_map dfg_edges" "collmine.process_map(): the entry point, which streams a log stored case after case and hashes the cases otherwise" <<'SQL'
SELECT * FROM collmine.dfg_edges(collmine.process_map(:'log', 'case_id', 'activity', 'ts', 'ord'))
SQL
item collmine_variants collmine yes "trace_agg trace_variant_id" "variants with case counts (trace_variant_id)" <<SQL
SELECT collmine.trace_variant_id(t) AS variant, count(*) AS cases FROM ($TRACES) s GROUP BY 1
SQL
item collmine_variants_entry collmine yes "variants" "collmine.variants(): variants with counts, shares, throughput statistics (the entry point)" <<'SQL'
SELECT count(*) AS variants, sum(cases) AS cases, md5(string_agg(variant, '|' ORDER BY rank)) AS ranked FROM collmine.variants(:'log', 'case_id', 'activity', 'ts', 'ord')
SQL
item collmine_kpi_throughput collmine no "trace_agg trace_throughput" "duration KPI: mean throughput time (trace_throughput)" <<SQL
SELECT avg(collmine.trace_throughput(t)) FROM ($TRACES) s
SQL
item collmine_conformance collmine no "trace_agg rule_outcomes default_dunning_policy" "10-rule conformance check (default dunning policy): violations per rule" <<SQL
SELECT o.rule_name, sum(o.violations) AS violations, count(*) FILTER (WHERE NOT o.satisfied) AS violating_cases
FROM ($TRACES) s,
     LATERAL collmine.rule_outcomes(s.t, (SELECT array_agg(r) FROM collmine.default_dunning_policy() AS r)) AS o
GROUP BY 1
SQL
item collmine_policy_tally collmine no "trace_agg policy_tally policy_adherence default_dunning_policy" "10-rule policy adherence in one pass over the traces (policy_tally aggregate)" <<SQL
SELECT a.rule_name, a.activations, a.violations, a.adherence
FROM (SELECT collmine.policy_tally(t, (SELECT array_agg(r) FROM collmine.default_dunning_policy() AS r)) AS tally
      FROM ($TRACES) s) x,
     collmine.policy_adherence((SELECT array_agg(r) FROM collmine.default_dunning_policy() AS r), x.tally) a
SQL
item plain_traces plain no "" "array_agg(activity/ts ORDER BY ts, ord) per case" <<'SQL'
SELECT count(*) AS cases, sum(cardinality(a) + cardinality(t)) AS elements
FROM (SELECT case_id, array_agg(activity ORDER BY ts, ord) AS a, array_agg(ts ORDER BY ts, ord) AS t
      FROM :log GROUP BY case_id) s
SQL
item plain_process_map plain no "" "process map as dfg_edges gives it: LAG/LEAD window, per edge frequency, cases, min/mean/median/p90/p95/max gap, start/end" <<'SQL'
SELECT src, dst, count(*) AS frequency, count(DISTINCT case_id) AS cases, min(gap), avg(gap),
       percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY gap) AS quantiles, max(gap)
FROM (SELECT case_id, activity, ts,
             lag(activity) OVER w AS prev, lag(ts) OVER w AS prev_ts,
             lead(activity) OVER w IS NULL AS last
      FROM :log WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)) e
CROSS JOIN LATERAL (VALUES (coalesce(prev, '[start]'), activity, ts - prev_ts),
                           (CASE WHEN last THEN activity END, '[end]', NULL::interval)) AS x(src, dst, gap)
WHERE src IS NOT NULL
GROUP BY src, dst
SQL
item plain_edge_counts plain no "" "lighter process map: LAG/LEAD window, edges with counts and mean gap only" <<'SQL'
SELECT src, dst, count(*) AS n, avg(gap) AS mean_gap
FROM (SELECT activity, ts,
             lag(activity) OVER w AS prev, lag(ts) OVER w AS prev_ts,
             lead(activity) OVER w IS NULL AS last
      FROM :log WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)) e
CROSS JOIN LATERAL (VALUES (coalesce(prev, '[start]'), activity, ts - prev_ts),
                           (CASE WHEN last THEN activity END, '[end]', NULL::interval)) AS x(src, dst, gap)
WHERE src IS NOT NULL
GROUP BY src, dst
SQL
item plain_variants plain no "" "variants: string_agg(activity ORDER BY ts, ord) per case, GROUP BY" <<'SQL'
SELECT md5(v) AS variant, count(*) AS cases
FROM (SELECT string_agg(activity, ',' ORDER BY ts, ord) AS v FROM :log GROUP BY case_id) s GROUP BY v
SQL
item plain_kpi_throughput plain no "" "duration KPI: mean of max(ts) - min(ts) per case" <<'SQL'
SELECT avg(d) FROM (SELECT max(ts) - min(ts) AS d FROM :log GROUP BY case_id) s
SQL
item plain_trace_columns plain no "" "the columns trace_agg reads, through built-in aggregates: count(activity), max(ts), max(ord) per case" <<'SQL'
SELECT count(*) AS cases, sum(n) AS events FROM (SELECT case_id, count(activity) AS n, max(ts), max(ord) FROM :log GROUP BY case_id) s
SQL

# --- the cluster ---------------------------------------------------------------------------
cm_ensure_headers
cm_rundir
trap cm_cleanup EXIT
cm_stage
# 2 cores / 24 GB: the logs stay in shared_buffers, so times are CPU, not disk: the 10M log's
# four layouts take 3.1 GB, and a sequential scan of a table over a quarter of shared_buffers
# reads it through a small ring and never caches it (with 2GB the 10M copies were read from the
# OS page cache, through the ring by a sequential scan and through the pool by a TID range scan,
# a difference the ratios then measured). Each copy is read once before its runs (below). JIT
# is off (its compile time is noise at these sizes); hash_mem_multiplier stays at its default.
CM_CONF="shared_buffers = 6GB
work_mem = 256MB
maintenance_work_mem = 1GB
effective_cache_size = 16GB
max_parallel_workers_per_gather = 2
max_parallel_workers = 8
jit = off
synchronous_commit = off
max_wal_size = 8GB
checkpoint_timeout = 30min" cm_start 1

W=$CM_RUN/bench; mkdir -p "$W"; chmod 777 "$W"
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -p "$PGPORT" -U postgres -d postgres)
"${PSQL[@]}" -c "CREATE EXTENSION collmine" -c "CREATE SCHEMA bench"

has_fn() {
    [ "$("${PSQL[@]}" -At -c "SELECT count(*) > 0 FROM pg_catalog.pg_proc WHERE pronamespace = 'collmine'::regnamespace AND proname = '$1'")" = t ]
}

# Poll a backend's RssAnon (KB) until it exits; the peak goes to $2.
sample_mem() {
    local pidfile=$1 out=$2 pid="" peak=0 k v i
    for i in $(seq 1 500); do [ -s "$pidfile" ] && break; sleep 0.01; done
    pid=$(cat "$pidfile" 2>/dev/null || true)
    while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
        while read -r k v _; do
            [ "$k" = RssAnon: ] && [ "$v" -gt "$peak" ] && peak=$v
        done < "/proc/$pid/status" 2>/dev/null || true
        sleep 0.02
    done
    echo "$peak" > "$out"
}

# One run of item $1 on table $2 with $3 workers: prints "ms peak_kb md5 cpu_ms", or "ERR message".
# cpu_ms is the backend's own user + system CPU time (from /proc/self/stat), without workers'.
run_once() {
    local name=$1 log=$2 workers=$3 ms peak md5 cpu kids0 kids1 tmpb pre
    rm -f "$W/pid" "$W/peak" "$W/out" "$W/err" "$W/cpu0" "$W/cpu1" "$W/tmp0" "$W/tmp1"
    kids0=$(children_cpu_ticks)
    sample_mem "$W/pid" "$W/peak" &
    local sampler=$!
    if ! "${PSQL[@]}" -At -v log="$log" > "$W/out" 2> "$W/err" <<SQL
SET max_parallel_workers_per_gather = $workers;
SET enable_partitionwise_aggregate = on;
SET statement_timeout = '${TIMEOUT}s';
SELECT pg_backend_pid() \g $W/pid
SELECT pg_catalog.pg_stat_force_next_flush();
SELECT temp_bytes FROM pg_catalog.pg_stat_database WHERE datname = current_database() \g $W/tmp0
SELECT pg_catalog.pg_read_file('/proc/self/stat') \g $W/cpu0
\timing on
$(for ((k = 0; k < REPS; k++)); do printf '%s;\n' "${I_SQL[$name]}"; done)
\timing off
SELECT pg_catalog.pg_read_file('/proc/self/stat') \g $W/cpu1
SELECT pg_catalog.pg_stat_force_next_flush();
SELECT temp_bytes FROM pg_catalog.pg_stat_database WHERE datname = current_database() \g $W/tmp1
SQL
    then
        wait "$sampler" || true
        echo "ERR $(head -1 "$W/err")"; return
    fi
    wait "$sampler" || true
    ms=$(awk -v reps="$REPS" '/^Time: /{t += $2} END {printf "%.3f", t / reps}' "$W/out")
    md5=$(grep -v '^Time: ' "$W/out" | sort | md5sum | cut -c1-12)
    peak=$(cat "$W/peak" 2>/dev/null || echo 0)
    cpu=$(awk -v hz="$(getconf CLK_TCK)" 'FNR == 1 {t[++f] = $14 + $15} END {printf "%d", (t[2] - t[1]) * 1000 / hz}' "$W/cpu0" "$W/cpu1")
    sleep 0.2   # let the postmaster reap the parallel workers
    kids1=$(children_cpu_ticks)
    # temp-file bytes the query wrote (pg_stat_database, flushed before each read; per query)
    tmpb=$(( ( $(cat "$W/tmp1") - $(cat "$W/tmp0") ) / REPS ))
    # total CPU: the postmaster's reaped children since kids0 are the workers and the backend
    # itself (it has exited: sample_mem waited for it), less the backend's CPU before the query
    pre=$(awk 'NR == 1 {print $14 + $15}' "$W/cpu0")
    echo "$ms $peak $md5 $((cpu / REPS)) $(( (kids1 - kids0 - pre) * 1000 / $(getconf CLK_TCK) / REPS )) $tmpb"
}

# CPU ticks (user + system) of the postmaster's exited children: parallel workers end up here.
children_cpu_ticks() {
    awk '{print $16 + $17}' "/proc/$(head -1 "$CM_RUN/data1/postmaster.pid")/stat"
}

# The median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# The plan nodes of item $1 on table $2 with $3 workers, top down, each named once.
plan_summary() {
    "${PSQL[@]}" -At -v log="$2" <<SQL 2>/dev/null |
SET max_parallel_workers_per_gather = $3;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) ${I_SQL[$1]};
SQL
        grep -E '^( *->  |[A-Z])' | sed -E 's/^ *(->  )?//; s/  \(.*//; s/ on .*//; s/ using .*//' |
        grep -vE '^(Output|Group Key|Sort Key|Workers|Planned|Filter|InitPlan|SubPlan)' |
        awk '!seen[$0]++' | paste -sd ',' - | sed 's/,/ › /g'
}

RESULTS=$W/results.tsv; : > "$RESULTS"
# The measurements of one log, each a key "item|layout|workers" with its table and the lists of
# its runs so far. The runs go in rounds (round_robin): each round runs every key of a layout
# once, so an item and the baselines it is compared with run side by side, and the report's
# ratios are taken within a round (report.sql) before the median: a change of the machine's
# speed between rounds moves both sides of a ratio alike.
declare -A K_LOG K_EVENTS K_CASES K_LABEL K_RUNS K_MS K_CPU K_TCPU K_PEAK K_TMP K_MD5 K_STATUS
KEYS=()

# Add item $1 on table $2 ($3 events, $4 cases, label $5, layout $7) with $6 workers to KEYS,
# with the number of runs it gets (none when a collmine function it needs is missing).
add_key() {
    local name=$1 key="$1|$7|$6" f missing=""
    KEYS+=("$key"); K_LOG[$key]=$2; K_EVENTS[$key]=$3; K_CASES[$key]=$4; K_LABEL[$key]=$5
    K_MS[$key]=""; K_CPU[$key]=""; K_TCPU[$key]=""; K_PEAK[$key]=0; K_TMP[$key]=0; K_MD5[$key]=""; K_STATUS[$key]=ok
    K_RUNS[$key]=$RUNS
    if [ "$3" -gt 2000000 ] && [[ "$KEY_ITEMS" != *" $name "* ]]; then K_RUNS[$key]=$RUNS_LARGE; fi
    for f in ${I_REQ[$name]}; do has_fn "$f" || missing="$missing collmine.$f"; done
    if [ -n "$missing" ]; then K_STATUS[$key]="not available (needs${missing})"; K_RUNS[$key]=0; fi
    return 0
}

# One run of key $1, added to its lists; an error ends its runs.
run_key() {
    local key=$1 res
    local name=${key%%|*} workers=${key##*|}
    res=$(run_once "$name" "${K_LOG[$key]}" "$workers")
    case $res in ERR*) K_STATUS[$key]="error: ${res#ERR }"; K_RUNS[$key]=0; return ;; esac
    set -- $res
    K_MS[$key]+=" $1"; K_CPU[$key]+=" $4"; K_TCPU[$key]+=" $5"
    [ "$2" -gt "${K_PEAK[$key]}" ] && K_PEAK[$key]=$2
    [ "$6" -gt "${K_TMP[$key]}" ] && K_TMP[$key]=$6
    if [ -n "${K_MD5[$key]}" ] && [ "${K_MD5[$key]}" != "$3" ]; then K_STATUS[$key]="error: results differ between runs"; fi
    K_MD5[$key]=$3
}

# Rounds over the keys $@ (one layout's): round r runs each key that is due r runs or more.
round_robin() {
    local key r max=0
    for key in "$@"; do [ "${K_RUNS[$key]}" -gt "$max" ] && max=${K_RUNS[$key]}; done
    for ((r = 1; r <= max; r++)); do
        for key in "$@"; do
            if [ "${K_RUNS[$key]}" -ge "$r" ]; then run_key "$key"; fi
        done
    done
}

# The row of key $1 in results.tsv: medians of its runs (not the best run: the machine is
# shared, and a median is what repeats), each run's wall and CPU times in round order, its plan.
report_key() {
    local key=$1 best="" cpu="" tcpu="" plan=""
    local name=${key%%|*} rest=${key#*|}
    local layout=${rest%%|*} workers=${key##*|}
    if [ -n "${K_MS[$key]}" ]; then best=$(median ${K_MS[$key]}); cpu=$(median ${K_CPU[$key]}); tcpu=$(median ${K_TCPU[$key]}); fi
    [[ "${K_STATUS[$key]}" == "not available"* ]] || plan=$(plan_summary "$name" "${K_LOG[$key]}" "$workers")
    cm_log "$(printf '%-5s %-6s %-26s workers=%s best=%s ms peak=%s KB temp=%s B %s' "${K_LABEL[$key]}" "$layout" "$name" "$workers" "${best:-—}" "${K_PEAK[$key]}" "${K_TMP[$key]}" "${K_STATUS[$key]}")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${K_LABEL[$key]}" "${K_EVENTS[$key]}" "${K_CASES[$key]}" "$name" "${I_GROUP[$name]}" \
        "$layout" "$workers" "${best:-}" "${K_MS[$key]# }" "${K_PEAK[$key]}" "${K_MD5[$key]}" "${K_STATUS[$key]}" "$cpu" "$plan" "$tcpu" "${K_TMP[$key]}" \
        "${K_CPU[$key]# }" "${K_TCPU[$key]# }" >> "$RESULTS"
}

# The keys of layout $1 of the current log ($log, $events, $cases, $label): every selected item
# serially on the log as it lies, and with 2 workers for the items marked PARALLEL; on the
# partitioned, time-ordered and case-ordered copies, the PARALLEL items serially and with 2
# workers.
layout_keys() {
    local layout=$1 name tbl=$log
    case $layout in hash*) tbl=${log}_p ;; time) tbl=${log}_t ;; case) tbl=${log}_c ;; esac
    for name in "${ITEMS[@]}"; do
        selected "$name" || continue
        if [ "$layout" = heap ]; then
            add_key "$name" "$tbl" "$events" "$cases" "$label" 0 "$layout"
            if [ "${I_PAR[$name]}" = yes ] && [ "$PARTS" -gt 0 ]; then add_key "$name" "$tbl" "$events" "$cases" "$label" 2 "$layout"; fi
        elif [ "${I_PAR[$name]}" = yes ]; then
            add_key "$name" "$tbl" "$events" "$cases" "$label" 0 "$layout"
            add_key "$name" "$tbl" "$events" "$cases" "$label" 2 "$layout"
        fi
    done
}

selected() { [ -z "$ONLY" ] || [ "${I_GROUP[$1]}" = baseline ] || [[ " $ONLY " == *" $1 "* ]]; }

started=$(date +%s)
commit=$(git -C "$CM_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)   # the code measured
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
REAL_NOTE=""
LOGS=$SIZES
if [ -z "$REAL" ]; then
    REAL_NOTE="The real log was not measured (BENCH_REAL is empty)."
elif [ -r "$REAL" ]; then
    LOGS="$LOGS real"
    REAL_NOTE="The real log is BPIC 2012 (read from $(basename "$REAL"), outside the repository); each of its runs repeats the query $REAL_REPS times, and its figures are per query."
else
    REAL_NOTE="The real log was not measured: $REAL is not there (it is not part of the repository)."
    cm_log "$REAL_NOTE"
fi
for size in $LOGS; do
    REPS=1
    if [ "$size" = real ]; then
        # a small log: each run repeats the query, so that CPU time (counted in 10 ms ticks) is precise
        REPS=$REAL_REPS
        label=bpic2012; log=bench.bpic2012
        cm_log "loading $log from $REAL"
        # loaded as a user loads a CSV export: COPY into the typed table. The same layout on
        # every run: CREATE TABLE AS from a text copy may run with parallel workers, which
        # interleave the file's pages at random. The file lists each case's events together, but
        # COPY does not keep its order exactly (a row can go back to an earlier page with room
        # for it), so process_map() and variants() hash its cases (docs/process-map.md).
        "${PSQL[@]}" -c "CREATE TABLE $log (case_id text, activity text, ts timestamptz, ord bigint)"
        gzip -dc "$REAL" | "${PSQL[@]}" -c "\\copy $log (ord, case_id, activity, ts) FROM pstdin WITH (FORMAT csv, HEADER true)"
        "${PSQL[@]}" -c "VACUUM (FREEZE, ANALYZE) $log"
    else
        label=$(awk -v n="$size" 'BEGIN{ if (n >= 1000000) printf "%gM", n/1000000; else printf "%gk", n/1000 }')
        log="bench.events_$(echo "$label" | tr 'A-Z.' 'a-z_')"
        ncases=$((size * 100 / EVENTS_PER_CASE_X100))
        cm_log "generating $log: $ncases invoices ($GEN generator)"
        case $GEN in
            sql) "${PSQL[@]}" -v log="$log" -v ncases="$ncases" -f "$CM_TOP/test/bench/gen_events.sql" 2>&1 | grep -v NOTICE || true ;;
            netsuite) . "$CM_TOP/test/bench/gen_erp.sh"; gen_erp_log "$log" "$ncases" ;;
            *) cm_die "BENCH_GEN must be sql or netsuite, not $GEN" ;;
        esac
    fi
    read -r events cases < <("${PSQL[@]}" -At -F ' ' -c "SELECT count(*), count(DISTINCT case_id) FROM $log")
    cm_log "$log: $events events, $cases cases; $(du -sh "$CM_RUN" | cut -f1) in the run directory, $(df -h --output=avail "$CM_RUN" | tail -1 | tr -d ' ') free"
    [ "$PARTS" -gt 0 ] && cm_log "copying $log into ${log}_p ($PARTS hash partitions)" && {
        echo "CREATE TABLE ${log}_p (LIKE $log) PARTITION BY HASH (case_id);"
        for ((k = 0; k < PARTS; k++)); do
            echo "CREATE TABLE ${log}_p$k PARTITION OF ${log}_p FOR VALUES WITH (MODULUS $PARTS, REMAINDER $k);"
        done
        echo "INSERT INTO ${log}_p SELECT * FROM $log;"
        echo "VACUUM (FREEZE, ANALYZE) ${log}_p;"
        # the same events as an ordinary table in time order, as many exports list them: no
        # case's events are adjacent, so the entry points cannot stream it (layout "time")
        echo "CREATE TABLE ${log}_t AS SELECT * FROM $log ORDER BY ts, case_id, ord;"
        echo "VACUUM (FREEZE, ANALYZE) ${log}_t;"
        # and in case-id order, as the connectors write their events tables (layout "case"): the
        # streams keep the cases they handed on as a list, not a set (src/case_stream.c), which
        # the generated logs, case after case but not in case-id order, never show
        echo "CREATE TABLE ${log}_c AS SELECT * FROM $log ORDER BY case_id, ts, ord;"
        echo "VACUUM (FREEZE, ANALYZE) ${log}_c;"
        # into shared_buffers before the runs (CREATE TABLE AS and VACUUM write and read through
        # rings, which leave a table out of the pool)
        for t in "$log" "${log}_p" "${log}_t" "${log}_c"; do echo "SELECT count(*) FROM $t \\g /dev/null"; done
    } | "${PSQL[@]}"
    # the keys of each layout, measured in rounds: the log as it lies (serial, and with 2
    # workers for the items marked PARALLEL), then its partitioned, time-ordered and
    # case-ordered copies
    layouts=heap; [ "$PARTS" -gt 0 ] && layouts="heap hash$PARTS time case"
    for layout in $layouts; do
        KEYS=(); layout_keys "$layout"
        round_robin "${KEYS[@]}"
        for key in "${KEYS[@]}"; do report_key "$key"; done
    done
    "${PSQL[@]}" -c "DROP TABLE $log" -c "DROP TABLE IF EXISTS ${log}_p" -c "DROP TABLE IF EXISTS ${log}_t" -c "DROP TABLE IF EXISTS ${log}_c"
done
elapsed=$(( $(date +%s) - started ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the report ----------------------------------------------------------------------------
i=0
for name in "${ITEMS[@]}"; do
    i=$((i + 1))
    printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$name" "${I_GROUP[$name]}" "${I_DESC[$name]}" \
        "$(printf '%s' "${I_SQL[$name]}" | sed ':a;N;$!ba;s/\n/\\n/g;s/\t/ /g')"
done > "$W/items.tsv"
"${PSQL[@]}" <<SQL
CREATE TABLE bench.results (label text, events bigint, cases bigint, item text, grp text, layout text, workers int,
    best_ms float8, all_ms text, peak_kb bigint, md5 text, status text, cpu_ms float8, plan text, total_cpu_ms float8,
    temp_bytes bigint, all_cpu_ms text, all_total_cpu_ms text);
CREATE TABLE bench.items (idx int, item text, grp text, description text, sql text);
\copy bench.results FROM '$RESULTS' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
\copy bench.items FROM '$W/items.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
SQL
cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo)
pgv=$("${PSQL[@]}" -At -c "SELECT current_setting('server_version')")
"${PSQL[@]}" -At \
    -v runs="$RUNS" -v nproc="$(nproc)" -v cpu="$cpu" -v mem="$mem" -v pgv="$pgv" \
    -v elapsed="$elapsed" -v when="$(date -u +%Y-%m-%d)" -v runs_large="$RUNS_LARGE" \
    -v load_before="$load_before" -v load_after="$load_after" -v real_note="$REAL_NOTE" \
    -v commit="$commit" \
    -f "$CM_TOP/test/bench/report.sql" > "$W/report.md"

mkdir -p "$(dirname "$OUT")"
if [ -f "$OUT" ] && grep -q '<!-- bench:begin -->' "$OUT" && grep -q '<!-- bench:end -->' "$OUT"; then
    awk -v rep="$W/report.md" '
        /<!-- bench:begin -->/ { print; while ((getline l < rep) > 0) print l; skip = 1; next }
        /<!-- bench:end -->/   { skip = 0 }
        !skip' "$OUT" > "$W/new.md"
    cp "$W/new.md" "$OUT"
else
    { echo "# Performance"; echo; echo '<!-- bench:begin -->'; cat "$W/report.md"; echo '<!-- bench:end -->'; } > "$OUT"
fi
cat "$W/report.md"
case " ${ONLY:-forecast} " in *" forecast "*) BENCH_OUT=$OUT bash "$CM_TOP/test/bench/forecast.sh" ;; esac   # payment forecast, issue 14
cm_log "bench finished in ${elapsed}s; wrote $OUT"
