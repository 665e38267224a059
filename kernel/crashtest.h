/* crash=...: provoke an exception on purpose, to see (and test) the dump. */
#ifndef PVOS_CRASHTEST_H
#define PVOS_CRASHTEST_H

void crash_test(int what) __attribute__((noreturn));

#endif
