#!/bin/sh
# Runs inside the emulated L1 host: boots Debian's kernel under qemu-vmm with
# the L2 initramfs, several ways.  Usage: linux-boot-inner.sh QEMU_VMM KERNEL INITRD
set -u
VMM=$1 KERNEL=$2 INITRD=$3
BASE="console=ttyS0 reboot=t panic=-1 pci=noearly initcall_blacklist=cmos_init"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# boot NAME EXPECTED_NPROC [qemu-vmm options...]: the guest prints nproc and
# its command line, exits, and reboots (a triple fault, reboot=t), which
# -no-reboot turns into exit code 0.
boot() {
    name=$1 want=$2
    shift 2
    token="tok$$$name"
    out=/tmp/$name.log
    start=$(date +%s)
    timeout 240 "$VMM" -m 256M -no-reboot -kernel "$KERNEL" -initrd "$INITRD" "$@" \
        -append "$BASE marker=$token guest.cmd=nproc; cat /proc/cmdline" >"$out.raw" 2>&1
    rc=$?
    tr -d '\r' <"$out.raw" >"$out"     # the guest's tty writes CRLF
    echo "$name: exit code $rc after $(( $(date +%s) - start )) s"
    [ $rc -eq 0 ] || fail "$name: qemu-vmm exit code $rc"
    grep -q "qemu-vmm-guest: init started" "$out" || fail "$name: the initrd's init never ran"
    grep -q "marker=$token" "$out" || fail "$name: the command line did not reach the guest"
    grep -qx "$want" "$out" || fail "$name: nproc is not $want"
    grep -q "qemu-vmm-guest: exit status 0" "$out" || fail "$name: the guest command failed"
    grep -q "reboot: Restarting system" "$out" || fail "$name: the guest did not reboot"
    [ $failures -eq 0 ] || tail -40 "$out"
}

boot smp1 1 -smp 1
boot smp2 2 -smp 2
boot split 2 -smp 2 -M microvm,kernel_irqchip=split

# --expect: ends qemu-vmm with 0 on the first match, without waiting for the end
start=$(date +%s)
timeout 240 "$VMM" -m 256M -kernel "$KERNEL" -initrd "$INITRD" \
    -append "$BASE guest.cmd=sleep 1000" --expect "init started" --expect-timeout 200 \
    >/tmp/expect.log 2>&1
rc=$?
echo "expect: exit code $rc after $(( $(date +%s) - start )) s"
[ $rc -eq 0 ] || { fail "--expect: exit code $rc"; tail -20 /tmp/expect.log; }

# a kernel panic while expecting: exit code 6 (no init: the panic comes at once)
timeout 240 "$VMM" -m 256M -kernel "$KERNEL" \
    -append "$BASE panic=0" --expect "never printed" --expect-timeout 200 \
    >/tmp/panic.log 2>&1
rc=$?
echo "panic: exit code $rc"
[ $rc -eq 6 ] || { fail "panic: exit code $rc, expected 6"; tail -20 /tmp/panic.log; }

echo "$failures failed"
[ $failures -eq 0 ]
