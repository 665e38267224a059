/* The xen table, and its irq and cpu ops (backends/xen/ops.c). */
#ifndef PVOS_XEN_OPS_H
#define PVOS_XEN_OPS_H

#include "pvops/pv_ops.h"

void xen_fill_pv_ops(struct pv_ops *ops);
void xen_force_upcall(void);	/* deliver events that arrived while masked */

#endif
