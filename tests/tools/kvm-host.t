#!/usr/bin/env bash
# kvm-host.t - TAP test (run by prove) of the pieces that decide how pvos
# meets this host's KVM, on fake machines (no KVM needed):
#   tests/kvm/host-kvm.sh  hardware / software / none, from a fake /dev/kvm,
#                          /proc/cpuinfo and /sys/module (PVOS_KVM_HOST_ROOT);
#   tools/kvm-cpu.sh       "host", "host,-arch-capabilities" when QEMU aborts
#                          on MSR 0x10a, and failure when neither starts
#                          (a fake QEMU, PVOS_QEMU);
#   tools/test-skips.sh    the skip record, its summary, and CI's check that
#                          rejects setup skips and unconfirmed hardware skips.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kvm-host-t.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0 failed=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# machine NAME FLAGS MODULES...: a fake root with /dev/kvm (a plain file, or
# none if MODULES is "nokvm"), a cpuinfo flags line, and /sys/module dirs.
machine() {
	local r=$work/$1 flags=$2 m
	shift 2
	mkdir -p "$r/proc" "$r/sys/module" "$r/dev"
	printf 'processor\t: 0\nflags\t\t: fpu %s sse2\n\n' "$flags" > "$r/proc/cpuinfo"
	for m in "$@"; do
		if [ "$m" = nokvm ]; then continue; fi
		mkdir -p "$r/sys/module/$m"
	done
	[ "${*: -1}" = nokvm ] || : > "$r/dev/kvm"
	echo "$r"
}

kind() { PVOS_KVM_HOST_ROOT=$1 "$REPO/tests/kvm/host-kvm.sh"; }

echo "1..17"

r=$(machine intel "vmx ept" kvm kvm_intel)
out=$(kind "$r"); [[ $out == "hardware kvm_intel /dev/kvm is kvm_intel (hardware KVM, vmx)" ]]
ok $? "kvm_intel + vmx + /dev/kvm: hardware ($out)"
r=$(machine amd "svm npt" kvm kvm_amd)
out=$(kind "$r"); [[ $out == "hardware kvm_amd "* ]]; ok $? "kvm_amd + svm: hardware ($out)"
r=$(machine pvm "hypervisor" kvm kvm_pvm)
out=$(kind "$r"); [[ $out == "software kvm_pvm /dev/kvm is kvm_pvm (software KVM), not kvm_intel/kvm_amd" ]]
ok $? "kvm_pvm without vmx/svm: software ($out)"
r=$(machine intelnoflag "hypervisor" kvm kvm_intel)
out=$(kind "$r"); [[ $out == "software kvm_intel "* ]]; ok $? "kvm_intel but no vmx flag: not hardware ($out)"
r=$(machine nokvm "vmx" kvm kvm_intel nokvm)
out=$(kind "$r"); [[ $out == "none - /dev/kvm does not exist" ]]; ok $? "no /dev/kvm: none ($out)"
out=$(kind /nonexistent); [[ $out == none* ]]; ok $? "PVOS_KVM_HOST_ROOT=/nonexistent: none ($out)"

# A fake QEMU: FAKE_QEMU says which -cpu values start.
cat > "$work/qemu" <<'EOF'
#!/bin/sh
cpu=''
while [ $# -gt 0 ]; do [ "$1" = -cpu ] && cpu=$2; shift; done
case " $FAKE_QEMU " in *" $cpu "*) cat > /dev/null; exit 0 ;; esac
echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
kill -ABRT $$
EOF
chmod +x "$work/qemu"
cpu() { FAKE_QEMU=$1 PVOS_QEMU=$work/qemu "$REPO/tools/kvm-cpu.sh" 2> "$work/cpu.err"; }
out=$(cpu "host"); ok $? "kvm-cpu.sh: -cpu host starts: prints $out"
[ "$out" = host ] && [ ! -s "$work/cpu.err" ]; ok $? "kvm-cpu.sh: 'host', and nothing on stderr"
out=$(cpu "host,-arch-capabilities") && [ "$out" = host,-arch-capabilities ] &&
	grep -q 'failed to set MSR 0x10a' "$work/cpu.err"
ok $? "kvm-cpu.sh: QEMU aborts on MSR 0x10a: '$out', and says why on stderr"
st=0; out=$(cpu "none") || st=$?
[ "$st" = 1 ] && [ -z "$out" ] && grep -q 'error: QEMU does not start' "$work/cpu.err"
ok $? "kvm-cpu.sh: neither starts: exit $st with a message, no -cpu value"

# The skip record, its summary, and CI's verdict.
export PVOS_TEST_RECORD=$work/record.txt
skips=$REPO/tools/test-skips.sh
"$skips" clear
out=$("$skips" summary); [ "$out" = "make test: nothing skipped" ]; ok $? "empty record: '$out'"
"$skips" record tests/kvm/pvos-kvm.t ran "nested KVM"
"$skips" record tests/boot/10-iso.t setup "no OVMF firmware"
"$skips" record tests/kvm/pvos-kvm-direct.t hardware "no usable /dev/kvm" no-kvm
"$skips" summary > "$work/summary"
grep -qx 'make test: ran: tests/kvm/pvos-kvm.t: nested KVM' "$work/summary" &&
	grep -qx 'make test: skipped (setup): tests/boot/10-iso.t: no OVMF firmware' "$work/summary" &&
	grep -qx 'make test: skipped (hardware): tests/kvm/pvos-kvm-direct.t: no usable /dev/kvm' "$work/summary" &&
	! grep -q 'nothing skipped' "$work/summary"
ok $? "summary names each skip with its kind and reason"
st=0; "$skips" record x.t hardware "no reason to check" 2>/dev/null || st=$?
[ "$st" = 2 ]; ok $? "a hardware skip without a claim CI can check is refused (exit $st)"

ci() { "$skips" ci-check --root "$1" 2> "$work/ci.err"; }
st=0; ci "$work/nokvm" || st=$?
[ "$st" = 1 ] && grep -q 'tests/boot/10-iso.t skipped, but CI can set it up' "$work/ci.err"
ok $? "CI fails on a setup skip (exit $st)"
printf 'tests/kvm/pvos-kvm.t\tran\tnested KVM\ntests/kvm/pvos-kvm-direct.t\thardware\tno /dev/kvm\tno-kvm\n' > "$PVOS_TEST_RECORD"
ci "$work/nokvm"; ok $? "CI accepts 'no /dev/kvm' on a machine without /dev/kvm"
st=0; ci "$work/intel" || st=$?
[ "$st" = 1 ] && grep -q 'but this machine has it' "$work/ci.err"
ok $? "CI rejects 'no /dev/kvm' on a machine with /dev/kvm (exit $st)"
printf 'tests/kvm/pvos-kvm.t\tran\tnested KVM\ntests/kvm/pvos-kvm-direct.t\thardware\tsoftware KVM\tno-hw-kvm\n' > "$PVOS_TEST_RECORD"
ci "$work/pvm" && ! ci "$work/intel" && ! ci "$work/amd"
ok $? "CI accepts 'no hardware KVM' under kvm_pvm, rejects it under kvm_intel and kvm_amd"
exit $((failed > 0))
