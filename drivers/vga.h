/* The VGA text screen (drivers/vga.c): registers itself as a console. */
#ifndef PVOS_VGA_H
#define PVOS_VGA_H

void vga_init(void);

#endif
