# Lab 2 (docs/labs/lab2.md): a new op, lock.vcpu_is_preempted, end to end.
# Sourced by tests/labs/grade.sh.  Judged from the code (a row, each
# backend's override), the build and check-sites, and two boots with
# `selftest pvops.verbose`: natively its sites must be inline, under Xen
# (dom0) patched, and its self-test must pass in both.  The KVM backend is
# judged from its code only: a KVM boot here would be nested (minutes).

LAB2_OP=lock.vcpu_is_preempted

# lab2_sites LOG HOW: the op's sites in the first patch pass, all patched HOW
# ("inline", or "patched": inline or direct); fails if there are none.
lab2_sites() {
	first_pass "$1" | grep -aF " $LAB2_OP: " >"$TMP/op.sites" || true
	[ -s "$TMP/op.sites" ] || return 1
	case $2 in
	inline) ! grep -avq ' (inline)$' "$TMP/op.sites" ;;
	patched) ! grep -avqE ' \((inline|direct)\)$' "$TMP/op.sites" ;;
	esac
}

# lab2_selftest LOG: the op's self-test (its TAP line names the op) passed, and all others.
lab2_selftest() {
	selftests_ok "$1" && grep -aqE "^ok [0-9]+ - .*vcpu_is_preempted" "$1"
}

lab2() {
	local st
	grep -qE '^[[:space:]]*ASM\(lock, vcpu_is_preempted, CALLEE, ' "$ROOT/pvops/pv_ops.h"
	check $? "PV_OP_LIST has a callee-save ASM row for $LAB2_OP" \
		"add its row to pvops/pv_ops.h, and its slot to struct pv_lock_ops"
	grep -q 'vcpu_is_preempted' "$ROOT/pvops/pvops.h"
	check $? "pvops/pvops.h has its wrapper" "write vcpu_is_preempted(cpu), a PVOP_CALLEE1 site"
	grep -qsE '(XEN_OP|PV_OVERRIDE)\((xen_backend, *)?lock\.vcpu_is_preempted,' "$ROOT"/backends/xen/*.c
	check $? "the Xen backend overrides $LAB2_OP" \
		"an XEN_OP record in backends/xen/ops.c, for a function that reads the vCPU's runstate area"
	# A record may span lines: look at the sources with their newlines taken out.
	grep -qE 'PV_OVERRIDE\(kvm_backend, *lock\.vcpu_is_preempted,[^;]*STEAL_TIME' \
		<<<"$(cat "$ROOT"/backends/kvm/*.c | tr -d '\n\t')"
	check $? "the KVM backend overrides $LAB2_OP, with steal time" \
		"a PV_OVERRIDE record needing KVM_BIT(STEAL_TIME) (backends/kvm/kvm_ops.c), for a function that reads the record's preempted flag"
	if [ "$passed" = 0 ]; then
		miss "the build, check-sites and the boots: not tried until the op has its row"
		return 0
	fi
	build "$ROOT" build/pvos.elf check-sites build/xen/xen ||
		{ miss "the tree builds and make check-sites passes: $(tail -n 3 "$TMP/make.log")"; return 0; }
	pass "the tree builds and make check-sites passes"
	st=$(boot "$ROOT/build/pvos.elf" "selftest pvops.verbose" "$TMP/native.log")
	[ "$st" = 1 ] && lab2_selftest "$TMP/native.log"
	check $? "natively every self-test passes, among them one that names vcpu_is_preempted (QEMU $st)" \
		"write a self-test for the op (its description names it) and make it pass"
	lab2_sites "$TMP/native.log" inline
	check $? "natively pvops.verbose shows its sites patched inline" \
		"an ASM row's code is the native template; its sites must be in the first patch pass"
	st=$(boot_xen "$ROOT/build/pvos.elf" "selftest pvops.verbose" "$TMP/xen.log")
	[ "$st" = 1 ] && lab2_selftest "$TMP/xen.log"
	check $? "under Xen (dom0) every self-test passes, its own too (QEMU $st)" \
		"make run-xen ARGS=selftest shows which fails"
	lab2_sites "$TMP/xen.log" patched && ! grep -aq ' 31 c0 (inline)$' "$TMP/op.sites"
	check $? "under Xen its sites are patched, to Xen's code, not the native xor" \
		"the Xen slot must hold Xen's function (a callee-save thunk)"
}
