#!/usr/bin/env bash
# run-nested.sh - run a guest kernel ELF under real KVM, nested inside QEMU TCG.
#
#   run-nested.sh [--cpu-flags ',-kvm-pv-eoi,...'] [--stats FILE] [--live]
#                 [--timeout SECS] [--mem SIZE] [--smp N] [--qemu-arg ARG]...
#                 [--send-file FILE --send-after TEXT] KERNEL.ELF "guest command line"
#
# Two modes, same output contract:
#   nested  L0 (this host) runs QEMU TCG -cpu max; L1 is Debian's kernel with
#           the initramfs of build-initramfs.sh, which loads kvm-amd and runs
#           Debian's QEMU with -enable-kvm on the guest (L2).  The guest and
#           its arguments are appended to the cached base initramfs as a
#           second, plain cpio archive, so changing the guest never rebuilds
#           the base.
#   direct  l2-run.sh runs here, on this host's /dev/kvm, with the -cpu
#           model tools/kvm-cpu.sh finds this host's KVM accepts.
# The automatic choice (tests/kvm/host-kvm.sh): direct only on hardware KVM
# (kvm_intel/kvm_amd loaded, vmx/svm in the CPU flags, /dev/kvm read-write),
# where KVM's counters are real VM exits; nested otherwise, including under a
# software KVM such as kvm_pvm.  One line on stderr says which mode ran and
# why: "run-nested: mode nested: <why>".
#
# stdout: the guest's serial output (--live: as it comes, for `make run-kvm`,
# instead of at the end).  --stats FILE: one line per
# "kvmstat: snapshot <label>" handshake, "<label> <stat>=<value> ...".
# --send-file FILE: its bytes are typed on the guest's serial line, all at
# once, when the guest first prints a line starting with --send-after's TEXT
# (the monitor's "monitor: ready"; tests/monitor/kvm-nested.t).  QEMU takes
# them from the FIFO only as fast as the guest's UART empties, so none is lost.
# Exit: the L2 QEMU's status (isa-debug-exit: 1 = guest wrote 0 = pass,
# 3 = guest wrote 1 = fail, ...); 124 = timeout; 125 = harness failure
# (L1 did not boot, no /dev/kvm in L1, L2 QEMU failed to start); 2 = usage
# or packages missing as non-root; 77 + "SKIP <reason>" = cannot run here.
# Environment: PVOS_KVM_VERBOSE=1 copies the whole L1 console to stderr;
# PVOS_KVM_MODE=nested|direct forces a mode (direct together with
# PVOS_L2_ACCEL=tcg runs the guest under plain TCG, same contract, for
# debugging without KVM); PVOS_KVM_HOST_ROOT makes host-kvm.sh look at
# another machine's /dev/kvm, cpuinfo and modules (=/nonexistent: none);
# PVOS_KVM_OUTER_CPU replaces L0's "-cpu max" (e.g. qemu64,-svm to see the
# no-/dev/kvm failure); PVOS_KVM_BUILD moves build/kvm.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${PVOS_KVM_BUILD:-$REPO/build/kvm}
EXIT_TIMEOUT=124
EXIT_HARNESS=125

cpu_flags='' stats_file='' timeout_s=300 mem=128M smp=1 live='' send_file='' send_after=''
qemu_args=()

say()   { echo "run-nested: $*" >&2; }
usage() { sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

parse_args() {
    while (( $# )); do
        case $1 in
            --cpu-flags) cpu_flags=${2?}; shift 2 ;;
            --stats)     stats_file=${2?}; shift 2 ;;
            --live)      live=1; shift ;;
            --timeout)   timeout_s=${2?}; shift 2 ;;
            --mem)       mem=${2?}; shift 2 ;;
            --smp)       smp=${2?}; shift 2 ;;
            --qemu-arg)  qemu_args+=("${2?}"); shift 2 ;;
            --send-file) send_file=${2?}; shift 2 ;;
            --send-after) send_after=${2?}; shift 2 ;;
            -h|--help)   usage ;;
            --) shift; break ;;
            -*) say "unknown option $1"; usage ;;
            *) break ;;
        esac
    done
    (( $# == 2 )) || usage
    kernel=$1 cmdline=$2
    [[ -r $kernel ]] || { say "no such guest kernel: $kernel"; exit 2; }
    [[ $timeout_s =~ ^[0-9]+$ ]] || { say "--timeout needs seconds"; exit 2; }
    [[ $smp =~ ^[1-9][0-9]*$ ]] || { say "--smp needs a number of CPUs (1 or more)"; exit 2; }
    [[ -z $send_file || ( -r $send_file && -n $send_after ) ]] ||
        { say "--send-file needs a readable file and --send-after TEXT"; exit 2; }
    [[ $cpu_flags == '' || $cpu_flags == ,* ]] ||
        { say "--cpu-flags must start with a comma (it is appended to the -cpu model)"; exit 2; }
}

# Sets $mode (nested|direct) and says on stderr which, and why.
choose_mode() {
    local kind why
    read -r kind _ why < <("$HERE/host-kvm.sh")
    case ${PVOS_KVM_MODE:-auto} in
        direct|nested) mode=$PVOS_KVM_MODE why="forced by PVOS_KVM_MODE=$mode (host: $why)" ;;
        auto) if [[ $kind == hardware ]]; then mode=direct; else mode=nested; fi ;;
        *) say "PVOS_KVM_MODE must be auto, nested or direct"; exit 2 ;;
    esac
    say "mode $mode: $why"
}

# key=value lines read by l2-run.sh.  L2 gets less time than the outer
# timeout so that an L2 hang is reported from inside, with its output.
# model= (the -cpu model) only in direct mode; in L1, "host" always works.
# stats=1 asks l2-run.sh to make KVM's counters readable (mount debugfs).
write_args() {
    local f=$1 l2_timeout=$2 model=${3:-} send=${4:-} a
    {
        printf 'append=%s\n' "$cmdline"
        printf 'cpu=%s\n' "$cpu_flags"
        printf 'mem=%s\n' "$mem"
        printf 'smp=%s\n' "$smp"
        printf 'timeout=%s\n' "$l2_timeout"
        printf 'stats=%s\n' "$(( ${#stats_file} > 0 ))"
        [[ -z $model ]] || printf 'model=%s\n' "$model"
        [[ -z $send ]] || printf 'send=%s\nsend_after=%s\n' "$send" "$send_after"
        for a in ${qemu_args[@]+"${qemu_args[@]}"}; do printf 'qemu=%s\n' "$a"; done
    } > "$f"
    if grep -q $'\r' "$f" || (( $(wc -l < "$f") != 6 + ${model:+1} + ${send:+2} + ${#qemu_args[@]} )); then
        say "arguments must not contain newlines or CRs"; exit 2
    fi
}

ensure_base() {
    local rc=0
    "$HERE/build-initramfs.sh" "$OUT" >"$work/build.out" || rc=$?
    cat "$work/build.out"   # SKIP line, if any, goes to our stdout too
    (( rc == 0 )) || exit $rc
}

# Linux unpacks concatenated initramfs archives; a plain cpio must start at a
# 4-byte aligned offset (init/initramfs.c), so pad the gzip part with zeros.
build_run_image() {
    local img=$1 pay=$work/payload size
    mkdir -p "$pay/pvos"
    cp "$kernel" "$pay/pvos/kernel.elf"
    [[ -z $send_file ]] || cp "$send_file" "$pay/pvos/input"
    write_args "$pay/pvos/args" $(( timeout_s > 90 ? timeout_s - 60 : timeout_s * 2 / 3 )) '' \
        ${send_file:+/pvos/input}
    cp "$OUT/initramfs-base.cpio.gz" "$img"
    size=$(stat -c %s "$img")
    head -c $(( (4 - size % 4) % 4 )) /dev/zero >> "$img"
    (cd "$pay" && find pvos | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >> "$img"
}

run_outer() {
    local img=$1 log=$2 rc=0
    timeout -k 10 "$timeout_s" qemu-system-x86_64 \
        -machine pc -accel tcg -cpu "${PVOS_KVM_OUTER_CPU:-max}" -smp 1 -m 1024 \
        -kernel "$OUT/vmlinuz" -initrd "$img" \
        -append "console=ttyS0 panic=-1 loglevel=4 mitigations=off" \
        -display none -nodefaults -serial stdio -no-reboot \
        < /dev/null 2>&1 | live_filter > "$log" || rc=$?
    return $rc
}

# With --live, show the guest's lines as they arrive (on stderr, the terminal).
live_filter() {
    if [[ -n $live ]]; then
        tee >(tr -d '\r' | awk '/^L2\| / { print substr($0, 5); fflush() }' >&2)
    else
        cat
    fi
}

run_direct() {
    local log=$1 args=$work/args model=''
    if [[ ${PVOS_L2_ACCEL:-kvm} == kvm ]]; then
        model=$("$REPO/tools/kvm-cpu.sh") || { say "error: no -cpu model QEMU accepts with -accel kvm"; exit $EXIT_HARNESS; }
    fi
    write_args "$args" "$timeout_s" "$model" ${send_file:+"$(realpath "$send_file")"}
    say "running the guest directly on this host (${PVOS_L2_ACCEL:-kvm}${model:+, -cpu $model}, no nesting)"
    timeout -k 10 $(( timeout_s + 15 )) sh "$HERE/l2-run.sh" "$kernel" "$args" > "$log" 2>&1
}

# Split the console log: guest lines to stdout, stats to --stats, errors to
# stderr.  Writes "STATUS <L2 exit status or -> [harness-fail] [timeout]" to
# $work/status.
demux() {
    local log=$1 stats=$2
    tr -d '\r' < "$log" | awk -v stats="$stats" -v live="$live" '
        /^L2\| /       { if (!live) print substr($0, 5); fflush(); next }
        /^L2\|$/       { print ""; next }
        /^KVMSTAT\| /  { print substr($0, 10) > stats; next }
        /^L2-ERR\| /   { print "run-nested: L2 QEMU: " substr($0, 9) > "/dev/stderr"; next }
        /^L1-NOTE\| /  { print "run-nested: " substr($0, 10) > "/dev/stderr"; next }
        /^L1-FAIL /    { print "run-nested: L1: " substr($0, 9) > "/dev/stderr"; fail = 1; next }
        /^L2-TIMEOUT / { to = $2; next }
        /^L2-EXIT /    { status = $2; next }
        END {
            if (to != "") print "run-nested: guest killed after " to " s inside L1" > "/dev/stderr"
            print "STATUS " (status == "" ? "-" : status) (fail ? " harness-fail" : "") \
                (to != "" ? " timeout" : "") > "/dev/fd/3"
        }' 3> "$work/status"
}

# On a harness failure, keep the console log ($work is removed on exit);
# only the latest one, so failing runs don't pile up in build/kvm.
keep_log() {
    local kept=$OUT/last-failed-console.log
    mkdir -p "$OUT"
    tr -d '\r' < "$1" > "$kept"
    say "full L1 console kept in $kept; last lines:"
    tail -n 25 "$kept" | sed 's/^/  | /' >&2
}

explain_missing_exit() {
    local log=$1 rc=$2
    if (( rc == 124 || rc == 137 )); then
        say "error: timed out after ${timeout_s} s (outer QEMU killed)"
    else
        say "error: L1 ended without reporting an L2 exit status (outer status $rc)"
    fi
    keep_log "$log"
}

main() {
    parse_args "$@"
    work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-kvm.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    local log=$work/console.log stats=$work/stats rc=0 t0=$SECONDS
    : > "$stats"
    choose_mode
    if [[ $mode == direct ]]; then
        run_direct "$log" || rc=$?
    else
        ensure_base
        build_run_image "$work/run.img"
        run_outer "$work/run.img" "$log" || rc=$?
    fi
    [[ -z ${PVOS_KVM_VERBOSE:-} ]] || { say "L1 console:"; tr -d '\r' < "$log" >&2; }
    demux "$log" "$stats"
    [[ -z $stats_file ]] || cp "$stats" "$stats_file"
    read -r _ status flags < "$work/status"
    if [[ $flags == *harness-fail* ]]; then
        say "error: harness failure (see above)"; keep_log "$log"; exit $EXIT_HARNESS
    elif [[ $flags == *timeout* ]]; then
        say "error: guest timed out after $((SECONDS - t0)) s"; keep_log "$log"; exit $EXIT_TIMEOUT
    elif [[ $status == - ]]; then
        explain_missing_exit "$log" "$rc"
        (( rc == 124 || rc == 137 )) && exit $EXIT_TIMEOUT
        exit $EXIT_HARNESS
    fi
    say "finished in $((SECONDS - t0)) s, L2 exit status $status"
    exit "$status"
}

main "$@"
