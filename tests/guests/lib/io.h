/*
 * Port I/O, MMIO and TSC accessors for the test guests (all used at CPL3;
 * port I/O works there because entry.S sets RFLAGS.IOPL = 3).
 *
 * The MMIO accessors use inline asm rather than a volatile dereference so
 * that each call is guaranteed to be exactly one access of the given width,
 * which is what the exit-handling tests are about. The "memory" clobber
 * orders them against ordinary loads and stores (the dirty-log test needs
 * its pattern stores to happen before the SYNC command).
 */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t val;

	asm volatile("inw %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	asm volatile("inl %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline void mmio_write8(uint64_t addr, uint8_t val)
{
	asm volatile("movb %0, (%1)" : : "q"(val), "r"(addr) : "memory");
}

static inline void mmio_write16(uint64_t addr, uint16_t val)
{
	asm volatile("movw %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	asm volatile("movl %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline void mmio_write64(uint64_t addr, uint64_t val)
{
	asm volatile("movq %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline uint8_t mmio_read8(uint64_t addr)
{
	uint8_t val;

	asm volatile("movb (%1), %0" : "=q"(val) : "r"(addr) : "memory");
	return val;
}

static inline uint16_t mmio_read16(uint64_t addr)
{
	uint16_t val;

	asm volatile("movw (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	uint32_t val;

	asm volatile("movl (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline uint64_t mmio_read64(uint64_t addr)
{
	uint64_t val;

	asm volatile("movq (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

/* lfence keeps rdtsc from being hoisted above the work being timed. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

#endif
