/*
 * The relocation scanner behind tools/pvcalls.c: it reads a pvos kernel
 * linked with `ld -q` (relocations kept) and finds every call and tail-call
 * jmp to a link-time call trampoline (pvops/calls.h), refusing any other
 * reference to one.  A library of its own so that the host unit tests
 * (tests/host/test_pvcalls.c) run it on ELF files they build.
 */
#ifndef PVOS_PVCALLS_SCAN_H
#define PVOS_PVCALLS_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include "pvops/calls.h"

struct pvc_scan {
	struct pv_call *calls;		/* sorted by address */
	size_t ncalls, njmps;		/* njmps of the ncalls are tail calls */
	size_t ntramps;
	unsigned int problems;		/* refused references and bad trampolines */
	char *messages;			/* one line per problem, "" if none */
	size_t messages_len;
};

/*
 * Scan path.  Returns 0 when clean, 1 when it found problems (each a line
 * in s->messages, naming symbol+offset and why), 2 when the file cannot be
 * read as a kernel at all (one line in s->messages too).
 */
int pvc_scan_file(const char *path, struct pvc_scan *s);
void pvc_scan_free(struct pvc_scan *s);

#endif
