#!/usr/bin/env bash
# pvos-kvm.t - pvos under real KVM (nested in QEMU TCG here; directly where
# /dev/kvm is usable).  TAP, run by prove from `make test`.
#
#  1. `selftest` with every KVM feature: backend kvm, every site patched,
#     every self-test ok.
#  2. Feature removal: -cpu host,-kvm-pv-eoi,-kvm-steal-time,-kvm-nopiodelay,
#     then -kvmclock: each op falls back to native with its message, and
#     selftest still passes.
#  3. measure-exits.sh: `hoststat` with PV EOI and NOP io_delay on and off,
#     KVM's own exit counters per 1,000 timer interrupts and io_delay calls.
#     The figures go to build/bench-kvm.csv.
# No set -e: a failed check must print 'not ok' and go on, not end the plan early.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ELF=$REPO/build/pvos.elf
work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-kvm-t.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0
last=""
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; return; fi
	echo "not ok $n - $2"
	[ -n "$last" ] && diag "$last"
}
# On a failure, show the end of the boot's output and the harness's messages.
diag() {
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

# run NAME CPU-FLAGS CMDLINE: boots, leaves $work/NAME.log and .stats; echoes
# the status.  A failure of the nested setup itself (124 timeout, 125
# harness) is tried once more and said on stderr; pvos failing (3) is not.
run() {
	local st try
	for try in 1 2; do
		st=0
		"$HERE/run-nested.sh" --timeout 240 --cpu-flags "$2" --stats "$work/$1.stats" \
			"$ELF" "$3" >"$work/$1.log" 2>"$work/$1.err" || st=$?
		[ "$st" = 124 ] || [ "$st" = 125 ] || break
		echo "pvos-kvm.t: $1: nested run ended with $st (try $try): $(tail -n 3 "$work/$1.err" | tr '\n' ' ')" >&2
	done
	echo "$st"
}

st=$(run full "" "selftest"); last=full
if [ "$st" = 77 ]; then echo "1..0 # SKIP $(grep -m1 SKIP "$work/full.err" || echo 'nested KVM unavailable')"; exit 0; fi
echo "1..14"
log=$work/full.log
ok $((st != 1)) "all features: exit status 1 (pass), got $st"
has '^pvops: backend kvm \(auto; kvm: CPUID 0x40000[0-9a-f]+: KVMKVMKVM, features 0x[0-9a-f]+' "$log"
ok $? "backend kvm chosen from the CPUID signature"
has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log"; ok $? "0 left indirect, 0 refused"
all_ok "$log" && ! has '^ok [0-9]+ - kvm: .*# SKIP' "$log"; ok $? "every selftest ok, the kvm ones run"
grep -aE '^(pvops|kvm):|^not ok' "$log" | sed 's/^/# /'

st=$(run noopt ",-kvm-pv-eoi,-kvm-steal-time,-kvm-nopiodelay" "selftest"); last=noopt
log=$work/noopt.log
ok $((st != 1)) "-kvm-pv-eoi,-kvm-steal-time,-kvm-nopiodelay: exit 1, got $st"
has '^kvm: no PV_EOI: apic.eoi stays native' "$log" && has '^kvm: no STEAL_TIME' "$log" &&
	has '^kvm: no NOP_IO_DELAY: cpu.io_delay stays native' "$log"
ok $? "each removed feature's op falls back to native, with its message"
all_ok "$log"; ok $? "every selftest ok without them"

st=$(run noclock ",-kvmclock" "selftest"); last=noclock
log=$work/noclock.log
ok $((st != 1)) "-kvmclock: exit 1, got $st"
has '^kvm: no kvmclock \(CLOCKSOURCE2\): time.sched_clock stays native' "$log" && all_ok "$log"
ok $? "sched_clock falls back to the TSC, every selftest ok"

st=0
last=""
figures=$("$HERE/measure-exits.sh" "$REPO/build/bench-kvm.csv" 2>"$work/measure.err") || st=$?
ok "$st" "hoststat boots with and without PV EOI and NOP io_delay complete (status $st)"
[ "$st" = 0 ] || sed 's/^/# /' "$work/measure.err"
echo "$figures" | sed 's/^/# exits per 1000 (with pv op, without): /'
t_on=$(echo "$figures" | awk '$1 == "timer" { print $2 }'); t_off=$(echo "$figures" | awk '$1 == "timer" { print $3 }')
i_on=$(echo "$figures" | awk '$1 == "io" { print $2 }'); i_off=$(echo "$figures" | awk '$1 == "io" { print $3 }')
[ -n "$t_on" ] && [ -n "$t_off" ] && [ -n "$i_on" ] && [ -n "$i_off" ]
ok $? "KVM's counters came back for every window"
awk -v a="${t_on:-0}" -v b="${t_off:-0}" 'BEGIN { exit !(b > 0 && a < b) }'
ok $? "PV EOI: fewer exits per 1000 timer interrupts ($t_on) than without ($t_off)"
awk -v a="${i_on:-0}" -v b="${i_off:-0}" 'BEGIN { exit !(b >= 900 && a < 100) }'
ok $? "NOP io_delay: ~no exits per 1000 io_delay calls ($i_on) vs ~one each without ($i_off)"
[ -s "$REPO/build/bench-kvm.csv" ]; ok $? "figures written to build/bench-kvm.csv"
