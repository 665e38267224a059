/*
 * Interrupt and exception entry.  One 16-byte stub per vector pushes a dummy
 * error code where the CPU pushes none, then the vector number, and jumps
 * to trap_common, which saves the general registers as struct trap_frame
 * (traps.h) and calls trap_dispatch() in C.
 */
	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
vector = 0
	.rept 256
	.balign 16
	/* Exceptions 8, 10-14, 17, 21, 29, 30 push an error code themselves. */
	.if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	trap_common
vector = vector + 1
	.endr

trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	cld
	mov	%rsp, %rdi
	call	trap_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector, error code */
	iretq
