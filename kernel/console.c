/*
 * The console list (see console.h).  Output goes to every registered
 * console; input comes from the first console that has any: handshakes
 * with a test harness, and lines typed by a person (console_readline).
 */
#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsprintf.h"
#include "pvops/pvops.h"

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

/*
 * Wait for one byte of input.  Returns -1 if no console can read at all.
 * With interrupts on, the CPU sleeps between looks (safe_halt: hlt, or
 * SCHEDOP_block under Xen) and the next tick or console event wakes it; a
 * spinning vCPU would take a host CPU from whoever is to type.
 */
int console_getc_wait(void)
{
	bool any = false, can_sleep = !irqs_disabled();

	printk_flush();		/* a prompt without its newline yet */
	for (struct console *c = consoles; c; c = c->next)
		any |= c->getc != NULL;
	if (!any)
		return -1;
	for (;;) {
		int ch = console_getc();

		if (ch >= 0)
			return ch;
		if (can_sleep)
			safe_halt();
		else
			asm volatile("pause");
	}
}

/* Bytes the last console_readline() ignored as not printable (a binary storm). */
static unsigned int readline_dropped;

unsigned int console_readline_dropped(void)
{
	return readline_dropped;
}

static void echo_str(const char *s)
{
	printk("%s", s);
	printk_flush();
}

/*
 * Read one line, with the editing a terminal user expects: backspace (BS
 * or DEL) and Ctrl-U erase, Enter (CR or LF; the LF of a CR LF pair is
 * dropped) ends it.  Typed characters are echoed, since the terminal in
 * front of a serial line or `xl console` is raw.  Bytes that are not
 * printable ASCII are ignored: a binary storm on the line leaves no trace
 * in it (console_readline_dropped() says how many there were).
 * Returns the line's length (buf holds it, NUL-terminated); CONSOLE_NO_INPUT
 * if no console can read; CONSOLE_LINE_TOO_LONG if more was typed than
 * fits (buf holds the first size - 1 characters).
 */
int console_readline(char *buf, size_t size)
{
	static bool after_cr;
	size_t len = 0;
	bool overflow = false;

	readline_dropped = 0;
	for (;;) {
		int ch = console_getc_wait();
		bool lf_of_crlf = after_cr && ch == '\n';

		after_cr = ch == '\r';
		if (ch < 0)
			return CONSOLE_NO_INPUT;
		if (lf_of_crlf)
			continue;
		if (ch == '\r' || ch == '\n')
			break;
		if ((ch == '\b' || ch == 0x7f) && len) {
			len--;
			echo_str("\b \b");
		} else if (ch == 0x15) {		/* Ctrl-U */
			for (; len; len--)
				echo_str("\b \b");
		} else if (ch >= 0x20 && ch < 0x7f) {
			if (len + 1 < size) {
				char s[2] = { (char)ch, 0 };

				buf[len++] = (char)ch;
				echo_str(s);
			} else {
				overflow = true;
			}
		} else if (ch != '\b' && ch != 0x7f) {
			readline_dropped++;
		}
	}
	buf[len] = '\0';
	echo_str("\n");
	return overflow ? CONSOLE_LINE_TOO_LONG : (int)len;
}

const char *console_names(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (struct console *c = consoles; c && len < size; c = c->next)
		len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "", c->name);
	return buf;
}
