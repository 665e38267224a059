/*
 * What a backend (backends/native, backends/xen, backends/kvm) uses to plug
 * into pvops: its descriptor, callee-save thunks for its C functions, and
 * inline templates for the patcher.
 */
#ifndef PVOS_BACKEND_H
#define PVOS_BACKEND_H

#include "pvops/pvops.h"
#include "pvops/patch.h"
#include "pvops/override.h"

/*
 * A backend: how pvos does privileged work on one kind of machine.  It is
 * known by this descriptor's address (pv_backend == &xen_backend), and by
 * name only on the command line.  detect() says whether it can run here,
 * and why (or why not), in a sentence for the boot log.  install() fills
 * pv_ops; it runs once, with interrupts off, before the patcher.
 *
 * What differs in how the machine is started and stopped (console, traps,
 * memory, timer, exit) is the platform's (kernel/platform.h), not the
 * backend's: KVM runs on the PC platform with the kvm backend.
 */
struct pv_backend {
	const char *name;		/* pvops=<name>: "native", "xen", "kvm" */
	const char *alias;		/* another name pvops= accepts, or NULL */
	int priority;			/* pvops=auto picks the highest present */
	bool (*detect)(char *why, size_t size);
	void (*install)(void);
	uint64_t (*hypercalls)(void);	/* hypercalls made so far; NULL: none */
	void (*report)(void);		/* at exit: what the host delivered; may be NULL */
	void (*cpu_init)(int cpu);	/* on each other CPU as it starts (per-CPU records); may be NULL */
	/*
	 * For the monitor (kernel/monitor.c, pvops/monitor.c); each may be NULL,
	 * and the monitor then says the backend has nothing to tell.
	 */
	void (*describe)(void);		/* `hv`: what the host offers, what pvos uses of it */
	void (*counts)(void);		/* `counts`: hypercalls (and exits) pvos caused, by op */
	/* `lazy on|off`: batch page-table writes in lazy-MMU mode or not; NULL: never batches */
	void (*set_lazy)(bool on);
	/* Why the native ops cannot run under this backend (`patch native`); NULL: they can */
	const char *no_native;
};

/* Backends register themselves; pvops/select.c walks the section. */
#define PV_BACKEND(var) \
	static const struct pv_backend *const var##_ptr __used \
		__section(".pv_backends") = &var

extern const struct pv_backend *const __start_pv_backends[], *const __stop_pv_backends[];


/*
 * PV_CALLEE_SAVE_THUNK(fn) makes fn_thunk: saves every caller-saved register
 * but %rax, calls the C function fn, restores them.  It is what a callee-save
 * slot holds when its op is a C function, so that sites which only let the
 * callee clobber %rax stay correct (Linux's PV_CALLEE_SAVE_REGS_THUNK).
 * PV_CALLEE_SAVE_THUNK_RAX(fn) is the same for ops whose argument arrives in
 * %rax (PVOP_CALLEE_RAX): it moves it to %rdi for the C function.
 */
#define __PV_THUNK(fn, before_call)					\
	asm(".pushsection .text, \"ax\"\n"				\
	    ".globl " #fn "_thunk\n"					\
	    ".type " #fn "_thunk, @function\n"				\
	    #fn "_thunk:\n\t"						\
	    "push %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"	\
	    "push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"	\
	    before_call							\
	    "call " #fn "\n\t"						\
	    "pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\t"		\
	    "pop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\t"		\
	    "ret\n"							\
	    ".size " #fn "_thunk, . - " #fn "_thunk\n"			\
	    ".popsection\n");						\
	extern char fn##_thunk[]

#define PV_CALLEE_SAVE_THUNK(fn)	__PV_THUNK(fn, "")
#define PV_CALLEE_SAVE_THUNK_RAX(fn)	__PV_THUNK(fn, "mov %rax, %rdi\n\t")

#define PV_CALLEE_SAVE(fn)	((struct pv_callee_save){ .func = fn##_thunk })

/*
 * DEF_PV_INSN(name, slot, equiv, clobbers, "asm") records an inline
 * replacement for op `slot`: the patcher copies the assembled bytes into a
 * site, but only while pv_ops.slot holds `equiv`, the function the code
 * stands for.  So a backend that overrides an op automatically stops getting
 * another backend's inline code for it.  An empty "asm" turns the site into
 * padding.  Code may end with one `call` out (its slow path): say so with
 * PV_INSN_CALLS in clobbers, and the patcher re-aims it from each site.
 * The patcher puts the code at the end of the site, padding before it.  (Linux's DEF_NATIVE, extended as Gross and Poimboeuf's
 * ALTERNATIVE_N idea asks: docs/sources.md.)
 */
extern const struct pv_insn __start_pv_insns[], __stop_pv_insns[];

#define DEF_PV_INSN(name, slot, equiv_fn, clb, code_asm)		\
	asm(".pushsection .rodata.pv_insn_code, \"a\"\n"		\
	    #name "_code:\n\t" code_asm "\n"				\
	    #name "_code_end:\n"					\
	    ".popsection\n");						\
	extern const uint8_t name##_code[], name##_code_end[];		\
	static const struct pv_insn name __used __aligned(8)		\
		__section(".pv_insns") = {				\
		.op = PV_OP(slot), .clobbers = (clb) & PV_CLB_C_ABI,	\
		.calls = !!((clb) & PV_INSN_CALLS),			\
		.code = name##_code, .end = name##_code_end,		\
		.equiv = (const void *)(equiv_fn),			\
	}

/*
 * PV_OVERRIDE(backend, slot, fn, when, features) records that `backend`
 * puts `fn` into pv_ops.slot when the facts `when` (PV_WHEN_*) hold and
 * the host offers every bit of `features`; PV_WHEN_ALWAYS, 0 for always.
 * For a callee-save slot fn is its code: a PV_CALLEE_SAVE_THUNK's
 * fn_thunk, or asm.  The record goes into .pv_overrides, between
 * __start_pv_overrides and __stop_pv_overrides, where the backend's install
 * finds it (pv_install_overrides) and so does `pvsites --plan`: one list,
 * read by both, is what the backend's table is.
 */
extern const struct pv_override __start_pv_overrides[], __stop_pv_overrides[];

/* fn can go into the slot: any code for a callee-save one, else the slot's type. */
#define PV_SLOT_TAKES(slot, fn)							\
	(__builtin_types_compatible_p(__typeof__(pv_ops.slot), struct pv_callee_save) || \
	 __builtin_types_compatible_p(__typeof__(pv_ops.slot), __typeof__(&(fn))))

#define __PV_OVERRIDE(id, backend_, slot, fn, when_, features_)			\
	_Static_assert(PV_SLOT_TAKES(slot, fn), #fn " cannot go into " #slot);	\
	static const struct pv_override id __used __aligned(8)			\
		__section(".pv_overrides") = {					\
		.backend = &(backend_), .func = (const void *)(fn),		\
		.op = PV_OP(slot), .when = (when_), .features = (features_),	\
	}
#define __PV_OVERRIDE_ID(n, ...)	__PV_OVERRIDE(pv_override_##n, __VA_ARGS__)
#define __PV_OVERRIDE_N(n, ...)		__PV_OVERRIDE_ID(n, __VA_ARGS__)
#define PV_OVERRIDE(...)		__PV_OVERRIDE_N(__COUNTER__, __VA_ARGS__)

/* Apply to pv_ops every record of b that holds under f; how many (pvops/override.c). */
static inline unsigned int pv_install_overrides(const struct pv_backend *b,
						const struct pv_facts *f)
{
	return pv_overrides_apply((uint64_t *)&pv_ops, PV_NR_OPS, __start_pv_overrides,
				  __stop_pv_overrides, b, f);
}

#endif
