#!/bin/bash
# The teacher's key (docs/answers/) is true of the code as it is.  Each
# exercise of docs/pvops.md is done for real in a copy of the tree: its
# patch must apply, and the copy is built, booted and run through
# check-sites.  The outcome must be what the answer page says.  The
# expected lines come from the pages themselves (a block after
# "<!-- 85-answers.t: NAME -->"), so a page and this test cannot drift apart.
. "$(dirname "$0")/lib.sh"
ANS=$ROOT/docs/answers
plan 21

# block NAME PAGE: the indented lines after the page's marker for NAME.
block() {
	awk -v m="<!-- 85-answers.t: $1 -->" '
		$0 == m { on = 1; next }
		on && /^    / { sub(/^    /, ""); print; next }
		on { exit }' "$2"
}

# matches_all PATTERNS-FILE LOG: every pattern (ERE) matches some line of LOG.
matches_all() {
	local pat bad=0
	[ -s "$1" ] || return 1
	while IFS= read -r pat; do
		grep -aEq -- "$pat" "$2" || { echo "# not found in $(basename "$2"): $pat"; bad=1; }
	done <"$1"
	return $bad
}

# only_failures PATTERNS-FILE LOG: the log's "not ok" lines are exactly the
# ones the page's "not ok" patterns name, each present.
only_failures() {
	grep -a '^\^not ok' "$1" >"$1.notok" || true
	grep -a '^not ok' "$2" >"$2.notok" || true
	matches_all "$1.notok" "$2" &&
		[ "$(grep -acEvf "$1.notok" "$2.notok")" = 0 ] &&
		[ "$(wc -l <"$2.notok")" = "$(wc -l <"$1.notok")" ]
}

# ---- exercise 1: no copy needed, the tree's own build ----
log=$TMP/ex1.log
seen=$(boot_until_idle "$log" -kernel "$ROOT/build/pvos.elf" -append pvops.verbose)
ok "$seen" "exercise 1: boots to idle with pvops.verbose"
# The first patch pass: every line before the count.
awk '/^pvops: [0-9]+ sites:/ { exit } / \(direct\)$/' "$log" >"$TMP/ex1.direct"
sed -E 's/^pvops: site [0-9a-f]+ <[^>]*> ([a-z_0-9.]+): .*/\1/' "$TMP/ex1.direct" | sort -u >"$TMP/ex1.ops"
block ex1-direct-ops "$ANS/exercise-1.md" | sort -u >"$TMP/ex1.page"
[ -s "$TMP/ex1.page" ] && cmp -s "$TMP/ex1.ops" "$TMP/ex1.page"
ok $? "exercise 1: the ops whose sites became direct calls are the page's list ($(wc -l <"$TMP/ex1.ops") ops)"
[ "$tap_failed" = 0 ] || diff "$TMP/ex1.page" "$TMP/ex1.ops" | sed 's/^/# /'
sed -n 's/^[[:space:]]*FN(\([a-z]*\), \([a-z_0-9]*\),.*/\1.\2/p' "$ROOT/pvops/pv_ops.h" | sort -u >"$TMP/fn.rows"
[ -s "$TMP/fn.rows" ] && cmp -s "$TMP/fn.rows" "$TMP/ex1.page"
ok $? "exercise 1: the page's list is the FN rows of PV_OP_LIST"
block ex1-site "$ANS/exercise-1.md" >"$TMP/ex1.site"
# The page's prose: "The other N are the register self-test's own sites",
# and the sched_clock slot's offset in the pvsites line it points to.
other=$(sed -n 's/.*The other \([0-9]*\) are the register.*/\1/p' "$ANS/exercise-1.md")
slot=$(sed -n 's/.*`call \*\(pv_ops+0x[0-9a-f]*\)(%rip)`.*/\1/p' "$ANS/exercise-1.md")
matches_all "$TMP/ex1.site" "$TMP/ex1.direct" &&
	[ "$(grep -c rs_site_ "$TMP/ex1.direct")" = "$other" ] &&
	"$ROOT/build/tools/pvsites" "$ROOT/build/pvos.elf" | grep sched_clock | grep -q "<$slot>"
ok $? "exercise 1: the site the page names is a direct call; $other others; its slot is $slot"

# ---- the copy for exercises 2 and 3: the tracked files as they are now ----
W=$TMP/tree
mkdir -p "$W/build"
git -C "$ROOT" ls-files -z | tar -C "$ROOT" --null --ignore-failed-read -T - -cf - | tar -C "$W" -xf -
# The objects and tools built so far: only what a patch touches is rebuilt.
for d in obj tools; do
	[ -d "$ROOT/build/$d" ] && cp -a "$ROOT/build/$d" "$W/build/"
done
mk() { make -C "$W" -j2 "$@"; }	# mk TARGET...: in the copy, output to the caller
# try PATCH: does it apply to the tree as it is?  Then apply it.
apply() { (cd "$W" && git apply --check "$ANS/$1" && git apply "$ANS/$1"); }
unapply() { (cd "$W" && git apply -R "$ANS/$1"); }
# boot_copy WORDS LOG: boot the copy's kernel; echoes QEMU's exit status.
boot_copy() { boot_elf "$W/build/pvos.elf" "$1" "$2"; }
# per_op ELF WORDS: read_cr3's per_op from a `bench` boot under -icount, with
# the flags tools/bench.sh uses (exact instruction counts).
per_op() {
	timeout "$BOOT_TIMEOUT" "$QEMU" -icount shift=0,sleep=off -rtc base=2026-01-01T00:00:00,clock=vm \
		-machine pc -m 512 -display none -no-reboot -kernel "$1" -append "$2" \
		-serial "file:$TMP/bench.log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		</dev/null >/dev/null 2>&1
	tr -d '\r' <"$TMP/bench.log" | grep -a '^bench: read_cr3 ' | tee -a "$TMP/bench.lines" |
		sed -n 's/^bench: read_cr3 n=[0-9]* total=[0-9]* per_op=\([0-9]*\)\.000$/\1/p'
}
# row LABEL: the page's cost table row that starts with LABEL, as "nopv native off".
row() {
	awk -v m="<!-- 85-answers.t: ex2-bench -->" -v l="| $1" '
		$0 == m { on = 1; next }
		on && index($0, l) == 1 { split($0, c, "|"); print c[3] + 0, c[4] + 0, c[5] + 0; exit }
		on && !/^\|/ { exit }' "$ANS/exercise-2.md"
}

# ---- exercise 2: read_cr3 with a room of 8 ----
P=$ANS/exercise-2.md
apply exercise-2.patch
ok $? "exercise 2: exercise-2.patch applies to the tree"
mk build/pvos.elf check-sites >"$TMP/ex2.make" 2>&1
ok $? "exercise 2: the copy builds and make check-sites passes"
st=$(boot_copy "selftest pvops.verbose" "$TMP/ex2.log")
block ex2-selftest "$P" >"$TMP/ex2.pat"
[ "$st" = 3 ] && only_failures "$TMP/ex2.pat" "$TMP/ex2.log" &&
	has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$TMP/ex2.log"
ok $? "exercise 2: selftest fails (status $st) in exactly the page's self-test, every site patched"
block ex2-verbose "$P" >"$TMP/ex2.verbose"
[ -s "$TMP/ex2.verbose" ] && grep -axFf "$TMP/ex2.verbose" "$TMP/ex2.log" >/dev/null
ok $? "exercise 2: the 8-byte site's pvops.verbose line is the page's"
[ "$tap_failed" = 0 ] || grep -a "<$(sed -n 's/.*<\([a-z_0-9]*+0x[0-9a-f]*\)>.*/\1/p' "$TMP/ex2.verbose")>" "$TMP/ex2.log" |
	sed 's/^/# the copy printed: /'
nopv=$(per_op "$ROOT/build-nopv/pvos.elf" bench)
want=$(row "6 bytes")
got="$nopv $(per_op "$ROOT/build/pvos.elf" bench) $(per_op "$ROOT/build/pvos.elf" "bench pvops=off")"
[ -n "$want" ] && [ "$got" = "$want" ]
ok $? "exercise 2: a 6-byte site costs the page's nopv/native/off ($want), measured $got"
want=$(row "8 bytes")
: >"$TMP/bench.lines"
got="$nopv $(per_op "$W/build/pvos.elf" bench) $(per_op "$W/build/pvos.elf" "bench pvops=off")"
# The page also shows the two bench lines of the 8-byte copy, as printed.
grep -a '^    bench: read_cr3 ' "$P" | sed 's/^    //' >"$TMP/bench.page"
[ -n "$want" ] && [ "$got" = "$want" ] && cmp -s "$TMP/bench.page" "$TMP/bench.lines"
ok $? "exercise 2: an 8-byte site costs the page's nopv/native/off ($want), measured $got, its bench lines as printed"
unapply exercise-2.patch
ok $? "exercise 2: the patch comes off again"

# ---- exercise 3: r11 dropped from PV_C_SCRATCH ----
P=$ANS/exercise-3.md
apply exercise-3.patch
ok $? "exercise 3: exercise-3.patch applies to the tree"
mk build/pvos.elf >"$TMP/ex3.make" 2>&1
ok $? "exercise 3: the compiler takes it without a word"
mk check-sites >"$TMP/ex3.cs" 2>&1
st=$?
block ex3-check-sites "$P" >"$TMP/ex3.cs.pat"
[ "$st" != 0 ] && matches_all "$TMP/ex3.cs.pat" "$TMP/ex3.cs"
ok $? "exercise 3: make check-sites fails (status $st) as the page says"
st=$(boot_copy selftest "$TMP/ex3.log")
block ex3-boot "$P" >"$TMP/ex3.pat"
[ "$st" = 3 ] && matches_all "$TMP/ex3.pat" "$TMP/ex3.log"
ok $? "exercise 3: the patcher refuses the sites, as the page says (status $st)"
only_failures "$TMP/ex3.pat" "$TMP/ex3.log"
ok $? "exercise 3: the only failing self-test is the page's"
bad=$(grep -ac ': BAD: ' "$TMP/ex3.cs")
refused=$(sed -n 's/^pvops: [0-9]* sites: .* \([0-9]*\) refused$/\1/p' "$TMP/ex3.log")
# ...and as many as the page's prose says ("In this build N sites are refused").
said=$(sed -n 's/^In this build \([0-9]*\) sites are refused.*/\1/p' "$P")
named=$(sed -n 's/.*# fails, naming \([0-9]*\) entries$/\1/p' "$P")
[ "$bad" -gt 0 ] && [ "$bad" = "$refused" ] && [ "$said" = "$bad" ] && [ "$named" = "$bad" ]
ok $? "exercise 3: check-sites and the patcher name as many sites ($bad, $refused) as the page ($said, $named)"
unapply exercise-3.patch
ok $? "exercise 3: the patch comes off again"

# ---- exercise 3, the clobber list alone: nothing catches it ----
apply exercise-3-list-only.patch
ok $? "exercise 3: exercise-3-list-only.patch applies to the tree"
mk check-sites >"$TMP/ex3b.cs" 2>&1
st=$?
st2=$(boot_copy selftest "$TMP/ex3b.log")
block ex3-list-only "$P" >"$TMP/ex3b.pat"
cat "$TMP/ex3b.cs" "$TMP/ex3b.log" >"$TMP/ex3b.all"
[ "$st" = 0 ] && [ "$st2" = 1 ] && matches_all "$TMP/ex3b.pat" "$TMP/ex3b.all" &&
	selftest_all_ok "$TMP/ex3b.log"
ok $? "exercise 3, list only: check-sites passes (status $st) and every self-test passes (status $st2)"
objcopy -O binary -j .text "$W/build/pvos.elf" "$TMP/list-only.text" &&
	objcopy -O binary -j .text "$ROOT/build/pvos.elf" "$TMP/clean.text" &&
	! cmp -s "$TMP/list-only.text" "$TMP/clean.text"
ok $? "exercise 3, list only: yet the compiler made other code than build/pvos.elf's"

for f in ex2.make ex3.make ex3.cs ex2.log ex3.log ex3b.cs ex3b.log; do
	[ "$tap_failed" = 0 ] || diag_log "$TMP/$f" 8
done
