/*
 * printk: format into a buffer, hand it to the consoles.  Lines longer than
 * the buffer are cut, never overrun.
 */
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/console.h"
#include "kernel/vsprintf.h"
#include "kernel/string.h"
#include "arch/x86/traps.h"

/* A line too long for the buffer is cut with "...", keeping its newline. */
int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = sizeof(buf) - 1;

	if (n < (int)sizeof(buf))
		len = (size_t)n;
	else if (fmt[0] && fmt[strlen(fmt) - 1] == '\n')
		memcpy(buf + len - 4, "...\n", 4);
	console_write(buf, len);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void print_hex_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printk("%s%02x", i ? " " : "", p[i]);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	printk("\npvos: PANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	dump_backtrace((unsigned long)__builtin_frame_address(0));
	pvos_exit(EXIT_FAIL);
}
