#!/usr/bin/env bash
# The build-derived snippets of README.md and docs/ (tools/snippets.py, run
# through tools/figures.py) can fail: a sample boot edited by hand, a byte of
# the worked site's disassembly changed, its symbol+offset changed, are each
# reported naming the page and line; numbers that change from run to run
# (the TSC rate) are not; `--update` writes what the build says.  Runs on
# pages in a temporary directory, with fixture logs and the real
# build/pvos.elf and build/tools/pvsites; never on the real pages.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIG="python3 $ROOT/tools/figures.py"
T=$(mktemp -d /tmp/pvos-snippets.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
fails() { [ "$1" != 0 ]; }	# fails STATUS: the check must have failed
echo "1..10"

mkdir -p "$T/build/samples" "$T/build/tools"
cat >"$T/build/samples/tcg.log" <<'LOG'
GRUB's menu, which the sample leaves out
pvos 0.1: a teaching kernel for paravirtualization
pvops: 224 sites: 210 inline, 14 direct, 0 left indirect, 0 refused
timer: LAPIC timer at 100 Hz; TSC 2098.160 MHz
pvos: boot complete; idling with the timer on (0 ticks so far).
LOG
cat >"$T/sample.md" <<'MD'
<!--fig-block sample-tcg-->
    pvos 0.1: a teaching kernel for paravirtualization
    pvops: 224 sites: 210 inline, 14 direct, 0 left indirect, 0 refused
    timer: LAPIC timer at 100 Hz; TSC 2098.160 MHz
    pvos: boot complete; idling with the timer on (0 ticks so far).
<!--/fig-block-->
MD
sed 's/224 sites/225 sites/' "$T/sample.md" >"$T/edited.md"
sed 's/TSC 2098.160/TSC 3001.5/' "$T/sample.md" >"$T/tsc.md"
cd "$T" || exit 1

$FIG --check sample.md >out 2>err; ok $? "a sample boot that matches its log passes"
$FIG --check edited.md >out 2>err; st=$?
fails $st && grep -q "edited.md:1: table sample-tcg differs from build" err
ok $? "a line of a sample edited by hand fails, naming page, line and block (status $st)"
$FIG --check tsc.md >out 2>err; ok $? "a TSC rate that differs from the log's is not drift: it differs on every boot"
$FIG --update tsc.md >out 2>err; cmp -s tsc.md <(sed 's/TSC 2098.160/TSC 3001.5/' sample.md)
ok $? "--update keeps the page's TSC rate (no churn in the pages from run to run)"
mv build/samples/tcg.log tcg.log
$FIG --check sample.md >out 2>err; st=$?
fails $st && grep -q "build/samples/tcg.log is missing (tools/samples.sh tcg)" err
ok $? "a missing boot log fails, saying which command makes it (status $st)"

# The worked site, from the real image.
ln -s "$ROOT/build/pvos.elf" build/pvos.elf
ln -s "$ROOT/build/tools/pvsites" build/tools/pvsites
printf '%s\n' "The site at <!--fig '\`%s\`' % site('where')-->\`x\`<!--/fig-->:" '' \
	'<!--fig-block site-objdump-->' '<!--/fig-block-->' '' \
	'<!--fig-block site-entry-->' '<!--/fig-block-->' >site.md
$FIG --update site.md >out 2>err && $FIG --check site.md >out 2>err
ok $? "--update writes the site's disassembly, entry and symbol+offset from build/pvos.elf; then it passes"
grep -Eq '^    ffffffff[0-9a-f]+:	?[[:space:]]+ff 15 ' site.md && grep -q 'expect_fault+0x' site.md
ok $? "the page holds the site's indirect call and its expect_fault+offset"
# Change one byte of the call's rel32, as a stale page would show it.
awk '!done && /ff 15 / { sub(/ff 15 ../, "ff 15 00"); done = 1 } { print }' site.md >byte.md
cmp -s site.md byte.md && echo "# the byte edit changed nothing"
$FIG --check byte.md >out 2>err; st=$?
fails $st && grep -q "byte.md:3: table site-objdump differs from build" err
ok $? "one byte of the disassembly changed fails (status $st)"
sed 's/expect_fault+0x[0-9a-f]*/expect_fault+0x1/' site.md >where.md
$FIG --check where.md >out 2>err; st=$?
fails $st && grep -q "where.md:1: '\`%s\`' % site('where') is \`expect_fault+0x1\` on the page" err
ok $? "a stale symbol+offset in the prose fails, naming the expression (status $st)"
sed -i 's/site-entry-->/site-nonesuch-->/' site.md
$FIG --check site.md >out 2>err; st=$?
fails $st && grep -q "no table named site-nonesuch" err
ok $? "a block name the tools do not know fails (status $st)"
