#!/usr/bin/env bash
# tools/figures.py can fail: a page whose figure differs from the CSV files,
# a CSV that is missing, a broken expression, are each reported, naming the
# page and the line; --update rewrites a page so that --check then passes.
# Runs on fixtures in a temporary directory, never on the real pages.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIG="python3 $ROOT/tools/figures.py"
T=$(mktemp -d /tmp/pvos-figures.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
echo "1..9"

mkdir -p "$T/build"
cat >"$T/build/bench.csv" <<'CSV'
op,variant,instructions_per_op
set_pte,nopv,3.000
set_pte,native,4.000
set_pte,xen,854.000
CSV
cat >"$T/build/bench-hypercalls.csv" <<'CSV'
op,variant,hypercalls_per_op,hypercalls
pte_update,xen-unbatched,1.000,10000
pte_update,xen-batched,0.015,157
CSV
cat >"$T/good.md" <<'MD'
set_pte costs <!--fig b('set_pte','xen') | ,.0f-->854<!--/fig--> instructions,
<!--fig ht('pte_update','xen-unbatched')/ht('pte_update','xen-batched') | .0f-->64<!--/fig--> times fewer hypercalls,
which is <!--fig 'met' if n('set_pte') <= 1 else 'missed'-->met<!--/fig-->.
MD
sed 's/-->854</-->851</' "$T/good.md" >"$T/drift.md"
printf 'exits: <!--fig k("exits_per_1000_io_delays","with_pv")-->0<!--/fig-->\n' >"$T/kvm.md"
printf 'broken: <!--fig b("set_pte",)-->1<!--/fig-->\n' >"$T/broken.md"
cd "$T" || exit 1

$FIG --check good.md >out 2>err; ok $? "a page that matches the CSV files passes"
$FIG --check drift.md >out 2>err; st=$?
ok $((st == 0)) "a drifted figure fails the check (status $st)"
grep -q "drift.md:1: b('set_pte','xen') is 851 on the page, 854 in build" err
ok $? "the message names the page, the line, the expression and both values"
$FIG --check kvm.md >out 2>err; st=$?
ok $((st == 0)) "a figure whose CSV is missing fails the check (status $st)"
grep -q "bench-kvm.csv is missing" err; ok $? "the message says which CSV is missing"
$FIG --check --allow-missing bench-kvm.csv kvm.md >out 2>err
ok $? "--allow-missing turns that into a reported 'not checked'"
$FIG --check broken.md >out 2>err; st=$?
grep -q "cannot evaluate" err && [ "$st" != 0 ]; ok $? "a broken expression fails, saying so"
$FIG --update drift.md >out 2>err && $FIG --check drift.md >out 2>err; ok $? "--update rewrites a drifted page, then it passes"
cmp -s drift.md good.md; ok $? "the rewritten page is exactly the page that matched"
