#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests: run build/qemu-vmm with test guests or bad input.

Usage: vmm_cases.py QEMU_VMM GUEST_DIR CASE
Each case is one meson test.  Exit 0 = pass, 77 = skip, else fail.
"""
import os
import re
import subprocess
import sys
import tempfile

VMM, GUESTS, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SKIP = 77


def run(args, timeout=60, env=None, prefix=()):
    p = subprocess.run(list(prefix) + [VMM] + args, capture_output=True, text=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def guest(name):
    return os.path.join(GUESTS, name + ".elf")


def check(cond, what, out="", err=""):
    if not cond:
        print("FAIL:", what)
        print("--- stdout ---\n" + out[-3000:])
        print("--- stderr ---\n" + err[-3000:])
        sys.exit(1)


def expect_guest_pass(args, marker="PASS", timeout=120):
    rc, out, err = run(args, timeout=timeout)
    # debug-exit 0 from the guest is exit code 1, as with QEMU
    check(rc == 1, f"exit code {rc}, expected 1 (guest debug-exit 0)", out, err)
    check(marker in out, f"'{marker}' not in the guest's output", out, err)
    return out, err


def expect_config_error(args, pattern, prefix=(), env=None):
    rc, out, err = run(args, timeout=30, prefix=prefix, env=env)
    lines = [l for l in err.splitlines() if l.strip()]
    check(rc == 1, f"exit code {rc}, expected 1", out, err)
    check(len(lines) == 1, f"expected one error line, got {len(lines)}", out, err)
    check(lines[0].startswith("qemu-vmm: "), "error line lacks the program name", out, err)
    check(re.search(pattern, lines[0]) is not None,
          f"error line does not match /{pattern}/", out, err)


# ---- guests on /dev/kvm ----

def case_hello():
    rc, out, err = run(["-kernel", guest("hello")])
    check(rc == 1, f"exit code {rc}, expected 1", out, err)
    check(out == "hello from guest\n", "output is not exactly the greeting", out, err)


def case_hello_under_qemu():
    # the same image under QEMU 7.2 (isa-debug-exit at 0xf4): same output, same code
    import shutil
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("SKIP: qemu-system-x86_64 not installed")
        sys.exit(SKIP)
    p = subprocess.run([qemu, "-M", "microvm", "-accel", "kvm", "-cpu", "host,-arch-capabilities",
                        "-m", "128M", "-nodefaults", "-no-user-config", "-nographic",
                        "-serial", "stdio", "-kernel", guest("hello"),
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1, f"QEMU exit code {p.returncode}, expected 1", p.stdout, p.stderr)
    check(p.stdout.replace("\r", "") == "hello from guest\n", "QEMU's output differs",
          p.stdout, p.stderr)


def case_hello_smp4():
    # the APs wait for INIT/SIPI in the in-kernel LAPIC; the BSP runs alone
    rc, out, err = run(["-smp", "4", "-m", "256M", "-kernel", guest("hello")])
    check(rc == 1 and out == "hello from guest\n", f"exit code {rc}", out, err)


def case_split_irqchip():
    # the userspace IOAPIC owns 0xfec00000 and the serial line
    out, err = expect_guest_pass(["-M", "microvm,kernel_irqchip=split", "-smp", "2",
                                  "-kernel", guest("ioeventfd"), "-device", "vmm-testdev"])


def case_err_irqchip_off():
    expect_config_error(["-M", "microvm,kernel_irqchip=off", "-kernel", guest("hello")],
                        r"kernel_irqchip=off is not supported on x86")


def case_acpi_tables():
    # the RSDP found by the legacy scan, the tables behind it, 3 vCPUs, 2 devices
    out, err = expect_guest_pass(["-smp", "3", "-kernel", guest("acpi"),
                                  "-device", "virtio-rng-device", "-device", "virtio-rng-device",
                                  "-append", "cpus=3 virtio=2"])
    check("XSDT entry APIC" in out, "the XSDT lists no MADT", out, err)


def case_acpi_off():
    expect_guest_pass(["-M", "microvm,acpi=off", "-kernel", guest("acpi"),
                       "-device", "virtio-rng-device", "-append", "acpi=0 virtio=1"])


def case_acpi_poweroff():
    # S5 through the FADT's sleep control register: a clean exit, code 0
    rc, out, err = run(["-M", "microvm,kernel_irqchip=split", "-kernel", guest("acpi"),
                        "-append", "poweroff=1"])
    check(rc == 0 and "PASS" in out and "FAIL" not in out, f"exit code {rc}", out, err)


def case_pit_on_off():
    # the in-kernel i8254 counts at port 0x40 by default, and is gone with pit=off
    expect_guest_pass(["-kernel", guest("pio"), "-device", "vmm-testdev", "-append", "pit=1"])
    expect_guest_pass(["-M", "microvm,pit=off", "-kernel", guest("pio"),
                       "-device", "vmm-testdev", "-append", "pit=0"])


def case_err_pit_split():
    expect_config_error(["-M", "microvm,kernel_irqchip=split,pit=on", "-kernel", guest("hello")],
                        r"pit=on needs kernel_irqchip=on")


def case_err_acpi_value():
    expect_config_error(["-M", "microvm,acpi=maybe", "-kernel", guest("hello")],
                        r"acpi=maybe: expected on, off or auto")


def case_pio():
    expect_guest_pass(["-kernel", guest("pio"), "-device", "vmm-testdev"])


def case_mmio():
    expect_guest_pass(["-kernel", guest("mmio"), "-device", "vmm-testdev"])


def case_ioeventfd():
    expect_guest_pass(["-kernel", guest("ioeventfd"), "-device", "vmm-testdev"])


def case_coalesced():
    rc, out, err = run(["-kernel", guest("coalesced"), "-device", "vmm-testdev"])
    check(rc == 1 and "PASS" in out, f"exit code {rc}", out, err)
    check("not be coalesced" not in err, "the coalesced zone was not registered", out, err)


def case_dirty():
    out, _ = expect_guest_pass(["-m", "256M", "-kernel", guest("dirty"),
                                "-device", "vmm-testdev", "-append", "mib=64"])
    check("round 2" in out and "round 3" in out, "not all rounds ran", out)


def case_dirty_split_ram():
    # 4 GiB: RAM is split around the 32-bit hole into two slots, and the
    # testdev MMIO window sits in the hole
    out, err = expect_guest_pass(["-m", "4G", "-d", "memory", "-kernel", guest("dirty"),
                                  "-device", "vmm-testdev", "-append", "mib=16"])
    slots = re.findall(r"slot (\d+): gpa (0x[0-9a-f]+) size (0x[0-9a-f]+)", err)
    got = sorted((int(g, 16), int(s, 16)) for _, g, s in slots)
    check(got == [(0, 3 << 30), (4 << 30, 1 << 30)],
          f"expected slots [0,3G) and [4G,5G), got {got}", out, err)


def case_dirty_ring_guest():
    # the dirty ring instead of the bitmap: a 256-entry ring fills every
    # ~190 pages, so the guest's exact-bitmap checks also cover the
    # ring-full exit and the harvest around it
    out, err = expect_guest_pass(["-m", "256M", "-kernel", guest("dirty"), "-d", "kvm",
                                  "-accel", "kvm,dirty-ring-size=256",
                                  "-device", "vmm-testdev", "-append", "mib=64"])
    check("round 2" in out and "round 3" in out, "not all rounds ran", out)
    check("dirty ring: 256 entries" in err, "the dirty ring was not enabled", out, err)
    check("dirty ring full" in err, "the ring never filled", out, err)


def case_err_dirty_ring_size():
    expect_config_error(["-accel", "kvm,dirty-ring-size=1000", "-kernel", guest("hello")],
                        r"-accel kvm,dirty-ring-size=1000: .*power of two")
    expect_config_error(["-accel", "kvm,dirty-ring-size=many", "-kernel", guest("hello")],
                        r"expected a number")
    expect_config_error(["-accel", "kvm,dirty-ring-size=64", "-kernel", guest("hello")],
                        r"at least 256 entries")
    # 2^31 entries is more than any KVM allows (its limit is 2^16), or no ring at all
    expect_config_error(["-accel", "kvm,dirty-ring-size=2147483648", "-kernel", guest("hello")],
                        r"too big, this KVM allows at most \d+ entries|no dirty ring")


def case_no_testdev_unowned():
    # without the test device its addresses are unowned: MMIO reads 0, PIO
    # reads all-ones, writes vanish; the guest must see that and the VMM
    # must survive it (pio.elf then fails its checks with its own exit code)
    rc, out, err = run(["-kernel", guest("pio"), "-d", "unimp"])
    check(rc not in (0, 1) and rc % 2 == 1, f"expected a guest failure code, got {rc}",
          out, err)
    check("unowned" in err, "unowned accesses were not logged", out, err)
    check(len(re.findall(r"unowned 1-byte read at 0xe000", err)) <= 1,
          "an unowned address was logged more than once", out, err)


def kludge_image(code):
    """A Multiboot image with load addresses (flag 16) that runs code at 1 MiB."""
    import struct
    load = 0x100000
    flags = 1 << 16
    hdr = struct.pack("<8I", 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xffffffff,
                      load, load, 0, 0, load + 32)
    return hdr + code


def case_internal_error():
    # 32-bit code: mov $0xfe800000, %eax; jmp *%eax -- an instruction fetch
    # from an address with no RAM, which KVM cannot emulate
    code = bytes.fromhex("b8000080fe" "ffe0")
    with tempfile.NamedTemporaryFile() as f:
        f.write(kludge_image(code))
        f.flush()
        rc, out, err = run(["-kernel", f.name], timeout=30)
    check(rc == 2, f"exit code {rc}, expected 2 (the VM could not go on)", out, err)
    check(re.search(r"vCPU 0: KVM internal error", err) is not None, "no error line", out, err)
    check(re.search(r"RIP=0*fe80000", err) is not None, "no register dump with RIP", out, err)


def print_then_spin_image(msg):
    """32-bit code: print msg on the UART, then spin forever (jmp $)."""
    import struct
    code_at = 0x100000 + 32
    msg_at = code_at + 19
    code = (b"\xbe" + struct.pack("<I", msg_at) +  # mov $msg, %esi
            b"\x66\xba\xf8\x03"                 # mov $0x3f8, %dx
            b"\xac"                               # 1: lodsb
            b"\x84\xc0"                           # test %al, %al
            b"\x74\x03"                           # jz 2f
            b"\xee"                               # out %al, (%dx)
            b"\xeb\xf8"                           # jmp 1b
            b"\xeb\xfe")                          # 2: jmp 2b
    return kludge_image(code + msg.encode() + b"\0")


def run_image(image, args, timeout=30):
    with tempfile.NamedTemporaryFile() as f:
        f.write(image)
        f.flush()
        return run(["-kernel", f.name] + args, timeout=timeout)


def reboot_counter_image():
    """Counts boots in RAM the loader does not touch (16 MiB); prints the
    count; resets through the i8042 port until the third boot, then passes
    through debug-exit."""
    return kludge_image(
        b"\xa1\x00\x00\x00\x01"   # mov 0x1000000, %eax
        b"\x40"                   # inc %eax
        b"\xa3\x00\x00\x00\x01"   # mov %eax, 0x1000000
        b"\x04\x30"               # add $'0', %al
        b"\x66\xba\xf8\x03"       # mov $0x3f8, %dx
        b"\xee"                   # out %al, (%dx)
        b"\xb0\x0a"               # mov $'\\n', %al
        b"\xee"                   # out %al, (%dx)
        b"\xa1\x00\x00\x00\x01"   # mov 0x1000000, %eax
        b"\x83\xf8\x03"           # cmp $3, %eax
        b"\x74\x06"               # je done
        b"\xb0\xfe"               # mov $0xfe, %al
        b"\xe6\x64"               # out %al, $0x64   (i8042 reset)
        b"\xeb\xfe"               # jmp .
        b"\x31\xc0"               # done: xor %eax, %eax
        b"\xe7\xf4"               # out %eax, $0xf4  (debug-exit 0)
        b"\xeb\xfe")              # jmp .


def case_reset_reboots():
    # without -no-reboot a reset boots the guest again, as QEMU does
    rc, out, err = run_image(reboot_counter_image(), [])
    check(rc == 1, f"exit code {rc}, expected 1", out, err)
    check(out == "1\n2\n3\n", "the guest did not boot three times", out, err)


def case_reset_no_reboot():
    rc, out, err = run_image(reboot_counter_image(), ["-no-reboot"])
    check(rc == 0, f"exit code {rc}, expected 0 with -no-reboot", out, err)
    check(out == "1\n", "the guest ran on after its reset", out, err)


def case_expect_match():
    rc, out, err = run(["-kernel", guest("dirty"), "-device", "vmm-testdev",
                        "--expect", r"round [2] took", "--expect-timeout", "60"])
    check(rc == 0, f"exit code {rc}, expected 0 on a match", out, err)
    check("round 3" not in out, "qemu-vmm went on after the match", out, err)


def case_expect_timeout():
    import time
    t0 = time.monotonic()
    rc, out, err = run_image(print_then_spin_image("booting\n"),
                             ["--expect", "login:", "--expect-timeout", "1"])
    took = time.monotonic() - t0
    check(rc == 4, f"exit code {rc}, expected 4 (timeout)", out, err)
    check("no match" in err, "no timeout message", out, err)
    check(took < 10, f"took {took:.1f} s for a 1 s timeout", out, err)


def case_expect_panic():
    rc, out, err = run_image(print_then_spin_image(
        "[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\n"),
        ["--expect", "login:", "--expect-timeout", "60"])
    check(rc == 6, f"exit code {rc}, expected 6 (guest panic)", out, err)
    check("panicked" in err, "no panic message", out, err)


def case_err_expect_regex():
    expect_config_error(["-kernel", guest("hello"), "--expect", "(unclosed"],
                        r"--expect \(unclosed: .*regular expression")


# ---- bad input ----

def case_err_no_kernel_file():
    expect_config_error(["-kernel", "/nonexistent/kernel"], r"could not load kernel")


def case_err_empty_kernel():
    with tempfile.NamedTemporaryFile() as f:
        expect_config_error(["-kernel", f.name], r"is empty")


def case_err_garbage_kernel():
    with tempfile.NamedTemporaryFile() as f:
        f.write(os.urandom(64 * 1024))
        f.flush()
        expect_config_error(["-kernel", f.name], r"not a Linux bzImage, a PVH ELF or a Multiboot image")


def case_err_truncated_elf():
    data = open(guest("hello"), "rb").read()
    hdr = data.find(bytes.fromhex("02b0ad1b"))     # the Multiboot magic
    check(hdr >= 0, "no Multiboot header in hello.elf")
    with tempfile.NamedTemporaryFile() as f:
        f.write(data[:hdr + 48])    # Multiboot and ELF headers, segments cut off
        f.flush()
        expect_config_error(["-kernel", f.name], r"outside the file|truncated|corrupt")


def case_err_segment_outside_ram():
    # a valid image that does not fit: -m 1M leaves nothing above 1 MiB
    expect_config_error(["-m", "1M", "-kernel", guest("hello")], r"outside guest RAM")


def case_err_mem_zero():
    expect_config_error(["-m", "0", "-kernel", guest("hello")], r"-m 0: .*too small")


def case_err_mem_huge():
    expect_config_error(["-m", "100T", "-kernel", guest("hello")], r"too large")


def case_err_mem_syntax():
    expect_config_error(["-m", "lots", "-kernel", guest("hello")], r"invalid RAM size")


def case_err_smp_zero():
    expect_config_error(["-smp", "0", "-kernel", guest("hello")], r"-smp 0: .*between 1")


def case_err_smp_huge():
    expect_config_error(["-smp", "100000", "-kernel", guest("hello")], r"between 1")


def case_err_unknown_option():
    expect_config_error(["-frobnicate", "-kernel", guest("hello")], r"-frobnicate: invalid option")


def case_err_missing_argument():
    expect_config_error(["-kernel"], r"-kernel: requires an argument")


def case_err_unknown_machine():
    expect_config_error(["-M", "pc-i440fx", "-kernel", guest("hello")], r"unknown machine type")


def case_err_unknown_machine_prop():
    expect_config_error(["-M", "microvm,turbo=on", "-kernel", guest("hello")],
                        r"no property 'turbo'")


def case_err_unknown_device():
    expect_config_error(["-device", "e1000", "-kernel", guest("hello")], r"unknown device 'e1000'")


def case_err_accel():
    expect_config_error(["-accel", "tcg", "-kernel", guest("hello")], r"only the kvm")


def case_err_no_kernel_option():
    expect_config_error([], r"no -kernel")


def case_err_no_kvm():
    # hide /dev/kvm in a private mount namespace
    if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        print("SKIP: needs root and unshare -m")
        sys.exit(SKIP)
    script = 'mount -t tmpfs none /dev && exec "$@"'
    expect_config_error(["-kernel", guest("hello")], r"Could not access KVM.*/dev/kvm",
                        prefix=("unshare", "-m", "sh", "-c", script, "sh"))


def case_help_version():
    rc, out, err = run(["-version"])
    check(rc == 0 and out.startswith("qemu-vmm version"), "-version", out, err)
    rc, out, err = run(["-help"])
    check(rc == 0 and "-kernel" in out and "-smp" in out, "-help", out, err)
    rc, out, err = run(["-machine", "help"])
    check(rc == 0 and "microvm" in out, "-machine help", out, err)
    rc, out, err = run(["-device", "help"])
    check(rc == 0 and "vmm-testdev" in out, "-device help", out, err)


# ---- virtio devices (guest: tests/guests/virtio-blk.c) ----

BLK_SECTORS = 2048
BLK_PATTERN_BYTES = 16 * 512
BLK_ZEROED = range(16 * 512, 24 * 512)


def blk_pattern(o):
    return (o * 131 + (o >> 9) + 7) & 0xff


def blk_image(fill=0xff):
    """A temporary raw image of BLK_SECTORS sectors, all bytes fill."""
    f = tempfile.NamedTemporaryFile(prefix="vmm-blk-", suffix=".img")
    f.write(bytes([fill]) * (BLK_SECTORS * 512))
    f.flush()
    return f


def check_blk_image(path, out="", err=""):
    data = open(path, "rb").read()
    check(len(data) == BLK_SECTORS * 512, "the image changed size", out, err)
    bad = [o for o in range(BLK_PATTERN_BYTES) if data[o] != blk_pattern(o)]
    check(not bad, f"pattern wrong in the image at {bad[:4]}", out, err)
    check(data[BLK_ZEROED.start:BLK_ZEROED.stop] == bytes(len(BLK_ZEROED)),
          "write-zeroes did not zero the image", out, err)
    check(data[BLK_ZEROED.stop:] == b"\xff" * (len(data) - BLK_ZEROED.stop),
          "bytes beyond the test area changed", out, err)


def case_virtio_blk():
    with blk_image() as img:
        out, err = expect_guest_pass(["-kernel", guest("virtio-blk"),
                                      "-drive", f"file={img.name},if=virtio,format=raw",
                                      "-append", f"sectors={BLK_SECTORS}"])
        check("pattern ok" in out and "write-zeroes ok" in out, "checks missing", out, err)
        check_blk_image(img.name, out, err)
        check(err == "", "unexpected messages on stderr", out, err)


def case_virtio_blk_no_ioeventfd():
    # kicks as MMIO exits handled on the vCPU thread instead of ioeventfds
    with blk_image() as img:
        out, err = expect_guest_pass(["-kernel", guest("virtio-blk"),
                                      "-global", "virtio-mmio.ioeventfd=off",
                                      "-drive", f"file={img.name},if=virtio,format=raw",
                                      "-append", f"sectors={BLK_SECTORS}"])
        check_blk_image(img.name, out, err)
        check(err == "", "unexpected messages on stderr", out, err)
    expect_config_error(["-kernel", guest("hello"), "-global", "virtio-mmio.ioeventfd=2"],
                        r"-global virtio-mmio.ioeventfd=2: expected on or off")
    expect_config_error(["-kernel", guest("hello"), "-global", "virtio-blk-device.x=1"],
                        r"-global virtio-blk-device.x=1: unsupported")


def case_virtio_blk_device_threads():
    # -drive if=none + -device, the thread-pool backend, get-id from serial=
    with blk_image() as img:
        out, err = expect_guest_pass([
            "-kernel", guest("virtio-blk"),
            "-drive", f"id=d0,if=none,file={img.name},format=raw,aio=threads",
            "-device", "virtio-blk-device,drive=d0,serial=vmm-blk-serial",
            "-append", f"sectors={BLK_SECTORS} serial=1"])
        check("id 'vmm-blk-serial'" in out, "get-id", out, err)
        check_blk_image(img.name, out, err)


def case_virtio_blk_cache_none():
    # O_DIRECT: the guest's unaligned read buffer goes through a bounce buffer
    with blk_image() as img:
        rc, out, err = run(["-kernel", guest("virtio-blk"),
                            "-drive", f"file={img.name},if=virtio,format=raw,cache=none",
                            "-append", f"sectors={BLK_SECTORS}"])
        if rc == 1 and "O_DIRECT" in err:
            print("SKIP: the temporary directory does not support O_DIRECT")
            sys.exit(SKIP)
        check(rc == 1 and "PASS" in out, f"exit code {rc}", out, err)
        check_blk_image(img.name, out, err)


def case_virtio_blk_readonly():
    with blk_image() as img:
        before = open(img.name, "rb").read()
        out, err = expect_guest_pass([
            "-kernel", guest("virtio-blk"),
            "-drive", f"file={img.name},if=virtio,format=raw,readonly=on",
            "-append", f"sectors={BLK_SECTORS} ro=1"])
        check("refuses writes" in out, "read-only check missing", out, err)
        check(open(img.name, "rb").read() == before, "a read-only image changed", out, err)


def case_virtio_blk_hostile():
    # broken chains: the device needs a reset, qemu-vmm goes on, the guest
    # resets the device and uses it again
    with blk_image() as img:
        out, err = expect_guest_pass(["-kernel", guest("virtio-blk"),
                                      "-drive", f"file={img.name},if=virtio",
                                      "-append", f"sectors={BLK_SECTORS} hostile=1",
                                      "-d", "guest_errors"])
        for what in ("buffer outside RAM", "buffer across the end of RAM", "looped chain",
                     "buffer over the rings", "looped indirect table", "avail index jump"):
            check(f"{what}: device needs reset" in out, f"'{what}' not refused", out, err)
        check("device recovered" in out, "no recovery", out, err)
        check(err.count("needs reset") >= 6, "the errors were not logged", out, err)
        check_blk_image(img.name, out, err)


def case_virtio_rng_console():
    with blk_image() as img, tempfile.TemporaryDirectory() as d:
        con = os.path.join(d, "console.txt")
        out, err = expect_guest_pass([
            "-kernel", guest("virtio-blk"), "-drive", f"file={img.name}",
            "-device", "virtio-rng-device,max-bytes=4096,period=1000",
            "-chardev", f"file,id=c0,path={con}",
            "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0",
            "-append", "rng=1 console=1"])
        check("random bytes" in out, "virtio-rng", out, err)
        check(open(con).read() == "hello from the virtio console\n",
              "console output not in the chardev file", out, err)


def case_virtio_console_socket():
    # a server socket with wait=on: qemu-vmm waits for us before the guest runs
    import socket
    import threading
    import time
    with blk_image() as img, tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "con.sock")
        got = []

        def client():
            s = socket.socket(socket.AF_UNIX)
            for _ in range(500):
                try:
                    s.connect(path)
                    break
                except OSError:
                    time.sleep(0.01)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
                if data == b"hello from the virtio console\n":
                    s.sendall(b"host to console\n")
            got.append(data)

        t = threading.Thread(target=client)
        t.start()
        out, err = expect_guest_pass([
            "-kernel", guest("virtio-blk"), "-drive", f"file={img.name}",
            "-chardev", f"socket,id=c0,path={path},server=on,wait=on",
            "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0",
            "-append", "console=1 console_rx=1"])
        t.join(10)
        check(got == [b"hello from the virtio console\n"],
              f"socket got {got!r}", out, err)
        check("read 'host to console'" in out, "console input", out, err)


def case_virtio_console_stdio():
    # stdin is the console's input, stdout its output (the UART is off)
    with blk_image() as img:
        p = subprocess.run([VMM, "-kernel", guest("virtio-blk"), "-drive", f"file={img.name}",
                            "-serial", "none", "-chardev", "stdio,id=c0",
                            "-device", "virtio-serial-device",
                            "-device", "virtconsole,chardev=c0",
                            "-append", "console=1 console_rx=1"],
                           input="host to console\n", capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 1, f"exit code {p.returncode}", p.stdout, p.stderr)
        check(p.stdout == "hello from the virtio console\n", "console output", p.stdout,
              p.stderr)


def case_err_drive_no_file():
    expect_config_error(["-kernel", guest("hello"), "-drive", "if=virtio,format=raw"],
                        r"-drive if=virtio,format=raw: file= is required")


def case_err_drive_missing_image():
    expect_config_error(["-kernel", guest("hello"), "-drive", "file=/nonexistent.img"],
                        r"-drive file=/nonexistent.img: cannot open '/nonexistent.img'")


def case_err_drive_format():
    with blk_image() as img:
        expect_config_error(["-kernel", guest("hello"),
                             "-drive", f"file={img.name},format=qcow2"],
                            r"format=qcow2 is not supported")


def case_err_drive_option():
    with blk_image() as img:
        expect_config_error(["-kernel", guest("hello"),
                             "-drive", f"file={img.name},bogus=1"],
                            r"-drive .*: unknown option 'bogus'")
        expect_config_error(["-kernel", guest("hello"),
                             "-drive", f"file={img.name},cache=sometimes"],
                            r"cache=sometimes: expected none, writeback")


def case_err_drive_in_use():
    # an image another qemu-vmm writes to is locked
    import fcntl
    import struct
    with blk_image() as img:
        fd = os.open(img.name, os.O_RDWR)
        lk = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
        fcntl.fcntl(fd, 37, lk)     # F_OFD_SETLK
        expect_config_error(["-kernel", guest("hello"), "-drive", f"file={img.name}"],
                            r"is in use by another process")
        os.close(fd)


def case_err_blk_device_drive():
    expect_config_error(["-kernel", guest("hello"),
                         "-device", "virtio-blk-device,drive=nope"],
                        r"-device virtio-blk-device,drive=nope: no -drive with id=nope")
    expect_config_error(["-kernel", guest("hello"), "-device", "virtio-blk-device"],
                        r"drive= is required")


def case_err_virtconsole():
    expect_config_error(["-kernel", guest("hello"), "-chardev", "null,id=c0",
                         "-device", "virtconsole,chardev=c0"],
                        r"needs a -device virtio-serial-device")
    expect_config_error(["-kernel", guest("hello"), "-device", "virtio-serial-device",
                         "-device", "virtconsole,chardev=c9"],
                        r"no -chardev with id=c9")
    expect_config_error(["-kernel", guest("hello"), "-chardev", "stdio,id=c0",
                         "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0"],
                        r"stdio is already used by -serial stdio")


def case_err_chardev():
    expect_config_error(["-kernel", guest("hello"), "-chardev", "tcp,id=c0"],
                        r"-chardev tcp,id=c0: unknown backend 'tcp'")
    expect_config_error(["-kernel", guest("hello"), "-chardev", "socket,id=c0"],
                        r"path= is required")
    expect_config_error(["-kernel", guest("hello"), "-chardev", "stdio"],
                        r"id= is required")


def case_err_rng_option():
    expect_config_error(["-kernel", guest("hello"),
                         "-device", "virtio-rng-device,max-bytes=0"],
                        r"max-bytes=0: expected a positive number")



def in_private_netns():
    """Move this process into a new network namespace (root only); False if not possible."""
    import ctypes
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.unshare(0x40000000) == 0    # CLONE_NEWNET


def make_tap(name):
    """A persistent tap interface, up, in the current namespace."""
    import fcntl
    import socket
    import struct
    TUNSETIFF, TUNSETPERSIST, SIOCGIFFLAGS, SIOCSIFFLAGS = 0x400454ca, 0x400454cb, 0x8913, 0x8914
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), 0x0002 | 0x1000))
    fcntl.ioctl(fd, TUNSETPERSIST, 1)
    os.close(fd)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sH", name.encode(), 0)
    flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", name.encode(), flags | 1))   # IFF_UP
    s.close()
    try:
        with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "w") as f:
            f.write("1")
    except OSError:
        pass


def net_exchange(netdev_opts, append=""):
    """Run the guest's net test against a tap in a private namespace."""
    import socket
    if not in_private_netns():
        print("SKIP: needs root, /dev/net/tun and unshare(CLONE_NEWNET)")
        sys.exit(SKIP)
    make_tap("vmmtap0")
    ether = 0x88b5
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ether))
    sock.bind(("vmmtap0", ether))
    sock.settimeout(60)
    with blk_image() as img:
        netdev = f"tap,id=n0,ifname=vmmtap0,script=no,downscript=no{netdev_opts}"
        p = subprocess.Popen([VMM, "-kernel", guest("virtio-blk"), "-drive", f"file={img.name}",
                              "-netdev", netdev,
                              "-device", "virtio-net-device,netdev=n0,mac=52:54:00:ab:cd:ef",
                              "-append", f"net=1 {append}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            frame = sock.recv(2048)
            check(frame[:6] == b"\xff" * 6 and frame[6:12] == bytes.fromhex("525400abcdef"),
                  f"frame addresses {frame[:12].hex()}")
            check(b"qemu-vmm virtio-net: guest to host" in frame, "frame payload")
            reply = (bytes.fromhex("525400abcdef") + bytes.fromhex("020000000001") +
                     ether.to_bytes(2, "big") + b"qemu-vmm virtio-net: host to guest")
            sock.send(reply.ljust(60, b"\0"))
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    check(p.returncode == 1 and "PASS" in out, f"exit code {p.returncode}", out, err)
    check("received a frame of 60 bytes" in out, "no frame received", out, err)
    return out, err


def net_offered(out):
    m = re.search(r"offered 0x([0-9a-f]+)", out)
    check(m is not None, "no features line", out)
    return int(m.group(1), 16)


def case_virtio_net_tap():
    out, err = net_exchange("")
    # a vnet-header tap: checksum and TSO offloads both ways
    offload = (1 << 0) | (1 << 1) | (1 << 7) | (1 << 8) | (1 << 11) | (1 << 12)
    check(net_offered(out) & offload == offload, "offloads not offered", out, err)
    check(err == "", "unexpected messages on stderr", out, err)


def case_virtio_net_no_vnet_hdr():
    # no vnet header: no offloads, the device adds and strips headers itself
    out, err = net_exchange(",vnet_hdr=off", "nomrg=1")
    check(net_offered(out) & 0x3fff == (1 << 5), "offloads offered without vnet_hdr",
          out, err)


def case_virtio_net_vhost_missing():
    # vhost=on is a requirement: without /dev/vhost-net, a clear error
    if os.path.exists("/dev/vhost-net"):
        print("SKIP: /dev/vhost-net exists (the emulated host's test runs vhost-net)")
        sys.exit(SKIP)
    if not in_private_netns():
        print("SKIP: needs root, /dev/net/tun and unshare(CLONE_NEWNET)")
        sys.exit(SKIP)
    make_tap("vmmtap0")
    expect_config_error(["-kernel", guest("hello"),
                         "-netdev", "tap,id=n0,ifname=vmmtap0,script=no,vhost=on",
                         "-device", "virtio-net-device,netdev=n0"],
                        r"-device virtio-net-device,netdev=n0: vhost-net: cannot open "
                        r"/dev/vhost-net: No such file")


def case_err_netdev():
    expect_config_error(["-kernel", guest("hello"), "-netdev", "user,id=n0"],
                        r"-netdev user,id=n0: backend 'user' is not supported")
    expect_config_error(["-kernel", guest("hello"), "-netdev", "tap,id=n0,script=/etc/qemu-ifup"],
                        r"scripts are not supported")
    expect_config_error(["-kernel", guest("hello"), "-netdev", "tap,id=n0,vhost=maybe"],
                        r"vhost=maybe: expected on or off")
    expect_config_error(["-kernel", guest("hello"), "-device", "virtio-net-device,netdev=n9"],
                        r"no -netdev with id=n9")
    expect_config_error(["-kernel", guest("hello"), "-netdev", "tap,id=n0,script=no",
                         "-device", "virtio-net-device,netdev=n0,mac=01:00:00:00:00:01"],
                        r"mac=01:00:00:00:00:01: expected a unicast address")


# ---- attack guests (tests/guests/attack-*.c): hostile to the VMM ----

ATTACK_PATTERN_BYTES = 8 * 512


def attack_pattern(o):
    return (o * 7 + (o >> 9) + 0x31) & 0xff


def case_attack_virtio():
    # rings breaking every rule: each attack refused, qemu-vmm alive, the
    # device working after a reset; only the guest's own good write reached
    # the disk
    with blk_image() as img:
        out, err = expect_guest_pass(["-kernel", guest("attack-virtio"), "-m", "128M",
                                      "-drive", f"file={img.name},if=virtio,format=raw",
                                      "-device", "virtio-rng-device", "-device", "vmm-testdev"])
        attacks = [l for l in out.splitlines() if l.startswith(("virtio-blk: ", "virtio-rng: "))]
        check(len(attacks) >= 40, f"only {len(attacks)} attacks reported", out, err)
        check("needs reset" in err, "the broken queues were not logged", out, err)
        data = open(img.name, "rb").read()
        check(all(data[o] == attack_pattern(o) for o in range(ATTACK_PATTERN_BYTES)),
              "the guest's good write is not in the image", out, err)
        check(data[ATTACK_PATTERN_BYTES:] == b"\xff" * (len(data) - ATTACK_PATTERN_BYTES),
              "an attack wrote to the disk", out, err)


def case_attack_mmio():
    # every width at every offset of every device region (split irqchip:
    # the IOAPIC is ours), then the devices must still answer correctly
    with blk_image() as img:
        out, err = expect_guest_pass(["-M", "microvm,kernel_irqchip=split", "-m", "128M",
                                      "-kernel", guest("attack-mmio"),
                                      "-drive", f"file={img.name},if=virtio,format=raw",
                                      "-device", "virtio-rng-device", "-device", "vmm-testdev"])
        check("devices still correct" in out, "the final checks did not run", out, err)
        for region in ("testdev MMIO", "virtio-mmio slot 3", "IOAPIC", "serial", "testdev PIO",
                       "debug-exit"):
            check(f"{region}: " in out, f"region '{region}' not attacked", out, err)


if __name__ == "__main__":
    fn = globals().get("case_" + CASE.replace("-", "_"))
    if fn is None:
        print("unknown case", CASE)
        sys.exit(2)
    fn()
    print("ok", CASE)
