/*
 * printk: format into a buffer, hand it to the consoles.  Lines longer than
 * the buffer are cut, never overrun.
 *
 * With several CPUs, output goes out a whole line at a time: each CPU
 * collects its own line, and writes it under the console lock once it ends
 * ('\n'), so that lines from different CPUs never interleave mid-line.
 * Two things must not deadlock on that lock.  A CPU that faults while it
 * holds it (an exception dump, a panic) writes without taking it again; and
 * a CPU that dumps while another holds it, or that prints inside
 * stop_machine while a stopped CPU may hold it, waits a bounded time, then
 * writes anyway: a garbled line beats a silent hang (Linux's bust_spinlocks).
 */
#include "kernel/printk.h"
#include "kernel/exit.h"
#include "kernel/console.h"
#include "kernel/vsprintf.h"
#include "kernel/string.h"
#include "arch/x86/traps.h"
#include "arch/x86/percpu.h"
#include "arch/x86/time.h"
#include "pvops/pvops.h"

#define LINE_MAX	512
#define BUST_MS		200

static struct spinlock console_lock = SPINLOCK("console");
static volatile int console_owner = -1;
static struct { char buf[LINE_MAX]; size_t len; } lines[MAX_CPUS];

/* The console lock, unless this CPU holds it already; false if not taken. */
static bool console_enter(int me)
{
	uint64_t give_up = native_rdtsc() + tsc_khz() * BUST_MS;

	if (console_owner == me)
		return false;
	if (!this_cpu()->in_exception && !this_cpu()->stopping_others) {
		spin_lock(&console_lock);
	} else {
		while (!spin_trylock(&console_lock))
			if (tsc_khz() && native_rdtsc() > give_up)
				return false;		/* bust it: write anyway */
	}
	console_owner = me;
	return true;
}

static void console_leave(bool taken)
{
	if (!taken)
		return;
	console_owner = -1;
	spin_unlock(&console_lock);
}

/* Write out this CPU's collected output: all of it, or up to its last newline. */
static void flush_line(int me, bool all)
{
	size_t n = lines[me].len;
	bool taken;

	while (!all && n && lines[me].buf[n - 1] != '\n')
		n--;
	if (!n)
		return;
	taken = console_enter(me);
	console_write(lines[me].buf, n);
	console_leave(taken);
	memmove(lines[me].buf, lines[me].buf + n, lines[me].len - n);
	lines[me].len -= n;
}

void printk_flush(void)
{
	flush_line(smp_processor_id(), true);
}

static void collect(const char *s, size_t len)
{
	int me = smp_processor_id();

	while (len) {
		size_t room = LINE_MAX - lines[me].len, n = MIN(len, room);

		memcpy(lines[me].buf + lines[me].len, s, n);
		lines[me].len += n;
		s += n;
		len -= n;
		flush_line(me, lines[me].len == LINE_MAX);
	}
}

/* A line too long for the buffer is cut with "...", keeping its newline. */
int vprintk(const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = sizeof(buf) - 1;

	if (n < (int)sizeof(buf))
		len = (size_t)n;
	else if (fmt[0] && fmt[strlen(fmt) - 1] == '\n')
		memcpy(buf + len - 4, "...\n", 4);
	collect(buf, len);
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
