/*
 * CPU exceptions and interrupts: the saved register frame, the handler
 * table, the exception dump, and "expected faults" for self-tests.
 */
#ifndef PVOS_TRAPS_H
#define PVOS_TRAPS_H

#include "kernel/types.h"

/* What arch/x86/entry.S pushes; the order matters. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

#define VEC_DE	0
#define VEC_UD	6
#define VEC_DF	8
#define VEC_GP	13
#define VEC_PF	14
#define VEC_TIMER	0x20
#define VEC_IPI_CALL	0xf1	/* kernel/smp.c: wake a CPU that has work */
#define VEC_IPI_STOP	0xf2	/* kernel/smp.c: stop_machine */
#define VEC_IPI_FLUSH	0xf4	/* arch/x86/tlb.c: flush this CPU's TLB */
#define VEC_TEST_IPI	0xf5	/* a backend's self-test IPI (backends/kvm/selftests_smp.c) */
/* 0xf0: the register self-test's self-IPI; 0xf3: Xen's upcall (backends/xen/xen_vectors.h) */
#define VEC_SPURIOUS	0xff
#define VEC_ANY		(-1)	/* expect_fault: whichever exception comes */

typedef void (*irq_handler_t)(struct trap_frame *f);
void set_irq_handler(int vector, irq_handler_t h);

void trap_init(void);
void trap_dispatch(struct trap_frame *f);
void dump_backtrace(unsigned long rbp);
const char *exception_name(int vector);

/* A fault a self-test provokes on purpose, caught instead of dumped. */
struct fault_record {
	int vector;
	uint64_t error, cr2, rip;
};
bool expect_fault(int vector, void (*fn)(void *), void *arg, struct fault_record *rec);

/* The entry stubs, 16 bytes per vector (arch/x86/entry.S). */
extern char trap_stubs[];

#endif
