/*
 * The way in from a bootloader: the multiboot2 header GRUB looks for, and the
 * 32-bit entry points for multiboot2 (GRUB) and PVH (qemu -kernel, Xen PVH).
 *
 * Both arrive in 32-bit protected mode with paging off.  This code zeroes
 * .bss, builds throwaway page tables (the first 1 GiB mapped three times:
 * identity, at the direct map, and at the kernel's link address), turns on
 * long mode and jumps to the kernel's link address.  From there C takes
 * over and builds the real page tables (arch/x86/paging.c).
 */
#include "boot/layout.h"

#define PHYS(x)		((x) - KERNEL_VMA)
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Entry address tag: the ELF entry is a 64-bit virtual address. */
	.balign 8
	.short 3, 0
	.long 12
	.long PHYS(mb2_entry)
	.balign 8
	.short 0, 0		/* end tag */
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl mb2_entry
mb2_entry:
	cli
	mov	%eax, %ebp		/* multiboot2 magic */
	mov	%ebx, %esi		/* multiboot2 info (physical) */
	jmp	boot32

	.globl pvh_entry
pvh_entry:
	cli
	mov	$BOOT_MAGIC_PVH, %ebp
	mov	%ebx, %esi		/* struct hvm_start_info (physical) */

boot32:
	cld
	mov	$PHYS(boot_stack_top), %esp
	/* Zero .bss: a loader need not, and the page tables below live there. */
	mov	$PHYS(__bss_start), %edi
	mov	$PHYS(__bss_end), %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%ebp, PHYS(boot_magic)
	mov	%esi, PHYS(boot_info_phys)

	call	check_long_mode
	call	build_boot_page_tables

	mov	%cr4, %eax
	or	$(1 << 5), %eax		/* PAE */
	mov	%eax, %cr4
	mov	$PHYS(boot_pml4), %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	mov	%cr0, %eax
	or	$((1 << 31) | (1 << 16) | 1), %eax	/* PG, WP, PE */
	mov	%eax, %cr0

	lgdt	PHYS(boot_gdt_ptr)
	ljmp	$0x08, $PHYS(boot64)

/* Long mode and NX are all pvos requires; say so rather than triple-fault. */
check_long_mode:
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$(1 << 29), %edx	/* LM */
	jz	no_long_mode
	test	$(1 << 20), %edx	/* NX */
	jz	no_long_mode
	ret
no_long_mode:
	mov	$PHYS(no_lm_msg), %esi
1:	lodsb
	test	%al, %al
	jz	2f
	mov	$0x3f8, %dx
	out	%al, %dx
	jmp	1b
	/*
	 * Then fail as every pvos failure does: 1 to QEMU's isa-debug-exit
	 * (QEMU exits with status 3; arch/x86/power.c).  Without that device
	 * the write does nothing, and the CPU halts here, its message said.
	 */
2:	mov	$1, %eax
	mov	$0xf4, %dx
	out	%eax, %dx
3:	hlt
	jmp	3b

build_boot_page_tables:
	mov	$PHYS(boot_pdpt), %eax
	or	$3, %eax
	mov	%eax, PHYS(boot_pml4)
	mov	%eax, PHYS(boot_pml4) + DIRECT_MAP_PML4_SLOT * 8
	mov	$PHYS(boot_pdpt_high), %eax
	or	$3, %eax
	mov	%eax, PHYS(boot_pml4) + 511 * 8
	mov	$PHYS(boot_pd), %eax
	or	$3, %eax
	mov	%eax, PHYS(boot_pdpt)
	mov	%eax, PHYS(boot_pdpt_high) + 510 * 8
	/* 512 large pages: present, writable, 2 MiB. */
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x83, %eax
	mov	%eax, PHYS(boot_pd)(,%ecx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	1b
	ret

	.code64
boot64:
	movabs	$boot64_high, %rax
	jmp	*%rax

	.text
boot64_high:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	movabs	$boot_stack_top, %rsp
	xor	%ebp, %ebp		/* ends the backtrace */
	/* %gs: the boot CPU's per-CPU area, before any C (arch/x86/percpu.h). */
	movabs	$cpu_data, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$0xc0000101, %ecx	/* MSR_GS_BASE */
	wrmsr
	mov	boot_magic(%rip), %edi
	mov	boot_info_phys(%rip), %esi
	call	pc_boot_main
1:	hlt
	jmp	1b

	.section .rodata
no_lm_msg:
	.asciz	"pvos: this CPU lacks long mode or NX; pvos needs an x86-64 CPU.\r\n"

	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.short	boot_gdt_end - boot_gdt - 1
	.long	PHYS(boot_gdt)

	.data
	.globl boot_magic, boot_info_phys
boot_magic:	.long 0
boot_info_phys:	.long 0

	.bss
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096
	.globl boot_stack, boot_stack_top
boot_stack:	.skip BOOT_STACK_SIZE
boot_stack_top:
