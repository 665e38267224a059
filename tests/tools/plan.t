#!/usr/bin/env bash
# plan.t - TAP test of `pvsites --plan BACKEND` (tools/pvplan.c): what each
# backend's patcher would write at every site, worked out offline from the
# image's override records and templates.
#
# The plan must be what the kernel really writes: for native and Xen it is
# compared, site by site and count by count, with the pvops.verbose lines of
# a real boot of the same image (tools/samples.sh tcg-verbose, xen-verbose:
# a few seconds each, booted here when build/samples/ has none newer than
# the image).  For KVM a boot needs nested KVM (~60 s), too long for this
# test: it compares with build/samples/kvm-verbose.log when that is newer
# than the image (tools/samples.sh kvm-verbose), under the features that
# boot's host offered, and always checks the records by what they must do:
# with nothing offered the kvm plan is the native one, byte for byte; with
# everything, hypercall sites hold the probed instruction and io_delay
# sites nothing.  Then the failures: an unknown backend, a bad --features
# word, an image without override records.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PVSITES=build/tools/pvsites
ELF=build/pvos.elf
SAMPLES=build/samples

make -s "$ELF" "$PVSITES" build/xen/xen >&2

# plan NAME ARGS...: pvsites --plan ARGS; output in $work/NAME.out, status in $work/NAME.rc
plan() {
    local name=$1 rc=0
    shift
    "$PVSITES" --plan "$@" > "$work/$name.out" 2>&1 || rc=$?
    echo "$rc" > "$work/$name.rc"
}
rc() { [ "$(cat "$work/$1.rc")" = "$2" ]; }
says() { grep -q -- "$2" "$work/$1.out"; }
site_lines() { grep -E '^ *[0-9]+ [0-9a-f]{16} ' "$work/$1.out" || true; }
# op_lines NAME OP: the plan's lines for OP's sites, in a file (grep -q reads files
# here, never a pipe: under pipefail an early exit would fail the writer)
op_lines() { site_lines "$1" | grep " $2 " > "$work/$1.$2" || true; echo "$work/$1.$2"; }
# same_as NAME LOG: the plan NAME is what the boot in LOG wrote (tests/tools/plan-vs-log.py)
same_as() {
    python3 tests/tools/plan-vs-log.py "$work/$1.out" "$2" > "$work/$1.vs" ||
        { sed 's/^/# /' "$work/$1.vs" | tail -n 12; return 1; }
}
# fresh LOG: a boot log of this very image
fresh() { [ -s "$1" ] && [ "$1" -nt "$ELF" ]; }

echo "1..13"

# native and Xen: against real boots
missing=()
for s in tcg-verbose xen-verbose; do
    fresh "$SAMPLES/$s.log" || missing+=("$s")
done
if [ ${#missing[@]} -gt 0 ]; then
    tools/samples.sh "${missing[@]}" >&2
fi
entries=$("$PVSITES" --raw "$ELF" | wc -l)
plan native native "$ELF"
check "native: exit 0, one line per site ($entries)" \
    eval 'rc native 0 && [ "$(site_lines native | wc -l)" = "$entries" ]'
check "native: the plan is what a native boot wrote (pvops.verbose)" \
    same_as native "$SAMPLES/tcg-verbose.log"
plan xen xen "$ELF"
check "xen: exit 0, lists its override records" \
    eval 'rc xen 0 && says xen "^  override irq.save_fl *xen_save_fl_thunk *if always *applied"'
check "xen: the plan is what a Xen dom0 boot wrote (pvops.verbose)" \
    same_as xen "$SAMPLES/xen-verbose.log"

# kvm: the records by what they must do
plan kvm kvm "$ELF"
check "kvm: exit 0, says what it assumed" \
    eval 'rc kvm 0 && says kvm "assuming pvspin, hypercalls, vmcall, every feature bit (the default"'
check "kvm: hypercall sites hold vmcall inline (0f 01 c1)" \
    grep -q "0f 01 c1  .*vmcall .*(inline: template kvm_insn_vmcall)" "$(op_lines kvm hv.hypercall)"
check "kvm: io_delay sites are NOPs only (kvm_insn_io_delay)" \
    eval '[ -s "$(op_lines kvm cpu.io_delay)" ] &&
          ! grep -qv "(inline: template kvm_insn_io_delay)" "$work/kvm.cpu.io_delay"'
plan kvm-amd kvm --features all,pvspin,vmmcall "$ELF"
check "kvm --features all,pvspin,vmmcall: hypercall sites hold vmmcall (0f 01 d9)" \
    grep -q "0f 01 d9  .*vmmcall" "$(op_lines kvm-amd hv.hypercall)"
plan kvm-none kvm --features none "$ELF"
check "kvm --features none: the native plan, byte for byte" \
    eval 'diff <(site_lines native | sed "s/ *(.*//") <(site_lines kvm-none | sed "s/ *(.*//") >&2'

# kvm: against a nested KVM boot, when there is one of this image
kvm_log=$SAMPLES/kvm-verbose.log
if fresh "$kvm_log" && grep -q '^pvops: backend kvm' "$kvm_log"; then
    mask=$(sed -n 's/.*KVMKVMKVM, features \(0x[0-9a-f]*\).*/\1/p' "$kvm_log" | sed -n 1p)
    facts=,$(sed -n 's/^kvm: hypercalls: \([a-z]*\) works.*/\1/p' "$kvm_log" | sed -n 1p)
    grep -q '^kvm: paravirtual ticket locks' "$kvm_log" && facts="$facts,pvspin"
    for b in $(seq 0 31); do
        if (( (mask >> b) & 1 )); then facts="$facts,$b"; fi
    done
    plan kvm-host kvm --features "none$facts" "$ELF"
    check "kvm: the plan under the host's features ($mask$facts) is what a nested KVM boot wrote" \
        same_as kvm-host "$kvm_log"
else
    echo "ok $((n += 1)) # SKIP no nested KVM boot of this image ($kvm_log: tools/samples.sh kvm-verbose, ~60 s)"
fi

# failures
plan unknown nosuch "$ELF"
check "unknown backend: exit 2, names the image's backends" \
    eval 'rc unknown 2 && says unknown "unknown backend .nosuch.: .* has .*native.*xen"'
plan badfeat kvm --features pvspin,warp "$ELF"
check "bad --features word: exit 2, says which" \
    eval 'rc badfeat 2 && says badfeat "--features: .warp. is not"'
objcopy -N __start_pv_overrides -N __stop_pv_overrides "$ELF" "$work/old.elf"
plan old xen "$work/old.elf"
check "an image without override records: exit 1, says so" \
    eval 'rc old 1 && says old "no override records"'

[ "$failed" = 0 ]
