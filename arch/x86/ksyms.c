/*
 * Symbol lookup for backtraces.  The table is generated at link time from
 * the kernel's own symbols (tools/gen-ksyms.sh, two-pass link in the
 * Makefile) and is sorted by address.
 */
#include "arch/x86/ksyms.h"
#include "arch/x86/mm.h"
#include "kernel/printk.h"

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (!ksyms_count || addr < ksyms_table[0].addr || addr >= (uint64_t)_etext)
		return NULL;
	while (hi - lo > 1) {		/* last entry with entry.addr <= addr */
		uint64_t mid = (lo + hi) / 2;

		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_table[lo].name;
}

void print_symbol(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		printk("<%s+0x%lx>", name, off);
	else
		printk("<?>");
}
