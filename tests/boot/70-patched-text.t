#!/bin/bash
# The patched kernel text, taken from the running machine rather than from
# what pvos says it wrote: boot with pvops.pause (pvos stops right after
# patching, polling its console), save the text and the live pv_ops table
# with the QEMU monitor's memsave (virtual addresses, through the CPU's own
# page tables), and check every recorded site with tests/boot/patched-text.py,
# which works out from the image alone what each site must hold: the
# backend's inline template padded in front, or a direct call to the slot's
# function ending where the site ends; and every link-time call (.pv_calls):
# a call or jmp straight to the slot's function, or nothing where that
# function is a bare ret.  Natively, and as a Xen PV dom0, where the irq ops
# are inline %gs-relative code and the rest direct calls.
. "$(dirname "$0")/lib.sh"
ELF=$ROOT/build/pvos.elf
XEN_GZ=/boot/xen-4.17-amd64.gz
XEN=$ROOT/build/xen/xen
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=64M noreboot=false"
plan 10

sym() { nm "$ELF" | awk -v s="$1" '$3 == s { print $1 }'; }
stext=$(sym _stext)
text_size=$(( 0x$(sym _etext) - 0x$stext ))
pv_ops=$(sym pv_ops)
pv_ops_size=$(nm -S "$ELF" | awk '$4 == "pv_ops" { print $2 }')
# A few bytes of text no site covers (the multiboot2 header): proof that the
# dump is pvos's text and not what another context maps at that address.
head_hex=$(objdump -s --start-address=0x$stext --stop-address=$((0x$stext + 16)) -j .text "$ELF" |
	awk 'NR > 4 { print $2 $3 $4 $5 }' | head -1)

# paused_dump NAME qemu-args...: boot with pvops.pause, dump text and table
# into $TMP/NAME.text and $TMP/NAME.table; the serial log is $TMP/NAME.log.
paused_dump() {
	local name=$1 log=$TMP/$1.log qpid
	shift
	mkfifo "$TMP/$name.mon.in" "$TMP/$name.mon.out"
	"$QEMU" -machine pc -display none -no-reboot -serial "file:$log" \
		-chardev "pipe,id=mon,path=$TMP/$name.mon" -mon chardev=mon,mode=readline "$@" \
		</dev/null >"$TMP/$name.qemu" 2>&1 &
	qpid=$!
	cat "$TMP/$name.mon.out" >"$TMP/$name.mon.log" &
	exec 3>"$TMP/$name.mon.in"
	for _ in $(seq 1 600); do grep -aq "paused after patching" "$log" 2>/dev/null && break; sleep 0.1; done
	# Under Xen the CPU may be in Xen when the monitor looks: try until the dump is pvos's.
	for _ in $(seq 1 30); do
		rm -f "$TMP/$name.text" "$TMP/$name.table"
		echo "memsave 0x$stext $text_size \"$TMP/$name.text\"" >&3
		echo "memsave 0x$pv_ops $((0x$pv_ops_size)) \"$TMP/$name.table\"" >&3
		for _ in $(seq 1 50); do [ -s "$TMP/$name.table" ] && break; sleep 0.1; done
		[ "$(head -c 16 "$TMP/$name.text" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "$head_hex" ] && break
		sleep 0.3
	done
	echo "quit" >&3
	exec 3>&-
	wait "$qpid" 2>/dev/null
	tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
}

# check NAME WHAT: the five results of one dump.
check() {
	local name=$1 what=$2 log=$TMP/$1.log out counts
	grep -aq "paused after patching" "$log"; ok $? "$what: pvos paused after patching"
	[ "$(head -c 16 "$TMP/$name.text" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "$head_hex" ] &&
		[ "$(stat -c %s "$TMP/$name.text")" = "$text_size" ]
	ok $? "$what: the QEMU monitor saved the $text_size bytes of kernel text and the table"
	out=$(python3 "$ROOT/tests/boot/patched-text.py" "$ELF" "$TMP/$name.text" "$TMP/$name.table" 2>&1)
	ok $? "$what: every site holds its backend's inline code or a direct call, padded in front; every link-time call a branch to its function or nothing"
	echo "$out" | sed 's/^/# /' | tail -n 12
	counts=$(echo "$out" | sed -n 's/^\([0-9]*\) sites: \([0-9]*\) inline, \([0-9]*\) direct$/\1 \2 \3/p')
	set -- $counts
	[ -n "$counts" ] && grep -aq "^pvops: $1 sites: $2 inline, $3 direct, 0 left indirect, 0 refused\$" "$log"
	ok $? "$what: the dump agrees with pvos's own count (${2:-?} inline, ${3:-?} direct)"
	counts=$(echo "$out" | sed -n 's/^\([0-9]*\) link-time calls: \([0-9]*\) direct, \([0-9]*\) nop$/\1 \2 \3/p')
	set -- $counts
	[ -n "$counts" ] && grep -aq "^pvops: $1 link-time calls: $2 direct, $3 nop, 0 left indirect, 0 refused\$" "$log"
	ok $? "$what: and with its count of link-time calls (${2:-?} direct, ${3:-?} nop)"
	[ "$tap_failed" = 0 ] || diag_log "$log" 10
}

paused_dump native -m 256 -kernel "$ELF" -append "pvops.pause"
check native "native"

if [ ! -f "$XEN_GZ" ]; then
	for _ in 1 2 3 4 5; do skip_test "$XEN_GZ missing (apt-get install xen-hypervisor-4.17-amd64)"; done
	exit 0
fi
make -s -C "$ROOT" build/xen/xen >/dev/null
paused_dump xen -cpu max,-smap -m 512 -kernel "$XEN" -append "$XEN_ARGS" \
	-initrd "$ELF pvops.pause"
check xen "Xen dom0"
