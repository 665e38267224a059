#!/usr/bin/env bash
# kvm-cpu.sh - print the -cpu value that QEMU with -accel kvm accepts on this
# host: "host", or "host,-arch-capabilities" where -cpu host makes QEMU abort
# ("failed to set MSR 0x10a": some KVMs, kvm_pvm for one, refuse the
# IA32_ARCH_CAPABILITIES value QEMU copies from the host CPU).  A quick
# `qemu -S` start (no guest code runs) tells which; the fallback is said on
# stderr.  Exit 1 with a message when neither starts (e.g. no usable /dev/kvm).
# Used by `make run`, `make run-kvm` and tests/kvm/run-nested.sh (direct mode).
# PVOS_QEMU replaces qemu-system-x86_64 (tests/tools/kvm-host.t uses a fake).
set -euo pipefail

QEMU=${PVOS_QEMU:-qemu-system-x86_64}
err=$(mktemp "${TMPDIR:-/tmp}/kvm-cpu.XXXXXX")
trap 'rm -f "$err"' EXIT

say() { echo "kvm-cpu: $*" >&2; }

# starts CPU: does QEMU get as far as its monitor with this -cpu?  The CPU's
# MSRs are written at machine reset, before -S stops it, so a refused MSR
# shows here.
starts() {
    # (A subshell, so that bash's "Aborted" job notice stays out of our stderr.)
    (timeout 20 "$QEMU" -machine pc -accel kvm -cpu "$1" -S -display none \
        -nodefaults -monitor stdio <<< quit >/dev/null 2>"$err"; exit $?) 2>/dev/null
}

main() {
    if starts host; then echo host; return; fi
    if grep -q 'failed to set MSR 0x10a' "$err" && starts host,-arch-capabilities; then
        say "-cpu host aborts under this host's KVM (failed to set MSR 0x10a," \
            "IA32_ARCH_CAPABILITIES): using -cpu host,-arch-capabilities"
        echo host,-arch-capabilities
        return
    fi
    say "error: QEMU does not start with -accel kvm -cpu host here:"
    sed 's/^/kvm-cpu:   /' "$err" | head -n 5 >&2
    exit 1
}

main
