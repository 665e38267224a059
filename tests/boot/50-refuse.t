#!/bin/bash
# Corrupt site entries (test option pvops.corrupt: one outside text, one too
# short, one with an unknown op) are named and refused, left as the indirect
# call that is always safe, and the kernel still passes selftest.  The same
# option damages three link-time call entries (outside text, an unknown
# kind, another op than the trampoline it calls): refused and left alone.
. "$(dirname "$0")/lib.sh"
plan 6
log=$TMP/corrupt.log
st=$(boot_elf "$ROOT/build/pvos.elf" "selftest pvops.corrupt" "$log")
ok $((st != 1)) "QEMU exit status 1 (pass), got $st"
has '^pvops: refused site entry #[0-9]+ .*: address outside kernel text$' "$log"; ok $? "outside-text entry refused"
has '^pvops: refused site entry #[0-9]+ .*len 2\): shorter than the indirect call' "$log"; ok $? "short entry refused"
has '^pvops: refused site entry #[0-9]+ \(addr [0-9a-f]+, op 999, .*unknown op$' "$log"; ok $? "unknown-op entry refused"
has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 3 refused$' "$log" && selftest_all_ok "$log"
ok $? "3 refused in the count, every selftest ok"
has '^pvops: refused link-time call #[0-9]+ .*: address outside kernel text$' "$log" &&
	has '^pvops: refused link-time call #[0-9]+ .*kind 7\): unknown kind$' "$log" &&
	has "^pvops: refused link-time call #[0-9]+ .*: rel32 does not reach its op's trampoline\$" "$log" &&
	has '^pvops: [0-9]+ link-time calls: [0-9]+ direct, [0-9]+ nop, 0 left indirect, 3 refused$' "$log"
ok $? "link-time call entries: outside text, unknown kind, another op's trampoline: 3 refused"
diag_log "$log"
