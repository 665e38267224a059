/*
 * pvsites: list and check the pv_ops call sites recorded in a pvos kernel.
 *
 *     pvsites [--raw | --raw-calls] build/pvos.elf
 *     pvsites --plan BACKEND [--features LIST] build/pvos.elf
 *
 * Every wrapper in pvops/pvops.h leaves a `call *pv_ops+OFF(%rip)` in the
 * kernel text and a struct pv_site (pvops/site.h) describing it.  At boot the
 * patcher rewrites each site in place, trusting the entry completely, so a
 * wrong entry means corrupted code.  This tool shows what the patcher will
 * see, before anything boots: one line per entry with its address,
 * function+offset, op name, length, clobbers, original bytes and their
 * disassembly, each entry checked with the kernel's own checks
 * (pv_check_entry and pv_check_bytes from pvops/patch.c) against the
 * kernel's own op table (pvops/pv_ops.c): both are linked in, unchanged.
 *
 * The entries are the .pv_sites section (boot/linker.ld keeps it as its own
 * output section), or, in an image that folds it into another section, the
 * bytes between the __start_pv_sites and __stop_pv_sites symbols.
 *
 * After the sites it lists the link-time call sites (pvops/calls.h) the
 * same way, from the .pv_calls section tools/pvcalls.c wrote: one line per
 * entry, "c<index>" first, with its op, call or jmp, bytes and disassembly,
 * each checked with the kernel's own checks (pvops/call_patch.c) against
 * the trampolines decoded from the image.
 *
 * --raw prints only "addr op len" per site (hex, decimal, decimal), and
 * --raw-calls only "addr op kind" per link-time call, for
 * tools/check-sites.sh.  --plan shows what a backend's patcher would write
 * at each site instead (tools/pvplan.c).  Exit status: 0 all entries sound, 1 a bad entry or
 * no usable site table, 2 usage or unreadable input.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/elfutil.h"
#include "pvops/pv_ops.h"
#include "pvops/patch.h"
#include "pvops/call_patch.h"
#include "tools/pvsites.h"

STATIC_ASSERT(sizeof(struct pv_site) == SITE_SIZE);
STATIC_ASSERT(sizeof(struct pv_call) == SITE_SIZE);

static const char *const clobber_names[] = {
	"rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
};

const char *prog = "pvsites";

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die(2, "out of memory");
	return p;
}

enum pv_conv conv_of(unsigned int op)
{
	const struct pv_op_info *i = pv_op_lookup(op);

	return i ? i->conv : PV_CONV_NONE;
}

/* ---- reading the ELF ---- */

static Elf *open_elf(const char *path)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	GElf_Ehdr eh;

	if (fd < 0)
		die(2, "%s: %s", path, strerror(errno));
	if (elf_version(EV_CURRENT) == EV_NONE)
		die(2, "libelf: %s", elf_errmsg(-1));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		die(2, "%s: not an ELF file", path);
	if (!gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64)
		die(2, "%s: not an x86-64 ELF64 file", path);
	return elf;
}

/* Functions are preferred to labels, and globals to locals, at one address. */
static int sym_rank(const GElf_Sym *s)
{
	return (GELF_ST_TYPE(s->st_info) == STT_FUNC) * 2 +
	       (GELF_ST_BIND(s->st_info) != STB_LOCAL);
}

/* Remember one symbol: pv_ops and the site table bounds, and text symbols. */
static void note_sym(struct image *im, const GElf_Sym *s, const char *name, size_t text_ndx,
		     uint64_t *start, uint64_t *stop)
{
	int type = GELF_ST_TYPE(s->st_info);

	if (strcmp(name, "pv_ops") == 0) {
		im->pv_ops = s->st_value;
		im->have_pv_ops = 1;
	} else if (strcmp(name, "__start_pv_sites") == 0) {
		*start = s->st_value;
	} else if (strcmp(name, "__stop_pv_sites") == 0) {
		*stop = s->st_value;
	} else if (strcmp(name, "__start_pv_trampolines") == 0) {
		im->tramp_start = s->st_value;
	} else if (strcmp(name, "__stop_pv_trampolines") == 0) {
		im->tramp_stop = s->st_value;
	}
	if (s->st_shndx == text_ndx && *name && (type == STT_FUNC || type == STT_NOTYPE))
		im->syms[im->nsyms++] = (struct sym){ s->st_value, sym_rank(s), name };
}

/* Read the symbol table; *start and *stop get the site table bounds, if any. */
static void read_syms(struct image *im, size_t text_ndx, uint64_t *start, uint64_t *stop)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(im->elf, ".symtab", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;

	im->syms = xcalloc(n, sizeof(*im->syms));
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s))
			continue;
		name = elf_strptr(im->elf, sh.sh_link, s.st_name);
		note_sym(im, &s, name ? name : "", text_ndx, start, stop);
	}
	qsort(im->syms, im->nsyms, sizeof(*im->syms), elfu_sym_cmp);
}

static void read_text(struct image *im)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(im->elf, ".text", &sh);

	if (!scn)
		die(1, "%s: no .text section", im->path);
	im->text_addr = sh.sh_addr;
	im->text_size = sh.sh_size;
	im->text = elfu_bytes_at(im->elf, sh.sh_addr, sh.sh_size);
	if (!im->text)
		die(1, "%s: cannot read .text", im->path);
}

/* The entries: the .pv_sites section, else __start/__stop_pv_sites in .data. */
static void find_sites(struct image *im, uint64_t start, uint64_t stop)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(im->elf, ".pv_sites", &sh);

	if (scn) {
		Elf_Data *d = elf_getdata(scn, NULL);

		im->sites = d ? d->d_buf : NULL;
		im->sites_size = d ? d->d_size : 0;
	} else if (start && stop >= start && (stop > start || im->have_pv_ops)) {
		im->sites_size = stop - start;
		im->sites = elfu_bytes_at(im->elf, start, im->sites_size);
		if (!im->sites && im->sites_size)
			die(1, "%s: cannot read the site table at %" PRIx64, im->path, start);
	} else {
		die(1, "%s: no .pv_sites: built with PARAVIRT=0?", im->path);
	}
	if (im->sites_size % SITE_SIZE)
		die(1, "%s: truncated .pv_sites: %zu bytes is not a multiple of %d",
		    im->path, im->sites_size, SITE_SIZE);
	if (im->sites_size && !im->have_pv_ops)
		die(1, "%s: no pv_ops symbol: cannot check the sites' calls", im->path);
}

/* The link-time call table: the .pv_calls section, if the image has one. */
static void find_calls(struct image *im)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfu_find_scn(im->elf, ".pv_calls", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

	if (!scn)
		return;
	im->calls = d && d->d_buf ? d->d_buf : (const uint8_t *)"";
	im->calls_size = d ? d->d_size : 0;
	if (im->calls_size % SITE_SIZE)
		die(1, "%s: truncated .pv_calls: %zu bytes is not a multiple of %d",
		    im->path, im->calls_size, SITE_SIZE);
}

static void load_image(struct image *im, const char *path)
{
	GElf_Shdr sh;
	uint64_t start = 0, stop = 0;

	im->path = path;
	im->elf = open_elf(path);
	read_text(im);
	read_syms(im, elf_ndxscn(elfu_find_scn(im->elf, ".text", &sh)), &start, &stop);
	find_sites(im, start, stop);
	find_calls(im);
}

/* ---- disassembly: one objdump over the whole image ---- */

/* path in single quotes for the shell, ' written as '\'' */
static char *shell_quote(const char *s)
{
	char *q = xcalloc(4 * strlen(s) + 3, 1), *p = q;

	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p = '\'';
	return q;
}

/* "addr:\tmnemonic  operands" -> the instruction, blanks squeezed; 0 if not one. */
static int parse_insn(const char *line, struct insn *in)
{
	char *end, *t;
	const char *p = line + strspn(line, " ");

	in->addr = strtoull(p, &end, 16);
	if (end == p || *end != ':' || end[1] != '\t')
		return 0;
	p = end + 2;
	in->text = t = xcalloc(strlen(p) + 1, 1);
	for (; *p && *p != '\n'; p++)
		if (!(*p == ' ' || *p == '\t') || (t > in->text && t[-1] != ' '))
			*t++ = *p == '\t' ? ' ' : *p;
	while (t > in->text && t[-1] == ' ')
		*--t = 0;
	return 1;
}

static int insn_cmp(const void *a, const void *b)
{
	const struct insn *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Every instruction objdump finds in the image at path, sorted; how many. */
size_t disassemble(const char *path, struct insn **out)
{
	char *q = shell_quote(path), cmd[64 + 4 * 4096], line[4096];
	size_t cap = 4096, n = 0;
	struct insn *insns;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "objdump -d -w --no-show-raw-insn -M att %s 2>/dev/null", q);
	free(q);
	f = popen(cmd, "r");
	if (!f)
		die(2, "cannot run objdump: %s", strerror(errno));
	insns = xcalloc(cap, sizeof(*insns));
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			insns = realloc(insns, (cap *= 2) * sizeof(*insns));
			if (!insns)
				die(2, "out of memory");
		}
		n += parse_insn(line, &insns[n]);
	}
	if (pclose(f) != 0 || !n)
		fprintf(stderr, "%s: warning: objdump failed; no disassembly\n", prog);
	qsort(insns, n, sizeof(*insns), insn_cmp);
	*out = insns;
	return n;
}

/* ---- one site ---- */

struct pv_site decode_site(const uint8_t *p)
{
	struct pv_site s;
	uint64_t addr = 0;

	for (int i = 7; i >= 0; i--)
		addr = addr << 8 | p[i];
	s.addr = addr;
	s.op = (uint16_t)(p[8] | p[9] << 8);
	s.len = p[10];
	s.flags = p[11];
	s.clobbers = (uint16_t)(p[12] | p[13] << 8);
	s.reserved = (uint16_t)(p[14] | p[15] << 8);
	return s;
}

/* The kernel's checks, then two of ours: the site is its op's room and starts an instruction. */
const char *check_site(const struct image *im, const struct pv_site *s)
{
	struct pv_check_ctx ctx = {
		.text_start = im->text_addr, .text_end = im->text_addr + im->text_size,
		.table = im->pv_ops, .nr_ops = PV_NR_OPS, .conv_of = conv_of,
	};
	const char *bad = pv_check_entry(s, &ctx);
	long i;

	if (bad)
		return bad;
	if (s->clobbers != pv_conv_clobbers(conv_of(s->op)))
		return "its recorded clobbers differ from its op's convention: the wrapper's "
		       "asm and the convention disagree (pvops/pvops.h)";
	if (s->len != pv_op_info[s->op].room)
		return "length is not its op's room (PV_OP_LIST)";
	bad = pv_check_bytes(s, im->text + (s->addr - im->text_addr), &ctx);
	if (bad)
		return bad;
	i = FLOOR(im->insns, im->ninsns, s->addr);
	if (im->ninsns && (i < 0 || im->insns[i].addr != s->addr))
		return "site does not start an instruction";
	return NULL;
}

/* "function+0xoff" of a text address, or "(not in .text)". */
const char *where(const struct image *im, uint64_t addr, char *buf, size_t size)
{
	long i = FLOOR(im->syms, im->nsyms, addr);

	if (i < 0 || addr < im->text_addr || addr - im->text_addr >= im->text_size)
		snprintf(buf, size, "(not in .text)");
	else
		snprintf(buf, size, "%s+0x%" PRIx64, im->syms[i].name, addr - im->syms[i].addr);
	return buf;
}

void print_where(const struct image *im, uint64_t addr)
{
	char buf[128];

	printf(" %-30s", where(im, addr, buf, sizeof(buf)));
}

static void print_clobbers(unsigned int clb)
{
	char buf[64] = "";

	if (clb == PV_CLB_C_ABI)
		strcpy(buf, "c-abi");
	else if (!clb)
		strcpy(buf, "none");
	for (unsigned int b = 0; clb != PV_CLB_C_ABI && b < 16; b++) {
		if (!(clb & (1u << b)))
			continue;
		if (*buf)
			strcat(buf, ",");
		if (b < ARRAY_SIZE(clobber_names))
			strcat(buf, clobber_names[b]);
		else
			sprintf(buf + strlen(buf), "bit%u", b);
	}
	printf(" %-12s", buf);
}

/*
 * The len bytes at addr of text (the image's .text, or a patched copy of
 * it), or ?? where they are not in .text.
 */
void print_text_bytes(const struct image *im, const uint8_t *text, uint64_t addr,
		      unsigned int len)
{
	char buf[4 * PV_SITE_MAX_LEN + 1] = "", *p = buf;
	unsigned int n = len < PV_SITE_MAX_LEN ? len : PV_SITE_MAX_LEN;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = addr + i - im->text_addr;
		unsigned int run = 0;

		if (addr + i < im->text_addr || off >= im->text_size) {
			p += sprintf(p, "%s??", i ? " " : "");
			continue;
		}
		while (i + run < n && off + run < im->text_size && text[off + run] == 0xcc)
			run++;
		if (run > 2) {		/* the int3s a padding jmp skips: shown as a count */
			p += sprintf(p, " cc*%u", run);
			i += run - 1;
			continue;
		}
		p += sprintf(p, "%s%02x", i ? " " : "", text[off]);
	}
	printf(" %-*s", 3 * PV_SITE_CALL_LEN - 1, buf);
}

static void print_bytes(const struct image *im, const struct pv_site *s)
{
	print_text_bytes(im, im->text, s->addr, s->len);
}

/* Every instruction of insns[0..n) that overlaps [addr, addr+len). */
void print_insns(const struct insn *insns, size_t n, uint64_t addr, unsigned int len)
{
	long i = FLOOR(insns, n, addr);
	uint64_t end = addr + (len < PV_SITE_MAX_LEN ? len : PV_SITE_MAX_LEN);
	const char *sep = "  ";

	if (i < 0)
		i = 0;
	for (; i < (long)n && insns[i].addr < end; i++) {
		if (insns[i].addr + PV_SITE_MAX_LEN <= addr ||
		    !strcmp(insns[i].text, "int3"))	/* a padding jmp skips them */
			continue;
		printf("%s%s", sep, insns[i].text);
		sep = " ; ";
	}
}

static void print_disasm(const struct image *im, const struct pv_site *s)
{
	print_insns(im->insns, im->ninsns, s->addr, s->len);
}

/* One line; returns 1 if the entry is bad. */
static int show_site(const struct image *im, size_t idx, const struct pv_site *s, int raw)
{
	const char *bad = check_site(im, s);
	char opname[32], at[128];

	if (conv_of(s->op))
		snprintf(opname, sizeof(opname), "%s", pv_op_info[s->op].name);
	else
		snprintf(opname, sizeof(opname), "op#%u", s->op);
	if (raw) {
		printf("%016" PRIx64 " %u %u\n", s->addr, s->op, s->len);
		if (bad)
			fprintf(stderr, "%s: entry #%zu, %s at %s: BAD: %s\n", prog, idx, opname,
				where(im, s->addr, at, sizeof(at)), bad);
		return bad != NULL;
	}
	printf("%4zu %016" PRIx64, idx, s->addr);
	print_where(im, s->addr);
	printf(" %-20s len %-2u", opname, s->len);
	print_clobbers(s->clobbers);
	print_bytes(im, s);
	print_disasm(im, s);
	if (bad)
		printf("   <== BAD: %s", bad);
	putchar('\n');
	return bad != NULL;
}

/* ---- link-time calls (pvops/calls.h) ---- */

static const struct image *tramp_image;	/* for tramp_of: the image being listed */

/* The op's trampoline, decoded from the image's code; 0 if it has none. */
static uint64_t tramp_of(unsigned int op)
{
	const struct image *im = tramp_image;

	for (uint64_t a = im->tramp_start; a + PV_TRAMP_LEN <= im->tramp_stop;
	     a += PV_TRAMP_STRIDE) {
		if (a < im->text_addr || a - im->text_addr + PV_TRAMP_LEN > im->text_size)
			return 0;
		if (pv_trampoline_op(im->text + (a - im->text_addr), a, im->pv_ops, PV_NR_OPS) ==
		    (int)op)
			return a;
	}
	return 0;
}

struct pv_call decode_call(const uint8_t *p)
{
	struct pv_call c = { 0 };

	for (int i = 7; i >= 0; i--)
		c.addr = c.addr << 8 | p[i];
	c.op = (uint16_t)(p[8] | p[9] << 8);
	c.kind = p[10];
	memcpy(c.pad, p + 11, sizeof(c.pad));
	return c;
}

/* The image as the call engine (pvops/call_patch.c) sees it. */
void call_ctx(const struct image *im, struct pv_call_ctx *x)
{
	tramp_image = im;
	*x = (struct pv_call_ctx){
		.text_start = im->text_addr, .text_end = im->text_addr + im->text_size,
		.tramp_start = im->tramp_start, .tramp_end = im->tramp_stop,
		.nr_ops = PV_NR_OPS, .conv_of = conv_of, .trampoline_of = tramp_of,
	};
}

/* The kernel's checks of a call entry, then ours: it starts an instruction. */
const char *check_call(const struct image *im, const struct pv_call *c)
{
	struct pv_call_ctx x;
	const char *bad;
	long i;

	call_ctx(im, &x);
	bad = pv_call_check_entry(c, &x);

	if (bad)
		return bad;
	bad = pv_call_check_bytes(c, im->text + (c->addr - im->text_addr), &x);
	if (bad)
		return bad;
	i = FLOOR(im->insns, im->ninsns, c->addr);
	if (im->ninsns && (i < 0 || im->insns[i].addr != c->addr))
		return "call does not start an instruction";
	return NULL;
}

/* One line, "c<index>" first so it never reads as a site's line; 1 if bad. */
static int show_call(const struct image *im, size_t idx, const struct pv_call *c, int raw)
{
	const char *bad = check_call(im, c);
	struct pv_site as_site = { .addr = c->addr, .len = PV_CALL_LEN };
	char opname[32];

	if (raw) {
		printf("%016" PRIx64 " %u %u\n", c->addr, c->op, c->kind);
		if (bad)
			fprintf(stderr, "%s: link-time call #%zu: BAD: %s\n", prog, idx, bad);
		return bad != NULL;
	}
	if (conv_of(c->op))
		snprintf(opname, sizeof(opname), "%s", pv_op_info[c->op].name);
	else
		snprintf(opname, sizeof(opname), "op#%u", c->op);
	printf("c%-3zu %016" PRIx64, idx, c->addr);
	print_where(im, c->addr);
	printf(" %-20s %-4s", opname, c->kind == PV_CALL_KIND_JMP ? "jmp" :
				       c->kind == PV_CALL_KIND_CALL ? "call" : "?");
	print_bytes(im, &as_site);
	print_disasm(im, &as_site);
	if (bad)
		printf("   <== BAD: %s", bad);
	putchar('\n');
	return bad != NULL;
}

/* The table after the sites, or (raw) alone; the number of bad entries. */
static size_t show_calls(const struct image *im, int raw)
{
	size_t n = im->calls_size / SITE_SIZE, bad = 0;
	unsigned int count[PV_NR_OPS] = { 0 };

	if (!raw && !im->calls) {
		printf("pvsites: no .pv_calls: no link-time call table in this image\n");
		return 0;
	}
	if (!raw)
		printf("\nlink-time calls (.pv_calls, tools/pvcalls.c):\n"
		       "   # address          function+offset                op"
		       "                   kind bytes          disassembly\n");
	for (size_t i = 0; i < n; i++) {
		struct pv_call c = decode_call(im->calls + i * SITE_SIZE);

		bad += show_call(im, i, &c, raw);
		if (conv_of(c.op))
			count[c.op]++;
	}
	if (!raw) {
		printf("pvsites: %zu link-time calls, %zu bad;", n, bad);
		for (unsigned int op = 0; op < PV_NR_OPS; op++)
			if (count[op])
				printf(" %s %u", pv_op_info[op].name, count[op]);
		printf("\n");
	}
	return bad;
}

/* ---- main ---- */

static void print_summary(const struct image *im, const unsigned int *count, size_t bad)
{
	size_t n = im->sites_size / SITE_SIZE;

	printf("pvsites: %zu sites, %zu bad;", n, bad);
	for (unsigned int op = 0; op < PV_NR_OPS; op++)
		if (count[op])
			printf(" %s %u", pv_op_info[op].name, count[op]);
	printf("\n");
}

/* Every site, one line each, and the summary; the number of bad entries. */
static size_t show_sites(const struct image *im, int raw)
{
	unsigned int count[PV_NR_OPS] = { 0 };
	size_t n = im->sites_size / SITE_SIZE, bad = 0;

	if (!raw)
		printf("   # address          function+offset                op"
		       "                   len clobbers     bytes             disassembly\n");
	for (size_t i = 0; i < n; i++) {
		struct pv_site s = decode_site(im->sites + i * SITE_SIZE);

		bad += show_site(im, i, &s, raw);
		if (conv_of(s.op))
			count[s.op]++;
	}
	if (!raw)
		print_summary(im, count, bad);
	if (bad)
		fprintf(stderr, "%s: %zu of %zu entries are bad\n", prog, bad, n);
	return bad;
}

/* pvsites --plan BACKEND [--features LIST] KERNEL.elf */
static int plan_cmd(int argc, char **argv)
{
	struct image im = { 0 };
	const char *features = NULL;

	if (argc == 6 && !strcmp(argv[3], "--features"))
		features = argv[4];
	else if (argc != 4)
		die(2, "usage: pvsites --plan BACKEND [--features LIST] KERNEL.elf");
	load_image(&im, argv[argc - 1]);
	im.ninsns = disassemble(im.path, &im.insns);
	return plan_main(&im, argv[2], features);
}

int main(int argc, char **argv)
{
	struct image im = { 0 };
	size_t bad = 0;
	int raw = argc == 3 && strcmp(argv[1], "--raw") == 0;
	int raw_calls = argc == 3 && strcmp(argv[1], "--raw-calls") == 0;

	if (argc > 1 && !strcmp(argv[1], "--plan"))
		return plan_cmd(argc, argv);

	if (argc != 2 + (raw || raw_calls) || argv[argc - 1][0] == '-')
		die(2, "usage: pvsites [--raw | --raw-calls] KERNEL.elf\n"
		    "       pvsites --plan BACKEND [--features LIST] KERNEL.elf");
	load_image(&im, argv[argc - 1]);
	im.ninsns = disassemble(im.path, &im.insns);
	if (!raw_calls)
		bad += show_sites(&im, raw);
	if (!raw) {
		size_t n = show_calls(&im, raw_calls);

		if (n)
			fprintf(stderr, "%s: %zu of %zu link-time call entries are bad\n", prog, n,
				im.calls_size / SITE_SIZE);
		bad += n;
	}
	return bad ? 1 : 0;
}
