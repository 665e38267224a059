#!/usr/bin/env bash
# tools/samples.sh: the boots whose output README.md and docs/ show.
#
# A page that shows what pvos prints must show what this build prints, so
# `make docs` and `make docs-check` boot it here and tools/figures.py cuts
# the sample blocks out of these logs (build/samples/NAME.log):
#
#   tcg          make run's boot: the ISO through GRUB, default options
#   tcg-verbose  pvops.verbose natively: every site's bytes before and after
#   xen          make run-xen's boot: pvos as Xen dom0, default options
#   xen-verbose  pvops.verbose as Xen dom0
#   tcg-pvops-kvm  pvops=kvm where there is no KVM: the fallback line
#   kvm-verbose  pvops.verbose (and selftest, so that it ends) under real
#                KVM nested in QEMU TCG: ~60 s, so only when named; the
#                plan viewer's test compares `pvsites --plan kvm` with it
#
# The KVM and domU samples come from the boots make test already runs
# (tests/kvm/lib.sh and tests/xen/domu.t keep their logs in build/): they
# take a minute each, too long to repeat here.  Each boot stops once pvos
# says boot is complete; one that does not get there fails this script.
# Usage: tools/samples.sh [NAME...]    (default: all five)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
OUT=$B/samples
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=64M noreboot=false"
mkdir -p "$OUT"

# sample NAME qemu-args...: boot until "boot complete", keep the log.
sample() {
	local name=$1 log=$OUT/$1.log pid i
	shift
	rm -f "$log"
	qemu-system-x86_64 -machine pc -display none -no-reboot -serial "file:$log.raw" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 "$@" </dev/null >"$log.qemu" 2>&1 &
	pid=$!
	for i in $(seq 1 300); do
		grep -aqs "pvos: boot complete" "$log.raw" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	tr -d '\r' <"$log.raw" >"$log" && rm -f "$log.raw" "$log.qemu"
	grep -aqs "pvos: boot complete" "$log" ||
		{ echo "samples: $name: pvos did not finish booting ($i tries); log: $log" >&2; return 1; }
	echo "samples: $name: $(grep -ac '' "$log") lines in $log"
}

# The nested KVM boot (tests/kvm/run-nested.sh): it ends with pvos's exit, 1 = pass.
kvm_sample() {
	local log=$OUT/kvm-verbose.log st=0
	rm -f "$log"
	tests/kvm/run-nested.sh --timeout 600 "$B/pvos.elf" "selftest pvops.verbose" \
		2>"$log.err" | tr -d '\r' >"$log.tmp" || st=$?
	grep -aqs "^pvops: backend kvm" "$log.tmp" ||
		{ echo "samples: kvm-verbose: no kvm backend in the boot (status $st; $log.err)" >&2; return 1; }
	mv "$log.tmp" "$log" && rm -f "$log.err"
	echo "samples: kvm-verbose: $(grep -ac '' "$log") lines in $log"
}

one() {
	case $1 in
	tcg) sample tcg -m 256 -cdrom $B/pvos.iso ;;
	tcg-verbose) sample tcg-verbose -m 256 -kernel $B/pvos.elf -append pvops.verbose ;;
	tcg-pvops-kvm) sample tcg-pvops-kvm -m 256 -kernel $B/pvos.elf -append pvops=kvm ;;
	xen) sample xen -m 512 -cpu max,-smap -kernel $B/xen/xen -append "$XEN_ARGS" -initrd "$B/pvos.elf" ;;
	xen-verbose) sample xen-verbose -m 512 -cpu max,-smap -kernel $B/xen/xen -append "$XEN_ARGS" \
		-initrd "$B/pvos.elf pvops.verbose" ;;
	kvm-verbose) kvm_sample ;;
	*) echo "samples: no sample named $1 (tcg, tcg-verbose, tcg-pvops-kvm, xen, xen-verbose, kvm-verbose)" >&2; return 2 ;;
	esac
}

[ $# -gt 0 ] || set -- tcg tcg-verbose tcg-pvops-kvm xen xen-verbose
# Two at a time: the machine has two cores, and each boot is one QEMU thread.
pids=()
for name in "$@"; do
	one "$name" & pids+=($!)
	if [ ${#pids[@]} = 2 ]; then wait "${pids[0]}" || st=1; pids=("${pids[1]}"); fi
done
for p in "${pids[@]}"; do wait "$p" || st=1; done
exit "${st:-0}"
