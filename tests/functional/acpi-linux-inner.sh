#!/bin/sh
# Inside the emulated L1 host: Debian's kernel on qemu-vmm with ACPI.
# Usage: acpi-linux-inner.sh DIR KERNEL TOKEN (qemu-vmm, guest.cpio.gz, disk.img in DIR)
set -u
DIR=$1 KERNEL=$2 TOKEN=$3
BASE="console=ttyS0 panic=-1 quiet pci=noearly initcall_blacklist=cmos_init"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# boot NAME APPEND [qemu-vmm options...]: 2 vCPUs, virtio-blk and virtio-rng
boot() {
    name=$1 append=$2
    shift 2
    out=/tmp/$name.log
    start=$(date +%s)
    timeout 240 "$DIR/qemu-vmm" -m 256M -smp 2 -kernel "$KERNEL" -initrd "$DIR/guest.cpio.gz" \
        -drive file="$DIR/disk.img",if=virtio,format=raw,readonly=on \
        -device virtio-rng-device "$@" -append "$BASE $append" >"$out.raw" 2>&1
    rc=$?
    tr -d '\r' <"$out.raw" >"$out"     # the guest's tty writes CRLF
    echo "$name: exit code $rc after $(( $(date +%s) - start )) s"
    grep -E "^(nproc|acpi |block|hwrng)|IO-APIC|reboot:" "$out" | sed "s/^/    /"
    [ $rc -eq 0 ] || fail "$name: qemu-vmm exit code $rc"
    grep -q "qemu-vmm-guest: init started" "$out" || fail "$name: the initrd's init never ran"
}

# found NAME: what the guest found through ACPI
found() {
    name=$1 out=/tmp/$1.log
    grep -qx "nproc: 2" "$out" || fail "$name: nproc is not 2"
    for t in APIC DSDT FACP; do
        grep -qx "acpi table: $t" "$out" || fail "$name: no $t table in /sys/firmware/acpi"
    done
    grep -qx 'acpi device: \\_SB_.VR00' "$out" || fail "$name: no LNRO0005 device VR00"
    grep -qx 'acpi device: \\_SB_.VR01' "$out" || fail "$name: no LNRO0005 device VR01"
    grep -q "virtio_mmio.device= on the command line" "$out" &&
        fail "$name: virtio_mmio.device= was added with acpi=on"
    grep -qx "block: $TOKEN" "$out" || fail "$name: the known block was not read from /dev/vda"
    grep -Eq "hwrng: [0-9a-f]{32}" "$out" || fail "$name: no bytes from /dev/hwrng"
    grep -Eq "IO-APIC.*fasteoi.*virtio" "$out" || fail "$name: no level-triggered virtio interrupts"
    [ $failures -eq 0 ] || tail -40 "$out"
}

# The in-kernel irqchip; the guest powers off through the ACPI sleep
# registers.  No -no-reboot: a reboot instead would boot again (timeout).
boot poweroff "guest.end=poweroff"
found poweroff
grep -q "reboot: Power down" /tmp/poweroff.log || fail "poweroff: no ACPI power-down"
[ "$(grep -c 'qemu-vmm-guest: init started' /tmp/poweroff.log)" -eq 1 ] ||
    fail "poweroff: the guest booted more than once"

# kernel_irqchip=split; /init's `reboot -f` resets through the FADT's reset
# register (reboot=a), which -no-reboot turns into exit code 0.
boot split "reboot=a" -no-reboot -M microvm,kernel_irqchip=split
found split
grep -q "qemu-vmm-guest: exit status 0" /tmp/split.log || fail "split: the guest's commands failed"
grep -q "reboot: Restarting system" /tmp/split.log || fail "split: the guest did not reboot"

# acpi=off: Debian's kernel has no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, so no disk
boot noacpi "reboot=t" -no-reboot -M microvm,acpi=off
grep -q "acpi table:" /tmp/noacpi.log && fail "noacpi: ACPI tables with acpi=off"
grep -q "block: $TOKEN" /tmp/noacpi.log && fail "noacpi: the disk was found without ACPI"
grep -qx "nproc: 2" /tmp/noacpi.log || fail "noacpi: nproc is not 2 (MP table)"

echo "$failures failed"
[ $failures -eq 0 ] && echo PASS
[ $failures -eq 0 ]
