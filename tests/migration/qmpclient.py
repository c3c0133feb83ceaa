# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal QMP client for the migration tests: connect, greet, commands."""
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
        self.file.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        """Run a command; events that arrive meanwhile are dropped."""
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        while True:
            r = json.loads(self.file.readline())
            if "event" not in r:
                return r
