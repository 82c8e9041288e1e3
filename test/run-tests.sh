#!/usr/bin/env bash
# test/run-tests.sh: `make test`. Builds collmine, stages a private server copy, starts a
# throwaway cluster and runs the pg_regress suite (test/sql, expected/) and then every
# test/t/*.sh integration test. The cluster is always stopped and removed, pass or fail.
#
#   make test                      everything
#   make test TESTS_ONLY="trace"   only the named pg_regress tests (no integration tests)
set -euo pipefail
. "$(dirname "$0")/pg.sh"

cm_ensure_headers
cm_rundir
trap cm_cleanup EXIT
cm_stage
cm_start 1

cd "$CM_TOP"
make -s PG_CONFIG="$PG_CONFIG" build/regress >/dev/null
tests=${*:-$(make -s --no-print-directory PG_CONFIG="$PG_CONFIG" -f Makefile print-tests 2>/dev/null || true)}
[ -n "$tests" ] || tests=$(ls test/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort)

status=0
passed=0; failed=0
"$("$PG_CONFIG" --pgxs | xargs dirname)/../../src/test/regress/pg_regress" \
    --bindir="$CM_BIN" --host="$CM_RUN" --port="$PGPORT" --user=postgres \
    --inputdir=build/regress --outputdir=build/regress --dbname=contrib_regression \
    --load-extension=collmine $tests > build/regress/run.log 2>&1 || status=$?
cat build/regress/run.log
passed=$(grep -Ec '^(ok|test) .* ok( |$)|\.\.\. ok' build/regress/run.log || true)
failed=$(grep -Ec 'FAILED|failed \(ignored\)' build/regress/run.log || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$failed" -ne 0 ]; then status=1; fi
if [ $status -ne 0 ] && [ -f build/regress/regression.diffs ]; then
    head -c 20000 build/regress/regression.diffs
fi

# Integration tests: shell scripts that get this environment (CM_* and PG* variables).
if [ -z "${*:-}" ]; then
    for t in $(ls test/t/*.sh 2>/dev/null | sort); do
        cm_log "integration: $t"
        if bash "$t"; then echo "ok - $t"; passed=$((passed + 1)); else echo "not ok - $t"; failed=$((failed + 1)); status=1; fi
    done
fi

# A sanitizer build (make SANITIZE=1 test) fails on any report in the server logs.
if [ -n "${SANITIZE:-}" ]; then
    reports=$(cm_sanitizer_reports)
    if [ -n "$reports" ]; then
        echo "not ok - sanitizer reports in the server logs:"; printf '%s\n' "$reports" | sed 's/^/#   /'
        failed=$((failed + 1)); status=1
    else
        echo "ok - no AddressSanitizer or UBSan report in the server logs"
    fi
fi

echo "${passed} passed, ${failed} failed"
exit $status
