#!/usr/bin/env bash
# pvos-kvm-direct.t - pvos under this host's own /dev/kvm, whatever KVM is
# behind it: pvos must pass its self-tests under any KVM it meets.  The same
# boots as the nested suite (pvos-kvm.t), run with PVOS_KVM_MODE=direct, all
# with -smp 1 (under a software KVM the other CPUs cannot start), and
# without the nested suite's -smp 4 boot.
# TAP, run by prove from `make test`.
#
#  - No usable /dev/kvm: the whole file skips, and says so in make test's
#    skip summary (a machine fact CI checks for itself).
#  - Software KVM (kvm_pvm, ...): the host may not deliver PV EOI, so that one
#    self-test skip is accepted, and the exit-count checks skip: its counters
#    are not hardware VM exits.
#  - Hardware KVM (kvm_intel, kvm_amd): the exit counts are measured too
#    (l2-run.sh mounts debugfs if needed); the PV EOI saving is demanded
#    unless the self-test found PV EOI unused (APICv/AVIC).
# shellcheck disable=SC2034  # read by lib.sh
KVM_MODE=direct
# shellcheck source=tests/kvm/lib.sh
. "$(dirname "$0")/lib.sh"

read -r kind module why < <("$HERE/host-kvm.sh")
if [ "$kind" = none ]; then
	skip_file hardware "no usable /dev/kvm on this machine ($why)" no-kvm
fi

first_boot full "" "selftest"
echo "1..21"
record ran "direct under this host's /dev/kvm: $why"
check_full 1

boot noopt "$NOOPT_FLAGS" "selftest"
check_noopt 1

boot noclock ",-kvmclock" "selftest"
check_noclock 1

boot rewrite "" "selftest kvm.fake_rewrite"
check_fake_rewrite 1 1

if [ "$kind" = software ]; then
	reason="the host's KVM is $module (software KVM): its counters are not hardware VM exits, and it need not deliver PV EOI"
	skip_exit_counts "$reason"
	record hardware "exit counts not measured: $reason" no-hw-kvm
elif [ "$(id -u)" != 0 ] && [ ! -r /sys/kernel/debug/kvm ]; then
	reason="KVM's counters are in debugfs, which is not mounted, and only root can mount it"
	skip_exit_counts "$reason"
	record setup "exit counts not measured: $reason"
else
	eoi=""
	if pv_eoi_unused "$work/full.log"; then
		eoi="the self-test found PV EOI enabled but unused on this $module host (APICv/AVIC)"
		record hardware "PV EOI saving not checked: $eoi" apicv
	fi
	check_exit_counts "$REPO/build/kvm/bench-kvm-direct.csv" "$eoi"
fi
exit $((failed > 0))
