#!/bin/sh
# init.sh - /init of the L1 initramfs built by build-initramfs.sh.
#
# L1 is Debian's own kernel running under QEMU TCG (-cpu max, which offers
# SVM).  This script turns it into a one-shot KVM host: load kvm + kvm-amd
# (or kvm-intel), check /dev/kvm, run the guest found in /pvos (appended to
# the initramfs per run by run-nested.sh) through l2-run.sh, and power off.
# Its console lines carry the prefixes documented in l2-run.sh; run-nested.sh
# on the host separates them from kernel noise.  Busybox ash, no bash.

PATH=/bin:/usr/bin
export PATH

fail() {
    echo "L1-FAIL $*"
    halt_l1
}

# poweroff -f does not return; if ACPI is somehow missing, exiting init
# panics the kernel, and panic=-1 with QEMU's -no-reboot ends L1 as well.
halt_l1() {
    sync
    poweroff -f
    exit 1
}

# debugfs is where KVM publishes its per-VM exit counters (kvmstat).
mount_fs() {
    mount -t proc proc /proc || fail "cannot mount /proc"
    mount -t sysfs sysfs /sys || fail "cannot mount /sys"
    mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
    mount -t debugfs debugfs /sys/kernel/debug || fail "cannot mount debugfs"
    mount -t tmpfs tmpfs /tmp || fail "cannot mount /tmp"
}

# Module order = dependency order (the .deb ships no modules.dep, and busybox
# insmod resolves nothing).  build-initramfs.sh checked these orders against
# each module's depends= field.
load_kvm() {
    if grep -qw svm /proc/cpuinfo; then mods="irqbypass kvm ccp kvm-amd"
    elif grep -qw vmx /proc/cpuinfo; then mods="irqbypass kvm kvm-intel"
    else fail "L1 CPU offers neither svm nor vmx (outer QEMU needs -cpu max)"; fi
    for m in $mods; do
        insmod "/lib/modules/$m.ko" || fail "insmod $m.ko failed: $(dmesg | tail -n 3 | tr '\n' ' ')"
    done
}

check_kvm() {
    if [ ! -c /dev/kvm ]; then
        echo "L1: kernel messages about kvm:"
        dmesg | grep -i -e kvm -e svm -e vmx | tail -n 10
        fail "no /dev/kvm in L1 after loading $mods"
    fi
    for p in /sys/module/kvm_amd/parameters/nested /sys/module/kvm_amd/parameters/npt \
             /sys/module/kvm_intel/parameters/nested /sys/module/kvm_intel/parameters/ept; do
        [ -r "$p" ] && echo "L1: ${p#/sys/module/} = $(cat "$p")"
    done
    [ -d /sys/kernel/debug/kvm ] || echo "L1: warning: no /sys/kernel/debug/kvm, stats will be empty"
}

main() {
    mount_fs
    echo "L1: up after $(cut -d' ' -f1 /proc/uptime) s"
    load_kvm
    # Quiet the kernel from now on so its messages don't split our lines.
    echo 1 > /proc/sys/kernel/printk
    check_kvm
    if [ ! -r /pvos/kernel.elf ] || [ ! -r /pvos/args ]; then
        fail "no /pvos/kernel.elf or /pvos/args: run-nested.sh appends them"
    fi
    echo "L1: kvm ready after $(cut -d' ' -f1 /proc/uptime) s, starting L2"
    /bin/pvos-l2-run /pvos/kernel.elf /pvos/args
    echo "L1: done after $(cut -d' ' -f1 /proc/uptime) s"
    halt_l1
}

main
