#!/usr/bin/env bash
# exits.t - TAP test (run by prove) that tests/kvm/exits.sh, which turns KVM's
# counters into the published exit counts, can fail: a stats file with a
# missing counter, an `unavailable` snapshot, a non-numeric or empty value, a
# missing snapshot, a counter that goes down, a window cheaper than the
# calibration pair, or a log without the hoststat windows must each end with
# a non-zero status and a message naming what is wrong, and print no figure.
# A good file must give the figures worked out by hand below.  Also checks
# measure-exits.sh's contract without KVM: it refuses bad arguments and
# leaves no stale CSV behind when it cannot measure.  No KVM needed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
EXITS=$REPO/tests/kvm/exits.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/exits-t.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0 failed=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# A good hoststat run.  Snapshot cost: 70 exits (cal), 66 (cal2), the
# cheaper counts.  Each pair is corrected by two exits per character that
# the window's end label is longer than the pair's ("cal-end" 7, "cal2-end"
# 8, "timer-end" 9, "io-end" 6):
#   timer: (6138-5552) - min(70+4, 66+2) = 586-68 = 518 over 500 ticks -> 1036.0
#   io:    (7366-6281) - min(70-2, 66-4) = 1085-62 = 1023 over 1000 calls -> 1023.0
# and the pairs differ by 6: a window at most 6 below the cost is 0.0.
cat > "$work/good.stats" <<'EOF'
cal-start exits=5404 halt_exits=2 io_exits=4501
cal-end exits=5474 halt_exits=6 io_exits=4566
timer-start exits=5552 halt_exits=10 io_exits=4640
timer-end exits=6138 halt_exits=512 io_exits=4709
io-start exits=6281 halt_exits=515 io_exits=4848
io-end exits=7366 halt_exits=519 io_exits=5913
cal2-start exits=7400 halt_exits=520 io_exits=5940
cal2-end exits=7466 halt_exits=522 io_exits=6001
EOF
cat > "$work/good.log" <<'EOF'
hoststat: snapshot cal-start
hoststat: snapshot timer-end
hoststat: timer-window ticks=500
hoststat: io-window io_delays=1000
pvos: exit status 0 (pass)
EOF

# [WANT=STATUS] bad NAME DESCRIPTION MESSAGE-REGEX SED-SCRIPT [LOG-SED-SCRIPT]:
# a copy of the good files edited by sed must make exits.sh fail with STATUS
# (1: bad input; 3: a window below the calibration pair), say MESSAGE, and
# print no figure.
bad() {
	local st=0
	sed "$4" "$work/good.stats" > "$work/$1.stats"
	sed "${5:-}" "$work/good.log" > "$work/$1.log"
	"$EXITS" "$work/$1.stats" "$work/$1.log" > "$work/$1.out" 2> "$work/$1.err" || st=$?
	[ "$st" = "${WANT:-1}" ] && [ ! -s "$work/$1.out" ] && grep -qE "$3" "$work/$1.err"
	ok $? "$2: exit $st, no figure, says: $(head -n 1 "$work/$1.err")"
}

echo "1..22"

st=0
"$EXITS" "$work/good.stats" "$work/good.log" > "$work/good.out" 2> "$work/good.err" || st=$?
ok "$st" "a good stats file: exit 0"
printf 'timer 1036.0 500\nio 1023.0 1000\n' | diff - "$work/good.out" >&2
ok $? "a good stats file gives the figures worked out by hand ($(tr '\n' ' ' < "$work/good.out"))"
# A window that costs exactly one snapshot (io: 6343-6281 = 62) is 0.0.
sed 's/^io-end exits=7366/io-end exits=6343/' "$work/good.stats" > "$work/zero.stats"
"$EXITS" "$work/zero.stats" "$work/good.log" 2>&1 | grep -qx 'io 0.0 1000'
ok $? "a window that costs exactly the calibration pair gives 0.0, not an error"
# 56 = 62 - 6: below the cost by as much as the two pairs differ, no more.
sed 's/^io-end exits=7366/io-end exits=6337/' "$work/good.stats" > "$work/noise.stats"
"$EXITS" "$work/noise.stats" "$work/good.log" 2>&1 | grep -qx 'io 0.0 1000'
ok $? "a window below the cost by no more than the pairs differ is noise: 0.0"
# Without cal2 there is no figure.
sed '/^cal2-end/d' "$work/good.stats" > "$work/nocal2.stats"
st=0; "$EXITS" "$work/nocal2.stats" "$work/good.log" > "$work/nocal2.out" 2>&1 || st=$?
[ "$st" = 1 ] && grep -q "snapshot 'cal2-end', counter 'exits': no such snapshot" "$work/nocal2.out"
ok $? "no cal2 pair: exit $st, says so"

bad missing   "a missing counter" "snapshot 'timer-end', counter 'exits': missing" \
	'/^timer-end/s/ exits=6138//'
bad noio      "a missing io_exits counter" "snapshot 'timer-end', counter 'io_exits': missing" \
	'/^timer-end/s/ io_exits=4709//'
bad unavail   "an unavailable=1 snapshot" "snapshot 'io-start', counter 'exits': KVM's counters were unavailable" \
	's/^io-start .*/io-start unavailable=1/'
bad nonnum    "a non-numeric value" "snapshot 'cal-end', counter 'io_exits': not a number: '45x6'" \
	's/io_exits=4566/io_exits=45x6/'
bad empty     "an empty value" "snapshot 'cal-start', counter 'exits': not a number: ''" \
	's/^cal-start exits=5404/cal-start exits=/'
bad negative  "a negative value" "counter 'exits': not a number: '-5'" \
	's/^io-end exits=7366/io-end exits=-5/'
bad nolabel   "a missing snapshot" "snapshot 'io-end', counter 'exits': no such snapshot" \
	'/^io-end/d'
bad twice     "a snapshot twice" "snapshot 'timer-start' appears twice" \
	'/^timer-start/p'
bad down      "a counter that goes down" "counter 'exits' went down from timer-start \(5552\) to timer-end \(5000\)" \
	's/^timer-end exits=6138/timer-end exits=5000/'
WANT=3 bad belowcal "a window below the calibration pairs by more than they differ" \
	"window 'io', counter 'exits': 55 over the window, less than one snapshot's cost \(62, from the cal and cal2 pairs: 68 and 62\) by more than they differ" \
	's/^io-end exits=7366/io-end exits=6336/'
bad calneg    "a calibration pair that goes down" "counter 'exits' went down from cal-start" \
	's/^cal-end exits=5474/cal-end exits=5000/'
bad empty-file "an empty stats file" "snapshot 'cal-start', counter 'exits': no such snapshot" \
	'd'
bad noticks   "a log without the timer window line" "no 'hoststat: timer-window ticks=N' line" \
	'' '/timer-window/d'
bad zeroticks "a timer window of 0 ticks" "'hoststat: timer-window ticks=N' says 0 events" \
	'' 's/ticks=500/ticks=0/'

st=0
"$EXITS" "$work/good.stats" "$work/no-such.log" > "$work/nolog.out" 2> "$work/nolog.err" || st=$?
[ "$st" != 0 ] && [ ! -s "$work/nolog.out" ] && grep -q 'cannot read the guest log' "$work/nolog.err"
ok $? "a missing guest log: exit $st, no figure"

# measure-exits.sh: a usage error never leaves a CSV, and a failed measurement
# removes a stale one.  A guest ELF that does not exist makes the first boot
# fail at once (run-nested.sh exits 2), before any KVM is touched.
st=0
"$REPO/tests/kvm/measure-exits.sh" > /dev/null 2> "$work/usage.err" || st=$?
[ "$st" != 0 ] && grep -q 'usage' "$work/usage.err"
ok $? "measure-exits.sh without a CSV argument: usage, exit $st"
mkdir -p "$work/repo/tests/kvm" "$work/repo/build"
cp "$REPO/tests/kvm/measure-exits.sh" "$REPO/tests/kvm/exits.sh" "$work/repo/tests/kvm/"
cp "$REPO/tests/kvm/run-nested.sh" "$REPO/tests/kvm/host-kvm.sh" "$work/repo/tests/kvm/"
echo "measure,with_pv,without_pv,mode" > "$work/stale.csv"
st=0
PVOS_KVM_MODE=nested "$work/repo/tests/kvm/measure-exits.sh" "$work/stale.csv" \
	> /dev/null 2> "$work/stale.err" || st=$?
[ "$st" = 1 ] && [ ! -e "$work/stale.csv" ] && grep -q 'ended with 2' "$work/stale.err"
ok $? "measure-exits.sh without a guest: exit $st, says why, the stale CSV is gone"
exit $((failed > 0))
