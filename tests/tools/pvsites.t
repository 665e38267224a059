#!/usr/bin/env bash
# pvsites.t - TAP test (run by prove) of build/tools/pvsites.
#
# On build/pvos.elf: one line per .pv_sites entry (the bytes between
# __start_pv_sites and __stop_pv_sites, 16 per entry), each naming an op
# from PV_OP_LIST, exit 0; --raw gives "addr op len" per entry.  On a copy
# with one entry's op set to 999: exit 1 and that entry flagged BAD.  And
# the clear errors: missing file, non-ELF, no site table (PARAVIRT=0),
# truncated table.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PVSITES=build/tools/pvsites
ELF=build/pvos.elf

if [ ! -e "$ELF" ] || [ ! -x "$PVSITES" ]; then
    make -s "$ELF" "$PVSITES" >&2
fi
cp "$ELF" "$work/pvos.elf"	# a snapshot: the build may change under us
ELF=$work/pvos.elf

# run NAME ARGS...: pvsites ARGS; stdout+stderr in $work/NAME.out, status in $work/NAME.rc
run() {
    local name=$1 rc=0
    shift
    "$PVSITES" "$@" > "$work/$name.out" 2>&1 || rc=$?
    echo "$rc" > "$work/$name.rc"
}
rc() { [ "$(cat "$work/$1.rc")" = "$2" ]; }
says() { grep -q -- "$2" "$work/$1.out"; }
site_lines() { grep -E '^ *[0-9]+ [0-9a-f]{16} ' "$work/$1.out"; }
symval() { nm "$ELF" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }

start=$(symval __start_pv_sites) stop=$(symval __stop_pv_sites)
entries=$(( (stop - start) / 16 ))
ops=$(sed -n 's/^[[:space:]]*X(\([a-z]*\), \([a-z_0-9]*\), [A-Z]*).*/\1.\2/p' pvops/pv_ops.h | paste -sd'|')

echo "1..17"
run real "$ELF"
check "build/pvos.elf: exit 0" rc real 0
check "build/pvos.elf: has sites ($entries)" [ "$entries" -gt 0 ]
check "build/pvos.elf: one line per entry ($entries)" [ "$(site_lines real | wc -l)" = "$entries" ]
every_line_names_an_op() { ! site_lines real | grep -Evq " ($ops) +len "; }
check "every line names an op from PV_OP_LIST" every_line_names_an_op
check "summary line" says real "^pvsites: $entries sites, 0 bad;"
run raw --raw "$ELF"
check "--raw: exit 0, one 'addr op len' line per entry" \
    eval 'rc raw 0 && [ "$(grep -Ec "^[0-9a-f]{16} [0-9]+ [0-9]+$" "$work/raw.out")" = "$entries" ] &&
          [ "$(wc -l < "$work/raw.out")" = "$entries" ]'

# Corrupt entry k's op (offset 8 in the entry) to 999 (0x03e7) in a copy.
k=$((entries / 2))
read -r data_addr data_off < <(readelf -SW "$ELF" |
    awk '{ sub(/^ *\[ *[0-9]+\] */, "") } $1 == ".data" { print "0x" $3, "0x" $4 }')
off=$(( data_off + start - data_addr + 16 * k + 8 ))
cp "$ELF" "$work/bad.elf"
printf '\347\003' | dd of="$work/bad.elf" bs=1 seek="$off" conv=notrunc status=none
run bad "$work/bad.elf"
check "op 999: exit 1" rc bad 1
check "op 999: entry #$k flagged BAD as unknown op" \
    grep -Eq "^ *$k [0-9a-f]{16} .* op#999 .*BAD: unknown op" "$work/bad.out"
check "op 999: only that entry is flagged" [ "$(grep -c BAD "$work/bad.out")" = 1 ]

# patch_clobbers NAME OP BYTES: a copy, $work/NAME.elf, whose first site of
# OP records the clobber mask BYTES (offset 12, printf escapes); echoes the entry.
patch_clobbers() {
    local n
    n=$(site_lines real | awk -v op="$2" '$4 == op && !f { print $1; f = 1 }')
    cp "$ELF" "$work/$1.elf"
    printf "$3" | dd of="$work/$1.elf" bs=1 seek=$(( data_off + start - data_addr + 16 * n + 12 )) \
        conv=notrunc status=none
    echo "$n"
}

# A C-convention site that records no r11 (0x00ff), as it would if r11 were
# dropped from the wrapper's clobber list.
c=$(patch_clobbers clb cpu.io_delay '\377\000')
run clb "$work/clb.elf"
check "clobbers without r11 at a C site: exit 1, entry #$c flagged" \
    eval 'rc clb 1 && grep -Eq "^ *$c [0-9a-f]{16} .* cpu.io_delay .*BAD: .*clobbers" "$work/clb.out"'
run clbraw --raw "$work/clb.elf"
check "--raw names the entry, its op and function for check-sites" \
    grep -Eq "entry #$c, cpu.io_delay at [a-z_0-9]+\+0x[0-9a-f]+: BAD: .*clobbers" \
    "$work/clbraw.out"

# And the other way: a callee-save site (read_cr3) that records the C
# convention's clobbers (0x01ff): the compiler was told more than the op needs.
e=$(patch_clobbers clb2 mmu.read_cr3 '\377\001')
run clb2 "$work/clb2.elf"
check "C clobbers at a callee-save site: exit 1, entry #$e flagged as differing" \
    eval 'rc clb2 1 && grep -Eq "^ *$e [0-9a-f]{16} .* mmu.read_cr3 .*BAD: its recorded clobbers differ" "$work/clb2.out"'

# Errors.
run missing "$work/nonexistent.elf"
check "missing file: clear error" eval 'rc missing 2 && says missing "nonexistent.elf: No such file or directory"'
run notelf pvops/site.h
check "non-ELF input: clear error" eval 'rc notelf 2 && says notelf "not an ELF file"'
# A fake kernel with no site table, and one whose table is 8 bytes short.
cat > "$work/fake.S" <<'ASM'
	.text
	.globl _start
_start:	call *pv_ops+8(%rip)
	ret
#ifdef TRUNC
	.pushsection .pv_sites, "aw"
	.quad _start			/* half an entry */
	.popsection
#endif
	.data
	.globl pv_ops
pv_ops:	.zero 320
ASM
link() {
    gcc -c "$@" -o "$work/fake.o" "$work/fake.S" &&
        ld -nostdlib -static -z noexecstack -Ttext=0xffffffff80100000 -e _start \
            -o "$work/fake.elf" "$work/fake.o" 2>/dev/null
}
link && run nopv "$work/fake.elf"
check "no .pv_sites: says PARAVIRT=0, exit 1" eval 'rc nopv 1 && says nopv "no .pv_sites: built with PARAVIRT=0?"'
if [ -e build-nopv/pvos.elf ]; then
    run realnopv build-nopv/pvos.elf
    check "build-nopv/pvos.elf: says PARAVIRT=0, exit 1" \
        eval 'rc realnopv 1 && says realnopv "no .pv_sites: built with PARAVIRT=0?"'
else
    echo "ok $((n += 1)) # SKIP build-nopv/pvos.elf not built"
    "$(dirname "$0")/../../tools/test-skips.sh" record tests/tools/pvsites.t setup \
        "build-nopv/pvos.elf not built (make PARAVIRT=0)"
fi
link -DTRUNC && run trunc "$work/fake.elf"
check "truncated .pv_sites: clear error, exit 1" \
    eval 'rc trunc 1 && says trunc "truncated .pv_sites: 8 bytes is not a multiple of 16"'

[ "$failed" = 0 ]
