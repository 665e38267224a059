#!/bin/bash
# Several CPUs natively (QEMU TCG): pvos starts every CPU the MADT lists,
# or as many as cpus= allows, or one when there is no MADT; the SMP
# self-tests (every CPU answers, a shared lock loses no increment, a TLB
# shootdown reaches idle CPUs, a live re-patch while the others run patched
# code) pass on 2 and 4 CPUs, with lockdebug too; and lockdebug catches each
# misuse of a lock with a panic naming the lock and the CPUs.
. "$(dirname "$0")/lib.sh"
plan 20
ELF=$ROOT/build/pvos.elf

# smp_boot N ARGS WANT-UP: boot with N CPUs; check the CPUs that came up and selftest.
smp_boot() {
	local n=$1 args=$2 want=$3 log=$TMP/smp-$1-${2// /_}.log st
	st=$(QEMU_SMP=$n boot_elf "$ELF" "selftest $args" "$log")
	ok $((st != 1)) "-smp $n $args: selftest passes (exit $st)"
	has "^smp: $want CPUs? up, on the native backend" "$log"; ok $? "-smp $n $args: $want up"
	if [ "$want" -gt 1 ]; then
		! has '^ok [0-9]+ - smp: .*# SKIP' "$log"; ok $? "-smp $n $args: the smp self-tests ran"
	else
		[ "$(grep -acE '^ok [0-9]+ - smp: .*# SKIP one CPU' "$log")" -ge 4 ]
		ok $? "-smp $n $args: the smp self-tests skip, saying why"
	fi
	diag_log "$log"
}
smp_boot 1 "" 1
smp_boot 2 "" 2
smp_boot 4 "" 4
smp_boot 4 "cpus=1" 1
smp_boot 4 "lockdebug" 4

# No ACPI tables at all: one CPU, said so.
log=$TMP/noacpi.log
st=$(QEMU_MACHINE=pc,acpi=off QEMU_SMP=2 boot_elf "$ELF" "selftest" "$log")
has '^smp: no MADT in the ACPI tables: running one CPU$' "$log" && [ "$st" = 1 ]
ok $? "no MADT: one CPU, said so, selftest passes (exit $st)"

# lockdebug: each misuse is a panic naming the lock and the CPUs; exit 3.
crash() {	# crash KIND EXPECTED-PANIC
	local log=$TMP/lock-$1.log st
	st=$(QEMU_SMP=2 boot_elf "$ELF" "lockdebug crash=$1" "$log")
	has "PANIC: lockdebug: $2" "$log" && [ "$st" = 3 ]
	ok $? "lockdebug crash=$1: '$2', exit 3 (got $st)"
	diag_log "$log"
}
crash lock-recursion 'CPU 0 takes crash test lock \(0x[0-9a-f]+\), which it already holds'
crash lock-owner 'CPU 1 releases crash test lock \(0x[0-9a-f]+\), but CPU 0 holds it'
crash lock-held 'CPU 0 waited 2000 ms for crash test lock \(0x[0-9a-f]+\), held by CPU 1 all that time'
# Without lockdebug the recursion is a silent deadlock: lockdebug is what names it.
log=$TMP/lock-nodebug.log
BOOT_TIMEOUT=10 QEMU_SMP=2 boot_elf "$ELF" "crash=lock-recursion" "$log" >/dev/null
! has 'PANIC: lockdebug' "$log"; ok $? "without lockdebug no lock op is checked"
