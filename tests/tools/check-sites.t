#!/usr/bin/env bash
# check-sites.t - TAP test (run by prove) of tools/check-sites.sh.
#
# Proves the checker can fail: it links tiny fake kernels (a pv_ops table,
# a .pv_sites section with one entry, and code at the kernel's address) and
# expects check-sites.sh to pass the one whose only call through pv_ops is
# recorded, and to reject, naming the function, the ones with an unrecorded
# `call *pv_ops+16(%rip)`, a CSE-style load of a slot into a register, and
# an absolute-addressed load; and, for link-time calls, passes a call of a
# trampoline listed in .pv_calls and rejects an unlisted one and a taken
# address.  Then it checks the real build/pvos.elf passes.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -e build/pvos.elf ] || [ ! -x build/tools/pvsites ]; then
    make -s build/pvos.elf build/tools/pvsites >&2
fi

# fake NAME [-DSTRAY] [-DCSE] [-DABS]: link $work/NAME.elf from the source below.
cat > "$work/fake.S" <<'ASM'
	.text
	.globl _start
	.type _start, @function
_start:
	.type recorded_caller, @function
recorded_caller:
1:	call *pv_ops+48(%rip)		/* op 6, mmu.read_cr2 (room 6): recorded */
	ret
	.size recorded_caller, . - recorded_caller
#ifdef STRAY
	.type stray_call, @function
stray_call:
	nop
	call *pv_ops+16(%rip)		/* op 2: NOT recorded */
	ret
	.size stray_call, . - stray_call
#endif
#ifdef CSE
	.type cse_user, @function
cse_user:
	mov pv_ops+24(%rip), %rax	/* the slot kept in a register ... */
	call *%rax			/* ... and called where no site is */
	ret
	.size cse_user, . - cse_user
#endif
#ifdef ABS
	.type abs_user, @function
abs_user:
	mov pv_ops+32, %rax		/* -mcmodel=kernel style: disp32, no %rip */
	jmp *%rax
	.size abs_user, . - abs_user
#endif
#ifdef LINKED
	/* A link-time call site (pvops/calls.h): one trampoline, one call of it. */
	.balign 8
	.globl __start_pv_trampolines, __stop_pv_trampolines
__start_pv_trampolines:
	.type pvcall_time_sched_clock, @function
pvcall_time_sched_clock:
	jmp *pv_ops+8*SCHED(%rip)
	.size pvcall_time_sched_clock, . - pvcall_time_sched_clock
	.balign 8, 0xcc
__stop_pv_trampolines:
	.type linked_caller, @function
linked_caller:
2:	call pvcall_time_sched_clock	/* listed in .pv_calls */
#ifdef UNLISTED
	call pvcall_time_sched_clock	/* NOT listed */
#endif
#ifdef TAKEN
	mov $pvcall_time_sched_clock, %rax	/* its address taken */
#endif
	ret
	.size linked_caller, . - linked_caller
	.pushsection .pv_calls, "aw"
	.balign 8
	.quad 2b
	.short SCHED
	.byte 1, 0			/* kind: call */
	.long 0
	.popsection
#endif
	.pushsection .pv_sites, "aw"
	.balign 8
	.quad 1b
	.short 6			/* op */
	.byte 6, 0			/* len, flags */
	.short 1, 0			/* clobbers: rax (callee-save op) */
	.popsection

	.data
	.balign 8
	.globl pv_ops
	.type pv_ops, @object
pv_ops:	.zero 512
	.size pv_ops, . - pv_ops
ASM
# time.sched_clock's op number, for the link-time call fakes.
# (awk reads to the end: a reader that quits early would SIGPIPE the writer under pipefail)
sched=$(build/tools/pvcalls --list build/pvos.stage1.elf 2>/dev/null |
    awk '$3 == "call" && $4 == "time.sched_clock" && !f { print $2; f = 1 }')
fake() {
    local name=$1
    shift
    gcc -c -D__ASSEMBLY__ -DSCHED="${sched:-0}" "$@" -o "$work/$name.o" "$work/fake.S" &&
        ld -nostdlib -static -z noexecstack -Ttext=0xffffffff80100000 -e _start \
            -o "$work/$name.elf" "$work/$name.o" 2> "$work/$name.ld.log"
}
# run NAME: check-sites on the fake; output in $work/NAME.out, status in $work/NAME.rc
run() {
    local rc=0
    tools/check-sites.sh --objdir "$work/no-objects" "$work/$1.elf" > "$work/$1.out" 2>&1 || rc=$?
    echo "$rc" > "$work/$1.rc"
}
rc() { [ "$(cat "$work/$1.rc")" = "$2" ]; }
says() { grep -q -- "$2" "$work/$1.out"; }
fails_naming() { rc "$1" 1 && says "$1" "$2"; }

echo "1..15"
all_fakes() {
    fake clean && fake stray -DSTRAY && fake cse -DCSE && fake abs -DABS &&
        fake linked -DLINKED && fake unlisted -DLINKED -DUNLISTED && fake taken -DLINKED -DTAKEN
}
check "fake kernels assemble and link" all_fakes
for f in clean stray cse abs linked unlisted taken; do run $f; done

check "clean fake: passes" rc clean 0
check "clean fake: summary counts 1 site and 1 call" \
    says clean "check-sites: 1 sites recorded, 1 indirect calls through pv_ops, all recorded"
check "unrecorded call *pv_ops+16(%rip): fails" rc stray 1
check "unrecorded call: names stray_call+0x1 and the slot" \
    fails_naming stray "stray_call+0x1: indirect call through pv_ops+0x10 (op 2) is not a recorded site"
check "unrecorded call: shows the instruction" says stray "call \*0x.*(%rip).*<pv_ops+0x10>"
check "CSE load of a slot into a register: fails naming cse_user" \
    fails_naming cse "cse_user+0x0: loads the slot pv_ops+0x18"
check "absolute (disp32) load of a slot: fails naming abs_user" \
    fails_naming abs "abs_user+0x0: loads the slot pv_ops+0x20"
check "a listed link-time call: passes, counted" eval 'rc linked 0 &&
    says linked "1 link-time calls listed, 1 calls or jmps to 1 trampolines, all listed"'
check "a call of a trampoline not in .pv_calls: fails naming linked_caller+0x5" \
    fails_naming unlisted "linked_caller+0x5: link-time call is not in .pv_calls"
check "a trampoline's address taken: fails naming linked_caller+0x5" \
    fails_naming taken "linked_caller+0x5: takes the address of trampoline"
allowed() { tools/check-sites.sh --objdir "$work/no-objects" --allow cse_user "$work/cse.elf" > /dev/null 2>&1; }
check "--allow lets a named function load slots" allowed

rc=0
tools/check-sites.sh build/pvos.elf > "$work/real.out" 2>&1 || rc=$?
sed 's/^/# /' "$work/real.out"
check "build/pvos.elf: passes" [ "$rc" = 0 ]
check "build/pvos.elf: summary line" grep -q "^check-sites: [0-9]* sites recorded, [0-9]* indirect calls through pv_ops, all recorded" "$work/real.out"
sites=$(build/tools/pvsites --raw build/pvos.elf | wc -l)
check "build/pvos.elf: site count agrees with pvsites --raw ($sites)" \
    grep -q "^check-sites: $sites sites recorded" "$work/real.out"

[ "$failed" = 0 ]
