#!/usr/bin/env bash
# test/t/70_upgrade.sh: the upgrade chain from every kept release to this version equals a fresh
# install, object for object (test/tools/catalog_snapshot.sql: definitions, comments, privileges,
# aggregate and type properties, the extension's own table contents).
#
# For each kept release script sql/collmine--X.sql other than the current version it creates a
# database, installs X, builds on it what a user of X has (test/t/upgrade/user_objects.sql: a
# table of traces and of dfg values, their text forms and a binary COPY of them, the dashboards as
# views and materialized views over a connector log of the bundled NetSuite sample, a policy table
# and a view checking traces against it, views over dfg_edges and over KPI functions), records
# every user object's rows (test/t/upgrade/results.sql), runs ALTER EXTENSION collmine UPDATE and
# checks
#   - the catalog equals a fresh install's (test/tools/catalog_snapshot.sql),
#   - every user object still works and returns the same rows, before and after refreshing the
#     materialized views through the new version's functions,
#   - the stored trace and dfg values written by X still read: their text forms and their binary
#     COPY read back into the same values.
# Runs inside `make test` (environment of test/pg.sh) for every server version, or on its own.
# On each version the released 0.1.0 SQL is installed against the current library (0.1.0's own C
# code does not compile on 18): that is what an upgrade on that server is.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"

if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ]; then
    own=1; cm_ensure_headers; cm_rundir; trap cm_cleanup EXIT; cm_stage; cm_start 1
fi

PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1)
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CM_TOP/collmine.control")
out=$(mktemp -d "${TMPDIR:-/tmp}/collmine-upgrade.XXXXXX")
failures=0
cleanup_up() { for db in cm_up_fresh cm_up_chain; do "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done; rm -rf "$out"; }
# stop and remove the cluster only when this script started it (inside make test it is shared)
trap 'cleanup_up; [ -z "${own:-}" ] || cm_cleanup' EXIT

snapshot() { "${PSQL[@]}" -At -d "$1" -f "$CM_TOP/test/tools/catalog_snapshot.sql" > "$2"; }

# Compare the user objects' rows now with those recorded before the update ($1: label).
same_rows() {
    "${PSQL[@]}" -At -d cm_up_chain -f "$CM_TOP/test/t/upgrade/results.sql" > "$out/after.txt" 2>&1 || true
    if diff -u "$out/before-$from.txt" "$out/after.txt" > "$out/rows.diff"; then
        echo "ok - $from -> $current: $1 ($(wc -l < "$out/after.txt") user objects, same rows)"
    else
        echo "not ok - $from -> $current: $1 (- before the update, + after):"; sed 's/^/#   /' "$out/rows.diff" | head -60
        failures=$((failures + 1))
    fi
}

# After the update: user objects, refreshed materialized views, stored values in text and binary form.
check_user_objects() {
    local bad
    same_rows "user tables, views and materialized views built on $1 return the same rows"
    if "${PSQL[@]}" -d cm_up_chain -c "SELECT collmine.refresh_dashboards('dash')" \
            -c "REFRESH MATERIALIZED VIEW u.variants_mv" > "$out/refresh.log" 2>&1; then
        same_rows "materialized views refreshed through $current's functions return the same rows"
    else
        echo "not ok - $from -> $current: refreshing the user's materialized views fails:"; sed 's/^/#   /' "$out/refresh.log"
        failures=$((failures + 1))
    fi
    # Values written by $1: the text form read back, and the binary COPY read back, give the
    # values stored (compared through their text form, which is also what $1 wrote).
    bad=$( (cd "$out" && "${PSQL[@]}" -At -d cm_up_chain 2>&1) <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA chk;
CREATE TABLE chk.traces_bin (LIKE u.traces);
CREATE TABLE chk.dfgs_bin (LIKE u.dfgs);
\copy chk.traces_bin FROM 'traces.bin' (FORMAT binary)
\copy chk.dfgs_bin FROM 'dfgs.bin' (FORMAT binary)
SELECT 'traces: ' || count(*) FILTER (WHERE x.t::collmine.trace::text IS DISTINCT FROM x.t
                                         OR tr.t::text IS DISTINCT FROM x.t
                                         OR b.t::text IS DISTINCT FROM x.t) || ' differ of ' || count(*)
FROM u.traces_text x LEFT JOIN u.traces tr USING (case_id) LEFT JOIN chk.traces_bin b USING (case_id);
SELECT 'dfgs: ' || count(*) FILTER (WHERE x.d::collmine.dfg::text IS DISTINCT FROM x.d
                                       OR g.d::text IS DISTINCT FROM x.d
                                       OR b.d::text IS DISTINCT FROM x.d) || ' differ of ' || count(*)
FROM u.dfgs_text x LEFT JOIN u.dfgs g USING (scope) LEFT JOIN chk.dfgs_bin b USING (scope);
DROP SCHEMA chk CASCADE;
SQL
)
    if echo "$bad" | grep -q '^traces: 0 differ of [1-9]' && echo "$bad" | grep -q '^dfgs: 0 differ of [1-9]'; then
        echo "ok - $from -> $current: trace and dfg values stored by $1 still read, in text and binary form ($(echo $bad))"
    else
        echo "not ok - $from -> $current: stored trace/dfg values do not read back:"; echo "$bad" | sed 's/^/#   /'
        failures=$((failures + 1))
    fi
}

# A released function's result columns grow by the procedure of docs/release.md, applied to
# cycle_time (test/t/upgrade/grow_column.sql) in a transaction that is rolled back: the user's
# views and materialized views over it (u.cycle_report, called with a defaulted argument, and
# the dashboards) still return the same rows, and the new column is there for new queries.
check_growth() {
    local res
    res=$(cd "$CM_TOP" && "${PSQL[@]}" -At -d cm_up_chain 2>&1 <<SQL
BEGIN;
\i test/t/upgrade/grow_column.sql
\o $out/grown.txt
\i test/t/upgrade/results.sql
\o
REFRESH MATERIALIZED VIEW u.variants_mv;
SELECT 'refreshed: ' || collmine.refresh_dashboards('dash');
\o $out/grown-refreshed.txt
\i test/t/upgrade/results.sql
\o
ROLLBACK;
SQL
) || true
    if echo "$res" | grep -qx 'grown: 42' && echo "$res" | grep -q '^refreshed: [1-9]' \
       && diff -q "$out/before-$from.txt" "$out/grown.txt" >/dev/null \
       && diff -q "$out/before-$from.txt" "$out/grown-refreshed.txt" >/dev/null; then
        echo "ok - $from -> $current: a result column appended to cycle_time (docs/release.md) leaves the user's views over it working, same rows"
    else
        echo "not ok - $from -> $current: appending a result column to cycle_time breaks user objects:"
        echo "$res" | sed 's/^/#   /' | head -20
        diff -u "$out/before-$from.txt" "$out/grown.txt" 2>&1 | sed 's/^/#   /' | head -20
        failures=$((failures + 1))
    fi
}

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cm_up_fresh" -c "CREATE DATABASE cm_up_fresh" >/dev/null
"${PSQL[@]}" -d cm_up_fresh -c "CREATE EXTENSION collmine" >/dev/null
snapshot cm_up_fresh "$out/fresh.txt"

for script in "$CM_TOP"/sql/collmine--*.sql; do
    from=$(basename "$script" .sql); from=${from#collmine--}
    case "$from" in *--*|"$current") continue ;; esac
    "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cm_up_chain" -c "CREATE DATABASE cm_up_chain" >/dev/null
    if ! "${PSQL[@]}" -d cm_up_chain -c "CREATE EXTENSION collmine VERSION '$from'" > "$out/install.log" 2>&1; then
        echo "not ok - the released $from script does not install on $("$CM_BIN/postgres" --version):"
        sed 's/^/#   /' "$out/install.log"; failures=$((failures + 1)); continue
    fi
    # what a user built on $from, and what it returned
    if ! (cd "$CM_TOP" && "${PSQL[@]}" -d cm_up_chain -f test/t/upgrade/user_objects.sql \
            -c "\\copy u.traces TO '$out/traces.bin' (FORMAT binary)" \
            -c "\\copy u.dfgs TO '$out/dfgs.bin' (FORMAT binary)") > "$out/objects.log" 2>&1; then
        echo "not ok - user objects cannot be created on $from:"; sed 's/^/#   /' "$out/objects.log"; failures=$((failures + 1)); continue
    fi
    "${PSQL[@]}" -At -d cm_up_chain -f "$CM_TOP/test/t/upgrade/results.sql" > "$out/before-$from.txt"
    if ! "${PSQL[@]}" -d cm_up_chain -c "ALTER EXTENSION collmine UPDATE" > "$out/update.log" 2>&1; then
        echo "not ok - upgrade $from -> $current fails with user objects in place:"; sed 's/^/#   /' "$out/update.log"; failures=$((failures + 1)); continue
    fi
    got=$("${PSQL[@]}" -At -d cm_up_chain -c "SELECT extversion FROM pg_extension WHERE extname = 'collmine'")
    [ "$got" = "$current" ] || { echo "not ok - upgrade from $from ends at $got, not $current"; failures=$((failures + 1)); continue; }
    snapshot cm_up_chain "$out/chain-$from.txt"
    if diff -u "$out/fresh.txt" "$out/chain-$from.txt" > "$out/diff-$from.txt"; then
        echo "ok - $from -> $current by ALTER EXTENSION UPDATE equals a fresh $current install ($(wc -l < "$out/fresh.txt") catalog lines)"
    else
        echo "not ok - $from -> $current differs from a fresh install (- fresh, + upgraded):"
        head -200 "$out/diff-$from.txt" | sed 's/^/#   /'
        failures=$((failures + 1))
    fi
    check_user_objects "$from"
    check_growth "$from"
done
[ "$failures" -eq 0 ]
