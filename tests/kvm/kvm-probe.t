#!/usr/bin/env bash
# kvm-probe.t - TAP test (run by prove) of the nested-KVM harness itself.
#
# Builds the probe guest (tests/kvm/probe) and runs it through run-nested.sh:
# QEMU TCG -> Debian's Linux with kvm-amd -> QEMU -enable-kvm -> probe.  It
# checks that the guest really ran under KVM (CPUID signature), that its exit
# status came back out, and that the kvmstat handshake carried KVM's own exit
# counters back to the host.  Two shorter runs check the other contracts:
# --cpu-flags reaches L2's -cpu host (',-kvm-pv-eoi' clears CPUID 0x40000001
# eax bit 6) with a guest failure giving 3, and a bad flag giving 125.
# Always nested (PVOS_KVM_MODE=nested): it tests the path every machine has.
# Skips (1..0 # SKIP) when the harness reports 77 (a package or the kernel
# download cannot be had), and records that skip for make test's summary.
set -euo pipefail
export PVOS_KVM_MODE=nested

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# REPO, a scratch $work, and check(): the same as the tools tests'.
# shellcheck source=tests/tools/lib.sh
. "$HERE/../tools/lib.sh"
OUT=${PVOS_KVM_BUILD:-$REPO/build/kvm}
export PVOS_KVM_BUILD=$OUT

skip_file() {  # skip_file REASON: a setup failure, recorded (tools/test-skips.sh)
    echo "1..0 # SKIP $1"
    "$REPO/tools/test-skips.sh" record tests/kvm/kvm-probe.t setup "$1"
    exit 0
}
# A SKIP from the image build comes before any plan line, as TAP wants.
build_or_skip() {
    local rc=0 out
    out=$("$HERE/build-initramfs.sh" "$OUT" 2>"$work/build.err") || rc=$?
    if (( rc == 77 )); then
        skip_file "${out#SKIP }"
    elif (( rc != 0 )); then
        # A broken build is a failure, not a reason to skip.
        echo "Bail out! build-initramfs.sh failed ($rc): $(tail -n 1 "$work/build.err")"
        cat "$work/build.err" >&2
        exit 1
    fi
    make -s -C "$HERE/probe" O="$OUT" >&2
}

# run NAME [run-nested options] GUEST-CMDLINE: $work/NAME.{out,err,rc}
run() {
    local name=$1 rc=0
    shift
    "$HERE/run-nested.sh" "${@:1:$#-1}" "$OUT/probe.elf" "${!#}" \
        > "$work/$name.out" 2> "$work/$name.err" || rc=$?
    echo "$rc" > "$work/$name.rc"
    sed "s/^/# $name serial: /" "$work/$name.out"
    sed "s/^/# $name stderr: /" "$work/$name.err"
    if (( rc == 77 )); then
        skip_file "$(grep -m1 '^SKIP' "$work/$name.out" | cut -c6-)"
    fi
}

# CPUID 0x40000001 eax as printed by the probe, as a number
pv_features() {
    local hex
    hex=$(sed -n 's/.*cpuid 0x40000001 eax=0x\([0-9a-f]\{8\}\)$/\1/p' "$work/$1.out")
    echo $(( 16#${hex:-0} ))
}

stat_value() {  # stat_value LABEL NAME -> value from the stats file
    awk -v l="$1" -v k="$2" '$1 == l {
        for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' \
        "$work/stats"
}

check_main_run() {
    local rc exits end_exits
    rc=$(< "$work/main.rc")
    check "exit status 1 (guest wrote 0 to isa-debug-exit), got $rc" test "$rc" = 1
    check "CPUID 0x40000000 signature is KVMKVMKVM" grep -q 'signature=KVMKVMKVM$' "$work/main.out"
    check "CPUID 0x40000001 eax printed" grep -q 'cpuid 0x40000001 eax=0x[0-9a-f]\{8\}$' "$work/main.out"
    check "guest command line arrived" grep -q '^probe: cmdline=probe-cmdline 42$' "$work/main.out"
    check "guest resumed after the handshakes and finished" grep -q '^probe: done$' "$work/main.out"
    exits=$(stat_value probe exits) end_exits=$(stat_value probe-end exits)
    echo "# stats: probe exits=${exits:-none} io_exits=$(stat_value probe io_exits)," \
         "probe-end exits=${end_exits:-none} io_exits=$(stat_value probe-end io_exits)"
    check "stats line 'probe' has a nonzero exits value" \
        grep -Eq '^[1-9][0-9]*$' <<< "${exits:-}"
    check "second snapshot 'probe-end' counts more exits than the first" \
        test "${end_exits:-0}" -gt "${exits:-0}"
}

check_flag_runs() {
    local with without
    with=$(pv_features main) without=$(pv_features noeoi)
    check "guest failure gives exit status 3, got $(< "$work/noeoi.rc")" test "$(< "$work/noeoi.rc")" = 3
    check "KVM_FEATURE_PV_EOI (bit 6) set by default, cleared by --cpu-flags ,-kvm-pv-eoi" \
        test $(( with & 64 )) = 64 -a $(( without & 64 )) = 0
    check "an unknown CPU flag is a harness failure (125), got $(< "$work/badflag.rc")" \
        test "$(< "$work/badflag.rc")" = 125
}

main() {
    build_or_skip
    local t0=$SECONDS
    run main --stats "$work/stats" "probe-cmdline 42"
    echo "# nested run took $((SECONDS - t0)) s"
    run noeoi --cpu-flags ,-kvm-pv-eoi "probe-fail"
    run badflag --cpu-flags ,no-such-cpu-flag ""
    echo "1..10"
    check_main_run
    check_flag_runs
    (( failed == 0 ))
}

main
