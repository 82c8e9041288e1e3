# test/bench/lib.sh: helpers shared by the benchmark scripts of test/bench (sourced; needs W, a
# work directory, and PSQL, the psql command line as an array).

# bench_run_once SQL: run one statement, print "wall_ms cpu_ms total_cpu_ms": psql's \timing,
# the backend's own CPU time (user + system from /proc/self/stat), which on a shared machine
# leaves out the time spent waiting for a core, and the total CPU time of the statement: the
# backend's plus that of the parallel workers it started. Exited workers' CPU accumulates in
# the postmaster's cutime + cstime (/proc/<postmaster>/stat fields 16 and 17, the postmaster
# being the backend's parent); its growth over the statement is added (it also counts any
# other child of the postmaster that exited meanwhile, such as an autovacuum worker processing a
# relation the previous statement wrote, so it is an upper bound: test/bench/dashboards.sh
# vacuums each refreshed relation itself, untimed).
bench_run_once() {
    rm -f "$W/c0" "$W/c1" "$W/p0" "$W/p1" "$W/out"
    "${PSQL[@]}" -At > "$W/out" 2> "$W/err" <<SQL || cm_die "bench: $(head -1 "$W/err")"
SELECT pg_catalog.pg_read_file('/proc/self/stat') \g $W/c0
SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.split_part(pg_catalog.pg_read_file('/proc/self/stat'), ' ', 4) || '/stat') \g $W/p0
\timing on
$1;
\timing off
SELECT pg_catalog.pg_read_file('/proc/self/stat') \g $W/c1
SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.split_part(pg_catalog.pg_read_file('/proc/self/stat'), ' ', 4) || '/stat') \g $W/p1
SQL
    local ms cpu total
    ms=$(awk '/^Time: /{print $2}' "$W/out")
    cpu=$(awk -v hz="$(getconf CLK_TCK)" 'FNR == 1 {t[++f] = $14 + $15} END {printf "%d", (t[2] - t[1]) * 1000 / hz}' "$W/c0" "$W/c1")
    total=$(awk -v hz="$(getconf CLK_TCK)" 'FNR == 1 {t[++f] = $14 + $15; c[f] = $16 + $17}
                END {printf "%d", ((t[2] - t[1]) + (c[4] - c[3])) * 1000 / hz}' "$W/c0" "$W/c1" "$W/p0" "$W/p1")
    echo "$ms $cpu $total"
}

# bench_splice NAME REPORT OUT: put the Markdown file REPORT between the <!-- NAME:begin --> and
# <!-- NAME:end --> markers of OUT, or append it with the markers when OUT has none.
bench_splice() {
    local name=$1 report=$2 out=$3
    mkdir -p "$(dirname "$out")"
    if [ -f "$out" ] && grep -q "<!-- $name:begin -->" "$out" && grep -q "<!-- $name:end -->" "$out"; then
        awk -v rep="$report" -v b="<!-- $name:begin -->" -v e="<!-- $name:end -->" '
            $0 == b { print; while ((getline l < rep) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip' "$out" > "$report.new"
        cp "$report.new" "$out"
    else
        { echo; echo "<!-- $name:begin -->"; cat "$report"; echo "<!-- $name:end -->"; } >> "$out"
    fi
}

# bench_cluster: unless CM_BIN, CM_RUN and PGPORT name a running cluster (test/bench.sh's), stage
# collmine and start a throwaway one with the bench's settings (stopped on exit); then make sure
# the extension exists. Needs test/pg.sh sourced.
bench_cluster() {
    if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ] || [ -z "${PGPORT:-}" ]; then
        cm_ensure_headers; cm_rundir; trap cm_cleanup EXIT; cm_stage
        CM_CONF="shared_buffers = 2GB
work_mem = 256MB
jit = off
synchronous_commit = off
max_wal_size = 8GB" cm_start 1
    fi
    "$CM_BIN/psql" -X -q -h "$CM_RUN" -p "$PGPORT" -U postgres -d postgres -c "CREATE EXTENSION IF NOT EXISTS collmine"
}
