/* The instructions pvos writes into call sites, as text (pvops/insn.c). */
#ifndef PVOS_INSN_H
#define PVOS_INSN_H

#include "kernel/types.h"

/* Its length (buf: the text), or 0: not an instruction pvos writes. */
unsigned int pv_insn_decode(const uint8_t *p, unsigned int left, uint64_t addr, char *buf,
			    size_t size);

#endif
