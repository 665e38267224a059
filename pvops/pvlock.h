/*
 * The paravirtual ticket lock (pvops/pvlock.c): what a hypervisor backend
 * installs as lock.spin_lock and lock.spin_unlock, once it has a way to
 * sleep (lock.wait) and to wake a sleeper (lock.kick).
 */
#ifndef PVOS_PVLOCK_H
#define PVOS_PVLOCK_H

#include "kernel/types.h"

struct spinlock;

void pv_ticket_lock(struct spinlock *l);
extern char pv_ticket_unlock[];	/* callee-save asm: the fast path */
void pv_ticket_unlock_kick(struct spinlock *l);

struct pv_backend;
struct pv_facts;

/*
 * The two ops into pv_ops, unless pvspin=off (plain spinning): f gains
 * pvspin, and b's override records that need it are applied; true if the
 * lock is installed.
 */
bool pvlock_install(const struct pv_backend *b, struct pv_facts *f);
bool pvlock_installed(void);
void pvlock_force_native(const struct pv_backend *b);	/* pvspin=force: native's install */

#endif
