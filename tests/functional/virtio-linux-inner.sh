#!/bin/sh
# Inside the emulated L1 host: Linux's own virtio drivers on qemu-vmm.
# Usage: virtio-linux-inner.sh DIR (qemu-vmm, bzImage, guest.cpio.gz, disk.img in DIR)
set -u
cd "$1"
timeout 300 ./qemu-vmm -M microvm,acpi=off -m 256M -smp 2 -no-reboot -kernel bzImage -initrd guest.cpio.gz \
    -drive file=disk.img,if=virtio,format=raw -device virtio-rng-device \
    -append "console=ttyS0 reboot=t panic=-1 quiet" >out.raw 2>&1
rc=$?
tr -d '\r' <out.raw
exit $rc
