#!/usr/bin/env bash
# test/fuzz/build.sh: build the libFuzzer binaries (one per parser, see harness.c) into
# build/fuzz/, with AddressSanitizer and UBSan. Needs clang with its fuzzer runtime (Debian:
# clang and libclang-rt-NN-dev); exits 3 when they are missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-$(ls /usr/lib/postgresql/15/bin/pg_config 2>/dev/null || command -v pg_config)}
CLANG=${CLANG:-$(command -v clang || ls /usr/bin/clang-[0-9]* 2>/dev/null | sort -V | tail -1 || true)}
[ -n "$CLANG" ] && [ -x "$CLANG" ] || { echo "no clang found" >&2; exit 3; }
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' > /tmp/cm_fuzz_probe.$$.c
if ! "$CLANG" -fsanitize=fuzzer,address,undefined /tmp/cm_fuzz_probe.$$.c -o /tmp/cm_fuzz_probe.$$ 2>/dev/null; then
    rm -f /tmp/cm_fuzz_probe.$$*; echo "clang cannot link libFuzzer binaries (install libclang-rt-NN-dev)" >&2; exit 3
fi
rm -f /tmp/cm_fuzz_probe.$$*

out=$top/build/fuzz
# objects per server version: a checkout tested against several servers must not link one's
# objects against another's libraries
obj=$out/obj-$("$PG_CONFIG" --version | awk '{print $2}')
mkdir -p "$obj"
inc=$("$PG_CONFIG" --includedir-server)
libdir=$("$PG_CONFIG" --pkglibdir); [ -f "$libdir/libpgcommon.a" ] || libdir=$("$PG_CONFIG" --libdir)
flags=(-g -O1 -fwrapv -fno-strict-aliasing -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -Wno-ignored-attributes -I"$inc" -I"$top/src" -I"$top/test/fuzz")
# the parser files, compiled unchanged (with -fwrapv, as the server builds everything), and the shim
sources=(src/textio.c src/trace.c src/nametab.c src/dfg_io.c src/dfg.c src/sketch.c src/pattern.c src/name_watch.c src/petri.c src/fingerprint.c src/stream_parts.c
         test/fuzz/shim.c test/fuzz/stubs.c)
objs=()
for s in "${sources[@]}"; do
    o=$obj/$(basename "$s" .c).o
    if [ ! -f "$o" ] || [ "$top/$s" -nt "$o" ] || [ -n "$(find "$top/src" "$top/test/fuzz" -name '*.h' -newer "$o" 2>/dev/null)" ]; then
        "$CLANG" "${flags[@]}" -c "$top/$s" -o "$o"
    fi
    objs+=("$o")
done
for target in ${FUZZ_TARGETS:-trace_text trace_binary dfg_text dfg_binary pattern petri parts}; do
    "$CLANG" "${flags[@]}" -DFUZZ_TARGET_"$target" -c "$top/test/fuzz/harness.c" -o "$obj/harness_$target.o"
    "$CLANG" -fsanitize=fuzzer,address,undefined "$obj/harness_$target.o" "${objs[@]}" \
        "$libdir/libpgcommon.a" "$libdir/libpgport.a" -lm -o "$out/$target"
done
