/*
 * Shared libelf helpers of the host tools (see elfutil.h).
 */
#include <string.h>
#include "tools/elfutil.h"

/* A section's name ("" if it has none); fills *sh with its header. */
const char *elfu_scn_name(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	size_t shstrndx;
	const char *name;

	if (!gelf_getshdr(scn, sh) || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return "";
	name = elf_strptr(elf, shstrndx, sh->sh_name);
	return name ? name : "";
}

Elf_Scn *elfu_find_scn(Elf *elf, const char *want, GElf_Shdr *sh)
{
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn))
		if (strcmp(elfu_scn_name(elf, scn, sh), want) == 0)
			return scn;
	return NULL;
}

/* The file bytes of [addr, addr+size) in a loaded section; NULL if none holds them. */
const uint8_t *elfu_bytes_at(Elf *elf, uint64_t addr, uint64_t size)
{
	GElf_Shdr sh;

	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type != SHT_PROGBITS || addr < sh.sh_addr ||
		    addr - sh.sh_addr + size > sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			return NULL;
		return (const uint8_t *)d->d_buf + (addr - sh.sh_addr);
	}
	return NULL;
}

int elfu_sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->rank - y->rank;
}
