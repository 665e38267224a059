#!/usr/bin/env bash
# pvos-kvm.t - pvos under real KVM, nested: QEMU TCG runs Debian's Linux with
# kvm-amd, which runs pvos.  Always run, on every machine: it is the trusted
# path, where every KVM feature pvos uses is delivered and KVM's counters are
# real VM exits.  (pvos-kvm-direct.t runs the same boots on the host's own
# /dev/kvm.)  TAP, run by prove from `make test`.
#
#  1. `selftest` with every KVM feature: backend kvm, every site patched,
#     every self-test ok and none of the kvm ones skipped, hypercalls work,
#     and no feature offered but not delivered.
#  2. SMP: L2 with -smp 4, on L1's one vCPU (4:1 overcommit): 4 CPUs up,
#     PV_SEND_IPI, PV_TLB_FLUSH and PV_UNHALT in use, every self-test ok
#     (the smp and kvm ones not skipped), and the exit report says each was
#     used: IPIs by hypercall, flushes left to KVM, lock sleeps and kicks.
#  3. Feature removal, -smp 4: -kvm-pv-eoi,-kvm-steal-time,-kvm-nopiodelay,
#     -kvm-pv-ipi,-kvm-pv-unhalt (PV_TLB_FLUSH then lacks steal time), then
#     -kvmclock (-smp 1): each op falls back to native with its message.
#  4. `kvm.fake_rewrite`, -smp 4: the hypercall probe fails, as on a host
#     that rewrites the instruction; hypercalls stay native, and so do IPIs
#     and spinlocks, each saying why; self-tests pass.
#  5. lockbench, -smp 4, pvspin on and off: PV wait/kick beats plain spinning
#     under 4:1 overcommit; the figures go to build/bench-locks-kvm.csv.
#  6. measure-exits.sh: `hoststat` with PV EOI and NOP io_delay on and off,
#     KVM's own exit counters per 1,000 timer interrupts and io_delay calls,
#     written to build/bench-kvm.csv.  Here the saving is demanded.
# shellcheck disable=SC2034  # read by lib.sh
KVM_MODE=nested
# shellcheck source=tests/kvm/lib.sh
. "$(dirname "$0")/lib.sh"

first_boot full "" "selftest"
echo "1..30"
record ran "nested KVM (QEMU TCG -> Linux with kvm-amd -> pvos): always run, the trusted path"
check_full 0

boot smp "" "selftest" 4
check_smp

boot noopt "$NOOPT_FLAGS" "selftest" 4
check_noopt 4

boot noclock ",-kvmclock" "selftest"
check_noclock 0

boot rewrite "" "selftest kvm.fake_rewrite" 4
check_fake_rewrite 0 4

boot lock-pv "" "lockbench" 4
boot lock-spin "" "lockbench pvspin=off" 4
check_lockbench "$REPO/build/bench-locks-kvm.csv"

check_exit_counts "$REPO/build/bench-kvm.csv"
exit $((failed > 0))
