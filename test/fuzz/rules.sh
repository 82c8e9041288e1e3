#!/usr/bin/env bash
# test/fuzz/rules.sh SECONDS: run the in-server rule-set fuzzer (rules.sql) for SECONDS, in the
# cluster of the calling test run (make test) or in a throwaway one of its own.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/pg.sh"
seconds=${1:-60}
if [ -z "${CM_BIN:-}" ] || [ -z "${CM_RUN:-}" ]; then
    own=1; cm_ensure_headers; cm_rundir; trap cm_cleanup EXIT; cm_stage; cm_start 1
fi
PSQL=("$CM_BIN/psql" -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS cm_fuzz_rules" -c "CREATE DATABASE cm_fuzz_rules" >/dev/null
# stop and remove the cluster only when this script started it (inside make test it is shared)
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS cm_fuzz_rules" >/dev/null 2>&1 || true; [ -z "${own:-}" ] || cm_cleanup' EXIT
"${PSQL[@]}" -d cm_fuzz_rules -c "CREATE EXTENSION collmine" >/dev/null
if out=$("${PSQL[@]}" -At -d cm_fuzz_rules -v seconds="$seconds" -f "$CM_TOP/test/fuzz/rules.sql" 2>&1); then
    echo "ok - fuzz $(printf '%s\n' "$out" | grep '^rules:' | tail -1), no internal error, no crash"
else
    echo "not ok - the rule-set fuzzer failed:"; printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'; exit 1
fi
