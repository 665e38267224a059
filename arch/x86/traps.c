/*
 * What happens when the CPU stops the kernel: exceptions are either caught
 * (a self-test expected them) or dumped with registers and a symbolic
 * backtrace before pvos exits failing; interrupts go to their handler.
 * Never a silent hang, never a triple-fault reboot loop.
 */
#include "arch/x86/traps.h"
#include "arch/x86/ksyms.h"
#include "arch/x86/setjmp.h"
#include "arch/x86/percpu.h"
#include "arch/x86/mm.h"
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "pvops/pvops.h"


static irq_handler_t irq_handlers[256];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *exception_name(int vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "reserved";
}

void set_irq_handler(int vector, irq_handler_t h)
{
	irq_handlers[vector & 0xff] = h;
}

struct fault_catch {
	int vector;
	jmp_buf jb;
	struct fault_record *rec;
};

/*
 * Run fn(arg); if it raises `vector` (VEC_ANY: any exception), return true
 * with the details in rec.
 */
bool expect_fault(int vector, void (*fn)(void *), void *arg, struct fault_record *rec)
{
	struct fault_catch fc = { .vector = vector, .rec = rec };
	unsigned long flags = save_fl();
	volatile bool faulted = false;

	this_cpu()->fault_catch = &fc;
	if (setjmp(fc.jb) == 0)
		fn(arg);
	else
		faulted = true;
	this_cpu()->fault_catch = NULL;
	restore_fl(flags);
	return faulted;
}

static void catch_fault(struct trap_frame *f, struct fault_catch *fc)
{
	fc->rec->vector = (int)f->vector;
	fc->rec->error = f->error;
	fc->rec->cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	fc->rec->rip = f->rip;
	this_cpu()->fault_catch = NULL;
	longjmp(fc->jb, 1);
}

static void print_pf_error(uint64_t e)
{
	printk(" (%s, %s, %s%s)", e & 1 ? "protection violation" : "not present",
	       e & 2 ? "write" : (e & 16 ? "instruction fetch" : "read"),
	       e & 4 ? "user" : "kernel", e & 8 ? ", reserved bit" : "");
}

static void dump_registers(const struct trap_frame *f)
{
	printk("  RIP %016lx ", f->rip);
	print_symbol(f->rip);
	printk("\n  CS %04lx  RFLAGS %016lx  RSP %016lx  SS %04lx\n",
	       f->cs, f->rflags, f->rsp, f->ss);
	printk("  RAX %016lx  RBX %016lx  RCX %016lx\n", f->rax, f->rbx, f->rcx);
	printk("  RDX %016lx  RSI %016lx  RDI %016lx\n", f->rdx, f->rsi, f->rdi);
	printk("  RBP %016lx  R8  %016lx  R9  %016lx\n", f->rbp, f->r8, f->r9);
	printk("  R10 %016lx  R11 %016lx  R12 %016lx\n", f->r10, f->r11, f->r12);
	printk("  R13 %016lx  R14 %016lx  R15 %016lx\n", f->r13, f->r14, f->r15);
}

/*
 * A function that faults before (or without) setting up its frame leaves its
 * caller's return address on top of the stack, where the frame-pointer walk
 * cannot see it.  Print it marked '?', as Linux marks unreliable entries.
 */
static void print_stack_guess(const struct trap_frame *f)
{
	uint64_t off, word;
	phys_addr_t pa;

	if (f->rsp & 7 || f->rsp < KERNEL_VMA || !translate(f->rsp, &pa, NULL))
		return;
	word = *(const uint64_t *)f->rsp;
	if (word != f->rip && ksym_lookup(word, &off) && off)
		printk("  ? %016lx <%s+0x%lx>\n", word, ksym_lookup(word, &off), off);
}

static void __noreturn exception_dump(struct trap_frame *f)
{
	int depth = this_cpu()->in_exception++;

	if (depth > 1)		/* faulted while dumping twice: just stop */
		pvos_exit(EXIT_FAIL);
	printk("\n*** pvos: CPU exception %lu: %s, error code %#lx",
	       f->vector, exception_name((int)f->vector), f->error);
	if (f->vector == VEC_PF)
		print_pf_error(f->error);
	printk("\n  CR2 %016lx\n", f->vector == VEC_PF ? read_cr2() : 0UL);
	dump_registers(f);
	printk("  Call trace:\n    %016lx ", f->rip);
	print_symbol(f->rip);
	printk("\n");
	print_stack_guess(f);
	dump_backtrace(f->rbp);
	pvos_exit(EXIT_FAIL);
}

/* Walk saved frame pointers: [rbp] is the caller's rbp, [rbp+8] the return address. */
void dump_backtrace(unsigned long rbp)
{
	for (int depth = 0; depth < 16 && rbp; depth++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		phys_addr_t pa;

		if (rbp & 7 || rbp < KERNEL_VMA || !translate(rbp, &pa, NULL) ||
		    !translate(rbp + 8, &pa, NULL))
			break;
		if (!frame[1])
			break;
		printk("    %016lx ", frame[1]);
		print_symbol(frame[1]);
		printk("\n");
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

void trap_dispatch(struct trap_frame *f)
{
	struct fault_catch *fc = this_cpu()->fault_catch;

	if (f->vector < 32) {
		if (fc && (fc->vector == (int)f->vector || fc->vector == VEC_ANY))
			catch_fault(f, fc);
		exception_dump(f);
	}
	if (irq_handlers[f->vector])
		irq_handlers[f->vector](f);
	else if (f->vector != VEC_SPURIOUS)
		printk("pvos: unexpected interrupt, vector %#lx\n", f->vector);
}
