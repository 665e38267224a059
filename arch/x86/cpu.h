/*
 * The ground floor: the CPU's own instructions, as inline functions named
 * native_*, and the machine types they work on.  Everything above uses
 * these: the native backend (backends/native) wraps them for the pv_ops
 * table, and a PARAVIRT=0 build calls them directly (Linux's
 * !CONFIG_PARAVIRT, the baseline `make bench` measures against).
 *
 * This is the only header in pvos that executes privileged instructions,
 * and it knows nothing of pv_ops or of any hypervisor.
 */
#ifndef PVOS_CPU_H
#define PVOS_CPU_H

#include "kernel/types.h"

typedef uint64_t pteval_t;

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Every op takes the "memory" clobber in both builds, so they compare fairly. */
static inline unsigned long native_save_fl(void)
{
	unsigned long f;

	asm volatile("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

static inline void native_restore_fl(unsigned long f)
{
	asm volatile("pushq %0; popfq" : : "g"(f) : "memory", "cc");
}

static inline void native_irq_disable(void) { asm volatile("cli" ::: "memory"); }
static inline void native_irq_enable(void) { asm volatile("sti" ::: "memory"); }
/* sti's one-instruction shadow makes "sti; hlt" sleep without a lost wakeup. */
static inline void native_safe_halt(void) { asm volatile("sti; hlt" ::: "memory"); }
static inline void native_halt(void) { asm volatile("hlt" ::: "memory"); }

static inline unsigned long native_read_cr2(void)
{
	unsigned long v;

	asm volatile("mov %%cr2, %0" : "=r"(v) : : "memory");
	return v;
}

static inline unsigned long native_read_cr3(void)
{
	unsigned long v;

	asm volatile("mov %%cr3, %0" : "=r"(v) : : "memory");
	return v;
}

static inline void native_write_cr3(unsigned long v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void native_set_pte(pteval_t *p, pteval_t v)
{
	asm volatile("movq %1, %0" : "=m"(*p) : "r"(v) : "memory");
}

static inline void native_pte_clear(pteval_t *p)
{
	asm volatile("andq $0, %0" : "+m"(*p) : : "memory", "cc");
}

static inline void native_flush_tlb_one(unsigned long va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void native_flush_tlb_local(void)
{
	native_write_cr3(native_read_cr3());
}

/* Natively a page-table entry holds the physical frame itself. */
static inline pteval_t native_make_pte(pteval_t v) { return v; }
static inline pteval_t native_pte_val(pteval_t v) { return v; }

static inline void native_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
		     : "a"(leaf), "c"(subleaf) : "memory");
}

static inline uint64_t native_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void native_wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
}

static inline void native_load_idt(const struct desc_ptr *d)
{
	asm volatile("lidt %0" : : "m"(*d) : "memory");
}

static inline void native_load_gdt(const struct desc_ptr *d)
{
	asm volatile("lgdt %0" : : "m"(*d) : "memory");
}

static inline void native_load_tr(unsigned int sel)
{
	asm volatile("ltr %w0" : : "r"(sel) : "memory");
}

/* Port 0x80 is the traditional "POST code" port: a write there takes ~1us. */
static inline void native_io_delay(void) { asm volatile("outb %%al, $0x80" ::: "memory"); }
static inline void native_wbinvd(void) { asm volatile("wbinvd" ::: "memory"); }

static inline uint64_t native_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* cpuid serializes: a CPU that runs it next fetches code afresh (SDM 8.1.3). */
static inline void native_serialize(void)
{
	struct cpuid_regs r;

	native_cpuid(0, 0, &r);
}

/*
 * Ticket locks, as Linux had them before qspinlock: a CPU takes the next
 * ticket from `tail` (lock xadd) and waits until `head`, the ticket being
 * served, reaches it; unlock serves the next.  First come, first served.
 * Tickets go up by 2: bit 0 of tail is the "slow path" flag a paravirtual
 * waiter sets when it goes to sleep (pvops/pvlock.c).  Natively nobody
 * sleeps, so the native ops never look at it.  head is the first half of
 * the word, so that unlock is one instruction on the lock's own address.
 */
#define TICKET_INC	2
#define TICKET_SLOWPATH	1

struct ticketlock {
	union {
		volatile uint32_t word;
		struct {
			volatile uint16_t head;		/* now serving */
			volatile uint16_t tail;		/* next ticket | slow-path flag */
		};
	};
};

/* Take a ticket: the tail as it was (it may carry the flag). */
static inline uint16_t native_ticket_take(struct ticketlock *l)
{
	uint16_t t = TICKET_INC;

	asm volatile("lock xaddw %0, %1" : "+r"(t), "+m"(l->tail) : : "memory");
	return t;
}

static inline void native_spin_lock(struct ticketlock *l)
{
	uint16_t t = native_ticket_take(l) & ~TICKET_SLOWPATH;

	while (__builtin_expect(l->head != t, 0))
		asm volatile("pause" ::: "memory");
}

/* The lock only if nobody holds or waits for it: one cmpxchg of the word. */
static inline int native_spin_trylock(struct ticketlock *l)
{
	uint32_t old = l->word, head = old & 0xffff, tail = old >> 16;

	if (head != (tail & ~TICKET_SLOWPATH))
		return 0;
	return __atomic_compare_exchange_n(&l->word, &old, old + ((uint32_t)TICKET_INC << 16),
					   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Only the holder writes head, and x86 keeps stores in order: no lock prefix. */
static inline void native_spin_unlock(struct ticketlock *l)
{
	asm volatile("addw $2, %0" : "+m"(l->head) : : "memory", "cc");
}

#endif
