/*
 * Coalesced MMIO test: writes to the testdev's coalesced window are queued
 * by KVM in a ring instead of exiting.  The VMM must apply every queued
 * write before it handles any later exit, so a read of the count right
 * after the writes sees all of them, in order (the sum checks values).
 * The ring holds fewer entries than we write, so it also fills up and
 * forces exits in between.
 */
#include "guest.h"

#define COALESCED_BASE	0xfe901000ull
#define REG_WRITE	0x00
#define REG_COUNT	0x08
#define REG_SUM		0x10

#define ROUNDS		5
#define WRITES		1000

int guest_main(void)
{
	uint64_t want_count = 0, want_sum = 0;

	printf("coalesced: %u rounds of %u writes to 0x%llx\n", ROUNDS, WRITES,
	       COALESCED_BASE);
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t count, sum;

		for (unsigned i = 0; i < WRITES; i++) {
			uint64_t v = (uint64_t)r * 100000 + i;

			if (i & 1)
				mmio_write64(COALESCED_BASE + REG_WRITE, v);
			else
				mmio_write32(COALESCED_BASE + REG_WRITE, (uint32_t)v);
			want_count++;
			want_sum += v;
		}
		count = mmio_read64(COALESCED_BASE + REG_COUNT);
		sum = mmio_read64(COALESCED_BASE + REG_SUM);
		printf("coalesced: round %u: count %llu (want %llu), sum %llu (want %llu)\n",
		       r, (unsigned long long)count, (unsigned long long)want_count,
		       (unsigned long long)sum, (unsigned long long)want_sum);
		if (count != want_count || sum != want_sum)
			return fail("queued writes were lost or applied late");
	}
	printf("PASS\n");
	return 0;
}
