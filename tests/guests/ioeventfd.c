/*
 * ioeventfd test: hits the four testdev doorbells a known number of times,
 * with and without their datamatch values, then checks the counters.
 *
 * Matching writes are handled by KVM (an eventfd signal, no exit to the
 * VMM); non-matching writes to B and D must reach the VMM and count as
 * "slow". So slow == 12 also proves that no matched write took the slow
 * path.
 */
#include "guest.h"
#include "testdev.h"

#define WRITES_A	1000
#define WRITES_B	500
#define WRITES_C	1000
#define WRITES_D	300

/* Values that must not match B's 2-byte datamatch 0x1234. */
static const uint16_t b_misses[] = {
	0x0000, 0x1235, 0x1233, 0x3412, 0x4321, 0xffff, 0x0034,
};

/* Values that must not match D's 8-byte datamatch (incl. a byte swap). */
static const uint64_t d_misses[] = {
	0x0000000000000000ull, 0xfeedfacecafebeeeull, 0xefbefecacefaedfeull,
	0x00000000cafebeefull, 0xfeedface00000000ull,
};

struct counter {
	const char *name;
	unsigned off;
	uint64_t want;
};

static const struct counter counters[] = {
	{ "doorbell A", TESTDEV_MMIO_COUNT_A, WRITES_A },
	{ "doorbell B", TESTDEV_MMIO_COUNT_B, WRITES_B },
	{ "doorbell C", TESTDEV_MMIO_COUNT_C, WRITES_C },
	{ "doorbell D", TESTDEV_MMIO_COUNT_D, WRITES_D },
	{ "slow", TESTDEV_MMIO_COUNT_SLOW,
	  ARRAY_SIZE(b_misses) + ARRAY_SIZE(d_misses) },
};

static void ring_doorbells(void)
{
	const uint64_t mmio = TESTDEV_MMIO_BASE;
	unsigned i;

	for (i = 0; i < WRITES_A; i++)
		outl(TESTDEV_PIO_BASE + TESTDEV_PIO_DOORBELL_A, i);

	for (i = 0; i < WRITES_B; i++)
		outw(TESTDEV_PIO_BASE + TESTDEV_PIO_DOORBELL_B,
		     TESTDEV_DOORBELL_B_MATCH);
	for (i = 0; i < ARRAY_SIZE(b_misses); i++)
		outw(TESTDEV_PIO_BASE + TESTDEV_PIO_DOORBELL_B, b_misses[i]);

	for (i = 0; i < WRITES_C; i++)
		mmio_write32(mmio + TESTDEV_MMIO_DOORBELL_C, i);

	for (i = 0; i < WRITES_D; i++)
		mmio_write64(mmio + TESTDEV_MMIO_DOORBELL_D,
			     TESTDEV_DOORBELL_D_MATCH);
	for (i = 0; i < ARRAY_SIZE(d_misses); i++)
		mmio_write64(mmio + TESTDEV_MMIO_DOORBELL_D, d_misses[i]);
}

/*
 * Reads every counter and compares. Done twice: the device drains the
 * eventfds on a read, and a count must survive that (it is a total, not
 * "since the last read").
 */
static unsigned check_counters(const char *pass)
{
	unsigned i, errors = 0;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		const struct counter *c = &counters[i];
		uint64_t got = mmio_read64(TESTDEV_MMIO_BASE + c->off);

		printf("ioeventfd: %s read: %-10s count %lu (expected %lu)\n",
		       pass, c->name, (unsigned long)got,
		       (unsigned long)c->want);
		if (got != c->want)
			errors++;
	}
	return errors;
}

int guest_main(void)
{
	unsigned errors;

	printf("ioeventfd: A %u x pio4, B %u+%u x pio2, C %u x mmio4, D %u+%u x mmio8\n",
	       WRITES_A, WRITES_B, (unsigned)ARRAY_SIZE(b_misses), WRITES_C,
	       WRITES_D, (unsigned)ARRAY_SIZE(d_misses));
	ring_doorbells();
	errors = check_counters("first");
	errors += check_counters("second");
	if (errors)
		return fail("%u counter reads differ from the expected counts",
			    errors);
	printf("PASS\n");
	return 0;
}
