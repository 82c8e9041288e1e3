#!/usr/bin/env bash
# test/run-tests.sh: `make test`. For each PostgreSQL major version under test it builds collmine,
# stages a private server copy, starts a throwaway cluster and runs the pg_regress suite (test/sql,
# expected/) and then every test/t/*.sh integration test; the cluster is always stopped and
# removed, pass or fail. One summary line at the end counts every version.
#
#   make test                      every version in CM_PG_VERSIONS (15 17 18), everything
#   make test PG=17                one version
#   make test TESTS_ONLY="trace"   only the named pg_regress tests (no integration tests)
#   make test PG_CONFIG=/path/pg_config   exactly that server
#
# 15 is Debian's postgresql-15 package; 17 and 18 are built once from Debian's source packages
# into a cache outside the repository (test/pgbuild.sh). A version whose source package the
# mirror does not serve is reported as skipped, with the reason, unless it was asked for by PG=.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CM_PG_VERSIONS=${CM_PG_VERSIONS:-15 17 18}

# The whole suite against the server of $PG_CONFIG; prints ok/not ok lines and, last,
# "# counts: PASSED FAILED".
run_one() {
    # every version's build must be free of warnings (src/compat.[ch] takes the differences)
    export WERROR=1
    . "$here/pg.sh"
    cm_ensure_headers
    cm_rundir
    trap cm_cleanup EXIT
    cm_stage
    cm_start 1

    cd "$CM_TOP"
    make -s PG_CONFIG="$PG_CONFIG" build/regress >/dev/null
    local tests status=0 passed failed t
    tests=${*:-$(make -s --no-print-directory PG_CONFIG="$PG_CONFIG" -f Makefile print-tests 2>/dev/null || true)}
    [ -n "$tests" ] || tests=$(ls test/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort)

    "$("$PG_CONFIG" --pgxs | xargs dirname)/../../src/test/regress/pg_regress" \
        --bindir="$CM_BIN" --host="$CM_RUN" --port="$PGPORT" --user=postgres \
        --inputdir=build/regress --outputdir=build/regress --dbname=contrib_regression \
        --load-extension=collmine $tests > build/regress/run.log 2>&1 || status=$?
    cat build/regress/run.log
    # pg_regress prints "test NAME ... ok" up to 15 and TAP ("ok 1 - NAME", "not ok 2 - NAME") from 16 on
    passed=$(grep -Ec '^ok [0-9]+ |^(test|     ) .* ok( |$)|\.\.\. ok' build/regress/run.log || true)
    failed=$(grep -Ec '^not ok [0-9]+ |\.\.\. FAILED|failed \(ignored\)' build/regress/run.log || true)
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    if [ "$failed" -ne 0 ] && [ -f build/regress/regression.diffs ]; then
        cp build/regress/regression.diffs "build/regression-pg$CM_PGMAJOR.diffs"
        head -c 20000 build/regress/regression.diffs
    fi

    # Integration tests: shell scripts that get this environment (CM_* and PG* variables).
    if [ -z "${*:-}" ]; then
        for t in $(ls test/t/*.sh 2>/dev/null | sort); do
            cm_log "integration (PostgreSQL $CM_PGMAJOR): $t"
            if bash "$t"; then echo "ok - $t"; passed=$((passed + 1)); else echo "not ok - $t"; failed=$((failed + 1)); fi
        done
    fi
    # A sanitizer build (make SANITIZE=1 test) fails on any report in the server logs.
    if [ -n "${SANITIZE:-}" ]; then
        local reports
        reports=$(cm_sanitizer_reports)
        if [ -n "$reports" ]; then
            echo "not ok - sanitizer reports in the server logs:"; printf '%s\n' "$reports" | sed 's/^/#   /'
            failed=$((failed + 1))
        else
            echo "ok - no AddressSanitizer or UBSan report in the server logs"; passed=$((passed + 1))
        fi
    fi
    echo "# counts: $passed $failed"
}

# The servers to test: an explicit PG_CONFIG, PG=NN, or every version.
if [ -n "${PG_CONFIG:-}" ]; then
    targets=config
elif [ -n "${PG:-}" ]; then
    targets=$PG
else
    targets=$CM_PG_VERSIONS
fi

total_passed=0; total_failed=0; total_skipped=0; summary=""
for v in $targets; do
    log=$(mktemp "${TMPDIR:-/tmp}/collmine-test.XXXXXX")
    if [ "$v" = config ]; then
        label="$("$PG_CONFIG" --version) ($PG_CONFIG)"
    elif [ "$v" = 15 ]; then
        label="PostgreSQL 15 (Debian package)"
    else
        # the cached build, built now when the cache has none (test/pgbuild.sh)
        rc=0; pgc=$(bash "$here/pgbuild.sh" "$v") || rc=$?
        if [ "$rc" -ne 0 ]; then
            if [ "$rc" -eq 3 ] && [ -z "${PG:-}" ]; then
                echo "ok - PostgreSQL $v # skip its source package cannot be fetched from the Debian mirror (see the messages above)"
                total_skipped=$((total_skipped + 1)); summary="$summary
# PostgreSQL $v: skipped (source package not available from the mirror)"
            else
                echo "not ok - PostgreSQL $v: no server (test/pgbuild.sh $v failed with status $rc)"
                total_failed=$((total_failed + 1)); summary="$summary
# PostgreSQL $v: no server"
            fi
            continue
        fi
        label="$("$pgc" --version) (built from Debian's source package: $(dirname "$(dirname "$pgc")"))"
    fi
    echo "# ==== $label ===="
    (
        if [ "$v" != config ]; then export PG="$v"; [ "$v" = 15 ] && unset PG_CONFIG || PG_CONFIG=$pgc; fi
        run_one "$@"
    ) 2>&1 | tee "$log" | grep --line-buffered -v '^# counts: ' || true
    read -r p f < <(sed -n 's/^# counts: //p' "$log"; echo) || true
    if ! [[ "${p:-}" =~ ^[0-9]+$ && "${f:-}" =~ ^[0-9]+$ ]]; then
        p=0; f=1; echo "not ok - PostgreSQL $v: the run stopped before its tests finished"
    fi
    total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
    summary="$summary
# $label: $p passed, $f failed"
    rm -f "$log"
done

echo "# ==== summary ===="
echo "${summary#?}"
if [ "$total_skipped" -gt 0 ]; then
    echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
else
    echo "${total_passed} passed, ${total_failed} failed"
fi
[ "$total_failed" -eq 0 ]
