/*
 * VGA text mode, 80x25 at physical 0xb8000: what a person watching QEMU's
 * window (or a real screen) sees.  Scrolls; moves the hardware cursor.
 */
#include "drivers/vga.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "arch/x86/io.h"
#include "arch/x86/mm.h"

#define VGA_COLS	80
#define VGA_ROWS	25
#define VGA_ATTR	0x0700	/* light grey on black */

static volatile uint16_t *vga;
static int row, col;

static void vga_scroll(void)
{
	for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		vga[i] = vga[i + VGA_COLS];
	for (int i = 0; i < VGA_COLS; i++)
		vga[(VGA_ROWS - 1) * VGA_COLS + i] = VGA_ATTR | ' ';
	row = VGA_ROWS - 1;
}

static void vga_cursor(void)
{
	uint16_t pos = (uint16_t)(row * VGA_COLS + col);

	outb(0x3d4, 0x0f);
	outb(0x3d5, pos & 0xff);
	outb(0x3d4, 0x0e);
	outb(0x3d5, pos >> 8);
}

static void vga_putc(char c)
{
	if (c == '\n') {
		col = 0;
		row++;
	} else if (c == '\t') {
		col = (col + 8) & ~7;
	} else if (c != '\r') {
		vga[row * VGA_COLS + col++] = VGA_ATTR | (uint8_t)c;
	}
	if (col >= VGA_COLS) {
		col = 0;
		row++;
	}
	if (row >= VGA_ROWS)
		vga_scroll();
}

static void vga_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vga_putc(s[i]);
	vga_cursor();
}

static struct console vga_console = {
	.name = "VGA text",
	.write = vga_write,
};

void vga_init(void)
{
	vga = phys_to_virt(0xb8000);
	for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
		vga[i] = VGA_ATTR | ' ';
	row = col = 0;
	console_register(&vga_console);
}
