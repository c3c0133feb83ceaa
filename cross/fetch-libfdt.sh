#!/bin/sh
# Put an arm64 libfdt.a into DIR for the cross build.
#
# Debian's libfdt-dev is not co-installable across architectures (it is not
# Multi-Arch: same), so installing libfdt-dev:arm64 would remove the host's.
# The headers are the same for every architecture and come from the host's
# libfdt-dev; only the arm64 static library is needed, taken from the
# package without installing it.  Needs the arm64 architecture added to dpkg
# (scripts/install-deps.sh does that).
set -eu

dir=${1:?usage: cross/fetch-libfdt.sh DIR}
[ -f "$dir/libfdt.a" ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current directory, as user _apt if it can
chown _apt "$tmp" 2>/dev/null || chmod 777 "$tmp"
(cd "$tmp" && apt-get download -q libfdt-dev:arm64 >/dev/null)
dpkg -x "$tmp"/libfdt-dev_*_arm64.deb "$tmp/x"
mkdir -p "$dir"
cp "$tmp/x/usr/lib/aarch64-linux-gnu/libfdt.a" "$dir/libfdt.a"
