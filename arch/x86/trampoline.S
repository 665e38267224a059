/*
 * Where a second CPU starts.  INIT and then SIPI (arch/x86/smp.c) start it
 * in real mode at TRAMPOLINE_PHYS, with nothing set up: this code takes it
 * through 32-bit protected mode to long mode on the kernel's own page
 * tables, the way boot/head32.S took the boot CPU, and jumps to the C
 * entry with its %gs and stack.  The boot CPU copies it below 1 MiB (a SIPI
 * can only start a CPU there), fills the four words at its end for each
 * CPU it starts, and maps the page at its own address while CPUs start
 * (paging comes on while this code still runs from there).
 *
 * It is data in the image, assembled for the address it will run at: T()
 * turns a label into that address.
 */
#include "boot/layout.h"

#define T(x)	(TRAMPOLINE_PHYS + (x) - trampoline_start)

	.section .rodata, "a"
	.balign 16
	.globl trampoline_start, trampoline_end
	.globl trampoline_cr3, trampoline_gs, trampoline_stack, trampoline_entry

	.code16
trampoline_start:
	cli
	cld
	mov	%cs, %ax		/* SIPI: %cs = 0x0800, %ip = 0 */
	mov	%ax, %ds
	lgdtl	(tr_gdt_ptr - trampoline_start)
	mov	%cr0, %eax
	or	$1, %eax		/* PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $T(tr_pm32)

	.code32
tr_pm32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$(1 << 5), %eax		/* PAE */
	mov	%eax, %cr4
	mov	T(trampoline_cr3), %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	mov	%cr0, %eax
	or	$((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	mov	%eax, %cr0
	ljmp	$0x18, $T(tr_lm64)

	.code64
tr_lm64:
	mov	T(trampoline_gs), %rax	/* the per-CPU area, before any C */
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$0xc0000101, %ecx	/* MSR_GS_BASE */
	wrmsr
	mov	T(trampoline_stack), %rsp
	xor	%ebp, %ebp		/* ends the backtrace */
	mov	T(trampoline_entry), %rax
	jmp	*%rax

	.balign 8
tr_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdt_ptr:
	.short	tr_gdt_ptr - tr_gdt - 1
	.long	T(tr_gdt)

	/* Filled in by the boot CPU for each CPU it starts. */
	.balign 8
trampoline_cr3:		.quad 0		/* the kernel's top page table, below 4 GiB */
trampoline_gs:		.quad 0		/* its struct cpu_data */
trampoline_stack:	.quad 0
trampoline_entry:	.quad 0		/* pc_ap_entry */
trampoline_end:
