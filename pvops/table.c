/*
 * The live table, pv_ops, and the native table it starts as.
 *
 * pv_ops holds the native functions from the first instruction, so that an
 * unpatched kernel runs on bare hardware (or under KVM) with no setup: boot
 * code uses ops long before a backend is chosen.  pv_native_ops is the same
 * table kept read-only, to start from or go back to.  Both are written out
 * from PV_OP_LIST: an ASM row's native function is pv_native_<name>, made
 * by backends/native/native.c from the row's code; an FN row names its own
 * (pvops/pv_ops.h declares them all).
 */
#include "pvops/pv_ops.h"

#define PV_SLOT_C(fn)			fn
#define PV_SLOT_CALLEE(fn)		{ .func = fn }
#define PV_INIT_ASM(group, name, conv, room, clb, code) .group.name = PV_SLOT_##conv(pv_native_##name),
#define PV_INIT_FN(group, name, conv, room, fn)	.group.name = PV_SLOT_##conv(fn),
#define PV_NATIVE_TABLE { PV_OP_LIST(PV_INIT_ASM, PV_INIT_FN) }

struct pv_ops pv_ops = PV_NATIVE_TABLE;
const struct pv_ops pv_native_ops = PV_NATIVE_TABLE;
