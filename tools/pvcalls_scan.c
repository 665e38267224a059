/*
 * The relocation scanner (see pvcalls_scan.h).  What it trusts and why:
 *
 *  - the trampolines are the function symbols between
 *    __start_pv_trampolines and __stop_pv_trampolines, and each must be
 *    exactly jmp *pv_ops+8*op(%rip) for a C-convention op, named after it;
 *  - a reference to a trampoline is a call site only when it is a rel32
 *    (R_X86_64_PLT32 or PC32) right after an e8 (call) or e9 (jmp) opcode,
 *    in executable code, aimed at a trampoline's first byte.  The patcher
 *    can retarget that and nothing else: a function pointer (an absolute
 *    relocation, or any reference from data) would keep reaching the
 *    trampoline behind its back, so it is refused, as is a lea or any
 *    other instruction form.  Refusing is cheap: the build fails and says
 *    where.
 *
 * Relocations of sections that are not loaded (debug info) are skipped;
 * so are those from inside the trampolines, and the two bound symbols.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/pvcalls_scan.h"
#include "tools/elfutil.h"
#include "pvops/pv_ops.h"
#include "pvops/call_patch.h"

struct scan {
	const char *path;
	Elf *elf;
	FILE *msg;
	struct pvc_scan *out;
	size_t cap;
	uint64_t pv_ops, tstart, tstop;
	int have;		/* HAVE_* bits */
	int *tramp_op;		/* op of the trampoline at tstart + 8 * i, or -1 */
	struct sym *syms;
	size_t nsyms;
};

#define HAVE_PV_OPS	1
#define HAVE_START	2
#define HAVE_STOP	4

static void problem(struct scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct scan *sc, const char *fmt, ...)
{
	va_list ap;

	fprintf(sc->msg, "pvcalls: %s: ", sc->path);
	va_start(ap, fmt);
	vfprintf(sc->msg, fmt, ap);
	va_end(ap);
	fputc('\n', sc->msg);
	sc->out->problems++;
}

/* ---- symbols ---- */

/* Functions and objects are preferred to labels, and globals to locals, at one address. */
static int sym_rank(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_OBJECT) * 2 + (GELF_ST_BIND(s->st_info) != STB_LOCAL);
}

static void note_sym(struct scan *sc, const GElf_Sym *s, const char *name)
{
	int type = GELF_ST_TYPE(s->st_info);

	if (!strcmp(name, "pv_ops"))
		sc->pv_ops = s->st_value, sc->have |= HAVE_PV_OPS;
	else if (!strcmp(name, "__start_pv_trampolines"))
		sc->tstart = s->st_value, sc->have |= HAVE_START;
	else if (!strcmp(name, "__stop_pv_trampolines"))
		sc->tstop = s->st_value, sc->have |= HAVE_STOP;
	if (*name && type != STT_SECTION && type != STT_FILE && s->st_shndx != SHN_UNDEF &&
	    s->st_shndx != SHN_ABS)
		sc->syms[sc->nsyms++] = (struct sym){ s->st_value, sym_rank(s), name };
}

/* The symbol table, and its section (NULL if there is none). */
static Elf_Scn *symtab(Elf *elf, GElf_Shdr *sh)
{
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn))
		if (gelf_getshdr(scn, sh) && sh->sh_type == SHT_SYMTAB)
			return scn;
	return NULL;
}

static int read_syms(struct scan *sc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = symtab(sc->elf, &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

	sc->syms = calloc(n ? n : 1, sizeof(*sc->syms));
	if (!sc->syms)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s))
			continue;
		name = elf_strptr(sc->elf, sh.sh_link, s.st_name);
		note_sym(sc, &s, name ? name : "");
	}
	qsort(sc->syms, sc->nsyms, sizeof(*sc->syms), elfu_sym_cmp);
	return 0;
}

/* "name+0xoff" for addr, in buf. */
static const char *where(const struct scan *sc, uint64_t addr, char *buf, size_t size)
{
	long lo = 0, hi = (long)sc->nsyms - 1, best = -1;

	while (lo <= hi) {
		long m = (lo + hi) / 2;

		if (sc->syms[m].addr <= addr)
			best = m, lo = m + 1;
		else
			hi = m - 1;
	}
	if (best < 0)
		snprintf(buf, size, "0x%" PRIx64, addr);
	else
		snprintf(buf, size, "%s+0x%" PRIx64, sc->syms[best].name, addr - sc->syms[best].addr);
	return buf;
}

/* ---- trampolines ---- */

static bool in_tramps(const struct scan *sc, uint64_t a)
{
	return a >= sc->tstart && a < sc->tstop;
}

/* The op of the trampoline starting exactly at a; -1 if none does. */
static int tramp_at(const struct scan *sc, uint64_t a)
{
	if (!in_tramps(sc, a) || (a - sc->tstart) % PV_TRAMP_STRIDE)
		return -1;
	return sc->tramp_op[(a - sc->tstart) / PV_TRAMP_STRIDE];
}

/* pvcall_<group>_<name> for op "group.name". */
static bool named_for(const char *sym, unsigned int op)
{
	char want[64];
	const char *n = pv_op_info[op].name;

	snprintf(want, sizeof(want), PV_TRAMP_PREFIX "%s", n);
	for (char *p = want; *p; p++)
		if (*p == '.')
			*p = '_';
	return !strcmp(sym, want);
}

/* One function symbol inside the trampoline range. */
static void check_tramp(struct scan *sc, const GElf_Sym *s, const char *name)
{
	const uint8_t *code = elfu_bytes_at(sc->elf, s->st_value, PV_TRAMP_LEN);
	int op = code ? pv_trampoline_op(code, s->st_value, sc->pv_ops, PV_NR_OPS) : -1;

	if (op >= 0 && !pv_op_lookup((unsigned int)op))
		op = -1;

	if ((s->st_value - sc->tstart) % PV_TRAMP_STRIDE || s->st_size != PV_TRAMP_LEN)
		problem(sc, "trampoline %s: not %d bytes at an %d-byte boundary", name,
			PV_TRAMP_LEN, PV_TRAMP_STRIDE);
	else if (op < 0)
		problem(sc, "trampoline %s: not jmp *pv_ops+8*op(%%rip) (ff 25 rel32) for an op",
			name);
	else if (pv_op_info[op].conv != PV_CONV_C)
		problem(sc, "trampoline %s: op %s is not a C-convention op", name,
			pv_op_info[op].name);
	else if (!named_for(name, (unsigned int)op))
		problem(sc, "trampoline %s: jumps through the slot of %s", name, pv_op_info[op].name);
	else if (sc->tramp_op[(s->st_value - sc->tstart) / PV_TRAMP_STRIDE] < 0) {
		sc->tramp_op[(s->st_value - sc->tstart) / PV_TRAMP_STRIDE] = op;
		sc->out->ntramps++;
	}
}

static void read_tramps(struct scan *sc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = symtab(sc->elf, &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
		    !in_tramps(sc, s.st_value))
			continue;
		name = elf_strptr(sc->elf, sh.sh_link, s.st_name);
		check_tramp(sc, &s, name ? name : "?");
	}
}

/* ---- relocations ---- */

/* One reference: where it is, what it names, and how. */
struct ref {
	uint64_t at;			/* the relocated field */
	uint64_t target;		/* the address it refers to */
	unsigned int type;
	const char *sym;		/* the symbol it names */
	GElf_Shdr from;			/* the section it is in */
	const char *from_name;
};

static bool pc_rel32(unsigned int type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32;
}

static void add_call(struct scan *sc, uint64_t addr, int op, unsigned int kind)
{
	struct pvc_scan *o = sc->out;

	if (o->ncalls == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 256;
		o->calls = realloc(o->calls, sc->cap * sizeof(*o->calls));
		if (!o->calls) {
			fprintf(stderr, "pvcalls: out of memory\n");
			exit(2);
		}
	}
	o->calls[o->ncalls++] = (struct pv_call){ .addr = addr, .op = (uint16_t)op,
						  .kind = (uint8_t)kind };
	o->njmps += kind == PV_CALL_KIND_JMP;
}

/* Why a reference to a trampoline is not a call site; NULL if it is one. */
static const char *why_not_call(const struct scan *sc, const struct ref *r, uint8_t *opcode)
{
	const uint8_t *before = r->at > r->from.sh_addr ? elfu_bytes_at(sc->elf, r->at - 1, 1) : NULL;

	if (!(r->from.sh_flags & SHF_EXECINSTR))
		return "referred to from data: a function pointer the patcher cannot see";
	if (!pc_rel32(r->type))
		return r->type == R_X86_64_64 || r->type == R_X86_64_32 || r->type == R_X86_64_32S ?
		       "its address taken (absolute relocation): a function pointer" :
		       "a relocation type that is no call";
	*opcode = before ? *before : 0;
	if (*opcode != PV_CALL_OPCODE_CALL && *opcode != PV_CALL_OPCODE_JMP)
		return "rel32 not after a call (e8) or jmp (e9) opcode: lea, mov or another form";
	if (tramp_at(sc, r->target) < 0)
		return "a branch into the middle of a trampoline";
	return NULL;
}

static void one_ref(struct scan *sc, const struct ref *r)
{
	char buf[160];
	uint8_t opcode = 0;
	const char *why = why_not_call(sc, r, &opcode);

	if (why) {
		problem(sc, "%s (%" PRIx64 ", %s): refers to %s: %s", where(sc, r->at, buf, sizeof(buf)),
			r->at, r->from_name, r->sym, why);
		return;
	}
	add_call(sc, r->at - 1, tramp_at(sc, r->target),
		 opcode == PV_CALL_OPCODE_CALL ? PV_CALL_KIND_CALL : PV_CALL_KIND_JMP);
}

/*
 * Does this relocation refer to a trampoline?  By its symbol, or, for a
 * section symbol, by where symbol + addend lands (a rel32 is relative to
 * the end of its field, so + 4).
 */
static bool refers(const struct scan *sc, const GElf_Sym *s, const char *name, struct ref *r,
		   const GElf_Rela *rel)
{
	if (!strcmp(name, "__start_pv_trampolines") || !strcmp(name, "__stop_pv_trampolines"))
		return false;
	r->target = s->st_value + (uint64_t)rel->r_addend + (pc_rel32(r->type) ? 4 : 0);
	if (GELF_ST_TYPE(s->st_info) != STT_SECTION && in_tramps(sc, s->st_value))
		return true;
	return in_tramps(sc, r->target);
}

/* Every relocation of one loaded section. */
static void scan_rela(struct scan *sc, Elf_Scn *rscn, const GElf_Shdr *rsh)
{
	Elf_Scn *sym_scn = elf_getscn(sc->elf, rsh->sh_link);
	Elf_Data *syms = sym_scn ? elf_getdata(sym_scn, NULL) : NULL;
	Elf_Data *d = elf_getdata(rscn, NULL);
	GElf_Shdr symsh;
	struct ref r;
	size_t n = rsh->sh_entsize ? rsh->sh_size / rsh->sh_entsize : 0;

	r.from_name = elfu_scn_name(sc->elf, elf_getscn(sc->elf, rsh->sh_info), &r.from);
	if (!(r.from.sh_flags & SHF_ALLOC) || !syms || !d || !gelf_getshdr(sym_scn, &symsh))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela rel;
		GElf_Sym s;

		if (!gelf_getrela(d, (int)i, &rel) ||
		    !gelf_getsym(syms, (int)GELF_R_SYM(rel.r_info), &s))
			continue;
		r.at = rel.r_offset;
		r.type = (unsigned int)GELF_R_TYPE(rel.r_info);
		r.sym = elf_strptr(sc->elf, symsh.sh_link, s.st_name);
		if (!r.sym || !*r.sym)
			r.sym = "a trampoline";
		if (!in_tramps(sc, r.at) && refers(sc, &s, r.sym, &r, &rel))
			one_ref(sc, &r);
	}
}

static size_t scan_all_rela(struct scan *sc)
{
	GElf_Shdr sh;
	size_t nrela = 0;

	for (Elf_Scn *scn = elf_nextscn(sc->elf, NULL); scn; scn = elf_nextscn(sc->elf, scn)) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_REL)
			problem(sc, "SHT_REL section %s: x86-64 uses RELA only",
				elfu_scn_name(sc->elf, scn, &sh));
		if (sh.sh_type != SHT_RELA)
			continue;
		nrela++;
		scan_rela(sc, scn, &sh);
	}
	return nrela;
}

/* ---- the whole file ---- */

static int call_cmp(const void *a, const void *b)
{
	const struct pv_call *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Open path as an x86-64 executable; NULL (and the reason said) if it is not one. */
static Elf *open_elf(struct scan *sc, int *fd)
{
	GElf_Ehdr eh;
	Elf *elf;

	*fd = open(sc->path, O_RDONLY);
	if (*fd < 0) {
		problem(sc, "%s", strerror(errno));
		return NULL;
	}
	elf = elf_version(EV_CURRENT) == EV_NONE ? NULL : elf_begin(*fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC) {
		problem(sc, "not an x86-64 ELF64 executable");
		if (elf)
			elf_end(elf);
		return NULL;
	}
	return elf;
}

/* The symbols and trampolines; 2 if the file is no kernel with trampolines. */
static int read_kernel(struct scan *sc)
{
	size_t n;

	if (read_syms(sc))
		return 2;
	if ((sc->have & (HAVE_START | HAVE_STOP)) != (HAVE_START | HAVE_STOP) ||
	    sc->tstop < sc->tstart) {
		problem(sc, "no __start_pv_trampolines/__stop_pv_trampolines: built with PARAVIRT=0?");
		return 2;
	}
	if (!(sc->have & HAVE_PV_OPS)) {
		problem(sc, "no pv_ops symbol: built with PARAVIRT=0?");
		return 2;
	}
	n = (sc->tstop - sc->tstart) / PV_TRAMP_STRIDE + 1;
	sc->tramp_op = malloc(n * sizeof(*sc->tramp_op));
	if (!sc->tramp_op)
		return 2;
	for (size_t i = 0; i < n; i++)
		sc->tramp_op[i] = -1;
	read_tramps(sc);
	return 0;
}

/* Two entries for one address would be one instruction patched twice. */
static void check_dups(struct scan *sc)
{
	struct pvc_scan *o = sc->out;

	qsort(o->calls, o->ncalls, sizeof(*o->calls), call_cmp);
	for (size_t i = 1; i < o->ncalls; i++)
		if (o->calls[i].addr == o->calls[i - 1].addr)
			problem(sc, "two relocations for the call at %" PRIx64, o->calls[i].addr);
}

static int scan(struct scan *sc)
{
	int fd, rc;

	sc->elf = open_elf(sc, &fd);
	if (!sc->elf)
		return 2;
	rc = read_kernel(sc);
	if (!rc && !scan_all_rela(sc)) {
		problem(sc, "no relocations: link the first pass with ld -q (--emit-relocs)");
		rc = 2;
	}
	if (!rc)
		check_dups(sc);
	elf_end(sc->elf);
	close(fd);
	return rc ? rc : sc->out->problems ? 1 : 0;
}

int pvc_scan_file(const char *path, struct pvc_scan *s)
{
	struct scan sc = { .path = path, .out = s };
	int rc;

	memset(s, 0, sizeof(*s));
	sc.msg = open_memstream(&s->messages, &s->messages_len);
	if (!sc.msg)
		return 2;
	rc = scan(&sc);
	fclose(sc.msg);
	free(sc.syms);
	free(sc.tramp_op);
	return rc;
}

void pvc_scan_free(struct pvc_scan *s)
{
	free(s->calls);
	free(s->messages);
	memset(s, 0, sizeof(*s));
}
