#!/bin/sh
# Linux boot tests of qemu-vmm: they need a complete KVM, so they run inside
# the emulated L1 host (tests/functional/emulated-host).
# Usage: linux-boot.sh QEMU_VMM
#
# What L1 runs is copied into the scratch directory, which L1 sees at the
# same path: the source tree itself may lie where L1 cannot see it (/tmp).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /var/tmp/qemu-vmm-linux-boot.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

cp "$1" "$scratch/qemu-vmm"
cp "$here/linux-boot-inner.sh" "$scratch/"
"$here/make-guest-initramfs" "$scratch/guest.cpio.gz"
kernel=$("$here/make-guest-initramfs" --print-kernel)
cd /
"$here/emulated-host" --timeout 1200 --scratch "$scratch" -- \
    sh "$scratch/linux-boot-inner.sh" "$scratch/qemu-vmm" "$kernel" "$scratch/guest.cpio.gz"
