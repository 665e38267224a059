#!/usr/bin/env bash
# pvos as a Xen PV domU, the way most people meet it: `xl create` on
# iso/pvos.xl.cfg in a Debian dom0 under Xen 4.17 (QEMU TCG), with the
# kernel and extra="..." overridden on xl's command line.  One dom0 boot
# runs six guests (run-domu.sh):
#   1. selftest       the backend line, every site patched, every TAP line
#                     ok as xenconsoled logged it, nothing lost at shutdown,
#                     reason poweroff;
#   2. crash=panic    must fail: the panic, reason crash, run-domu.sh fails;
#   3. echo           console input: `xl console` types a line, pvos must
#                     answer it (README.md, "Typing at the console");
#   4. selftest       on iso/pvos-smp.xl.cfg: two vCPUs, the SMP self-tests
#                     too;
#   5. selftest selftest.fail   one self-test fails on purpose: reason
#                     crash, and run-domu.sh fails naming it.
#   6. monitor        the prompt on the console ring: help, an unknown
#                     command answered with one error line, exit: reason
#                     poweroff.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TEST_FILE=tests/xen/domu.t
OUT=${PVOS_XEN_DOMU_BUILD:-build/xen-domu}/t-domu
ELF=build/pvos.elf
# The console-input contract (README.md): what we type, what pvos answers.
TYPED='hello pvos 42'
ANSWER="echo: $TYPED"

n=0 failed=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; return; fi
	echo "not ok $n - $2"
	failed=$((failed + 1))
}
has() { grep -aqE -- "$1" "$2" 2>/dev/null; }
skip_file() {	# skip_file REASON: a setup failure, recorded for make test's summary
	echo "$TEST_FILE: SKIP: $1" >&2
	echo "1..0 # SKIP $1"
	tools/test-skips.sh record "$TEST_FILE" setup "$1"
	exit 0
}
# Every TAP line of the guest's self-test: the plan, that many ok lines, no not ok.
all_ok() {
	local plan
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$1" | head -n 1)
	[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$(grep -acE '^ok [0-9]+ ' "$1")" = "$plan" ] &&
		! has '^not ok' "$1"
}
diag() {	# diag FILE: its last lines as TAP comments
	echo "# --- $1 ---"
	tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/# /'
}

[ -f "$ELF" ] || skip_file "$ELF not built (make build/pvos.elf)"
mkdir -p "$(dirname "$OUT")"
st=0
tests/xen/run-domu.sh --out "$OUT" "$ELF" \
	selftest crash=panic echo --send "$TYPED" --limit 5 \
	selftest --config pvos-smp.xl.cfg "selftest selftest.fail" \
	monitor --send 'help\rno-such-command\rexit' --limit 20 \
	> "$OUT.stdout" 2> "$OUT.stderr" || st=$?
if [ "$st" = 77 ]; then
	skip_file "$(sed -n 's/^SKIP //p' "$OUT.stdout" | head -n 1)"
fi
grep -E '^run-domu: (guest|finished)' "$OUT.stderr" | sed "s|^|$TEST_FILE: |" >&2

echo "1..29"
# Guests 2 and 5 fail on purpose, so the run as a whole fails (1), never 124/125.
ok $((st != 1)) "Xen + dom0 came up and xl ran all six guests (run-domu.sh status 1, got $st)"
[ "$st" = 1 ] || { diag "$OUT.stderr" 30; echo "# whole console: $OUT/console.log"; }

c=$OUT/1.console
has '^Parsing config from /etc/xen/pvos\.xl\.cfg$' "$OUT/1.xl"
ok $? "xl create read iso/pvos.xl.cfg itself"
has '^boot: command line "selftest"$' "$c"
ok $? "the guest got extra=\"selftest\" from xl's command line"
has '^pvops: backend xen \(entered through the Xen PV entry point; domU, Xen 4\.17\)$' "$c"
ok $? "backend line: xen, entered through the Xen PV entry point; domU, Xen 4.17"
has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$c"
ok $? "every site patched: 0 left indirect, 0 refused"
all_ok "$c"
ok $? "every TAP line of the self-test ok, through xenconsoled's log"
has '^ok [0-9]+ - xen: the console is console_io as dom0, the ring as domU$' "$c"
ok $? "the console is the ring (the self-test says so)"
reason=$(cat "$OUT/1.reason" 2>/dev/null)
[ "$(tail -n 1 "$c" 2>/dev/null)" = "xen: SCHEDOP_shutdown($reason)" ]
ok $? "nothing lost at shutdown: the last line logged is xen: SCHEDOP_shutdown(${reason:-?}), as xl saw"
[ "$reason" = poweroff ]
ok $? "xl: shut down with reason poweroff (got $reason)"
grep -aE '^(pvops|selftest):|^not ok' "$c" | sed 's/^/# /'
has '^console: Xen ring, input and its events on event channel [0-9]+$' "$c"
ok $? "the console ring's event channel is bound"
unbound=$(cat "$OUT"/[1-4].console 2>/dev/null | grep -ac '^xen: event on unbound port')
ok $((unbound != 0)) "no 'xen: event on unbound port' line in any guest's log ($unbound among the lines shown)"
if ! all_ok "$c" || [ "$reason" != poweroff ]; then diag "$c" 25; fi

c=$OUT/2.console
has '^pvos: PANIC: crash=panic asked for a panic$' "$c" && has '^xen: SCHEDOP_shutdown\(crash\)$' "$c"
ok $? "crash=panic: the panic, then SCHEDOP_shutdown(crash)"
[ "$(cat "$OUT/2.reason" 2>/dev/null)" = crash ]
ok $? "crash=panic: xl: shut down with reason crash (got $(cat "$OUT/2.reason" 2>/dev/null))"
has '^run-domu: guest 2 \(crash=panic\): crash$' "$OUT.stderr" && [ "$st" = 1 ]
ok $? "crash=panic: run-domu.sh reports crash and fails"
[ "$(cat "$OUT/2.reason" 2>/dev/null)" = crash ] || diag "$c"

# The typed line reaches the guest through xl console -> pty -> xenconsoled
# -> the ring's input half; the answer comes back the same way as output.
c=$OUT/3.console
[ -e "$OUT/3.typed" ]
ok $? "echo: '$TYPED' + CR typed at xl console once the guest was up"
has '^pvos 0\.1: a teaching kernel' "$OUT/3.client"
ok $? "echo: xl console was attached to the guest's console (it showed pvos's banner)"
has "^$ANSWER\$" "$c"
ok $? "echo: pvos answered '$ANSWER'"
has "^> $TYPED\$" "$c"
ok $? "echo: pvos echoed the keystrokes after its prompt"
[ "$(cat "$OUT/3.reason" 2>/dev/null)" = poweroff ]
ok $? "echo: then shut down with reason poweroff (got $(cat "$OUT/3.reason" 2>/dev/null))"
[ "$(cat "$OUT/3.reason" 2>/dev/null)" = poweroff ] || diag "$c"

# Two vCPUs: pvos starts the second itself; the SMP self-tests run too.
c=$OUT/4.console
has '^Parsing config from /etc/xen/pvos-smp\.xl\.cfg$' "$OUT/4.xl"
ok $? "vcpus = 2: xl create read iso/pvos-smp.xl.cfg"
has '^smp: 2 CPUs up, on the xen backend' "$c"
ok $? "vcpus = 2: 2 CPUs up"
# A domU has no console_io to provoke a failure with; nothing else may skip.
skipped=$(grep -aE '^ok [0-9]+ - (smp|xen):.*# SKIP' "$c" | grep -avc 'needs console_io, which only dom0 uses')
all_ok "$c" && [ "$skipped" = 0 ]
ok $? "vcpus = 2: every TAP line ok, no smp: or xen: self-test skipped but the dom0-only one ($skipped)"
[ "$(cat "$OUT/4.reason" 2>/dev/null)" = poweroff ]
ok $? "vcpus = 2: shut down with reason poweroff (got $(cat "$OUT/4.reason" 2>/dev/null))"
[ "$(cat "$OUT/4.reason" 2>/dev/null)" = poweroff ] || diag "$c" 25

# A failing self-test must fail the run the same way a panic does.
c=$OUT/5.console
[ "$(grep -ac '^not ok' "$c")" = 1 ] &&
	has '^not ok [0-9]+ - selftest: a failure is reported when asked for \(selftest\.fail\)' "$c" &&
	[ "$(tail -n 1 "$c")" = "xen: SCHEDOP_shutdown(crash)" ]
ok $? "selftest.fail: one not ok line, then SCHEDOP_shutdown(crash) as the last line"
[ "$(cat "$OUT/5.reason" 2>/dev/null)" = crash ]
ok $? "selftest.fail: xl: shut down with reason crash (got $(cat "$OUT/5.reason" 2>/dev/null))"
has '^run-domu: guest 5 \(selftest selftest\.fail\): crash$' "$OUT.stderr"
ok $? "selftest.fail: run-domu.sh reports crash"

# The monitor reads the domU's console ring (docs/monitor.md).
c=$OUT/6.console
has '^monitor: ready on xen' "$c" && has '^  help ' "$c" && has '^  exit' "$c"
ok $? "monitor: ready on the ring; help lists the commands"
[ "$(grep -ac '^monitor: no-such-command: ' "$c")" = 1 ]
ok $? "monitor: an unknown command typed at xl console gets one error line"
[ "$(cat "$OUT/6.reason" 2>/dev/null)" = poweroff ]
ok $? "monitor: exit ends the guest, reason poweroff (got $(cat "$OUT/6.reason" 2>/dev/null))"
[ "$(cat "$OUT/6.reason" 2>/dev/null)" = poweroff ] || diag "$c" 25

[ "$failed" = 0 ] || echo "# logs: $OUT/ (console.log: the whole QEMU console; N.console: guest N)"
exit $((failed > 0))
