/*
 * Self-tests of the machine-facing parts, run through the same wrappers the
 * kernel uses (so in a patched kernel they run the patched sites): page
 * tables (also inside a lazy-MMU section), faults, the timer, interrupt
 * flags, cr3, TLB flushes, spinlocks.
 */
#include "kernel/selftest.h"
#include "kernel/string.h"
#include "arch/x86/apic.h"
#include "arch/x86/time.h"
#include "arch/x86/mm.h"
#include "arch/x86/traps.h"
#include "pvops/pvops.h"

#define TEST_VA FIXMAP_TEST

SELFTEST(test_map_translate_unmap, "page tables: map, translate, unmap")
{
	phys_addr_t page = alloc_page(), pa = 0;
	pteval_t e = 0;

	st_check(t, map_page(TEST_VA, page, PAGE_KERNEL) == 0, "map_page failed");
	st_check(t, translate(TEST_VA + 0x123, &pa, &e) && pa == page + 0x123,
		 "translate gave %lx, want %lx", pa, page + 0x123);
	st_check(t, (e & PTE_NX) && (e & PTE_W), "entry %lx lacks NX or W", e);
	*(volatile uint32_t *)(TEST_VA + 8) = 0x5a5a;
	st_check(t, ((uint32_t *)phys_to_virt(page))[2] == 0x5a5a, "write not seen through the direct map");
	unmap_page(TEST_VA);
	st_check(t, !translate(TEST_VA, &pa, NULL), "still mapped after unmap");
	free_page(page);
}

static void touch(void *va) { (void)*(volatile uint64_t *)va; }

SELFTEST(test_page_fault_caught, "an expected page fault is caught with the right CR2")
{
	struct fault_record r = { 0 };
	bool faulted = expect_fault(VEC_PF, touch, (void *)(TEST_VA + 0x40), &r);

	st_check(t, faulted, "reading an unmapped page did not fault");
	st_check(t, r.cr2 == TEST_VA + 0x40, "CR2 %lx, want %lx", r.cr2, TEST_VA + 0x40);
	st_check(t, !(r.error & 1), "error code %lx says present", r.error);
}

static void write_text(void *va) { *(volatile uint8_t *)va = 0xcc; }

SELFTEST(test_no_text_alias, "no writable alias of kernel text is left after patching")
{
	phys_addr_t pa;

	st_check(t, !translate(FIXMAP_POKE, &pa, NULL) && !translate(FIXMAP_POKE + PAGE_SIZE, &pa, NULL),
		 "the text_poke alias is still mapped (to %lx)", pa);
}

SELFTEST(test_text_readonly, "writing to kernel text faults")
{
	struct fault_record r = { 0 };
	uint8_t before = *(volatile uint8_t *)_stext;

	st_check(t, expect_fault(VEC_PF, write_text, _stext, &r), "kernel text is writable");
	st_check(t, (r.error & 3) == 3, "error code %lx: want a write to a present page", r.error);
	st_check(t, *(volatile uint8_t *)_stext == before, "text changed");
}

SELFTEST(test_timer_ticks, "timer interrupts arrive")
{
	uint64_t start = ticks(), deadline = sched_clock() + 2000000000ULL;

	st_check(t, !irqs_disabled(), "interrupts are off");
	while (ticks() < start + 3 && sched_clock() < deadline)
		asm volatile("pause");
	st_check(t, ticks() >= start + 3, "%lu ticks in 2 s", ticks() - start);
}

SELFTEST(test_irq_flags, "irq save/restore/disable/enable keep IF right")
{
	unsigned long outer, inner;

	local_irq_save(outer);
	st_check(t, outer & X86_EFLAGS_IF, "interrupts were off before the test");
	st_check(t, irqs_disabled(), "local_irq_save did not disable");
	local_irq_save(inner);
	st_check(t, !(inner & X86_EFLAGS_IF), "nested save saw IF set");
	local_irq_restore(inner);
	st_check(t, irqs_disabled(), "restoring a disabled state enabled");
	local_irq_restore(outer);
	st_check(t, !irqs_disabled(), "restoring the enabled state left IF clear");
	local_irq_disable();
	st_check(t, irqs_disabled(), "local_irq_disable");
	local_irq_enable();
	st_check(t, !irqs_disabled(), "local_irq_enable");
}

SELFTEST(test_cr3_round_trip, "cr3 round trip")
{
	unsigned long cr3 = read_cr3();

	st_check(t, (cr3 & PTE_ADDR) == kernel_pgd_phys(), "cr3 %lx, kernel tables at %lx",
		 cr3, kernel_pgd_phys());
	write_cr3(cr3);
	st_check(t, read_cr3() == cr3, "read back %lx after writing %lx", read_cr3(), cr3);
}

static void write_word(void *va) { *(volatile uint32_t *)va = 0; }

/*
 * The MMU, not only the walk: after set_pte makes the mapping read-only, a
 * read through it sees what was written through the direct map (the same
 * frame), and a write through it faults; after pte_clear, a read faults.
 */
SELFTEST(test_set_pte_walk, "set_pte and pte_clear are visible to a page walk and to the MMU")
{
	phys_addr_t page = alloc_page(), pa;
	volatile uint32_t *alias = phys_to_virt(page);
	struct fault_record r = { 0 };
	pteval_t *e;

	map_page(TEST_VA, page, PAGE_KERNEL);
	e = lookup_pte(TEST_VA);
	st_check(t, e != NULL, "no PTE for a mapped page");
	if (!e)
		return;
	set_pte(e, make_pte(page | PAGE_KERNEL_RO));
	flush_tlb_one(TEST_VA);
	st_check(t, translate(TEST_VA, &pa, NULL) && pa == page, "walk found %lx", pa);
	st_check(t, !(pte_val(*e) & PTE_W), "entry still writable: %lx", pte_val(*e));
	*alias = 0x600dcafe;
	st_check(t, *(volatile uint32_t *)TEST_VA == 0x600dcafe,
		 "the mapping reads %x, not the frame's %x", *(volatile uint32_t *)TEST_VA, 0x600dcafe);
	st_check(t, expect_fault(VEC_PF, write_word, (void *)TEST_VA, &r) && (r.error & 3) == 3,
		 "writing through the read-only entry did not fault as a protection violation");
	pte_clear(e);
	flush_tlb_one(TEST_VA);
	st_check(t, !translate(TEST_VA, &pa, NULL), "pte_clear left it mapped");
	st_check(t, expect_fault(VEC_PF, touch, (void *)TEST_VA, &r),
		 "reading after pte_clear did not fault");
	free_page(page);
}

SELFTEST(test_tlb_flush_remap, "a remap is seen after flush_tlb_one")
{
	phys_addr_t a = alloc_page(), b = alloc_page();
	volatile uint32_t *va = (volatile uint32_t *)TEST_VA;

	*(uint32_t *)phys_to_virt(a) = 0xaaaa;
	*(uint32_t *)phys_to_virt(b) = 0xbbbb;
	map_page(TEST_VA, a, PAGE_KERNEL);
	st_check(t, *va == 0xaaaa, "first mapping reads %x", *va);
	set_pte(lookup_pte(TEST_VA), make_pte(b | PAGE_KERNEL));
	flush_tlb_one(TEST_VA);
	st_check(t, *va == 0xbbbb, "after remap and flush_tlb_one reads %x", *va);
	set_pte(lookup_pte(TEST_VA), make_pte(a | PAGE_KERNEL));
	flush_tlb_local();
	st_check(t, *va == 0xaaaa, "after remap and flush_tlb_local reads %x", *va);
	unmap_page(TEST_VA);
	free_page(a);
	free_page(b);
}

struct word_read {
	volatile uint32_t *va;
	uint32_t val;
};

static void read_word(void *arg)
{
	struct word_read *w = arg;

	w->val = *w->va;
}

/*
 * A hypervisor may queue leaf writes made in a lazy-MMU section (Xen
 * batches them into one multicall).  Reads inside the section must still
 * see them: otherwise translate misses the new page, and unmap_page sees
 * "not present", skips the clear, and the page stays mapped after leave.
 */
SELFTEST(test_lazy_mmu_reads, "lazy MMU: map, read, unmap in one section; each read sees the writes")
{
	phys_addr_t page = alloc_page(), seen = 0, after = 0;
	struct word_read w = { (volatile uint32_t *)(TEST_VA + 16), 0 };
	struct fault_record r = { 0 };
	bool mapped, read_faulted = false, gone;

	((uint32_t *)phys_to_virt(page))[4] = 0x1a2b3c4d;
	lazy_mmu_enter();
	map_page(TEST_VA, page, PAGE_KERNEL);
	mapped = translate(TEST_VA, &seen, NULL) && seen == page;
	if (mapped)		/* else the read would fault: the check below says why */
		read_faulted = expect_fault(VEC_PF, read_word, &w, &r);
	unmap_page(TEST_VA);
	gone = !translate(TEST_VA, &after, NULL);
	lazy_mmu_leave();
	st_check(t, mapped, "translate inside the section found %lx, want %lx", seen, page);
	st_check(t, !read_faulted && w.val == 0x1a2b3c4d, "reading the new page %s %x",
		 read_faulted ? "faulted" : "gave", w.val);
	st_check(t, gone, "translate after unmap inside the section still found %lx", after);
	st_check(t, expect_fault(VEC_PF, read_word, &w, &r),
		 "after the section the unmapped page is still mapped");
	unmap_page(TEST_VA);	/* in case it was left mapped: the next tests need it free */
	free_page(page);
}

/* A ticket lock serves tickets in order: head catches up with tail on each unlock. */
SELFTEST(test_spinlock_ops, "spin_lock, spin_trylock, spin_unlock: tickets served in order")
{
	struct spinlock l = SPINLOCK("test lock");

	st_check(t, spin_trylock(&l), "trylock of a free lock failed");
	st_check(t, !spin_trylock(&l), "trylock of a held lock succeeded");
	spin_unlock(&l);
	st_check(t, l.t.head == TICKET_INC && (l.t.tail & ~TICKET_SLOWPATH) == TICKET_INC,
		 "after one unlock: head %u, tail %u", l.t.head, l.t.tail);
	spin_lock(&l);
	st_check(t, (l.t.tail & ~TICKET_SLOWPATH) == l.t.head + TICKET_INC,
		 "held: head %u, tail %u", l.t.head, l.t.tail);
	spin_unlock(&l);
	st_check(t, spin_trylock(&l), "lock not free after unlock");
	spin_unlock(&l);
}
