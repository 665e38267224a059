/*
 * printk and panic.  printk formats with kernel/vsprintf.c and writes to
 * every console; panic prints a message and a backtrace and exits failing.
 */
#ifndef PVOS_PRINTK_H
#define PVOS_PRINTK_H

#include "kernel/types.h"

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
void print_hex_bytes(const uint8_t *p, size_t n);
void printk_flush(void);	/* write this CPU's unfinished line (before waiting for input) */

#endif
