/*
 * The few libelf helpers pvos's host tools share (tools/pvsites.c and the
 * relocation scanner, tools/pvcalls_scan.c): section names, a loaded
 * section's bytes (or string) at a virtual address, symbols by name or
 * address, and a symbol list sorted by address.  Written once, so the two tools read an image the same way.
 */
#ifndef PVOS_ELFUTIL_H
#define PVOS_ELFUTIL_H

#include <gelf.h>
#include <stdint.h>

/* One symbol of an address-sorted list; rank picks among several at one address. */
struct sym {
	uint64_t addr;
	int rank;
	const char *name;
};

const char *elfu_scn_name(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh);
Elf_Scn *elfu_find_scn(Elf *elf, const char *want, GElf_Shdr *sh);
const uint8_t *elfu_bytes_at(Elf *elf, uint64_t addr, uint64_t size);
int elfu_sym_cmp(const void *a, const void *b);	/* for qsort: by address, then rank */
int elfu_sym_value(Elf *elf, const char *name, uint64_t *value);
const char *elfu_sym_at(Elf *elf, uint64_t addr);
const char *elfu_string_at(Elf *elf, uint64_t addr);

#endif
