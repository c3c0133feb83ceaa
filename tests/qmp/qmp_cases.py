#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QMP monitor tests: qemu-vmm runs a test guest and a client drives it.

Usage: qmp_cases.py QEMU_VMM GUEST_DIR CASE
Each case is one meson test.  Exit 0 = pass, 77 = skip, else fail.

The guest is exitbench.elf with a huge n: it keeps vCPU 0 busy making PIO
and MMIO exits (nobody owns the ports without -device vmm-testdev) for
far longer than a test runs.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import QMP, QMPError, VM, free_tcp_port  # noqa: E402

VMM, GUESTS, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SKIP = 77

BUILTIN_COMMANDS = {
    "qmp_capabilities", "query-commands", "query-version", "query-status", "query-kvm",
    "query-name", "query-cpus-fast", "stop", "cont", "system_reset", "system_powerdown",
    "quit",
}


def guest(name):
    return os.path.join(GUESTS, name + ".elf")


def busy_vm_args(*extra):
    return [VMM, "-M", "microvm", "-serial", "none", "-kernel", guest("exitbench"),
            "-append", "n=1000000000"] + list(extra)


def check(cond, what, vm=None):
    if not cond:
        print("FAIL:", what)
        if vm is not None:
            print("--- qemu-vmm stderr ---\n" + vm.stderr()[-3000:])
        sys.exit(1)


def check_error(rsp, cls, desc=None, what=""):
    check("error" in rsp, f"{what}: expected an error, got {rsp!r}")
    check(set(rsp["error"]) == {"class", "desc"}, f"{what}: error members {rsp!r}")
    check(rsp["error"]["class"] == cls, f"{what}: class {rsp['error']['class']}, expected {cls}")
    if desc:
        check(re.search(desc, rsp["error"]["desc"]) is not None,
              f"{what}: desc {rsp['error']['desc']!r} does not match /{desc}/")


def check_status(q, status, running):
    r = q.ok("query-status")
    check(r == {"status": status, "running": running, "singlestep": False},
          f"query-status {r!r}, expected {status}")


def check_timestamp(ev):
    ts = ev.get("timestamp")
    check(isinstance(ts, dict) and set(ts) == {"seconds", "microseconds"},
          f"event timestamp {ev!r}")
    check(isinstance(ts["seconds"], int) and isinstance(ts["microseconds"], int),
          f"timestamp types {ev!r}")
    check(abs(ts["seconds"] - time.time()) < 60 and 0 <= ts["microseconds"] < 1000000,
          f"timestamp values {ev!r}")


def cpu_seconds(pid, tid):
    """CPU time of one thread (a vCPU's guest time counts as its own)."""
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vcpu_busy(vm, q, interval=0.5):
    """Does vCPU 0 burn CPU over interval?"""
    tid = q.ok("query-cpus-fast")[0]["thread-id"]
    t0 = cpu_seconds(vm.proc.pid, tid)
    time.sleep(interval)
    return cpu_seconds(vm.proc.pid, tid) - t0 > interval / 4


# ---- cases ----

def case_greeting():
    with VM(busy_vm_args()) as vm:
        q = vm.qmp(negotiate=False)
        g = q.greeting
        check(set(g) == {"QMP"} and set(g["QMP"]) == {"version", "capabilities"},
              f"greeting {g!r}")
        v = g["QMP"]["version"]
        check(set(v) == {"qemu", "package"} and isinstance(v["package"], str), f"version {v!r}")
        check(set(v["qemu"]) == {"major", "minor", "micro"} and
              all(isinstance(x, int) for x in v["qemu"].values()), f"version {v!r}")
        check(g["QMP"]["capabilities"] == [], "capabilities offered")
        # before negotiation: every other command, known or not, is refused
        for name in ("query-status", "quit", "no-such-command"):
            check_error(q.cmd(name, id=name), "CommandNotFound",
                        r"^Expecting capabilities negotiation with 'qmp_capabilities'$", name)
        # shape errors are still shape errors
        check_error(q.raw('{"execute": 1}'), "GenericError", "must be a string")
        # a capability that is not offered
        check_error(q.cmd("qmp_capabilities", {"enable": ["oob"]}), "GenericError",
                    r"Capability oob not available")
        check_error(q.cmd("qmp_capabilities", {"enable": ["turbo"]}), "GenericError",
                    r"does not accept value 'turbo'")
        # no events before negotiation: another client stops the VM
        other = vm.qmp()
        other.ok("stop")
        check(q.no_event() == [], "an event reached a client before negotiation")
        r = q.cmd("qmp_capabilities", {"enable": []}, id=7)
        check(r == {"return": {}, "id": 7}, f"qmp_capabilities: {r!r}")
        check_error(q.cmd("qmp_capabilities"), "CommandNotFound",
                    "negotiation is already complete")
        other.ok("cont")
        check_timestamp(q.wait_event("RESUME"))
        check_status(q, "running", True)
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_commands():
    with VM(busy_vm_args("-smp", "2", "-name", "qmp-test-vm")) as vm:
        q = vm.qmp()
        # query-version: qemu-vmm's own version, as -version prints it
        v = q.ok("query-version")
        out = subprocess.run([VMM, "-version"], capture_output=True, text=True).stdout
        want = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
        check(want is not None, f"-version printed {out!r}")
        check(v == {"qemu": {"major": int(want[1]), "minor": int(want[2]),
                             "micro": int(want[3])}, "package": ""},
              f"query-version {v!r} does not match {out!r}")
        check(q.greeting["QMP"]["version"] == v, "greeting and query-version differ")
        check(q.ok("query-kvm") == {"enabled": True, "present": True}, "query-kvm")
        check(q.ok("query-name") == {"name": "qmp-test-vm"}, "query-name")
        check_status(q, "running", True)
        # query-cpus-fast: one entry per vCPU, thread ids of this process's threads
        cpus = q.ok("query-cpus-fast")
        check(len(cpus) == 2, f"query-cpus-fast {cpus!r}")
        tasks = set(int(t) for t in os.listdir(f"/proc/{vm.proc.pid}/task"))
        for i, c in enumerate(cpus):
            check(set(c) == {"cpu-index", "qom-path", "thread-id", "target", "props"},
                  f"cpu members {c!r}")
            check(c["cpu-index"] == i and c["target"] == "x86_64", f"cpu {c!r}")
            check(c["thread-id"] in tasks and c["thread-id"] != vm.proc.pid,
                  f"thread-id {c['thread-id']} is not a vCPU thread of {vm.proc.pid}")
            with open(f"/proc/{vm.proc.pid}/task/{c['thread-id']}/comm") as f:
                check(f.read().strip() == f"vcpu{i}", "thread-id is not the vCPU's thread")
            check(set(c["props"]) == {"core-id", "thread-id", "socket-id"}, f"props {c!r}")
            check(c["qom-path"].startswith("/machine/"), f"qom-path {c!r}")
        # query-commands lists every command
        names = [c["name"] for c in q.ok("query-commands")]
        check(len(names) == len(set(names)), f"duplicate names {names}")
        check(BUILTIN_COMMANDS <= set(names), f"query-commands lacks {BUILTIN_COMMANDS - set(names)}")
        for name in names:
            check(q.cmd(name, id=name).get("id") == name, f"{name}: id not echoed")
            if name in ("quit", "stop", "system_reset"):
                break
        # system_powerdown: no ACPI, no way to tell the guest
        check_error(q.cmd("system_powerdown"), "GenericError", "no ACPI")
        # "id" of any JSON type is echoed as it was
        for ident in (1, -5, 2.5, "abc", "", [1, {"a": None}], {"x": [True, False]}, None,
                      "\u00e9\U0001F600"):
            r = q.raw(json.dumps({"execute": "query-kvm", "id": ident}))
            check(r.get("id", "missing") == ident, f"id {ident!r} came back as {r!r}")
        check(q.cmd("query-kvm", {}) == {"return": {"enabled": True, "present": True}},
              "empty arguments")
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)
    with VM(busy_vm_args()) as vm:
        q = vm.qmp()
        check(q.ok("query-name") == {}, "query-name without -name")
        check(len(q.ok("query-cpus-fast")) == 1, "one vCPU")
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_stop_cont():
    with VM(busy_vm_args("-S")) as vm:
        q = vm.qmp()
        check_status(q, "prelaunch", False)
        check(not vcpu_busy(vm, q), "a vCPU runs in prelaunch")
        # stop in prelaunch: nothing happens (QEMU: still prelaunch, no event)
        q.ok("stop")
        check_status(q, "prelaunch", False)
        check(q.no_event() == [], "stop in prelaunch sent an event")
        q.ok("cont")
        check_timestamp(q.wait_event("RESUME"))
        check_status(q, "running", True)
        check(vcpu_busy(vm, q), "the vCPU does not run after cont")
        q.ok("cont")
        check(q.no_event() == [], "cont while running sent an event")
        r = q.cmd("stop", id="s1")
        check(r == {"return": {}, "id": "s1"}, f"stop: {r!r}")
        ev = q.wait_event("STOP")
        check_timestamp(ev)
        check(set(ev) == {"event", "timestamp"}, f"STOP has data: {ev!r}")
        check_status(q, "paused", False)
        check(not vcpu_busy(vm, q), "the vCPU runs while paused", vm)
        q.ok("stop")
        check(q.no_event() == [], "stop while paused sent an event")
        q.ok("cont")
        ev = q.wait_event("RESUME")
        check(set(ev) == {"event", "timestamp"}, f"RESUME has data: {ev!r}")
        check_status(q, "running", True)
        check(vcpu_busy(vm, q), "the vCPU does not run after the second cont")
        # many quick transitions: each gives exactly one event, in order
        for _ in range(20):
            q.ok("stop")
            q.ok("cont")
        got = [e["event"] for e in q.no_event(0.5)]
        check(got == ["STOP", "RESUME"] * 20, f"events {got}")
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_system_reset():
    with VM(busy_vm_args()) as vm:
        q = vm.qmp()
        q.ok("system_reset")
        ev = q.wait_event("RESET")
        check_timestamp(ev)
        check(ev["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, f"RESET {ev!r}")
        check_status(q, "running", True)
        check(vcpu_busy(vm, q), "the vCPU does not run after the reset")
        # a reset of a stopped VM leaves it stopped, in prelaunch (as QEMU)
        q.ok("stop")
        q.wait_event("STOP")
        q.ok("system_reset")
        q.wait_event("RESET")
        check_status(q, "prelaunch", False)
        check(not vcpu_busy(vm, q), "a vCPU runs after resetting a stopped VM")
        q.ok("cont")
        q.wait_event("RESUME")
        check_status(q, "running", True)
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)
    # with -no-reboot a reset ends qemu-vmm, as QEMU
    with VM(busy_vm_args("-no-reboot")) as vm:
        q = vm.qmp()
        q.ok("system_reset")
        ev = q.wait_event("SHUTDOWN")
        check(ev["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, f"{ev!r}")
        check(vm.wait() == 0, "-no-reboot system_reset exit code", vm)


def case_quit():
    with VM(busy_vm_args(), qmp_count=2) as vm:
        q = vm.qmp()
        watcher = vm.qmp(1)
        r = q.cmd("quit", id="bye")
        check(r == {"return": {}, "id": "bye"}, f"quit: {r!r}")
        for c in (q, watcher):
            ev = c.wait_event("SHUTDOWN")
            check_timestamp(ev)
            check(ev["data"] == {"guest": False, "reason": "host-qmp-quit"}, f"SHUTDOWN {ev!r}")
        check(vm.wait() == 0, f"exit code {vm.proc.returncode}, expected 0", vm)
        # the connections end with the process; the sockets are removed
        try:
            m = q.recv(5)
            check(False, f"message after SHUTDOWN: {m!r}")
        except QMPError as e:
            check("closed" in str(e), f"connection not closed: {e}")
        for s in vm.sockets:
            check(not os.path.exists(s), f"{s} left behind")
        check(vm.stderr() == "", "stderr not empty", vm)
    # a client that never reads does not keep qemu-vmm from exiting
    with VM(busy_vm_args()) as vm:
        stuck = vm.qmp()
        stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sock.setblocking(False)
        try:        # as much as the server takes before it stops reading
            stuck.sock.send(b'{"execute": "query-commands"}' * 20000)
        except BlockingIOError:
            pass
        q = vm.qmp()
        time.sleep(0.3)
        t0 = time.monotonic()
        q.ok("quit")
        q.wait_event("SHUTDOWN")
        check(vm.wait(15) == 0, "quit with a stuck client", vm)
        check(time.monotonic() - t0 < 8, "a stuck client delayed the exit too long", vm)


def case_guest_shutdown():
    # the guest ends by itself: the SHUTDOWN event still reaches the client
    with VM([VMM, "-S", "-kernel", guest("hello")]) as vm:
        q = vm.qmp()
        q.ok("cont")
        q.wait_event("RESUME")
        ev = q.wait_event("SHUTDOWN")
        check(ev["data"] == {"guest": True, "reason": "guest-shutdown"}, f"SHUTDOWN {ev!r}")
        check(vm.wait() == 1, "hello exits through debug-exit 0: code 1", vm)
        check(vm.stdout() == "hello from guest\n", "guest output", vm)


def case_two_clients():
    with VM(busy_vm_args(), qmp_count=2) as vm:
        a = vm.qmp(0)
        b = vm.qmp(0)       # a second client on the same socket
        c = vm.qmp(1)       # and one on another -qmp
        a.ok("stop")
        for x in (a, b, c):
            x.wait_event("STOP")
        check_status(b, "paused", False)
        c.ok("cont")
        for x in (a, b, c):
            x.wait_event("RESUME")
        check_status(a, "running", True)
        # clients interleave: each gets its own answers
        a.send("query-kvm", id="a")
        b.send("query-status", id="b")
        check(b.response()["id"] == "b" and a.response()["id"] == "a", "answers crossed")
        a.close()
        b.ok("system_reset")
        for x in (b, c):
            x.wait_event("RESET")
        c.ok("quit")
        for x in (b, c):
            x.wait_event("SHUTDOWN")
        check(vm.wait() == 0, "quit", vm)


def case_many_clients():
    # up to 64 clients at once; the 65th is closed at once
    with VM(busy_vm_args()) as vm:
        clients = [vm.qmp(negotiate=False) for _ in range(64)]
        extra = QMP.connect(vm.sockets[0], greeting=False)
        try:
            m = extra.recv(5)
            check(False, f"client 65 got {m!r}")
        except QMPError as e:
            check("closed" in str(e), f"client 65: {e}")
        clients.pop().close()
        last = vm.qmp()         # room again
        for c in clients[:8]:
            c.negotiate()
        last.ok("stop")
        for c in clients[:8] + [last]:
            c.wait_event("STOP")
        for c in clients:
            c.close()
        last.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_disconnect():
    with VM(busy_vm_args()) as vm:
        q = vm.qmp()
        # half a command, then gone
        h = vm.qmp()
        h.send_raw('{"execute": "sto')
        h.close()
        # gone before reading the greeting
        QMP.connect(vm.sockets[0], greeting=False).close()
        # a reset connection (RST instead of FIN) in the middle of a request
        r = vm.qmp()
        r.send_raw('{"execute": "query-status", "arguments": {"a')
        r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        r.close()
        # many requests, gone without reading any answer
        w = vm.qmp()
        w.send_raw('{"execute": "query-commands"}' * 5000)
        w.close()
        time.sleep(0.3)
        check(vm.proc.poll() is None, "qemu-vmm died", vm)
        check_status(q, "running", True)
        check(vcpu_busy(vm, q), "the vCPU stopped running", vm)
        check(q.no_event() == [], "events after disconnects")
        # a client that sends stop and leaves: the stop still happens
        s = vm.qmp()
        s.send("stop")
        s.close()
        q.wait_event("STOP")
        q.ok("cont")
        q.wait_event("RESUME")
        # half-closed: the client shuts its sending side; answers still arrive
        hc = vm.qmp()
        hc.send("query-status", id=1)
        hc.sock.shutdown(socket.SHUT_WR)
        check(hc.response()["id"] == 1, "no answer after a half-close")
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


# (raw input, class, desc pattern); after each the connection must still work
BAD_INPUT = [
    ('{"execute":}', "GenericError", r"^JSON parse error, "),
    ('{bad json}', "GenericError", r"^JSON parse error, invalid keyword 'bad'"),
    ('{"execute": "query-status",}', "GenericError", r"^JSON parse error, "),
    ('{"execute" "query-status"}', "GenericError", r"^JSON parse error, "),
    ('}', "GenericError", r"^JSON parse error, "),
    ('@@@', "GenericError", r"^JSON parse error, stray '@'"),
    ('{"execute": "query-status", "id": 0x10}', "GenericError", r"invalid number"),
    ('{"execute": "query-status", "id": 1e999}', "GenericError", r"out of range"),
    ('{"execute": "query-status", "id": "a\x01b"}', "GenericError", r"control character"),
    ('{"execute": "query-status", "id": "\\x41"}', "GenericError", r"invalid escape"),
    ('{"execute": "a\\u0000b"}', "GenericError", r"u0000"),
    ('{"execute": "\\ud800"}', "GenericError", r"not a valid Unicode"),
    (b'{"execute": "query-\xff\xfe-status"}', "GenericError", r"JSON parse error"),
    (b'{"execute": "\xc3\x28"}', "GenericError", r"invalid UTF-8"),
    ('{"execute": "query-status", "execute": "stop"}', "GenericError", r"duplicate key"),
    ('[1, 2]', "GenericError", r"^QMP input must be a JSON object$"),
    ('42 ', "GenericError", r"^QMP input must be a JSON object$"),
    ('"query-status"', "GenericError", r"^QMP input must be a JSON object$"),
    ('null ', "GenericError", r"^QMP input must be a JSON object$"),
    ('{}', "GenericError", r"^QMP input lacks member 'execute'$"),
    ('{"execute": 5}', "GenericError", r"^QMP input member 'execute' must be a string$"),
    ('{"execute": "stop", "arguments": []}', "GenericError",
     r"^QMP input member 'arguments' must be an object$"),
    ('{"execute": "stop", "arguments": null}', "GenericError", r"must be an object"),
    ('{"execute": "stop", "foo": 1}', "GenericError", r"^QMP input member 'foo' is unexpected$"),
    ('{"exec-oob": "stop"}', "GenericError", r"member 'exec-oob' is unexpected"),
    ('{"execute": "no-such-command"}', "CommandNotFound",
     r"^The command no-such-command has not been found$"),
    ('{"execute": "stop", "arguments": {"x": 1}}', "GenericError",
     r"^Parameter 'x' is unexpected$"),
    ('{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}}', "GenericError",
     r"^Invalid parameter type for 'enable', expected: array$"),
    ('{"execute": "qmp_capabilities", "arguments": {"enable": [1]}}', "GenericError",
     r"^Invalid parameter type for 'enable\[0\]', expected: string$"),
]


def case_bad_input():
    with VM(busy_vm_args()) as vm:
        q = vm.qmp()
        for raw, cls, desc in BAD_INPUT:
            if isinstance(raw, str):
                raw = raw.encode()
            r = q.raw(raw + b"\n")
            check_error(r, cls, desc, repr(raw))
            check("id" not in r, f"{raw!r}: id in {r!r}")
            # a lexical error drops the message and resynchronises at the next
            # bracket, so its tail may earn one more error (as in QEMU)
            q.send("query-status", id="after")
            extra = []
            while True:
                r = q.response()
                if r.get("id") == "after":
                    break
                extra.append(r)
            check(len(extra) <= 1 and all(e["error"]["class"] == "GenericError" for e in extra),
                  f"{raw!r}: more answers than expected: {extra!r}")
            check(r["return"]["status"] == "running", f"{raw!r}: status {r!r}")
        # errors keep the id of a well-formed request
        r = q.raw('{"execute": "no-such", "id": "x1"}')
        check(r.get("id") == "x1", f"id lost: {r!r}")
        # QEMU's single-quoted strings
        r = q.raw("{'execute': 'query-kvm', 'id': 'say \"hi\" \\'x\\''}")
        check(r.get("id") == "say \"hi\" 'x'", f"single quotes: {r!r}")
        q.no_event()
        # a request in pieces, and several in one write
        for piece in ('{"exec', 'ute": "query', '-kvm", "id"', ': 3}'):
            q.send_raw(piece)
            time.sleep(0.05)
        check(q.response().get("id") == 3, "split request")
        q.send_raw('{"execute": "query-kvm", "id": 1}{"execute": "query-kvm", "id": 2}\n')
        check(q.response()["id"] == 1 and q.response()["id"] == 2, "two requests in one write")
        # big integers become floats (QEMU does the same) instead of wrapping
        r = q.raw('{"execute": "query-kvm", "id": 123456789012345678901234567890}')
        check(isinstance(r["id"], float) and r["id"] > 1e29, f"big id: {r!r}")
        # after garbage, the stream resynchronises at the next bracket or newline
        r = q.raw('\x7f junk {"execute": "query-kvm", "id": "sync"}')
        check_error(r, "GenericError", "stray")
        check(q.response().get("id") == "sync", "no resync after garbage")
        # oversized: one error, the rest of that message is skipped, then all is well
        big = b'{"execute": "query-status", "id": "' + b"x" * (2 << 20) + b'"}'
        r = q.raw(big)
        check_error(r, "GenericError", r"^JSON parse error, message too long$", "2 MiB request")
        check_status(q, "running", True)
        check(q.no_event() == [], "more than one answer to an oversized request")
        # just under the limit is fine
        ok = b'{"execute": "query-kvm", "id": "' + b"y" * ((1 << 20) - 100) + b'"}'
        r = q.raw(ok)
        check(r.get("id") == "y" * ((1 << 20) - 100), "a 1 MiB request was refused")
        # too deep: one error, then fine
        r = q.raw("[" * 5000 + "]" * 5000)
        check_error(r, "GenericError", r"nesting too deep")
        check(q.no_event() == [], "more than one answer to a deep request")
        r = q.raw("[" * 1000 + "]" * 1000)
        check_error(r, "GenericError", r"^QMP input must be a JSON object$")
        # an unfinished request never answered; the client's next one still works
        q.send_raw('{"execute": "query-status", "id": ["unfinished"')
        check(q.no_event(0.3) == [], "answer to an unfinished request")
        r = q.raw(']}')
        check(r.get("id") == ["unfinished"], f"finished request: {r!r}")
        check(vm.proc.poll() is None, "qemu-vmm died", vm)
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_pipelined():
    # a client that sends far more than it reads is slowed down, not dropped,
    # and gets every answer in order; the VM and other clients go on
    with VM(busy_vm_args()) as vm:
        q = vm.qmp()
        other = vm.qmp()
        n = 20000
        payload = "".join('{"execute": "query-commands", "id": %d}' % i for i in range(n))
        import threading
        t = threading.Thread(target=q.send_raw, args=(payload,))
        t.start()
        time.sleep(0.5)
        check_status(other, "running", True)
        for i in range(n):
            r = q.response(30)
            check(r.get("id") == i and len(r["return"]) >= len(BUILTIN_COMMANDS),
                  f"answer {i}: {str(r)[:200]}")
        t.join()
        other.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def case_tcp():
    port = free_tcp_port()
    with VM(busy_vm_args(), qmp_count=0, tcp_port=port) as vm:
        q = vm.qmp("tcp")
        check_status(q, "running", True)
        q2 = vm.qmp("tcp")
        q.ok("stop")
        q2.wait_event("STOP")
        q2.ok("cont")
        q.wait_event("RESUME")
        check_error(q.raw("{oops}"), "GenericError", "JSON parse error")
        q.ok("quit")
        q2.wait_event("SHUTDOWN")
        check(vm.wait() == 0, "quit", vm)


def case_unix_wait():
    # server=on without wait=off: the VM waits for the first client, as QEMU
    with VM(busy_vm_args(), qmp_opts=",server=on") as vm:
        deadline = time.monotonic() + 10
        while "waiting" not in vm.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        check("waiting for a client" in vm.stderr(), "no waiting message", vm)
        check(vm.proc.poll() is None, "qemu-vmm did not wait", vm)
        q = vm.qmp()
        check_status(q, "running", True)
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)


def expect_config_error(args, pattern):
    p = subprocess.run(args, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1, f"{args}: exit code {p.returncode}, expected 1\n{p.stderr}")
    check(len(lines) == 1, f"{args}: expected one error line, got {lines}")
    check(lines[0].startswith("qemu-vmm: "), f"{args}: no program name: {lines[0]}")
    check(re.search(pattern, lines[0]) is not None,
          f"{args}: {lines[0]!r} does not match /{pattern}/")


def case_err_specs():
    d = tempfile.mkdtemp(prefix="qmp-spec-")
    regular = os.path.join(d, "file")
    open(regular, "w").close()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    busy_port = busy.getsockname()[1]
    sock = os.path.join(d, "q.sock")
    bad = [
        (["unix:" + sock], r"add server=on"),
        (["unix:" + sock + ",server=off"], r"add server=on"),
        (["unix:,server=on"], r"path is empty"),
        (["unix:/" + "x" * 200 + ",server=on"], r"too long"),
        (["unix:" + sock + ",server=on,wait=maybe"], r"wait=maybe"),
        (["unix:" + sock + ",server=on,bogus=1"], r"unknown option 'bogus'"),
        (["unix:" + sock + ",server,nowait"], r"-qmp .*expected key=value"),
        (["stdio,server=on"], r"expected unix:PATH or tcp:HOST:PORT"),
        (["server=on"], r"expected unix:PATH or tcp:HOST:PORT"),
        (["tcp:127.0.0.1,server=on"], r"tcp:HOST:PORT"),
        (["tcp:127.0.0.1:0,server=on"], r"port from 1 to 65535"),
        (["tcp:127.0.0.1:99999,server=on"], r"port from 1 to 65535"),
        (["tcp:127.0.0.1:%d,server=on,wait=off" % busy_port], r"cannot listen.*in use"),
        (["unix:" + regular + ",server=on,wait=off"], r"not a socket"),
        (["unix:/nonexistent-dir/q.sock,server=on,wait=off"], r"cannot bind"),
        (["unix:" + sock + ",server=on,wait=off", "unix:" + sock + ",server=on,wait=off"],
         r"already used"),
    ]
    for specs, pattern in bad:
        args = [VMM, "-kernel", guest("hello")]
        for s in specs:
            args += ["-qmp", s]
        expect_config_error(args, r"-qmp .*" + pattern if "-qmp" not in pattern else pattern)
        check(not os.path.exists(sock), f"{specs}: socket left behind")
    check(os.path.exists(regular), "a regular file was removed")
    busy.close()
    os.unlink(regular)
    os.rmdir(d)


def read_pid(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    check(False, f"no pid in {path}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}") or not alive(pid):
            return True
        time.sleep(0.02)
    return False


def case_pidfile_daemonize():
    d = tempfile.mkdtemp(prefix="qmp-daemon-")
    pidfile = os.path.join(d, "vm.pid")
    sock = os.path.join(d, "qmp.sock")
    # -pidfile alone: the pid of qemu-vmm itself, locked, removed at exit
    with VM(busy_vm_args("-pidfile", pidfile)) as vm:
        q = vm.qmp()
        check(read_pid(pidfile) == vm.proc.pid, "pidfile content")
        expect_config_error([VMM, "-pidfile", pidfile, "-kernel", guest("hello")],
                            r"-pidfile .*locked by another process")
        check(read_pid(pidfile) == vm.proc.pid, "the second instance spoiled the pidfile")
        q.ok("quit")
        check(vm.wait() == 0, "quit", vm)
        check(not os.path.exists(pidfile), "pidfile left behind")
    # -daemonize: the parent returns 0 once the VM is set up, QMP is ready
    t0 = time.monotonic()
    p = subprocess.run(busy_vm_args("-daemonize", "-pidfile", pidfile,
                                    "-qmp", f"unix:{sock},server=on,wait=off"),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, f"-daemonize parent exit code {p.returncode}: {p.stderr}")
    check(p.stdout == "" and p.stderr == "", f"-daemonize printed {p.stdout!r} {p.stderr!r}")
    check(time.monotonic() - t0 < 20, "the parent took too long")
    pid = read_pid(pidfile, timeout=1)
    check(alive(pid), "the daemon is not running")
    check(os.path.exists(sock), "QMP socket not there when the parent returned")
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    check(int(st[3]) == pid, "the daemon is not a session leader")   # field 6: session
    for fd in (0, 1, 2):
        check(os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null", f"fd {fd} not /dev/null")
    q = QMP.connect(sock)
    q.negotiate()
    check_status(q, "running", True)
    q.ok("quit")
    q.wait_event("SHUTDOWN")
    check(wait_gone(pid), "the daemon did not exit")
    check(not os.path.exists(pidfile), "pidfile left behind by the daemon")
    check(not os.path.exists(sock), "socket left behind by the daemon")
    # set-up fails in the daemon: the parent reports it and exits 1
    expect_config_error([VMM, "-daemonize", "-kernel", "/nonexistent/kernel"],
                        r"could not load kernel")
    expect_config_error([VMM, "-daemonize", "-serial", "stdio", "-kernel", guest("hello")],
                        r"-daemonize: -serial stdio")
    os.rmdir(d)


if __name__ == "__main__":
    if not os.access("/dev/kvm", os.R_OK | os.W_OK) and CASE != "err-specs":
        print("SKIP: no /dev/kvm")
        sys.exit(SKIP)
    fn = globals().get("case_" + CASE.replace("-", "_"))
    if fn is None:
        print("unknown case", CASE)
        sys.exit(2)
    fn()
    print("ok", CASE)
