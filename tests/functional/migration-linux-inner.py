#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Inside the emulated L1 host: migrate a counting Linux guest, twice.

Usage: migration-linux-inner.py DIR IDLE_FROM  (qemu-vmm, bzImage,
guest.cpio.gz, disk.img in DIR).  The source ("vm0") boots the guest,
which counts; after count 3, while the guest also writes to its disk, it is
migrated to vm1; once vm1 has counted twice and the guest only sleeps
between counts (from count IDLE_FROM on; a lost timer would leave it
asleep for good), vm1 is migrated to vm2, which runs the guest to its end.  Destinations wait on unix sockets in /tmp (9p holds no
sockets); each source quits once its migration has completed.  Prints every
console, its lines prefixed "vmN: ", for migration-linux.sh to check.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "migration"))
from qmpclient import QMP               # noqa: E402

DIR = sys.argv[1]
# acpi=off: the small kernel has no ACPI and finds its virtio devices on the
# command line, which the machine fills in only without ACPI tables
VM = [DIR + "/qemu-vmm", "-M", "microvm,acpi=off", "-m", "128M", "-smp", "2", "-no-reboot",
      "-kernel", DIR + "/bzImage", "-initrd", DIR + "/guest.cpio.gz",
      "-drive", "file=%s/disk.img,if=virtio,format=raw" % DIR,
      "-append", "console=ttyS0 reboot=t panic=-1 quiet"]
IDLE_FROM = int(sys.argv[2])     # the guest's first count without disk writes
# migrate vm N to vm N+1 once vm N's console shows this: vm0 early, while
# the guest writes; vm1 once it has counted twice, and not before the guest
# is idle
MIGRATE_AT = [lambda: "count 3 ",
              lambda: "count %d " % max(IDLE_FROM + 1, last_count(1) + 2)]


def start(n, extra):
    name = "vm%d" % n
    log = open("/tmp/%s.log" % name, "wb")
    p = subprocess.Popen(VM + ["-qmp", "unix:/tmp/%s.qmp,server=on,wait=off" % name] +
                         extra, stdout=log, stderr=subprocess.STDOUT)
    return p, QMP("/tmp/%s.qmp" % name, 60)


def console(n):
    with open("/tmp/vm%d.log" % n, "rb") as f:
        return f.read().decode(errors="replace").replace("\r", "")


def wait_for(what, cond, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if cond():
            return True
        time.sleep(0.2)
    print("gave up waiting for " + what)
    return False


def migrate(t0, n, src, qs, at):
    """vm n -> vm n+1 once at() is on vm n's console; returns vm n+1 or None."""
    uri, text = "unix:/tmp/mig%d.sock" % (n + 1), at()
    if not wait_for("'%s' on vm%d" % (text, n), lambda: text in console(n), 300, src):
        return None
    dst, qd = start(n + 1, ["-incoming", uri])
    print("vm%d -> vm%d at '%s' after %.1f s" % (n, n + 1, text, time.monotonic() - t0))
    try:
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
        print("migrate:", qs.cmd("migrate", uri=uri))
        wait_for("the migration", lambda: qs.cmd("query-migrate")["return"].get("status")
                 in ("completed", "failed", "cancelled"), 300, src)
        r = qs.cmd("query-migrate")["return"]
        print("query-migrate:", json.dumps(r))
        print("vm%d: %s, vm%d: %s" % (n, qs.cmd("query-status")["return"]["status"], n + 1,
                                      qd.cmd("query-status")["return"]["status"]))
        qs.cmd("quit")
        src.wait(timeout=30)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        print("vm%d: QMP failed (%r), exit code %s" % (n, e, src.poll()))
        r = {}
    if r.get("status") != "completed":
        dst.kill()
        dst.wait()
        return None
    return dst, qd


def last_count(n):
    counts = re.findall(r"^count (\d+) ", console(n), re.M)
    return int(counts[-1]) if counts else 0


def main():
    t0 = time.monotonic()
    vms = [start(0, [])]
    for n, at in enumerate(MIGRATE_AT):
        nxt = migrate(t0, n, vms[n][0], vms[n][1], at)
        if not nxt:
            break
        vms.append(nxt)
    last = vms[-1][0]
    try:
        rc = last.wait(timeout=120 if len(vms) > len(MIGRATE_AT) else 5)
    except subprocess.TimeoutExpired:
        print("vm%d did not finish" % (len(vms) - 1))
        rc = -1
    for p, _ in vms:
        if p.poll() is None:
            p.kill()
            p.wait()
    print("exit codes %s after %.1f s" % ([p.returncode for p, _ in vms],
                                          time.monotonic() - t0))
    for n in range(len(vms)):
        for line in console(n).splitlines():
            print("vm%d: %s" % (n, line))
    return 0 if len(vms) > len(MIGRATE_AT) and rc == 0 else 1


sys.exit(main())
