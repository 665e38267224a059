# Shared helpers for the boot tests (sourced by tests/boot/*.t).
#
# Each test boots pvos in QEMU (TCG: QEMU's default accelerator), with the
# serial console in a log file and isa-debug-exit wired up, under a
# wall-clock timeout, and judges by the log and QEMU's exit status:
# 1 = pvos passed, 3 = pvos failed, 124 = timeout.  Output is TAP.  A
# skip goes into make test's record too (record_skip), so that it shows in
# the summary at the end of `make test`, not only in prove's scroll.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
TMP=$(mktemp -d /tmp/pvos-boot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
tap_n=0
tap_failed=0

plan() { echo "1..$1"; }

# record_skip KIND REASON [CLAIM]: see tools/test-skips.sh (setup: a package
# or file could not be had; hardware: the machine lacks it, CLAIM says what).
record_skip() {
	"$ROOT/tools/test-skips.sh" record "tests/boot/$(basename "$0")" "$@"
}

# skip_test REASON: one "ok N # SKIP" line for a setup the machine could have.
skip_test() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
	record_skip setup "test $tap_n: $1"
}

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=1
	fi
}

# Show the end of a log as TAP diagnostics when something failed.
diag_log() {
	[ "$tap_failed" = 0 ] && return 0
	echo "# --- last lines of $1 ---"
	tail -n "${2:-25}" "$1" | sed 's/^/# /'
}

# boot_elf ELF "cmdline" LOG: boot through PVH (qemu -kernel); echo the exit status.
# QEMU_SMP=N (default 1) gives the machine N CPUs; QEMU_MACHINE replaces "pc".
boot_elf() {
	local st=0
	timeout "$BOOT_TIMEOUT" "$QEMU" -machine "${QEMU_MACHINE:-pc}" -smp "${QEMU_SMP:-1}" -m 256 \
		-display none -no-reboot \
		-kernel "$1" -append "$2" -serial "file:$3" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$3.qemu" 2>&1 || st=$?
	tr -d '\r' <"$3" >"$3.clean" && mv "$3.clean" "$3"
	echo "$st"
}

# boot_until_idle IMAGE-ARGS... : boot, stop QEMU once pvos says boot is complete.
# Usage: boot_until_idle LOG qemu-args...; echoes 0 if the line was seen.
boot_until_idle() {
	local log=$1 pid seen=1
	shift
	"$QEMU" -machine pc -m 256 -display none -no-reboot -serial "file:$log" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 "$@" </dev/null >"$log.qemu" 2>&1 &
	pid=$!
	for _ in $(seq 1 $((BOOT_TIMEOUT * 5))); do
		if grep -aq "boot complete" "$log" 2>/dev/null; then seen=0; break; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
	echo "$seen"
}

has() { grep -aqE "$1" "$2"; }

# All TAP lines of an in-kernel selftest run are "ok", and there are as many as planned.
selftest_all_ok() {
	local log=$1 planned oks
	planned=$(grep -aoE '^1\.\.[0-9]+' "$log" | head -n1 | cut -d. -f3)
	oks=$(grep -acE '^ok [0-9]+ ' "$log")
	[ -n "$planned" ] && [ "$planned" -gt 0 ] && [ "$oks" = "$planned" ] &&
		! grep -aqE '^not ok' "$log"
}
