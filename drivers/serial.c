/*
 * 16550 UART on COM1 (port 0x3f8), 115200 8N1, polled.  QEMU's -serial and
 * every PC have one; it is pvos's main console and what the tests read.
 */
#include "drivers/serial.h"
#include "kernel/console.h"
#include "arch/x86/io.h"

#define COM1		0x3f8
#define UART_DATA	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_SCR	7
#define LSR_DATA_READY	0x01
#define LSR_THR_EMPTY	0x20

static void serial_putc(char c)
{
	/* Bounded: a wedged UART must not hang the kernel. */
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); i++)
		asm volatile("pause");
	outb(COM1 + UART_DATA, (uint8_t)c);
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

static int serial_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}

static struct console serial_console = {
	.name = "serial (COM1)",
	.write = serial_write,
	.getc = serial_getc,
};

/* The scratch register tells whether a UART is there at all. */
static bool serial_present(void)
{
	outb(COM1 + UART_SCR, 0x5a);
	return inb(COM1 + UART_SCR) == 0x5a;
}

void serial_init(void)
{
	if (!serial_present())
		return;
	outb(COM1 + UART_IER, 0x00);	/* polled: no interrupts */
	outb(COM1 + UART_LCR, 0x80);	/* DLAB on: set the divisor */
	outb(COM1 + UART_DATA, 1);	/* 115200 = 115200 / 1 */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1, DLAB off */
	outb(COM1 + UART_FCR, 0xc7);	/* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
	console_register(&serial_console);
}
