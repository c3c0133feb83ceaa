/*
 * PIO exit test: the testdev PIO window (ports 0xe000-0xe01f) with widths
 * 1, 2 and 4, checked against docs/testdev.md (see window_check.c).
 */
#include "guest.h"
#include "testdev.h"
#include "window_check.h"

static uint64_t pio_read(unsigned off, unsigned width)
{
	uint16_t port = TESTDEV_PIO_BASE + off;

	switch (width) {
	case 1:
		return inb(port);
	case 2:
		return inw(port);
	default:
		return inl(port);
	}
}

static void pio_write(unsigned off, unsigned width, uint64_t val)
{
	uint16_t port = TESTDEV_PIO_BASE + off;

	switch (width) {
	case 1:
		outb(port, val);
		break;
	case 2:
		outw(port, val);
		break;
	default:
		outl(port, val);
		break;
	}
}

/* 0x18-0x1f is past the doorbells and not in the contract's table. */
static const struct window_reg pio_unlisted[] = {
	{ 0x18, 4 }, { 0x1c, 2 }, { 0x1e, 1 }, { 0x1f, 1 },
};

static const struct window pio_window = {
	.name = "pio",
	.max_width = 4,
	.scratch_off = TESTDEV_PIO_SCRATCH,
	.const_off = TESTDEV_PIO_CONST,
	.unlisted = pio_unlisted,
	.n_unlisted = ARRAY_SIZE(pio_unlisted),
	.read = pio_read,
	.write = pio_write,
};

int guest_main(void)
{
	unsigned errors;

	printf("pio: testdev PIO window 0x%x-0x%x, widths 1 2 4\n",
	       TESTDEV_PIO_BASE, TESTDEV_PIO_BASE + TESTDEV_PIO_SIZE - 1);
	errors = window_check(&pio_window);
	if (errors)
		return fail("%u mismatches in the PIO window", errors);
	printf("PASS\n");
	return 0;
}
