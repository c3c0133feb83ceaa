"""Helpers shared by emulated-host and make-guest-initramfs.

Both boot Debian's stock kernel (package linux-image-amd64) with a small
busybox initramfs.  The archive is written here in Python (newc cpio +
gzip) so that no cpio tool and no root privileges are needed: device
nodes such as /dev/console are just entries in the archive.
"""

import glob
import gzip
import lzma
import os
import re
import struct
import tempfile


class Error(Exception):
    """A missing prerequisite, with a message that says how to fix it."""


def _version_key(version):
    return [int(n) for n in re.findall(r"\d+", version)]


def find_kernel(version=None):
    """Return (version, vmlinuz path, modules dir) of a Debian amd64 kernel.

    Only kernels from Debian's packages qualify: /boot/vmlinuz-*-amd64 with
    a matching /lib/modules/<version>/modules.dep.  The running kernel of
    the machine is usually a custom one without those modules.
    """
    found = []
    for path in glob.glob("/boot/vmlinuz-*-amd64"):
        ver = os.path.basename(path)[len("vmlinuz-"):]
        if os.path.exists(f"/lib/modules/{ver}/modules.dep"):
            found.append(ver)
    if version is not None:
        found = [v for v in found if v == version]
    if not found:
        raise Error("no Debian kernel found (/boot/vmlinuz-*-amd64 with its "
                    "/lib/modules): apt-get install linux-image-amd64")
    ver = max(found, key=_version_key)
    path = f"/boot/vmlinuz-{ver}"
    if not os.access(path, os.R_OK):
        raise Error(f"cannot read {path}")
    return ver, path, f"/lib/modules/{ver}"


def cache_dir():
    """Where built files are kept between runs (outside the source tree)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "qemu-vmm")


def prune(directory, prefix, keep):
    """Delete directory/prefix* except keep: older kernels or versions."""
    for name in os.listdir(directory):
        if name.startswith(prefix) and name != keep:
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def uncompressed_kernel(vmlinuz, directory):
    """Return the ELF vmlinux inside a bzImage, extracted once and cached.

    Under TCG, the bzImage's own XZ decompression takes about 3.5 s of every
    boot; QEMU boots the vmlinux directly through its PVH entry point.  The
    file is written sparse (half of it is zero pages).  Returns None if the
    image is not XZ-compressed or there is no room for the cache.
    """
    st = os.stat(vmlinuz)
    name = "vmlinux-%s-%x-%x" % (os.path.basename(vmlinuz)[len("vmlinuz-"):],
                                 st.st_size, st.st_mtime_ns)
    path = os.path.join(directory, name)
    if os.path.exists(path):
        return path
    with open(vmlinuz, "rb") as f:
        image = f.read()
    start = image.find(b"\xfd7zXZ\x00")
    if start < 0:
        return None
    try:
        elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(image[start:])
    except lzma.LZMAError:
        return None
    if elf[:4] != b"\x7fELF":
        return None

    def write_sparse(f):
        zero = bytes(1 << 16)
        for off in range(0, len(elf), len(zero)):
            chunk = elf[off:off + len(zero)]
            if chunk == zero[:len(chunk)]:
                f.seek(len(chunk), os.SEEK_CUR)
            else:
                f.write(chunk)
        f.truncate(len(elf))
    try:
        os.makedirs(directory, exist_ok=True)
        atomic_write(path, write_sparse)
    except OSError:
        return None
    prune(directory, "vmlinux-", name)
    return path


def atomic_write(path, writer):
    """Create path with writer(file): complete or not at all, even if two
    runs race or one is interrupted."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".",
                               prefix=".tmp.")
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def find_busybox():
    """Return the path of a statically linked busybox (busybox-static)."""
    path = "/bin/busybox"
    try:
        with open(path, "rb") as f:
            elf = f.read(1 << 16)
    except OSError:
        raise Error("busybox not found: apt-get install busybox-static")
    if not _elf_is_static(elf):
        raise Error(f"{path} is dynamically linked: apt-get install "
                    "busybox-static (it replaces the busybox package)")
    return path


def _elf_is_static(elf):
    # A dynamically linked executable has a PT_INTERP program header.
    if elf[:5] != b"\x7fELF\x02":
        return False
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(elf):
            return False
        if struct.unpack_from("<I", elf, off)[0] == 3:     # PT_INTERP
            return False
    return True


def resolve_modules(moddir, names):
    """Return [(name, path)] for names plus their dependencies, in load order.

    Dependencies come from modules.dep, so the list names only the modules
    we want; a kernel update that adds a dependency keeps working.
    """
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            target, _, rest = line.partition(":")
            deps[target] = rest.split()

    def key(relpath):          # "kernel/x/virtio-rng.ko" -> "virtio_rng"
        return os.path.basename(relpath).split(".ko")[0].replace("-", "_")

    by_name = {key(p): p for p in deps}
    order = []

    def visit(relpath):
        if relpath in order:
            return
        # modules.dep lists the deepest dependency last; load it first.
        for dep in reversed(deps[relpath]):
            visit(dep)
        order.append(relpath)

    for name in names:
        relpath = by_name.get(name.replace("-", "_"))
        if relpath is None:
            raise Error(f"module {name} not found in {moddir}")
        visit(relpath)
    return [(key(p), os.path.join(moddir, p)) for p in order]


class Cpio:
    """A newc ("070701") cpio archive built in memory."""

    def __init__(self):
        self.data = bytearray()
        self.ino = 0

    def _entry(self, name, mode, body=b"", rdev=(0, 0)):
        self.ino += 1
        fields = (self.ino, mode, 0, 0, 1, 0, len(body), 0, 0,
                  rdev[0], rdev[1], len(name) + 1, 0)
        self.data += b"070701" + b"".join(b"%08x" % v for v in fields)
        self.data += name.encode() + b"\0"
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name):
        self._entry(name, 0o040755)

    def file(self, name, body, mode=0o644):
        self._entry(name, 0o100000 | mode, body)

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def write_gz(self, path):
        """Write the archive, gzip-compressed, atomically to path."""
        self._entry("TRAILER!!!", 0)

        def write(raw):
            # mtime=0 makes the output depend on its content only.
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(self.data)
        atomic_write(path, write)


def busybox_base(busybox):
    """Start an archive with busybox and the directories every init needs."""
    cpio = Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules"):
        cpio.dir(d)
    # The kernel opens /dev/console for init's stdio before init runs.
    cpio.chardev("dev/console", 5, 1)
    with open(busybox, "rb") as f:
        cpio.file("bin/busybox", f.read(), 0o755)
    return cpio


def add_modules(cpio, modules):
    """Add modules (from resolve_modules) and /modules.list, in load order."""
    for name, path in modules:
        with open(path, "rb") as f:
            cpio.file(f"lib/modules/{name}.ko", f.read())
    cpio.file("modules.list", "".join(n + "\n" for n, _ in modules).encode())


# Shell function for the inits: insmod every module of /modules.list, with
# its "module.param=value" words from the kernel command line (modprobe
# would apply them; busybox insmod does not).  Calls fail_module on error.
LOAD_MODULES_SH = r'''
load_modules() {
    set -f                      # the command line may hold glob characters
    for m in $(cat /modules.list); do
        params=""
        for w in $(cat /proc/cmdline); do
            case "$w" in "$m".*=*) params="$params ${w#*.}" ;; esac
        done
        # shellcheck disable=SC2086
        insmod "/lib/modules/$m.ko" $params || fail_module "$m"
    done
    set +f
}
'''
