#!/bin/bash
# `selftest` passes in every mode: patched native (the default), pvops=off
# (every site an indirect call, every link-time call through its
# trampoline), and the PARAVIRT=0 build (no sites at all);
# and one failure on purpose (selftest.fail) fails the run.
. "$(dirname "$0")/lib.sh"
plan 17

log=$TMP/patched.log
st=$(boot_elf "$ROOT/build/pvos.elf" "selftest" "$log")
ok $((st != 1)) "patched native: QEMU exit status 1 (pass), got $st"
selftest_all_ok "$log"; ok $? "patched native: every TAP line ok"
has '^pvops: backend native \(auto' "$log"; ok $? "patched native: backend line"
has '^pvops: [0-9]+ sites: [1-9][0-9]* inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log"
ok $? "patched native: 0 left indirect, 0 refused"
has '^pvops: [1-9][0-9]* link-time calls: [1-9][0-9]* direct, [1-9][0-9]* nop, 0 left indirect, 0 refused$' "$log"
ok $? "patched native: link-time calls direct or NOP, 0 left indirect, 0 refused"
diag_log "$log"

log=$TMP/off.log
st=$(boot_elf "$ROOT/build/pvos.elf" "selftest pvops=off" "$log")
ok $((st != 1)) "pvops=off: QEMU exit status 1 (pass), got $st"
selftest_all_ok "$log"; ok $? "pvops=off: every TAP line ok"
n=$(grep -aoE '^pvops: [0-9]+ sites' "$log" | grep -oE '[0-9]+')
has "^pvops: $n sites: 0 inline, 0 direct, $n left indirect, 0 refused\$" "$log"
ok $? "pvops=off: all $n sites left indirect"
n=$(grep -aoE '^pvops: [0-9]+ link-time calls' "$log" | grep -oE '[0-9]+')
has "^pvops: $n link-time calls: 0 direct, 0 nop, $n left indirect, 0 refused\$" "$log"
ok $? "pvops=off: all ${n:-?} link-time calls left on their trampolines"
diag_log "$log"

log=$TMP/nopv.log
st=$(boot_elf "$ROOT/build-nopv/pvos.elf" "selftest" "$log")
ok $((st != 1)) "PARAVIRT=0: QEMU exit status 1 (pass), got $st"
selftest_all_ok "$log"; ok $? "PARAVIRT=0: every TAP line ok"
has '^pvops: backend none \(PARAVIRT=0' "$log"; ok $? "PARAVIRT=0: no backend"
# objdump's own status counts: a missing or failing objdump must not pass as
# "no .pv_sites", so its listing must also show the image's .text.
if objdump -h "$ROOT/build-nopv/pvos.elf" >"$TMP/nopv.sections" 2>"$TMP/objdump.err"; then
	has ' \.text ' "$TMP/nopv.sections" && ! has 'pv_sites' "$TMP/nopv.sections"
	ok $? "PARAVIRT=0: the image has no .pv_sites section (objdump lists .text)"
else
	ok 1 "PARAVIRT=0: objdump -h failed: $(head -n 1 "$TMP/objdump.err")"
fi
diag_log "$log"

# Without QEMU's isa-debug-exit device pvos powers off through ACPI.
log=$TMP/acpi.log
st=0
timeout "$BOOT_TIMEOUT" "$QEMU" -machine pc -m 256 -display none -no-reboot \
	-kernel "$ROOT/build/pvos.elf" -append selftest -serial "file:$log" </dev/null >/dev/null 2>&1 || st=$?
tr -d '\r' <"$log" >"$log.c" && mv "$log.c" "$log"
ok $((st != 0)) "no debug-exit device: QEMU powered off cleanly (exit 0, got $st)"
has '^pvos: exit status 0 \(pass\)$' "$log" && has '^acpi: powering off' "$log"
ok $? "the log says pass, and that ACPI powered off"
diag_log "$log"

# One failing self-test fails the run: what every harness relies on.
log=$TMP/fail.log
st=$(boot_elf "$ROOT/build/pvos.elf" "selftest selftest.fail" "$log")
ok $((st != 3)) "selftest.fail: QEMU exit status 3 (fail), got $st"
[ "$(grep -ac '^not ok' "$log")" = 1 ] &&
	has '^not ok [0-9]+ - selftest: a failure is reported when asked for \(selftest.fail\) # ' "$log"
ok $? "selftest.fail: exactly one not ok line, the one asked for"
