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
#include "boot/elfnote.h"

	.section .note.pvos, "a", @note
	ELFNOTE(XEN_ELFNOTE_PHYS32_ENTRY, .long, pvh_entry - KERNEL_VMA)
