/*
 * pvcalls: find the link-time call sites of a pvos kernel's first link and
 * write the .pv_calls table for its second.
 *
 *     pvcalls [-o build/pvcalls.S] build/pvos.stage1.elf
 *     pvcalls --list build/pvos.stage1.elf
 *
 * The first pass is linked with `ld -q`, so its relocations are kept.
 * Every relocation that refers to a trampoline (pvops/calls.h) is either a
 * call site, a rel32 after an e8 or e9 opcode in code, or refused: the
 * scanner (tools/pvcalls_scan.c) says why, naming symbol+offset.  Without
 * -o the assembly goes to standard output; with it, the file is written only
 * when the scan is clean, so a refused reference stops the build.  --list
 * prints "addr op kind name" per call and a count line instead.
 *
 * Exit status: 0 clean, 1 a refused reference or a bad trampoline, 2 usage
 * or input that is no kernel with trampolines (PARAVIRT=0, no relocations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "tools/pvcalls_scan.h"
#include "pvops/pv_ops.h"

static const char *kind_name(unsigned int kind)
{
	return kind == PV_CALL_KIND_JMP ? "jmp" : "call";
}

static void write_asm(FILE *f, const char *path, const struct pvc_scan *s)
{
	fprintf(f, "/*\n * The link-time call sites of %s, found by tools/pvcalls.c:\n"
		   " * %zu calls (%zu of them tail-call jmps) to %zu trampolines.\n"
		   " * Each entry is a struct pv_call (pvops/calls.h).\n */\n",
		path, s->ncalls, s->njmps, s->ntramps);
	fprintf(f, "\t.section .pv_calls, \"aw\"\n\t.balign 8\n");
	for (size_t i = 0; i < s->ncalls; i++) {
		const struct pv_call *c = &s->calls[i];

		fprintf(f, "\t.quad 0x%016" PRIx64 "\t/* %s %s */\n", c->addr, kind_name(c->kind),
			pv_op_info[c->op].name);
		fprintf(f, "\t.short %u\n\t.byte %u, 0\n\t.long 0\n", c->op, c->kind);
	}
}

static void list(const struct pvc_scan *s)
{
	for (size_t i = 0; i < s->ncalls; i++) {
		const struct pv_call *c = &s->calls[i];

		printf("%016" PRIx64 " %u %s %s\n", c->addr, c->op, kind_name(c->kind),
		       pv_op_info[c->op].name);
	}
	printf("pvcalls: %zu link-time calls (%zu call, %zu jmp) to %zu trampolines\n",
	       s->ncalls, s->ncalls - s->njmps, s->njmps, s->ntramps);
}

/* The output file written whole, or not at all. */
static int write_file(const char *out, const char *path, const struct pvc_scan *s)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		return 2;
	}
	write_asm(f, path, s);
	if (fclose(f) != 0 || rename(tmp, out) != 0) {
		perror(out);
		remove(tmp);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *path;
	int listing = argc == 3 && !strcmp(argv[1], "--list"), rc;
	struct pvc_scan s;

	if (argc == 4 && !strcmp(argv[1], "-o"))
		out = argv[2];
	path = argv[argc - 1];
	if (!(argc == 2 || listing || out) || path[0] == '-') {
		fprintf(stderr, "usage: pvcalls [-o FILE | --list] KERNEL.stage1.elf\n");
		return 2;
	}
	rc = pvc_scan_file(path, &s);
	fputs(s.messages ? s.messages : "", stderr);
	if (rc) {
		fprintf(stderr, "pvcalls: %s: %u problem(s); no call table written\n", path,
			s.problems);
	} else if (listing) {
		list(&s);
	} else if (out) {
		rc = write_file(out, path, &s);
	} else {
		write_asm(stdout, path, &s);
	}
	pvc_scan_free(&s);
	return rc;
}
