/*
 * entry.S - PVH entry point of the nested-KVM probe guest.
 *
 * QEMU's -kernel loader boots an ELF directly (no bootloader, no bzImage
 * header) when the ELF carries a Xen PVH note: type XEN_ELFNOTE_PHYS32_ENTRY
 * with name "Xen" whose descriptor is the 32-bit physical entry address.
 * QEMU then enters it through its pvh.bin option ROM in 32-bit protected
 * mode, flat segments, paging off, %ebx = hvm_start_info.  All we need is a
 * stack before calling C.
 */
#if defined(__has_include)
#  if __has_include(<xen/elfnote.h>)
#    include <xen/elfnote.h>          /* libxen-dev: the authoritative value */
#  endif
#endif
#ifndef XEN_ELFNOTE_PHYS32_ENTRY
#  define XEN_ELFNOTE_PHYS32_ENTRY 18 /* same value as xen/elfnote.h */
#endif

        /* The note must sit in a PT_NOTE segment: QEMU's ELF loader only
         * scans program headers, never section headers (see probe.ld). */
        .section .note.Xen, "a", @note
        .balign 4
        .long   4                       /* n_namesz: "Xen\0" */
        .long   4                       /* n_descsz: one 32-bit address */
        .long   XEN_ELFNOTE_PHYS32_ENTRY
        .asciz  "Xen"
        .long   _start

        .code32
        .text
        .globl  _start
_start:
        cli
        movl    $stack_top, %esp
        xorl    %ebp, %ebp
        pushl   %ebx                    /* struct hvm_start_info * */
        call    probe_main
        /* probe_main ends the VM through isa-debug-exit; if that device is
         * missing, park the CPU instead of running off into memory. */
1:      hlt
        jmp     1b

        .bss
        .balign 16
        .space  16384
stack_top:
