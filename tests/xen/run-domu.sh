#!/usr/bin/env bash
# run-domu.sh - run pvos as a Xen PV domU under xl, as a user of a Xen host
# would: Xen 4.17 and a Debian dom0 in QEMU TCG, `xl create` on
# iso/pvos.xl.cfg with the kernel and its command line given on xl's
# command line.
#
#   run-domu.sh [--timeout SECS] [--out DIR] KERNEL.ELF GUEST [GUEST...]
#   run-domu.sh --interactive KERNEL.ELF [CMDLINE]
#
# GUEST is pvos's command line (xl's extra="..."), optionally followed by
#   --send LINE    type LINE and Enter at the guest's console (`xl console`);
#                  each \r in LINE is one more Enter (several monitor commands)
#                  once it has booted
#   --limit SECS   this guest's own limit (default: --timeout, 60), from
#                  its start; with --send, from the moment the line is typed
#   --config FILE  this guest's xl config, one of iso/*.xl.cfg (default
#                  pvos.xl.cfg; pvos-smp.xl.cfg gives it two vCPUs)
# Several guests run one after the other in one dom0 boot (a boot costs
# ~10 s; a pvos run ~2 s).  Each guest gets its limit, then `xl destroy`.
#
# --out DIR (emptied first): per guest N (1, 2, ...): N.console (its console, as xenconsoled
# logged it), N.xl (xl's own lines), N.reason (one word: poweroff, crash,
# reboot, suspend, watchdog, soft_reset; destroyed = killed at its limit;
# none = no reason seen), N.typed (the line typed, if any) and N.client
# (what `xl console` showed); and console.log, the whole QEMU console.
# Without --out and with one guest, its console goes to stdout.
#
# Exit status: 0 every guest shut down with reason poweroff (pvos passed);
# 1 some guest did not (see N.reason); 2 usage; 124 QEMU ran past its
# limit; 125 harness failure (dom0 did not come up, or did not see every
# guest through); 77 + "SKIP <reason>" on stdout: cannot run here (a
# package cannot be had).  On any failure the whole console is kept in
# DIR/console.log, or build/xen-domu/last-failed-console.log without --out.
#
# --interactive: the same boot with `xl create -c`, the guest's console on
# this terminal (Ctrl-] detaches, Ctrl-A X quits QEMU); `make run-xen-domu`.
# Environment: PVOS_XEN_DOMU_BUILD moves build/xen-domu; PVOS_XEN_ARGS adds
# to Xen's command line (e.g. 'loglvl=all guest_loglvl=all');
# PVOS_XEN_KERNEL_PKG picks the dom0's linux-image package.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${PVOS_XEN_DOMU_BUILD:-$REPO/build/xen-domu}
XEN_GZ=/boot/xen-4.17-amd64.gz
XEN=$REPO/build/xen/xen
CFG=$REPO/iso/pvos.xl.cfg	# the default; --config picks another in iso/
EXIT_TIMEOUT=124
EXIT_HARNESS=125
# bootscrub=0: no scrubbing of free memory at boot (7-9 s under TCG).
# smap=0 and QEMU's -smap: a Linux PV dom0 faults under TCG's SMAP.
XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=256M,max:256M dom0_max_vcpus=1 bootscrub=0 smap=0"
DOM0_CMDLINE="console=hvc0 loglevel=4 mitigations=off"

timeout_s=60 out_dir='' interactive=''
guests=() sends=() limits=() configs=()

say()   { echo "run-domu: $*" >&2; }
usage() { sed -n '7,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
is_secs() { [[ $1 =~ ^[1-9][0-9]*$ ]] || { say "$2 needs a number of seconds"; exit 2; }; }

parse_args() {
    while (( $# )); do
        case $1 in
            --timeout)     is_secs "${2-}" --timeout; timeout_s=$2; shift 2 ;;
            --out)         out_dir=${2?}; shift 2 ;;
            --interactive) interactive=1; shift ;;
            -h|--help)     usage ;;
            -*)            say "unknown option $1"; usage ;;
            *) break ;;
        esac
    done
    (( $# >= 1 )) || usage
    kernel=$1; shift
    [[ -r $kernel ]] || { say "no such guest kernel: $kernel"; exit 2; }
    parse_guests "$@"
    [[ -z $interactive ]] || (( ${#guests[@]} <= 1 )) || { say "--interactive runs one guest"; exit 2; }
    [[ -n $interactive ]] || (( ${#guests[@]} >= 1 )) || usage
}

parse_guests() {
    local g=-1
    while (( $# )); do
        case $1 in
            --send)  (( g >= 0 )) || usage; sends[g]=${2?}; shift 2 ;;
            --limit) (( g >= 0 )) || usage; is_secs "${2-}" --limit; limits[g]=$2; shift 2 ;;
            --config) (( g >= 0 )) || usage; configs[g]=$(basename "${2?}"); shift 2
                      [[ -r $REPO/iso/${configs[g]} ]] || { say "no iso/${configs[g]}"; exit 2; } ;;
            -*) say "unknown guest option $1"; usage ;;
            *) g=$((g + 1)); guests[g]=$1 sends[g]='' limits[g]='' configs[g]=''; shift ;;
        esac
    done
    local a
    for a in ${guests[@]+"${guests[@]}"} ${sends[@]+"${sends[@]}"}; do
        # They become xl's extra="..." and lines of /pvos/runs.
        [[ $a != *[\"$'\n\r']* ]] || { say "no quotes, newlines or CRs in a command line or typed line"; exit 2; }
    done
}

ensure_xen() {
    if [[ ! -f $XEN_GZ ]] && (( EUID == 0 )); then
        say "installing xen-hypervisor-4.17-amd64 for $XEN_GZ"
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
            xen-hypervisor-4.17-amd64 >&2 || true
    fi
    [[ -f $XEN_GZ ]] || { echo "SKIP $XEN_GZ missing (package xen-hypervisor-4.17-amd64)"; exit 77; }
    # QEMU's multiboot loader cannot load a compressed kernel.
    if [[ ! -s $XEN || $XEN_GZ -nt $XEN ]]; then
        mkdir -p "$(dirname "$XEN")"
        zcat "$XEN_GZ" > "$XEN.tmp.$$" && mv "$XEN.tmp.$$" "$XEN"
    fi
}

ensure_base() {
    local rc=0
    "$HERE/build-dom0.sh" "$OUT" > "$work/build.out" || rc=$?
    cat "$work/build.out"   # SKIP line, if any, goes to our stdout too
    (( rc == 0 )) || exit $rc
}

write_runs() {
    local i
    printf 'mode=%s\ntimeout=%s\n' "$([[ -n $interactive ]] && echo interactive || echo batch)" "$timeout_s"
    for i in "${!guests[@]}"; do
        printf 'guest=%s\n' "${guests[i]}"
        [[ -z ${sends[i]} ]] || printf 'send=%s\n' "${sends[i]}"
        [[ -z ${limits[i]} ]] || printf 'limit=%s\n' "${limits[i]}"
        [[ -z ${configs[i]} ]] || printf 'config=%s\n' "${configs[i]}"
    done
}

# Linux unpacks concatenated initramfs archives, the later ones over the
# earlier; each must start 4-byte aligned (init/initramfs.c).
build_run_image() {
    local img=$1 pay=$work/payload size
    mkdir -p "$pay/pvos" "$pay/etc/xen"
    cp "$kernel" "$pay/pvos/pvos.elf"
    cp "$REPO"/iso/*.xl.cfg "$pay/etc/xen/"
    write_runs > "$pay/pvos/runs"
    cp "$OUT/dom0-base.cpio" "$img"
    size=$(stat -c %s "$img")
    head -c $(( (4 - size % 4) % 4 )) /dev/zero >> "$img"
    (cd "$pay" && find pvos etc | LC_ALL=C sort | "$OUT/busybox" cpio -o -H newc) >> "$img"
}

# Xen boots by multiboot: -kernel is Xen, -initrd its modules (dom0's
# kernel with its command line, then its initramfs; commas doubled).
qemu_cmd() {
    local img=$1
    # shellcheck disable=SC2054  # the commas belong to QEMU's -cpu syntax
    QEMU=(qemu-system-x86_64 -machine pc -accel tcg -cpu max,-smap -m 512 -smp 1
          -display none -nodefaults -no-reboot
          -kernel "$XEN" -append "$XEN_CMDLINE ${PVOS_XEN_ARGS:-}"
          -initrd "$OUT/vmlinux ${DOM0_CMDLINE//,/,,},$img")
}

run_batch() {
    local log=$1 total=90 i rc=0
    for i in "${!guests[@]}"; do total=$((total + ${limits[i]:-$timeout_s} + 10)); done
    say "Xen + dom0 in QEMU TCG, ${#guests[@]} guest(s) with xl create $(basename "$CFG"); limit $total s"
    timeout -k 10 "$total" "${QEMU[@]}" -serial stdio < /dev/null 2>&1 | tr -d '\r' > "$log" || rc=$?
    return $rc
}

# Per guest files in $dir (see the top), from the prefixed console lines.
demux() {
    local log=$1 dir=$2
    awk -v dir="$dir" '
        function rest(s, n) { return substr(s, length(n) + 2) }
        /^XL-RUN /       { n = $2; print rest(substr($0, 8), n) > (dir "/" n ".cmdline"); next }
        /^DOMU\| /       { n = $2; print rest(substr($0, 7), n) > (dir "/" n ".console"); next }
        /^XL\| /         { n = $2; print rest(substr($0, 5), n) > (dir "/" n ".xl"); next }
        /^CONSOLE\| /    { n = $2; print rest(substr($0, 10), n) > (dir "/" n ".client"); next }
        /^DOMU-SEND /    { print "sent" > (dir "/" $2 ".typed"); next }
        /^DOMU-TIMEOUT / { print $3 > (dir "/" $2 ".timeout"); next }
        /^DOMU-END /     { print "end" > (dir "/" $2 ".end"); next }
        /^DOM0-NOTE /    { print "run-domu: dom0: " substr($0, 11) > "/dev/stderr"; next }
        /^DOM0-FAIL /    { print "run-domu: dom0 failed: " substr($0, 11) > "/dev/stderr"
                           print "fail" > (dir "/dom0.fail"); next }
        /^DOM0-UP /      { print $2 > (dir "/dom0.up"); next }
        /^DOM0-DONE /    { print $2 > (dir "/dom0.done"); next }
    ' "$log"
}

# The reason xl saw: "Domain 3 has shut down, reason code 0 0x0" (codes from
# <xen/sched.h>: SHUTDOWN_poweroff 0, reboot 1, suspend 2, crash 3,
# watchdog 4, soft_reset 5); "has been destroyed" = our xl destroy.
reason_of() {
    local n=$1 code names=(poweroff reboot suspend crash watchdog soft_reset)
    code=$(sed -n 's/^Domain [0-9]* has shut down, reason code \([0-9]*\) .*/\1/p' \
           "$dir/$n.xl" 2>/dev/null | tail -n 1)
    if [[ -n $code && -n ${names[code]:-} ]]; then echo "${names[code]}"
    elif [[ -n $code ]]; then echo "code-$code"
    elif [[ -e $dir/$n.timeout ]]; then echo destroyed
    else echo none; fi
}

# Sets $status from the per-guest files; says one line per guest.
judge() {
    local n reason
    status=0
    for n in $(seq 1 "${#guests[@]}"); do
        if [[ ! -e $dir/$n.end ]]; then status=$EXIT_HARNESS; say "guest $n: no end seen"; continue; fi
        reason=$(reason_of "$n")
        echo "$reason" > "$dir/$n.reason"
        case $reason in
            destroyed) say "guest $n (${guests[n-1]}): destroyed after its limit of $(cat "$dir/$n.timeout") s" ;;
            none) say "guest $n (${guests[n-1]}): no shutdown reason; xl's last line: $(tail -n 1 "$dir/$n.xl" 2>/dev/null)" ;;
            *) say "guest $n (${guests[n-1]}): $reason" ;;
        esac
        [[ $reason == poweroff ]] || (( status )) || status=1
    done
    [[ ! -e $dir/dom0.fail ]] || status=$EXIT_HARNESS
}

keep_log() {
    local log=$1 kept
    if [[ -n $out_dir ]]; then kept=$dir/console.log
    else kept=$OUT/last-failed-console.log; cp "$log" "$kept"; fi
    say "full console kept in ${kept#"$REPO"/}; last lines:"
    grep -v '^DOMU| ' "$kept" | tail -n 15 | sed 's/^/  | /' >&2
}

run_interactive() {
    local log=$1 rc=0
    say "Xen 4.17 + Debian dom0 in QEMU (TCG); pvos as a PV domU: xl create -c pvos.xl.cfg extra=\"${guests[0]:-}\""
    say "the guest console is attached when dom0 is up (~10 s); Ctrl-] detaches, Ctrl-A X quits QEMU"
    "${QEMU[@]}" -serial mon:stdio | tee "$log" || rc=$?
    tr -d '\r' < "$log" > "$log.clean" && mv "$log.clean" "$log"
    demux "$log" "$dir"
    if [[ -e $dir/1.end ]]; then say "pvos shut down with reason $(reason_of 1) (poweroff = pass, crash = fail)"
    else say "QEMU ended (status $rc) before the guest did"; fi
    [[ -e $dir/1.end && $(reason_of 1) == poweroff ]]
}

main() {
    parse_args "$@"
    [[ -n $interactive ]] && (( ${#guests[@]} == 0 )) && guests=('') sends=('') limits=('') configs=('')
    work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-xen-domu.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    dir=${out_dir:-$work/out}
    rm -rf "$dir" && mkdir -p "$dir"
    local log=$dir/console.log rc=0 t0=$SECONDS
    ensure_xen
    ensure_base
    build_run_image "$work/run.img"
    qemu_cmd "$work/run.img"
    if [[ -n $interactive ]]; then run_interactive "$log"; exit; fi
    run_batch "$log" || rc=$?
    demux "$log" "$dir"
    judge
    if [[ ! -e $dir/dom0.up ]]; then say "error: dom0's /init never started"; status=$EXIT_HARNESS; fi
    if (( rc == 124 || rc == 137 )); then say "error: QEMU killed at its limit"; status=$EXIT_TIMEOUT
    elif [[ ! -e $dir/dom0.done ]] && (( status != EXIT_HARNESS )); then
        say "error: dom0 did not finish (QEMU status $rc)"; status=$EXIT_HARNESS
    fi
    if (( ${#guests[@]} == 1 )) && [[ -z $out_dir ]]; then cat "$dir/1.console" 2>/dev/null || true; fi
    say "finished in $((SECONDS - t0)) s (dom0 up at $(cat "$dir/dom0.up" 2>/dev/null || echo -) s, done at $(cat "$dir/dom0.done" 2>/dev/null || echo -) s of its clock)"
    (( status == 0 )) || keep_log "$log"
    exit "$status"
}

main "$@"
