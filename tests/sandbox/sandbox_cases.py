#!/usr/bin/env python3
"""The seccomp sandbox (-sandbox on|off), one meson test a case.

usage: sandbox_cases.py QEMU_VMM TEST_HOOKS_VMM PROBE_DIR GUEST_DIR CASE

QEMU_VMM is the product binary, TEST_HOOKS_VMM the same main() with the
test-only probe port (sandbox-probe.c); PROBE_DIR holds sandbox-probe.elf,
GUEST_DIR the other test guests.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

VMM, HOOKS_VMM, PROBE_DIR, GUESTS, CASE = sys.argv[1:6]
PROBE = os.path.join(PROBE_DIR, "sandbox-probe.elf")
LOG_LINE = ("qemu-vmm: sandbox: thread vcpu0 made a forbidden system call: "
            "socket (%d); killing the process\n")
SYS_SOCKET = {"x86_64": 41, "aarch64": 198}[os.uname().machine]


def check(cond, what, out="", err=""):
    if not cond:
        print("FAIL:", what)
        print("--- stdout ---\n" + out[-3000:])
        print("--- stderr ---\n" + err[-3000:])
        sys.exit(1)


def run(vmm, args, timeout=30):
    p = subprocess.run([vmm] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def case_sandbox_probe_on():
    # the default: the vCPU thread's socket() ends the process, by SIGSYS
    for extra in ([], ["-sandbox", "on"]):
        rc, out, err = run(HOOKS_VMM, ["-kernel", PROBE] + extra)
        check(rc == -signal.SIGSYS, f"{extra}: exit status {rc}, expected death by SIGSYS",
              out, err)
        check("probe: writing the probe port" in out, "the guest did not run", out, err)
        check("still running" not in out, "the guest went on after the call", out, err)
        check(err == LOG_LINE % SYS_SOCKET, "not exactly the sandbox's log line", out, err)


def case_sandbox_probe_off():
    rc, out, err = run(HOOKS_VMM, ["-kernel", PROBE, "-sandbox", "off"])
    check(rc == 1, f"exit code {rc}, expected 1 (guest debug-exit 0)", out, err)
    check("probe: the VMM is still running" in out, "the guest did not go on", out, err)
    check("sandbox-probe: socket() from the vCPU thread: allowed" in err,
          "the probe's call did not succeed", out, err)


def thread_filters(pid):
    """{thread name: Seccomp mode} of every thread of pid."""
    res = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                mode = [line.split()[1] for line in f if line.startswith("Seccomp:")][0]
        except (OSError, IndexError):
            continue
        res[f"{name}/{tid}"] = int(mode)
    return res


def running_vm(sandbox_args):
    """A paused VM with a vCPU, a virtio I/O thread and QMP; yields its pid."""
    tmp = tempfile.mkdtemp()
    qmp = os.path.join(tmp, "qmp.sock")
    p = subprocess.Popen([VMM, "-kernel", os.path.join(GUESTS, "hello.elf"), "-S",
                          "-device", "virtio-rng-device",
                          "-qmp", f"unix:{qmp},server=on,wait=off"] + sandbox_args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, qmp


def qmp_talk(path):
    """Connect, negotiate and query the status: the main loop answers."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    for cmd in ('{"execute": "qmp_capabilities"}', '{"execute": "query-status"}'):
        f.write(cmd + "\n")
        f.flush()
        reply = f.readline()
    s.close()
    return reply


def wait_threads(p, qmp, want_mode):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if p.poll() is not None:
            out, err = p.communicate()
            check(False, f"qemu-vmm exited with {p.returncode}", out, err)
        if os.path.exists(qmp):
            reply = qmp_talk(qmp)      # after the main filter is on: QMP still works
            threads = thread_filters(p.pid)
            if (all(m == want_mode for m in threads.values()) and
                    any(n.startswith("vcpu0/") for n in threads)):
                return threads, reply
        time.sleep(0.05)
    return thread_filters(p.pid), ""


def case_sandbox_threads_filtered():
    p, qmp = running_vm([])
    try:
        threads, reply = wait_threads(p, qmp, 2)
        check(all(m == 2 for m in threads.values()),
              f"threads without a seccomp filter: {threads}")
        names = {n.split("/")[0] for n in threads}
        check({"vcpu0", "virtio-rng0"} <= names, f"unexpected threads: {threads}")
        check('"prelaunch"' in reply, f"QMP under the sandbox: {reply!r}")
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    check(p.returncode == 0, f"exit code {p.returncode} after SIGTERM", out, err)


def case_sandbox_off_unfiltered():
    p, qmp = running_vm(["-sandbox", "off"])
    try:
        threads, _ = wait_threads(p, qmp, 0)
        check(all(m == 0 for m in threads.values()), f"filters with -sandbox off: {threads}")
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    check(p.returncode == 0, f"exit code {p.returncode} after SIGTERM", out, err)


def case_sandbox_no_hook_in_product():
    with open(VMM, "rb") as f:
        product = f.read()
    with open(HOOKS_VMM, "rb") as f:
        hooks = f.read()
    check(b"sandbox-probe" in hooks, "the test build lacks the probe")
    check(b"sandbox-probe" not in product, "build/qemu-vmm contains the test probe")
    # and the product binary has no probe port: the write is ignored
    rc, out, err = run(VMM, ["-kernel", PROBE])
    check(rc == 1 and "still running" in out, f"exit code {rc}", out, err)


def case_err_sandbox():
    for val in ("maybe", "", "on,obsolete=deny", "ON"):
        rc, out, err = run(VMM, ["-sandbox", val, "-kernel", os.path.join(GUESTS, "hello.elf")])
        check(rc == 1, f"-sandbox {val!r}: exit code {rc}, expected 1", out, err)
        check(err == f"qemu-vmm: -sandbox {val}: expected on or off\n",
              f"-sandbox {val!r}: not one clear error line", out, err)
    rc, out, err = run(VMM, ["-kernel", os.path.join(GUESTS, "hello.elf"), "-sandbox"])
    check(rc == 1 and "requires an argument" in err, f"-sandbox alone: exit code {rc}",
          out, err)


if __name__ == "__main__":
    fn = globals().get("case_" + CASE.replace("-", "_"))
    if fn is None:
        print("unknown case", CASE)
        sys.exit(2)
    fn()
    print("ok", CASE)
