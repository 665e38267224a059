/*
 * ELFNOTE(type, directive, value): one note named "Xen" in the current
 * section, laid out as the ELF spec says (name and descriptor 4-byte
 * aligned).  Used by boot/notes.S (the PVH entry) and boot/xen_head.S (the
 * Xen PV notes).
 */
#ifndef PVOS_ELFNOTE_H
#define PVOS_ELFNOTE_H

#define ELFNOTE(type, desc_directive, value)		\
	.balign 4;					\
	.long 2f - 1f;		/* name size */		\
	.long 4f - 3f;		/* desc size */		\
	.long type;					\
1:	.asciz "Xen";					\
2:	.balign 4;					\
3:	desc_directive value;				\
4:	.balign 4

#endif
