/*
 * Transmit-only 8250 UART at 0x3f8.
 *
 * The UART is deliberately neither initialised nor polled: QEMU and our VMM
 * take a THR write at any time, and the raw KVM_RUN benchmark harness only
 * handles writes to 0x3f8 (so a divisor-latch write would print garbage
 * and an LSR poll would read 0 forever). One exit per character.
 */
#include "guest.h"

#define SERIAL_THR	0x3f8

void serial_putc(char c)
{
	outb(SERIAL_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}
