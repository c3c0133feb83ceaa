#!/bin/sh
# Live migration of a Linux guest between qemu-vmm processes in the
# emulated L1 host (tests/functional/README.md).  The guest counts once a
# second on its console and in a file of an ext4 disk, while a second loop
# keeps writing files of known content to the disk; it is migrated over a
# unix socket in the middle of that (vm0 -> vm1), and again when it only
# sleeps between counts (vm1 -> vm2).  It must go on counting on each
# destination (no restart, timers alive: `sleep 1` returns) and leave a
# consistent file system, checked here afterwards.
# Usage: migration-linux.sh QEMU_VMM
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kernel=$("$here/build-small-kernel")
dir=$(mktemp -d /var/tmp/qemu-vmm-migration-linux.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$1" "$dir/qemu-vmm"
cp "$kernel" "$dir/bzImage"
COUNT=36 IDLE_FROM=10
mkfs.ext4 -q -F "$dir/disk.img" 32M
cat >"$dir/guest.sh" <<GUEST
mkdir -p /mnt && mount -t ext4 /dev/vda /mnt || exit 11
# the disk writer: file k holds "block k" lines, 64 KiB, then a sync
( k=0; while [ ! -e /tmp/stop ]; do k=\$((k + 1)); yes "block \$k" | head -c 65536 >/mnt/d\$k
  sync; done; echo "writer: \$k files" ) &
i=1
while [ \$i -le $COUNT ]; do
    # from here on the guest is idle between counts: only its timer wakes it
    [ \$i -eq $IDLE_FROM ] && { touch /tmp/stop; wait; sync; }
    echo "count \$i \$(cat /proc/uptime)"
    echo "\$i" >>/mnt/counter.txt
    sleep 1
    i=\$((i + 1))
done
sync; umount /mnt || exit 12
echo "counted to $COUNT"
GUEST
"$here/make-guest-initramfs" --script "$dir/guest.sh" "$dir/guest.cpio.gz"
cd /
out=$("$here/emulated-host" --timeout 900 --scratch "$dir" -- \
    python3 "$here/migration-linux-inner.py" "$dir" $IDLE_FROM 2>&1) || {
    echo "$out"; echo "FAIL: qemu-vmm or the harness failed"; exit 1; }
echo "$out" | grep -v '^\['
fail=0
# the consoles in order: every count once, none missing, and counts on each VM
counts=$(echo "$out" | sed -n 's/^vm[0-9]: count \([0-9]*\) .*/\1/p' | tr '\n' ' ')
want=$(seq 1 $COUNT | tr '\n' ' ')
[ "$counts" = "$want" ] || { echo "FAIL: counts '$counts', expected '$want'"; fail=1; }
for n in 0 1 2; do
    echo "$out" | grep -q "^vm$n: count [0-9]" || { echo "FAIL: vm$n never counted"; fail=1; }
done
echo "$out" | grep -q "^vm[12]: .*init started" && { echo "FAIL: the guest restarted"; fail=1; }
echo "$out" | grep -q "^vm2: counted to $COUNT" || { echo "FAIL: no end on vm2"; fail=1; }
echo "$out" | grep -q "^vm2: qemu-vmm-guest: exit status 0" ||
    { echo "FAIL: the guest's commands failed"; fail=1; }
# the disk: a clean file system, every counter line, every file whole
e2fsck -fn "$dir/disk.img" >"$dir/fsck.txt" 2>&1 ||
    { cat "$dir/fsck.txt"; echo "FAIL: e2fsck found errors"; fail=1; }
mkdir "$dir/fs"
debugfs -R "rdump / $dir/fs" "$dir/disk.img" >/dev/null 2>&1 || true
[ "$(tr '\n' ' ' <"$dir/fs/counter.txt" 2>/dev/null)" = "$want" ] ||
    { echo "FAIL: counter.txt holds '$(tr '\n' ' ' <"$dir/fs/counter.txt")'"; fail=1; }
nfiles=0
for f in "$dir"/fs/d*; do
    k=${f##*/d}
    yes "block $k" | head -c 65536 | cmp -s - "$f" || { echo "FAIL: d$k is corrupt"; fail=1; }
    nfiles=$((nfiles + 1))
done
echo "$nfiles data files checked"
[ $nfiles -ge 2 ] || { echo "FAIL: the writer wrote $nfiles files"; fail=1; }
[ $fail -eq 0 ] && echo "PASS"
exit $fail
