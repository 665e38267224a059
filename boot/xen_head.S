/*
 * The way in for Xen's PV domain builder: the ELF notes that tell Xen how
 * to load pvos as a 64-bit paravirtualized guest, the hypercall page Xen
 * fills with its call stubs, and xen_start, where Xen starts the first vCPU.
 *
 * Unlike the multiboot2 and PVH entries (head32.S) there is no mode switch
 * to do: Xen enters in 64-bit mode, in ring 3, on page tables it built
 * (the kernel at VIRT_BASE + its physical address, as pvos is linked),
 * with %rsi pointing at start_info.  Everything privileged from here on is
 * a hypercall, which is why the C code installs the xen-pv backend before
 * it does anything else (backends/xen/enlighten.c).
 *
 * Constants come from libxen-dev's public headers, not copied.
 */
#include <xen/elfnote.h>
#include <xen/features.h>
#include "boot/layout.h"
#include "boot/elfnote.h"

	.section .note.pvos, "a", @note
	ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz, "pvos")
	ELFNOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz, "0.1")
	ELFNOTE(XEN_ELFNOTE_LOADER, .asciz, "generic")
	ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz, "xen-3.0")
	/* virtual = VIRT_BASE + (physical - PADDR_OFFSET): pvos's own link. */
	ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .quad, KERNEL_VMA)
	ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .quad, 0)
	ELFNOTE(XEN_ELFNOTE_ENTRY, .quad, xen_start)
	ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad, hypercall_page)
	/* Page tables stay read-only to us: every update is a hypercall. */
	ELFNOTE(XEN_ELFNOTE_FEATURES, .asciz, "!writable_page_tables")
	/* Without XENFEAT_dom0 here Xen refuses to boot pvos as dom0. */
	ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long, (1 << XENFEAT_dom0))

	.text
	/*
	 * Xen writes a 32-byte stub per hypercall here at load time; calling
	 * hypercall_page + 32 * nr makes hypercall nr (backends/xen/hypercall.h).
	 */
	.balign 4096
	.globl hypercall_page
hypercall_page:
	.skip 4096

	/*
	 * Xen's entry: %rsi = start_info, %rsp = the top of a small stack Xen
	 * placed after its bootstrap page tables.  Move to pvos's boot stack
	 * (Xen already zeroed .bss) and go to C with start_info and Xen's
	 * stack top, so that C can keep that stack's page out of the allocator.
	 */
	.globl xen_start
xen_start:
	cld
	mov	%rsi, %rdi
	mov	%rsp, %rsi
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp		/* ends the backtrace */
	call	xen_start_kernel
	ud2
