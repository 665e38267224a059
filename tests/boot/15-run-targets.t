#!/bin/bash
# The run targets as README's table documents them: `make run ARGS=...
# ACCEL=tcg` boots the ELF with that command line in software emulation and
# says which accelerator and why; left to itself it says why it chose; a bad
# ACCEL, ACCEL=tcg for run-kvm and ACCEL=kvm for run-xen are refused in one
# line each, with status 2.  (run-kvm and run-xen themselves boot in
# tests/kvm/ and tests/boot/xen-dom0.t; tools/accel.sh's choice on other
# machines is exercised with PVOS_KVM_HOST_ROOT.)
. "$(dirname "$0")/lib.sh"
plan 8
cd "$ROOT"
mk() { timeout 120 make -s --no-print-directory "$@" </dev/null >"$TMP/out" 2>&1; echo $?; }

st=$(mk run ARGS="selftest pvops.verbose" ACCEL=tcg)
grep -q "^run: QEMU with tcg: software emulation, as ACCEL=tcg asks" "$TMP/out"
ok $? "make run ACCEL=tcg says tcg and why"
grep -q "^pvops: site .*(inline)" "$TMP/out" && grep -q "selftest: .* 0 failed" "$TMP/out" &&
	grep -q "^run: QEMU exited with 1" "$TMP/out"
ok $? "make run ARGS='selftest pvops.verbose' boots with that command line; pvos passes (status $st)"

auto=$(tools/accel.sh)
case $auto in
"kvm /dev/kvm is usable"*"ACCEL=tcg forces"*|"tcg software emulation: "*"ACCEL=kvm needs"*) r=0 ;;
"tcg software emulation: "*"(software KVM)"*"ACCEL=kvm forces it") r=0 ;;	# kvm_pvm and the like
*) r=1 ;;
esac
ok $r "left to itself, run says which accelerator, why, and how to force the other ($auto)"
out=$(PVOS_KVM_HOST_ROOT=/nonexistent tools/accel.sh 2>&1)
[ "$out" = "tcg software emulation: /dev/kvm does not exist; ACCEL=kvm needs a usable /dev/kvm" ]
ok $? "on a machine without /dev/kvm it chooses tcg and says why"
PVOS_KVM_HOST_ROOT=/nonexistent tools/accel.sh kvm >/dev/null 2>"$TMP/err"; st=$?
[ "$st" = 2 ] && grep -q "ACCEL=kvm: /dev/kvm does not exist" "$TMP/err"
ok $? "ACCEL=kvm there is refused, saying why (status $st)"

st=$(mk run ACCEL=foo)
[ "$st" = 2 ] && grep -q "ACCEL=foo: not an accelerator pvos knows (tcg or kvm)" "$TMP/out"
ok $? "make run ACCEL=foo: one line, status 2"
st=$(mk run-kvm ACCEL=tcg)
[ "$st" = 2 ] && grep -q "run-kvm: ACCEL=tcg is not KVM: make run ACCEL=tcg" "$TMP/out"
ok $? "make run-kvm ACCEL=tcg points at make run ACCEL=tcg, status 2"
st=$(mk run-xen ACCEL=kvm)
[ "$st" = 2 ] && grep -q "run-xen: ACCEL=kvm: Xen runs in QEMU's software emulation (tcg) here" "$TMP/out"
ok $? "make run-xen ACCEL=kvm is refused, status 2"
diag_log "$TMP/out"
