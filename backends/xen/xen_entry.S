/*
 * Exception and event entry for a Xen PV kernel.
 *
 * Xen delivers an exception (set_trap_table) or an event upcall
 * (set_callbacks) by building the hardware frame on the kernel stack, then
 * pushing %rcx and %r11 above it (it used them for its own return to
 * ring 3).  Each stub pops those two back, after which the frame is exactly
 * what the CPU would have pushed natively, and joins the common path: same
 * register save, same struct trap_frame, same trap_dispatch().
 *
 * The way back is HYPERVISOR_iret, not iretq: it returns to the kernel's
 * ring 3 and, when the saved RFLAGS.IF is set, clears the event mask that
 * Xen set for the upcall (a plain iretq cannot do that).
 */
#include <xen/xen.h>
#include "arch/x86/entry_regs.h"
#include "backends/xen/xen_vectors.h"

	.text
	.balign 16
	.globl xen_trap_stubs
xen_trap_stubs:
vector = 0
	.rept 32
	.balign 16
	pop	%rcx
	pop	%r11
	.if VEC_HAS_ERROR_CODE(vector)
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	xen_trap_common
vector = vector + 1
	.endr

	/* The event callback: Xen has masked events; trap_dispatch runs the upcall. */
	.globl xen_hypervisor_callback
xen_hypervisor_callback:
	pop	%rcx
	pop	%r11
	pushq	$0
	pushq	$XEN_UPCALL_VECTOR
	jmp	xen_trap_common

	/*
	 * A vCPU pvos started (backends/xen/smp.c): Xen enters here with the
	 * state VCPUOP_initialise gave it: its own stack (16-byte aligned),
	 * %gs on its cpu_data, events masked.
	 */
	.globl xen_ap_start
xen_ap_start:
	cld
	xor	%ebp, %ebp		/* ends the backtrace */
	call	xen_ap_entry
	ud2

	/* Xen could not load our segment registers on a return: nothing to retry. */
	.globl xen_failsafe_callback
xen_failsafe_callback:
	pop	%rcx
	pop	%r11
	cld
	call	xen_failsafe
	ud2

xen_trap_common:
	SAVE_REGS
	cld
	mov	%rsp, %rdi
	call	trap_dispatch
	RESTORE_REGS
	add	$16, %rsp		/* vector, error code */
	/*
	 * HYPERVISOR_iret's frame (struct iret_context) is rax, r11, rcx,
	 * flags, then rip, cs, rflags, rsp, ss, which are already in place.
	 * The iret stub Xen wrote pushes rcx, r11 and rax itself: jump to it,
	 * don't call, with only the flags pushed.
	 */
	pushq	$0			/* flags: not returning from a syscall */
	jmp	hypercall_page + __HYPERVISOR_iret * 32
