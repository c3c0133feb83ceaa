/*
 * Migration test guest: keeps rewriting a memory range at CPL3 while it is
 * migrated, and checks every page before each rewrite.
 *
 * Page p holds pattern(p, g) in its first and last qword after generation
 * g.  Before writing g + 1, the guest checks that g is there: a page the
 * migration lost, sent stale or corrupted fails the run at the next pass,
 * wherever the guest then runs.  After the last pass every page is checked
 * once more and the guest passes through debug-exit.
 *
 * Parameters: mib=N (range size, default 64), passes=N (default 40),
 * spin=N (busy iterations between pages, default 2000: sets the dirty
 * rate), base=ADDR (default 64 MiB), every=N (print "migrate: pass N"
 * every N passes, default 10; bench/migration uses 1 to see the rate).
 */
#include "guest.h"

static uint64_t pattern(uint64_t page, uint64_t gen)
{
	return (page << 32) ^ (gen * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a;
}

static int check_page(volatile uint64_t *w, uint64_t page, uint64_t gen)
{
	uint64_t want = pattern(page, gen);

	if (w[0] != want || w[511] != want)
		return fail("page %llu: found 0x%llx/0x%llx, expected 0x%llx (generation %llu)",
			    (unsigned long long)page, (unsigned long long)w[0],
			    (unsigned long long)w[511], (unsigned long long)want,
			    (unsigned long long)gen);
	return 0;
}

int guest_main(void)
{
	uint64_t mib = param_u64("mib", 64), passes = param_u64("passes", 40);
	uint64_t spin = param_u64("spin", 2000), base = param_u64("base", 64ull << 20);
	uint64_t every = param_u64("every", 10);
	uint64_t pages = mib << 8;
	uint64_t ram = mem_upper_bytes() + (1ull << 20);

	if (base + (mib << 20) > ram)
		return fail("range 0x%llx+%llu MiB exceeds RAM (0x%llx)",
			    (unsigned long long)base, (unsigned long long)mib,
			    (unsigned long long)ram);
	printf("migrate: %llu MiB at 0x%llx, %llu passes\n", (unsigned long long)mib,
	       (unsigned long long)base, (unsigned long long)passes);
	for (uint64_t gen = 1; gen <= passes; gen++) {
		for (uint64_t p = 0; p < pages; p++) {
			volatile uint64_t *w = (volatile uint64_t *)(base + p * PAGE_SIZE);

			if (gen > 1 && check_page(w, p, gen - 1))
				return 1;
			w[0] = pattern(p, gen);
			w[511] = pattern(p, gen);
			for (volatile uint64_t i = 0; i < spin; i++)
				;
		}
		if (every && gen % every == 0)
			printf("migrate: pass %llu\n", (unsigned long long)gen);
	}
	for (uint64_t p = 0; p < pages; p++)
		if (check_page((volatile uint64_t *)(base + p * PAGE_SIZE), p, passes))
			return 1;
	printf("migrate: all %llu pages verified\nPASS\n", (unsigned long long)pages);
	return 0;
}
