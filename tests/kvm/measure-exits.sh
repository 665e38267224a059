#!/usr/bin/env bash
# measure-exits.sh CSV: what pvos's paravirtual KVM ops save, counted by KVM
# itself.  Boots pvos twice under real KVM (nested here) with `hoststat`:
# once with every feature, once with -kvm-pv-eoi,-kvm-nopiodelay, and turns
# KVM's exit counters into exits per 1,000 timer interrupts and per 1,000
# io_delay calls (exits.sh).  Writes CSV and prints
#
#   timer <with pv ops> <without>
#   io    <with pv ops> <without>
#
# Exit 77 with "SKIP <reason>" if nested KVM cannot run here.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
csv=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/pvos-exits.XXXXXX")
trap 'rm -rf "$work"' EXIT

boot() {	# boot NAME CPU-FLAGS (a failure of the nested setup itself is tried twice)
	local st try
	for try in 1 2; do
		st=0
		"$HERE/run-nested.sh" --timeout 240 --cpu-flags "$2" --stats "$work/$1.stats" \
			"$REPO/build/pvos.elf" "hoststat" >"$work/$1.log" 2>"$work/$1.err" || st=$?
		[ "$st" = 124 ] || [ "$st" = 125 ] || break
		echo "measure-exits: $1: nested run ended with $st (try $try)" >&2
	done
	if [ "$st" = 77 ]; then grep -m1 SKIP "$work/$1.err" || echo "SKIP nested KVM unavailable"; exit 77; fi
	[ "$st" = 1 ] || { echo "measure-exits: $1 boot ended with $st" >&2; tail -5 "$work/$1.err" >&2; exit 1; }
	"$HERE/exits.sh" "$work/$1.stats" "$work/$1.log"
}

on=$(boot on "")
off=$(boot off ",-kvm-pv-eoi,-kvm-nopiodelay")
field() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
{
	echo "measure,with_pv,without_pv"
	echo "exits_per_1000_timer_interrupts,$(field "$on" timer),$(field "$off" timer)"
	echo "exits_per_1000_io_delays,$(field "$on" io),$(field "$off" io)"
} >"$csv"
echo "timer $(field "$on" timer) $(field "$off" timer)"
echo "io $(field "$on" io) $(field "$off" io)"
