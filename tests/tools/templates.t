#!/usr/bin/env bash
# templates.t - TAP test (run by prove) of the inline templates as built.
#
# The Xen irq templates (backends/xen/ops.c) and the native spin_lock fast
# path (PV_OP_LIST) are read back from build/pvos.elf and disassembled: each
# must be exactly the instructions docs/xen.md and docs/pvops.md show, as
# long as its op's room, reach the vCPU's event flags at %gs:0x40/0x41 (the
# hv_area of struct cpu_data), end with its jumps at the code's end, and
# call out only to the function its slow path is.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ELF=build/pvos.elf
[ -e "$ELF" ] || make -s "$ELF" >&2

addr() { nm "$ELF" | awk -v s="$1" '$3 == s { print $1 }'; }

# disasm NAME: "insn;insn;..." of NAME_code .. NAME_code_end, targets by symbol.
disasm() {
    objdump -d -w -j .rodata --start-address=0x"$(addr "$1_code")" \
        --stop-address=0x"$(addr "$1_code_end")" "$ELF" |
        awk -F'\t' 'NF >= 3 { t = $3; gsub(/ +/, " ", t); sub(/ [0-9a-f]+ </, " <", t); print t }' |
        paste -sd ';'
}
length() { echo $(( 0x$(addr "$1_code_end") - 0x$(addr "$1_code") )); }

expect() {  # expect NAME BYTES "insn;insn..."
    local got
    got=$(disasm "$1")
    check "$1 is $2 bytes" [ "$(length "$1")" = "$2" ]
    check "$1 is: $3" [ "$got" = "$3" ] || echo "# got: $got"
}

expect xen_insn_irq_disable 9 'movb $0x1,%gs:0x41'
expect xen_insn_irq_enable 25 \
    'movb $0x0,%gs:0x41;cmpb $0x0,%gs:0x40;je <xen_insn_irq_enable_code_end>;call <xen_force_upcall_thunk>'
expect xen_insn_save_fl 16 'cmpb $0x1,%gs:0x41;sbb %eax,%eax;and $0x200,%eax'
restore_end=$(nm "$ELF" | awk -v a="$(addr xen_insn_restore_fl_code_end)" '$1 == a && $3 ~ /_code$/ && !f { print $3; f = 1 }')
expect xen_insn_restore_fl 31 \
    "bt \$0x9,%edi;setae %gs:0x41;jae <${restore_end:-?}>;cmpb \$0x0,%gs:0x40;je <${restore_end:-?}>;call <xen_force_upcall_thunk>"
expect native_insn_spin_lock 24 \
    'mov $0x2,%eax;lock xadd %ax,0x2(%rdi);and $0xfffffffe,%eax;cmp %ax,(%rdi);je <native_insn_spin_lock_code_end>;call <pv_native_spin_wait>'

echo "1..$n"
[ "$failed" = 0 ]
