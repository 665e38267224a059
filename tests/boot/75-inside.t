#!/bin/bash
# docs/inside.md's commands, run as the page shows them, on the site it
# picks: the QEMU monitor's x/16xb and x/2i at a paused pvos, and gdb's
# hbreak / x / finish around the patcher.  What they show must be what
# the page says, and what pvos itself printed (pvops.verbose).
. "$(dirname "$0")/lib.sh"
ELF=$ROOT/build/pvos.elf
plan 6
cd "$ROOT"

# The page's first command, and SITE as the page defines it.
line=$(build/tools/pvsites build/pvos.elf | grep 'expect_fault+.*irq.save_fl' | head -1)
SITE=0x$(echo "$line" | awk '{ print $2 }')
fo=$(( $(echo "$line" | awk '{ print $3 }' | sed 's/.*+//') ))	# its offset in expect_fault
# Where the page says the native code starts in the site (x/2i SITE+OFF),
# and the bytes docs/pvops.md says pvos writes there.
OFF=$(sed -n 's|^    x/2i SITE+\([0-9]*\)$|\1|p' docs/inside.md)
PAGE=$(sed -n 's/^    pvops: site .* -> \(.*\) (inline)$/\1/p' docs/pvops.md | sed -n 1p)
# What pvos says it wrote there, as "xx xx ...".
verbose_after() { sed -n "s/^pvops: site ${SITE#0x} .* -> \\(.*\\) (inline)\$/\\1/p" "$1"; }
# "0x9c 0x58 ..." (gdb) or "9c 58 ..." (monitor) rows -> "9c 58 ...".
bytes_of() { grep -oE '0x[0-9a-f]{2}\b' | sed 's/^0x//' | paste -sd' '; }

# ---- the QEMU monitor ----
mkfifo "$TMP/mon.in" "$TMP/mon.out"
"$QEMU" -machine pc -m 256 -display none -no-reboot -kernel "$ELF" \
	-append "pvops.verbose pvops.pause" -serial "file:$TMP/mon.log" \
	-chardev "pipe,id=mon,path=$TMP/mon" -mon chardev=mon,mode=readline \
	-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1 &
qpid=$!
cat "$TMP/mon.out" >"$TMP/monitor.txt" &
exec 3>"$TMP/mon.in"
for _ in $(seq 1 300); do grep -aq "paused after patching" "$TMP/mon.log" 2>/dev/null && break; sleep 0.1; done
echo "x/16xb $SITE" >&3
echo "x/2i $SITE+$OFF" >&3
sleep 1
echo quit >&3
exec 3>&-
wait "$qpid" 2>/dev/null
tr -d '\r' <"$TMP/mon.log" >"$TMP/mon.clean" && mv "$TMP/mon.clean" "$TMP/mon.log"
tr -d '\r' <"$TMP/monitor.txt" >"$TMP/m.clean" && mv "$TMP/m.clean" "$TMP/monitor.txt"

want=$(verbose_after "$TMP/mon.log")
got=$(grep -E '^[0-9a-f]{16}: 0x' "$TMP/monitor.txt" | bytes_of)
[ -n "$want" ] && [ "$got" = "$want" ]
ok $? "monitor: x/16xb $SITE shows what pvos wrote ($want)"
[ -n "$PAGE" ] && [ "$got" = "$PAGE" ]
ok $? "the bytes docs/pvops.md shows: $PAGE"
grep -Eq 'pushf' "$TMP/monitor.txt" && grep -Eq 'pop[q]? +%rax' "$TMP/monitor.txt"
ok $? "monitor: x/2i SITE+$OFF is pushf; pop %rax"

# ---- gdb ----
"$QEMU" -machine pc -m 256 -display none -no-reboot -kernel "$ELF" -append "pvops.verbose" \
	-serial "file:$TMP/gdb.log" -device isa-debug-exit,iobase=0xf4,iosize=4 -s -S \
	</dev/null >/dev/null 2>&1 &
qpid=$!
timeout 120 gdb -q -batch -nx "$ELF" -ex 'target remote :1234' -ex 'hbreak pvops_patch_all' \
	-ex continue -ex "x/16xb $SITE" -ex finish -ex "x/16xb $SITE" -ex "x/2i $SITE+$OFF" \
	>"$TMP/gdb.txt" 2>&1
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
tr -d '\r' <"$TMP/gdb.log" >"$TMP/gdb.clean" && mv "$TMP/gdb.clean" "$TMP/gdb.log"

rows=$(grep -E '^0x[0-9a-f]+ <expect_fault\+[0-9]+>:' "$TMP/gdb.txt")
before=$(echo "$rows" | sed -n 1,2p | sed 's/^[^:]*://' | bytes_of)
after=$(echo "$rows" | sed -n 3,4p | sed 's/^[^:]*://' | bytes_of)
unpatched=$(objdump -s --start-address="$SITE" --stop-address=$((SITE + 16)) -j .text "$ELF" |
	awk 'NR > 4 { print $2 $3 $4 $5 }' | tr -d '\n' | cut -c1-32 | sed 's/../& /g; s/ $//')
[ -n "$before" ] && [ "$before" = "$unpatched" ]
ok $? "gdb: at hbreak pvops_patch_all the site holds the compiler's bytes ($unpatched)"
want=$(verbose_after "$TMP/gdb.log")
[ -n "$after" ] && [ "$after" = "$want" ]
ok $? "gdb: after finish it holds what pvos wrote ($after)"
grep -Eq "<expect_fault\\+$((fo + OFF))>:[[:space:]]+pushf" "$TMP/gdb.txt" &&
	grep -Eq "<expect_fault\\+$((fo + OFF + 1))>:[[:space:]]+pop +%rax" "$TMP/gdb.txt"
ok $? "gdb: x/2i SITE+$OFF is pushf; pop %rax"
[ "$tap_failed" = 0 ] || { sed 's/^/# /' "$TMP/monitor.txt" | tail -8; sed 's/^/# /' "$TMP/gdb.txt" | tail -12; }
