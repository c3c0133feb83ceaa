#!/bin/sh
# Debian's stock kernel (no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES) finds the
# virtio-mmio devices through qemu-vmm's ACPI tables, in the emulated L1
# host: it reads a known block of a virtio-blk disk and bytes from
# virtio-rng, brings both vCPUs up (MADT), and leaves by ACPI poweroff or
# reboot; both irqchip modes, and acpi=off as the control that sees no disk.
# Usage: acpi-linux.sh QEMU_VMM
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /var/tmp/qemu-vmm-acpi-linux.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$1" "$dir/qemu-vmm"
cp "$here/acpi-linux-inner.sh" "$dir/"
# a 1 MiB disk whose block 8 (512-byte sectors) holds a token
token="acpi-known-$$-$(date +%s)"
dd if=/dev/zero of="$dir/disk.img" bs=1M count=1 status=none
printf '%s\n' "$token" | dd of="$dir/disk.img" bs=512 seek=8 conv=notrunc status=none
cat >"$dir/guest.sh" <<'GUEST'
echo "nproc: $(nproc)"
for t in APIC DSDT FACP; do [ -e /sys/firmware/acpi/tables/$t ] && echo "acpi table: $t"; done
for d in /sys/bus/acpi/devices/LNRO0005:*; do [ -e "$d/path" ] && echo "acpi device: $(cat "$d/path")"; done
grep -q virtio_mmio.device /proc/cmdline && echo "virtio_mmio.device= on the command line"
echo "block: $(dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -n 1)"
echo "hwrng: $(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
grep -E "virtio|ttyS" /proc/interrupts
case "$(cat /proc/cmdline)" in
*guest.end=poweroff*) echo "qemu-vmm-guest: powering off"; poweroff -f ;;
esac
GUEST
"$here/make-guest-initramfs" --modules --script "$dir/guest.sh" "$dir/guest.cpio.gz"
kernel=$("$here/make-guest-initramfs" --print-kernel)
cd /
"$here/emulated-host" --timeout 900 --scratch "$dir" -- \
    sh "$dir/acpi-linux-inner.sh" "$dir" "$kernel" "$token"
