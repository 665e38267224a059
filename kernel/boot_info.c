/*
 * Filling struct boot_info, for every entry path.  What does not fit (a
 * long command line, a memory map of more than BOOT_MEM_MAX entries) is
 * counted, and kmain says so, rather than lost in silence.
 */
#include "kernel/boot_info.h"
#include "kernel/string.h"

struct boot_info boot_info;

void boot_set_cmdline(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	boot_info.cmdline_cut = n >= sizeof(boot_info.cmdline);
	strncpy0(boot_info.cmdline, s, MIN(n + 1, sizeof(boot_info.cmdline)));
}

void boot_add_region(uint64_t base, uint64_t len, uint32_t type)
{
	struct mem_region *r;

	if (boot_info.nr_mem == BOOT_MEM_MAX) {
		boot_info.mem_dropped++;
		return;
	}
	r = &boot_info.mem[boot_info.nr_mem++];
	r->base = base;
	r->len = len;
	r->type = (type >= MEM_RAM && type <= MEM_UNUSABLE) ? type : MEM_RESERVED;
}
