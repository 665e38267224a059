/*
 * Consoles: where printk's text goes.  Several can be active at once (serial
 * and VGA natively; the Xen console under Xen).  Each driver registers
 * itself; console_write() sends every byte to all of them.
 */
#ifndef PVOS_CONSOLE_H
#define PVOS_CONSOLE_H

#include "kernel/types.h"

struct console {
	const char *name;
	void (*write)(const char *s, size_t n);
	int (*getc)(void);		/* -1 when no input; may be NULL */
	struct console *next;
};

void console_register(struct console *c);
void console_write(const char *s, size_t n);
int console_getc(void);
int console_getc_wait(void);
int console_readline(char *buf, size_t size);	/* a line, edited; or one of: */
#define CONSOLE_NO_INPUT	(-1)	/* no console can read */
#define CONSOLE_LINE_TOO_LONG	(-2)	/* buf holds what fitted */
unsigned int console_readline_dropped(void);	/* bytes it ignored, last line */
const char *console_names(char *buf, size_t size);

#endif
