#!/usr/bin/env bash
# tools/bench.sh [--no-kvm] (what `make bench` runs): boot every variant of
# pvos with `bench` under `qemu -icount shift=0`, where the guest's TSC
# counts instructions exactly, and gather what kernel/bench.c prints into
#
#   build/bench.csv             op,variant,instructions_per_op
#   build/bench-hypercalls.csv  op,variant,hypercalls_per_op,hypercalls (Xen)
#   build/bench-kvm.csv         KVM's own exit counts (tests/kvm/measure-exits.sh)
#   build/bench.png             the plot (gnuplot)
#   build/boot-VARIANT.txt      each boot's "pvops: backend" and "pvops: N sites" lines
#   build/bench-locks.csv       setup,pvspin,acquisitions_per_sec (kernel/lockbench.c)
#   build/bench-locks-kvm.csv   the same under nested KVM (also tests/kvm/pvos-kvm.t)
#   build/bench-size.csv        build,text_bytes,sites,site_bytes,padding_bytes,calls,jmps:
#                               what rooms cost, and the link-time calls (jmps: tail calls)
#
# ICOUNT has sleep=off: when the guest idles (Xen does, between its own
# timers), QEMU jumps its clock to the next deadline instead of letting
# real time pass, so nothing in a run depends on how busy the host is.
#
# QEMU gives a multiboot kernel its own file name at the head of its command
# line, and Xen passes a module's name to dom0: so the paths Xen and pvos
# are loaded from are part of what runs, and a Xen figure moved with the
# repository's place (map_touch_unmap 3443.146 in one checkout, 3443.152 in
# another).  Every boot here runs in the scratch directory, with the images
# under the same short names (xen, pvos.elf, nopv.elf) wherever the tree is.
#
# and print one table, op x variant, each with its ratio to nopv, then the
# goals of docs/performance.md with their figures (tools/figures.py --goals).
# --plot only redraws build/bench.png from build/bench.csv.
# --no-kvm leaves out the KVM exit counts (tests/boot/80-bench.t: the
# nested-KVM suite measures those itself).  docs/ quote these files;
# `make docs` rewrites the figures there, and `make test` checks them.
# Variants: nopv (PARAVIRT=0), off (pvops=off), native (patched), xen-off and
# xen (Xen 4.17 in QEMU, pvos as PV dom0), xen-unbatched and xen-batched
# (pte updates outside and inside lazy-MMU mode, in the xen boot).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=64M noreboot=false"
work=$(mktemp -d /tmp/pvos-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$B/xen/xen" "$work/xen"
ln -s "$B/pvos.elf" "$work/pvos.elf"
ln -s "$ROOT/build-nopv/pvos.elf" "$work/nopv.elf"
VARIANTS="nopv off native native-pvspin xen-off xen"
ICOUNT=shift=0,sleep=off
# The RTC too: by default it runs on the host's clock, and Xen reads it at
# boot, waiting for its update cycle, so how long that wait was depended on
# when in the host's second the boot began (one lock acquisition in 73,000
# differed between two checkouts).  On the virtual clock from a fixed date
# it is the same every run.
RTC="-rtc base=2026-01-01T00:00:00,clock=vm"

qemu() {	# qemu LOG qemu-args...: one icount boot; fails loudly
	local log=$1 st=0
	shift
	(cd "$work" && exec timeout 180 qemu-system-x86_64 -icount "$ICOUNT" $RTC -machine pc -m 512 \
		-display none -no-reboot -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		"$@") </dev/null >"$log.qemu" 2>&1 || st=$?
	tr -d '\r' <"$log" >"$log.c" && mv "$log.c" "$log"
	if [ "$st" != 1 ] || ! grep -q '^bench: done' "$log"; then
		echo "bench: a boot failed (QEMU status $st): $*" >&2
		tail -n 15 "$log" >&2
		exit 1
	fi
}

boot_variant() {	# boot_variant NAME: leaves $work/NAME.log
	case $1 in
	nopv) qemu "$work/$1.log" -kernel nopv.elf -append bench ;;
	off) qemu "$work/$1.log" -kernel pvos.elf -append "bench pvops=off" ;;
	native) qemu "$work/$1.log" -kernel pvos.elf -append bench ;;
	native-pvspin) qemu "$work/$1.log" -kernel pvos.elf -append "bench pvspin=force" ;;
	xen-off) qemu "$work/$1.log" -cpu max,-smap -kernel xen -append "$XEN_ARGS" \
		-initrd "pvos.elf bench pvops=off" ;;
	xen) qemu "$work/$1.log" -cpu max,-smap -kernel xen -append "$XEN_ARGS" \
		-initrd "pvos.elf bench" ;;
	esac
}

# "bench: OP n=N total=T per_op=X" -> "OP,VARIANT,X" (pte updates unbatched are "pte_update").
to_csv() {	# to_csv VARIANT LOG
	awk -v v="$1" '$1 == "bench:" && $3 ~ /^n=/ {
		op = $2; split($5, x, "=")
		if (op ~ /_hypercalls$/) next
		if (op == "pte_update_batched") { if (v == "xen") print "pte_update,xen-batched," x[2]; next }
		if (op == "pte_update_unbatched") { op = "pte_update"; if (v == "xen") print "pte_update,xen-unbatched," x[2] }
		print op "," v "," x[2] }' "$2"
}

hypercalls_csv() {	# from the xen boot: hypercalls per pte update, batched and not
	awk '$1 == "bench:" && $2 ~ /_hypercalls$/ { split($4, t, "="); split($5, x, "=")
		v = ($2 ~ /unbatched/) ? "xen-unbatched" : "xen-batched"
		print "pte_update," v "," x[2] "," t[2] }' "$work/xen.log"
}

print_table() {
	awk -F, -v vars="$VARIANTS xen-unbatched xen-batched" '
		NR > 1 { val[$1 "," $2] = $3; if (!($1 in seen)) { seen[$1] = 1; ops[++n] = $1 } }
		END {
			nv = split(vars, v, " ")
			printf "%-20s", "instructions/op"
			for (j = 1; j <= nv; j++) printf " %17s", v[j]
			printf "\n"
			for (i = 1; i <= n; i++) {
				printf "%-20s", ops[i]
				base = (ops[i] ",nopv") in val ? val[ops[i] ",nopv"] : 0
				for (j = 1; j <= nv; j++) {
					k = ops[i] "," v[j]
					if (!(k in val)) { printf " %17s", "-"; continue }
					if (base > 0) printf " %9.1f (%5.2fx)", val[k], val[k] / base
					else printf " %17.1f", val[k]
				}
				printf "\n"
			}
		}' "$B/bench.csv"
}

# Bytes of kernel text with and without pv_ops, how many of them the
# recorded sites own (padding: what each site holds beyond its 6-byte call),
# and how many link-time calls the build found, of which tail-call jmps.
size_row() {	# size_row NAME ELF
	local text sites calls
	text=$(readelf -SW "$2" | sed 's/\[ */[/' | awk '$2 == ".text" { print $6 }')
	# PARAVIRT=0 has no site table: pvsites says so and fails, and that is 0 sites.
	sites=$({ "$B/tools/pvsites" --raw "$2" 2>/dev/null || true; } |
		awk '{ n++; b += $3; p += $3 - 6 } END { print n + 0 "," b + 0 "," p + 0 }')
	calls=$({ "$B/tools/pvsites" --raw-calls "$2" 2>/dev/null || true; } |
		awk '{ n++; j += $3 == 2 } END { print n + 0 "," j + 0 }')
	echo "$1,$((0x$text)),$sites,$calls"
}

plot() {
	awk -F, 'NR > 1 && $1 != "patch_site" && $1 != "pte_update" { print }' "$B/bench.csv" >"$work/plot.csv"
	gnuplot <<-GP
	set terminal pngcairo size 1200,600 font "sans,10" noenhanced
	set output "$B/bench.png"
	set title "pvos: instructions per op (qemu -icount shift=0; log scale)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set logscale y
	set yrange [0.5:*]
	set ylabel "instructions per op"
	set xtics rotate by -30
	set key top left
	set datafile separator ","
	ops = system("cut -d, -f1 $work/plot.csv | awk '!s[\$0]++' | tr '\n' ' '")
	vars = "$VARIANTS"
	val(op, v) = real(system(sprintf("awk -F, '\$1==\"%s\" && \$2==\"%s\" {print \$3}' $work/plot.csv", op, v)))
	set print "$work/matrix.dat"
	do for [op in ops] { print sprintf("%s %s", op, system(sprintf("awk -F, '\$1==\"%s\" {printf \"%%s \", \$3}' $work/plot.csv", op))) }
	unset print
	set datafile separator whitespace
	plot for [i=2:words(vars)+1] "$work/matrix.dat" using i:xtic(1) title word(vars, i-1)
	GP
}

# Lock throughput with 4 vCPUs contending (kernel/lockbench.c), paravirtual
# waiting against plain spinning: natively (single-threaded TCG gives each
# vCPU its turn: 4 on 1), and under Xen with 4 dom0 vCPUs on QEMU's one CPU
# (4:1 overcommit, Xen time-slices them).  All under -icount: repeatable.
lock_boot() {	# lock_boot NAME qemu-args...: leaves $work/lock-NAME.log
	local log=$work/lock-$1.log st=0
	shift
	(cd "$work" && exec timeout 300 qemu-system-x86_64 -icount "$ICOUNT" $RTC -machine pc -m 512 \
		-display none -no-reboot -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		"$@") </dev/null >"$log.qemu" 2>&1 || st=$?
	tr -d '\r' <"$log" >"$log.c" && mv "$log.c" "$log"
	if [ "$st" != 1 ] || ! grep -q '^lockbench: total' "$log"; then
		echo "bench: a lockbench boot failed (QEMU status $st): $*" >&2
		tail -n 15 "$log" >&2
		exit 1
	fi
}

# Xen twice: its credit scheduler (30 ms time slices; the default until Xen
# 4.12) and credit2 (4.17's default: shorter slices, and a woken vCPU may
# preempt), since how much spinning wastes depends on the slice.
lock_rows() {	# lock_rows: build/bench-locks.csv
	local x="$XEN_ARGS dom0_max_vcpus=4" v
	lock_boot native-spin -smp 4 -kernel pvos.elf -append "lockbench"
	lock_boot native-pv -smp 4 -kernel pvos.elf -append "lockbench pvspin=force"
	for v in credit credit2; do
		lock_boot "xen-$v-spin" -smp 1 -cpu max,-smap -kernel xen \
			-append "$x sched=$v" -initrd "pvos.elf lockbench pvspin=off"
		lock_boot "xen-$v-pv" -smp 1 -cpu max,-smap -kernel xen \
			-append "$x sched=$v" -initrd "pvos.elf lockbench"
	done
	{
		echo "setup,pvspin,acquisitions_per_sec"
		for v in native-spin native-pv xen-credit-spin xen-credit-pv xen-credit2-spin xen-credit2-pv; do
			awk -v v="$v" '$2 == "total" { split($6, p, "="); split($7, s, "=")
				sub(/-(spin|pv)$/, "", v); print v "," s[2] "," p[2] }' "$work/lock-$v.log"
		done
	} >"$B/bench-locks.csv"
	awk -F, 'NR > 1 { r[$1 "," $2] = $3 } END {
		printf "\nlock acquisitions per second of guest time, 4 vCPUs contending:\n"
		printf "  native (4 vCPUs take turns on one thread): plain %d, pv lock %d\n", r["native,off"], r["native,on"]
		for (s = 1; s <= 2; s++) { x = s == 1 ? "xen-credit" : "xen-credit2"
			printf "  %s (4 vCPUs on 1 CPU): plain spinning %d, pv wait/kick %d: %.1fx\n",
				x, r[x ",off"], r[x ",on"], r[x ",on"] / r[x ",off"] } }' "$B/bench-locks.csv"
}

# The same under nested KVM (L2's 4 vCPUs on L1's one), not under -icount:
# the figures vary, the pages quote only which is faster.
kvm_locks() {
	local v pv spin
	for v in pv spin; do
		PVOS_KVM_MODE=nested "$ROOT/tests/kvm/run-nested.sh" --smp 4 --timeout 240 \
			"$B/pvos.elf" "lockbench$([ $v = spin ] && echo ' pvspin=off')" \
			>"$work/kvm-lock-$v.log" 2>"$work/kvm-lock-$v.err" || true
	done
	pv=$(awk '$2 == "total" { split($6, p, "="); print p[2] }' "$work/kvm-lock-pv.log")
	spin=$(awk '$2 == "total" { split($6, p, "="); print p[2] }' "$work/kvm-lock-spin.log")
	if [ -z "$pv" ] || [ -z "$spin" ]; then
		echo "bench: nested KVM lockbench failed:" >&2
		tail -n 5 "$work/kvm-lock-pv.err" "$work/kvm-lock-spin.err" >&2
		return 1
	fi
	printf 'setup,pvspin,acquisitions_per_sec\nkvm-nested,on,%s\nkvm-nested,off,%s\n' "$pv" "$spin" \
		>"$B/bench-locks-kvm.csv"
	echo "  nested KVM (4 vCPUs on L1's one): plain spinning $spin, pv wait/kick $pv"
}

# KVM's own exit counts, from real counter windows only (measure-exits.sh
# writes the CSV only when every counter came back).  77: cannot run here.
kvm_exits() {
	local st=0
	echo "bench: KVM exit counts (tests/kvm/measure-exits.sh, nested KVM: about a minute)" >&2
	# Nested always: the trusted path, and what the pages quote (tools/figures.py).
	PVOS_KVM_MODE=nested "$ROOT/tests/kvm/measure-exits.sh" "$B/bench-kvm.csv" \
		>"$work/kvm.out" 2>"$work/kvm.err" || st=$?
	if [ "$st" = 77 ]; then
		echo "KVM exit counts not measured: $(grep -m1 SKIP "$work/kvm.out" "$work/kvm.err" | sed 's/.*SKIP //')"
		return 0
	elif [ "$st" != 0 ]; then
		echo "bench: KVM exit counts failed (status $st):" >&2
		cat "$work/kvm.err" >&2
		return 1
	fi
	awk -F, 'NR > 1 { printf "KVM exits per 1,000 %s: %s with the pv op, %s without (%s)\n",
		($1 ~ /timer/ ? "timer interrupts (PV EOI)" : "io_delay calls (NOP io_delay)"), $2, $3, $4 }' \
		"$B/bench-kvm.csv"
}

plot_locks() {	# build/bench-locks.png from build/bench-locks.csv
	awk -F, 'NR > 1 { v[$1 "," $2] = $3 } END {
		print "native", v["native,off"], v["native,on"]
		print "xen-credit", v["xen-credit,off"], v["xen-credit,on"]
		print "xen-credit2", v["xen-credit2,off"], v["xen-credit2,on"] }' "$B/bench-locks.csv" \
		>"$work/locks.dat"
	gnuplot <<-GP
	set terminal pngcairo size 900,450 font "sans,10" noenhanced
	set output "$B/bench-locks.png"
	set title "pvos lockbench: 4 vCPUs, one lock (qemu -icount; Xen: 4 vCPUs on 1 CPU)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set ylabel "lock acquisitions per second of guest time"
	set yrange [0:*]
	set key top right
	plot "$work/locks.dat" using 2:xtic(1) title "plain spinning", "" using 3 title "paravirtual (pvspin)"
	GP
}

main() {
	local kvm=1
	case ${1:-} in
	--no-kvm) kvm='' ;;
	--plot) plot; plot_locks; return ;;	# the plots again from the CSV files
	esac
	make -s -C "$ROOT" build/pvos.elf build/xen/xen build/tools/pvsites >/dev/null
	make -s -C "$ROOT" PARAVIRT=0 build-nopv/pvos.elf >/dev/null
	echo "op,variant,instructions_per_op" >"$B/bench.csv"
	for v in $VARIANTS; do
		echo "bench: booting $v" >&2
		boot_variant "$v"
		to_csv "$v" "$work/$v.log" >>"$B/bench.csv"
		# The boot's two pvops lines, for the pages that show them (figures.py).
		grep -aE '^pvops: (backend|[0-9]+ sites)' "$work/$v.log" >"$B/boot-$v.txt"
	done
	{ echo "op,variant,hypercalls_per_op,hypercalls"; hypercalls_csv; } >"$B/bench-hypercalls.csv"
	{ echo "build,text_bytes,sites,site_bytes,padding_bytes,calls,jmps"
	  size_row nopv "$ROOT/build-nopv/pvos.elf"; size_row pvos "$B/pvos.elf"; } >"$B/bench-size.csv"
	print_table
	echo
	awk -F, 'NR > 1 { printf "hypercalls per pte update, %s: %s (%s in all)\n", $2, $3, $4 }' \
		"$B/bench-hypercalls.csv"
	plot && echo "plot: build/bench.png"
	echo "bench: lockbench boots (native and Xen, 4 vCPUs)" >&2
	lock_rows
	plot_locks && echo "plot: build/bench-locks.png"
	[ -z "$kvm" ] || { kvm_locks && kvm_exits; }
	echo
	(cd "$ROOT" && python3 tools/figures.py --goals --allow-missing bench-kvm.csv \
		--allow-missing bench-locks-kvm.csv)
}

main "$@"
