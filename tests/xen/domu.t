#!/usr/bin/env bash
# pvos as a Xen PV domU, the way most people meet it: `xl create` on
# iso/pvos.xl.cfg in a Debian dom0 under Xen 4.17 (QEMU TCG), with the
# kernel and extra="..." overridden on xl's command line.  One dom0 boot
# runs three guests (run-domu.sh):
#   1. selftest       the backend line, every site patched, every TAP line
#                     ok as xenconsoled logged it, nothing lost at shutdown,
#                     reason poweroff;
#   2. crash=panic    must fail: the panic, reason crash, run-domu.sh fails;
#   3. xen.echo       console input: `xl console` types a line, pvos must
#                     answer it (README.md, "Typing at the console").
# Checks the kernel cannot pass yet are TODO (prove counts them, does not
# fail on them); each names what is missing.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TEST_FILE=tests/xen/domu.t
OUT=${PVOS_XEN_DOMU_BUILD:-build/xen-domu}/t-domu
ELF=build/pvos.elf
# The console-input contract (README.md): what we type, what pvos answers.
TYPED='hello pvos 42'
ANSWER="xen: echo: $TYPED"
TODO_UNBOUND="# TODO the console ring's event channel is not bound yet (issue 14)"
TODO_ECHO="# TODO pvos does not read console input from the ring yet (issue 14)"
# A known domU bug (README.md, "What the kernel does wrong as a domU"): the
# steal-time self-test fails now and then, because steal time includes the
# time the vCPU spent offline while xl built the domain.  Only that exact
# failure turns the checks it breaks into TODOs; any other failure fails.
STEAL_FAIL='^not ok [0-9]+ - xen: sched_clock from vcpu_time_info advances; steal time is read # line [0-9]+: steal time [0-9]+ exceeds uptime$'
TODO_STEAL="# TODO steal time counts the vCPU's offline time before pvos ran (issue 14)"

n=0 failed=0
# A failing check with a TODO directive does not fail the file; it is said
# on stderr too, which prove shows, so that it does not pass unseen.
ok() {	# ok STATUS DESCRIPTION [DIRECTIVE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2${3:+ $3}"; return; fi
	echo "not ok $n - $2${3:+ $3}"
	if [ -n "${3:-}" ]; then echo "$TEST_FILE: not yet: $2: ${3#\# TODO }" >&2
	else failed=$((failed + 1)); fi
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
# The directive for a check the known steal-time bug breaks in LOG, if it did.
steal_todo() {
	[ "$(grep -ac '^not ok' "$1")" = 1 ] && has "$STEAL_FAIL" "$1" && echo "$TODO_STEAL"
}
diag() {	# diag FILE: its last lines as TAP comments
	echo "# --- $1 ---"
	tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/# /'
}

[ -f "$ELF" ] || skip_file "$ELF not built (make build/pvos.elf)"
mkdir -p "$(dirname "$OUT")"
st=0
tests/xen/run-domu.sh --out "$OUT" "$ELF" \
	selftest crash=panic xen.echo --send "$TYPED" --limit 5 \
	> "$OUT.stdout" 2> "$OUT.stderr" || st=$?
if [ "$st" = 77 ]; then
	skip_file "$(sed -n 's/^SKIP //p' "$OUT.stdout" | head -n 1)"
fi
grep -E '^run-domu: (guest|finished)' "$OUT.stderr" | sed "s|^|$TEST_FILE: |" >&2

echo "1..17"
# Guest 2 fails on purpose, so the run as a whole fails (1), never 124/125.
ok $((st != 1)) "Xen + dom0 came up and xl ran all three guests (run-domu.sh status 1, got $st)"
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
todo=$(steal_todo "$c")
all_ok "$c"
ok $? "every TAP line of the self-test ok, through xenconsoled's log" "$todo"
has '^ok [0-9]+ - xen: the console is console_io as dom0, the ring as domU$' "$c"
ok $? "the console is the ring (the self-test says so)"
reason=$(cat "$OUT/1.reason" 2>/dev/null)
[ "$(tail -n 1 "$c" 2>/dev/null)" = "xen: SCHEDOP_shutdown($reason)" ]
ok $? "nothing lost at shutdown: the last line logged is xen: SCHEDOP_shutdown(${reason:-?}), as xl saw"
[ "$reason" = poweroff ]
ok $? "xl: shut down with reason poweroff (got $reason)" "$todo"
grep -aE '^(pvops|selftest):|^not ok' "$c" | sed 's/^/# /'
unbound=$(cat "$OUT"/[123].console 2>/dev/null | grep -ac '^xen: event on unbound port')
ok $((unbound != 0)) "no 'xen: event on unbound port' line in any guest's log ($unbound among the lines shown)" "$TODO_UNBOUND"
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
ok $? "xen.echo: '$TYPED' + CR typed at xl console once the guest was up"
has '^pvos 0\.1: a teaching kernel' "$OUT/3.client"
ok $? "xen.echo: xl console was attached to the guest's console (it showed pvos's banner)"
has "^$ANSWER\$" "$c"
ok $? "xen.echo: pvos answered '$ANSWER'" "$TODO_ECHO"
[ "$(cat "$OUT/3.reason" 2>/dev/null)" = poweroff ]
ok $? "xen.echo: then shut down with reason poweroff (got $(cat "$OUT/3.reason" 2>/dev/null))" "$TODO_ECHO"

[ "$failed" = 0 ] || echo "# logs: $OUT/ (console.log: the whole QEMU console; N.console: guest N)"
exit $((failed > 0))
