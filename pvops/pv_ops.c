/*
 * The op table's metadata: each slot's name and calling convention, indexed
 * by op number (the slot's index in struct pv_ops).  The patcher validates
 * sites against it and the boot log, tools and tests use the names.
 */
#include "pvops/pv_ops.h"

#define PV_OP_INFO(group, op, conv) \
	[PV_OP(group.op)] = { #group "." #op, PV_CONV_##conv },

const struct pv_op_info pv_op_info[PV_NR_OPS] = {
	PV_OP_LIST(PV_OP_INFO)
};

#define PV_OP_COUNT(group, op, conv) +1
STATIC_ASSERT(0 PV_OP_LIST(PV_OP_COUNT) == PV_NR_OPS);

const struct pv_op_info *pv_op_lookup(unsigned int op)
{
	if (op >= PV_NR_OPS || !pv_op_info[op].name)
		return NULL;
	return &pv_op_info[op];
}
