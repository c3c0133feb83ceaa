#!/bin/sh
# Install what building and testing qemu-vmm needs on Debian 12, if missing.
# Runs as root (CI and the README's set-up); prints nothing when all is there.
set -eu

PACKAGES="gcc make meson ninja-build pkg-config python3 libglib2.0-dev libfdt-dev
libjson-glib-dev linux-libc-dev binutils qemu-system-x86 util-linux"

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
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
