#!/usr/bin/env bash
# build-dom0.sh OUTDIR - build the dom0 that runs pvos as a Xen PV domU.
#
# Produces, from Debian packages fetched with `apt-get download` and
# unpacked with `dpkg -x` (nothing is installed on the host):
#   OUTDIR/vmlinux          Debian's kernel, which Xen boots as a PV dom0,
#                           unpacked from its bzImage (Xen would spend ~3 s
#                           of TCG time unpacking the xz payload itself)
#   OUTDIR/dom0-base.cpio   the dom0's root: busybox, the Xen modules, the
#                           toolstack (xl, xenstored, xenconsoled,
#                           xen-init-dom0, xenconsole) with its libraries,
#                           util-linux's `script` (bsdutils), and
#                           tests/xen/dom0-init.sh as /init
#   OUTDIR/busybox          the same static busybox, for run-domu.sh's cpio
# pvos itself, pvos.xl.cfg and the list of runs are NOT in here: run-domu.sh
# appends them per run, so this is built once (cached while newer than this
# script and dom0-init.sh; the .debs are kept in OUTDIR/debs).
#
# Exit status: 0 built or up to date; 77 + "SKIP <reason>" on stdout when a
# package cannot be had (callers turn that into a TAP skip); 1 on an error.
# Environment: PVOS_XEN_KERNEL_PKG overrides the linux-image package.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build-dom0.sh OUTDIR}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
VMLINUX=$OUT/vmlinux
BASE=$OUT/dom0-base.cpio
BUSYBOX=$OUT/busybox
XENBIN=usr/lib/xen-4.17/bin
XEN_TOOLS=(xl xenstored xenconsoled xen-init-dom0 xenconsole)
# Load order = dependency order (no modules.dep; busybox insmod resolves
# nothing): xenfs needs xen-privcmd.  check_module_order proves it.
MODULES=(xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc)

# fd 3 = our real stdout, so a SKIP raised inside $(...) still reaches the caller.
exec 3>&1
say()  { echo "build-dom0: $*" >&2; }
skip() { echo "SKIP $*" >&3; exit 77; }
die()  { say "error: $*"; exit 1; }

up_to_date() {
    local f
    for f in "$VMLINUX" "$BASE" "$BUSYBOX"; do
        [[ -s $f && $f -nt $0 && $f -nt $HERE/dom0-init.sh ]] || return 1
    done
}

# What this script runs on the host, and the Debian package of each.
HOST_TOOLS=(apt-get:apt dpkg-deb:dpkg ldd:libc-bin strings:binutils xz:xz-utils
            gzip:gzip timeout:coreutils)

# Installs what is missing when root (as tools/deps.sh does), else skips.
ensure_host_tools() {
    local t missing=()
    for t in "${HOST_TOOLS[@]}"; do command -v "${t%%:*}" > /dev/null || missing+=("${t#*:}"); done
    (( ${#missing[@]} )) || return 0
    (( EUID == 0 )) || skip "missing host packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
    apt_update_if_needed
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${missing[@]}" >&2 ||
        skip "cannot install ${missing[*]}"
}

apt_update_if_needed() {
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null && return 0
    (( EUID == 0 )) || skip "the apt lists are empty and only root can run apt-get update"
    say "apt lists are empty, running apt-get update"
    timeout 300 apt-get update -q >&2 || skip "apt-get update failed (no Debian archive?)"
}

# The kernel linux-image-amd64 points at today, e.g. linux-image-6.1.0-57-amd64.
kernel_pkg() {
    local pkg=${PVOS_XEN_KERNEL_PKG:-}
    [[ -n $pkg ]] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                           awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [[ -n $pkg ]] || skip "no linux-image-amd64 in the apt lists (apt-get update?)"
    echo "$pkg"
}

# xen-utils-4.17 and the Xen libraries it needs, at the archive's version
# (not whatever libxen* the host happens to have); glibc and the other
# common libraries come from the host, which is Debian 12 too.
xen_pkgs() {
    echo xen-utils-4.17
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances --no-pre-depends xen-utils-4.17 2>/dev/null |
        grep -E '^(libxen|libyajl)' | sort -u
}

cached_deb() { compgen -G "$OUT/debs/${1}_*_amd64.deb" | head -n 1 || true; }

# fetch_debs PKG...: download (in one apt-get call) those not in OUTDIR/debs.
fetch_debs() {
    local p missing=()
    for p in "$@"; do [[ -n $(cached_deb "$p") ]] || missing+=("$p"); done
    (( ${#missing[@]} )) || return 0
    mkdir -p "$OUT/debs"
    say "downloading ${missing[*]}"
    # _apt cannot write into root-owned dirs; -o silences the sandbox warning.
    (cd "$OUT/debs" && timeout 600 apt-get download -q \
        -o APT::Sandbox::User=root "${missing[@]}" >&2) && return 0
    for p in "${missing[@]}"; do
        apt-cache show "$p" > /dev/null 2>&1 || skip "cannot download $p: not in the apt lists"
    done
    skip "apt-get download ${missing[*]} failed (is the Debian archive reachable?)"
}

# deb PKG: its cached .deb (fetch_debs got it).
deb() {
    local f
    f=$(cached_deb "$1")
    [[ -n $f ]] || skip "apt-get download left no $1 .deb"
    echo "$f"
}

stage_busybox() {
    local root=$1 tree=$2 a
    dpkg -x "$(deb busybox-static)" "$tree/busybox"
    mkdir -p "$root/bin"
    cp "$tree/busybox/bin/busybox" "$root/bin/busybox"
    for a in $("$root/bin/busybox" --list); do
        [[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
    done
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

check_module_order() {
    local dir=$1 loaded=' ' m d
    for m in "${MODULES[@]}"; do
        for d in $(strings -a "$dir/$m.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
            [[ $loaded == *" $d "* || $loaded == *" ${d//_/-} "* ]] ||
                die "$m.ko depends on $d, which dom0-init.sh does not load before it"
        done
        loaded+="$m "
    done
}

# vmlinuz and the Xen modules out of the 400 MB package tree.
stage_kernel() {
    local root=$1 tree=$2 pkg=$KERNEL_PKG kdir=$2/kernel m src
    mkdir -p "$kdir" "$root/lib/modules"
    dpkg-deb --fsys-tarfile "$(deb "$pkg")" | tar -x -C "$kdir" --wildcards \
        './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*' ||
        die "cannot unpack vmlinuz and drivers/xen from $pkg"
    for m in "${MODULES[@]}"; do
        src=$(find "$kdir/lib/modules" -name "$m.ko*" | head -n 1)
        [[ -n $src ]] || die "module $m not found in $pkg"
        install_module "$src" "$root/lib/modules/$m.ko"
    done
    check_module_order "$root/lib/modules"
    unpack_bzimage "$(compgen -G "$kdir/boot/vmlinuz-*" | head -n 1)" "$tree/vmlinux"
    echo "$pkg" > "$tree/kernel-package"
}

# The ELF inside a bzImage: the payload after the first compression magic
# that unpacks to an ELF (what Linux's scripts/extract-vmlinux does).
unpack_bzimage() {
    local img=$1 out=$2 magic tool off
    for magic in 'xz:\3757zXZ\000' 'gzip:\037\213\010' 'zstd:(\265/\375'; do
        tool=${magic%%:*}
        # shellcheck disable=SC2059  # the magic is written as printf escapes
        printf "${magic#*:}" > "$out.magic"
        for off in $(grep -abo -F -f "$out.magic" "$img" | cut -d: -f1); do
            tail -c +$((off + 1)) "$img" | "$tool" -dc > "$out" 2>/dev/null || true
            [[ $(head -c 4 "$out" | od -An -c | tr -d ' ') == '177ELF' ]] &&
                { rm -f "$out.magic"; return 0; }
        done
    done
    rm -f "$out" "$out.magic"
    die "no ELF kernel found inside $(basename "$img")"
}

# copy_lib ROOT FILE [PATH]: FILE, symlinks resolved, at PATH (default: the
# same path) in the dom0.
copy_lib() {
    local dst=${3:-$2}
    mkdir -p "$1$(dirname "$dst")"
    cp -L "$2" "$1$dst"
}

# The toolstack, and every library ldd finds for it: Xen's own from the
# unpacked packages (LD_LIBRARY_PATH), the rest from the host.  glibc loads
# libgcc_s.so.1 at run time (pthread_cancel, backtraces), which ldd cannot
# see: copy it as well.
stage_xen_tools() {
    local root=$1 tree=$2 x=$2/xen p t lib libdir
    for p in $XEN_PKGS; do dpkg -x "$(deb "$p")" "$x"; done
    libdir=$x/usr/lib/x86_64-linux-gnu
    mkdir -p "$root/$XENBIN"
    for t in "${XEN_TOOLS[@]}"; do
        [[ -x $x/$XENBIN/$t ]] || die "$t not in xen-utils-4.17"
        cp "$x/$XENBIN/$t" "$root/$XENBIN/$t"
        ! LD_LIBRARY_PATH=$libdir ldd "$x/$XENBIN/$t" | grep 'not found' ||
            die "$t: libraries not found (above)"
        for lib in $(LD_LIBRARY_PATH=$libdir ldd "$x/$XENBIN/$t" |
                     awk '/=> \//{print $3} /^\t\//{print $1}'); do
            copy_lib "$root" "$lib" "${lib#"$x"}"
        done
    done
    lib=$(compgen -G '/lib/x86_64-linux-gnu/libgcc_s.so.1' || true)
    [[ -n $lib ]] || die "no libgcc_s.so.1 on the host (package libgcc-s1)"
    copy_lib "$root" "$lib"
}

# xenconsole, behind `xl console`, reads its stdin only when stdin and
# stdout are terminals (as a person's are).  `script` gives it one: a pty
# whose other end the harness feeds.  busybox has no `script`.
stage_script() {
    local root=$1 tree=$2 lib
    dpkg -x "$(deb bsdutils)" "$tree/bsdutils"
    [[ -x $tree/bsdutils/usr/bin/script ]] || die "no usr/bin/script in bsdutils"
    mkdir -p "$root/usr/bin"
    cp "$tree/bsdutils/usr/bin/script" "$root/usr/bin/script"
    for lib in $(ldd "$tree/bsdutils/usr/bin/script" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
        copy_lib "$root" "$lib"
    done
}

stage_root() {
    local root=$1 tree=$2
    rm -rf "$root" && mkdir -p "$root"/{proc,sys,dev,run,tmp,pvos,etc/xen,var/lib,var/log}
    # Xen's tools use both /var/run and /run; the daemons' dirs are made by /init.
    ln -s /run "$root/var/run"
    stage_busybox "$root" "$tree"
    stage_kernel "$root" "$tree"
    stage_xen_tools "$root" "$tree"
    stage_script "$root" "$tree"
    install -m 0755 "$HERE/dom0-init.sh" "$root/init"
    # xl reads it first and complains when it is missing; the defaults suit us.
    echo '# xl.conf: empty, xl defaults' > "$root/etc/xen/xl.conf"
}

# newc, sorted for reproducibility, packed by the busybox we ship (any cpio
# with -H newc would do).  Left uncompressed: gunzip in a TCG dom0 costs
# more than QEMU loading a few more MB.
pack_root() {
    local root=$1 out=$2
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        "$root/bin/busybox" cpio -o -H newc) > "$out.tmp"
    mv "$out.tmp" "$out"
}

main() {
    if up_to_date; then say "up to date: $BASE"; exit 0; fi
    ensure_host_tools
    apt_update_if_needed
    local tree=$OUT/tree t0=$SECONDS
    KERNEL_PKG=$(kernel_pkg)
    XEN_PKGS=$(xen_pkgs)
    # shellcheck disable=SC2086  # word splitting intended: a package list
    fetch_debs busybox-static bsdutils "$KERNEL_PKG" $XEN_PKGS
    rm -rf "$tree" && mkdir -p "$tree"
    stage_root "$tree/root" "$tree"
    pack_root "$tree/root" "$BASE"
    cp "$tree/root/bin/busybox" "$BUSYBOX"
    mv "$tree/vmlinux" "$VMLINUX"
    mv "$tree/kernel-package" "$OUT/kernel-package"
    rm -rf "$tree"
    say "built $BASE ($(du -h "$BASE" | cut -f1), $(cat "$OUT/kernel-package")) in $((SECONDS - t0)) s"
}

main "$@"
