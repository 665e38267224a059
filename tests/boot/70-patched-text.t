#!/bin/bash
# The patched kernel text, taken from the running machine rather than from
# what pvos says it wrote: boot with pvops.pause (pvos stops right after
# patching), dump the text with the QEMU monitor's pmemsave, and disassemble
# every recorded site with objdump.  Each must be exactly the native inline
# code for its op, or a direct call to the function the native table
# (pv_native_ops, read from the image) holds for that op (a 6-byte site
# holds "cs call": one redundant prefix instead of a NOP), then NOPs.
. "$(dirname "$0")/lib.sh"
ELF=$ROOT/build/pvos.elf
KERNEL_VMA=0xffffffff80000000
plan 4

stext=$(nm "$ELF" | awk '$3 == "_stext" { print $1 }')
etext=$(nm "$ELF" | awk '$3 == "_etext" { print $1 }')
size=$(( 0x$etext - 0x$stext ))
phys=$(( 0x$stext - KERNEL_VMA ))

mkfifo "$TMP/mon.in" "$TMP/mon.out"
log=$TMP/pause.log
"$QEMU" -machine pc -m 256 -display none -no-reboot -kernel "$ELF" -append "pvops.pause" \
	-serial "file:$log" -chardev "pipe,id=mon,path=$TMP/mon" -mon chardev=mon,mode=readline \
	</dev/null >"$TMP/qemu.out" 2>&1 &
qpid=$!
cat "$TMP/mon.out" >"$TMP/mon.log" &
exec 3>"$TMP/mon.in"
for _ in $(seq 1 300); do grep -aq "paused after patching" "$log" 2>/dev/null && break; sleep 0.1; done
grep -aq "paused after patching" "$log"; ok $? "pvos paused after patching"
echo "pmemsave $phys $size \"$TMP/text.bin\"" >&3
for _ in $(seq 1 100); do [ "$(stat -c %s "$TMP/text.bin" 2>/dev/null)" = "$size" ] && break; sleep 0.1; done
echo "quit" >&3
exec 3>&-
wait "$qpid" 2>/dev/null
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
nm "$ELF" >"$TMP/nm"
[ "$(stat -c %s "$TMP/text.bin" 2>/dev/null)" = "$size" ]; ok $? "QEMU monitor saved $size bytes of kernel text"

# The native inline code each op may become (objdump's AT&T text, spaces squeezed).
expect_inline() {
	case $1 in
	irq.save_fl) echo "pushf;pop %rax" ;;
	irq.restore_fl) echo "push %rdi;popf" ;;
	irq.irq_disable) echo "cli" ;;
	irq.irq_enable) echo "sti" ;;
	irq.safe_halt) echo "sti;hlt" ;;
	irq.halt) echo "hlt" ;;
	mmu.read_cr2) echo "mov %cr2,%rax" ;;
	mmu.read_cr3) echo "mov %cr3,%rax" ;;
	mmu.write_cr3) echo "mov %rdi,%cr3" ;;
	mmu.set_pte|mmu.set_pmd|mmu.set_pud|mmu.set_p4d) echo "mov %rsi,(%rdi)" ;;
	mmu.pte_clear) echo "andq \$0x0,(%rdi)" ;;
	mmu.flush_tlb_one) echo "invlpg (%rdi)" ;;
	mmu.flush_tlb_local) echo "mov %cr3,%rax;mov %rax,%cr3" ;;
	mmu.make_pte|mmu.pte_val|mmu.alloc_pt|mmu.release_pt|mmu.lazy_mmu_*|lock.kick) echo "" ;;
	lock.spin_unlock) echo "addw \$0x2,(%rdi)" ;;
	cpu.io_delay) echo "out %al,\$0x80" ;;
	cpu.wbinvd) echo "wbinvd" ;;
	*) echo "CALL" ;;
	esac
}

# Disassemble one site of the dump: "insn;insn;..." without the trailing NOPs.
site_code() {	# site_code ADDR LEN
	objdump -D -b binary -m i386:x86-64 --adjust-vma="0x$stext" \
		--start-address=$((0x$1)) --stop-address=$((0x$1 + $2)) "$TMP/text.bin" |
		awk -F'\t' 'NF >= 3 { gsub(/ +/, " ", $3); sub(/ *#.*$/, "", $3); print $3 }' |
		grep -vE '^(nop|xchg %ax,%ax|data16|cs nop)' | paste -sd ';'
}

# The native table as built: one 8-byte slot per op, op number = index,
# read from the file at .rodata's file offset.
native_table() {
	local at size sec fileoff
	at=$(nm -S "$ELF" | awk '$4 == "pv_native_ops" { print $1 }')
	size=$(nm -S "$ELF" | awk '$4 == "pv_native_ops" { print $2 }')
	read -r sec fileoff < <(objdump -h "$ELF" | awk '$2 == ".rodata" { print $4, $6 }')
	[ -n "$at" ] && [ -n "$size" ] && [ -n "$sec" ] || return 1
	od -An -v -tx8 -w8 -j $((0x$fileoff + 0x$at - 0x$sec)) -N $((0x$size)) "$ELF" | tr -d ' '
}
native_table >"$TMP/native"
is_native_fn() {	# is_native_fn HEX-ADDRESS OP-NUMBER: the native table's function for that op
	[ "$(sed -n "$(($2 + 1))p" "$TMP/native")" = "$1" ]
}

bad=0 n=0 inline=0 direct=0
while read -r _ addr _ op _ len _ opnum _; do
	n=$((n + 1))
	code=$(site_code "$addr" "$len")
	want=$(expect_inline "$op")
	if [ "$want" = CALL ]; then
		target=$(echo "$code" | sed -nE 's/^(cs )?call 0x([0-9a-f]+)$/\2/p')
		if [ -n "$target" ] && is_native_fn "$(printf '%016x' $((0x$target)))" "$opnum"; then
			direct=$((direct + 1)); continue
		fi
	elif [ "$code" = "$want" ]; then
		inline=$((inline + 1)); continue
	fi
	echo "# site $addr $op: found '$code', want '${want/CALL/call <native fn>}'"
	bad=$((bad + 1))
done < <(paste -d' ' <("$ROOT/build/tools/pvsites" "$ELF" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $6 }') \
	<("$ROOT/build/tools/pvsites" --raw "$ELF"))
echo "# $n sites in the dump: $inline native inline, $direct direct calls to native functions"
[ "$n" -gt 0 ] && [ "$bad" = 0 ]; ok $? "every site is native inline code or a direct call to the native function, then NOPs"
has "^pvops: $n sites: $inline inline, $direct direct, 0 left indirect, 0 refused\$" "$log"
ok $? "the dump agrees with pvos's own count ($inline inline, $direct direct)"
diag_log "$log"
