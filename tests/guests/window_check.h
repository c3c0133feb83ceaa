/*
 * Checks shared by pio.elf and mmio.elf: the testdev PIO and MMIO windows
 * have the same layout idea (8 scratch bytes, a byte-sliced constant,
 * unlisted offsets reading 0), only the access method and widths differ.
 */
#ifndef WINDOW_CHECK_H
#define WINDOW_CHECK_H

#include "guest.h"

struct window_reg {
	unsigned off;
	unsigned width;
};

struct window {
	const char *name;
	unsigned max_width;		/* widths checked: 1, 2, ... max_width */
	unsigned scratch_off;
	unsigned const_off;
	/* Offsets the contract leaves unlisted: reads give 0, writes ignored. */
	const struct window_reg *unlisted;
	unsigned n_unlisted;
	uint64_t (*read)(unsigned off, unsigned width);
	void (*write)(unsigned off, unsigned width, uint64_t val);
};

/* Runs every check, prints a summary per group; returns the error count. */
unsigned window_check(const struct window *win);

#endif
