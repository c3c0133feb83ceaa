/*
 * Attack guest for the device regions of the x86 microvm machine: reads
 * and writes of every width (MMIO 1, 2, 4, 8; port I/O 1, 2, 4) at every
 * offset of each region, aligned or not, and straddling its ends (into
 * the next region or into nothing).  qemu-vmm must keep running, and the
 * devices must still answer correctly afterwards: the testdev's constant
 * and scratch register, the virtio transports' identification and reset,
 * the IOAPIC's version register, the serial scratch register.  Then the
 * guest leaves through debug-exit with its verdict.
 *
 * What is left out, because it would end the test rather than attack the
 * VMM: writes to debug-exit (any write exits), the reset command 0xfe to
 * port 0x64 (it resets the machine), writes to the serial port's other
 * registers (THR would print garbage; LCR, IER and MCR change the line
 * the test reports on), testdev's dirty-log commands (it would start
 * logging), and IOAPIC values that could unmask an NMI (the guest has no
 * IDT: every redirection entry written stays masked or fixed-delivery,
 * which IF=0 holds off).
 *
 * Run with -M microvm,kernel_irqchip=split (the IOAPIC is then ours),
 * vmm-testdev and a few virtio devices.
 */
#include "guest.h"
#include "testdev.h"

#define VIRTIO_BASE	0xfeb00000ull
#define VIRTIO_SLOT	0x200
#define VIRTIO_SLOTS	4		/* the devices given, then empty slots */
#define IOAPIC_BASE	0xfec00000ull
#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define RESET_PORT	0x64

static unsigned long accesses;

/* A value for every lane: bits 8-10 clear and bit 16 set in each dword. */
static uint64_t value(uint64_t where)
{
	uint32_t v = 0x00010000u | (uint32_t)(where * 37 & 0xff) | (uint32_t)(where & 0xf000) << 12;

	return (uint64_t)v << 32 | v;
}

static void mmio_access(uint64_t addr, unsigned int width, bool write)
{
	uint64_t v = value(addr);

	accesses++;
	if (!write) {
		switch (width) {
		case 1: (void)mmio_read8(addr); break;
		case 2: (void)mmio_read16(addr); break;
		case 4: (void)mmio_read32(addr); break;
		default: (void)mmio_read64(addr); break;
		}
		return;
	}
	switch (width) {
	case 1: mmio_write8(addr, (uint8_t)v); break;
	case 2: mmio_write16(addr, (uint16_t)v); break;
	case 4: mmio_write32(addr, (uint32_t)v); break;
	default: mmio_write64(addr, v); break;
	}
}

static void pio_access(uint16_t port, unsigned int width, bool write, uint32_t v)
{
	accesses++;
	if (!write) {
		switch (width) {
		case 1: (void)inb(port); break;
		case 2: (void)inw(port); break;
		default: (void)inl(port); break;
		}
		return;
	}
	switch (width) {
	case 1: outb(port, (uint8_t)v); break;
	case 2: outw(port, (uint16_t)v); break;
	default: outl(port, v); break;
	}
}

/*
 * Every width at every offset from 8 bytes before the region to 8 bytes
 * past its end; skip says which offsets may not be written.
 */
static void sweep_mmio(const char *name, uint64_t base, uint64_t size, bool write,
		       bool (*skip)(uint64_t addr, unsigned int width))
{
	unsigned long before = accesses;

	for (uint64_t a = base - 8; a < base + size + 8; a++)
		for (unsigned int w = 1; w <= 8; w <<= 1)
			if (!write || !skip || !skip(a, w))
				mmio_access(a, w, write);
	printf("%s: %lu %s\n", name, accesses - before, write ? "writes" : "reads");
}

static bool overlaps(uint64_t a, unsigned int w, uint64_t start, uint64_t len)
{
	return a < start + len && start < a + w;
}

static bool testdev_skip(uint64_t a, unsigned int w)
{
	/* the dirty-log command and its parameters */
	return overlaps(a, w, TESTDEV_MMIO_BASE + TESTDEV_MMIO_DIRTY_CMD, 0x20);
}

static int check_testdev(void)
{
	uint64_t base = TESTDEV_MMIO_BASE;

	if (mmio_read64(base + TESTDEV_MMIO_CONST) != TESTDEV_CONSTANT)
		return fail("testdev: constant reads 0x%lx",
			    (unsigned long)mmio_read64(base + TESTDEV_MMIO_CONST));
	mmio_write64(base + TESTDEV_MMIO_SCRATCH, 0x1122334455667788ull);
	if (mmio_read64(base + TESTDEV_MMIO_SCRATCH) != 0x1122334455667788ull)
		return fail("testdev: scratch register broken");
	outl(TESTDEV_PIO_BASE + TESTDEV_PIO_SCRATCH, 0xa5a55a5a);
	if (inl(TESTDEV_PIO_BASE + TESTDEV_PIO_SCRATCH) != 0xa5a55a5a)
		return fail("testdev: PIO scratch register broken");
	return 0;
}

static int check_virtio(void)
{
	for (unsigned int i = 0; i < VIRTIO_SLOTS; i++) {
		uint64_t base = VIRTIO_BASE + i * VIRTIO_SLOT;

		if (mmio_read32(base) != 0x74726976)
			continue;
		mmio_write32(base + 0x70, 0);
		if (mmio_read32(base + 0x04) != 2 || mmio_read32(base + 0x70) != 0)
			return fail("virtio slot %u: version %u, status 0x%x after reset", i,
				    mmio_read32(base + 0x04), mmio_read32(base + 0x70));
		mmio_write32(base + 0x30, 0);
		if (mmio_read32(base + 0x44) != 0 || mmio_read32(base + 0x34) == 0)
			return fail("virtio slot %u: queue 0 after reset", i);
	}
	return 0;
}

static uint32_t ioapic_version(void)
{
	mmio_write32(IOAPIC_BASE, 1);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

/* The version register as before the attack, and no pin armed for NMI & co. */
static int check_ioapic(uint32_t version)
{
	if (ioapic_version() != version)
		return fail("IOAPIC: version register 0x%x, was 0x%x", ioapic_version(),
			    version);
	for (unsigned int pin = 0; pin < 24; pin++) {
		mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin);
		if (!(mmio_read32(IOAPIC_BASE + 0x10) & (1u << 16)) &&
		    ((mmio_read32(IOAPIC_BASE + 0x10) >> 8) & 7) != 0)
			return fail("IOAPIC: pin %u unmasked with delivery mode %u", pin,
				    (mmio_read32(IOAPIC_BASE + 0x10) >> 8) & 7);
	}
	return 0;
}

/* Every port width and offset of [start - 4, start + len + 4). */
static void sweep_pio(const char *name, uint16_t start, uint16_t len, bool write,
		      bool (*skip)(uint16_t port, unsigned int width))
{
	unsigned long before = accesses;

	for (uint16_t p = (uint16_t)(start - 4); p < start + len + 4; p++)
		for (unsigned int w = 1; w <= 4; w <<= 1)
			if (!write || !skip || !skip(p, w))
				pio_access(p, w, write, (uint32_t)value(p) & 0x00ffffffu);
	printf("%s: %lu %s\n", name, accesses - before, write ? "writes" : "reads");
}

static bool port_overlaps(uint16_t p, unsigned int w, uint16_t start, uint16_t len)
{
	return p < start + len && start < p + w;
}

/* the serial port's registers but its scratch register */
static bool serial_skip(uint16_t p, unsigned int w)
{
	return port_overlaps(p, w, COM1, 7);
}

/* debug-exit would end the test */
static bool debug_exit_skip(uint16_t p, unsigned int w)
{
	return port_overlaps(p, w, DEBUG_EXIT, 4);
}

int guest_main(void)
{
	static const char *const slots[VIRTIO_SLOTS] = {
		"virtio-mmio slot 0", "virtio-mmio slot 1", "virtio-mmio slot 2",
		"virtio-mmio slot 3",
	};
	uint32_t version = ioapic_version();

	if (((version >> 16) & 0xff) != 23)
		return fail("IOAPIC: version register 0x%x (24 pins expected)", version);
	/* MMIO: reads everywhere first, then writes */
	for (int write = 0; write < 2; write++) {
		sweep_mmio("testdev MMIO", TESTDEV_MMIO_BASE, TESTDEV_MMIO_SIZE, write,
			   testdev_skip);
		for (unsigned int i = 0; i < VIRTIO_SLOTS; i++)
			sweep_mmio(slots[i], VIRTIO_BASE + i * VIRTIO_SLOT, VIRTIO_SLOT, write,
				   NULL);
		sweep_mmio("IOAPIC", IOAPIC_BASE, 0x100, write, NULL);
		/* the rest of the IOAPIC page: offsets that are not registers */
		sweep_mmio("IOAPIC page end", IOAPIC_BASE + 0xff0, 0x10, write, NULL);
	}
	if (check_testdev() || check_virtio() || check_ioapic(version))
		return 1;

	/* PIO */
	for (int write = 0; write < 2; write++) {
		sweep_pio("serial", COM1, 8, write, serial_skip);
		sweep_pio("testdev PIO", TESTDEV_PIO_BASE, TESTDEV_PIO_SIZE + 4, write, NULL);
		sweep_pio("debug-exit", DEBUG_EXIT, 4, write, debug_exit_skip);
	}
	/* the reset port: reads, and writes of everything but the reset command */
	for (unsigned int w = 1; w <= 4; w <<= 1)
		for (uint16_t p = RESET_PORT - 3; p <= RESET_PORT; p++) {
			pio_access(p, w, false, 0);
			pio_access(p, w, true, 0x00a0a0a0u);	/* no byte is 0xfe */
		}
	outb(COM1 + 7, 0x5a);
	if (inb(COM1 + 7) != 0x5a)
		return fail("serial: scratch register broken");
	if (check_testdev() || check_virtio() || check_ioapic(version))
		return 1;
	printf("%lu accesses, devices still correct\n", accesses);
	printf("PASS\n");
	return 0;
}
