/*
 * Override records (see override.h): does a record hold, and a table made
 * from the native one plus the records that do.  Pure code: the kernel's
 * backends apply their records with it at boot, and `pvsites --plan` and
 * the host unit tests (tests/host/test_override.c) run it unchanged.
 */
#include "pvops/override.h"

/* The names `pvsites --plan --features` takes and prints, by bit. */
const char *const pv_when_names[PV_WHEN_NR] = {
	"pvspin", "pvspin=force", "hypercalls", "vmcall", "vmmcall",
};

/* A record holds when every fact and every feature bit it needs does. */
bool pv_override_holds(const struct pv_override *o, const struct pv_facts *f)
{
	return (o->when & ~f->when) == 0 && (o->features & ~f->features) == 0;
}

/*
 * Write into slots every record of `backend` that holds, in the order of
 * the records (a later one wins, as a later assignment would); a record
 * for a slot beyond the table is skipped.  Returns how many were written.
 * Applying again, after more facts are known, changes only what they add.
 */
unsigned int pv_overrides_apply(uint64_t *slots, unsigned int nr_slots,
				const struct pv_override *start, const struct pv_override *stop,
				const void *backend, const struct pv_facts *f)
{
	unsigned int n = 0;

	for (const struct pv_override *o = start; o < stop; o++) {
		if (o->backend != backend || o->op >= nr_slots || !pv_override_holds(o, f))
			continue;
		slots[o->op] = (uint64_t)(uintptr_t)o->func;
		n++;
	}
	return n;
}

/* The bit of a fact's name, or -1 (no libc here: the kernel links this file). */
int pv_when_bit(const char *name)
{
	for (int b = 0; b < PV_WHEN_NR; b++) {
		const char *a = pv_when_names[b], *p = name;

		while (*a && *a == *p) {
			a++;
			p++;
		}
		if (!*a && !*p)
			return b;
	}
	return -1;
}
