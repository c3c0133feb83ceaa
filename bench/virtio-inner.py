#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs inside the emulated L1 host (see bench/virtio): boots the benchmark
guest under qemu-vmm, QEMU 7.2 and qemu-vmm without ioeventfds, alternating,
and prints one JSON line: {vmm: [{measure: value, ...} per boot]}.

  virtio-inner.py DIR RUNTIME ROUNDS     (DIR: qemu-vmm, bzImage,
                                          guest.cpio.gz, tools.img)"""
import json
import os
import re
import shutil
import subprocess
import sys

DIR, RUNTIME, ROUNDS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
APPEND = f"console=ttyS0 reboot=t panic=-1 quiet bench.runtime={RUNTIME}"


def disks(drive_opts):
    """-drive/-device pairs for the data and tools images, by serial."""
    out = []
    for name, path, extra in (("data", "/tmp/data.img", ""),
                              ("tools", "/tmp/tools.img", ",readonly=on")):
        out += ["-drive", f"id={name},if=none,file={path},format=raw{extra}{drive_opts}",
                "-device", f"virtio-blk-device,drive={name},serial=bench-{name}"]
    return out


def command(name):
    common = ["-m", "512M", "-smp", "2", "-no-reboot", "-kernel", f"{DIR}/bzImage",
              "-initrd", f"{DIR}/guest.cpio.gz"]
    if name == "qemu":
        return (["qemu-system-x86_64", "-M", "microvm,accel=kvm,acpi=off", "-cpu", "host",
                 "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio"] +
                common + disks("") + ["-append", APPEND])
    vmm = [f"{DIR}/qemu-vmm"] + common + disks("")
    if name.endswith("ioeventfd=off"):
        return vmm + ["-global", "virtio-mmio.ioeventfd=off",
                      "-append", APPEND + " bench.mode=kick"]
    return vmm + ["-append", APPEND]


def one_boot(name):
    p = subprocess.run(command(name), capture_output=True, text=True,
                       timeout=120 + 8 * RUNTIME)
    out = p.stdout.replace("\r", "")
    res = {}
    for key, val in re.findall(r"^bench: (\w+) \w+ (\d+)$", out, re.M):
        res[key] = int(val)
    m = re.search(r"^bench: kicks: \d+ in [\d.]+ s: (\d+)/s$", out, re.M)
    if m:
        res["kicks"] = int(m.group(1))
    sys.stderr.write(f"{name}: {res}\n")
    if "randread32" not in res or "qemu-vmm-guest: exit status 0" not in out:
        sys.stderr.write(out[-3000:] + p.stderr[-2000:])
        sys.exit(f"virtio-inner: {name}: the guest's benchmark failed")
    return res


def main():
    # the images live on L1's tmpfs: the 9p scratch directory would be the bottleneck
    subprocess.run(["dd", "if=/dev/urandom", "of=/tmp/data.img", "bs=1M", "count=64"],
                   check=True, capture_output=True)
    shutil.copy(f"{DIR}/tools.img", "/tmp/tools.img")
    results = {"qemu-vmm": [], "qemu": [], "qemu-vmm ioeventfd=off": []}
    for _ in range(ROUNDS):
        for name in results:
            results[name].append(one_boot(name))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
