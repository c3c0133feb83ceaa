#!/bin/sh
# Install what building and testing qemu-vmm needs on Debian 12, if missing.
# Runs as root (CI and the README's set-up); prints nothing when all is there.
set -eu

PACKAGES="gcc make meson ninja-build pkg-config python3 libglib2.0-dev libfdt-dev
libjson-glib-dev linux-libc-dev binutils qemu-system-x86 util-linux liburing-dev
zlib1g-dev"
# The seccomp sandbox (-sandbox on, the default): libseccomp builds the filters.
PACKAGES="$PACKAGES libseccomp-dev"
# Linux guests in the emulated host (tests/functional): Debian's kernel and a
# static busybox.  The QMP fuzz target: clang and its libFuzzer runtime.
PACKAGES="$PACKAGES linux-image-amd64 busybox-static clang-14 libclang-rt-14-dev"
# iasl, which the ACPI unit test runs to disassemble and recompile the tables
PACKAGES="$PACKAGES acpica-tools"
# The small guest kernel with virtio-mmio command-line devices
# (tests/functional/build-small-kernel), and ext4 images for its disk test.
PACKAGES="$PACKAGES linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils cpio
e2fsprogs"
# The static arm64 cross build (make cross-aarch64) and the arm64 suite: the
# cross compiler, arm64 -dev packages through dpkg's multiarch, QEMU for arm64.
PACKAGES="$PACKAGES gcc-aarch64-linux-gnu libc6-dev:arm64 linux-libc-dev:arm64
libglib2.0-dev:arm64 zlib1g-dev:arm64 libseccomp-dev:arm64 qemu-system-arm libjson-glib-dev:arm64"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
