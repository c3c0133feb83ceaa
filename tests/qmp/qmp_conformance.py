#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QMP conformance: one script against QEMU 7.2 and against qemu-vmm.

Usage: qmp_conformance.py QEMU_VMM GUEST_DIR
Exit 0 = both answer in the same shape, 77 = skip (no QEMU or /dev/kvm).

"Same shape" is: the same members and JSON types in greetings and return
values, the same error classes, the same events with the same data
members, and the same run states from query-status.  Values (versions,
thread ids, timestamps, error texts) may differ.  Where QEMU 7.2 answers
differently on purpose it is listed in ALLOWED below.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import QMP, QMPError, VM  # noqa: E402

VMM, GUESTS = sys.argv[1], sys.argv[2]
QEMU = shutil.which("qemu-system-x86_64")
SKIP = 77
KERNEL = os.path.join(GUESTS, "exitbench.elf")
COMMON = ["-S", "-smp", "2", "-name", "conformance", "-kernel", KERNEL,
          "-append", "n=1000000000"]
TARGETS = {
    # on the local software KVM QEMU needs -arch-capabilities (ENVIRONMENT.md)
    "qemu": [QEMU, "-M", "microvm", "-accel", "kvm", "-cpu", "host,-arch-capabilities",
             "-nodefaults", "-nographic"] + COMMON,
    "qemu-vmm": [VMM, "-M", "microvm", "-serial", "none"] + COMMON,
}
# QEMU offers out-of-band execution; qemu-vmm runs commands in order and offers none.
ALLOWED = {("greeting", "greeting.QMP.capabilities[]")}
SETTLE = 0.15   # seconds to wait for events that follow an answer (RESET)


def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


def diff_shapes(a, b, path=""):
    """Differences between two shapes; an empty list matches any list."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}" if path else k
            if k not in a or k not in b:
                out.append(f"{p}: only in {'qemu' if k in a else 'qemu-vmm'}")
            else:
                out += diff_shapes(a[k], b[k], p)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return [] if a == b else [f"{path}[]: one side is empty"]
        return diff_shapes(a[0], b[0], path + "[]")
    return [] if a == b else [f"{path}: {a} vs {b}"]


class Run:
    """Runs the script against one target; records (step, summary) pairs."""

    def __init__(self, name):
        self.name = name
        self.steps = []
        self.vm = VM(TARGETS[name], qmp_count=2)
        self.q = self.vm.qmp(0, negotiate=False)

    def record(self, step, rsp=None, events=(), status=None):
        s = {}
        if rsp is not None:
            if "error" in rsp:
                s["error"] = rsp["error"]["class"]
                s["error-members"] = ",".join(sorted(rsp["error"]))
            else:
                s["return"] = shape(rsp["return"])
            s["members"] = ",".join(sorted(rsp))
        # compared whole, in order: names, data members and types, timestamp
        s["events"] = " ".join(f"{e['event']}{shape(e.get('data'))}{sorted(e)}"
                               f"{shape(e['timestamp'])}" for e in events)
        if status is not None:
            s["status"] = status
        self.steps.append((step, s))

    def events(self, client=None, wait=SETTLE):
        c = client or self.q
        return c.no_event(wait)

    def cmd(self, step, name, args=None, id=None, status=True):
        rsp = self.q.cmd(name, args, id=id)
        evs = self.events()
        st = None
        if status:
            st = self.q.ok("query-status")
        self.record(step, rsp, evs, st)
        return rsp

    def raw(self, step, data):
        rsp = self.q.raw(data)
        self.record(step, rsp, self.events())

    def script(self):
        q = self.q
        self.steps.append(("greeting", {"greeting": shape(q.greeting)}))
        self.record("before negotiation", q.cmd("query-status"))
        self.cmd("qmp_capabilities", "qmp_capabilities")
        self.cmd("qmp_capabilities again", "qmp_capabilities")
        for name in ("query-version", "query-kvm", "query-name", "query-cpus-fast",
                     "query-commands"):
            self.cmd(name, name, id=name)
        names = [c["name"] for c in q.ok("query-commands")]
        self.commands = set(names)
        # run-state transitions and their events
        self.cmd("stop in prelaunch", "stop")
        self.cmd("cont from prelaunch", "cont")
        self.cmd("cont while running", "cont")
        self.cmd("stop", "stop")
        self.cmd("stop while paused", "stop")
        self.cmd("cont", "cont")
        self.cmd("system_reset while running", "system_reset")
        self.cmd("stop before reset", "stop")
        self.cmd("system_reset while paused", "system_reset")
        self.cmd("cont after reset", "cont")
        # errors
        self.raw("JSON parse error", b'{"execute": }\n')
        self.raw("not an object", b'[1, 2]\n')
        self.raw("no execute", b'{"arguments": {}}\n')
        self.raw("execute not a string", b'{"execute": 1}\n')
        self.raw("arguments not an object", b'{"execute": "stop", "arguments": 1}\n')
        self.raw("unexpected member", b'{"execute": "stop", "bogus": 1}\n')
        self.raw("unknown command", b'{"execute": "no-such-command", "id": 5}\n')
        self.raw("unexpected argument", b'{"execute": "cont", "arguments": {"x": 1}}\n')
        self.raw("wrong argument type",
                 b'{"execute": "qmp_capabilities", "arguments": {"enable": "x"}}\n')
        self.raw("single quotes", b"{'execute': 'query-kvm', 'id': 'q'}\n")
        # a second client sees the same events
        other = self.vm.qmp(1)
        rsp = q.cmd("stop")
        self.record("stop seen by a second client", rsp, self.events(other))
        rsp = other.cmd("cont")
        self.record("cont by the second client", rsp, self.events(q))
        # quit: the answer, SHUTDOWN, exit code 0
        rsp = q.cmd("quit")
        evs = [q.wait_event("SHUTDOWN")]
        code = self.vm.wait(10)
        self.record("quit", rsp, evs)
        self.steps.append(("exit code", {"code": code}))

    def close(self):
        self.vm.kill()


def main():
    if not QEMU:
        print("SKIP: qemu-system-x86_64 is not installed")
        return SKIP
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: no /dev/kvm")
        return SKIP
    results = {}
    for name in TARGETS:
        run = Run(name)
        try:
            run.script()
        except (QMPError, OSError) as e:
            print(f"FAIL: {name}: {e}\n--- stderr ---\n{run.vm.stderr()[-2000:]}")
            run.close()
            return 1
        run.close()
        results[name] = run
    qemu, ours = results["qemu"], results["qemu-vmm"]
    failed = False
    missing = ours.commands - qemu.commands
    if missing:
        print(f"DIFF commands QEMU does not have: {sorted(missing)}")
        failed = True
    for (step, a), (step2, b) in zip(qemu.steps, ours.steps):
        assert step == step2
        diffs = [d for d in diff_shapes(a, b) if (step, d.split(":")[0]) not in ALLOWED]
        print(f"{'ok  ' if not diffs else 'DIFF'} {step}")
        for d in diffs:
            print(f"       {d}")
            print(f"       qemu:     {a}")
            print(f"       qemu-vmm: {b}")
        failed |= bool(diffs)
    if len(qemu.steps) != len(ours.steps):
        print("DIFF: not the same number of steps")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
