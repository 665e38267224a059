/* The 16550 UART on COM1 (drivers/serial.c): registers itself as a console. */
#ifndef PVOS_SERIAL_H
#define PVOS_SERIAL_H

void serial_init(void);

#endif
