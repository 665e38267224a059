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

/* A symbol's value by name; 0 if the image has no such symbol. */
int elfu_sym_value(Elf *elf, const char *name, uint64_t *value)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(elf, ".symtab", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *sn;

		if (!gelf_getsym(d, (int)i, &s))
			continue;
		sn = elf_strptr(elf, sh.sh_link, s.st_name);
		if (sn && strcmp(sn, name) == 0) {
			*value = s.st_value;
			return 1;
		}
	}
	return 0;
}

/* The name of an object or function symbol at exactly addr; NULL if none. */
const char *elfu_sym_at(Elf *elf, uint64_t addr)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(elf, ".symtab", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		int type;

		if (!gelf_getsym(d, (int)i, &s) || s.st_value != addr || !s.st_name)
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if (type == STT_OBJECT || type == STT_FUNC)
			return elf_strptr(elf, sh.sh_link, s.st_name);
		if (type == STT_NOTYPE && !best)
			best = elf_strptr(elf, sh.sh_link, s.st_name);
	}
	return best;
}

/* The NUL-terminated string at addr in a loaded section; NULL if none is there. */
const char *elfu_string_at(Elf *elf, uint64_t addr)
{
	for (uint64_t len = 1; len <= 256; len++) {
		const uint8_t *p = elfu_bytes_at(elf, addr, len);

		if (!p)
			return NULL;
		if (!p[len - 1])
			return (const char *)p;
	}
	return NULL;
}
