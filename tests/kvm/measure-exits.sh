#!/usr/bin/env bash
# measure-exits.sh [--keep DIR] CSV: what pvos's paravirtual KVM ops save,
# counted by KVM itself.  Boots pvos twice under real KVM (run-nested.sh
# chooses the mode: direct on hardware KVM, else nested; PVOS_KVM_MODE
# forces one) with `hoststat`: once with every feature, once with
# -kvm-pv-eoi,-kvm-nopiodelay.  exits.sh turns KVM's exit counters into exits
# per 1,000 timer interrupts and per 1,000 io_delay calls.  Prints
#
#   timer <with pv ops> <without>
#   io    <with pv ops> <without>
#
# and writes CSV (the names are read by tools/bench.sh and the docs check):
#
#   measure,with_pv,without_pv,mode
#   exits_per_1000_timer_interrupts,<float>,<float>,<nested|direct>
#   exits_per_1000_io_delays,<float>,<float>,<nested|direct>
#
# CSV is written only from real counter windows: it is removed first, and
# appears (moved into place at the end) only if both boots passed and every
# counter was there.  A boot whose window came out cheaper than the
# calibration pairs by more than they differ (a negative figure) is
# repeated, up to 3 boots; its numbers are never used.  Direct mode on a software KVM (kvm_pvm) is refused: its
# counters are not hardware VM exits.  --keep DIR keeps each boot's stats,
# guest log and harness messages there (on.stats, on.log, on.err, off.*).
# Exit 0 with figures; 1 with a message; 77 with "SKIP <reason>" on stdout
# when KVM cannot run here (a package or the kernel download missing).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

die() { echo "measure-exits: $*" >&2; exit 1; }

keep=''
if [[ ${1:-} == --keep ]]; then keep=${2:?--keep needs a directory}; shift 2; fi
(( $# == 1 )) || die "usage: measure-exits.sh [--keep DIR] CSV"
csv=$1
rm -f "$csv"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-exits.XXXXXX")
trap 'rm -rf "$work" "$csv.tmp"' EXIT
if [[ -n $keep ]]; then rm -rf "$keep"; mkdir -p "$keep"; else keep=$work; fi

mode=''

# The mode run-nested.sh says it ran in ("run-nested: mode nested: why").
boot_mode() {
	local line
	line=$(grep -m1 '^run-nested: mode ' "$keep/$1.err") || die "$1: run-nested.sh did not say its mode"
	line=${line#run-nested: mode }
	line=${line%%:*}
	[[ $line == nested || $line == direct ]] || die "$1: unknown mode '$line'"
	if [[ -n $mode && $mode != "$line" ]]; then die "the two boots ran in different modes ($mode, $line)"; fi
	mode=$line
}

# A software KVM's counters count its own work, not hardware VM exits.
refuse_software_kvm() {
	local kind module why
	read -r kind module why < <("$HERE/host-kvm.sh")
	[[ $kind != software ]] ||
		die "mode direct under $module ($why): its counters are not hardware VM exits; no figures"
}

run_boot() {	# run_boot NAME CPU-FLAGS: one hoststat boot (a harness failure is tried twice)
	local st try
	for try in 1 2; do
		st=0
		"$HERE/run-nested.sh" --timeout 240 --cpu-flags "$2" --stats "$keep/$1.stats" \
			"$REPO/build/pvos.elf" "hoststat" >"$keep/$1.log" 2>"$keep/$1.err" || st=$?
		[[ $st == 124 || $st == 125 ]] || break
		echo "measure-exits: $1: KVM run ended with $st (try $try)" >&2
	done
	if [[ $st == 77 ]]; then
		grep -ah '^SKIP' "$keep/$1.log" "$keep/$1.err" | head -n 1 | grep . || echo "SKIP KVM harness unavailable"
		exit 77
	fi
	[[ $st == 1 ]] || { tail -n 5 "$keep/$1.err" >&2; die "$1: the hoststat boot ended with $st, not 1 (pass)"; }
}

# boot NAME CPU-FLAGS: figures in $keep/NAME.fig.  exits.sh's status 3 (a
# window below the calibration pairs by more than they differ) is never a
# figure; such a boot is
# discarded and repeated, at most 3 boots in all.  Bad counters (1) end it.
boot() {
	local try st
	for try in 1 2 3; do
		run_boot "$1" "$2"
		boot_mode "$1"
		[[ $mode == nested ]] || refuse_software_kvm
		st=0
		"$HERE/exits.sh" "$keep/$1.stats" "$keep/$1.log" > "$keep/$1.fig" || st=$?
		(( st == 0 )) && return 0
		(( st == 3 )) || die "$1: no figures from KVM's counters (above)"
		echo "measure-exits: $1: boot $try of 3 discarded (a window below the calibration pair)" >&2
	done
	die "$1: every window measurement came out below the calibration pair, 3 boots in a row"
}

figure() {	# figure NAME WHICH: exits per 1000 events of window WHICH, in REPLY
	local which value rest
	REPLY=''
	while read -r which value rest; do
		[[ $which == "$2" ]] && REPLY=$value
	done < "$keep/$1.fig"
	[[ $REPLY =~ ^[0-9]+\.[0-9]$ ]] || die "$1: exits.sh gave no '$2' figure"
}

main() {
	local t_on t_off i_on i_off
	boot on ""
	boot off ",-kvm-pv-eoi,-kvm-nopiodelay"
	figure on timer; t_on=$REPLY
	figure off timer; t_off=$REPLY
	figure on io; i_on=$REPLY
	figure off io; i_off=$REPLY
	{
		echo "measure,with_pv,without_pv,mode"
		echo "exits_per_1000_timer_interrupts,$t_on,$t_off,$mode"
		echo "exits_per_1000_io_delays,$i_on,$i_off,$mode"
	} > "$csv.tmp"
	mv "$csv.tmp" "$csv"
	echo "measure-exits: counted by KVM in mode $mode; figures in $csv" >&2
	echo "timer $t_on $t_off"
	echo "io $i_on $i_off"
}

main
