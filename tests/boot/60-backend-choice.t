#!/bin/bash
# Asking for a backend that cannot run here (QEMU TCG: no KVM signature, not
# entered through Xen) prints what was found instead, falls back to native,
# and the kernel still passes selftest.
. "$(dirname "$0")/lib.sh"
plan 6
log=$TMP/kvm.log
st=$(boot_elf "$ROOT/build/pvos.elf" "pvops=kvm selftest" "$log")
has '^pvops: pvops=kvm asked for, but (CPUID.1:ECX has no hypervisor bit|CPUID 0x40000000 says ".*", no KVMKVMKVM signature); falling back to native$' "$log"
ok $? "pvops=kvm under TCG says what CPUID showed"
has '^pvops: backend native \(pvops=kvm unavailable: ' "$log"; ok $? "backend line names the fallback"
has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log"
ok $? "native sites patched"
[ "$st" = 1 ] && selftest_all_ok "$log"; ok $? "selftest passes on the fallback (exit $st)"
diag_log "$log"

log=$TMP/xen.log
st=$(boot_elf "$ROOT/build/pvos.elf" "pvops=xen selftest" "$log")
has '^pvops: pvops=xen asked for, but not entered through the Xen PV entry point; falling back to native$' "$log"
ok $? "pvops=xen on bare QEMU says why it falls back"
[ "$st" = 1 ] && selftest_all_ok "$log"; ok $? "selftest passes on the fallback (exit $st)"
diag_log "$log"
