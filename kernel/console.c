/*
 * The console list (see console.h).  Output goes to every registered
 * console; input, used only by handshakes with a test harness, comes from
 * the first console that has any.
 */
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"

static struct console *consoles;

void console_register(struct console *c)
{
	struct console **p = &consoles;

	while (*p)
		p = &(*p)->next;
	c->next = NULL;
	*p = c;
}

void console_write(const char *s, size_t n)
{
	for (struct console *c = consoles; c; c = c->next)
		c->write(s, n);
}

/* One byte of input if any is waiting, else -1. */
int console_getc(void)
{
	for (struct console *c = consoles; c; c = c->next) {
		int ch = c->getc ? c->getc() : -1;

		if (ch >= 0)
			return ch;
	}
	return -1;
}

/* Wait for one byte of input.  Returns -1 if no console can read at all. */
int console_getc_wait(void)
{
	bool any = false;

	printk_flush();		/* a prompt without its newline yet */
	for (struct console *c = consoles; c; c = c->next)
		any |= c->getc != NULL;
	if (!any)
		return -1;
	for (;;) {
		for (struct console *c = consoles; c; c = c->next) {
			int ch = c->getc ? c->getc() : -1;

			if (ch >= 0)
				return ch;
		}
		asm volatile("pause");
	}
}

const char *console_names(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (struct console *c = consoles; c && len < size; c = c->next)
		len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "", c->name);
	return buf;
}
