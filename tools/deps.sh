#!/bin/sh
# Install the Debian packages pvos needs to build, run and test.
#   tools/deps.sh           install what is missing (as root), else print the apt-get line
#   tools/deps.sh --check   exit 0 if everything is installed, 1 if not (prints nothing)
# The Makefile runs this by itself whenever a package is missing.
set -eu

PACKAGES="gcc make binutils libc6-dev perl grub-pc-bin grub-common xorriso mtools
grub-efi-amd64-bin ovmf qemu-system-x86 libcmocka-dev libelf-dev libxen-dev linux-libc-dev
xen-hypervisor-4.17-amd64 busybox-static cpio gnuplot-nox graphviz python3 gdb"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ]
	exit $?
fi
if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	exit 0
fi
echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root:  apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Fresh machines have empty package lists; refresh them once if so.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
	apt-get update -q
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing ||
	{ apt-get update -q && apt-get install -y -q --no-install-recommends $missing; }
