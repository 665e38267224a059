#!/usr/bin/env bash
# test-skips.sh - the record of what `make test` skipped, and why.
#
# A TAP skip scrolls by unseen under prove.  So every test that skips a whole
# file, a stage or a check appends one line to a record, and `make test` ends
# by printing it; CI fails on a skip the machine did not force.
#
#   test-skips.sh record FILE KIND REASON [CLAIM]
#       KIND  hardware  the machine truly lacks the thing; CLAIM names what,
#                       so that CI can check it: no-kvm (no read-write
#                       /dev/kvm), no-hw-kvm (no kvm_intel/kvm_amd with
#                       vmx/svm), apicv (the host virtualizes EOI itself:
#                       kvm_intel enable_apicv or kvm_amd avic)
#             setup     the setup failed: a package could not be had, a
#                       download failed, a file was not built
#             ran       not a skip: which KVM mode a suite ran, and why
#   test-skips.sh clear            empty the record (start of `make test`)
#   test-skips.sh summary          "make test: ..." lines for the end of the run
#   test-skips.sh ci-check [--root DIR]
#       exit 1 naming each skip CI must not accept: every setup skip, and a
#       hardware skip whose claim this machine does not bear out.  --root
#       prefixes /dev/kvm, /proc/cpuinfo and /sys/module (for its own test).
#
# The record is build/test-skips.txt (PVOS_TEST_RECORD moves it), one line
# per entry: FILE <tab> KIND <tab> REASON [<tab> CLAIM].
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RECORD=${PVOS_TEST_RECORD:-$REPO/build/test-skips.txt}

usage() { sed -n '/^#   test-skips.sh record/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

record() {
    (( $# == 3 || $# == 4 )) || usage
    local file=$1 kind=$2 reason=$3 claim=${4:-}
    case $kind in hardware|setup|ran) ;; *) echo "test-skips: unknown kind '$kind'" >&2; exit 2 ;; esac
    [[ $kind != hardware || -n $claim ]] ||
        { echo "test-skips: a hardware skip needs a claim CI can check" >&2; exit 2; }
    [[ "$file$reason$claim" != *$'\t'* && "$file$reason$claim" != *$'\n'* ]] ||
        { echo "test-skips: no tabs or newlines in a record" >&2; exit 2; }
    mkdir -p "$(dirname "$RECORD")"
    printf '%s\t%s\t%s%s\n' "$file" "$kind" "$reason" "${claim:+$'\t'$claim}" >> "$RECORD"
}

summary() {
    local file kind reason claim skips=0
    if [[ -s $RECORD ]]; then
        # awk: each line once (a suite run twice outside make test records twice)
        while IFS=$'\t' read -r file kind reason claim; do
            if [[ $kind == ran ]]; then
                echo "make test: ran: $file: $reason"
            else
                echo "make test: skipped ($kind): $file: $reason"
                skips=$((skips + 1))
            fi
        done < <(awk '!seen[$0]++' "$RECORD")
    fi
    (( skips > 0 )) || echo "make test: nothing skipped"
}

# claim_holds CLAIM ROOT: does this machine really lack what the skip says?
# Checked here from the machine itself, not from the test's own verdict.
claim_holds() {
    local claim=$1 root=$2 dev=$2/dev/kvm
    case $claim in
        no-kvm)    ! [[ -r $dev && -w $dev ]] ;;
        no-hw-kvm) ! { [[ -r $dev && -w $dev ]] &&
                       [[ -d $root/sys/module/kvm_intel || -d $root/sys/module/kvm_amd ]] &&
                       grep -qsw -e vmx -e svm "$root/proc/cpuinfo"; } ;;
        apicv)     grep -qsx -e Y -e 1 "$root/sys/module/kvm_intel/parameters/enable_apicv" \
                       "$root/sys/module/kvm_amd/parameters/avic" ;;
        *) return 1 ;;
    esac
}

ci_check() {
    local root='' file kind reason claim bad=0 nested=0
    if [[ ${1:-} == --root ]]; then root=${2:?}; shift 2; fi
    (( $# == 0 )) || usage
    [[ -f $RECORD ]] || { echo "ci: no test record $RECORD: did make test run?" >&2; exit 1; }
    while IFS=$'\t' read -r file kind reason claim; do
        case $kind in
            ran) [[ $file != tests/kvm/pvos-kvm.t ]] || nested=1 ;;
            setup) echo "ci: $file skipped, but CI can set it up: $reason" >&2; bad=1 ;;
            hardware)
                if claim_holds "$claim" "$root"; then
                    echo "ci: accepted: $file skipped: $reason (checked: $claim)" >&2
                else
                    echo "ci: $file skipped for want of hardware ($claim: $reason), but this machine has it" >&2
                    bad=1
                fi ;;
            *) echo "ci: bad record line: $file $kind $reason" >&2; bad=1 ;;
        esac
    done < "$RECORD"
    (( nested )) || { echo "ci: the nested KVM suite (tests/kvm/pvos-kvm.t) did not run" >&2; bad=1; }
    return $bad
}

case ${1:-} in
    record)   shift; record "$@" ;;
    clear)    mkdir -p "$(dirname "$RECORD")"; : > "$RECORD" ;;
    summary)  summary ;;
    ci-check) shift; ci_check "$@" ;;
    *) usage ;;
esac
