#!/bin/sh
# Linux boot tests of qemu-vmm: they need a complete KVM, so they run inside
# the emulated L1 host (tests/functional/emulated-host).
# Usage: linux-boot.sh QEMU_VMM
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vmm=$(realpath "$1")
scratch=$(mktemp -d /var/tmp/qemu-vmm-linux-boot.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

"$here/make-guest-initramfs" "$scratch/guest.cpio.gz"
kernel=$("$here/make-guest-initramfs" --print-kernel)
cd "$here/../.."
exec "$here/emulated-host" --timeout 1200 --scratch "$scratch" -- \
    sh "$here/linux-boot-inner.sh" "$vmm" "$kernel" "$scratch/guest.cpio.gz"
