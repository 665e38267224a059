#!/bin/bash
# A provoked exception prints a readable dump (name, error code, CR2,
# registers, a backtrace with symbol names) and exits failing (QEMU 3).
. "$(dirname "$0")/lib.sh"
plan 14
check() {	# check crash-kind expected-exception-text expected-symbol
	local log=$TMP/crash-$1.log st
	st=$(boot_elf "$ROOT/build/pvos.elf" "crash=$1" "$log")
	ok $((st != 3)) "crash=$1: QEMU exit status 3 (fail), got $st"
	has "$2" "$log"; ok $? "crash=$1: dump names '$2'"
	has "^ +[0-9a-f]{16} <$3\+0x[0-9a-f]+>" "$log"; ok $? "crash=$1: backtrace names $3"
	diag_log "$log"
}
check pf '\*\*\* pvos: CPU exception 14: #PF page fault, error code 0x2 \(not present, write, kernel\)' crash_null_write
has '^  CR2 0000000000000008$' "$TMP/crash-pf.log"; ok $? "crash=pf: CR2 is the faulting address"
check ud 'CPU exception 6: #UD invalid opcode' crash_invalid_opcode
check gp 'CPU exception 13: #GP general protection' crash_noncanonical
check text 'CPU exception 14: #PF page fault, error code 0x3 \(protection violation, write, kernel\)' crash_text_write
log=$TMP/crash-panic.log
st=$(boot_elf "$ROOT/build/pvos.elf" "crash=panic" "$log")
has 'pvos: PANIC: crash=panic asked for a panic' "$log" && [ "$st" = 3 ]
ok $? "crash=panic: panic message and exit 3 (got $st)"
