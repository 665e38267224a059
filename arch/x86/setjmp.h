/* setjmp/longjmp (arch/x86/setjmp.S), for expect_fault() in arch/x86/traps.c. */
#ifndef PVOS_SETJMP_H
#define PVOS_SETJMP_H

#include "kernel/types.h"

typedef uint64_t jmp_buf[8];
int setjmp(jmp_buf jb) __attribute__((returns_twice));
void longjmp(jmp_buf jb, int v) __noreturn;

#endif
