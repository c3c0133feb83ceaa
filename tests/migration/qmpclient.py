# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal QMP client for the migration tests: connect, greet, commands
(events that arrive meanwhile are kept in .events)."""
import json
import socket
import time


class QMP:
    def __init__(self, path, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.file = self.sock.makefile("rw")
        self.events = []
        greeting = self.recv()
        assert "QMP" in greeting, greeting
        self.cmd("qmp_capabilities")

    def recv(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def close(self):
        self.sock.close()
