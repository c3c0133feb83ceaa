/*
 * Dirty-page tracking test against the testdev dirty-log registers.
 *
 * Range: RANGE_BASE (32 MiB) to RANGE_BASE + mib MiB (cmdline "mib=N",
 * default 16), far above the image, its stack, page tables and the bitmap
 * buffer (all within a few hundred KiB of 1 MiB). Nothing but the writes
 * below touches the range, so after each SYNC the bitmap must equal the set
 * of pages written since the previous one, exactly:
 *   round 1: pages with (i*7+3) % 5 < 2, some written several times;
 *   round 2: a different, overlapping subset plus the first and last page
 *            (pages only in round 1 must now be clean: the log was cleared);
 *   round 3: no writes, so no dirty pages.
 * Finally the last value written to each page is read back.
 */
#include "guest.h"
#include "testdev.h"

#define RANGE_BASE	(32ull << 20)
#define DEFAULT_MIB	16
#define MAX_MIB		1024
#define MAX_PAGES	(MAX_MIB * (1ull << 20) / PAGE_SIZE)
#define BITMAP_POISON	0xa5
#define MAX_REPORTED	10

/* Written by the VMM on SYNC; poisoned first to catch partial writes. */
static uint8_t bitmap[MAX_PAGES / 8];

extern char __image_end[];

static uint64_t npages;

static bool round1_writes(uint64_t i)
{
	return (i * 7 + 3) % 5 < 2;
}

static bool round2_writes(uint64_t i)
{
	return i == 0 || i == npages - 1 || (i * 11 + 1) % 7 < 2;
}

static bool no_writes(uint64_t i)
{
	(void)i;
	return false;
}

struct round {
	const char *name;
	bool (*writes)(uint64_t page);
};

static const struct round rounds[] = {
	{ "round 1", round1_writes },
	{ "round 2", round2_writes },
	{ "round 3", no_writes },
};

/* One qword per page, at an offset that moves around within the page. */
static volatile uint64_t *slot(uint64_t page)
{
	uint64_t off = (page * 13 % (PAGE_SIZE / 8)) * 8;

	return (volatile uint64_t *)(RANGE_BASE + page * PAGE_SIZE + off);
}

static uint64_t pattern(unsigned round, uint64_t page)
{
	return 0xd1e7000000000000ull | ((uint64_t)(round + 1) << 40) | page;
}

static uint64_t mmio_reg(unsigned off)
{
	return mmio_read64(TESTDEV_MMIO_BASE + off);
}

static int64_t dirty_command(uint64_t cmd)
{
	mmio_write64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_DIRTY_CMD, cmd);
	return (int64_t)mmio_reg(TESTDEV_MMIO_RESULT);
}

static int64_t dirty_sync(void)
{
	memset(bitmap, BITMAP_POISON, sizeof(bitmap));
	mmio_write64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_DIRTY_BASE, RANGE_BASE);
	mmio_write64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_DIRTY_PAGES, npages);
	mmio_write64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_DIRTY_BUF,
		     (uint64_t)bitmap);
	return dirty_command(TESTDEV_DIRTY_SYNC);
}

/* Returns how many pages were written; every 97th one three times. */
static uint64_t write_round(unsigned r)
{
	uint64_t i, n = 0;

	for (i = 0; i < npages; i++) {
		if (!rounds[r].writes(i))
			continue;
		if (i % 97 == 0) {
			*slot(i) = ~pattern(r, i);
			*slot(i) = 0;
		}
		*slot(i) = pattern(r, i);
		n++;
	}
	return n;
}

static bool bit(uint64_t i)
{
	return bitmap[i / 8] >> (i % 8) & 1;
}

static unsigned check_bitmap(unsigned r, uint64_t want_count)
{
	uint64_t i, set = 0;
	unsigned errors = 0;
	int64_t result;
	uint64_t count;

	result = dirty_sync();
	count = mmio_reg(TESTDEV_MMIO_DIRTY_COUNT);
	if (result) {
		fail("%s: SYNC result %ld", rounds[r].name, (long)result);
		return 1;
	}

	for (i = 0; i < npages; i++) {
		bool want = rounds[r].writes(i);

		set += bit(i);
		if (bit(i) == want)
			continue;
		if (++errors <= MAX_REPORTED)
			printf("dirty: %s: page %lu (gpa 0x%lx) is %s, expected %s%s\n",
			       rounds[r].name, (unsigned long)i,
			       (unsigned long)(RANGE_BASE + i * PAGE_SIZE),
			       bit(i) ? "dirty" : "clean",
			       want ? "dirty" : "clean",
			       bitmap[i / 8] == BITMAP_POISON ?
			       " (bitmap byte still holds the poison 0xa5: not written by the VMM?)" : "");
	}
	printf("dirty: %s: wrote %lu pages, bitmap has %lu, count register %lu\n",
	       rounds[r].name, (unsigned long)want_count, (unsigned long)set,
	       (unsigned long)count);
	if (errors)
		fail("%s: %u pages differ from the pages written", rounds[r].name,
		     errors);
	if (count != want_count) {
		fail("%s: count register %lu, expected %lu", rounds[r].name,
		     (unsigned long)count, (unsigned long)want_count);
		errors++;
	}
	return errors;
}

static unsigned check_contents(void)
{
	uint64_t i;
	unsigned errors = 0;

	for (i = 0; i < npages; i++) {
		uint64_t want, got;

		if (round2_writes(i))
			want = pattern(1, i);
		else if (round1_writes(i))
			want = pattern(0, i);
		else
			continue;
		got = *slot(i);
		if (got != want && ++errors <= MAX_REPORTED)
			printf("dirty: page %lu holds 0x%lx, expected 0x%lx\n",
			       (unsigned long)i, (unsigned long)got,
			       (unsigned long)want);
	}
	return errors;
}

static int check_setup(uint64_t mib)
{
	uint64_t end = RANGE_BASE + (mib << 20);
	uint64_t ram_end = mem_upper_bytes() ? (1ull << 20) + mem_upper_bytes() : 0;

	if (mib == 0 || mib > MAX_MIB)
		return fail("mib=%lu out of range (1..%u)", (unsigned long)mib,
			    MAX_MIB);
	if ((uint64_t)__image_end > RANGE_BASE)
		return fail("image end 0x%lx overlaps the range",
			    (unsigned long)__image_end);
	if (ram_end && end > ram_end)
		return fail("range ends at 0x%lx but RAM ends at 0x%lx: give more memory or a smaller mib=",
			    (unsigned long)end, (unsigned long)ram_end);
	return 0;
}

int guest_main(void)
{
	uint64_t mib = param_u64("mib", DEFAULT_MIB);
	unsigned r, errors = 0;
	int64_t result;
	uint64_t t0;

	npages = mib << 20 >> 12;
	printf("dirty: range 0x%lx-0x%lx (%lu MiB, %lu pages), bitmap at 0x%lx\n",
	       (unsigned long)RANGE_BASE,
	       (unsigned long)(RANGE_BASE + (mib << 20) - 1), (unsigned long)mib,
	       (unsigned long)npages, (unsigned long)bitmap);
	if (check_setup(mib))
		return 1;

	result = dirty_command(TESTDEV_DIRTY_START);
	if (result)
		return fail("START result %ld", (long)result);

	for (r = 0; r < ARRAY_SIZE(rounds); r++) {
		uint64_t written;

		t0 = rdtsc();
		written = write_round(r);
		errors += check_bitmap(r, written);
		printf("dirty: %s took %lu cycles\n", rounds[r].name,
		       (unsigned long)(rdtsc() - t0));
		if (errors)
			break;
	}

	result = dirty_command(TESTDEV_DIRTY_STOP);
	if (result)
		return fail("STOP result %ld", (long)result);

	if (errors)
		return 1;

	errors = check_contents();
	if (errors)
		return fail("%u pages lost their contents", errors);
	printf("dirty: contents of all written pages verified\n");
	printf("PASS\n");
	return 0;
}
