#!/usr/bin/env bash
# build-initramfs.sh OUTDIR - build the L1 side of the nested-KVM harness.
#
# Produces OUTDIR/vmlinuz (Debian's own linux-image kernel) and
# OUTDIR/initramfs-base.cpio.gz: busybox, the kvm modules, Debian's
# qemu-system-x86_64 with only the shared libraries and firmware it needs,
# tests/kvm/init.sh as /init and tests/kvm/l2-run.sh.  The guest itself is
# NOT in here: run-nested.sh appends it per run, so this is built once.
#
# Exit status: 0 built or up to date; 2 packages missing and we are not root
# (the apt-get line is printed); 77 + "SKIP <reason>" on stdout when a
# package cannot be had at all (callers turn that into a TAP skip).
# Environment: PVOS_KVM_KERNEL_PKG overrides the linux-image package.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build-initramfs.sh OUTDIR}
VMLINUZ=$OUT/vmlinuz
BASE=$OUT/initramfs-base.cpio.gz
# Everything the harness needs on the host, for building and for running:
# qemu-system-x86 runs L1 and is copied into L1 to run L2 (seabios and
# qemu-system-data hold its firmware), busybox-static is L1's userland,
# cpio/gzip/xz-utils pack and unpack, binutils reads module metadata,
# gcc/make build the probe guest, coreutils' timeout bounds every run.
HOST_PKGS=(qemu-system-x86 qemu-system-data seabios busybox-static cpio gzip
           xz-utils zstd binutils gcc make coreutils)
# Firmware the L2 QEMU loads for "-machine pc -kernel" (SeaBIOS plus the
# option ROMs for PVH/multiboot/Linux boot and the KVM vAPIC helper).
FIRMWARE=(bios-256k.bin kvmvapic.bin pvh.bin linuxboot.bin linuxboot_dma.bin
          multiboot.bin multiboot_dma.bin)
MODULES=(irqbypass kvm ccp kvm-amd kvm-intel)

# fd 3 = our real stdout, so a SKIP raised inside $(...) still reaches the caller.
exec 3>&1
say()  { echo "build-initramfs: $*" >&2; }
skip() { echo "SKIP $*" >&3; exit 77; }
die()  { say "error: $*"; exit 1; }

up_to_date() {
    local f
    for f in "$VMLINUZ" "$BASE"; do
        [[ -s $f ]] || return 1
        [[ $f -nt $0 && $f -nt $HERE/init.sh && $f -nt $HERE/l2-run.sh ]] || return 1
    done
}

missing_pkgs() {
    local p
    for p in "${HOST_PKGS[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            echo "$p"
    done
}

apt_update_if_needed() {
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null && return 0
    say "apt lists are empty, running apt-get update"
    timeout 300 apt-get update -q >&2 || skip "apt-get update failed (no Debian archive?)"
}

ensure_packages() {
    local missing
    missing=$(missing_pkgs | tr '\n' ' ')
    [[ -z ${missing// } ]] && return 0
    if (( EUID != 0 )); then
        say "missing packages; as root run: apt-get install -y $missing"
        exit 2
    fi
    apt_update_if_needed
    say "installing: $missing"
    # shellcheck disable=SC2086  # word splitting intended: a package list
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q $missing >&2 ||
        skip "cannot install Debian packages: $missing"
}

# The kernel the linux-image-amd64 meta package currently points at, e.g.
# linux-image-6.1.0-56-amd64 (never a glob: that would pull every flavour).
kernel_pkg() {
    local pkg=${PVOS_KVM_KERNEL_PKG:-}
    [[ -n $pkg ]] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                           awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [[ -n $pkg ]] || skip "no linux-image-amd64 in the apt lists (apt-get update?)"
    echo "$pkg"
}

fetch_kernel_deb() {
    local pkg=$1 cache=$OUT/debs deb
    mkdir -p "$cache"
    deb=$(compgen -G "$cache/${pkg}_*_amd64.deb" | head -n 1 || true)
    if [[ -z $deb ]]; then
        [[ $EUID -eq 0 ]] && apt_update_if_needed
        say "downloading $pkg (~70 MB)"
        # _apt cannot write into root-owned dirs; -o silences the sandbox warning.
        (cd "$cache" && timeout 600 apt-get download -q \
            -o APT::Sandbox::User=root "$pkg" >&2) || skip "cannot download $pkg"
        deb=$(compgen -G "$cache/${pkg}_*_amd64.deb" | head -n 1 || true)
        [[ -n $deb ]] || skip "apt-get download left no $pkg .deb"
    fi
    echo "$deb"
}

# Pull only vmlinuz and the few modules out of the 400 MB package tree.
extract_kernel() {
    local deb=$1 kdir=$2
    rm -rf "$kdir" && mkdir -p "$kdir"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" --wildcards \
        './boot/vmlinuz-*' './lib/modules/*/kernel/arch/x86/kvm/kvm*.ko*' \
        './lib/modules/*/kernel/drivers/crypto/ccp/ccp.ko*' \
        './lib/modules/*/kernel/virt/lib/irqbypass.ko*'
}

# Busybox insmod cannot read compressed modules: store them plain.
install_module() {
    local src=$1 dst=$2
    case $src in
        *.ko.xz)  xz -dc "$src" > "$dst" ;;
        *.ko.zst) zstd -qdc "$src" > "$dst" ;;
        *.ko.gz)  gzip -dc "$src" > "$dst" ;;
        *.ko)     cp "$src" "$dst" ;;
        *) die "unknown module format: $src" ;;
    esac
}

module_depends() {
    strings -a "$1" | sed -n 's/^depends=//p' | head -n 1
}

# init.sh loads modules in a fixed order; fail the build if a new kernel
# ever adds a dependency that order does not satisfy.
check_module_order() {
    local dir=$1 loaded=() m d
    shift
    for m in "$@"; do
        for d in $(module_depends "$dir/$m.ko" | tr ',' ' '); do
            [[ " ${loaded[*]} " == *" ${d//_/-} "* || " ${loaded[*]} " == *" $d "* ]] ||
                die "$m.ko depends on $d, which init.sh does not load before it"
        done
        loaded+=("$m")
    done
}

stage_modules() {
    local kdir=$1 root=$2 m src
    mkdir -p "$root/lib/modules"
    for m in "${MODULES[@]}"; do
        src=$(find "$kdir/lib/modules" -name "$m.ko*" | head -n 1)
        [[ -n $src ]] || die "module $m not found in the kernel package"
        install_module "$src" "$root/lib/modules/$m.ko"
    done
    check_module_order "$root/lib/modules" irqbypass kvm ccp kvm-amd
    check_module_order "$root/lib/modules" irqbypass kvm kvm-intel
}

stage_busybox() {
    local root=$1 a
    mkdir -p "$root/bin"
    cp /bin/busybox "$root/bin/busybox"
    for a in $("$root/bin/busybox" --list); do
        [[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
    done
}

# qemu-system-x86_64 plus exactly the libraries ldd lists, at the same paths.
stage_qemu() {
    local root=$1 qemu lib f
    qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"
    mkdir -p "$root/usr/bin"
    cp -L "$qemu" "$root/usr/bin/qemu-system-x86_64"
    for lib in $(ldd "$qemu" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    for f in "${FIRMWARE[@]}"; do stage_firmware "$root" "$f"; done
}

# Keep each file in the directory QEMU's firmware search path names
# (/usr/share/qemu, then /usr/share/seabios): see "qemu-system-x86_64 -L help".
stage_firmware() {
    local root=$1 f=$2 d
    for d in /usr/share/qemu /usr/share/seabios; do
        if [[ -e $d/$f ]]; then
            mkdir -p "$root$d"
            cp -L "$d/$f" "$root$d/$f"
            return 0
        fi
    done
    die "QEMU firmware $f not found"
}

stage_root() {
    local kdir=$1 root=$2
    rm -rf "$root" && mkdir -p "$root"/{proc,sys,dev,tmp,run,pvos}
    stage_busybox "$root"
    stage_modules "$kdir" "$root"
    stage_qemu "$root"
    install -m 0755 "$HERE/init.sh" "$root/init"
    install -m 0755 "$HERE/l2-run.sh" "$root/bin/pvos-l2-run"
    # The kernel's built-in initramfs already has /dev/console; this is for
    # kernels without one (needs root, hence optional).
    mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
}

# newc, owned by root, sorted for reproducibility; gzip -n: no timestamp.
pack_root() {
    local root=$1 out=$2
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) | gzip -9n > "$out.tmp"
    mv "$out.tmp" "$out"
}

main() {
    mkdir -p "$OUT"
    ensure_packages
    if up_to_date; then say "up to date: $BASE"; exit 0; fi
    local pkg deb kdir=$OUT/kernel-tree root=$OUT/initramfs-root t0=$SECONDS
    pkg=$(kernel_pkg)
    deb=$(fetch_kernel_deb "$pkg")
    say "using $(basename "$deb")"
    extract_kernel "$deb" "$kdir"
    stage_root "$kdir" "$root"
    pack_root "$root" "$BASE"
    cp "$(compgen -G "$kdir/boot/vmlinuz-*" | head -n 1)" "$VMLINUZ.tmp"
    mv "$VMLINUZ.tmp" "$VMLINUZ"
    echo "$pkg" > "$OUT/kernel-package"
    rm -rf "$kdir" "$root"
    say "built $BASE ($(du -h "$BASE" | cut -f1)) and $VMLINUZ in $((SECONDS - t0)) s"
}

main "$@"
