/*
 * x86 port I/O.  Like Linux, pvos does not route port I/O through pv_ops:
 * drivers that use ports (16550, PIT, VGA cursor, debug-exit) are simply not
 * used under Xen PV, where the Xen backend supplies its own console and
 * timer.
 */
#ifndef PVOS_IO_H
#define PVOS_IO_H

#include "kernel/types.h"

static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
