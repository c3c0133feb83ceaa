/*
 * Attack guest for the virtio devices: a polled virtio-mmio driver that
 * feeds virtio-blk and virtio-rng rings breaking every rule of VIRTIO 1.2
 * section 2.7 it can think of: buffers outside RAM, across its end, in
 * MMIO (another device's registers, the transport's own, the IOAPIC),
 * wrapping around 2^64, of 4 GiB; loops, next and head indices out of
 * range; indirect tables that nest, loop, are mis-sized, sit outside RAM,
 * are longer than the queue, or were never negotiated; bad avail indices;
 * rings that are misplaced or mis-sized at QueueReady.
 *
 * After each attack the device must have refused the request (a failed
 * status, nothing used, or DEVICE_NEEDS_RESET with a configuration
 * interrupt, as the spec lets it), qemu-vmm must still be running, no MMIO
 * register may have been written on the guest's say-so (the testdev
 * scratch register is checked), and after a reset the device must work
 * again: a good read returns the sectors written at the start.
 *
 * Run with a virtio-blk disk of at least 64 sectors, a virtio-rng device
 * and vmm-testdev; RAM at least 64 MiB.  Prints one line per attack.
 */
#include "guest.h"
#include "testdev.h"

#define VIRTIO_BASE		0xfeb00000ull
#define VIRTIO_SLOT		0x200
#define VIRTIO_SLOTS		16
#define IOAPIC_BASE		0xfec00000ull

/* virtio-mmio registers (4.2.2) */
#define R_MAGIC			0x000
#define R_DEVICE_ID		0x008
#define R_DEV_FEATURES		0x010
#define R_DEV_FEATURES_SEL	0x014
#define R_DRV_FEATURES		0x020
#define R_DRV_FEATURES_SEL	0x024
#define R_QUEUE_SEL		0x030
#define R_QUEUE_NUM_MAX		0x034
#define R_QUEUE_NUM		0x038
#define R_QUEUE_READY		0x044
#define R_QUEUE_NOTIFY		0x050
#define R_INT_STATUS		0x060
#define R_INT_ACK		0x064
#define R_STATUS		0x070
#define R_QUEUE_DESC		0x080
#define R_QUEUE_DRIVER		0x090
#define R_QUEUE_DEVICE		0x0a0

#define S_ACK			1
#define S_DRIVER		2
#define S_DRIVER_OK		4
#define S_FEATURES_OK		8
#define S_NEEDS_RESET		64

#define F_INDIRECT		(1ull << 28)
#define F_VERSION_1		(1ull << 32)

#define D_NEXT			1
#define D_WRITE			2
#define D_INDIRECT		4

#define T_IN			0
#define T_OUT			1
#define ST_OK			0

#define QSIZE			16
#define SECTOR			512
#define RING_MEM		0x2000000ull	/* 32 MiB: desc, avail, used */
#define DATA_MEM		0x2100000ull	/* headers, tables, buffers */
#define HDR			(DATA_MEM)
#define STATUS			(DATA_MEM + 0x100)
#define TABLE			(DATA_MEM + 0x1000)
#define BUF			(DATA_MEM + 0x10000)
#define GOOD			(DATA_MEM + 0x20000)
#define SCRATCH_MARK		0x5ca1ab1e5ca1ab1eull

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* One device and its queue 0, the rings at RING_MEM + slot * 64 KiB. */
struct dev {
	const char *name;
	uint64_t base;
	struct desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[QSIZE], used_event */
	volatile uint32_t *used;	/* flags | idx << 16, then (id, len) pairs */
	uint16_t avail_idx, last_used;
};

enum outcome { USED, NEEDS_RESET, NO_ANSWER };

static struct dev blk = { .name = "virtio-blk" }, rng = { .name = "virtio-rng" };
static uint64_t ram_end;

static uint32_t rd(const struct dev *d, unsigned int off)
{
	return mmio_read32(d->base + off);
}

static void wr(const struct dev *d, unsigned int off, uint32_t val)
{
	mmio_write32(d->base + off, val);
}

static void mb(void)
{
	asm volatile("mfence" : : : "memory");
}

static uint16_t used_idx(const struct dev *d)
{
	return (uint16_t)(d->used[0] >> 16);
}

static void set_ring(struct dev *d, unsigned int reg, uint64_t addr)
{
	wr(d, reg, (uint32_t)addr);
	wr(d, reg + 4, (uint32_t)(addr >> 32));
}

/* Reset, negotiate (INDIRECT_DESC if indirect), set up queue 0 of num. */
static int dev_setup(struct dev *d, bool indirect)
{
	uint64_t mem = RING_MEM + (d->base - VIRTIO_BASE) / VIRTIO_SLOT * 0x10000;
	uint64_t want = F_VERSION_1 | (indirect ? F_INDIRECT : 0), offered;

	wr(d, R_STATUS, 0);
	if (rd(d, R_STATUS) != 0)
		return fail("%s: status 0x%x after reset", d->name, rd(d, R_STATUS));
	wr(d, R_INT_ACK, rd(d, R_INT_STATUS));
	wr(d, R_STATUS, S_ACK | S_DRIVER);
	wr(d, R_DEV_FEATURES_SEL, 0);
	offered = rd(d, R_DEV_FEATURES);
	wr(d, R_DEV_FEATURES_SEL, 1);
	offered |= (uint64_t)rd(d, R_DEV_FEATURES) << 32;
	if ((offered & want) != want)
		return fail("%s: features 0x%lx offered", d->name, (unsigned long)offered);
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)want);
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(want >> 32));
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd(d, R_STATUS) & S_FEATURES_OK))
		return fail("%s: features refused", d->name);
	memset((void *)mem, 0, 0x3000);
	d->desc = (struct desc *)mem;
	d->avail = (volatile uint16_t *)(mem + 0x1000);
	d->used = (volatile uint32_t *)(mem + 0x2000);
	d->avail_idx = d->last_used = 0;
	wr(d, R_QUEUE_SEL, 0);
	wr(d, R_QUEUE_NUM, QSIZE);
	set_ring(d, R_QUEUE_DESC, mem);
	set_ring(d, R_QUEUE_DRIVER, mem + 0x1000);
	set_ring(d, R_QUEUE_DEVICE, mem + 0x2000);
	wr(d, R_QUEUE_READY, 1);
	if (rd(d, R_QUEUE_READY) != 1)
		return fail("%s: queue not ready", d->name);
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return 0;
}

/* Chain head made available (ring entry, then index), then a kick. */
static void kick(struct dev *d, uint16_t head)
{
	d->avail[2 + d->avail_idx % QSIZE] = head;
	mb();
	d->avail[1] = ++d->avail_idx;
	mb();
	wr(d, R_QUEUE_NOTIFY, 0);
}

/* Until the chain is used, the device needs a reset, or cycles pass. */
static enum outcome wait_used_for(struct dev *d, uint32_t *len, uint64_t cycles)
{
	uint64_t start = rdtsc();

	for (unsigned long spin = 0;; spin++) {
		mb();
		if (used_idx(d) != d->last_used) {
			*len = d->used[1 + 2 * (d->last_used % QSIZE) + 1];
			d->last_used++;
			return USED;
		}
		if (spin % 1024 == 0) {
			if (rd(d, R_STATUS) & S_NEEDS_RESET)
				return NEEDS_RESET;
			if (rdtsc() - start > cycles)
				return NO_ANSWER;
		}
		asm volatile("pause");
	}
}

static enum outcome wait_used(struct dev *d, uint32_t *len)
{
	return wait_used_for(d, len, 6000000000ull);
}

/* A block request of one data buffer; the status byte, or -1 if not used. */
static int blk_request(uint32_t type, uint64_t sector, uint64_t buf, uint32_t len)
{
	struct blk_hdr *h = (struct blk_hdr *)HDR;
	uint32_t used_len;

	*h = (struct blk_hdr){ type, 0, sector };
	*(volatile uint8_t *)STATUS = 0xff;
	blk.desc[0] = (struct desc){ HDR, sizeof(*h), D_NEXT, 1 };
	blk.desc[1] = (struct desc){ buf, len, (type == T_IN ? D_WRITE : 0) | D_NEXT, 2 };
	blk.desc[2] = (struct desc){ STATUS, 1, D_WRITE, 0 };
	kick(&blk, 0);
	if (wait_used(&blk, &used_len) != USED)
		return -1;
	return *(volatile uint8_t *)STATUS;
}

static uint8_t pattern(uint64_t o)
{
	return (uint8_t)(o * 7 + (o >> 9) + 0x31);
}

/* The device works: a read of sectors 0-7 gives back the pattern. */
static int blk_check(const char *after)
{
	uint8_t *b = (uint8_t *)GOOD;

	memset(b, 0, 8 * SECTOR);
	if (blk_request(T_IN, 0, GOOD, 8 * SECTOR) != ST_OK)
		return fail("virtio-blk: a good read failed after '%s'", after);
	for (uint64_t o = 0; o < 8 * SECTOR; o++)
		if (b[o] != pattern(o))
			return fail("virtio-blk: data wrong at byte %lu after '%s'",
				    (unsigned long)o, after);
	return 0;
}

static int rng_check(const char *after)
{
	uint8_t *b = (uint8_t *)GOOD;
	uint32_t len;

	memset(b, 0, 64);
	rng.desc[0] = (struct desc){ GOOD, 64, D_WRITE, 0 };
	kick(&rng, 0);
	if (wait_used(&rng, &len) != USED || len == 0 || len > 64)
		return fail("virtio-rng: a good request failed after '%s'", after);
	return 0;
}

/*
 * The outcome of an attack on d: refused one way or another, qemu-vmm
 * alive (we are still running), MMIO untouched; then reset and check.
 * answer_needed: an attack the device may also just ignore says false.
 */
static int judge(struct dev *d, const char *what, bool answer_needed)
{
	uint32_t len = 0;
	/* where no answer is right, waiting a little shows there is none */
	enum outcome o = wait_used_for(d, &len, answer_needed ? 6000000000ull : 600000000ull);
	const char *how;

	if (o == NEEDS_RESET) {
		if (!(rd(d, R_INT_STATUS) & 2))
			return fail("%s: '%s': NEEDS_RESET without a config interrupt",
				    d->name, what);
		how = "device needs reset";
	} else if (o == USED) {
		if (d == &blk && *(volatile uint8_t *)STATUS == ST_OK)
			return fail("virtio-blk: '%s': the request succeeded", what);
		if (d == &rng && len)
			return fail("virtio-rng: '%s': %u bytes written", what, len);
		how = "request failed";
	} else {
		if (answer_needed)
			return fail("%s: '%s': no answer and no NEEDS_RESET", d->name, what);
		how = "ignored";
	}
	if (mmio_read64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_SCRATCH) != SCRATCH_MARK)
		return fail("'%s' wrote the testdev's scratch register", what);
	printf("%s: %s: %s\n", d->name, what, how);
	if (dev_setup(d, true))
		return 1;
	return d == &blk ? blk_check(what) : rng_check(what);
}

/* The chain at desc[0..n) with head 0 (or the head given), kicked. */
static void send(struct dev *d, const struct desc *c, unsigned int n, uint16_t head)
{
	for (unsigned int i = 0; i < n; i++)
		d->desc[i] = c[i];
	*(volatile uint8_t *)STATUS = 0xff;
	kick(d, head);
}

struct chain_attack {
	const char *what;
	struct desc c[4];	/* desc[0..3]; a zero len and addr ends it */
	uint16_t head;
	bool long_table;	/* the good indirect table runs to 64 entries */
};

static int blk_chains(void)
{
	uint64_t scratch = TESTDEV_MMIO_BASE + TESTDEV_MMIO_SCRATCH;
	const struct chain_attack attacks[] = {
		{ .what = "data in another device's registers",
		  .c = { { HDR, 16, D_NEXT, 1 }, { scratch, 8, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "data in its own transport's registers",
		  .c = { { HDR, 16, D_NEXT, 1 }, { blk.base, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "data in the IOAPIC",
		  .c = { { HDR, 16, D_NEXT, 1 }, { IOAPIC_BASE, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "data from RAM into MMIO",
		  .c = { { HDR, 16, D_NEXT, 1 },
		    { TESTDEV_MMIO_BASE - SECTOR / 2, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "data starting at the end of RAM",
		  .c = { { HDR, 16, D_NEXT, 1 }, { ram_end, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "data wrapping around 2^64",
		  .c = { { HDR, 16, D_NEXT, 1 }, { ~0ull - 0xff, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "a 4 GiB buffer",
		  .c = { { HDR, 16, D_NEXT, 1 }, { BUF, 0xffffffffu, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "status byte outside RAM",
		  .c = { { HDR, 16, D_NEXT, 1 }, { BUF, SECTOR, D_WRITE | D_NEXT, 2 },
		    { ram_end + 0x1000, 1, D_WRITE, 0 } } },
		{ .what = "header in MMIO",
		  .c = { { scratch, 16, D_NEXT, 1 }, { BUF, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "header too short",
		  .c = { { HDR, 4, D_NEXT, 1 }, { BUF, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "read-only status byte",
		  .c = { { HDR, 16, D_NEXT, 1 }, { BUF, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 1, 0, 0 } } },
		{ .what = "zero-length status",
		  .c = { { HDR, 16, D_NEXT, 1 }, { BUF, SECTOR, D_WRITE | D_NEXT, 2 },
		    { STATUS, 0, D_WRITE, 0 } } },
		{ .what = "writable header before the data",
		  .c = { { HDR, 16, D_WRITE | D_NEXT, 1 }, { BUF, SECTOR, D_NEXT, 2 },
		    { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "next index beyond the queue",
		  .c = { { HDR, 16, D_NEXT, 200 }, { BUF, SECTOR, D_WRITE, 0 } } },
		{ .what = "head index beyond the queue",
		  .c = { { HDR, 16, D_NEXT, 1 }, { STATUS, 1, D_WRITE, 0 } }, .head = 99 },
		{ .what = "a chain looping on itself",
		  .c = { { HDR, 16, D_NEXT, 0 } } },
		{ .what = "indirect flag with next",
		  .c = { { TABLE, 3 * 16, D_INDIRECT | D_NEXT, 1 }, { STATUS, 1, D_WRITE, 0 } } },
		{ .what = "indirect table of 20 bytes",
		  .c = { { TABLE, 20, D_INDIRECT, 0 } } },
		{ .what = "indirect table of 0 bytes",
		  .c = { { TABLE, 0, D_INDIRECT, 0 } } },
		{ .what = "indirect table in MMIO",
		  .c = { { TESTDEV_MMIO_BASE, 3 * 16, D_INDIRECT, 0 } } },
		{ .what = "indirect table across the end of RAM",
		  .c = { { ram_end - 16, 3 * 16, D_INDIRECT, 0 } } },
		{ .what = "indirect table longer than the queue",
		  .c = { { TABLE, 64 * 16, D_INDIRECT, 0 } }, .long_table = true },
		{ .what = "indirect table of 4 GiB",
		  .c = { { TABLE, 0xfffffff0u, D_INDIRECT, 0 } } },
	};
	struct desc *t = (struct desc *)TABLE;

	for (unsigned int i = 0; i < ARRAY_SIZE(attacks); i++) {
		const struct chain_attack *a = &attacks[i];
		unsigned int n = 0;

		/* a good table, for the attacks on the indirect descriptor itself */
		t[0] = (struct desc){ HDR, 16, D_NEXT, 1 };
		t[1] = (struct desc){ BUF, SECTOR, D_WRITE | D_NEXT, 2 };
		t[2] = (struct desc){ STATUS, 1, D_WRITE, 0 };
		for (unsigned int k = 3; k < 64; k++)
			t[k] = (struct desc){ BUF, 8, D_WRITE | D_NEXT, (uint16_t)(k + 1) };
		t[63].flags = D_WRITE;
		if (a->long_table)
			t[2] = (struct desc){ STATUS, 1, D_WRITE | D_NEXT, 3 };
		while (n < 4 && (a->c[n].len || a->c[n].addr || a->c[n].flags))
			n++;
		((struct blk_hdr *)HDR)->type = T_IN;
		((struct blk_hdr *)HDR)->sector = 0;
		send(&blk, a->c, n, a->head);
		if (judge(&blk, a->what, true))
			return 1;
	}
	return 0;
}

/* Indirect tables that loop or nest, and indirect without the feature. */
static int blk_indirect_rules(void)
{
	struct desc *t = (struct desc *)TABLE, *t2 = (struct desc *)(TABLE + 0x800);

	t[0] = (struct desc){ HDR, 16, D_NEXT, 1 };
	t[1] = (struct desc){ (uint64_t)t2, 2 * 16, D_INDIRECT, 0 };
	t2[0] = (struct desc){ BUF, SECTOR, D_WRITE | D_NEXT, 1 };
	t2[1] = (struct desc){ STATUS, 1, D_WRITE, 0 };
	send(&blk, (struct desc[]){ { TABLE, 2 * 16, D_INDIRECT, 0 } }, 1, 0);
	if (judge(&blk, "nested indirect tables", true))
		return 1;
	t[0] = (struct desc){ HDR, 16, D_NEXT, 1 };
	t[1] = (struct desc){ BUF, SECTOR, D_WRITE | D_NEXT, 2 };
	t[2] = (struct desc){ STATUS, 1, D_WRITE | D_NEXT, 0 };
	send(&blk, (struct desc[]){ { TABLE, 3 * 16, D_INDIRECT, 0 } }, 1, 0);
	if (judge(&blk, "indirect table looping", true))
		return 1;
	t[1].next = 7;
	t[2].flags = D_WRITE;
	send(&blk, (struct desc[]){ { TABLE, 3 * 16, D_INDIRECT, 0 } }, 1, 0);
	if (judge(&blk, "indirect next beyond the table", true))
		return 1;
	/* a good indirect chain, but the feature was not negotiated */
	t[1].next = 2;
	if (dev_setup(&blk, false))
		return 1;
	send(&blk, (struct desc[]){ { TABLE, 3 * 16, D_INDIRECT, 0 } }, 1, 0);
	return judge(&blk, "indirect not negotiated", true);
}

/* Avail index games and notifications of queues that do not exist. */
static int blk_indices(void)
{
	blk.avail_idx += QSIZE + 1;	/* more chains than the queue holds */
	send(&blk, (struct desc[]){ { HDR, 16, D_NEXT, 1 }, { STATUS, 1, D_WRITE, 0 } }, 2, 0);
	if (judge(&blk, "avail index too far ahead", true))
		return 1;
	blk.avail_idx = (uint16_t)(blk.avail_idx - 2);	/* going backwards */
	send(&blk, (struct desc[]){ { HDR, 16, D_NEXT, 1 }, { STATUS, 1, D_WRITE, 0 } }, 2, 0);
	if (judge(&blk, "avail index going back", true))
		return 1;
	wr(&blk, R_QUEUE_NOTIFY, 5);
	wr(&blk, R_QUEUE_NOTIFY, 0xffff);
	return judge(&blk, "notify of a queue that does not exist", false);
}

/* QueueReady must stay 0 for rings the device cannot use. */
static int bad_rings(void)
{
	const struct {
		const char *what;
		uint32_t num;
		uint64_t desc, driver, device;
	} cases[] = {
		{ "queue size 0", 0, RING_MEM, RING_MEM + 0x1000, RING_MEM + 0x2000 },
		{ "queue size 13", 13, RING_MEM, RING_MEM + 0x1000, RING_MEM + 0x2000 },
		{ "queue size above the maximum", 0x8000, RING_MEM, RING_MEM + 0x1000,
		  RING_MEM + 0x2000 },
		{ "descriptors in MMIO", QSIZE, TESTDEV_MMIO_BASE, RING_MEM + 0x1000,
		  RING_MEM + 0x2000 },
		{ "used ring across the end of RAM", QSIZE, RING_MEM, RING_MEM + 0x1000,
		  ram_end - 8 },
		{ "misaligned descriptors", QSIZE, RING_MEM + 8, RING_MEM + 0x1000,
		  RING_MEM + 0x2000 },
		{ "descriptors above 4 GiB", QSIZE, 0x4000000000ull, RING_MEM + 0x1000,
		  RING_MEM + 0x2000 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		wr(&blk, R_STATUS, 0);
		wr(&blk, R_STATUS, S_ACK | S_DRIVER);
		wr(&blk, R_DRV_FEATURES_SEL, 1);
		wr(&blk, R_DRV_FEATURES, 1);
		wr(&blk, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
		wr(&blk, R_QUEUE_SEL, 0);
		wr(&blk, R_QUEUE_NUM, cases[i].num);
		set_ring(&blk, R_QUEUE_DESC, cases[i].desc);
		set_ring(&blk, R_QUEUE_DRIVER, cases[i].driver);
		set_ring(&blk, R_QUEUE_DEVICE, cases[i].device);
		wr(&blk, R_QUEUE_READY, 1);
		if (rd(&blk, R_QUEUE_READY) != 0)
			return fail("virtio-blk: %s: the queue became ready", cases[i].what);
		printf("virtio-blk: %s: queue refused\n", cases[i].what);
	}
	/* a queue that does not exist */
	wr(&blk, R_QUEUE_SEL, 7);
	if (rd(&blk, R_QUEUE_NUM_MAX) != 0)
		return fail("virtio-blk: queue 7 has a size");
	wr(&blk, R_QUEUE_READY, 1);
	if (rd(&blk, R_QUEUE_READY) != 0)
		return fail("virtio-blk: queue 7 became ready");
	if (dev_setup(&blk, true))
		return 1;
	return blk_check("bad rings");
}

static int rng_attacks(void)
{
	const struct chain_attack attacks[] = {
		{ .what = "device-readable buffer", .c = { { BUF, 64, 0, 0 } } },
		{ .what = "buffer in MMIO", .c = { { TESTDEV_MMIO_BASE, 64, D_WRITE, 0 } } },
		{ .what = "buffer across the end of RAM", .c = { { ram_end - 32, 64, D_WRITE, 0 } } },
		{ .what = "buffer wrapping around 2^64", .c = { { ~0ull - 31, 64, D_WRITE, 0 } } },
		{ .what = "a chain looping on itself", .c = { { BUF, 64, D_WRITE | D_NEXT, 0 } } },
		{ .what = "indirect table in MMIO", .c = { { IOAPIC_BASE, 32, D_INDIRECT, 0 } } },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(attacks); i++) {
		send(&rng, attacks[i].c, 1, 0);
		if (judge(&rng, attacks[i].what, true))
			return 1;
	}
	return 0;
}

int guest_main(void)
{
	uint8_t *b = (uint8_t *)BUF;

	ram_end = 0x100000 + mem_upper_bytes();
	if (ram_end < 0x4000000)
		return fail("needs at least 64 MiB of RAM");
	for (unsigned int i = 0; i < VIRTIO_SLOTS; i++) {
		uint64_t base = VIRTIO_BASE + i * VIRTIO_SLOT;

		if (mmio_read32(base + R_MAGIC) != 0x74726976)
			continue;
		if (mmio_read32(base + R_DEVICE_ID) == 2 && !blk.base)
			blk.base = base;
		if (mmio_read32(base + R_DEVICE_ID) == 4 && !rng.base)
			rng.base = base;
	}
	if (!blk.base || !rng.base)
		return fail("needs a virtio-blk and a virtio-rng device");
	mmio_write64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_SCRATCH, SCRATCH_MARK);
	if (mmio_read64(TESTDEV_MMIO_BASE + TESTDEV_MMIO_SCRATCH) != SCRATCH_MARK)
		return fail("needs vmm-testdev");

	if (dev_setup(&blk, true) || dev_setup(&rng, true))
		return 1;
	for (uint64_t o = 0; o < 8 * SECTOR; o++)
		b[o] = pattern(o);
	if (blk_request(T_OUT, 0, BUF, 8 * SECTOR) != ST_OK)
		return fail("virtio-blk: the first write failed");
	if (blk_check("the first write") || rng_check("set-up"))
		return 1;

	if (blk_chains() || blk_indirect_rules() || blk_indices() || bad_rings() ||
	    rng_attacks())
		return 1;
	wr(&blk, R_STATUS, 0);
	wr(&rng, R_STATUS, 0);
	printf("PASS\n");
	return 0;
}
