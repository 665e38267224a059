#!/bin/bash
# The labs of docs/labs/ are gradable, and their pages run (make lab-test,
# a stage of make test).  In a copy of the tree as shipped, every grader
# (tests/labs/grade.sh) must fail and say what is missing.  In a copy with
# lab N's reference solution applied (tests/labs/labN.patch, never applied
# to the tree itself), every command lab N's page shows (its indented
# "$ ..." lines) runs and succeeds, in page order; among them
# `make lab-check N=N`, which must then pass.  So a grader is proven both ways, and a page cannot show
# a command that pvos no longer takes.
. "$(dirname "$0")/../boot/lib.sh"
LABS=$ROOT/docs/labs

# Shown, not run, each for its reason:
#   make bench: minutes (lockbench, nested KVM); tests/boot/80-bench.t runs
#     it as tools/bench.sh --no-kvm, and the graders make its boots;
#   git diff > labs/lab4/...patch, git apply -R ...: they record and undo
#     the student's own edit; here the reference patches stand for it.
shown_only() {
	case $1 in
	"make bench" | "git diff > labs/lab4/"*.patch | "git apply -R labs/lab4/"*.patch) return 0 ;;
	esac
	return 1
}

# commands PAGE: each "    $ cmd" line of the page (a trailing \ joins the next).
commands() {
	awk 'match($0, /^    +\$ /) { line = substr($0, RLENGTH + 1); while (line ~ /\\$/ && (getline nxt) > 0) {
		sub(/\\$/, "", line); sub(/^ +/, " ", nxt); line = line nxt }; print line }' "$1"
}

# copy DIR: the tracked files, and the builds so far (only what changes is rebuilt).
copy() {
	mkdir -p "$1/build" "$1/build-nopv"
	git -C "$ROOT" ls-files -z | tar -C "$ROOT" --null --ignore-failed-read -T - -cf - | tar -C "$1" -xf -
	for d in obj tools xen; do
		[ -d "$ROOT/build/$d" ] && cp -a "$ROOT/build/$d" "$1/build/"
	done
	[ -d "$ROOT/build-nopv/obj" ] && cp -a "$ROOT/build-nopv/obj" "$1/build-nopv/"
	return 0
}

# run_shown COPY PAGE CMD: one TAP line; a lab-check must also say PASSED.
run_shown() {
	local out=$TMP/cmd.out st=0
	if shown_only "$3"; then
		ok 0 "$(basename "$2"): shown only, for the reason in labs.t: $3"
		return 0
	fi
	(cd "$1" && timeout 600 bash -c "$3") </dev/null >"$out" 2>&1 || st=$?
	case $3 in	# a grader, on the solved tree, must pass
	"make lab-check"*) [ "$st" = 0 ] && ! grep -q '^lab [1-4]: PASSED' "$out" && st=fail ;;
	esac
	ok "$st" "$(basename "$2"): $3"
	[ "$st" = 0 ] || tail -n 15 "$out" | sed 's/^/# /'
}

# Each page's commands, once per page (README.md's run with lab 1's).
n_cmds=$({ commands "$LABS/README.md"; commands "$LABS/lab1.md"; } | awk '!seen[$0]++' | wc -l)
for n in 2 3 4; do n_cmds=$((n_cmds + $(commands "$LABS/lab$n.md" | awk '!seen[$0]++' | wc -l))); done
plan $((4 * 2 + 4 + n_cmds))

# ---- as shipped: every grader fails, and says what is missing ----
S=$TMP/shipped
copy "$S"
for n in 1 2 3 4; do
	st=0
	make -s -C "$S" lab-check N=$n </dev/null >"$TMP/shipped-$n.out" 2>&1 || st=$?
	[ "$st" != 0 ]
	ok $? "lab $n: the grader fails on the tree as shipped (make status $st)"
	grep -q '^MISSING: ' "$TMP/shipped-$n.out" && grep -q "^lab $n: NOT YET" "$TMP/shipped-$n.out"
	ok $? "lab $n: ...and prints what is missing ($(grep -c '^MISSING: ' "$TMP/shipped-$n.out") lines)"
	[ "$tap_failed" = 0 ] || sed 's/^/# /' "$TMP/shipped-$n.out"
done

# ---- solved: each lab's reference solution in its own copy (lab 2 adds
# sites, which lab 1's answers count), and every command of its page runs
# there, README.md's with lab 1's ----
declare -A done_cmd
for n in 1 2 3 4; do
	W=$TMP/lab$n
	copy "$W"
	(cd "$W" && git apply --whitespace=nowarn "$ROOT/tests/labs/lab$n.patch")
	ok $? "lab $n: its reference solution tests/labs/lab$n.patch applies to the tree"
	pages=$LABS/lab$n.md
	[ "$n" = 1 ] && pages="$LABS/README.md $pages"
	done_cmd=()
	for p in $pages; do
		while IFS= read -r c; do
			[ -z "${done_cmd[$c]:-}" ] || continue
			done_cmd[$c]=1
			run_shown "$W" "$p" "$c"
		done < <(commands "$p")
	done
done
