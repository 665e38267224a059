/*
 * ELF notes read by whoever loads pvos.elf directly.
 *
 * XEN_ELFNOTE_PHYS32_ENTRY makes pvos a PVH kernel: QEMU's -kernel (and Xen
 * for a PVH guest) enters it at pvh_entry in 32-bit protected mode with
 * %ebx pointing at struct hvm_start_info.  Constants come from libxen-dev's
 * public headers, not copied.
 */
#include <xen/elfnote.h>
#include "boot/layout.h"

#define ELFNOTE(type, desc_directive, value)		\
	.balign 4;					\
	.long 2f - 1f;		/* name size */		\
	.long 4f - 3f;		/* desc size */		\
	.long type;					\
1:	.asciz "Xen";					\
2:	.balign 4;					\
3:	desc_directive value;				\
4:	.balign 4

	.section .note.pvos, "a", @note
	ELFNOTE(XEN_ELFNOTE_PHYS32_ENTRY, .long, pvh_entry - KERNEL_VMA)
