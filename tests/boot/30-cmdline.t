#!/bin/bash
# A bad command line warns, naming what is accepted, and boot goes on.
. "$(dirname "$0")/lib.sh"
plan 7
log=$TMP/cmdline.log
seen=$(boot_until_idle "$log" -kernel "$ROOT/build/pvos.elf" \
	-append "frobnicate pvops=sideways selftest=yes pvops")
ok "$seen" "boot completes despite a bad command line"
has "cmdline: warning: unknown option 'frobnicate'; known: .*pvops=<backend>\|auto\|off" "$log"
ok $? "unknown option named, with the known ones"
# pvos=<backend> is checked against the backends built in (pvops/select.c), by name.
has "cmdline: warning: bad value 'sideways' for 'pvops'; use: .*native.*xen \(or xen-pv\).*, auto or off" "$log"
ok $? "bad value named, with the backends and words accepted"
has "cmdline: warning: option 'selftest' takes no value" "$log"; ok $? "flag given a value"
has "cmdline: warning: option 'pvops' needs a value" "$log"; ok $? "choice given no value"
diag_log "$log"

# 600 characters: more than pvos keeps.  It says so, and the words that fit still count.
log=$TMP/long.log
st=$(boot_elf "$ROOT/build/pvos.elf" "selftest $(printf 'x%.0s' $(seq 600))" "$log")
has '^boot: warning: the command line is longer than 511 characters; the rest is ignored$' "$log"
ok $? "an overlong command line is reported"
[ "$st" = 1 ] && selftest_all_ok "$log"; ok $? "and boot goes on: selftest ran and passed (exit $st)"
diag_log "$log"
