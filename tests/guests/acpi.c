/*
 * ACPI tables as a kernel without a pointer to them finds them: the RSDP
 * by scanning the BIOS area 0xe0000-0xfffff on 16-byte boundaries, then
 * the XSDT, FADT, DSDT and MADT, each with its checksum.  Checks the MADT's
 * Local APIC count and the DSDT's virtio-mmio devices against the command
 * line, and that those devices are then not on the command line too.
 *
 * Parameters: cpus=N (1), virtio=N (0) expected; acpi=0: expect no RSDP
 * (and virtio_mmio.device= entries instead); poweroff=1: leave by the
 * ACPI sleep control register (S5) instead of debug-exit.
 */
#include "guest.h"

#define BIOS_AREA	0xe0000u
#define BIOS_END	0x100000u

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *find_rsdp(void)
{
	for (uint32_t a = BIOS_AREA; a < BIOS_END; a += 16) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)a;

		if (!memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return p;
	}
	return NULL;
}

/* A table the tables point at: below 4 GiB, its checksum right. */
static const uint8_t *table(uint64_t addr, const char *sig)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;

	if (!addr || addr >= (1ull << 32) || memcmp(t, sig, 4) || rd32(t + 4) < 36 ||
	    sum(t, rd32(t + 4)) != 0)
		return NULL;
	return t;
}

static unsigned int count(const uint8_t *p, uint32_t len, const char *s)
{
	size_t n = strlen(s);
	unsigned int c = 0;

	for (uint32_t i = 0; i + n <= len; i++)
		c += !memcmp(p + i, s, n);
	return c;
}

static bool cmdline_has(const char *s)
{
	const char *c = cmdline();

	return count((const uint8_t *)c, strlen(c), s) > 0;
}

static int leave(void)
{
	printf("PASS\n");
	if (param_u64("poweroff", 0)) {
		outb(0x600, (5 << 2) | 0x20);	/* SLP_TYP 5 (\_S5), SLP_EN */
		return fail("still running after the S5 write");
	}
	return 0;
}

int guest_main(void)
{
	const uint8_t *rsdp = find_rsdp(), *xsdt, *fadt = NULL, *madt = NULL, *dsdt;
	unsigned int want_cpus = param_u64("cpus", 1), want_virtio = param_u64("virtio", 0);
	unsigned int lapics = 0, devices;

	if (!param_u64("acpi", 1)) {
		if (rsdp)
			return fail("an RSDP at %p with acpi=off", rsdp);
		if (want_virtio && !cmdline_has("virtio_mmio.device="))
			return fail("acpi=off but no virtio_mmio.device= on the command line");
		printf("no ACPI tables\n");
		return leave();
	}
	if (!rsdp)
		return fail("no RSDP in 0xe0000-0xfffff");
	if (rsdp[15] < 2 || sum(rsdp, 36) != 0)
		return fail("RSDP revision %u or extended checksum wrong", rsdp[15]);
	printf("RSDP at %p\n", rsdp);
	xsdt = table(rd64(rsdp + 24), "XSDT");
	if (!xsdt)
		return fail("no valid XSDT");
	for (uint32_t off = 36; off + 8 <= rd32(xsdt + 4); off += 8) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)rd64(xsdt + off);

		if (!fadt)
			fadt = table(rd64(xsdt + off), "FACP");
		if (!madt)
			madt = table(rd64(xsdt + off), "APIC");
		printf("XSDT entry %c%c%c%c\n", t[0], t[1], t[2], t[3]);
	}
	if (!fadt || !madt)
		return fail("the XSDT lacks a valid FADT or MADT");
	if (!(rd32(fadt + 112) & (1u << 20)))
		return fail("the FADT is not hardware-reduced");
	dsdt = table(rd64(fadt + 140), "DSDT");
	if (!dsdt)
		return fail("no valid DSDT");
	for (uint32_t off = 44; off + 2 <= rd32(madt + 4) && madt[off + 1]; off += madt[off + 1])
		lapics += madt[off] == 0 || madt[off] == 9;
	devices = count(dsdt, rd32(dsdt + 4), "LNRO0005");
	printf("MADT: %u local APICs; DSDT: %u virtio-mmio devices\n", lapics, devices);
	if (lapics != want_cpus)
		return fail("%u local APICs in the MADT, expected %u", lapics, want_cpus);
	if (devices != want_virtio)
		return fail("%u LNRO0005 devices in the DSDT, expected %u", devices, want_virtio);
	if (cmdline_has("virtio_mmio.device="))
		return fail("virtio_mmio.device= on the command line as well as in the DSDT");
	return leave();
}
