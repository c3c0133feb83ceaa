/*
 * PIO exit test: the testdev PIO window (ports 0xe000-0xe01f) with widths
 * 1, 2 and 4, checked against docs/testdev.md (see window_check.c).
 * With "pit=0" or "pit=1" on the command line it also checks whether an
 * i8254 answers at ports 0x40-0x43 (the microvm machine's pit= property).
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

/*
 * Channel 0 in mode 2 with a reload of 0x1234, latched and read back: a
 * PIT gives a count at or below the reload value that goes down over a few
 * thousand reads; no device behind the ports reads all ones.
 */
static int check_pit(bool want)
{
	uint16_t first = 0, last = 0;

	outb(0x43, 0x34);		/* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, 0x34);
	outb(0x40, 0x12);
	for (int i = 0; i < 2000; i++) {
		outb(0x43, 0x00);	/* latch channel 0 */
		last = inb(0x40);
		last |= inb(0x40) << 8;
		if (i == 0)
			first = last;
		if (last != first)
			break;
	}
	printf("pio: PIT channel 0 read 0x%x then 0x%x\n", first, last);
	if (want && (first > 0x1234 || last == first))
		return fail("no counting PIT at port 0x40");
	if (!want && (first != 0xffff || last != 0xffff))
		return fail("a PIT answers at port 0x40 with pit=off");
	return 0;
}

int guest_main(void)
{
	unsigned errors;
	uint64_t pit = param_u64("pit", 2);

	printf("pio: testdev PIO window 0x%x-0x%x, widths 1 2 4\n",
	       TESTDEV_PIO_BASE, TESTDEV_PIO_BASE + TESTDEV_PIO_SIZE - 1);
	errors = window_check(&pio_window);
	if (errors)
		return fail("%u mismatches in the PIO window", errors);
	if (pit < 2 && check_pit(pit))
		return 1;
	printf("PASS\n");
	return 0;
}
