#!/usr/bin/env bash
# pvcalls.t - TAP test (run by prove) of build/tools/pvcalls on the real
# first link, build/pvos.stage1.elf (linked with ld -q).
#
# It must find link-time calls (some of them tail-call jmps) to one
# trampoline per C-convention op of PV_OP_LIST, and agree with what the
# second link embeds: build/pvcalls.S, and the .pv_calls table of
# build/pvos.elf as build/tools/pvsites --raw-calls reads and checks it.
# On a copy whose one call's opcode byte is changed, it must refuse that
# reference, naming the function; and fail clearly on a link without
# relocations (build/pvos.elf) and on a PARAVIRT=0 kernel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PVCALLS=build/tools/pvcalls

if [ ! -e build/pvos.elf ] || [ ! -x "$PVCALLS" ] || [ ! -x build/tools/pvsites ]; then
    make -s build/pvos.elf "$PVCALLS" build/tools/pvsites >&2
fi
cp build/pvos.stage1.elf "$work/stage1.elf"	# snapshots: the build may change under us
cp build/pvos.elf "$work/pvos.elf"
cp build/pvcalls.S "$work/pvcalls.S"

# run NAME ARGS...: pvcalls ARGS; stdout in $work/NAME.out, stderr in .err, status in .rc
run() {
    local name=$1 rc=0
    shift
    "$PVCALLS" "$@" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
    echo "$rc" > "$work/$name.rc"
}
rc() { [ "$(cat "$work/$1.rc")" = "$2" ]; }
says() { grep -q -- "$2" "$work/$1.err"; }

echo "1..11"
run list --list "$work/stage1.elf"
check "stage 1: exit 0, nothing refused" eval 'rc list 0 && [ ! -s "$work/list.err" ]'
read -r total calls jmps tramps < <(sed -n \
    's/^pvcalls: \([0-9]*\) link-time calls (\([0-9]*\) call, \([0-9]*\) jmp) to \([0-9]*\) trampolines$/\1 \2 \3 \4/p' \
    "$work/list.out") || true
c_ops=$(grep -cE '^[[:space:]]*(ASM|FN)\([a-z]+, [a-z_0-9]+, C,' pvops/pv_ops.h)
echo "# $total link-time calls ($calls call, $jmps jmp) to $tramps trampolines; $c_ops C ops"
check "some calls and some tail-call jmps (${total:-?} = ${calls:-?} + ${jmps:-?})" \
    eval '[ "${calls:-0}" -gt 0 ] && [ "${jmps:-0}" -gt 0 ] && [ "$total" = $((calls + jmps)) ]'
check "one trampoline per C op of PV_OP_LIST ($c_ops)" [ "${tramps:-0}" = "$c_ops" ]
check "one line per call, each of a C op" \
    eval '[ "$(grep -cE "^[0-9a-f]{16} [0-9]+ (call|jmp) [a-z]+\.[a-z_0-9]+$" "$work/list.out")" = "$total" ]'
check "build/pvcalls.S has one entry per call" \
    [ "$(grep -c '^[[:space:]]*\.quad 0x' "$work/pvcalls.S")" = "$total" ]

# The second link's table, as pvsites reads and checks it, is the same list.
rawcalls() { build/tools/pvsites --raw-calls "$work/pvos.elf"; }
listed() { awk '$1 ~ /^[0-9a-f]+$/ { print $1, $2, ($3 == "jmp" ? 2 : 1) }' "$work/list.out"; }
check "pvsites --raw-calls on build/pvos.elf: exit 0" eval 'rawcalls > "$work/raw" 2> "$work/raw.err"'
check "pvsites lists the same calls, ops and kinds" cmp -s "$work/raw" <(listed)
sites=$(build/tools/pvsites --raw "$work/pvos.elf" | wc -l)
check "pvsites still lists the recorded sites beside them ($sites)" [ "$sites" -gt 0 ]

# One call's e8 turned into 90 (nop) in a copy: its relocation now follows no call.
read -r addr _ <<< "$(head -n 1 "$work/list.out")"
read -r text_addr text_off < <(readelf -SW "$work/stage1.elf" |
    awk '{ sub(/^ *\[ *[0-9]+\] */, "") } $1 == ".text" { print "0x" $3, "0x" $4 }')
cp "$work/stage1.elf" "$work/bad.elf"
printf '\220' | dd of="$work/bad.elf" bs=1 seek=$(( text_off + 0x$addr - text_addr )) conv=notrunc status=none
fn=$(nm -n "$work/stage1.elf" | awk -v a="$addr" '$2 ~ /^[tT]$/ && $1 <= a { f = $3 } END { print f }')
run bad -o "$work/bad.S" "$work/bad.elf"
check "a call made into a nop: refused, naming $fn+0x.., no table written" \
    eval 'rc bad 1 && says bad "$fn+0x[0-9a-f]*.*rel32 not after a call (e8) or jmp (e9)" && [ ! -e "$work/bad.S" ]'

run final --list "$work/pvos.elf"
check "the second link (no relocations): exit 2, says to use ld -q" \
    eval 'rc final 2 && says final "no relocations: link the first pass with ld -q"'
if [ -e build-nopv/pvos.stage1.elf ]; then
    run nopv --list build-nopv/pvos.stage1.elf
    check "PARAVIRT=0: exit 2, no trampolines" eval 'rc nopv 2 && says nopv "PARAVIRT=0?"'
else
    echo "ok $((n += 1)) # SKIP build-nopv/pvos.stage1.elf not built"
    tools/test-skips.sh record tests/tools/pvcalls.t setup "build-nopv/pvos.stage1.elf not built (make PARAVIRT=0)"
fi

[ "$failed" = 0 ]
