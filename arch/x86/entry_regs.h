/*
 * Saving and restoring the general registers around a trap, in the order
 * struct trap_frame (traps.h) expects.  Shared by the native entry
 * (entry.S, which returns with iretq) and the Xen PV entry
 * (backends/xen/xen_entry.S, which returns with HYPERVISOR_iret).
 * Assembly only.
 */
#ifndef PVOS_ENTRY_REGS_H
#define PVOS_ENTRY_REGS_H

.macro SAVE_REGS
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
.endm

.macro RESTORE_REGS
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
.endm

/* Exceptions for which the CPU (and Xen, passing them on) pushes an error code. */
#define VEC_HAS_ERROR_CODE(v) \
	(((v) == 8) || ((v) >= 10 && (v) <= 14) || ((v) == 17) || ((v) == 21) || ((v) == 29) || ((v) == 30))

#endif
