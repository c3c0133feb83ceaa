/*
 * Exit-latency benchmark: n (cmdline "n=N", default 100000) writes each to
 * the testdev PIO bench port, the MMIO bench register and doorbell C (an
 * ioeventfd, handled in KVM without a trip to userspace), timed with rdtsc
 * at CPL3.
 *
 * It never reads the test device and never polls the UART, so it also runs
 * under a bare KVM_RUN loop that only handles port 0x3f8 output and the
 * 0xf4 debug-exit (there the writes are ignored and the numbers show the
 * plain exit cost of that loop).
 */
#include "guest.h"
#include "testdev.h"

#define DEFAULT_N	100000

struct phase {
	const char *label;
	void (*run)(uint64_t n);
};

static void pio_phase(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		outl(TESTDEV_PIO_BENCH, i);
}

static void mmio_phase(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		mmio_write32(TESTDEV_MMIO_BASE + TESTDEV_MMIO_BENCH, i);
}

static void ioeventfd_phase(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		mmio_write32(TESTDEV_MMIO_BASE + TESTDEV_MMIO_DOORBELL_C, i);
}

static const struct phase phases[] = {
	{ "pio-exit-cycles", pio_phase },
	{ "mmio-exit-cycles", mmio_phase },
	{ "ioeventfd-cycles", ioeventfd_phase },
};

int guest_main(void)
{
	uint64_t n = param_u64("n", DEFAULT_N);
	uint64_t total = 0;
	unsigned i;

	if (n == 0)
		n = 1;
	printf("exitbench: n=%lu\n", (unsigned long)n);
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		uint64_t t0 = rdtsc();
		uint64_t dt;

		phases[i].run(n);
		dt = rdtsc() - t0;
		total += dt;
		printf("%s %lu\n", phases[i].label, (unsigned long)(dt / n));
	}
	printf("tsc-total %lu\n", (unsigned long)total);
	return 0;
}
