#!/usr/bin/env bash
# exits.sh STATS LOG: turn the KVM counters a `hoststat` run carried out
# (run-nested.sh --stats) into per-event figures, judged by the hypervisor:
#
#   timer <exits per 1000 timer interrupts> <io_exits ...> <ticks>
#   io    <exits per 1000 io_delay calls>   <io_exits ...> <calls>
#
# Each window's counter difference has the cost of one snapshot handshake
# (measured by the back-to-back "cal" pair) taken off.
set -euo pipefail
stats=$1 log=$2

value() {	# value LABEL STAT
	awk -v l="$1" -v s="$2" '$1 == l { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == s) print kv[2] } }' "$stats"
}

per_1000() {	# per_1000 WINDOW STAT EVENTS
	local d cal
	d=$(( $(value "$1-end" "$2") - $(value "$1-start" "$2") ))
	cal=$(( $(value cal-end "$2") - $(value cal-start "$2") ))
	awk -v d="$d" -v c="$cal" -v n="$3" 'BEGIN { v = (d - c) * 1000 / n; if (v < 0) v = 0; printf "%.1f", v }'
}

ticks=$(grep -aoE 'hoststat: timer-window ticks=[0-9]+' "$log" | grep -oE '[0-9]+$')
calls=$(grep -aoE 'hoststat: io-window io_delays=[0-9]+' "$log" | grep -oE '[0-9]+$')
[ -n "$ticks" ] && [ -n "$calls" ] || { echo "exits.sh: no hoststat windows in $log" >&2; exit 1; }
echo "timer $(per_1000 timer exits "$ticks") $(per_1000 timer io_exits "$ticks") $ticks"
echo "io $(per_1000 io exits "$calls") $(per_1000 io io_exits "$calls") $calls"
