#!/bin/bash
# The shipped ISO boots through GRUB (multiboot2) to pvos's banner and
# through the whole boot sequence, on the default menu entry: with BIOS
# GRUB, and with UEFI GRUB under OVMF.
. "$(dirname "$0")/lib.sh"
plan 7
log=$TMP/iso.log
seen=$(boot_until_idle "$log" -cdrom "$ROOT/build/pvos.iso")
ok "$seen" "ISO boots to 'boot complete'"
has '^pvos [0-9.]+: a teaching kernel for paravirtualization' "$log"; ok $? "banner on serial"
has 'boot: entered via multiboot2' "$log"; ok $? "entered through multiboot2"
has '^pvops: backend native \(' "$log"; ok $? "native backend chosen under TCG"
has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log"
ok $? "every site patched"
diag_log "$log"

OVMF=/usr/share/ovmf/OVMF.fd
if [ -r "$OVMF" ]; then
	log=$TMP/uefi.log
	seen=$(boot_until_idle "$log" -bios "$OVMF" -cdrom "$ROOT/build/pvos.iso")
	ok "$seen" "UEFI (OVMF): the ISO boots to 'boot complete'"
	has '^pvops: [0-9]+ sites: [0-9]+ inline, [0-9]+ direct, 0 left indirect, 0 refused$' "$log" &&
		! has '^error: ' "$log" && has '; consoles: serial \(COM1\)$' "$log"
	ok $? "UEFI: every site patched, no GRUB error, no VGA text console claimed"
	diag_log "$log"
else
	skip_test "UEFI boot: no OVMF firmware ($OVMF; package ovmf)"
	skip_test "UEFI checks: no OVMF firmware ($OVMF; package ovmf)"
fi
