#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Inside the emulated L1 host: migrate a counting Linux guest.

Usage: migration-linux-inner.py DIR  (qemu-vmm, bzImage, guest.cpio.gz,
disk.img in DIR).  A destination waits on a unix socket in /tmp (9p holds
no sockets); the source boots the guest, which counts; once it has counted
to 3 it is migrated (the guest is writing to the disk the whole time), the
source quits, and the destination runs the guest to its end.  Prints both
consoles, prefixed "src: " and "dst: ", for migration-linux.sh to check.
"""
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "migration"))
from qmpclient import QMP               # noqa: E402

DIR = sys.argv[1]
VM = [DIR + "/qemu-vmm", "-m", "128M", "-smp", "2", "-no-reboot",
      "-kernel", DIR + "/bzImage", "-initrd", DIR + "/guest.cpio.gz",
      "-drive", "file=%s/disk.img,if=virtio,format=raw" % DIR,
      "-append", "console=ttyS0 reboot=t panic=-1 quiet"]
MIG = "unix:/tmp/mig.sock"


def start(name, extra):
    log = open("/tmp/%s.log" % name, "wb")
    return subprocess.Popen(VM + ["-qmp", "unix:/tmp/%s.qmp,server=on,wait=off" % name] +
                            extra, stdout=log, stderr=subprocess.STDOUT)


def console(name):
    with open("/tmp/%s.log" % name, "rb") as f:
        return f.read().decode(errors="replace").replace("\r", "")


def wait_for(what, cond, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if cond():
            return True
        time.sleep(0.2)
    print("timed out waiting for " + what)
    return False


def main():
    t0 = time.monotonic()
    dst = start("dst", ["-incoming", MIG])
    src = start("src", [])
    qs, qd = QMP("/tmp/src.qmp", 60), QMP("/tmp/dst.qmp", 60)
    ok = wait_for("count 3 on the source", lambda: "count 3 " in console("src"), 300, src)
    if ok:
        print("migrating after %.1f s" % (time.monotonic() - t0))
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
        print("migrate:", qs.cmd("migrate", uri=MIG))
        ok = wait_for("the migration",
                      lambda: qs.cmd("query-migrate")["return"].get("status")
                      in ("completed", "failed", "cancelled"), 300, src)
        r = qs.cmd("query-migrate")["return"]
        print("query-migrate:", json.dumps(r))
        ok = ok and r.get("status") == "completed"
        print("source status:", qs.cmd("query-status")["return"]["status"])
        print("destination status:", qd.cmd("query-status")["return"]["status"])
        qs.cmd("quit")
    try:
        src.wait(timeout=30)
        rc = dst.wait(timeout=300 if ok else 5)
    except subprocess.TimeoutExpired:
        print("the destination did not finish")
        rc = -1
    for p in (src, dst):
        if p.poll() is None:
            p.kill()
            p.wait()
    print("source exit code %s, destination exit code %s, after %.1f s" %
          (src.returncode, rc, time.monotonic() - t0))
    for name in ("src", "dst"):
        for line in console(name).splitlines():
            print("%s: %s" % (name, line))
    return 0 if ok and rc == 0 else 1


sys.exit(main())
