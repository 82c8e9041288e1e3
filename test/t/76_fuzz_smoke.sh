#!/usr/bin/env bash
# test/t/76_fuzz_smoke.sh: a short smoke run of the fuzzers (test/fuzz/README.md) inside
# `make test`: each libFuzzer target for FUZZ_SMOKE_SECONDS (default 3) from the seed corpus,
# and the in-server rule-set fuzzer for as long. `make fuzz` runs them for longer. Without clang's
# libFuzzer the libFuzzer part prints `ok - ... # skip`.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-3} bash "$top/test/fuzz/run.sh"
