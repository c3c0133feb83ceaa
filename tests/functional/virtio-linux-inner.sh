#!/bin/sh
# Inside the emulated L1 host: Linux's own virtio drivers on qemu-vmm.
# Usage: virtio-linux-inner.sh DIR (qemu-vmm, bzImage, guest.cpio.gz, disk.img,
# virtio-linux-driver.py in DIR)
#
# Three virtio-net devices on three taps: net1 through vhost-net, net2 on
# the userspace datapath, both with checksum/TSO offloads (vnet header);
# net3 without a vnet header (no offloads).  The guest's console is on a
# unix socket, where virtio-linux-driver.py drives its shell; QMP on
# another, for a migration to a file in the middle.
set -u
cd "$1"
for n in 1 2 3; do
    ip tuntap add dev vt$n mode tap && ip addr add 10.0.$n.1/24 dev vt$n &&
        ip link set vt$n up || { echo "FAIL: cannot set up tap vt$n"; exit 1; }
    echo 1 >/proc/sys/net/ipv6/conf/vt$n/disable_ipv6   # no IPv6 noise in the counters
done
[ -c /dev/vhost-net ] || { echo "FAIL: no /dev/vhost-net in L1"; exit 1; }
net=""
for n in 1 2 3; do
    case $n in 1) o=vhost=on ;; 2) o=vhost=off ;; 3) o=vhost=off,vnet_hdr=off ;; esac
    net="$net -netdev tap,id=n$n,ifname=vt$n,script=no,$o"
    net="$net -device virtio-net-device,netdev=n$n,mac=52:54:00:00:00:0$n"
done
# shellcheck disable=SC2086
timeout 300 ./qemu-vmm -M microvm,acpi=off -m 256M -smp 2 -no-reboot -kernel bzImage -initrd guest.cpio.gz \
    -drive file=disk.img,if=virtio,format=raw -device virtio-rng-device $net \
    -chardev socket,id=c0,path=/tmp/hvc0.sock,server=on,wait=off \
    -device virtio-serial-device -device virtconsole,chardev=c0 \
    -qmp unix:/tmp/qmp.sock,server=on,wait=off \
    -append "console=ttyS0 reboot=t panic=-1 quiet" >out.raw 2>&1 &
vmm=$!
# biggest transfer first: the driver cuts its test file down for the next
timeout 280 /usr/bin/python3 ./virtio-linux-driver.py /tmp/hvc0.sock /tmp/qmp.sock \
    1:vt1:2097152:1 2:vt2:1048576:1 3:vt3:524288:0
wait $vmm
rc=$?
tr -d '\r' <out.raw
exit $rc
