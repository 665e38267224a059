/*
 * Memory under Xen PV.  Two facts shape everything here:
 *
 *  - Page-table entries hold machine frames, while pvos thinks in
 *    pseudo-physical ones (0 .. nr_pages-1, contiguous).  make_pte and
 *    pte_val translate with the p2m list Xen gave (pfn -> mfn) and Xen's
 *    read-only m2p table at HYPERVISOR_VIRT_START (mfn -> pfn).
 *  - Page tables are read-only to the guest.  Every entry is written by
 *    Xen, on request: mmu_update (or update_va_mapping for a live mapping);
 *    a page becomes a page table by losing its writable mappings and being
 *    pinned (MMUEXT_PIN_Lx_TABLE), after which Xen validates every entry
 *    written into it.
 *
 * Lazy-MMU mode queues the updates (and TLB flushes) into one multicall,
 * flushed on leave or when full.  Each CPU has its own queue, and its own
 * cr3; other vCPUs' TLBs are flushed by Xen (MMUEXT_*_MULTI), no IPI.
 *
 * xen_memory_init adopts Xen's bootstrap tables as kernel_pgd and builds
 * the direct map with arch/x86/paging.c's own map_page, all of it through
 * these ops.  Only the first few MiB of the direct map are built by hand,
 * because map_page reaches page tables through the direct map.
 */
#include "backends/xen/xen.h"
#include "backends/xen/mmu.h"
#include "backends/xen/monitor.h"
#include "arch/x86/mm.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tlb.h"
#include "kernel/options.h"
#include "kernel/printk.h"

/* ---- frames ---- */

static unsigned long xen_max_mfn;
static const unsigned long *xen_m2p;
static unsigned long xen_cr3[MAX_CPUS];	/* pseudo-physical, as read_cr3 reports */

uint64_t xen_virt_to_machine(const void *va)
{
	phys_addr_t pa = virt_to_phys(va);

	return ((uint64_t)xen_pfn_to_mfn(pa >> PAGE_SHIFT) << PAGE_SHIFT) | (pa & (PAGE_SIZE - 1));
}

/* ~0UL for a frame that is not one of ours (shared info, console ring). */
unsigned long xen_mfn_to_pfn(unsigned long mfn)
{
	unsigned long pfn;

	if (mfn > xen_max_mfn)
		return ~0UL;
	pfn = xen_m2p[mfn];
	return pfn < xen_nr_pages && xen_p2m[pfn] == mfn ? pfn : ~0UL;
}

pteval_t xen_make_pte(pteval_t v)
{
	unsigned long pfn = (v & PTE_ADDR) >> PAGE_SHIFT;

	if (!(v & PTE_P))
		return v;
	if (pfn >= xen_nr_pages)
		panic("xen: make_pte(%lx): pfn %lx is beyond the %lu pages Xen gave", v, pfn,
		      xen_nr_pages);
	return (v & ~PTE_ADDR) | ((pteval_t)xen_pfn_to_mfn(pfn) << PAGE_SHIFT);
}

/* A foreign frame keeps its machine address: it has no pseudo-physical one. */
pteval_t xen_pte_val(pteval_t v)
{
	unsigned long pfn;

	if (!(v & PTE_P))
		return v;
	pfn = xen_mfn_to_pfn((v & PTE_ADDR) >> PAGE_SHIFT);
	return pfn == ~0UL ? v : (v & ~PTE_ADDR) | ((pteval_t)pfn << PAGE_SHIFT);
}

/* ---- lazy mode: a multicall of mmu_update and mmuext_op batches ---- */

#define XEN_LAZY_UPDATES	256
#define XEN_LAZY_EXT		32
#define XEN_LAZY_CALLS		16

static struct xen_lazy {
	bool active;
	unsigned int nr_upd, nr_ext, nr_mc;
	mmu_update_t upd[XEN_LAZY_UPDATES];
	struct mmuext_op ext[XEN_LAZY_EXT];
	multicall_entry_t mc[XEN_LAZY_CALLS];
} xen_lazy_queue[MAX_CPUS];

static struct xen_lazy *xen_lazy(void)
{
	return &xen_lazy_queue[smp_processor_id()];
}

static const char *xen_mc_name(unsigned long op)
{
	return op == __HYPERVISOR_mmu_update ? "mmu_update" : "mmuext_op";
}

void xen_lazy_mmu_flush(void)
{
	struct xen_lazy *q = xen_lazy();
	unsigned int n = q->nr_mc;

	if (!n)
		return;
	q->nr_mc = q->nr_upd = q->nr_ext = 0;
	xen_check(HYPERVISOR_multicall(q->mc, n), "multicall(%u lazy-MMU batches)", n);
	for (unsigned int i = 0; i < n; i++) {
		multicall_entry_t *m = &q->mc[i];

		if ((long)m->result < 0)
			xen_hypercall_failed((long)m->result, "%s(batched: %lu requests, first ptr %lx)",
					     xen_mc_name(m->op), m->args[1],
					     m->op == __HYPERVISOR_mmu_update ?
					     (unsigned long)((mmu_update_t *)m->args[0])->ptr : 0UL);
	}
}

/* Append one request, growing the last batch if it is of the same kind. */
static void xen_lazy_add(struct xen_lazy *q, unsigned long op, void *item)
{
	multicall_entry_t *last = q->nr_mc ? &q->mc[q->nr_mc - 1] : NULL;
	size_t size = op == __HYPERVISOR_mmu_update ? sizeof(mmu_update_t) : sizeof(struct mmuext_op);

	if (last && last->op == op && last->args[0] + last->args[1] * size == (unsigned long)item) {
		last->args[1]++;
		return;
	}
	last = &q->mc[q->nr_mc++];
	*last = (multicall_entry_t){ .op = op };
	last->args[0] = (unsigned long)item;
	last->args[1] = 1;
	last->args[2] = 0;		/* no success count wanted */
	last->args[3] = DOMID_SELF;
}

static bool xen_lazy_full(const struct xen_lazy *q)
{
	return q->nr_upd == XEN_LAZY_UPDATES || q->nr_ext == XEN_LAZY_EXT ||
	       q->nr_mc == XEN_LAZY_CALLS;
}

static void xen_lazy_update(uint64_t ptr, uint64_t val)
{
	struct xen_lazy *q = xen_lazy();
	mmu_update_t *u;

	if (xen_lazy_full(q))
		xen_lazy_mmu_flush();
	u = &q->upd[q->nr_upd++];
	u->ptr = ptr;
	u->val = val;
	xen_lazy_add(q, __HYPERVISOR_mmu_update, u);
}

static void xen_lazy_ext(const struct mmuext_op *op)
{
	struct xen_lazy *q = xen_lazy();
	struct mmuext_op *e;

	if (xen_lazy_full(q))
		xen_lazy_mmu_flush();
	e = &q->ext[q->nr_ext++];
	*e = *op;
	xen_lazy_add(q, __HYPERVISOR_mmuext_op, e);
}

/*
 * xen.lazy_mmu=off: entering lazy mode does nothing, so every update goes
 * to Xen at once, one hypercall each, as outside lazy mode: the A/B for
 * batching (the same boot, the same code, only the queue turned off).  The
 * monitor's `lazy on|off` flips the same switch on a running kernel.
 */
enum { XEN_LAZY_OFF, XEN_LAZY_ON };
static int xen_lazy_opt = XEN_LAZY_ON;
static const char *const xen_lazy_choices[] = { "off", "on", NULL };
CMDLINE_CHOICE(opt_xen_lazy_mmu, "xen.lazy_mmu", &xen_lazy_opt, xen_lazy_choices,
	       "batch page-table updates in lazy-MMU mode (on), or send each at once (off)");

bool xen_lazy_mmu_enabled(void)
{
	return xen_lazy_opt == XEN_LAZY_ON;
}

void xen_set_lazy(bool on)
{
	xen_lazy_opt = on ? XEN_LAZY_ON : XEN_LAZY_OFF;
}

void xen_lazy_mmu_enter(void)
{
	xen_lazy()->active = xen_lazy_mmu_enabled();
}

void xen_lazy_mmu_leave(void)
{
	xen_lazy_mmu_flush();
	xen_lazy()->active = false;
}

/* ---- entries ---- */

long xen_mmu_update_raw(pteval_t *p, pteval_t v)
{
	mmu_update_t u = { .ptr = xen_virt_to_machine(p) | MMU_NORMAL_PT_UPDATE, .val = v };

	return HYPERVISOR_mmu_update(&u, 1, NULL);
}

static void xen_write_entry(pteval_t *p, pteval_t v, const char *op)
{
	xen_lazy_mmu_flush();		/* keep the order of earlier queued writes */
	xen_check(xen_mmu_update_raw(p, v), "mmu_update(%s %lx <- %lx)", op, (unsigned long)p, v);
}

/* Only leaf entries are queued: paging.c reads an upper entry right after writing it. */
void xen_set_pte(pteval_t *p, pteval_t v)
{
	if (xen_lazy()->active)
		xen_lazy_update(xen_virt_to_machine(p) | MMU_NORMAL_PT_UPDATE, v);
	else
		xen_write_entry(p, v, "set_pte");
}

void xen_pte_clear(pteval_t *p) { xen_set_pte(p, 0); }
void xen_set_pmd(pteval_t *p, pteval_t v) { xen_write_entry(p, v, "set_pmd"); }
void xen_set_pud(pteval_t *p, pteval_t v) { xen_write_entry(p, v, "set_pud"); }
void xen_set_p4d(pteval_t *p, pteval_t v) { xen_write_entry(p, v, "set_p4d"); }

static void xen_mmuext(struct mmuext_op *op, const char *what, unsigned long arg)
{
	if (xen_lazy()->active) {
		xen_lazy_ext(op);
		return;
	}
	xen_check(HYPERVISOR_mmuext_op(op, 1), "mmuext_op(%s %lx)", what, arg);
}

void xen_flush_tlb_one(unsigned long va)
{
	struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = va };

	xen_mmuext(&op, "MMUEXT_INVLPG_LOCAL", va);
}

void xen_flush_tlb_local(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

	xen_mmuext(&op, "MMUEXT_TLB_FLUSH_LOCAL", 0);
}

/*
 * Other CPUs' TLBs: Xen knows which physical CPUs each vCPU's entries may
 * be on, flushes them there and returns when it is done.  No IPI, and a
 * vCPU that is preempted or blocked costs nothing (its TLB is flushed
 * where it last ran).  The bit for CPU n is vCPU n (smp.c keeps them equal).
 */
void xen_flush_tlb_multi(uint32_t cpus, unsigned long va)
{
	xen_ulong_t mask = cpus;
	struct mmuext_op op = { .cmd = va == TLB_FLUSH_ALL ? MMUEXT_TLB_FLUSH_MULTI
							   : MMUEXT_INVLPG_MULTI,
				.arg1.linear_addr = va };

	if (!cpus)
		return;
	set_xen_guest_handle(op.arg2.vcpumask, &mask);
	xen_lazy_mmu_flush();		/* the queued updates first, then the flush */
	xen_check(HYPERVISOR_mmuext_op(&op, 1), "mmuext_op(%s %lx, vCPUs %#x)",
		  va == TLB_FLUSH_ALL ? "MMUEXT_TLB_FLUSH_MULTI" : "MMUEXT_INVLPG_MULTI", va, cpus);
}

unsigned long xen_read_cr2(void)
{
	return xen_vcpu()->arch.cr2;	/* Xen stores the fault address here */
}

unsigned long xen_read_cr3(void)
{
	return xen_cr3[smp_processor_id()];
}

/* A starting vCPU's: smp.c gives it the kernel's page tables. */
void xen_set_cr3_of(int cpu, unsigned long pa)
{
	xen_cr3[cpu] = pa & PTE_ADDR;
}


void xen_write_cr3(unsigned long pa)
{
	struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR,
				.arg1.mfn = xen_pfn_to_mfn(pa >> PAGE_SHIFT) };

	xen_lazy_mmu_flush();
	xen_check(HYPERVISOR_mmuext_op(&op, 1), "mmuext_op(MMUEXT_NEW_BASEPTR %lx)", pa);
	xen_cr3[smp_processor_id()] = pa & PTE_ADDR;
}

PV_CALLEE_SAVE_THUNK(xen_read_cr2);
PV_CALLEE_SAVE_THUNK(xen_read_cr3);
PV_CALLEE_SAVE_THUNK(xen_write_cr3);
PV_CALLEE_SAVE_THUNK(xen_set_pte);
PV_CALLEE_SAVE_THUNK(xen_set_pmd);
PV_CALLEE_SAVE_THUNK(xen_set_pud);
PV_CALLEE_SAVE_THUNK(xen_set_p4d);
PV_CALLEE_SAVE_THUNK(xen_pte_clear);
PV_CALLEE_SAVE_THUNK(xen_flush_tlb_one);
PV_CALLEE_SAVE_THUNK(xen_flush_tlb_local);
PV_CALLEE_SAVE_THUNK_RAX(xen_make_pte);
PV_CALLEE_SAVE_THUNK_RAX(xen_pte_val);

/* ---- page-table pages ---- */

/* A mapping of pfn at va, if there is one, made read-only or writable again. */
static void xen_protect_alias(unsigned long va, unsigned long pfn, bool ro)
{
	phys_addr_t pa;
	uint64_t pte = ((uint64_t)xen_pfn_to_mfn(pfn) << PAGE_SHIFT) |
		       (ro ? PAGE_KERNEL_RO : PAGE_KERNEL);

	if (!translate(va, &pa, NULL) || pa != pfn << PAGE_SHIFT)
		return;
	xen_check(HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG),
		  "update_va_mapping(%lx -> pfn %lx %s)", va, pfn, ro ? "read-only" : "writable");
}

/* Both places a page can be mapped: the direct map, and Xen's boot mapping. */
void xen_make_ro(unsigned long pfn, bool ro)
{
	xen_protect_alias((unsigned long)phys_to_virt(pfn << PAGE_SHIFT), pfn, ro);
	xen_protect_alias(KERNEL_VMA + (pfn << PAGE_SHIFT), pfn, ro);
}

static const unsigned int xen_pin_cmd[] = {
	[1] = MMUEXT_PIN_L1_TABLE, [2] = MMUEXT_PIN_L2_TABLE,
	[3] = MMUEXT_PIN_L3_TABLE, [4] = MMUEXT_PIN_L4_TABLE,
};

long xen_pin_raw(unsigned long pfn, int level)
{
	struct mmuext_op op = { .cmd = xen_pin_cmd[level], .arg1.mfn = xen_pfn_to_mfn(pfn) };

	return HYPERVISOR_mmuext_op(&op, 1);
}

void xen_alloc_pt(unsigned long pfn, int level)
{
	xen_lazy_mmu_flush();
	xen_make_ro(pfn, true);
	xen_check(xen_pin_raw(pfn, level), "mmuext_op(MMUEXT_PIN_L%d_TABLE pfn %lx)", level, pfn);
}

void xen_release_pt(unsigned long pfn, int level)
{
	struct mmuext_op op = { .cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = xen_pfn_to_mfn(pfn) };

	xen_lazy_mmu_flush();
	xen_check(HYPERVISOR_mmuext_op(&op, 1), "mmuext_op(MMUEXT_UNPIN_TABLE L%d pfn %lx)",
		  level, pfn);
	xen_make_ro(pfn, false);
}

/* ---- boot ---- */

void xen_mmu_early_init(void)
{
	struct xen_machphys_mapping m;

	xen_check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &m),
		  "memory_op(XENMEM_machphys_mapping)");
	xen_m2p = (const unsigned long *)m.v_start;
	xen_max_mfn = m.max_mfn;
	xen_cr3[0] = virt_to_phys((void *)xen_start_info->pt_base);
}
