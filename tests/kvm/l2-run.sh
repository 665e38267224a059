#!/bin/sh
# l2-run.sh KERNEL.ELF ARGSFILE - run one guest under KVM and report on stdout.
#
# Runs inside L1 (busybox ash, from init.sh) for nested runs, and on the host
# itself (dash/bash) when the host has a usable /dev/kvm, so it is plain POSIX
# sh.  Every line it prints carries a prefix, because in L1 it shares the
# console with the kernel and the host must pick its lines out:
#   L2| <text>          one line of the guest's COM1 output
#   KVMSTAT| <label> <stat>=<value> ...   KVM's per-VM counters (handshake)
#   L2-ERR| <text>      one line of the L2 QEMU's stderr
#   L1-NOTE| <text>     something the host should be told (debugfs mounted,
#                       KVM's counters unavailable and why)
#   L2-TIMEOUT <secs>   the guest ran past the time limit and was killed
#   L1-FAIL <reason>    the harness itself failed (not the guest)
#   L2-EXIT <status>    the L2 QEMU's exit status; always the last line
#
# ARGSFILE holds one key=value per line (written by run-nested.sh):
#   append=<guest command line>   cpu=<suffix for the -cpu model, e.g. ,-kvm-pv-eoi>
#   timeout=<seconds>             qemu=<one extra QEMU argument> (repeatable)
#   mem=<QEMU -m value>           model=<-cpu model, default host; direct mode
#   smp=<QEMU -smp, default 1>    passes what tools/kvm-cpu.sh found>
#   stats=1                       the caller wants KVM's counters (--stats)
#   send=<file> send_after=<text> type the file's bytes on the guest's COM1
#                                 when it first prints a line starting with text
#
# KVM's counters live in debugfs: if its kvm directory is missing and the
# caller wants them, we mount debugfs when root, else every snapshot says
# `unavailable=1` and an L1-NOTE says why.  While reading them we stop the L2 QEMU (SIGSTOP), so that one
# snapshot's counters are read at one instant, not across guest ticks.
# PVOS_L2_ACCEL=tcg swaps KVM for TCG: only for debugging this script on a
# machine without /dev/kvm (the KVMSTAT lines are then empty).
set -u

KERNEL=${1:?usage: l2-run.sh KERNEL.ELF ARGSFILE}
ARGSFILE=${2:?usage: l2-run.sh KERNEL.ELF ARGSFILE}
QEMU=${PVOS_L2_QEMU:-qemu-system-x86_64}
DEBUGFS_KVM=${PVOS_KVM_DEBUGFS:-/sys/kernel/debug/kvm}
# Appended by us after the L2 QEMU exits so the reader knows the stream
# ended (we hold the FIFO open read-write, so it never sees EOF by itself).
EOF_MARK="$(printf '\001')pvos-l2-eof$(printf '\001')"
CR=$(printf '\r')

append='' cpu='' timeout=240 mem=128M smp=1 model=host stats=0 send='' send_after=''

# printf, not echo: dash's echo would expand backslashes in guest output.
out() { printf '%s%s\n' "$1" "$2"; }
read_args() {
    # Extra QEMU arguments become positional parameters, one per qemu= line,
    # so arguments with spaces survive.
    set --
    while IFS= read -r kv || [ -n "$kv" ]; do
        case "$kv" in
            append=*)  append=${kv#append=} ;;
            cpu=*)     cpu=${kv#cpu=} ;;
            timeout=*) timeout=${kv#timeout=} ;;
            mem=*)     mem=${kv#mem=} ;;
            smp=*)     smp=${kv#smp=} ;;
            model=*)   model=${kv#model=} ;;
            stats=*)   stats=${kv#stats=} ;;
            send=*)    send=${kv#send=} ;;
            send_after=*) send_after=${kv#send_after=} ;;
            qemu=*)    set -- "$@" "${kv#qemu=}" ;;
            ''|'#'*)   ;;
            *) echo "L1-FAIL bad line in $ARGSFILE: $kv"; return 1 ;;
        esac
    done < "$ARGSFILE"
    EXTRA_COUNT=$#
    i=0
    # shellcheck disable=SC2034  # read through eval
    for a in "$@"; do i=$((i + 1)); eval "EXTRA_$i=\$a"; done
}

# The VM's debugfs directory is named <pid>-<vm fd>, pid = our QEMU's: on a
# host running other VMs, only that one is ours.
stats_dir() {
    for d in "$DEBUGFS_KVM/$1"-*; do [ -d "$d" ] && { echo "$d"; return; }; done
}

# Mount debugfs if KVM's directory is missing (a host that never mounted it;
# L1's init.sh already has); else say why the counters will be missing.
ensure_debugfs() {
    [ -d "$DEBUGFS_KVM" ] && return 0
    mnt=${DEBUGFS_KVM%/kvm}
    if [ "$(id -u)" != 0 ]; then
        out "L1-NOTE| " "KVM counters unavailable: $DEBUGFS_KVM missing (debugfs not mounted at $mnt, and only root can mount it)"
    elif mount -t debugfs none "$mnt" 2>/dev/null && [ -d "$DEBUGFS_KVM" ]; then
        out "L1-NOTE| " "mounted debugfs on $mnt for KVM's counters"
    else
        out "L1-NOTE| " "KVM counters unavailable: no $DEBUGFS_KVM, even after mounting debugfs on $mnt"
    fi
}

# One KVMSTAT line: every numeric stat file of the VM directory.  At VM level
# KVM sums the per-vCPU counters (exits, io_exits, ...) over all vCPUs.
emit_stats() {
    label=$1 dir=$(stats_dir "$QPID") out=''
    if [ -z "$dir" ]; then
        out "L1-NOTE| " "KVM counters unavailable at '$label': no VM directory $DEBUGFS_KVM/$QPID-*"
    else
        for f in "$dir"/*; do
            [ -f "$f" ] || continue
            v=''
            read -r v < "$f" 2>/dev/null || true
            case "$v" in ''|*[!0-9]*) continue ;; esac
            out="$out ${f##*/}=$v"
        done
    fi
    [ -n "$out" ] || out=" unavailable=1"
    out "KVMSTAT| " "$label$out"
}

# Forward guest lines; answer "kvmstat: snapshot <label>" (the probe) or
# "hoststat: snapshot <label>" (pvos's kernel/hoststat.c) with stats + 1 byte.
reader() {
    while IFS= read -r line <&3 || [ -n "$line" ]; do
        line=${line%"$CR"}
        case "$line" in
            *"$EOF_MARK")
                line=${line%"$EOF_MARK"}
                [ -z "$line" ] || out "L2| " "$line"
                return 0 ;;
            "kvmstat: snapshot "*|"hoststat: snapshot "*)
                out "L2| " "$line"
                kill -STOP "$QPID" 2>/dev/null
                emit_stats "${line#*: snapshot }"
                printf 'g' >&4
                kill -CONT "$QPID" 2>/dev/null ;;
            *) out "L2| " "$line"
               # --send-file: typed once, when the guest says it is ready.
               if [ -n "$send" ]; then
                   case "$line" in "$send_after"*) cat "$send" >&4; send='' ;; esac
               fi ;;
        esac
    done
}

# Kills the guest after $timeout s; leaves a flag file so we can say why.
watchdog() {
    n=0
    while [ "$n" -lt "$timeout" ]; do
        kill -0 "$QPID" 2>/dev/null || return 0
        sleep 1
        n=$((n + 1))
    done
    : > "$RUN/timed-out"
    kill -9 "$QPID" 2>/dev/null
}

start_qemu() {
    accel=${PVOS_L2_ACCEL:-kvm}
    if [ "$accel" = kvm ]; then set -- -enable-kvm -cpu "$model$cpu"
    else set -- -accel "$accel" -cpu "max$cpu"; fi
    i=1
    while [ "$i" -le "$EXTRA_COUNT" ]; do eval "set -- \"\$@\" \"\$EXTRA_$i\""; i=$((i + 1)); done
    "$QEMU" -machine pc "$@" -m "$mem" -smp "$smp" \
        -kernel "$KERNEL" -append "$append" \
        -display none -nodefaults -no-reboot -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -chardev "pipe,id=com1,path=$RUN/com1" -serial chardev:com1 \
        2> "$RUN/stderr" < /dev/null &
    QPID=$!
}

report_stderr() {
    failed=''
    while IFS= read -r l || [ -n "$l" ]; do
        out "L2-ERR| " "$l"
        # QEMU's fatal errors read "qemu-system-x86_64: msg"; warnings say so.
        case "$l" in *": warning: "*) ;; *qemu-system-*": "*) failed=${failed:-$l} ;; esac
    done < "$RUN/stderr"
    # Exit status 1 is also isa-debug-exit's "guest wrote 0": only an error
    # message on stderr tells a QEMU that never ran the guest apart.
    [ "$1" -ne 1 ] || [ -z "$failed" ] || out "L1-FAIL L2 QEMU failed: " "$failed"
}

main() {
    [ -r "$KERNEL" ] || { echo "L1-FAIL guest kernel $KERNEL missing"; echo "L2-EXIT 125"; return; }
    read_args || { echo "L2-EXIT 125"; return; }
    [ "${PVOS_L2_ACCEL:-kvm}" != kvm ] || [ "$stats" != 1 ] || ensure_debugfs
    RUN=$(mktemp -d /tmp/l2run.XXXXXX)
    # QEMU's pipe chardev reads <path>.in and writes <path>.out.  Opening both
    # FIFOs read-write never blocks, whether or not QEMU got as far as opening
    # them; the EOF mark (below) replaces the EOF we thereby give up.
    mkfifo "$RUN/com1.in" "$RUN/com1.out"
    exec 3<>"$RUN/com1.out" 4<>"$RUN/com1.in"
    start_qemu
    reader & RPID=$!
    watchdog & WPID=$!
    status=0
    wait "$QPID" || status=$?
    kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
    printf '%s\n' "$EOF_MARK" >&3
    wait "$RPID"
    exec 3<&- 4>&-
    report_stderr "$status"
    [ ! -e "$RUN/timed-out" ] || { echo "L2-TIMEOUT $timeout"; status=124; }
    rm -rf "$RUN"
    echo "L2-EXIT $status"
}

main
