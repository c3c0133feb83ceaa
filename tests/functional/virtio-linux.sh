#!/bin/sh
# virtio with a Linux guest's own drivers, in the emulated L1 host: the
# guest mounts an ext4 image made here, reads a known file, writes one and
# syncs, reads /dev/hwrng; afterwards the host reads the new file back.
# Then, on the same boot, L1 drives a shell on the guest's hvc0 (a socket)
# and exchanges pings and up to 2 MiB each way over three virtio-net devices:
# vhost-net, the userspace datapath with offloads, and one without
# (virtio-linux-inner.sh, virtio-linux-driver.py).
# Usage: virtio-linux.sh QEMU_VMM
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kernel=$("$here/build-small-kernel")
dir=$(mktemp -d /var/tmp/qemu-vmm-virtio-linux.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$1" "$dir/qemu-vmm"
cp "$kernel" "$dir/bzImage"
cp "$here/virtio-linux-inner.sh" "$here/virtio-linux-driver.py" "$dir/"
mkdir "$dir/root"
token="known-$$-$(date +%s)"
echo "$token" >"$dir/root/known.txt"
mkfs.ext4 -q -F -d "$dir/root" "$dir/disk.img" 16M
cat >"$dir/guest.sh" <<'GUEST'
mkdir -p /mnt && mount -t ext4 /dev/vda /mnt || exit 11
cat /mnt/known.txt
echo "written-by-guest" >/mnt/new.txt && sync && umount /mnt || exit 12
echo "hwrng: $(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' ')" || exit 13
grep virtio /proc/interrupts
for d in /sys/class/net/eth*; do
    mac=$(cat "$d/address"); n=${mac##*:}; n=${n#0}
    ip addr add "10.0.$n.2/24" dev "${d##*/}" && ip link set "${d##*/}" up || exit 14
done
echo "hvc0: shell started"
sh -i </dev/hvc0 >/dev/hvc0 2>&1 || exit 15
echo "hvc0: shell exited"
GUEST
"$here/make-guest-initramfs" --script "$dir/guest.sh" "$dir/guest.cpio.gz"
cd /
out=$("$here/emulated-host" --timeout 600 --scratch "$dir" -- sh "$dir/virtio-linux-inner.sh" "$dir") || {
    echo "$out"; echo "FAIL: qemu-vmm or the harness failed"; exit 1; }
echo "$out" | grep -v '^\['
fail=0
echo "$out" | grep -qx "$token" || { echo "FAIL: the guest did not read the known file"; fail=1; }
echo "$out" | grep -q "qemu-vmm-guest: exit status 0" || { echo "FAIL: the guest's commands failed"; fail=1; }
echo "$out" | grep -Eq "hwrng: [0-9a-f]{32}" || { echo "FAIL: no bytes from /dev/hwrng"; fail=1; }
echo "$out" | grep -Eq "IO-APIC.*virtio" || { echo "FAIL: no virtio interrupts"; fail=1; }
echo "$out" | grep -q "^FAIL" && { echo "FAIL: the console or network checks failed"; fail=1; }
[ "$(echo "$out" | grep -c "^PASS net")" -eq 24 ] ||
    { echo "FAIL: not all network checks ran"; fail=1; }
echo "$out" | grep -q "^PASS hvc0 shell" || { echo "FAIL: no shell on hvc0"; fail=1; }
echo "$out" | grep -q "^PASS resumed after the migration" || { echo "FAIL: no migration"; fail=1; }
echo "$out" | grep -q "^hvc0: shell exited" || { echo "FAIL: the hvc0 shell did not exit"; fail=1; }
debugfs -R "cat /new.txt" "$dir/disk.img" 2>/dev/null | grep -qx "written-by-guest" ||
    { echo "FAIL: the guest's write is not in the image"; fail=1; }
[ $fail -eq 0 ] && echo "PASS"
exit $fail
