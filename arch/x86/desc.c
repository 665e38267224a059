/*
 * The native descriptor tables: GDT (kernel code and data, and a TSS whose
 * IST1 stack catches double faults even when the kernel stack is gone) and
 * the IDT pointing every vector at its stub in entry.S.  Loaded through
 * pv_ops (load_gdt, load_idt, load_tr); a Xen PV kernel registers a trap
 * table with the hypervisor instead.
 */
#include "arch/x86/traps.h"
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "kernel/string.h"
#include "pvops/pvops.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
};

/* Null, code, data, then a TSS (two slots) per CPU: each its own #DF stack. */
static uint64_t gdt[TSS_SLOT(MAX_CPUS)] __aligned(16);
static struct tss tss[MAX_CPUS] __aligned(16);
static struct idt_gate idt[256] __aligned(16);
static uint8_t df_stack[MAX_CPUS][8192] __aligned(16);

static void set_tss_descriptor(int cpu)
{
	uint64_t base = (uint64_t)&tss[cpu], limit = sizeof(tss[cpu]) - 1;
	int slot = TSS_SLOT(cpu);

	gdt[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		    (0x89UL << 40) |		/* present, 64-bit available TSS */
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[slot + 1] = base >> 32;
}

static void set_gate(int vec, int ist)
{
	uint64_t addr = (uint64_t)trap_stubs + 16 * vec;

	idt[vec] = (struct idt_gate){
		.offset_lo = addr & 0xffff,
		.selector = KERNEL_CS,
		.ist = (uint8_t)ist,
		.type = 0x8e,		/* present, ring 0, interrupt gate */
		.offset_mid = (addr >> 16) & 0xffff,
		.offset_hi = (uint32_t)(addr >> 32),
	};
}

/* Reload the segment registers after the new GDT: %cs needs a far return. */
static void reload_segments(void)
{
	asm volatile("pushq %0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss"
		     : : "i"(KERNEL_CS), "r"(KERNEL_DS) : "rax", "memory");
}

/* This CPU's descriptor tables: the shared GDT and IDT, its own TSS. */
void pc_trap_init_cpu(int cpu)
{
	struct desc_ptr gp = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct desc_ptr ip = { sizeof(idt) - 1, (uint64_t)idt };

	tss[cpu].ist[0] = (uint64_t)df_stack[cpu] + sizeof(df_stack[cpu]);
	tss[cpu].iomap_base = sizeof(tss[cpu]);
	set_tss_descriptor(cpu);
	load_gdt(&gp);
	reload_segments();
	load_tr(TSS_SLOT(cpu) * 8);
	load_idt(&ip);
}

void pc_trap_init(void)
{
	gdt[1] = 0x00af9a000000ffffUL;	/* KERNEL_CS: 64-bit code */
	gdt[2] = 0x00cf92000000ffffUL;	/* KERNEL_DS */
	for (int v = 0; v < 256; v++)
		set_gate(v, v == VEC_DF ? 1 : 0);
	pc_trap_init_cpu(0);
}
