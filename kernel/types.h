/*
 * Basic types and helpers shared by every part of pvos.
 *
 * pvos is freestanding: it has no libc, only the compiler's own
 * <stdint.h>, <stddef.h>, <stdbool.h> and <stdarg.h>.  Everything else it
 * needs it defines here, once.
 */
#ifndef PVOS_TYPES_H
#define PVOS_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint64_t phys_addr_t;

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

#define __noreturn      __attribute__((noreturn))
#define __used          __attribute__((used))
#define __section(s)    __attribute__((section(s)))
#define __aligned(n)    __attribute__((aligned(n)))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define __noinline      __attribute__((noinline))
#define barrier()       asm volatile("" ::: "memory")

#define STATIC_ASSERT(c) _Static_assert(c, #c)

/* A macro's value as a string, for asm: __stringify(CPU_HV_AREA + 1) is "64 + 1". */
#define __stringify_1(x...)	#x
#define __stringify(x...)	__stringify_1(x)

#endif
