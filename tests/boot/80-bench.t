#!/bin/bash
# `bench` runs and its numbers are sane: every count positive, and the
# PARAVIRT=0 build never slower than pvos=off (indirect calls everywhere).
# Not a performance test: `make bench` measures; docs/performance.md reads.
. "$(dirname "$0")/lib.sh"
plan 4
icount_boot() {	# icount_boot ELF ARGS LOG
	timeout "$BOOT_TIMEOUT" "$QEMU" -icount shift=0 -machine pc -m 256 -display none \
		-no-reboot -kernel "$1" -append "$2" -serial "file:$3" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1
	echo $?
}
st1=$(icount_boot "$ROOT/build-nopv/pvos.elf" bench "$TMP/nopv.log")
st2=$(icount_boot "$ROOT/build/pvos.elf" "bench pvops=off" "$TMP/off.log")
ok $(( st1 != 1 || st2 != 1 )) "bench boots pass (nopv $st1, off $st2)"
values() { tr -d '\r' <"$1" | awk '$1 == "bench:" && $3 ~ /^n=/ { split($5, x, "="); print $2, x[2] }'; }
values "$TMP/nopv.log" >"$TMP/nopv.v"; values "$TMP/off.log" >"$TMP/off.v"
[ "$(wc -l <"$TMP/nopv.v")" -ge 10 ]; ok $? "nopv printed $(wc -l <"$TMP/nopv.v") results"
! awk '$2 <= 0' "$TMP/nopv.v" "$TMP/off.v" | grep -q .; ok $? "every count is positive"
sort "$TMP/nopv.v" >"$TMP/a"; sort "$TMP/off.v" >"$TMP/b"
join "$TMP/a" "$TMP/b" | awk -v want="$(wc -l <"$TMP/a")" '
	$2 > $3 { print "# " $1 ": nopv " $2 " > off " $3; bad = 1 }
	END { if (NR != want) { print "# only " NR " of " want " ops in both"; bad = 1 }; exit bad }'
ok $? "nopv <= off for every op"
