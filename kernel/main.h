/* kmain (kernel/main.c): the boot sequence every entry path ends in. */
#ifndef PVOS_MAIN_H
#define PVOS_MAIN_H

#include "kernel/platform.h"

/* The one pvos runs on: the PC until an entry path says otherwise. */
extern const struct platform *platform;

void kmain(const struct platform *p) __attribute__((noreturn));

#endif
