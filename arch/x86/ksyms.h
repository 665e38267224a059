/*
 * The symbol table built into the image (arch/x86/ksyms.c), so that dumps
 * and the patcher's log name functions.  tools/gen-ksyms.sh writes the
 * table from the first link pass (the Makefile's two-pass link).
 */
#ifndef PVOS_KSYMS_H
#define PVOS_KSYMS_H

#include "kernel/types.h"

/* One entry of build/ksyms.S, sorted by address. */
struct ksym {
	uint64_t addr;
	const char *name;
};

extern const uint64_t ksyms_count;		/* build/ksyms.S */
extern const struct ksym ksyms_table[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset);
void print_symbol(uint64_t addr);

#endif
