/*
 * pvsites --plan BACKEND [--features LIST] KERNEL.elf: what BACKEND's
 * patcher would write at every recorded site of KERNEL.elf, without
 * booting it, so that backends can be compared side by side.
 *
 * Everything comes from the image and from the kernel's own pure code.  A
 * backend's table is the native table (pv_native_ops) plus the backend's
 * override records (.pv_overrides, PV_OVERRIDE in pvops/backend.h) that
 * hold, applied by pv_overrides_apply (pvops/override.c) exactly as the
 * backend's install applies them at boot.  Each site is checked as
 * `pvsites` checks it, then planned by pv_plan (pvops/patch.c) with the
 * templates of .pv_insns.  What holds on a machine (host feature bits,
 * pvspin, which hypercall instruction works) is only known at boot: the
 * plan assumes every feature bit offered, pvspin on, and working
 * hypercalls by vmcall, unless --features names what holds (a comma list:
 * `all` for every feature bit, bit numbers, fact names, or `none`).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/pvsites.h"
#include "pvops/pv_ops.h"
#include "pvops/override.h"

#define OVERRIDE_SIZE	24
#define INSN_SIZE	32
STATIC_ASSERT(sizeof(struct pv_override) == OVERRIDE_SIZE);
STATIC_ASSERT(sizeof(struct pv_insn) == INSN_SIZE);

/* A template as the image has it: the record, and where its code is linked. */
struct tmpl {
	struct pv_insn insn;	/* code and end point into this tool's copy */
	uint64_t end_addr;	/* the code's end, as linked */
	const char *name;
};

struct planner {
	struct image *im;
	uint64_t backend;		/* its descriptor's address */
	const char *name;
	struct pv_facts facts;
	struct pv_override *recs;
	size_t nrecs;
	uint64_t slots[PV_NR_OPS];
	struct tmpl *tmpls;
	size_t ntmpls;
};

static const struct planner *the_planner;	/* for the engine's callbacks */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* [__start_NAME, __stop_NAME) of the image: its bytes and size; NULL if absent. */
static const uint8_t *bounded(const struct image *im, const char *name, size_t *size)
{
	char start[64], stop[64];
	uint64_t a, b;

	snprintf(start, sizeof(start), "__start_%s", name);
	snprintf(stop, sizeof(stop), "__stop_%s", name);
	if (!elfu_sym_value(im->elf, start, &a) || !elfu_sym_value(im->elf, stop, &b) || b < a)
		return NULL;
	*size = b - a;
	return b > a ? elfu_bytes_at(im->elf, a, b - a) : (const uint8_t *)"";
}

/* ---- the backend, by the name in its descriptor ---- */

static const char *backend_name(const struct image *im, uint64_t desc)
{
	const uint8_t *p = elfu_bytes_at(im->elf, desc, 8);
	const char *name = p ? elfu_string_at(im->elf, le64(p)) : NULL;

	return name ? name : "?";
}

static void find_backend(struct planner *pl, const char *want)
{
	size_t size = 0;
	const uint8_t *b = bounded(pl->im, "pv_backends", &size);
	char names[256] = "";

	if (!b || !size)
		die(1, "%s: no backends (.pv_backends): not a pvos kernel?", pl->im->path);
	for (size_t i = 0; i + 8 <= size; i += 8) {
		const char *name = backend_name(pl->im, le64(b + i));

		if (!strcmp(name, want)) {
			pl->backend = le64(b + i);
			pl->name = name;
			return;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", name);
	}
	die(2, "unknown backend '%s': %s has %s", want, pl->im->path, names);
}

/* ---- the override records and the table they make ---- */

static void read_overrides(struct planner *pl)
{
	size_t size = 0;
	const uint8_t *p = bounded(pl->im, "pv_overrides", &size);

	if (!p)
		die(1, "%s: no override records (no __start_pv_overrides): an image from before "
		    "backends listed their overrides cannot be planned", pl->im->path);
	if (size % OVERRIDE_SIZE)
		die(1, "%s: truncated .pv_overrides: %zu bytes is not a multiple of %d",
		    pl->im->path, size, OVERRIDE_SIZE);
	pl->nrecs = size / OVERRIDE_SIZE;
	pl->recs = xcalloc(pl->nrecs, sizeof(*pl->recs));
	for (size_t i = 0; i < pl->nrecs; i++, p += OVERRIDE_SIZE)
		pl->recs[i] = (struct pv_override){
			.backend = (const void *)(uintptr_t)le64(p),
			.func = (const void *)(uintptr_t)le64(p + 8),
			.op = (uint16_t)(p[16] | p[17] << 8),
			.when = (uint16_t)(p[18] | p[19] << 8),
			.features = (uint32_t)le64(p + 20) & 0xffffffffu,
		};
}

/* The native table, then the backend's records that hold: pv_overrides_apply, as at boot. */
static void build_table(struct planner *pl)
{
	uint64_t addr;
	const uint8_t *p;

	if (!elfu_sym_value(pl->im->elf, "pv_native_ops", &addr) ||
	    !(p = elfu_bytes_at(pl->im->elf, addr, 8 * PV_NR_OPS)))
		die(1, "%s: no pv_native_ops table to start from", pl->im->path);
	for (unsigned int op = 0; op < PV_NR_OPS; op++)
		pl->slots[op] = le64(p + 8 * op);
	pv_overrides_apply(pl->slots, PV_NR_OPS, pl->recs, pl->recs + pl->nrecs,
			   (const void *)(uintptr_t)pl->backend, &pl->facts);
}

/* ---- what is assumed to hold ---- */

static void add_fact(struct pv_facts *f, const char *word)
{
	char *end;
	unsigned long bit = strtoul(word, &end, 10);
	int fact = pv_when_bit(word);

	if (!strcmp(word, "all"))
		f->features = 0xffffffffu;
	else if (!strcmp(word, "none"))
		*f = (struct pv_facts){ 0 };
	else if (fact >= 0)
		f->when |= 1u << fact;
	else if (end != word && !*end && bit < 32)
		f->features |= 1u << bit;
	else
		die(2, "--features: '%s' is not all, none, a feature bit (0-31) or one of: pvspin, "
		    "pvspin=force, hypercalls, vmcall, vmmcall", word);
	if (f->when & (PV_WHEN_VMCALL | PV_WHEN_VMMCALL))
		f->when |= PV_WHEN_HYPERCALLS;
}

static struct pv_facts parse_facts(const char *list)
{
	struct pv_facts f = { .when = PV_WHEN_PVSPIN | PV_WHEN_HYPERCALLS | PV_WHEN_VMCALL,
			      .features = 0xffffffffu };
	char *copy, *word, *save;

	if (!list)
		return f;
	f = (struct pv_facts){ 0 };
	copy = strdup(list);
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save))
		add_fact(&f, word);
	free(copy);
	return f;
}

/* "pvspin, hypercalls, features 3,5": a condition or a set of facts, in words. */
static void describe(char *buf, size_t size, uint32_t when, uint32_t features)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int b = 0; b < PV_WHEN_NR; b++)
		if (when & (1u << b))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
						pv_when_names[b]);
	if (features == 0xffffffffu)
		len += (size_t)snprintf(buf + len, size - len, "%severy feature bit",
					len ? ", " : "");
	else if (features)
		len += (size_t)snprintf(buf + len, size - len, "%sfeature bit%s", len ? ", " : "",
					features & (features - 1) ? "s" : "");
	for (int b = 0, first = 1; features != 0xffffffffu && b < 32; b++)
		if (features & (1u << b)) {
			len += (size_t)snprintf(buf + len, size - len, "%s%d", first ? " " : ",", b);
			first = 0;
		}
	if (!len)
		snprintf(buf, size, "always");
}

/* ---- templates ---- */

static void read_templates(struct planner *pl)
{
	size_t size = 0;
	const uint8_t *p = bounded(pl->im, "pv_insns", &size);
	uint64_t rec = 0;

	elfu_sym_value(pl->im->elf, "__start_pv_insns", &rec);
	if (!p || size % INSN_SIZE)
		die(1, "%s: no usable template table (.pv_insns)", pl->im->path);
	pl->ntmpls = size / INSN_SIZE;
	pl->tmpls = xcalloc(pl->ntmpls, sizeof(*pl->tmpls));
	for (size_t i = 0; i < pl->ntmpls; i++, p += INSN_SIZE) {
		struct tmpl *t = &pl->tmpls[i];
		uint64_t code = le64(p + 8), end = le64(p + 16);
		const uint8_t *bytes = end >= code ? elfu_bytes_at(pl->im->elf, code, end - code) : NULL;

		if (!bytes)
			die(1, "%s: template #%zu's code is not in the image", pl->im->path, i);
		t->insn = (struct pv_insn){
			.op = (uint16_t)(p[0] | p[1] << 8), .clobbers = (uint16_t)(p[2] | p[3] << 8),
			.calls = p[4], .code = bytes, .end = bytes + (end - code),
			.equiv = (const void *)(uintptr_t)le64(p + 24),
		};
		t->end_addr = end;
		t->name = elfu_sym_at(pl->im->elf, rec + i * INSN_SIZE);
	}
}

static const struct pv_insn *find_insn(unsigned int op, uint64_t target)
{
	for (size_t i = 0; i < the_planner->ntmpls; i++) {
		const struct pv_insn *t = &the_planner->tmpls[i].insn;

		if (t->op == op && (uint64_t)(uintptr_t)t->equiv == target)
			return t;
	}
	return NULL;
}

/* A template's closing call, from where the image links it, not from our copy. */
static uint64_t insn_call_target(const struct pv_insn *insn)
{
	const struct tmpl *t = (const struct tmpl *)insn;
	const uint8_t *r = insn->end - 4;
	int32_t rel = (int32_t)((uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 |
				(uint32_t)r[3] << 24);

	return t->end_addr + (uint64_t)(int64_t)rel;
}

/* ---- the plan of every site ---- */

struct site_plan {
	struct pv_site s;
	struct pv_plan plan;
	char why[160];
};

static const char *tmpl_name(const struct planner *pl, const struct pv_insn *insn)
{
	const struct tmpl *t = (const struct tmpl *)insn;

	return t >= pl->tmpls && t < pl->tmpls + pl->ntmpls && t->name ? t->name : "(unnamed)";
}

/* Why the plan is what it is, in a few words. */
/* A function's name ("xen_safe_halt"), or name+offset if it is not one's start. */
static const char *fn_name(const struct image *im, uint64_t addr, char *buf, size_t size)
{
	size_t len = strlen(where(im, addr, buf, size));

	if (len > 4 && !strcmp(buf + len - 4, "+0x0"))
		buf[len - 4] = '\0';
	return buf;
}

static void explain(const struct planner *pl, struct site_plan *sp)
{
	uint64_t target = pl->slots[sp->s.op];
	const struct pv_insn *insn = find_insn(sp->s.op, target);
	char fn[128];

	if (sp->plan.how == PV_INLINE) {
		snprintf(sp->why, sizeof(sp->why), "inline: template %s", tmpl_name(pl, insn));
		return;
	}
	if (sp->plan.how != PV_DIRECT) {
		snprintf(sp->why, sizeof(sp->why), "%s: %s", sp->plan.how == PV_LEFT ? "left" : "refused",
			 sp->plan.why ? sp->plan.why : "?");
		return;
	}
	fn_name(pl->im, target, fn, sizeof(fn));
	if (insn)
		snprintf(sp->why, sizeof(sp->why), "direct: template %s does not fit this site",
			 tmpl_name(pl, insn));
	else
		snprintf(sp->why, sizeof(sp->why), "direct: no template for %s",
			 strncmp(fn, "(not", 4) ? fn : "this function");
}

/* Check the site as pvsites does, then ask the kernel's pv_plan. */
static void plan_site(const struct planner *pl, const struct pv_check_ctx *ctx,
		      struct site_plan *sp)
{
	const char *bad = check_site(pl->im, &sp->s);

	if (bad) {
		sp->plan.how = PV_REFUSED;
		sp->plan.why = bad;
		snprintf(sp->why, sizeof(sp->why), "refused: %s", bad);
		return;
	}
	pv_plan(&sp->s, ctx, pl->slots, &sp->plan);
	explain(pl, sp);
}

static struct site_plan *plan_sites(const struct planner *pl, size_t *n)
{
	struct pv_check_ctx ctx = {
		.text_start = pl->im->text_addr, .text_end = pl->im->text_addr + pl->im->text_size,
		.table = pl->im->pv_ops, .nr_ops = PV_NR_OPS, .conv_of = conv_of,
		.find_insn = find_insn, .insn_call_target = insn_call_target,
	};
	struct site_plan *sps;

	*n = pl->im->sites_size / SITE_SIZE;
	sps = xcalloc(*n, sizeof(*sps));
	for (size_t i = 0; i < *n; i++) {
		sps[i].s = decode_site(pl->im->sites + i * SITE_SIZE);
		plan_site(pl, &ctx, &sps[i]);
	}
	return sps;
}

/* ---- the patched text, disassembled ---- */

/* .text with every planned site written into it (a refused site keeps its bytes). */
static uint8_t *patched_text(const struct image *im, const struct site_plan *sps, size_t n)
{
	uint8_t *text = xcalloc(im->text_size, 1);

	memcpy(text, im->text, im->text_size);
	for (size_t i = 0; i < n; i++)
		if (sps[i].plan.how != PV_REFUSED)
			memcpy(text + (sps[i].s.addr - im->text_addr), sps[i].plan.bytes, sps[i].s.len);
	return text;
}

static void write_all(int fd, const void *buf, size_t size, const char *path)
{
	if (write(fd, buf, size) != (ssize_t)size)
		die(2, "%s: %s", path, strerror(errno));
}

/*
 * A copy of the image whose .text is the patched one, for objdump: its
 * symbols stay, so a direct call reads `call ... <xen_save_fl_thunk>`.
 */
static size_t disassemble_patched(const struct image *im, const uint8_t *text,
				  struct insn **insns)
{
	char tmp[] = "/tmp/pvsites-plan-XXXXXX";
	size_t size, n;
	GElf_Shdr sh;
	char *file = elf_rawfile(im->elf, &size);
	int fd = mkstemp(tmp);

	if (fd < 0 || !file || !elfu_find_scn(im->elf, ".text", &sh))
		die(2, "cannot write a patched copy of %s to disassemble", im->path);
	write_all(fd, file, sh.sh_offset, tmp);
	write_all(fd, text, im->text_size, tmp);
	write_all(fd, file + sh.sh_offset + im->text_size, size - sh.sh_offset - im->text_size, tmp);
	close(fd);
	n = disassemble(tmp, insns);
	unlink(tmp);
	return n;
}

/* ---- output ---- */

static const char *how_word(enum pv_outcome how)
{
	return how == PV_INLINE ? "inline" : how == PV_DIRECT ? "direct" :
	       how == PV_LEFT ? "left" : "refused";
}

/* Each of the backend's records: its slot, its function, when, and whether it holds here. */
static void print_records(const struct planner *pl)
{
	char fn[128], cond[160];
	unsigned int n = 0;

	for (size_t i = 0; i < pl->nrecs; i++)
		n += (uint64_t)(uintptr_t)pl->recs[i].backend == pl->backend;
	printf("pvsites: %s: the native table (pv_native_ops) with %u override records "
	       "(.pv_overrides), in order:\n", pl->name, n);
	for (size_t i = 0; i < pl->nrecs; i++) {
		const struct pv_override *o = &pl->recs[i];

		if ((uint64_t)(uintptr_t)o->backend != pl->backend)
			continue;
		describe(cond, sizeof(cond), o->when, o->features);
		printf("  override %-20s %-26s if %-34s %s\n", pv_op_info[o->op].name,
		       fn_name(pl->im, (uint64_t)(uintptr_t)o->func, fn, sizeof(fn)), cond,
		       pv_override_holds(o, &pl->facts) ? "applied" : "not applied");
	}
}

static void print_site_line(const struct planner *pl, size_t idx, const struct site_plan *sp,
			    const uint8_t *text, const struct insn *insns, size_t ninsns)
{
	printf("%4zu %016" PRIx64, idx, sp->s.addr);
	print_where(pl->im, sp->s.addr);
	printf(" %-20s %-7s", conv_of(sp->s.op) ? pv_op_info[sp->s.op].name : "?",
	       how_word(sp->plan.how));
	print_text_bytes(pl->im, text, sp->s.addr, sp->s.len);
	print_insns(insns, ninsns, sp->s.addr, sp->s.len);
	printf("   (%s)\n", sp->why);
}

/* The boot line's counts: "224 sites: 210 inline, 14 direct, 0 left indirect, 0 refused". */
static void print_counts(const struct planner *pl, const struct site_plan *sps, size_t n)
{
	unsigned int c[PV_REFUSED + 1] = { 0 };

	for (size_t i = 0; i < n; i++)
		c[sps[i].plan.how]++;
	printf("pvsites: plan %s: %zu sites: %u inline, %u direct, %u left indirect, %u refused\n",
	       pl->name, n, c[PV_INLINE], c[PV_DIRECT], c[PV_LEFT], c[PV_REFUSED]);
}

/* The link-time calls too, counted as boot counts them (pvops/call_patch.c's plan). */
static void print_call_counts(const struct planner *pl)
{
	const struct image *im = pl->im;
	size_t n = im->calls_size / SITE_SIZE;
	unsigned int c[PV_CALL_REFUSED + 1] = { 0 };
	struct pv_call_ctx x;

	call_ctx(im, &x);
	for (size_t i = 0; i < n; i++) {
		struct pv_call call = decode_call(im->calls + i * SITE_SIZE);
		uint64_t target = pl->slots[call.op < PV_NR_OPS ? call.op : 0];
		const uint8_t *first = elfu_bytes_at(im->elf, target, 1);
		struct pv_call_plan plan;

		if (check_call(im, &call) || call.op >= PV_NR_OPS) {
			c[PV_CALL_REFUSED]++;
			continue;
		}
		pv_call_plan(&call, &x, target, first ? *first : 0, &plan);
		c[plan.how]++;
	}
	printf("pvsites: plan %s: %zu link-time calls: %u direct, %u nop, %u left indirect, "
	       "%u refused\n", pl->name, n, c[PV_CALL_DIRECT], c[PV_CALL_NOP], c[PV_CALL_LEFT],
	       c[PV_CALL_REFUSED]);
}

int plan_main(struct image *im, const char *backend, const char *features)
{
	struct planner pl = { .im = im, .facts = parse_facts(features) };
	struct site_plan *sps;
	struct insn *insns;
	size_t n, ninsns;
	uint8_t *text;
	char facts[200];

	the_planner = &pl;
	find_backend(&pl, backend);
	read_overrides(&pl);
	read_templates(&pl);
	build_table(&pl);
	sps = plan_sites(&pl, &n);
	text = patched_text(im, sps, n);
	ninsns = disassemble_patched(im, text, &insns);
	describe(facts, sizeof(facts), pl.facts.when, pl.facts.features);
	printf("pvsites: plan for backend %s, assuming %s%s\n", pl.name, facts,
	       features ? " (--features)" : " (the default; --features to change)");
	print_records(&pl);
	printf("   # address          function+offset                op                   how"
	       "     bytes             disassembly   (why)\n");
	for (size_t i = 0; i < n; i++)
		print_site_line(&pl, i, &sps[i], text, insns, ninsns);
	print_counts(&pl, sps, n);
	print_call_counts(&pl);
	return 0;
}
