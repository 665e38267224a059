/* The xen table, and its irq and cpu ops (backends/xen/ops.c). */
#ifndef PVOS_XEN_OPS_H
#define PVOS_XEN_OPS_H

#include "pvops/pv_ops.h"
#include "pvops/override.h"

void xen_fill_pv_ops(struct pv_ops *ops);
extern struct pv_facts xen_facts;	/* what holds under Xen, for its override records */
void xen_force_upcall(void);	/* deliver events that arrived while masked */

#endif
