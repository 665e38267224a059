/*
 * Override records: which function each backend puts into which slot of
 * pv_ops, and when.  A backend's table is the native table plus its
 * records that hold on this machine, applied in order.  They are data (the
 * section .pv_overrides, PV_OVERRIDE in pvops/backend.h) rather than
 * assignments in C, so that the kernel and the tools read the same thing:
 * the backend's install applies them (pv_overrides_apply), and
 * `pvsites --plan` rebuilds each backend's table from them, offline.
 * Like patch.h this depends on nothing but <stdint.h>: the host tools and
 * unit tests run this code as the kernel does.
 */
#ifndef PVOS_OVERRIDE_H
#define PVOS_OVERRIDE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Facts a record may need besides host feature bits, each found out at
 * boot by the backend's install.  A record needs all of its bits.
 */
#define PV_WHEN_ALWAYS		0u
#define PV_WHEN_PVSPIN		(1u << 0)	/* paravirtual spinlocks on (pvspin=on, the default) */
#define PV_WHEN_PVSPIN_FORCE	(1u << 1)	/* pvspin=force: the pv lock even natively (a test) */
#define PV_WHEN_HYPERCALLS	(1u << 2)	/* the hypercall probe found an instruction that works */
#define PV_WHEN_VMCALL		(1u << 3)	/* ... and it is vmcall (Intel's) */
#define PV_WHEN_VMMCALL		(1u << 4)	/* ... and it is vmmcall (AMD's) */
#define PV_WHEN_NR		5

/* One record, 24 bytes, little endian; tools read it (docs/pvops.md, section 4). */
struct pv_override {
	const void *backend;	/* whose: its struct pv_backend */
	const void *func;	/* what the slot gets: a C function, or callee-save code */
	uint16_t op;		/* the slot, as in a site */
	uint16_t when;		/* PV_WHEN_* it needs */
	uint32_t features;	/* host feature bits it needs (KVM: CPUID 0x40000001 EAX) */
};

/* What holds on this machine, as the backend's install has found out so far. */
struct pv_facts {
	uint32_t when;		/* PV_WHEN_* */
	uint32_t features;	/* offered feature bits */
};

extern const char *const pv_when_names[PV_WHEN_NR];

bool pv_override_holds(const struct pv_override *o, const struct pv_facts *f);
unsigned int pv_overrides_apply(uint64_t *slots, unsigned int nr_slots,
				const struct pv_override *start, const struct pv_override *stop,
				const void *backend, const struct pv_facts *f);
int pv_when_bit(const char *name);

#endif
