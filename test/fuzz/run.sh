#!/usr/bin/env bash
# test/fuzz/run.sh: build the libFuzzer binaries and run each for FUZZ_SECONDS (`make fuzz`,
# default 60), then the in-server rule-set fuzzer (rules.sql) for as long against a throwaway
# cluster. New inputs that add coverage go to build/fuzz/corpus/<target>; a crash leaves its
# input in build/fuzz/ (crash-*, leak-*, timeout-*) and makes the run fail.
#
#   make fuzz                          every target, 60 s each
#   make fuzz FUZZ_SECONDS=600         longer
#   FUZZ_TARGETS="pattern petri" bash test/fuzz/run.sh
#   FUZZ_NO_SERVER=1 ...               only the libFuzzer targets
#
# Without clang's fuzzer runtime it prints `ok - ... # skip` and exits 0 (after trying to install
# Debian's clang and libclang-rt-NN-dev when run as root).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-trace_text trace_binary dfg_text dfg_binary pattern petri parts}
rc=0

build() { FUZZ_TARGETS="$targets" bash "$top/test/fuzz/build.sh" 2> "$top/build/fuzz-build.log"; }
mkdir -p "$top/build"
status=0; build || status=$?
if [ "$status" -eq 3 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    ver=$(apt-cache search --names-only '^libclang-rt-[0-9]+-dev$' 2>/dev/null | sed -n 's/^libclang-rt-\([0-9]*\)-dev .*/\1/p' | sort -n | tail -1)
    if [ -n "$ver" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "clang-$ver" "libclang-rt-$ver-dev" >/dev/null 2>&1 || true
        status=0; CLANG=$(command -v "clang-$ver" || true) build || status=$?
    fi
fi
if [ "$status" -eq 3 ]; then
    echo "ok - libFuzzer targets # skip clang with libFuzzer is not available ($(tail -1 "$top/build/fuzz-build.log"))"
elif [ "$status" -ne 0 ]; then
    echo "not ok - the fuzz targets do not build:"; sed 's/^/#   /' "$top/build/fuzz-build.log" | tail -30; exit 1
else
    for t in $targets; do
        corpus=$top/build/fuzz/corpus/$t
        mkdir -p "$corpus"
        log=$top/build/fuzz/$t.log
        # -timeout: one input may take at most 10 s; -rss_limit_mb bounds memory
        if (cd "$top/build/fuzz" && "./$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
                -print_final_stats=1 "$corpus" "$top/test/fuzz/corpus/$t" > "$log" 2>&1); then
            runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
            echo "ok - fuzz $t: ${runs:-?} inputs in ${seconds}s, no crash, no sanitizer report"
        else
            echo "not ok - fuzz $t found a problem (input saved in build/fuzz/):"
            grep -E 'collmine fuzz|ERROR: |SUMMARY|runtime error|#[0-9]+ 0x' "$log" | head -30 | sed 's/^/#   /'
            rc=1
        fi
    done
fi

# rule sets need the server's catalogs: random mutations of valid rule sets, run in a cluster
if [ -z "${FUZZ_NO_SERVER:-}" ]; then
    bash "$top/test/fuzz/rules.sh" "$seconds" || rc=1
fi
exit $rc
