/*
 * MMIO exit test: the testdev MMIO window (0xfe900000-0xfe900fff) with
 * widths 1, 2, 4 and 8, checked against docs/testdev.md (window_check.c).
 */
#include "guest.h"
#include "testdev.h"
#include "window_check.h"

static uint64_t mmio_read(unsigned off, unsigned width)
{
	uint64_t addr = TESTDEV_MMIO_BASE + off;

	switch (width) {
	case 1:
		return mmio_read8(addr);
	case 2:
		return mmio_read16(addr);
	case 4:
		return mmio_read32(addr);
	default:
		return mmio_read64(addr);
	}
}

static void mmio_write(unsigned off, unsigned width, uint64_t val)
{
	uint64_t addr = TESTDEV_MMIO_BASE + off;

	switch (width) {
	case 1:
		mmio_write8(addr, val);
		break;
	case 2:
		mmio_write16(addr, val);
		break;
	case 4:
		mmio_write32(addr, val);
		break;
	default:
		mmio_write64(addr, val);
		break;
	}
}

/*
 * Offsets outside the contract's table: the gap between scratch and the
 * constant, after doorbell D, between the counters and the dirty-log
 * registers, and the last qword of the page. Never 0x100-0x120 (reads
 * drain counters) nor 0x200 (commands).
 */
static const struct window_reg mmio_unlisted[] = {
	{ 0x008, 8 }, { 0x00c, 4 }, { 0x030, 8 }, { 0x0f8, 8 },
	{ 0x180, 4 }, { 0x400, 2 }, { 0xff8, 8 }, { 0xfff, 1 },
};

static const struct window mmio_window = {
	.name = "mmio",
	.max_width = 8,
	.scratch_off = TESTDEV_MMIO_SCRATCH,
	.const_off = TESTDEV_MMIO_CONST,
	.unlisted = mmio_unlisted,
	.n_unlisted = ARRAY_SIZE(mmio_unlisted),
	.read = mmio_read,
	.write = mmio_write,
};

int guest_main(void)
{
	unsigned errors;

	printf("mmio: testdev MMIO window 0x%lx-0x%lx, widths 1 2 4 8\n",
	       (unsigned long)TESTDEV_MMIO_BASE,
	       (unsigned long)(TESTDEV_MMIO_BASE + TESTDEV_MMIO_SIZE - 1));
	errors = window_check(&mmio_window);
	if (errors)
		return fail("%u mismatches in the MMIO window", errors);
	printf("PASS\n");
	return 0;
}
