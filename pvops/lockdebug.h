/* `lockdebug` (pvops/lockdebug.c): a checking layer in front of the lock ops. */
#ifndef PVOS_LOCKDEBUG_H
#define PVOS_LOCKDEBUG_H

struct spinlock;

void lockdebug_install(void);	/* after the backend, before the patcher */
void lockdebug_unlock(struct spinlock *l);

#endif
