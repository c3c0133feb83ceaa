# SPDX-License-Identifier: GPL-2.0-or-later
"""A small QMP client and VM launcher for the tests (Python 3 stdlib only).

QMP.cmd() returns the response (a dict with "return" or "error"); events
that arrive meanwhile are kept in QMP.events, oldest first.
"""
import json
import os
import socket
import subprocess
import tempfile
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.events = []
        self.greeting = None

    @classmethod
    def connect(cls, addr, timeout=10.0, greeting=True):
        """addr: a unix socket path, or a (host, port) tuple for TCP."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(addr, tuple):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            else:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(addr)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        q = cls(s)
        if greeting:
            q.greeting = q.recv(timeout)
        return q

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def send(self, name, args=None, id=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")

    def recv(self, timeout=10.0):
        """The next message, event or not; QMPError on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("timed out waiting for a QMP message")
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                raise QMPError("timed out waiting for a QMP message")
            if not d:
                raise QMPError("connection closed (pending %r)" % self.buf[:200])
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise QMPError("QMP line does not end with CRLF: %r" % line[:200])
        return json.loads(line)

    def response(self, timeout=10.0):
        """The next non-event message."""
        while True:
            m = self.recv(timeout)
            if "event" in m:
                self.events.append(m)
                continue
            return m

    def cmd(self, name, args=None, id=None, timeout=10.0):
        self.send(name, args, id)
        return self.response(timeout)

    def raw(self, data, timeout=10.0):
        self.send_raw(data)
        return self.response(timeout)

    def ok(self, name, args=None):
        r = self.cmd(name, args)
        if "return" not in r:
            raise QMPError("%s failed: %r" % (name, r))
        return r["return"]

    def negotiate(self):
        return self.ok("qmp_capabilities")

    def wait_event(self, name, timeout=10.0):
        """The first kept or arriving event called name (removed from events)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("no %s event (got %r)" % (name, self.events))
            m = self.recv(left)
            if "event" not in m:
                raise QMPError("unexpected non-event %r" % m)
            self.events.append(m)

    def no_event(self, wait=0.3):
        """Collect what arrives within wait seconds; return the events seen."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                m = self.recv(left)
            except QMPError:
                break
            self.events.append(m)
        seen, self.events = self.events, []
        return seen


class VM:
    """A qemu-vmm (or QEMU) process with QMP sockets in a private directory."""

    def __init__(self, argv, qmp_count=1, tcp_port=None, qmp_opts=",server=on,wait=off"):
        self.dir = tempfile.mkdtemp(prefix="qmp-test-")
        self.sockets = [os.path.join(self.dir, "qmp%d.sock" % i) for i in range(qmp_count)]
        self.argv = list(argv)
        for s in self.sockets:
            self.argv += ["-qmp", "unix:" + s + qmp_opts]
        self.tcp = None
        if tcp_port:
            self.tcp = ("127.0.0.1", tcp_port)
            self.argv += ["-qmp", "tcp:127.0.0.1:%d%s" % (tcp_port, qmp_opts)]
        self.out = open(os.path.join(self.dir, "stdout"), "w+")
        self.err = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=self.err)

    def qmp(self, index=0, negotiate=True, timeout=10.0):
        addr = self.tcp if index == "tcp" else self.sockets[index]
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise QMPError("the VM exited with %d before QMP was up: %s"
                               % (self.proc.returncode, self.stderr()))
            try:
                q = QMP.connect(addr, timeout=0.2)
                break
            except (OSError, QMPError):
                if time.monotonic() > deadline:
                    raise
        if negotiate:
            q.negotiate()
        return q

    def wait(self, timeout=10.0):
        return self.proc.wait(timeout)

    def stdout(self):
        self.out.seek(0)
        return self.out.read()

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
