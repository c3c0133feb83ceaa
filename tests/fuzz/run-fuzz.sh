#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run one fuzz target (tests/fuzz/TARGET-fuzz.c) under libFuzzer for
# SECONDS (default 60), see docs/fuzzing.md.
#
# It configures a clang-14 build of its own (once; all targets share it),
# builds the target and runs it over the seed corpus tests/fuzz/TARGET-corpus/
# and the regression inputs tests/fuzz/regression/TARGET/.  New inputs go
# to a work directory in that build, never into the source tree; a crash
# leaves its input there (crash-*) and fails.  Configuring and building
# hold a lock: meson runs two of these at once, and two meson setups (or
# ninjas) in one directory would race.
#
# Exit 77 (skipped) without clang-14 or its libFuzzer runtime
# (Debian 12: apt-get install clang-14 libclang-rt-14-dev).
#
# Usage: tests/fuzz/run-fuzz.sh TARGET [SECONDS] [-- LIBFUZZER OPTIONS...]
#   TARGET          migration, virtqueue, virtio-mmio, gicv2, loaders, qmp
#   FUZZ_BUILD_DIR  the clang build directory (default: build-fuzz in the source tree)
#   FUZZ_CC         the compiler (default: clang-14)
#   FUZZ_JOBS       ninja -j for the build (default: ninja's)
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 TARGET [SECONDS] [-- LIBFUZZER OPTIONS...]" >&2
    exit 2
fi
target=$1
shift
run_for=60
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    run_for=$1
    shift
fi
[ "${1:-}" = "--" ] && shift

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
fuzz_cc=${FUZZ_CC:-clang-14}
corpus=$src/tests/fuzz/$target-corpus

if [ ! -d "$corpus" ]; then
    echo "unknown fuzz target '$target' (no $corpus)" >&2
    exit 2
fi
if ! command -v "$fuzz_cc" >/dev/null 2>&1; then
    echo "SKIP: $fuzz_cc is not installed (apt-get install clang-14 libclang-rt-14-dev)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
    > "$tmp/probe.c"
if ! "$fuzz_cc" -fsanitize=fuzzer,address "$tmp/probe.c" -o "$tmp/probe" \
        >/dev/null 2>&1; then
    echo "SKIP: $fuzz_cc has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
    exit 77
fi

mkdir -p "$(dirname "$build")"
(
    flock 9
    if [ ! -f "$build/build.ninja" ]; then
        if ! CC="$fuzz_cc" meson setup "$build" "$src" > "$tmp/setup.log" 2>&1; then
            cat "$tmp/setup.log"
            exit 1
        fi
    fi
    ninja -C "$build" ${FUZZ_JOBS:+-j "$FUZZ_JOBS"} "tests/fuzz/$target-fuzz"
) 9> "$build.lock"

work=$build/fuzz-work/$target
mkdir -p "$work/corpus"
set -- "$@" -max_total_time="$run_for" -timeout=10 -rss_limit_mb=2048 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$work/"
case $target in
    qmp) set -- "$@" -max_len=16384 ;;
    *) set -- "$@" -max_len=65536 ;;
esac
[ -f "$src/tests/fuzz/$target.dict" ] && set -- "$@" -dict="$src/tests/fuzz/$target.dict"
dirs="$work/corpus $corpus"
[ -d "$src/tests/fuzz/regression/$target" ] && dirs="$dirs $src/tests/fuzz/regression/$target"

echo "fuzzing $target for $run_for s"
# GLib 2.74's slice allocator caches memory, which LeakSanitizer would take
# for a leak in every run (and check slowly): make it plain malloc.
export G_SLICE=always-malloc
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32"
# shellcheck disable=SC2086   # the directories hold no spaces we create
if ! "$build/tests/fuzz/$target-fuzz" "$@" $dirs; then
    echo "FAIL: $target crashed; the input is in $work/ (crash-*, leak-*, timeout-* or oom-*)."
    echo "Fix the bug, then add the input to tests/fuzz/regression/$target/."
    exit 1
fi
