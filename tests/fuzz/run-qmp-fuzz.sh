#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz the QMP monitor's parser and dispatcher with libFuzzer for SECONDS
# (default 60): configure a clang-14 build of its own, build the target
# tests/qmp/qmp-fuzz, run it over the seed corpus tests/fuzz/qmp-corpus/.
# New inputs go to a work directory in the build, never into the source
# tree; a crash leaves its input there (crash-*) and fails.
#
# Exit 77 (skipped) without clang-14 or its libFuzzer runtime
# (Debian 12: apt-get install clang-14 libclang-rt-14-dev).
#
# Usage: tests/fuzz/run-qmp-fuzz.sh [SECONDS]
#   FUZZ_BUILD_DIR  the clang build directory (default: build-fuzz in the source tree)
#   FUZZ_CC         the compiler (default: clang-14)
set -eu

run_for=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
fuzz_cc=${FUZZ_CC:-clang-14}

if ! command -v "$fuzz_cc" >/dev/null 2>&1; then
    echo "SKIP: $fuzz_cc is not installed (apt-get install clang-14 libclang-rt-14-dev)"
    exit 77
fi
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
    > "$probe_dir/probe.c"
if ! "$fuzz_cc" -fsanitize=fuzzer,address "$probe_dir/probe.c" -o "$probe_dir/probe" \
        >/dev/null 2>&1; then
    echo "SKIP: $fuzz_cc has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
    exit 77
fi

if [ ! -f "$build/build.ninja" ]; then
    if ! CC="$fuzz_cc" meson setup "$build" "$src" > "$probe_dir/setup.log" 2>&1; then
        cat "$probe_dir/setup.log"
        exit 1
    fi
fi
ninja -C "$build" tests/qmp/qmp-fuzz

work=$build/qmp-fuzz-work
mkdir -p "$work/corpus"
echo "fuzzing the QMP parser and dispatcher for $run_for s"
# -detect_leaks: a leaked reply or node would grow a long-running qemu-vmm.
# GLib 2.74's slice allocator caches memory, which libFuzzer would take for
# a leak in every run (and check slowly): make it plain malloc.
export G_SLICE=always-malloc
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32"
"$build/tests/qmp/qmp-fuzz" \
    -max_total_time="$run_for" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -detect_leaks=1 -print_final_stats=1 \
    -dict="$src/tests/fuzz/qmp.dict" -artifact_prefix="$work/" \
    "$work/corpus" "$src/tests/fuzz/qmp-corpus"
