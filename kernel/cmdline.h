/*
 * The kernel command line: space-separated `key=value` and bare `key` words,
 * checked against a table of known options.  An unknown key or a bad value
 * gets a warning naming what is accepted, and boot goes on.
 *
 * The parser is pure C (host-tested).  Any file registers its options with
 * CMDLINE_OPTION (kernel/options.h); kernel/options.c parses them all.
 */
#ifndef PVOS_CMDLINE_H
#define PVOS_CMDLINE_H

#include "kernel/types.h"

enum opt_type {
	OPT_FLAG,	/* bare word: sets *ival = 1 */
	OPT_CHOICE,	/* key=one-of-choices: sets *ival to its index */
	OPT_UINT,	/* key=decimal number */
	OPT_STRING,	/* key=word: copied to sval (at most ssize - 1 bytes); its owner checks it */
};

struct cmdline_opt {
	const char *name;
	enum opt_type type;
	int *ival;
	const char *const *choices;	/* OPT_CHOICE: NULL-terminated; OPT_STRING: its forms, for help */
	const char *help;
	char *sval;			/* OPT_STRING */
	size_t ssize;
} __attribute__((aligned(8)));

typedef void (*cmdline_warn_fn)(const char *msg);

int cmdline_parse(const char *line, const struct cmdline_opt *opts, size_t n,
		  cmdline_warn_fn warn);
void cmdline_describe(const struct cmdline_opt *o, char *buf, size_t size);

#endif
