# shellcheck shell=bash
# lib.sh - shared by the two pvos-under-KVM suites (sourced, not run):
# pvos-kvm.t (nested: the trusted path, kvm-amd inside QEMU TCG) and
# pvos-kvm-direct.t (this host's own /dev/kvm, whatever its kind).  Both
# boot the same things and judge them the same way; they differ in which
# self-test skips they accept, whether KVM's exit counts are real exits, and
# how many vCPUs L2 gets: the nested suite also boots -smp 4 (on L1's one
# vCPU: the overcommit case), the direct one stays at -smp 1, since under a
# software KVM such as kvm_pvm the other CPUs cannot start.
#
# The caller sets KVM_MODE (nested|direct) before sourcing; every boot runs
# with PVOS_KVM_MODE=$KVM_MODE.  Output is TAP.  No set -e: a failed check
# must print 'not ok' and go on, not end the plan early.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ELF=$REPO/build/pvos.elf
TEST_FILE=tests/kvm/$(basename "$0")
export PVOS_KVM_MODE=$KVM_MODE
work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-kvm-t.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The one self-test skip a host may force: it offers PV EOI but never sets
# the flag (software KVM such as kvm_pvm; Intel APICv).
PV_EOI_SKIP='^ok [0-9]+ - kvm: timer interrupts keep arriving; PV EOI skips APIC writes # SKIP PV EOI enabled but unused: '
# What a cross-CPU self-test says on a -smp 1 boot.
ONE_CPU_SKIP='# SKIP one CPU: boot with -smp 2 or more$'
# QEMU hides the features with a per-feature op (the SMP ones too); without
# steal time, PV_TLB_FLUSH (offered) has no preempted flag to read.
NOOPT_FLAGS=",-kvm-pv-eoi,-kvm-steal-time,-kvm-nopiodelay,-kvm-pv-ipi,-kvm-pv-unhalt"

n=0
failed=0
last=""
ok() {	# ok STATUS DESCRIPTION: one TAP line; on failure, the last boot's output
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; return; fi
	echo "not ok $n - $2"
	failed=$((failed + 1))
	[ -n "$last" ] && diag "$last"
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# On a failure, show the end of the boot's output and the harness's messages
# (as TAP comments), and pvos's own failed self-tests on stderr, which prove
# shows without -v.
diagged=""
diag() {
	[ "$diagged" = "$1" ] ||
		grep -a '^not ok' "$work/$1.log" 2>/dev/null | sed "s|^|$TEST_FILE: $1: pvos: |" >&2
	diagged=$1
	echo "# --- $1: last guest lines ---"
	tail -n 15 "$work/$1.log" 2>/dev/null | sed 's/^/# /'
	echo "# --- $1: harness ---"
	tail -n 8 "$work/$1.err" 2>/dev/null | sed 's/^/# /'
}
has() { grep -aqE "$1" "$2"; }
all_ok() {
	local planned
	planned=$(grep -aoE '^1\.\.[0-9]+' "$1" | head -n1 | cut -d. -f3)
	[ -n "$planned" ] && [ "$(grep -acE '^ok [0-9]+ ' "$1")" = "$planned" ] && ! has '^not ok' "$1"
}
# record KIND REASON [CLAIM]: into make test's record of skips (tools/test-skips.sh).
record() { "$REPO/tools/test-skips.sh" record "$TEST_FILE" "$@"; }
skip_file() {	# skip_file KIND REASON [CLAIM]: the whole file, before any plan
	echo "1..0 # SKIP $2"
	record "$@"
	exit 0
}

# boot NAME CPU-FLAGS CMDLINE [CPUS]: sets $st, leaves $work/NAME.{log,err}.
# CPUS is L2's -smp (1 if not given).  A failure of the harness itself (124
# timeout, 125) is tried once more and said on stderr; pvos failing (3) is not.
boot() {
	local try
	last=$1
	for try in 1 2; do
		st=0
		"$HERE/run-nested.sh" --timeout 240 --smp "${4:-1}" --cpu-flags "$2" \
			"$ELF" "$3" >"$work/$1.log" 2>"$work/$1.err" || st=$?
		[ "$st" = 124 ] || [ "$st" = 125 ] || break
		echo "$TEST_FILE: $1: $KVM_MODE run ended with $st (try $try): $(tail -n 3 "$work/$1.err" | tr '\n' ' ')" >&2
	done
	# docs/kvm.md's sample boot and exit reports are cut from these (tools/snippets.py).
	mkdir -p "$REPO/build/kvm" && cp "$work/$1.log" "$REPO/build/kvm/$KVM_MODE-$1.log"
}

# The first boot: skip the file if the harness cannot run here at all (77,
# a package or the kernel download missing), and say which mode ran.
first_boot() {
	boot "$@"
	if [ "$st" = 77 ]; then
		skip_file setup "$(grep -ah '^SKIP' "$work/$1.log" "$work/$1.err" | head -n 1 | cut -c6-)"
	fi
	grep -m1 '^run-nested: mode ' "$work/$1.err" | sed "s|^|$TEST_FILE: |" >&2
}

# selftests_ok LOG ACCEPT-PV-EOI-SKIP(0|1) [CPUS]: every self-test ok, and
# the kvm and smp ones run: none skipped, or (where the host may not deliver
# PV EOI) only the PV EOI one.  On one CPU (CPUS 1, the default) a
# cross-CPU test's "one CPU" skip is no fault.
selftests_ok() {
	local skips
	all_ok "$1" || return 1
	skips=$(grep -aE '^ok [0-9]+ - (kvm|smp): .*# SKIP' "$1")
	[ "${3:-1}" != 1 ] || skips=$(grep -vE "$ONE_CPU_SKIP" <<< "$skips")
	[ -z "$skips" ] && return 0
	[ "$2" = 1 ] && ! grep -vqE "$PV_EOI_SKIP" <<< "$skips"
}
pv_eoi_unused() { has "$PV_EOI_SKIP" "$1"; }
cpus_up() {	# cpus_up LOG N: pvos started N CPUs under kvm
	has "^smp: $2 CPUs up, on the kvm backend\$" "$1"
}

# --- the boots both suites make ---

check_full() {	# check_full ACCEPT-PV-EOI-SKIP: every feature on
	local log=$work/full.log
	ok $((st != 1)) "all features: exit status 1 (pass), got $st"
	has '^pvops: backend kvm \(auto; kvm: CPUID 0x40000[0-9a-f]+: KVMKVMKVM, features 0x[0-9a-f]+' "$log"
	ok $? "backend kvm chosen from the CPUID signature"
	has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log"
	ok $? "0 left indirect, 0 refused"
	selftests_ok "$log" "$1"
	ok $? "every selftest ok, the kvm ones run$([ "$1" = 1 ] && echo ' (PV EOI may be unused)')"
	if [ "$1" = 1 ]; then
		has '^kvm: hypercalls: (vmcall|vmmcall) works' "$log" || has '^kvm: hypercalls off: ' "$log"
		ok $? "the hypercall probe says whether hypercalls work here"
	else
		has '^kvm: hypercalls: (vmcall|vmmcall) works' "$log"
		ok $? "hypercalls work (the probe on a read-only scratch page passed)"
	fi
	has '^kvm: in use: ' "$log" && has '^kvm: offered but not delivered: ' "$log" &&
		{ [ "$1" = 1 ] || has '^kvm: offered but not delivered: none$' "$log"; }
	ok $? "the exit lines say which features were used and which were offered but not delivered"
	grep -aE '^(pvops|kvm):|^not ok|# SKIP' "$log" | sed 's/^/# /'
}

# check_noopt CPUS: booted with $NOOPT_FLAGS, -smp CPUS
check_noopt() {
	local log=$work/noopt.log tlb='^kvm: PV_TLB_FLUSH offered, but it needs steal time'
	ok $((st != 1)) "${NOOPT_FLAGS#,}: exit 1, got $st"
	has '^kvm: no PV_EOI: apic.eoi stays native' "$log" && has '^kvm: no STEAL_TIME' "$log" &&
		has '^kvm: no NOP_IO_DELAY: cpu.io_delay stays native' "$log"
	ok $? "each removed feature's op falls back to native, with its message"
	[ "$KVM_MODE" = nested ] || tlb="$tlb|^kvm: no PV_TLB_FLUSH: "	# the host may not offer it
	has '^kvm: no PV_SEND_IPI: apic.send_ipi stays native' "$log" &&
		has '^kvm: no PV_UNHALT: lock.wait/kick unused, spinlocks stay native' "$log" &&
		has "$tlb" "$log" &&
		! has '^kvm: paravirtual ticket locks' "$log"
	ok $? "PV_SEND_IPI, PV_UNHALT, PV_TLB_FLUSH (no steal time): IPIs, flushes and locks stay native, each saying so"
	selftests_ok "$log" 0 "$1"; ok $? "every selftest ok without them"
	if [ "$1" != 1 ]; then
		cpus_up "$log" "$1"; ok $? "-smp $1: $1 CPUs up, the smp and kvm selftests run on the native IPI, flush and lock"
	fi
}

check_noclock() {	# check_noclock ACCEPT-PV-EOI-SKIP
	local log=$work/noclock.log
	ok $((st != 1)) "-kvmclock: exit 1, got $st"
	has '^kvm: no kvmclock \(CLOCKSOURCE2\): time.sched_clock stays native' "$log" &&
		selftests_ok "$log" "$1"
	ok $? "sched_clock falls back to the TSC, every selftest ok"
}

# kvm.fake_rewrite: the probe's stub writes to its own read-only page, as a
# host that rewrites the instruction does; the probe must fail, hypercalls
# stay native (-ENOSYS), and the self-tests still pass.
# The hypercall-based features (PV_SEND_IPI, PV_UNHALT) go too, each saying
# why; in the nested suite the host offers both, so "offered, but" is demanded.
check_fake_rewrite() {	# check_fake_rewrite ACCEPT-PV-EOI-SKIP CPUS
	local log=$work/rewrite.log f why
	ok $((st != 1)) "kvm.fake_rewrite: exit 1, got $st"
	has '^kvm: hypercalls off: ' "$log"
	ok $? "kvm.fake_rewrite: the probe fails and says 'kvm: hypercalls off: ...'"
	selftests_ok "$log" "$1" "$2"; ok $? "kvm.fake_rewrite: every selftest ok (hypercalls fall back to -ENOSYS)"
	why=0
	for f in PV_SEND_IPI PV_UNHALT; do
		if [ "$KVM_MODE" = nested ]; then
			has "^kvm: $f offered, but it needs hypercalls" "$log" || why=1
		else
			has "^kvm: $f offered, but it needs hypercalls|^kvm: no $f: " "$log" || why=1
		fi
	done
	! has '^kvm: PV_SEND_IPI \(|^kvm: PV_UNHALT \(|^kvm: paravirtual ticket locks' "$log" && [ $why = 0 ]
	ok $? "kvm.fake_rewrite: no hypercall-based feature (PV_SEND_IPI, PV_UNHALT) in use, each saying why"
	if [ "$2" != 1 ]; then
		cpus_up "$log" "$2"; ok $? "kvm.fake_rewrite -smp $2: $2 CPUs up, the smp selftests run"
	fi
	grep -aE '^kvm: (hypercalls|PV_SEND_IPI|PV_UNHALT|PV_TLB_FLUSH)' "$log" | sed 's/^/# /'
}

# -smp 4 with every feature: the PV IPI, the lazy flush of preempted vCPUs
# and the PV spinlock in use.  L1 has one vCPU, so L2's four are overcommitted
# 4:1: while one runs, a busy one is preempted, never halted, and the flush
# self-test's readers are busy; so some flushes must have been left to KVM.
# The PV_UNHALT self-test sleeps and kicks twice itself.
check_smp() {
	local log=$work/smp.log
	local used='^kvm: in use: .*PV IPIs \([1-9][0-9]* by KVM_HC_SEND_IPI\), PV TLB flush \([1-9][0-9]* of [0-9]+ remote flushes left to KVM\), PV spinlocks \([1-9][0-9]* sleeps in lock.wait, [1-9][0-9]* kicks\)$'
	ok $((st != 1)) "-smp 4 (4 vCPUs on L1's one): exit status 1 (pass), got $st"
	cpus_up "$log" 4; ok $? "smp: 4 CPUs up, on the kvm backend"
	has '^kvm: PV_SEND_IPI \(KVM_HC_SEND_IPI\): apic.send_ipi is one hypercall$' "$log" &&
		has "^kvm: PV_TLB_FLUSH \(steal time's preempted flag\): mmu.flush_tlb_multi " "$log" &&
		has '^kvm: PV_UNHALT \(KVM_HC_KICK_CPU\): lock.wait halts the vCPU, lock.kick wakes it$' "$log" &&
		has '^kvm: paravirtual ticket locks: ' "$log"
	ok $? "PV_SEND_IPI, PV_TLB_FLUSH and PV_UNHALT in use, each with its line"
	selftests_ok "$log" 0 4; ok $? "every selftest ok, the kvm and smp ones not skipped"
	has "$used" "$log" && has '^kvm: offered but not delivered: none$' "$log"
	ok $? "exit report: IPIs by hypercall, flushes of preempted vCPUs left to KVM, lock sleeps and kicks; all delivered"
	grep -aE '^(smp|kvm):|^not ok|# SKIP' "$log" | grep -v 'not running on the xen backend' | sed 's/^/# /'
}

# --- lock throughput under 4:1 overcommit (kernel/lockbench.c), 2 checks ---

per_sec() { awk '$1 == "lockbench:" && $2 == "total" { split($6, p, "="); print p[2] }' "$1"; }

# check_lockbench CSV: `lockbench` with and without pvspin, 4 vCPUs on L1's
# one: both finish, and paravirtual waiting gets the lock more often than
# plain spinning.  The figures go to CSV (tools/bench.sh writes the same).
check_lockbench() {
	local pv spin
	pv=$(per_sec "$work/lock-pv.log") spin=$(per_sec "$work/lock-spin.log")
	[ -n "$pv" ] && [ -n "$spin" ]
	ok $? "lockbench, 4 vCPUs on one, pvspin on and off: both finish ($pv and $spin per s)"
	awk -v a="${pv:-0}" -v b="${spin:-0}" 'BEGIN { exit !(b > 0 && a > b) }'
	ok $? "PV wait/kick gets the lock more often than plain spinning (${pv:-?} vs ${spin:-?} per s)"
	if [ -n "$pv" ] && [ -n "$spin" ]; then
		printf 'setup,pvspin,acquisitions_per_sec\nkvm-nested,on,%s\nkvm-nested,off,%s\n' \
			"$pv" "$spin" >"$1.tmp" && mv "$1.tmp" "$1"
	fi
}

# --- KVM's exit counts (measure-exits.sh), 5 checks ---

# Every window label of both boots has numeric exits and io_exits.
counters_complete() {
	local f label c v
	for f in "$1/on.stats" "$1/off.stats"; do
		[ -s "$f" ] || { echo "# no stats file $f"; return 1; }
		for label in cal-start cal-end timer-start timer-end io-start io-end cal2-start cal2-end; do
			for c in exits io_exits; do
				v=$(awk -v l="$label" -v k="$c" '$1 == l { for (i = 2; i <= NF; i++)
					if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' "$f")
				grep -qE '^[0-9]+$' <<< "$v" || { echo "# ${f##*/}: $label $c='$v'"; return 1; }
			done
		done
	done
}

csv_ok() {	# csv_ok CSV MODE: the exact shape tools/bench.sh and the docs check read
	local num='[0-9]+(\.[0-9]+)?'
	[ "$(sed -n 1p "$1")" = "measure,with_pv,without_pv,mode" ] &&
		grep -qE "^exits_per_1000_timer_interrupts,$num,$num,$2\$" "$1" &&
		grep -qE "^exits_per_1000_io_delays,$num,$num,$2\$" "$1" &&
		[ "$(wc -l < "$1")" = 3 ]
}

# check_exit_counts CSV [PV-EOI-SKIP-REASON]: with a reason, the PV EOI
# saving is not demanded (the host does not deliver PV EOI).
check_exit_counts() {
	local csv=$1 mst=0 fig t_on t_off i_on i_off
	last=""
	fig=$("$HERE/measure-exits.sh" --keep "$work/exits" "$csv" 2>"$work/measure.err") || mst=$?
	ok "$mst" "hoststat boots with and without PV EOI and NOP io_delay complete (status $mst)"
	[ "$mst" = 0 ] || sed 's/^/# /' "$work/measure.err"
	echo "$fig" | sed 's/^/# exits per 1000 (with pv op, without): /'
	counters_complete "$work/exits"; ok $? "KVM's counters came back for every window"
	t_on=$(awk '$1 == "timer" { print $2 }' <<< "$fig"); t_off=$(awk '$1 == "timer" { print $3 }' <<< "$fig")
	i_on=$(awk '$1 == "io" { print $2 }' <<< "$fig"); i_off=$(awk '$1 == "io" { print $3 }' <<< "$fig")
	if [ -n "${2:-}" ]; then
		skip "PV EOI saving not demanded: $2"
	else
		awk -v a="${t_on:-x}" -v b="${t_off:-x}" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && b > 0 && a < b) }'
		ok $? "PV EOI: fewer exits per 1000 timer interrupts (${t_on:-none}) than without (${t_off:-none})"
	fi
	awk -v a="${i_on:-x}" -v b="${i_off:-x}" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && b >= 900 && a < 100) }'
	ok $? "NOP io_delay: ~no exits per 1000 io_delay calls (${i_on:-none}) vs ~one each without (${i_off:-none})"
	csv_ok "$csv" "$KVM_MODE"; ok $? "figures written to ${csv#"$REPO"/}, mode $KVM_MODE"
}

skip_exit_counts() {	# skip_exit_counts REASON: the 5 checks above, skipped
	for _ in 1 2 3 4 5; do skip "exit counts: $1"; done
}
