#!/usr/bin/env bash
# tests/labs/grade.sh N: grades lab N of docs/labs/ (what `make lab-check N=N`
# runs).  It judges only from what this tree does: it builds it, boots it
# (natively, under Xen, under qemu -icount as `make bench` does) and reads
# the student's answers in labs/ at the tree's root.  One line per
# criterion, "PASS: ..." or "MISSING: ... what to do", then a verdict; exit
# 0 only when every criterion passed.  tests/labs/labs.t proves each lab's
# grader both ways: it fails on the tree as shipped, passes with the
# reference solution tests/labs/labN.patch.
# No -e: a criterion that fails is to be reported, not to end the grading.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANS=$ROOT/labs
QEMU=${QEMU:-qemu-system-x86_64}
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=64M noreboot=false"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-150}
TMP=$(mktemp -d /tmp/pvos-lab.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0 missing=0

# ---- reporting ----
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
miss() { echo "MISSING: $1"; missing=$((missing + 1)); }
# check STATUS CRITERION HOW: PASS when STATUS is 0, else MISSING with what to do.
check() { if [ "$1" = 0 ]; then pass "$2"; else miss "$2: $3"; fi; }
verdict() {
	if [ "$missing" = 0 ]; then
		echo "lab $1: PASSED ($passed criteria)"
	else
		echo "lab $1: NOT YET: $missing of $((passed + missing)) criteria missing"
		exit 1
	fi
}

# ---- the student's answer files: "key: value" lines, '#' comments ----
answer() {	# answer FILE KEY: the value, or nothing
	[ -f "$1" ] || return 0
	awk -v k="$2" 'index($0, k ":") == 1 && !seen++ {
		v = substr($0, length(k) + 2); gsub(/^[ \t]+|[ \t]+$/, "", v); print v }' "$1"
}
# has_answers N WHAT: the answer file of lab N exists; if not, WHAT is not measured (a quick fail).
has_answers() {
	if [ -f "$ANS/lab$1.txt" ]; then
		pass "labs/lab$1.txt exists"
		return 0
	fi
	miss "labs/lab$1.txt: write your answers there, in the form docs/labs/lab$1.md shows"
	miss "$2: not measured until labs/lab$1.txt exists"
	return 1
}
# same GIVEN MEASURED: the same number, to three decimals (bench prints three).
same() {
	[ -n "$1" ] && [ -n "$2" ] &&
		awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^[0-9]+(\.[0-9]+)?$/ && (a - b) ^ 2 < 1e-6) }'
}
# asks FILE KEY MEASURED WHAT: one criterion, the answer against the measurement.
asks() {
	local got
	got=$(answer "$1" "$2")
	same "$got" "$3"
	check $? "$(basename "$1"): $2 is what pvos measures" \
		"${got:-no value}$([ -n "$got" ] && echo " is not what this tree measures"); $4"
}

# ---- building and booting ----
build() { nice make -s -C "$1" -j2 "${@:2}" >"$TMP/make.log" 2>&1; }
# An icount boot as tools/bench.sh makes it, from a scratch directory and
# under the same short names, so that the figures are make bench's own.
icount_boot() {	# icount_boot LOG KERNEL APPEND [INITRD]: QEMU's status
	local d=$TMP/run-${1##*/} st=0
	mkdir -p "$d"
	ln -sf "$ROOT/build/pvos.elf" "$d/pvos.elf"
	ln -sf "$ROOT/build-nopv/pvos.elf" "$d/nopv.elf"
	ln -sf "$ROOT/build/xen/xen" "$d/xen"
	(cd "$d" && exec timeout "$BOOT_TIMEOUT" nice "$QEMU" -icount shift=0,sleep=off \
		-rtc base=2026-01-01T00:00:00,clock=vm -machine pc -m 512 -cpu max,-smap \
		-display none -no-reboot -serial "file:$1" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$2" -append "$3" ${4:+-initrd "$4"}) </dev/null >/dev/null 2>&1 || st=$?
	tr -d '\r' <"$1" >"$1.c" && mv "$1.c" "$1"
	echo "$st"
}
# A plain TCG boot of ELF natively, or under Xen as dom0 (xen ELF WORDS LOG).
boot() {	# boot ELF WORDS LOG: QEMU's status (1 pass, 3 fail, 124 timeout)
	local st=0
	timeout "$BOOT_TIMEOUT" nice "$QEMU" -machine pc -m 256 -display none -no-reboot \
		-kernel "$1" -append "$2" -serial "file:$3" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		</dev/null >/dev/null 2>&1 || st=$?
	tr -d '\r' <"$3" >"$3.c" && mv "$3.c" "$3"
	echo "$st"
}
boot_xen() {	# boot_xen ELF WORDS LOG
	local st=0
	timeout "$BOOT_TIMEOUT" nice "$QEMU" -machine pc -cpu max,-smap -m 512 -display none -no-reboot \
		-kernel "$ROOT/build/xen/xen" -append "$XEN_ARGS" -initrd "$1 $2" -serial "file:$3" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1 || st=$?
	tr -d '\r' <"$3" >"$3.c" && mv "$3.c" "$3"
	echo "$st"
}
# copy_tree DEST: this tree's files without builds, answers or git, plus the
# objects and tools built so far (only what a patch touches is rebuilt).
copy_tree() {
	mkdir -p "$1/build"
	tar -C "$ROOT" --exclude=./build --exclude=./build-nopv --exclude=./.git --exclude=./labs \
		-cf - . | tar -C "$1" -xf -
	for d in obj tools xen; do
		if [ -d "$ROOT/build/$d" ]; then cp -a "$ROOT/build/$d" "$1/build/"; fi
	done
}
# per_op LOG OP: "bench: OP ... per_op=X" -> X
per_op() { awk -v op="$2" '$1 == "bench:" && $2 == op { sub(/^per_op=/, "", $5); print $5 }' "$1"; }
# total LOG OP: "bench: OP n=N total=T ..." -> T
total() { awk -v op="$2" '$1 == "bench:" && $2 == op { sub(/^total=/, "", $4); print $4 }' "$1"; }
# sites_field LOG N: field N of the first "pvops: S sites: I inline, D direct, L left indirect, R refused"
sites_field() {
	sed -n 's/^pvops: \([0-9]*\) sites: \([0-9]*\) inline, \([0-9]*\) direct, \([0-9]*\) left indirect, \([0-9]*\) refused$/\1 \2 \3 \4 \5/p' "$1" |
		awk -v n="$2" 'NR == 1 { print $n }'
}
# first_pass LOG: the verbose lines of the first patch pass (before its count).
first_pass() { awk '/^pvops: [0-9]+ sites:/ { exit } /^pvops: site /' "$1"; }
# selftests_ok LOG: QEMU said pass, every planned test is "ok", none "not ok".
selftests_ok() {
	local plan oks
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$1" | awk 'NR == 1')
	oks=$(grep -acE '^ok [0-9]+ ' "$1" || true)
	[ -n "$plan" ] && [ "$oks" = "$plan" ] && ! grep -aq '^not ok' "$1"
}
words() { echo "$1" | wc -w; }

# Each lab's criteria: the function lab1 in tests/labs/check-1.sh, and so on.
for f in "$ROOT"/tests/labs/check-[1-4].sh; do . "$f"; done

case ${1:-} in
1 | 2 | 3 | 4) echo "lab $1: grading $ROOT (docs/labs/lab$1.md)"; "lab$1"; verdict "$1" ;;
*) echo "usage: tests/labs/grade.sh 1|2|3|4 (make lab-check N=1, or make lab-check 1)" >&2; exit 2 ;;
esac
