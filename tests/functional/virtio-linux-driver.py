#!/usr/bin/python3
"""The L1 side of virtio-linux.sh: drive the guest's shell on hvc0 and
exchange traffic with it over virtio-net.

  virtio-linux-driver.py SOCKET QMP NIC...

SOCKET is the unix socket of qemu-vmm's `-chardev socket` (the guest runs
`sh -i` on /dev/hvc0 behind it).  Each NIC is N:TAP:SIZE:OFFLOADS: the
guest's interface with MAC 52:54:00:00:00:0N has 10.0.N.2, L1's tap TAP has
10.0.N.1; SIZE bytes go each way; OFFLOADS (1 or 0) says whether checksum
and TSO offloads must be negotiated, and used: with them, the tap carries
GSO packets bigger than an Ethernet frame towards the guest (and, when the
guest's TCP sends fast enough, from it); without, none in either direction.

Then, through the QMP socket QMP, the VM is migrated to a file (dirty
logging on: vhost-net hands its queues to the userspace datapath, and the
VM stops at the end) and resumed; the first NIC must work as before.

Prints one "PASS ..." or "FAIL ..." line per check; exits 1 if any failed.
"""
import json
import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time

FRAME_MAX = 1514            # Ethernet header + a 1500-byte MTU
FEATURE_BITS = {"CSUM": 0, "GUEST_CSUM": 1, "GUEST_TSO4": 7, "HOST_TSO4": 11}
failed = False


def report(ok, what):
    global failed
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    failed |= not ok


class Console:
    """A shell on the far side of a socket: send commands, read their output."""

    def __init__(self, path, timeout=240):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.buf = b""
        # the shell starts once L2 has booted: ask until it answers.  The
        # quotes keep the tty's echo of the command from matching.
        while not self.expect(rb"@@READY@@", 3, send=b'echo "@@RE""ADY@@"\n'):
            if time.monotonic() > deadline:
                raise TimeoutError("no shell on hvc0")

    def expect(self, pattern, timeout, send=None):
        if send:
            self.s.sendall(send)
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                out = self.buf[:m.start()]
                self.buf = self.buf[m.end():]
                return out, m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise EOFError("hvc0 closed")
            self.buf += data

    def run(self, cmd, timeout=120):
        """(exit status, output) of cmd in the guest's shell.  The output
        includes the tty's echo of the command: callers look for patterns
        the command line itself cannot match."""
        r = self.expect(rb"@@END rc=(\d+)", timeout,
                        send=cmd.encode() + b'\necho "@@E""ND rc=$?"\n')
        if r is None:
            return None, ""
        out, m = r
        return int(m.group(1)), out.decode(errors="replace").replace("\r", "")


def tap_stats(tap):
    d = f"/sys/class/net/{tap}/statistics/"
    return {k: int(open(d + k).read()) for k in
            ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")}


class Sniffer:
    """The largest frame that crosses TAP in each direction, seen through a
    packet socket: a GSO super-frame (larger than an Ethernet frame) shows
    that TSO is in use.  The average size is no proof either way: at the
    slow rates two levels of emulation give, TCP sends many small segments
    even when it may send large ones."""

    def __init__(self, tap):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.bind((tap, 0))
        self.sock.settimeout(0.2)
        self.max = {"rx": 0, "tx": 0}       # as the tap's statistics count them
        self.stop = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(1 << 17)
            except socket.timeout:
                continue
            # PACKET_OUTGOING (4): L1 sent it into the tap, i.e. to the guest
            way = "tx" if addr[2] == socket.PACKET_OUTGOING else "rx"
            self.max[way] = max(self.max[way], len(data))

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        return self.max


def avg(before, after, way):
    pk = after[way + "_packets"] - before[way + "_packets"]
    return (after[way + "_bytes"] - before[way + "_bytes"]) / pk if pk else 0


def receive_all(srv, result):
    srv.settimeout(120)
    try:
        conn, _ = srv.accept()
        conn.settimeout(120)
        h, n = hashlib.md5(), 0
        while True:
            data = conn.recv(1 << 20)
            if not data:
                break
            h.update(data)
            n += len(data)
        conn.close()
        result.append((n, h.hexdigest()))
    except OSError as e:
        result.append((0, str(e)))


def send_all(addr, data, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            c = socket.create_connection(addr, timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    c.settimeout(120)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()


def qmp(path):
    """A QMP client: returns cmd(name, **args) -> the "return" value."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(120)
    f = s.makefile("rw")
    json.loads(f.readline())                # the greeting

    def cmd(name, **args):
        f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r.get("return", r.get("error"))
    cmd("qmp_capabilities")
    return cmd


def migrate_and_resume(qmp_path, tmpfile):
    cmd = qmp(qmp_path)
    cmd("migrate", uri=f"file:{tmpfile}")
    deadline = time.monotonic() + 120
    while True:
        st = cmd("query-migrate").get("status")
        if st not in ("setup", "active", "device") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    report(st == "completed", f"migration to a file with vhost-net: {st}")
    cmd("cont")
    report(cmd("query-status").get("status") == "running", "resumed after the migration")
    os.unlink(tmpfile)


def test_nic(con, n, tap, size, offloads):
    host, guest = f"10.0.{n}.1", f"10.0.{n}.2"
    name = f"net{n} ({tap}, {'offloads' if offloads else 'no offloads'})"
    rc, out = con.run(f"grep -l 52:54:00:00:00:0{n} /sys/class/net/*/address")
    m = re.search(r"/sys/class/net/(\w+)/address", out)
    if rc != 0 or not m:
        report(False, f"{name}: no guest interface with MAC 52:54:00:00:00:0{n}")
        return
    ifname = m.group(1)
    rc, out = con.run(f"cat /sys/class/net/{ifname}/device/features")
    m = re.search(r"^([01]{32,})$", out, re.M)
    bits = m.group(1) if m else ""
    have = {k: len(bits) > b and bits[b] == "1" for k, b in FEATURE_BITS.items()}
    report(rc == 0 and all(v == offloads for v in have.values()),
           f"{name}: negotiated {' '.join(k for k, v in have.items() if v) or 'no offloads'}")

    rc, _ = con.run(f"ping -c 1 -W 5 {host}")
    report(rc == 0, f"{name}: ping guest -> host")
    p = subprocess.run(["busybox", "ping", "-c", "1", "-W", "5", guest],
                       capture_output=True, text=True)
    report(p.returncode == 0, f"{name}: ping host -> guest")

    # guest -> host: the guest sends /tmp/blob, L1 checks its md5
    sniffer = Sniffer(tap)
    rc, out = con.run("md5sum /tmp/blob")
    m = re.search(r"^([0-9a-f]{32}) ", out, re.M)
    want = m.group(1) if rc == 0 and m else "?"
    srv = socket.create_server((host, 5000 + n))
    got = []
    t = threading.Thread(target=receive_all, args=(srv, got))
    t.start()
    before = tap_stats(tap)
    start = time.monotonic()
    rc, _ = con.run(f"nc {host} {5000 + n} </tmp/blob", timeout=180)
    t.join()
    secs = time.monotonic() - start
    srv.close()
    after = tap_stats(tap)
    ok = rc == 0 and got and got[0] == (size, want)
    report(ok, f"{name}: {size} bytes guest -> host, md5 {'matches' if ok else got}, "
           f"{size / secs / 1e6:.1f} MB/s, {avg(before, after, 'rx'):.0f} bytes/packet")

    # host -> guest: L1 sends random bytes to the guest's nc, which hashes them
    data = os.urandom(size)
    rc, _ = con.run(f"nc -l -p {6000 + n} </dev/null | md5sum >/tmp/rx.md5 &")
    before = tap_stats(tap)
    start = time.monotonic()
    try:
        send_all((guest, 6000 + n), data)
    except OSError as e:
        report(False, f"{name}: cannot send to the guest: {e}")
    secs = time.monotonic() - start
    rc, out = con.run("wait; cat /tmp/rx.md5", timeout=180)
    after = tap_stats(tap)
    ok = rc == 0 and re.search(f"^{hashlib.md5(data).hexdigest()} ", out, re.M) is not None
    report(ok, f"{name}: {size} bytes host -> guest, md5 {'matches' if ok else out!r}, "
           f"{size / secs / 1e6:.1f} MB/s, {avg(before, after, 'tx'):.0f} bytes/packet")
    biggest = sniffer.close()
    tx_big, rx_big = biggest["rx"] > FRAME_MAX, biggest["tx"] > FRAME_MAX
    # Guest -> host GSO frames are not a given even with TSO: Linux sizes
    # its TSO frames from the pacing rate, and at the rates two levels of
    # emulation give that is often one segment.  So with offloads only the
    # host -> guest direction must show them (and a big frame in the other
    # is welcome); without, no frame may be bigger than a frame.
    report(rx_big == offloads and (offloads or not tx_big),
           f"{name}: TSO {'used' if offloads else 'not used'} as negotiated "
           f"(guest -> host {'GSO' if tx_big else 'frames'}, largest {biggest['rx']}; "
           f"host -> guest {'GSO' if rx_big else 'frames'}, largest {biggest['tx']})")


def main():
    path, qmp_path, nics = sys.argv[1], sys.argv[2], [a.split(":") for a in sys.argv[3:]]
    con = Console(path)
    rc, out = con.run("echo $((6 * 7)) $(uname -s)")
    m = re.search(r"^42 (\w+)$", out, re.M)
    report(rc == 0 and m is not None, f"hvc0 shell: command output {m.group(0) if m else out!r}")
    size = max(int(s) for _, _, s, _ in nics)
    rc, _ = con.run(f"head -c {size} /dev/urandom >/tmp/blob")
    report(rc == 0, "guest made a test file")
    for n, tap, s, off in nics:
        if int(s) != size:
            con.run(f"head -c {s} /tmp/blob >/tmp/b && mv /tmp/b /tmp/blob")
            size = int(s)
        test_nic(con, int(n), tap, size, off == "1")
    n, tap, _, off = nics[0]
    migrate_and_resume(qmp_path, "/tmp/virtio-linux-snapshot")
    test_nic(con, int(n), tap, size, off == "1")
    con.s.sendall(b"exit\n")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError, TimeoutError) as e:
        print(f"FAIL driver: {e}", flush=True)
        sys.exit(1)
