/* The other vCPUs under Xen PV, and what each one owns (backends/xen/smp.c). */
#ifndef PVOS_XEN_SMP_H
#define PVOS_XEN_SMP_H

void xen_register_vcpu_info(int cpu);
void xen_cpu_init(int cpu);		/* a vCPU's IPI and lock-kick channels */
void xen_send_ipi(int cpu, int vector);	/* apic.send_ipi */
void xen_start_cpus(int max);		/* xen_platform.start_cpus */
void xen_ap_entry(void);		/* from xen_ap_start (xen_entry.S) */

#endif
