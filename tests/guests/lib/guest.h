/*
 * The tiny runtime every test guest links against. All of it runs at CPL3
 * in long mode, identity mapped (virtual == physical) below 4 GiB.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "multiboot.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096ull

/* Each guest provides this; its return value is the debug-exit code. */
int guest_main(void);

/* The Multiboot info, or NULL if the loader did not pass the magic. */
extern const struct multiboot_info *mb_info;

/* Ends the VM through the debug-exit port (exit status (code << 1) | 1). */
void debug_exit(uint32_t code) __attribute__((noreturn));

/* 8250 UART at 0x3f8, transmit only. */
void serial_putc(char c);
void serial_puts(const char *s);	/* no newline added */

/* %s %c %d %i %u %x %X %p %%, width, '0' and '-' flags, l/ll/z sizes. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* Prints "FAIL: <reason>" and returns 1, for "return fail(...);". */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Kernel command line ("key=value" tokens separated by spaces). Values are
 * decimal or 0x-prefixed hex; a missing or malformed key yields the default.
 */
const char *cmdline(void);
uint64_t param_u64(const char *key, uint64_t def);

/* Bytes of RAM from 1 MiB up to the first hole, or 0 if not reported. */
uint64_t mem_upper_bytes(void);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
