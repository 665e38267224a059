#!/usr/bin/env bash
# accel.sh [tcg|kvm|""] - which QEMU accelerator `make run` uses, and why,
# as one line: "<tcg|kvm> <why, and how to ask for the other>".
#
# Empty (ACCEL not given): kvm where /dev/kvm is a hardware KVM
# (kvm_intel, kvm_amd; tests/kvm/host-kvm.sh says which), else tcg.  A
# software KVM such as kvm_pvm runs pvos itself, but the ISO's firmware and
# GRUB crawl under it (about 90 s to the prompt, against 4 s in TCG) and a
# second CPU resets the machine, so `make run` leaves it to ACCEL=kvm.
# tcg: always.
# kvm: only where /dev/kvm is usable; otherwise a one-line error and exit 2.
# Anything else: a one-line error and exit 2.  PVOS_KVM_HOST_ROOT works as
# for host-kvm.sh, so tests/boot/15-run-targets.t can pretend to be another
# machine.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r kind _ why < <("$here/../tests/kvm/host-kvm.sh")

case ${1:-} in
"")
	if [ "$kind" = hardware ]; then
		echo "kvm /dev/kvm is usable ($why); ACCEL=tcg forces software emulation"
	elif [ "$kind" = software ]; then
		echo "tcg software emulation: $why, under which the ISO's firmware and GRUB take" \
			"minutes and only one CPU starts; ACCEL=kvm forces it"
	else
		echo "tcg software emulation: $why; ACCEL=kvm needs a usable /dev/kvm"
	fi ;;
tcg)
	echo "tcg software emulation, as ACCEL=tcg asks" ;;
kvm)
	if [ "$kind" = none ]; then
		echo "ACCEL=kvm: $why (make run-kvm boots pvos under KVM nested in QEMU instead)" >&2
		exit 2
	fi
	echo "kvm as ACCEL=kvm asks ($why)" ;;
*)
	echo "ACCEL=$1: not an accelerator pvos knows (tcg or kvm)" >&2
	exit 2 ;;
esac
