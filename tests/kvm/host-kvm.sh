#!/usr/bin/env bash
# host-kvm.sh - what kind of KVM this host offers, as one line on stdout:
#
#   hardware <module> <why>   kvm_intel or kvm_amd loaded, vmx or svm in the
#                             CPU flags, and /dev/kvm read-write for us
#   software <module> <why>   /dev/kvm read-write, but not hardware KVM (for
#                             example kvm_pvm, which runs guests without vmx/svm)
#   none - <why>              no usable /dev/kvm
#
# The harness runs guests directly only on hardware KVM: there KVM's exit
# counters are real VM exits.  Any usable /dev/kvm still gets pvos's
# self-tests (tests/kvm/pvos-kvm-direct.t), because pvos must pass under any
# KVM it meets.  PVOS_KVM_HOST_ROOT prefixes /dev/kvm, /proc/cpuinfo and
# /sys/module, so a test (or a person) can pretend to be another machine:
# PVOS_KVM_HOST_ROOT=/nonexistent is a machine without /dev/kvm.
set -euo pipefail

root=${PVOS_KVM_HOST_ROOT:-}
dev=$root/dev/kvm

# The vendor module behind /dev/kvm: kvm_intel or kvm_amd if loaded, else
# whatever other kvm_* module is (kvm_pvm here), else unknown.
vendor_module() {
    local m
    for m in kvm_intel kvm_amd; do
        [[ -d $root/sys/module/$m ]] && { echo "$m"; return; }
    done
    for m in "$root"/sys/module/kvm_*; do
        [[ -d $m ]] && { echo "${m##*/}"; return; }
    done
    echo unknown
}

# The hardware virtualization flag the CPU reports, or nothing.
cpu_flag() {
    local line
    [[ -r $root/proc/cpuinfo ]] || return 0
    while IFS= read -r line; do
        [[ $line == flags* ]] || continue
        [[ " ${line#*:} " == *" vmx "* ]] && { echo vmx; return; }
        [[ " ${line#*:} " == *" svm "* ]] && { echo svm; return; }
        return 0
    done < "$root/proc/cpuinfo"
}

main() {
    local mod flag
    if [[ ! -e $dev ]]; then
        echo "none - /dev/kvm does not exist"; return
    fi
    if [[ ! -r $dev || ! -w $dev ]]; then
        echo "none - /dev/kvm is not read-write for $(id -un)"; return
    fi
    mod=$(vendor_module)
    flag=$(cpu_flag)
    case $mod in
        kvm_intel|kvm_amd)
            if [[ -n $flag ]]; then
                echo "hardware $mod /dev/kvm is $mod (hardware KVM, $flag)"
            else
                echo "software $mod /dev/kvm is $mod, but the CPU flags show neither vmx nor svm"
            fi ;;
        *)  echo "software $mod /dev/kvm is $mod (software KVM), not kvm_intel/kvm_amd" ;;
    esac
}

main
