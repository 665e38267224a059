#!/usr/bin/env bash
# exits.sh STATS LOG: turn the KVM counters a `hoststat` run carried out
# (run-nested.sh --stats) into per-event figures, judged by the hypervisor:
#
#   timer <exits per 1000 timer interrupts> <ticks>
#   io    <exits per 1000 io_delay calls>   <calls>
#
# Each window's counter difference has the cost of one snapshot handshake
# taken off.  Two back-to-back pairs measure it, "cal" first and "cal2"
# last; the cheaper is the cost (the first handshake of a run was seen to
# cost a guest tick or two more than the others), and their difference is
# how much a handshake's cost varies.  A snapshot prints "hoststat:
# snapshot <label>", and every character pvos prints on COM1 costs KVM two
# I/O exits (an LSR read, a THR write), so a window whose end label is
# longer or shorter than the pair's gets two exits per character more or
# less taken off.
#
# The figures are only as good as the counters: a missing snapshot, a
# missing, empty, non-numeric or `unavailable` exits or io_exits counter, or
# a counter that went down is an error naming the label and counter: exit 1,
# no figure.  A window that costs less than a handshake, by no more than the
# two pairs differ, is within the handshake's own noise: 0.0.  One that
# costs less by more would be a negative figure: exit 3, no figure, and
# measure-exits.sh repeats such a boot; it never prints it.
set -euo pipefail

die() { echo "exits.sh: $*" >&2; exit 1; }
below_cal() { echo "exits.sh: $*" >&2; exit 3; }
(( $# == 2 )) || die "usage: exits.sh STATS LOG"
stats=$1 log=$2
[[ -r $stats ]] || die "cannot read the stats file $stats"
[[ -r $log ]] || die "cannot read the guest log $log"

declare -A counter=() seen=()

# "<label> name=value ..." lines, one per snapshot, into counter["label name"].
read_stats() {
	local label fields kv
	set -f
	while read -r label fields; do
		[[ -n $label ]] || continue
		[[ -z ${seen[$label]:-} ]] || die "$stats: snapshot '$label' appears twice"
		seen[$label]=1
		for kv in $fields; do counter["$label ${kv%%=*}"]=${kv#*=}; done
	done < "$stats"
	set +f
}

get() {	# get LABEL NAME: the counter's value in REPLY, or die saying what is wrong
	local where="$stats: snapshot '$1', counter '$2'"
	[[ -n ${seen[$1]:-} ]] || die "$where: no such snapshot"
	[[ -z ${counter["$1 unavailable"]+set} ]] ||
		die "$where: KVM's counters were unavailable for this snapshot (unavailable=${counter["$1 unavailable"]})"
	[[ -n ${counter["$1 $2"]+set} ]] || die "$where: missing"
	REPLY=${counter["$1 $2"]}
	[[ $REPLY =~ ^[0-9]{1,18}$ ]] || die "$where: not a number: '$REPLY'"
	REPLY=$((10#$REPLY))
}

delta() {	# delta WINDOW NAME: counter difference end - start in REPLY
	local start
	get "$1-start" "$2"; start=$REPLY
	get "$1-end" "$2"
	(( REPLY >= start )) || die "$stats: counter '$2' went down from $1-start ($start) to $1-end ($REPLY)"
	REPLY=$((REPLY - start))
}

handshake() {	# handshake PAIR WINDOW NAME: the pair's cost, for WINDOW's end label, in REPLY
	delta "$1" "$3"
	REPLY=$(( REPLY + 2 * (${#2} - ${#1}) ))	# "<window>-end" vs "<pair>-end"
}

per_1000() {	# per_1000 WINDOW NAME EVENTS: "X.Y" in REPLY
	local window=$1 name=$2 events=$3 d c1 c2 cost spread tenths
	handshake cal "$window" "$name"; c1=$REPLY
	handshake cal2 "$window" "$name"; c2=$REPLY
	cost=$(( c1 < c2 ? c1 : c2 )) spread=$(( c1 > c2 ? c1 - c2 : c2 - c1 ))
	delta "$window" "$name"; d=$REPLY
	(( d >= cost - spread )) ||
		below_cal "$stats: window '$window', counter '$name': $d over the window, less than one snapshot's cost ($cost, from the cal and cal2 pairs: $c1 and $c2) by more than they differ: a negative figure is not a measurement"
	(( d >= cost )) || d=$cost	# within the handshake's noise: nothing measured
	tenths=$(( ((d - cost) * 20000 + events) / (2 * events) ))	# rounded
	printf -v REPLY '%d.%d' $((tenths / 10)) $((tenths % 10))
}

events() {	# events 'REGEX with one ([0-9]+)' WHAT: the count the guest printed, in REPLY
	local line found=''
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		if [[ $line =~ $1 ]]; then
			[[ -z $found ]] || die "$log: more than one '$2' line"
			found=${BASH_REMATCH[1]}
		fi
	done < "$log"
	[[ -n $found ]] || die "$log: no '$2' line (did pvos run with hoststat?)"
	(( 10#$found > 0 )) || die "$log: '$2' says 0 events"
	REPLY=$((10#$found))
}

# Every snapshot must carry both counters the figures and their readers use.
check_all() {
	local label name
	for label in cal-start cal-end timer-start timer-end io-start io-end cal2-start cal2-end; do
		for name in exits io_exits; do get "$label" "$name"; done
	done
}

main() {
	local ticks calls timer io
	read_stats
	check_all
	events '^hoststat: timer-window ticks=([0-9]{1,9})$' 'hoststat: timer-window ticks=N'; ticks=$REPLY
	events '^hoststat: io-window io_delays=([0-9]{1,9})$' 'hoststat: io-window io_delays=N'; calls=$REPLY
	per_1000 timer exits "$ticks"; timer=$REPLY
	per_1000 io exits "$calls"; io=$REPLY
	echo "timer $timer $ticks"
	echo "io $io $calls"
}

main
