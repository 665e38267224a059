#!/bin/bash
# Console input reaches pvos natively (the serial line): the `echo` word
# reads one line with the editing a person expects and prints it back.
# xen-dom0.t does the same through Xen's console_io, tests/xen/domu.t
# through a domU's console ring.
. "$(dirname "$0")/lib.sh"
plan 6
TYPE="$ROOT/tests/boot/qemu-type.sh"
QARGS=(-machine pc -m 256 -display none -no-reboot -kernel "$ROOT/build/pvos.elf"
	-append echo -device isa-debug-exit,iobase=0xf4,iosize=4)

# A typo erased with DEL, a line erased with Ctrl-U, binary bytes, CR LF.
log=$TMP/echo.log
st=0
"$TYPE" "$BOOT_TIMEOUT" "$log" '^echo: ready' \
	'junk\x15hellx\x7fo \x01\x02\xffpvos 42\r\n' "${QARGS[@]}" || st=$?
has '^echo: ready; type a line and press Enter$' "$log"; ok $? "echo: the prompt"
has '^echo: hello pvos 42$' "$log"; ok $? "echo: the edited line came back (DEL, Ctrl-U, binary bytes dropped)"
[ "$st" = 1 ]; ok $? "echo: then pvos exits passing (QEMU status $st, want 1)"
diag_log "$log"

# More than the 79 characters the line holds: said, and the rest dropped.
log=$TMP/long.log
long=$(printf 'x%.0s' $(seq 200))
st=0
"$TYPE" "$BOOT_TIMEOUT" "$log" '^echo: ready' "$long\r" "${QARGS[@]}" || st=$?
has '^echo: line too long; the first 79 characters were kept$' "$log"
ok $? "an overlong line is reported"
has "^echo: $(printf 'x%.0s' $(seq 79))\$" "$log"; ok $? "and the 79 that fit are kept"
[ "$st" = 1 ]; ok $? "and pvos exits passing (QEMU status $st, want 1)"
diag_log "$log"
exit "$tap_failed"
