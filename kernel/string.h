/*
 * The few string and memory routines pvos uses.  The compiler may emit calls
 * to memcpy/memset/memmove/memcmp on its own, so these names are fixed.
 */
#ifndef PVOS_STRING_H
#define PVOS_STRING_H

#include "kernel/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strncpy0(char *dst, const char *src, size_t size);

#endif
