/* The PC's entry into C (arch/x86/boot.c), from boot/head32.S in long mode. */
#ifndef PVOS_X86_BOOT_H
#define PVOS_X86_BOOT_H

#include "kernel/types.h"

/* magic: BOOT_MAGIC_MULTIBOOT2 or BOOT_MAGIC_PVH; info: the loader's data. */
void pc_boot_main(uint32_t magic, uint32_t info) __attribute__((noreturn));

#endif
