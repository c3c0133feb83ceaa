#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Migration tests on the local /dev/kvm, driven over QMP.

Usage: migration_cases.py QEMU_VMM GUEST_DIR CASE
The guest (migrate.elf) rewrites and checks a memory range at CPL3 the
whole time; it passes (qemu-vmm exit 1) only if every page it finds holds
what it last wrote, wherever it runs.
"""
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from qmpclient import QMP               # noqa: E402

VMM, GUESTS, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
GUEST_ARGS = ["-m", "256M", "-kernel", os.path.join(GUESTS, "migrate.elf")]
# long enough to migrate mid-run (a pass over 64 MiB takes ~20 ms natively)
APPEND = "mib=64 passes=%d spin=2000"


def fail(msg, *procs):
    print("FAIL:", msg)
    for p in procs:
        if p.poll() is None:
            p.kill()
        out, err = p.communicate()
        print("--- stdout ---\n" + (out or "")[-2000:])
        print("--- stderr ---\n" + stderr_of(p, err)[-2000:])
    sys.exit(1)


def start(tmp, name, extra, passes):
    qmp = os.path.join(tmp, name + ".qmp")
    # stderr to a file: a chatty -d log must never fill a pipe and block
    err = open(os.path.join(tmp, name + ".err"), "w+")
    p = subprocess.Popen([VMM] + GUEST_ARGS + ["-append", APPEND % passes,
                          "-qmp", "unix:%s,server=on,wait=off" % qmp] + extra,
                         stdout=subprocess.PIPE, stderr=err, text=True)
    p.errfile = err
    return p, qmp


def stderr_of(p, err):
    if getattr(p, "errfile", None) is None:
        return err or ""
    p.errfile.seek(0)
    return p.errfile.read()


def wait_migration(q, want=("completed",), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = q.cmd("query-migrate")["return"]
        if r.get("status") in want:
            return r
        if r.get("status") in ("failed", "cancelled") and r["status"] not in want:
            return r
        time.sleep(0.05)
    return {"status": "timeout"}


def finish(p, expect_rc, what, timeout=60, *others):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(what + ": did not finish", p, *others)
    err = stderr_of(p, err)
    if p.returncode != expect_rc:
        print(out[-2000:], err[-2000:])
        fail(f"{what}: exit code {p.returncode}, expected {expect_rc}", *others)
    return out, err


def live_migration(uri_fn, src_extra=(), dst_extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        uri = uri_fn(tmp)
        dst, dst_qmp = start(tmp, "dst", ["-incoming", uri] + list(dst_extra), 600)
        src, src_qmp = start(tmp, "src", list(src_extra), 600)
        qs = QMP(src_qmp)
        qd = QMP(dst_qmp)
        if qd.cmd("query-status")["return"]["status"] != "inmigrate":
            fail("destination is not in state inmigrate", src, dst)
        time.sleep(0.3)
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 10 << 30, "downtime-limit": 100})
        r = qs.cmd("migrate", uri=uri)
        if "error" in r:
            fail("migrate: " + json.dumps(r), src, dst)
        info = wait_migration(qs)
        if info["status"] != "completed":
            fail("migration ended " + json.dumps(info), src, dst)
        for key in ("total-time", "downtime", "ram"):
            if key not in info:
                fail(f"query-migrate lacks {key}: {json.dumps(info)}", src, dst)
        if qs.cmd("query-status")["return"]["status"] != "postmigrate":
            fail("source is not in state postmigrate", src, dst)
        print("migrated:", json.dumps(info))
        out, err = finish(dst, 1, "destination", 120, src)
        qs.cmd("quit")
        _, src_err = finish(src, 0, "source after quit")
        return out, err, src_err


def live_migration_passes(uri_fn, src_extra=(), dst_extra=()):
    out, err, src_err = live_migration(uri_fn, src_extra, dst_extra)
    if "PASS" not in out:
        fail("destination guest did not pass: " + out[-500:] + err[-500:])
    return src_err


def case_unix():
    live_migration_passes(lambda tmp: "unix:" + os.path.join(tmp, "mig.sock"))


def case_unix_dirty_ring():
    # The source tracks dirty pages with a small ring (1024 entries): the
    # guest fills it many times a pass, so KVM_EXIT_DIRTY_RING_FULL and the
    # reaper are both exercised; the guest's checks find any page the
    # harvest lost.  The destination uses the ring too (it only loads).
    ring = ["-accel", "kvm,dirty-ring-size=1024", "-d", "kvm"]
    src_err = live_migration_passes(lambda tmp: "unix:" + os.path.join(tmp, "mig.sock"),
                                    ring, ring[:2])
    if "dirty ring: 1024 entries" not in src_err:
        fail("the source did not use the dirty ring: " + src_err[-500:])
    if "dirty ring full" not in src_err:
        fail("the source's ring never filled: the test lost its point")


def case_tcp():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    live_migration_passes(lambda tmp: "tcp:127.0.0.1:%d" % port)


def snapshot(tmp, passes=300):
    """Run the guest, snapshot it to a file, quit; returns the file path."""
    path = os.path.join(tmp, "snap")
    src, src_qmp = start(tmp, "src", [], passes)
    qs = QMP(src_qmp)
    time.sleep(0.2)
    # a snapshot of a stopped VM: the guest is mid-run, whatever the load
    qs.cmd("stop")
    r = qs.cmd("migrate", uri="file:" + path)
    if "error" in r:
        fail("migrate to file: " + json.dumps(r), src)
    info = wait_migration(qs)
    if info["status"] != "completed":
        fail("snapshot ended " + json.dumps(info), src)
    qs.cmd("quit")
    finish(src, 0, "snapshot source")
    return path


def restore(path, expect_rc):
    p = subprocess.Popen([VMM] + GUEST_ARGS + ["-append", APPEND % 300, "-incoming",
                         "file:" + path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    return finish(p, expect_rc, "restore", 120)


def case_snapshot_restore():
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot(tmp)
        out, err = restore(path, 1)
        if "PASS" not in out:
            fail("restored guest did not pass: " + out[-500:] + err[-500:])


def records(data):
    """Split a stream into (header, [(type, raw record bytes)])."""
    pos, recs = 16, []
    while pos < len(data):
        t = int.from_bytes(data[pos:pos + 4], "little")
        n = int.from_bytes(data[pos + 4:pos + 8], "little")
        recs.append((t, data[pos:pos + 12 + n]))
        pos += 12 + n
    return data[:16], recs


def expect_refused(path, pattern):
    out, err = restore(path, 1)
    if pattern not in err:
        fail(f"destination did not say '{pattern}': {err[-800:]}")
    if "PASS" in out or "pass " in out:
        fail("the guest ran from a bad stream: " + out[-300:])


def case_corrupt_stream():
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot(tmp)
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0x40
        open(path, "wb").write(data)
        expect_refused(path, "checksum mismatch")


def case_truncated_stream():
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot(tmp)
        data = open(path, "rb").read()
        open(path, "wb").write(data[:len(data) - 100])
        expect_refused(path, "ended early")


def case_reordered_stream():
    with tempfile.TemporaryDirectory() as tmp:
        path = snapshot(tmp)
        hdr, recs = records(open(path, "rb").read())
        # the END record moved before the state records
        end = [r for r in recs if r[0] == 4]
        rest = [r for r in recs if r[0] != 4]
        states = [i for i, r in enumerate(rest) if r[0] == 3]
        if not end or not states:
            fail("snapshot has no END or STATE records")
        rest.insert(states[0], end[0])
        open(path, "wb").write(hdr + b"".join(r[1] for r in rest))
        expect_refused(path, "state sections")
        # and a stream that starts with RAM pages instead of the layout
        recs[0], recs[1] = recs[1], recs[0]
        open(path, "wb").write(hdr + b"".join(r[1] for r in recs))
        expect_refused(path, "out of order")


def case_killed_destination():
    with tempfile.TemporaryDirectory() as tmp:
        uri = "unix:" + os.path.join(tmp, "mig.sock")
        dst, dst_qmp = start(tmp, "dst", ["-incoming", uri], 600)
        src, src_qmp = start(tmp, "src", [], 600)
        qs = QMP(src_qmp)
        QMP(dst_qmp).close()
        time.sleep(0.2)
        # slow enough to be mid-stream when the destination dies
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 20 << 20})
        qs.cmd("migrate", uri=uri)
        time.sleep(0.5)
        dst.send_signal(signal.SIGKILL)
        dst.communicate()
        info = wait_migration(qs, want=("failed",))
        if info["status"] != "failed":
            fail("source did not notice the dead destination: " + json.dumps(info), src)
        if qs.cmd("query-status")["return"]["status"] != "running":
            fail("source did not resume", src)
        out, err = finish(src, 1, "source guest", 120)
        if "PASS" not in out:
            fail("source guest did not pass after the failed migration: " + out[-500:])


def wait_output(p, text, timeout=60):
    """Read p's stdout until text appears (what was read is not kept)."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
            fail(f"no {text!r} on the guest's console", p)
        chunk = os.read(p.stdout.fileno(), 4096).decode(errors="replace")
        if not chunk:
            fail(f"the guest ended before {text!r}", p)
        seen = seen[-len(text):] + chunk


def cancel_migration(stall_destination):
    """migrate_cancel during a migration leaves the source running with its
    guest intact, and the destination refuses to start.  With
    stall_destination the destination stops reading (SIGSTOP) first, so the
    source's send() blocks on a full socket: cancel must still end it."""
    with tempfile.TemporaryDirectory() as tmp:
        uri = "unix:" + os.path.join(tmp, "mig.sock")
        dst, dst_qmp = start(tmp, "dst", ["-incoming", uri], 600)
        src, src_qmp = start(tmp, "src", [], 600)
        qs = QMP(src_qmp)
        QMP(dst_qmp).close()
        # the guest has written its 64 MiB: there is something to send
        wait_output(src, "migrate: pass 10")
        # 20 MiB/s: still running when cancelled; a stalled destination's
        # socket buffers (8 MiB) are full within a second
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 20 << 20})
        qs.cmd("migrate", uri=uri)
        if stall_destination:
            time.sleep(0.2)
            os.kill(dst.pid, signal.SIGSTOP)
            time.sleep(1.5)
            if qs.cmd("query-migrate")["return"].get("status") != "active":
                fail("the migration is not blocked on the destination: "
                     + json.dumps(qs.cmd("query-migrate")["return"]), src, dst)
        else:
            time.sleep(0.3)
        qs.cmd("migrate_cancel")
        info = wait_migration(qs, want=("cancelled", "failed"),
                              timeout=10 if stall_destination else 60)
        if info["status"] != "cancelled":
            fail("not cancelled: " + json.dumps(info), src, dst)
        if qs.cmd("query-status")["return"]["status"] != "running":
            fail("source did not resume after cancel", src, dst)
        out, err = finish(src, 1, "source guest", 120, dst)
        if "PASS" not in out:
            fail("source guest did not pass after cancel: " + out[-500:])
        if stall_destination:
            os.kill(dst.pid, signal.SIGCONT)
        # the destination never got a complete stream: it refuses to run
        finish(dst, 1, "destination after cancel", 30)


def case_cancel():
    cancel_migration(False)


def case_cancel_stalled_destination():
    cancel_migration(True)


if __name__ == "__main__":
    fn = globals().get("case_" + CASE.replace("-", "_"))
    if fn is None:
        print("unknown case", CASE)
        sys.exit(2)
    fn()
    print("ok", CASE)
