#!/bin/sh
# The sanitizer job of make check (docs/testing.md): an ASan + UBSan build
# in BUILD (default build-asan) running the unit and local-KVM suites, with
# LeakSanitizer on.  Any report fails the job: the runtimes exit with code
# 86 (which no qemu-vmm path returns); ASan and LeakSanitizer also write
# every report to BUILD/sanitizer-logs/, checked at the end, so a report
# from a process whose exit code a test does not look at is not lost.
# gcc's UBSan runtime ignores log_path next to ASan: its reports stay on
# stderr, and the test log is searched for them.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build-asan}
cd "$SRC"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Db_sanitize=address,undefined
ninja -C "$BUILD"

LOGS=$(cd "$BUILD" && pwd)/sanitizer-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export ASAN_OPTIONS="detect_leaks=1:exitcode=86:fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$LOGS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$LOGS/ubsan"
export LSAN_OPTIONS="exitcode=86:suppressions=$SRC/tests/sanitize/lsan.supp:print_suppressions=0"

# All of the four suites but four timing cases.  Live migration
# (migration-unix, -tcp): the migration thread's page scanning and copying
# run many times slower under ASan + UBSan, so a guest that rewrites 64 MiB
# all the time is never caught up with in the cases' time; the same code (RAM and device
# sections, the stream loader) runs here in snapshot-restore, cancel,
# killed-destination and the corrupt-stream cases.  QMP quit and pipelined:
# another client must be answered within 10 s while one floods the monitor
# with 20,000 commands, which the instrumented monitor does not reliably
# manage on a loaded 2-core machine; the monitor's code runs in the other
# qmp cases.
TESTS=$(meson test -C "$BUILD" --list --suite unit --suite integration --suite qmp \
            --suite migration 2>/dev/null | sed -n 's|^[^ ]*:[^ ]* / ||p' |
        grep -vx -e migration-unix -e migration-tcp -e quit -e pipelined)
rc=0
# shellcheck disable=SC2086
meson test -C "$BUILD" --print-errorlogs --num-processes 2 $TESTS || rc=1
if grep -n "runtime error:" "$BUILD/meson-logs/testlog.txt"; then
    echo "=== UndefinedBehaviorSanitizer reports above (meson-logs/testlog.txt)"
    rc=1
fi
for f in "$LOGS"/*; do
    [ -e "$f" ] || continue
    echo "=== sanitizer report $f"
    cat "$f"
    rc=1
done
[ $rc = 0 ] && echo "sanitize: no sanitizer report"
exit $rc
