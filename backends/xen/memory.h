/* Memory at boot under Xen PV (backends/xen/memory.c): adopt Xen's tables, build the direct map. */
#ifndef PVOS_XEN_MEMORY_H
#define PVOS_XEN_MEMORY_H

void xen_memory_init(void);

#endif
