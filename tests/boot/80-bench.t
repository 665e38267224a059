#!/bin/bash
# `bench` runs in every variant (tools/bench.sh --no-kvm: PARAVIRT=0,
# pvops=off, patched native, and Xen dom0 unpatched and patched, under
# qemu -icount) and its counts have the shape that matters.  Not a
# performance test: the counts are instructions, the same on every run, and
# these checks are about what patching must do, not about speed.  It leaves
# build/bench*.csv behind, which `make test` then holds README.md and docs/
# to (tools/figures.py).
. "$(dirname "$0")/lib.sh"
plan 9
CSV=$ROOT/build/bench.csv
HC=$ROOT/build/bench-hypercalls.csv

"$ROOT/tools/bench.sh" --no-kvm >"$TMP/bench.out" 2>"$TMP/bench.err"
st=$?
ok "$st" "tools/bench.sh --no-kvm: every variant booted and finished (status $st)"
[ "$st" = 0 ] || sed 's/^/# /' "$TMP/bench.err" | tail -n 20
sed 's/^/# /' "$TMP/bench.out"

val() { awk -F, -v o="$1" -v v="$2" '$1 == o && $2 == v { print $3 }' "$CSV"; }
ops=$(awk -F, 'NR > 1 && $1 != "patch_site" { print $1 }' "$CSV" 2>/dev/null | sort -u)
[ "$(echo "$ops" | wc -w)" -ge 11 ]; ok $? "build/bench.csv has every op ($(echo "$ops" | wc -w) found)"

! awk -F, 'NR > 1 && !($3 > 0) { print "# not positive: " $0; bad = 1 } END { exit !bad }' "$CSV"
ok $? "every count is positive"

# check "description" AWK-CONDITION-ON-a-AND-b VARIANT-A VARIANT-B OPS...
check() {
	local desc=$1 cond=$2 va=$3 vb=$4 bad=0 op a b
	shift 4
	for op in "$@"; do
		a=$(val "$op" "$va") b=$(val "$op" "$vb")
		if [ -z "$a" ] || [ -z "$b" ] || ! awk -v a="$a" -v b="$b" "BEGIN { exit !($cond) }"; then
			echo "# $op: $va ${a:-?}, $vb ${b:-?}"
			bad=1
		fi
	done
	ok $bad "$desc"
}
check "nopv never costs more than pvops=off" "a <= b" nopv off $ops
check "patched native is within one instruction of nopv for the one-instruction ops" \
	"b - a <= 1" nopv native read_cr2 read_cr3 write_cr3 set_pte flush_tlb_one
check "an unpatched site (off) never costs less than a patched one (native), every op" \
	"a >= b" off native $ops
check "and more wherever patching makes a site inline code" "a > b" off native \
	irq_save_restore irq_disable_enable read_cr2 read_cr3 write_cr3 set_pte flush_tlb_one \
	spin_lock_unlock io_delay_site

rows=$(awk -F, 'NR > 1 && $3 > 0' "$ROOT/build/bench-locks.csv" 2>/dev/null | wc -l)
[ "$rows" = 6 ]; ok $? "lockbench: native, Xen credit and credit2, spinning and paravirtual ($rows rows)"

u=$(awk -F, '$2 == "xen-unbatched" { print $4 }' "$HC" 2>/dev/null)
b=$(awk -F, '$2 == "xen-batched" { print $4 }' "$HC" 2>/dev/null)
[ -n "$u" ] && [ -n "$b" ] && [ "$b" -lt "$u" ]
ok $? "Xen: lazy-MMU batching makes fewer hypercalls (${b:-?}) than one by one (${u:-?})"
