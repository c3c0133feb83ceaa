#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs inside the emulated L1 host (see bench/boot-time): boots the same
kernel and initramfs under qemu-vmm and under QEMU 7.2 (-M microvm), several
times each, alternating, and prints one JSON line of measurements.

Per run: wall time from launch to the guest's first init line, and the
VMM's resident memory at that moment minus the resident part of the guest
RAM mapping (the largest anonymous mapping, of the size of -m)."""
import json
import os
import subprocess
import sys
import time

VMM, KERNEL, INITRD, RUNS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
MEM_MIB = 256
APPEND = "console=ttyS0 reboot=t panic=-1 quiet pci=noearly initcall_blacklist=cmos_init"
MARKER = b"qemu-vmm-guest: init started"

COMMANDS = {
    "qemu-vmm": [VMM, "-m", f"{MEM_MIB}M", "-smp", "1", "-no-reboot", "-kernel", KERNEL,
                 "-initrd", INITRD, "-append", APPEND, "-serial", "stdio"],
    "qemu": ["qemu-system-x86_64", "-M", "microvm,accel=kvm", "-cpu", "host",
             "-m", f"{MEM_MIB}M", "-smp", "1", "-nodefaults", "-no-user-config",
             "-nographic", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL,
             "-initrd", INITRD, "-append", APPEND],
}


def rss_without_guest_ram(pid):
    """kB resident, less the resident part of the guest RAM mapping."""
    total, ram, size, anon = 0, 0, 0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not line[0].isupper() or not parts[0].endswith(":"):
                # a mapping header: "start-end perms offset dev inode [path]"
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                size = (hi - lo) // 1024
                anon = len(parts) < 6
            elif parts[0] == "Rss:":
                kb = int(parts[1])
                total += kb
                if anon and size == MEM_MIB * 1024:
                    ram += kb
    return total - ram


def one_run(name):
    t0 = time.monotonic()
    p = subprocess.Popen(COMMANDS[name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    buf = b""
    try:
        while MARKER not in buf:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{name} exited before the init line: {buf[-500:]!r}")
            buf += chunk
            if time.monotonic() - t0 > 300:
                raise RuntimeError(f"{name}: no init line in 300 s")
        took = time.monotonic() - t0
        rss = rss_without_guest_ram(p.pid)
    finally:
        p.kill()
        p.wait()
    return took, rss


results = {name: {"boot_s": [], "rss_kb": []} for name in COMMANDS}
for i in range(RUNS):
    for name in ("qemu-vmm", "qemu") if i % 2 == 0 else ("qemu", "qemu-vmm"):
        took, rss = one_run(name)
        results[name]["boot_s"].append(took)
        results[name]["rss_kb"].append(rss)
        print(f"run {i + 1}: {name:9s} {took:6.2f} s  {rss / 1024:6.1f} MiB", file=sys.stderr)
print(json.dumps(results))
