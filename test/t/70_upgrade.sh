#!/usr/bin/env bash
# test/t/70_upgrade.sh: the upgrade chain from every kept release to this version equals a fresh
# install, object for object (test/tools/catalog_snapshot.sql: definitions, comments, privileges,
# aggregate and type properties, the extension's own table contents).
#
# For each kept release script sql/collmine--X.sql other than the current version it creates a
# database, installs X, runs ALTER EXTENSION collmine UPDATE and diffs the catalog snapshot with a
# fresh install's. Runs inside `make test` (environment of test/pg.sh) or on its own.
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

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cm_up_fresh" -c "CREATE DATABASE cm_up_fresh" >/dev/null
"${PSQL[@]}" -d cm_up_fresh -c "CREATE EXTENSION collmine" >/dev/null
snapshot cm_up_fresh "$out/fresh.txt"

for script in "$CM_TOP"/sql/collmine--*.sql; do
    from=$(basename "$script" .sql); from=${from#collmine--}
    case "$from" in *--*|"$current") continue ;; esac
    "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cm_up_chain" -c "CREATE DATABASE cm_up_chain" >/dev/null
    if ! "${PSQL[@]}" -d cm_up_chain -c "CREATE EXTENSION collmine VERSION '$from'" -c "ALTER EXTENSION collmine UPDATE" \
            > "$out/update.log" 2>&1; then
        echo "not ok - upgrade $from -> $current fails:"; sed 's/^/#   /' "$out/update.log"; failures=$((failures + 1)); continue
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
done
[ "$failures" -eq 0 ]
