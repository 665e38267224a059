/*
 * The format of a link-time call site: a plain C call to an op's
 * trampoline, found after the first link by tools/pvcalls.c and listed in
 * the .pv_calls table of the second.  This header is shared by the kernel,
 * the host unit tests and the host tools, so it depends on nothing but
 * <stdint.h>.
 *
 * Every C-convention op has a trampoline, pvcall_<group>_<name>, in the
 * section .text.pv_trampolines, 8 bytes apart:
 *
 *     jmp *pv_ops+OFFSET(%rip)          ff 25 <rel32>      (6 bytes, then int3)
 *
 * A wrapper calls it as an ordinary function, so the compiler emits
 *
 *     call pvcall_x                     e8 <rel32>         (5 bytes)
 *     jmp pvcall_x                      e9 <rel32>         (a tail call)
 *
 * and the patcher retargets the rel32 (pvops/call_patch.c): docs/pvops.md,
 * "Link-time call sites".
 */
#ifndef PVOS_PV_CALLS_H
#define PVOS_PV_CALLS_H

#include <stdint.h>

/* One entry of .pv_calls: 16 bytes, 8-byte aligned, little endian. */
struct pv_call {
	uint64_t addr;		/* virtual address of the e8 or e9 byte */
	uint16_t op;		/* pv_ops slot: byte offset in struct pv_ops / 8 */
	uint8_t kind;		/* PV_CALL_KIND_* */
	uint8_t pad[5];		/* 0 */
};

#define PV_CALL_KIND_CALL	1	/* call rel32: e8 */
#define PV_CALL_KIND_JMP	2	/* jmp rel32: e9, a tail call */

#define PV_CALL_OPCODE_CALL	0xe8
#define PV_CALL_OPCODE_JMP	0xe9
#define PV_CALL_LEN		5	/* opcode and rel32: all a site ever owns */

/* A trampoline: ff 25 rel32, padded with int3 (cc) to the next one. */
#define PV_TRAMP_LEN		6
#define PV_TRAMP_STRIDE		8
#define PV_TRAMP_PREFIX		"pvcall_"

#endif
