#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Migration of virtio devices on the local /dev/kvm, driven over QMP.

Usage: virtio_cases.py QEMU_VMM GUEST_DIR CASE
The guest (virtio-blk.elf with rounds=N) drives a virtio-blk disk by
polling: each round reads back what the previous round wrote and writes
new data, so a request lost, done twice or answered from stale state by
the migration fails it.  Both ends open the same image file.

  virtio-blk       migrated mid-run over unix, with a virtio-rng and a
                   virtio-console the guest has used: the destination
                   finishes the rounds (the guest passes, qemu-vmm exit 1)
                   and the image holds the last round's data.
  virtio-mismatch  destinations with another disk size, without the disk,
                   with one device more: each refuses the stream, saying
                   why, and the source keeps running its guest.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
from qmpclient import QMP               # noqa: E402

VMM, GUESTS, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
ROUND_FIRST, ROUND_BYTES = 64 * 512, 2 * 512


def fail(msg, *procs):
    print("FAIL:", msg)
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    sys.exit(1)


class VM:
    """A qemu-vmm running the guest; its output goes to a file."""

    def __init__(self, tmp, name, drives, extra, rounds, params=""):
        self.log = os.path.join(tmp, name + ".log")
        qmp = os.path.join(tmp, name + ".qmp")
        args = [VMM, "-m", "64M", "-kernel", os.path.join(GUESTS, "virtio-blk.elf"),
                "-append", "rounds=%d %s" % (rounds, params),
                "-qmp", "unix:%s,server=on,wait=off" % qmp]
        for d in drives:
            args += ["-drive", "file=%s,if=virtio,format=raw" % d]
        with open(self.log, "wb") as out:
            self.p = subprocess.Popen(args + extra, stdout=out, stderr=subprocess.STDOUT)
        self.qmp = QMP(qmp)

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_output(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline or self.p.poll() is not None:
                fail("no '%s' in %s: %s" % (text, self.log, self.output()[-800:]), self.p)
            time.sleep(0.02)

    def finish(self, want_rc, timeout=60):
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            fail("%s did not finish: %s" % (self.log, self.output()[-800:]), self.p)
        if rc != want_rc:
            fail("%s: exit code %d, expected %d: %s" % (self.log, rc, want_rc,
                                                         self.output()[-800:]))
        return self.output()


def migrate(src, uri):
    src.qmp.cmd("migrate-set-parameters", **{"max-bandwidth": 10 << 30})
    r = src.qmp.cmd("migrate", uri=uri)
    if "error" in r:
        fail("migrate: " + json.dumps(r), src.p)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = src.qmp.cmd("query-migrate")["return"]
        if info.get("status") in ("completed", "failed", "cancelled"):
            return info
        time.sleep(0.02)
    fail("the migration did not end", src.p)


def round_pattern(r):
    return bytes((r * 7 + o * 13 + (o >> 8)) & 0xff for o in range(ROUND_BYTES))


def image(tmp, name, size):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def case_virtio_blk():
    rounds = 4000
    with tempfile.TemporaryDirectory() as tmp:
        img, uri = image(tmp, "disk.img", 1 << 20), "unix:" + os.path.join(tmp, "mig.sock")
        # an rng and a console in use too: their state goes along
        more = ["-device", "virtio-rng-device", "-chardev", "null,id=c0",
                "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0"]
        dst = VM(tmp, "dst", [img], ["-incoming", uri] + more, rounds)
        src = VM(tmp, "src", [img], more, rounds, "rng=1 console=1")
        src.wait_output("virtio-blk: round 500\n")
        info = migrate(src, uri)
        if info["status"] != "completed":
            fail("migration ended " + json.dumps(info), src.p, dst.p)
        print("migrated:", json.dumps(info))
        if src.qmp.cmd("query-status")["return"]["status"] != "postmigrate":
            fail("source is not in state postmigrate", src.p, dst.p)
        out = dst.finish(1, 120)
        src.qmp.cmd("quit")
        src.finish(0)
        if "virtio-blk: %d rounds" % rounds not in out or "PASS" not in out:
            fail("the destination's guest did not pass: " + out[-800:])
        if "virtio: slot" in out:
            fail("the guest started again on the destination: " + out[-800:])
        if "%d rounds" % rounds in src.output():
            fail("the source's guest ran to the end too")
        with open(img, "rb") as f:
            f.seek(ROUND_FIRST)
            if f.read(ROUND_BYTES) != round_pattern(rounds):
                fail("the image does not hold the last round's data")


def refused(tmp, src, uri, drives, extra, message):
    dst = VM(tmp, "dst", drives, ["-incoming", uri] + extra, 1)
    info = migrate(src, uri)
    out = dst.finish(1, 30)
    if info["status"] != "failed":
        fail("migration to a mismatched destination ended " + json.dumps(info), src.p)
    if message not in out or "will not run" not in out:
        fail("the destination did not say '%s': %s" % (message, out[-800:]), src.p)
    if src.qmp.cmd("query-status")["return"]["status"] != "running":
        fail("the source did not resume", src.p)
    print("refused:", [line for line in out.splitlines() if "migration" in line])


def case_virtio_mismatch():
    with tempfile.TemporaryDirectory() as tmp:
        img, uri = image(tmp, "disk.img", 1 << 20), "unix:" + os.path.join(tmp, "mig.sock")
        other = image(tmp, "other.img", 2 << 20)
        src = VM(tmp, "src", [img], [], 1000000)
        src.wait_output("virtio-blk: round 25\n")
        refused(tmp, src, uri, [other], [], "sectors")
        refused(tmp, src, uri, [], [], "unknown state section 'virtio-mmio' 0")
        refused(tmp, src, uri, [img], ["-device", "virtio-rng-device"],
                "no state for 'virtio-mmio' 1")
        # the source's guest still runs, on its disk
        n = src.output().count("virtio-blk: round")
        src.wait_output("virtio-blk: round %d\n" % ((n + 2) * 25))
        src.qmp.cmd("quit")
        src.finish(0)


if __name__ == "__main__":
    fn = globals().get("case_" + CASE.replace("-", "_"))
    if fn is None:
        print("unknown case", CASE)
        sys.exit(2)
    fn()
    print("ok", CASE)
