/* The PC platform (arch/x86/pc_platform.c): multiboot2 and PVH boots run on it. */
#ifndef PVOS_PC_PLATFORM_H
#define PVOS_PC_PLATFORM_H

#include "kernel/platform.h"

extern const struct platform pc_platform;

#endif
