/*
 * The format of a recorded pv_ops call site, and of a backend's inline
 * replacement.  This header is shared by the kernel, the host unit tests and
 * pvsites (tools/pvsites.c), so it depends on nothing but <stdint.h>.
 *
 * Every wrapper in pvops/pvops.h emits its site as
 *
 *     NOPs (room - 6 bytes), then
 *     call *pv_ops+OFFSET(%rip)          ff 15 <rel32>      (6 bytes)
 *
 * and appends one struct pv_site to the .pv_sites section describing it.
 * Each op has its own room (PV_OP_LIST, pvops/pv_ops.h): the call, or the
 * longest inline code a backend has for the op.  The padding comes first so
 * that the call ends where the site ends: whatever the site holds later, a
 * CPU that was inside the callee returns to a valid instruction boundary.
 * The patcher later rewrites the site in place; see docs/pvops.md.
 */
#ifndef PVOS_PV_SITE_H
#define PVOS_PV_SITE_H

#include <stdint.h>

/* One entry of .pv_sites: 16 bytes, 8-byte aligned, little endian. */
struct pv_site {
	uint64_t addr;		/* virtual address of the site's first byte */
	uint16_t op;		/* pv_ops slot: byte offset in struct pv_ops / 8 */
	uint8_t len;		/* bytes the site owns; nothing past them is written */
	uint8_t flags;		/* reserved, 0: the record never changes after the build */
	uint16_t clobbers;	/* PV_CLB_* registers the callee may change */
	uint16_t reserved;
};

/* Registers a site lets its callee clobber (caller-saved in the SysV ABI). */
#define PV_CLB_RAX	(1u << 0)
#define PV_CLB_RCX	(1u << 1)
#define PV_CLB_RDX	(1u << 2)
#define PV_CLB_RSI	(1u << 3)
#define PV_CLB_RDI	(1u << 4)
#define PV_CLB_R8	(1u << 5)
#define PV_CLB_R9	(1u << 6)
#define PV_CLB_R10	(1u << 7)
#define PV_CLB_R11	(1u << 8)
#define PV_CLB_NONE	0u
/* A plain C call may clobber every caller-saved register. */
#define PV_CLB_C_ABI	0x1ffu
/* A callee-save op may only return a value in %rax. */
#define PV_CLB_CALLEE	PV_CLB_RAX
/*
 * Only in a template's clobbers (PV_OP_LIST, DEF_PV_INSN), never in a site:
 * the code ends with `call rel32`, which the patcher re-aims from wherever
 * the site is (the slow path of an inline fast path).
 */
#define PV_INSN_CALLS	(1u << 15)

/* The original bytes of every site: an indirect call through its slot. */
#define PV_SITE_CALL_LEN	6
#define PV_SITE_MAX_LEN		32	/* the largest room an op may ask for */
#define PV_CALL_REL32_LEN	5

/* How an op is called: it decides what a direct call to it must preserve. */
enum pv_conv {
	PV_CONV_NONE = 0,	/* not an op: the slot is unknown */
	PV_CONV_C,		/* plain C function */
	PV_CONV_CALLEE,		/* callee-save: preserves all but %rax */
};

#endif
