#!/bin/bash
# Machines pvos cannot run on: it says why, in words, and exits failing
# (QEMU status 3 through isa-debug-exit) instead of hanging or dying later
# of something else.  A CPU without NX (long mode and NX are checked in
# 32-bit code, boot/head32.S, before paging); a CPU without a local APIC
# (CPUID leaf 1, checked before the APIC is touched, arch/x86/apic.c).
. "$(dirname "$0")/lib.sh"
ELF=$ROOT/build/pvos.elf
plan 4

# boot_cpu MODEL LOG: pvos under -cpu MODEL; echoes QEMU's exit status.
boot_cpu() {
	local st=0
	timeout "$BOOT_TIMEOUT" "$QEMU" -machine pc -cpu "$1" -m 256 -display none -no-reboot \
		-kernel "$ELF" -append selftest -serial "file:$2" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1 || st=$?
	echo "$st"
}

st=$(boot_cpu qemu64,-nx "$TMP/nx.log")
grep -aq "this CPU lacks long mode or NX" "$TMP/nx.log"
ok $? "-cpu qemu64,-nx: pvos says the CPU lacks long mode or NX"
[ "$st" = 3 ]; ok $? "-cpu qemu64,-nx: QEMU exit status 3 (pvos failed), not a hang (status $st)"

st=$(boot_cpu max,-apic "$TMP/apic.log")
grep -aq "this CPU has no local APIC" "$TMP/apic.log"
ok $? "-cpu max,-apic: pvos names the missing local APIC"
[ "$st" = 3 ]; ok $? "-cpu max,-apic: QEMU exit status 3 (pvos failed) (status $st)"
diag_log "$TMP/apic.log" 10
