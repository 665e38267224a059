/*
 * What tools/pvsites.c shares with its plan viewer (tools/pvplan.c): the
 * image as pvsites reads it, and the helpers that check and print a site,
 * so that `pvsites --plan` lists sites exactly as `pvsites` does.
 */
#ifndef PVOS_PVSITES_H
#define PVOS_PVSITES_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>
#include "pvops/patch.h"
#include "pvops/call_patch.h"
#include "tools/elfutil.h"

#define SITE_SIZE 16

struct insn {
	uint64_t addr;
	char *text;
};

struct image {
	const char *path;
	Elf *elf;
	uint64_t text_addr, text_size;
	const uint8_t *text;
	uint64_t pv_ops;
	int have_pv_ops;
	const uint8_t *sites;	/* the raw entries */
	size_t sites_size;
	const uint8_t *calls;	/* the link-time call table, NULL if none */
	size_t calls_size;
	uint64_t tramp_start, tramp_stop;
	struct sym *syms;
	size_t nsyms;
	struct insn *insns;
	size_t ninsns;
};

/* Index of the last entry at or below addr in a sorted array; -1 if none. */
#define FLOOR(arr, n, a) ({						\
	long __lo = 0, __hi = (long)(n) - 1, __r = -1;			\
	while (__lo <= __hi) {						\
		long __m = (__lo + __hi) / 2;				\
		if ((arr)[__m].addr <= (a)) { __r = __m; __lo = __m + 1; } \
		else __hi = __m - 1;					\
	}								\
	__r; })

extern const char *prog;

void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void *xcalloc(size_t n, size_t size);
enum pv_conv conv_of(unsigned int op);
size_t disassemble(const char *path, struct insn **out);
struct pv_site decode_site(const uint8_t *p);
const char *check_site(const struct image *im, const struct pv_site *s);
const char *where(const struct image *im, uint64_t addr, char *buf, size_t size);
void print_where(const struct image *im, uint64_t addr);
void print_text_bytes(const struct image *im, const uint8_t *text, uint64_t addr,
		      unsigned int len);
struct pv_call decode_call(const uint8_t *p);
const char *check_call(const struct image *im, const struct pv_call *c);
void call_ctx(const struct image *im, struct pv_call_ctx *x);
void print_insns(const struct insn *insns, size_t n, uint64_t addr, unsigned int len);

/* pvsites --plan BACKEND [--features LIST] KERNEL.elf (tools/pvplan.c). */
int plan_main(struct image *im, const char *backend, const char *features);

#endif
