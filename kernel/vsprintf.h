/*
 * printf-style formatting into a buffer.  Pure C with no kernel state, so the
 * host unit tests build this very file and check it against the C library.
 */
#ifndef PVOS_VSPRINTF_H
#define PVOS_VSPRINTF_H

#include "kernel/types.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
