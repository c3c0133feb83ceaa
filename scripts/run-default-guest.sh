#!/bin/sh
# `make run`: boot a real Linux guest (Debian's kernel, a busybox initramfs)
# under qemu-vmm to a shell prompt.  Where /dev/kvm is hardware-backed
# (kvm_intel or kvm_amd) it boots directly; elsewhere (e.g. a software KVM
# such as kvm_pvm, which cannot run a guest kernel's interrupts) it boots
# inside an emulated host (tests/functional/emulated-host).  On a terminal
# the shell is interactive (leave it with `exit`, or Ctrl-A x); without one
# qemu-vmm stops once the prompt appears (--expect).
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kernel=$(tests/functional/make-guest-initramfs --print-kernel)
initrd=$build/guest-shell.cpio.gz
[ -f "$initrd" ] || tests/functional/make-guest-initramfs --shell "$initrd" >/dev/null
append="console=ttyS0 reboot=t panic=-1 quiet pci=noearly initcall_blacklist=cmos_init"
set -- "$build/qemu-vmm" -m 512M -smp 2 -no-reboot -kernel "$kernel" -initrd "$initrd" \
    -append "$append"
if [ -t 0 ]; then
    interactive=yes
else
    interactive=no
    set -- "$@" --expect '/ # ' --expect-timeout 600
fi

if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
    echo "make run: booting $kernel under qemu-vmm on this host's KVM"
    exec "$@"
fi
module=$(ls -d /sys/module/kvm_* 2>/dev/null | head -1 | xargs -r basename)
echo "make run: /dev/kvm is not hardware-backed here (${module:-no kvm module}):" \
     "booting inside an emulated host (QEMU TCG with nested SVM), about 30 s"
# L1 sees the host's root, but /tmp and /run are its own: run a copy of the
# binary and initramfs from a scratch directory, which L1 sees as it is.
scratch=$(mktemp -d /var/tmp/qemu-vmm-run.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp "$build/qemu-vmm" "$initrd" "$scratch/"
shift
set -- "$scratch/qemu-vmm" "$@"
for a; do
    shift
    [ "$a" = "$initrd" ] && a="$scratch/$(basename "$initrd")"
    set -- "$@" "$a"
done
cd /
if [ $interactive = yes ]; then
    "$top/tests/functional/emulated-host" --interactive --timeout 86400 \
        --scratch "$scratch" -- "$@"
else
    "$top/tests/functional/emulated-host" --timeout 900 --scratch "$scratch" -- "$@"
fi
