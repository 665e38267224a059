#!/bin/bash
# A bad command line warns, naming what is accepted, and boot goes on.
. "$(dirname "$0")/lib.sh"
plan 5
log=$TMP/cmdline.log
seen=$(boot_until_idle "$log" -kernel "$ROOT/build/pvos.elf" \
	-append "frobnicate pvops=sideways selftest=yes pvops")
ok "$seen" "boot completes despite a bad command line"
has "cmdline: warning: unknown option 'frobnicate'; known: .*pvops=auto\|native\|xen\|kvm\|off" "$log"
ok $? "unknown option named, with the known ones"
has "cmdline: warning: bad value 'sideways' for 'pvops'; use: pvops=auto\|native\|xen\|kvm\|off" "$log"
ok $? "bad value named, with the accepted ones"
has "cmdline: warning: option 'selftest' takes no value" "$log"; ok $? "flag given a value"
has "cmdline: warning: option 'pvops' needs a value" "$log"; ok $? "choice given no value"
diag_log "$log"
