/*
 * The op table's metadata: each slot's name and calling convention, indexed
 * by op number (the slot's index in struct pv_ops), made from PV_OP_LIST.
 * The patcher validates sites against it; the boot log, pvsites and the
 * tests use the names.  Pure data: tools/pvsites.c links this file too.
 */
#include "pvops/pv_ops.h"

#define PV_OP_INFO(group, op, conv, room, ...) \
	[PV_OP(group.op)] = { #group "." #op, PV_CONV_##conv, room },

const struct pv_op_info pv_op_info[PV_NR_OPS] = {
	PV_OP_EACH(PV_OP_INFO)
};

/* Every slot of struct pv_ops has its row: no op without a name. */
#define PV_OP_COUNT(...) +1
STATIC_ASSERT(0 PV_OP_EACH(PV_OP_COUNT) == PV_NR_OPS);

/* A site holds at least the indirect call, and fits the patcher's buffers. */
#define PV_ROOM_CHECK(group, op, conv, room, ...)				\
	STATIC_ASSERT((room) >= PV_SITE_CALL_LEN && (room) <= PV_SITE_MAX_LEN);
PV_OP_EACH(PV_ROOM_CHECK)

const struct pv_op_info *pv_op_lookup(unsigned int op)
{
	if (op >= PV_NR_OPS || !pv_op_info[op].name)
		return NULL;
	return &pv_op_info[op];
}
