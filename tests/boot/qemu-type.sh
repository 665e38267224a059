#!/bin/bash
# qemu-type.sh TIMEOUT LOG REGEX INPUT QEMU-ARGS...: boot QEMU with its
# serial line on a pair of FIFOs, keep what the guest prints in LOG, and
# once a line matches REGEX (grep -E), type INPUT (printf %b: '\r' is
# Enter, '\x7f' backspace) as a person at a terminal would.  Exits with
# QEMU's status (124 past TIMEOUT seconds); the boot tests use it to prove
# that console input reaches pvos.
set -u
timeout_s=$1 log=$2 regex=$3 input=$4
shift 4
dir=$(mktemp -d /tmp/pvos-type.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/serial.in" "$dir/serial.out"
timeout "$timeout_s" "${QEMU:-qemu-system-x86_64}" "$@" -serial "pipe:$dir/serial" \
	</dev/null >"$log.qemu" 2>&1 &
qpid=$!
exec 3<>"$dir/serial.in"	# read-write: opening cannot block before QEMU does
cat "$dir/serial.out" >"$log" &
for _ in $(seq 1 $((timeout_s * 5))); do
	grep -aqE -- "$regex" "$log" 2>/dev/null && break
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.2
done
if grep -aqE -- "$regex" "$log"; then
	printf '%b' "$input" >&3
else
	echo "qemu-type.sh: '$regex' never appeared; nothing typed" >>"$log.qemu"
fi
st=0
wait "$qpid" || st=$?
exec 3>&-
wait
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
exit "$st"
