#!/usr/bin/env bash
# test/t/60_fdw_shards.sh: collmine scaled out over two postgres_fdw shards.
#
# Starts clusters 3 and 4 (ports 5443/5444, same private socket directory) as shards, installs
# collmine in each, and on the coordinator (cluster 1) creates an event log hash-partitioned by
# case_id whose two partitions are postgres_fdw foreign tables on the shards. It loads a real log
# (test/data/real-logs/receipt.csv, WABO receipt phase: 1,434 cases, 8,577 events) both into
# that sharded table and into an ordinary local table, turns on enable_partitionwise_aggregate and
# checks:
#   (a) EXPLAIN VERBOSE shows the per-case aggregate in the "Remote SQL" of each foreign scan,
#       i.e. it runs on the shards (checked as a boolean, not by comparing plan text);
#   (b) traces, variants, a throughput KPI and the process map from the shards equal the
#       single-node results.
# Checks whose collmine function does not exist (yet) print "ok # skip". Runs inside `make test`
# (with the environment of test/pg.sh) or on its own: `bash test/t/60_fdw_shards.sh`.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"

standalone=
if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ]; then
    # Run on our own: build, stage and start the coordinator as `make test` would.
    standalone=1
    cm_ensure_headers
    cm_rundir
    trap cm_cleanup EXIT
    cm_stage
    cm_start 1
fi

DB=cm_fdw
SHARDS="3 4"
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CM_RUN" -U postgres)
failures=0
started_shards=

# Stop the shard clusters this script started (never cluster 1), and drop our database.
stop_shards() {
    local n
    "${PSQL[@]}" -p 5441 -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    for n in $started_shards; do
        cm_as_server_user "'$CM_BIN/pg_ctl' -D '$CM_RUN/data$n' -m fast -w stop >/dev/null 2>&1" || true
        rm -rf "$CM_RUN/data$n"
    done
    started_shards=
    [ -z "$standalone" ] || cm_cleanup
}
trap stop_shards EXIT

ok()    { echo "ok - $*"; }
notok() { echo "not ok - $*"; failures=$((failures + 1)); }
skip()  { echo "ok - $* # skip: needs a collmine function that does not exist yet"; }

# Run SQL on the coordinator database; output unaligned, tuples only.
coord() { "${PSQL[@]}" -p 5441 -d "$DB" -At "$@"; }

# Print ok/not ok for a query that returns one boolean.
check() {
    local label=$1 sql=$2 got
    got=$(coord -c "SET enable_partitionwise_aggregate = on" -c "$sql" 2>&1) || { notok "$label: $got"; return; }
    if [ "$got" = t ]; then ok "$label"; else notok "$label (got: $got)"; fi
}

# True when collmine (in the coordinator database) has a function of that name.
has_fn() {
    [ "$(coord -c "SELECT count(*) > 0 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'collmine' AND p.proname = '$1'")" = t ]
}

# Number of "Remote SQL" lines in the verbose plan of $2 that match the regular expression $1
# (enable_partitionwise_aggregate as in $3, default on).
remote_sql_matches() {
    coord -c "SET enable_partitionwise_aggregate = ${3:-on}" -c "EXPLAIN (VERBOSE, COSTS OFF) $2" |
        grep -Ec "Remote SQL: .*$1" || true
}

# --- shards --------------------------------------------------------------------------------
[ -d "$CM_RUN/data3" ] && cm_die "cluster 3 already exists in $CM_RUN"
for n in $SHARDS; do
    cm_start "$n"
    started_shards="$started_shards $n"
    "${PSQL[@]}" -p $((5440 + n)) -d postgres <<'SQL'
CREATE EXTENSION collmine;
CREATE TABLE public.events (case_id text NOT NULL, activity text, ts timestamptz, ord bigint);
SQL
done
ok "shards 3 and 4 started with collmine installed"

# --- coordinator ---------------------------------------------------------------------------
PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -p 5441 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
avail=$(coord -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgres_fdw'")
[ "$avail" = 1 ] || { notok "postgres_fdw is available in the staged server"; exit 1; }

cd "$CM_TOP"
coord <<SQL
CREATE EXTENSION collmine;
CREATE EXTENSION postgres_fdw;
CREATE SCHEMA fdw;
-- 'extensions' lets postgres_fdw ship collmine's (immutable) functions and aggregates.
CREATE SERVER shard3 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$CM_RUN', port '5443', dbname 'postgres', extensions 'collmine');
CREATE SERVER shard4 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$CM_RUN', port '5444', dbname 'postgres', extensions 'collmine');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard3 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard4 OPTIONS (user 'postgres');

-- The sharded log: hash-partitioned by case id, each partition a table on a shard.
CREATE TABLE fdw.events (case_id text NOT NULL, activity text, ts timestamptz, ord bigint)
    PARTITION BY HASH (case_id);
CREATE FOREIGN TABLE fdw.events_p0 PARTITION OF fdw.events FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER shard3 OPTIONS (schema_name 'public', table_name 'events');
CREATE FOREIGN TABLE fdw.events_p1 PARTITION OF fdw.events FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER shard4 OPTIONS (schema_name 'public', table_name 'events');

-- The same log on one node.
CREATE TABLE fdw.events_local (case_id text NOT NULL, activity text, ts timestamptz, ord bigint);

CREATE TEMP TABLE receipt_csv (
    event_seq bigint, case_id text, activity text, ts timestamptz, resource text, lifecycle text,
    instance text, org_group text, channel text, deadline text, department text, enddate text,
    enddate_planned text, grp text, responsible text, startdate text);
\copy receipt_csv FROM 'test/data/real-logs/receipt.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO fdw.events SELECT case_id, activity, ts, event_seq FROM receipt_csv;
INSERT INTO fdw.events_local SELECT case_id, activity, ts, event_seq FROM receipt_csv;
ANALYZE fdw.events_local;
SQL
for n in $SHARDS; do "${PSQL[@]}" -p $((5440 + n)) -d postgres -c "ANALYZE public.events"; done

check "receipt log loaded: 8577 events in 1434 cases on the shards" \
    "SELECT count(*) = 8577 AND count(DISTINCT case_id) = 1434 FROM fdw.events"
check "both shards hold part of the log" \
    "SELECT (SELECT count(*) FROM fdw.events_p0) > 0 AND (SELECT count(*) FROM fdw.events_p1) > 0"

# --- (a) the per-case aggregate runs on the shards -----------------------------------------
q_builtin="SELECT case_id, count(*), min(ts), max(ts) FROM fdw.events GROUP BY case_id"
n=$(remote_sql_matches 'GROUP BY' "$q_builtin")
if [ "$n" = 2 ]; then ok "partitionwise GROUP BY case_id is pushed to both shards"; else notok "partitionwise GROUP BY case_id is pushed to both shards (remote GROUP BY in $n foreign scans)"; fi
check "per-case counts and times from the shards equal the single-node ones" \
    "SELECT NOT EXISTS (($q_builtin) EXCEPT ALL (SELECT case_id, count(*), min(ts), max(ts) FROM fdw.events_local GROUP BY case_id))
        AND NOT EXISTS ((SELECT case_id, count(*), min(ts), max(ts) FROM fdw.events_local GROUP BY case_id) EXCEPT ALL ($q_builtin))"

if ! has_fn trace_agg; then
    for what in "collmine.trace_agg runs on both shards (Remote SQL)" "traces from the shards equal the single-node traces" \
                "variant counts equal single-node" "mean throughput equals single-node" \
                "process map (dfg_agg over shard traces) equals single-node" "process map (dfg_union of the shards' own maps) equals single-node"; do
        skip "$what"
    done
    [ "$failures" = 0 ] || exit 1
    exit 0
fi

# trace_agg with the order key when it has one (ties keep source order).
if [ "$(coord -c "SELECT count(*) FROM pg_catalog.pg_proc WHERE pronamespace = 'collmine'::regnamespace AND proname = 'trace_agg' AND pronargs = 3")" -gt 0 ]; then
    agg="collmine.trace_agg(activity, ts, ord)"
else
    agg="collmine.trace_agg(activity, ts)"
fi
traces() { echo "SELECT case_id, $agg AS t FROM $1 GROUP BY case_id"; }
T_FDW=$(traces fdw.events)
T_LOC=$(traces fdw.events_local)

# Show the plan (as diagnostics) for readers of the test log.
coord -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (VERBOSE, COSTS OFF) $T_FDW" | sed 's/^/# /'
n=$(remote_sql_matches 'collmine\.trace_agg\(' "$T_FDW")
if [ "$n" = 2 ]; then ok "collmine.trace_agg runs on both shards (Remote SQL)"; else notok "collmine.trace_agg runs on both shards (found in the Remote SQL of $n foreign scans)"; fi
# The check can fail: without partitionwise aggregation the coordinator aggregates raw rows.
n=$(remote_sql_matches 'collmine\.trace_agg\(' "$T_FDW" off)
if [ "$n" = 0 ]; then ok "without enable_partitionwise_aggregate the shards only scan"; else notok "without enable_partitionwise_aggregate the shards only scan (trace_agg in $n remote queries)"; fi

# Traces travel through their text form: equal text proves the round trip is lossless.
check "traces from the shards equal the single-node traces" \
    "SELECT NOT EXISTS ((SELECT case_id, t::text FROM ($T_FDW) s) EXCEPT ALL (SELECT case_id, t::text FROM ($T_LOC) s))
        AND NOT EXISTS ((SELECT case_id, t::text FROM ($T_LOC) s) EXCEPT ALL (SELECT case_id, t::text FROM ($T_FDW) s))
        AND (SELECT count(*) FROM ($T_FDW) s) = 1434"

if has_fn trace_variant_id; then
    v() { echo "SELECT collmine.trace_variant_id(t) AS variant, count(*) AS cases FROM ($1) s GROUP BY 1"; }
    check "variant counts equal single-node" \
        "SELECT NOT EXISTS (($(v "$T_FDW")) EXCEPT ALL ($(v "$T_LOC"))) AND NOT EXISTS (($(v "$T_LOC")) EXCEPT ALL ($(v "$T_FDW")))
            AND (SELECT count(*) FROM ($(v "$T_LOC")) x) > 1"
else
    skip "variant counts equal single-node"
fi

if has_fn trace_throughput; then
    check "mean throughput equals single-node" \
        "SELECT (SELECT avg(collmine.trace_throughput(t)) FROM ($T_FDW) s) = (SELECT avg(collmine.trace_throughput(t)) FROM ($T_LOC) s)
            AND (SELECT avg(collmine.trace_throughput(t)) FROM ($T_LOC) s) = (SELECT avg(d) FROM (SELECT max(ts) - min(ts) AS d FROM fdw.events_local GROUP BY case_id) x)"
else
    skip "mean throughput equals single-node"
fi

if has_fn dfg_agg && has_fn dfg_edges; then
    e() { echo "SELECT * FROM collmine.dfg_edges((SELECT collmine.dfg_agg(t) FROM ($1) s))"; }
    check "process map (dfg_agg over shard traces) equals single-node" \
        "SELECT NOT EXISTS (($(e "$T_FDW")) EXCEPT ALL ($(e "$T_LOC"))) AND NOT EXISTS (($(e "$T_LOC")) EXCEPT ALL ($(e "$T_FDW")))
            AND (SELECT count(*) FROM ($(e "$T_LOC")) x) > 0"
    if has_fn dfg_union; then
        # Only summaries travel: each shard computes its own map in a view, the coordinator reads
        # the two maps (through their text form) and merges them, as Citus would.
        for n in $SHARDS; do
            "${PSQL[@]}" -p $((5440 + n)) -d postgres -c "CREATE VIEW public.process_map AS
                SELECT collmine.dfg_agg(t) AS map FROM ($(traces public.events)) s"
            coord -c "CREATE FOREIGN TABLE fdw.process_map_$n (map collmine.dfg)
                SERVER shard$n OPTIONS (schema_name 'public', table_name 'process_map')"
        done
        U="SELECT * FROM collmine.dfg_edges((SELECT collmine.dfg_union(map) FROM (
              SELECT map FROM fdw.process_map_3 UNION ALL SELECT map FROM fdw.process_map_4) m))"
        check "process map (dfg_union of the shards' own maps) equals single-node" \
            "SELECT NOT EXISTS (($U) EXCEPT ALL ($(e "$T_LOC"))) AND NOT EXISTS (($(e "$T_LOC")) EXCEPT ALL ($U))"
    else
        skip "process map (dfg_union of the shards' own maps) equals single-node"
    fi
else
    skip "process map (dfg_agg over shard traces) equals single-node"
    skip "process map (dfg_union of the shards' own maps) equals single-node"
fi

[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
exit 0
