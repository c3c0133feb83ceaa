#!/bin/bash
# Smoke test of the emulated host: L1 boots with a working /dev/kvm, the
# command's output and exit status come back, a timeout leaves nothing
# behind, and QEMU inside L1 boots Debian's kernel as an L2 guest with the
# initramfs of make-guest-initramfs (what qemu-vmm will do next).
# Prints the wall time of each step.  Exit status 0 when all passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
eh=$here/emulated-host
work=$(mktemp -d /var/tmp/qemu-vmm-smoke.XXXXXX)   # not /tmp: see step 4
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1     # L1 sees it too (it mounts a fresh tmpfs on /tmp)
failed=0
timings=""

now() { echo "${EPOCHREALTIME/[.,]/}"; }         # microseconds
# step NAME START: record the time since START
step() {
    local us=$(($(now) - $2))
    timings+=$(printf '%-40s %4d.%d s' "$1" $((us / 1000000)) \
        $((us / 100000 % 10)))$'\n'
}
check() {     # check DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failed=1; fi
}

t_all=$(now)
echo "== 1. /dev/kvm inside L1, output and exit status come back"
t=$(now)
"$eh" -- sh -c 'test -c /dev/kvm && echo kvm-ok && exit 7' | tee "$work/out1"
rc=${PIPESTATUS[0]}
step "1. L1 boot + command + poweroff" "$t"
check "exit status 7 (got $rc)" test "$rc" = 7
check "output has kvm-ok" grep -q kvm-ok "$work/out1"

echo "== 2. a timeout kills L1 and reports 124 (and says so on stderr)"
t=$(now)
"$eh" --timeout 3 --scratch "$work/timeout" -- sleep 600
rc=$?
step "2. timeout (3 s)" "$t"
check "exit status 124 (got $rc)" test "$rc" = 124
# QEMU's command line holds "path=<scratch>,": no process may still have it
# ("[p]ath" keeps grep from finding its own command line).
# shellcheck disable=SC2016
check "no QEMU left behind" \
    bash -c '! grep -qsa "[p]ath=$1," /proc/[0-9]*/cmdline' - "$work/timeout"

echo "== 3. build the L2 guest initramfs"
t=$(now)
"$here/make-guest-initramfs" --modules "$work/guest.cpio.gz" &&
    kernel=$("$here/make-guest-initramfs" --print-kernel)
rc=$?
step "3. make-guest-initramfs" "$t"
check "make-guest-initramfs succeeded" test "$rc" = 0
[ "$rc" = 0 ] || exit 1

echo "== 4. QEMU with KVM inside L1 boots the L2 guest"
# $work is shared with L1 as its scratch directory, at the same path.  It is
# under /var/tmp because L1 mounts an empty tmpfs on /tmp.
# Every port I/O of L2 is slow here (an exit through two emulated levels):
# pci=noearly skips probing for an AGP aperture (4 s) and the blacklist the
# CMOS RTC driver's probe (5 s).
append="console=ttyS0 reboot=t panic=-1 quiet pci=noearly"
append+=' initcall_blacklist=cmos_init guest.cmd="echo l2-ok"'
t=$(now)
"$eh" --scratch "$work" -- qemu-system-x86_64 -M microvm,accel=kvm \
    -cpu host -m 256M -nodefaults -no-user-config -nographic \
    -serial stdio -no-reboot -kernel "$kernel" -initrd "$work/guest.cpio.gz" \
    -append "$append" | tee "$work/out4"
rc=${PIPESTATUS[0]}
step "4. L1 boot + L2 boot + both poweroffs" "$t"
check "QEMU in L1 exit status 0 (got $rc)" test "$rc" = 0
check "L2 init started" grep -q "qemu-vmm-guest: init started" "$work/out4"
check "L2 command ran" grep -q "^l2-ok" "$work/out4"
check "L2 exit status 0" grep -q "qemu-vmm-guest: exit status 0" "$work/out4"

step "total" "$t_all"
echo "== wall times"
printf '%s' "$timings"
exit $failed
