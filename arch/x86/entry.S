/*
 * Interrupt and exception entry.  One 16-byte stub per vector pushes a dummy
 * error code where the CPU pushes none, then the vector number, and jumps
 * to trap_common, which saves the general registers as struct trap_frame
 * (traps.h) and calls trap_dispatch() in C.  The save/restore macros are
 * shared with the Xen PV entry (entry_regs.h).
 */
#include "arch/x86/entry_regs.h"

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
vector = 0
	.rept 256
	.balign 16
	/* Exceptions 8, 10-14, 17, 21, 29, 30 push an error code themselves. */
	.if VEC_HAS_ERROR_CODE(vector)
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	trap_common
vector = vector + 1
	.endr

trap_common:
	SAVE_REGS
	cld
	mov	%rsp, %rdi
	call	trap_dispatch
	RESTORE_REGS
	add	$16, %rsp		/* vector, error code */
	iretq
