/*
 * virtio-blk test: a polled virtio-mmio (version 2) driver, no interrupts.
 *
 * Finds the transports at 0xfeb00000 + i * 0x200 and, on the first block
 * device: negotiates VIRTIO_F_VERSION_1, sets up queue 0, writes blocks
 * with a pattern (one request at a time, then a batch with one kick through
 * indirect descriptors), flushes, reads them back in one request whose
 * buffer is split over three descriptors, and checks; also write-zeroes,
 * out-of-range and unknown requests, and get-id.  The host checks the image
 * file afterwards: pattern byte at offset o of the first PATTERN_SECTORS
 * sectors is pattern(o), sectors ZERO_FIRST.. are zeroed.
 *
 * Parameters:
 *   sectors=N   the disk's expected capacity (0: not checked)
 *   serial=1    expect the get-id string "vmm-blk-serial"
 *   ro=1        the disk is read-only: writes must fail with IOERR
 *   hostile=1   also send broken chains: each must leave the device in
 *               DEVICE_NEEDS_RESET (or fail the request), and the device
 *               must work again after a reset
 *   rng=1       also read from a virtio-rng device
 *   console=1   also write CONSOLE_MSG to a virtio-console device
 *   console_rx=1  ... and then read CONSOLE_INPUT from it
 *   net=1       also send a frame of type NET_ETHERTYPE with NET_TX_MSG on
 *               a virtio-net device and wait for one with NET_RX_MSG
 *               (the host test answers through the tap)
 *   nomrg=1     net without VIRTIO_NET_F_MRG_RXBUF
 *   rounds=N    then N rounds over sectors ROUND_FIRST..: read back the last
 *               round's data, write this round's, flush every 8th round (a
 *               migration test moves the guest while it does that); the
 *               image ends with round N's data there
 */
#include "guest.h"

#define VIRTIO_BASE		0xfeb00000ull
#define VIRTIO_SLOT		0x200
#define VIRTIO_SLOTS		19

/* virtio-mmio registers (VIRTIO 1.2, 4.2.2) */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_DEV_FEATURES	0x010
#define REG_DEV_FEATURES_SEL	0x014
#define REG_DRV_FEATURES	0x020
#define REG_DRV_FEATURES_SEL	0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INT_STATUS		0x060
#define REG_INT_ACK		0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC		0x080
#define REG_QUEUE_DRIVER	0x090
#define REG_QUEUE_DEVICE	0x0a0
#define REG_CONFIG_GEN		0x0fc
#define REG_CONFIG		0x100

#define MAGIC			0x74726976

#define S_ACK			1
#define S_DRIVER		2
#define S_DRIVER_OK		4
#define S_FEATURES_OK		8
#define S_NEEDS_RESET		64

#define F_INDIRECT		(1ull << 28)
#define F_VERSION_1		(1ull << 32)
#define BLK_F_RO		(1ull << 5)
#define BLK_F_BLK_SIZE		(1ull << 6)
#define BLK_F_FLUSH		(1ull << 9)
#define BLK_F_WRITE_ZEROES	(1ull << 14)
#define NET_F_GUEST_CSUM	(1ull << 1)
#define NET_F_MAC		(1ull << 5)
#define NET_F_MRG_RXBUF		(1ull << 15)

#define ID_NET			1
#define ID_BLOCK		2
#define ID_CONSOLE		3
#define ID_RNG			4

#define D_NEXT			1
#define D_WRITE			2
#define D_INDIRECT		4

#define T_IN			0
#define T_OUT			1
#define T_FLUSH			4
#define T_GET_ID		8
#define T_WRITE_ZEROES		13

#define ST_OK			0
#define ST_IOERR		1
#define ST_UNSUPP		2

#define QSIZE			16
#define SECTOR			512
#define PATTERN_SECTORS		16
#define ZERO_FIRST		16
#define ROUND_FIRST		64
#define ROUND_SECTORS		2
#define ZERO_SECTORS		8
#define SERIAL			"vmm-blk-serial"
#define CONSOLE_MSG		"hello from the virtio console\n"
#define CONSOLE_INPUT		"host to console\n"
#define NET_ETHERTYPE		0x88b5	/* local experimental */
#define NET_TX_MSG		"qemu-vmm virtio-net: guest to host"
#define NET_RX_MSG		"qemu-vmm virtio-net: host to guest"
#define NET_HDR			12
#define NET_BUF			2048
#define NET_RX_BUFS		8

/* Guest RAM above the image (see tests/guests/README.md) */
#define RING_MEM		0x2000000ull	/* 32 MiB: rings, 64 KiB per queue */
#define DATA_MEM		0x2200000ull	/* request headers and buffers */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QSIZE];
	uint16_t used_event;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

struct used {
	uint16_t flags;
	uint16_t idx;
	struct used_elem ring[QSIZE];
	uint16_t avail_event;
};

struct vq {
	uint64_t base;		/* the transport */
	unsigned int index;
	struct desc *desc;
	struct avail *avail;
	struct used *used;
	uint16_t last_used;
};

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct dwz {
	uint64_t sector;
	uint32_t num;
	uint32_t flags;
};

static uint64_t blk_base, rng_base, con_base, net_base;
static uint64_t blk_features;
static uint64_t last_offered;	/* features the last dev_init() saw offered */
static struct vq blk_q;

static uint32_t rd(uint64_t base, unsigned int off)
{
	return mmio_read32(base + off);
}

static void wr(uint64_t base, unsigned int off, uint32_t val)
{
	mmio_write32(base + off, val);
}

static void mb(void)
{
	asm volatile("mfence" : : : "memory");
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 9) + 7);
}

/* ---- transport ---- */

static void find_devices(void)
{
	for (unsigned int i = 0; i < VIRTIO_SLOTS; i++) {
		uint64_t base = VIRTIO_BASE + i * VIRTIO_SLOT;
		uint32_t id;

		if (rd(base, REG_MAGIC) != MAGIC)
			continue;
		id = rd(base, REG_DEVICE_ID);
		printf("virtio: slot %u: version %u, device id %u\n", i,
		       rd(base, REG_VERSION), id);
		if (id == ID_BLOCK && !blk_base)
			blk_base = base;
		if (id == ID_RNG && !rng_base)
			rng_base = base;
		if (id == ID_CONSOLE && !con_base)
			con_base = base;
		if (id == ID_NET && !net_base)
			net_base = base;
	}
}

/* Reset, then ACKNOWLEDGE, DRIVER, features, FEATURES_OK (4.2.3.1). */
static int dev_init(uint64_t base, uint64_t want, uint64_t *got)
{
	uint64_t offered;

	if (rd(base, REG_VERSION) != 2)
		return fail("transport version %u, expected 2", rd(base, REG_VERSION));
	wr(base, REG_STATUS, 0);
	if (rd(base, REG_STATUS) != 0)
		return fail("status 0x%x after reset", rd(base, REG_STATUS));
	wr(base, REG_STATUS, S_ACK);
	wr(base, REG_STATUS, S_ACK | S_DRIVER);
	wr(base, REG_DEV_FEATURES_SEL, 0);
	offered = rd(base, REG_DEV_FEATURES);
	wr(base, REG_DEV_FEATURES_SEL, 1);
	offered |= (uint64_t)rd(base, REG_DEV_FEATURES) << 32;
	last_offered = offered;
	if (!(offered & F_VERSION_1))
		return fail("device does not offer VIRTIO_F_VERSION_1");
	*got = offered & (want | F_VERSION_1);
	wr(base, REG_DRV_FEATURES_SEL, 0);
	wr(base, REG_DRV_FEATURES, (uint32_t)*got);
	wr(base, REG_DRV_FEATURES_SEL, 1);
	wr(base, REG_DRV_FEATURES, (uint32_t)(*got >> 32));
	wr(base, REG_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd(base, REG_STATUS) & S_FEATURES_OK))
		return fail("device refused features 0x%lx", (unsigned long)*got);
	return 0;
}

static int vq_setup(uint64_t base, unsigned int index, struct vq *q)
{
	uint64_t mem = RING_MEM + (base - VIRTIO_BASE) / VIRTIO_SLOT * 0x40000 +
		       index * 0x10000;

	q->base = base;
	q->index = index;
	q->desc = (struct desc *)mem;
	q->avail = (struct avail *)(mem + 0x1000);
	q->used = (struct used *)(mem + 0x2000);
	q->last_used = 0;
	memset((void *)mem, 0, 0x3000);
	wr(base, REG_QUEUE_SEL, index);
	if (rd(base, REG_QUEUE_READY))
		return fail("queue %u ready before set-up", index);
	if (rd(base, REG_QUEUE_NUM_MAX) < QSIZE)
		return fail("queue %u: QueueNumMax %u < %u", index,
			    rd(base, REG_QUEUE_NUM_MAX), QSIZE);
	wr(base, REG_QUEUE_NUM, QSIZE);
	wr(base, REG_QUEUE_DESC, (uint32_t)(uint64_t)q->desc);
	wr(base, REG_QUEUE_DESC + 4, 0);
	wr(base, REG_QUEUE_DRIVER, (uint32_t)(uint64_t)q->avail);
	wr(base, REG_QUEUE_DRIVER + 4, 0);
	wr(base, REG_QUEUE_DEVICE, (uint32_t)(uint64_t)q->used);
	wr(base, REG_QUEUE_DEVICE + 4, 0);
	wr(base, REG_QUEUE_READY, 1);
	if (rd(base, REG_QUEUE_READY) != 1)
		return fail("queue %u did not become ready", index);
	return 0;
}

static void driver_ok(uint64_t base)
{
	wr(base, REG_STATUS, rd(base, REG_STATUS) | S_DRIVER_OK);
}

/* Make chain head available (n chains in a row starting at head) and kick. */
static void vq_kick(struct vq *q, const uint16_t *heads, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		q->avail->ring[(q->avail->idx + i) % QSIZE] = heads[i];
	mb();
	q->avail->idx += n;
	mb();
	wr(q->base, REG_QUEUE_NOTIFY, q->index);
}

/*
 * Wait until n more chains are used.  Returns 0, or -1 if the device
 * asked for a reset instead, or -2 on a time-out.
 */
static int vq_wait(struct vq *q, unsigned int n)
{
	uint64_t start = rdtsc();

	for (unsigned long spin = 0;; spin++) {
		mb();
		if ((uint16_t)(q->used->idx - q->last_used) >= n) {
			q->last_used += n;
			return 0;
		}
		/* a register read is an exit: look at the status now and then */
		if (spin % 4096 == 0) {
			if (rd(q->base, REG_STATUS) & S_NEEDS_RESET)
				return -1;
			if (rdtsc() - start > 60ull * 3000000000ull)
				return -2;
		}
		asm volatile("pause");
	}
}

/* ---- block requests ---- */

struct req {
	struct blk_hdr hdr;
	uint8_t status;
};

/* Request slot i: header and status at DATA_MEM + i * 64. */
static struct req *req_slot(unsigned int i)
{
	return (struct req *)(DATA_MEM + i * 64);
}

/*
 * One request, one chain at descriptor 0: header, up to 3 data pieces,
 * status.  Returns the status byte, or -1 (device needs reset), -2 (time-out).
 */
static int blk_rw(uint32_t type, uint64_t sector, const struct desc *data,
		  unsigned int ndata)
{
	struct vq *q = &blk_q;
	struct req *r = req_slot(0);
	unsigned int d = 0;
	uint16_t head = 0;
	int ret;

	r->hdr.type = type;
	r->hdr.ioprio = 0;
	r->hdr.sector = sector;
	r->status = 0xff;
	q->desc[d] = (struct desc){ (uint64_t)&r->hdr, sizeof(r->hdr), D_NEXT, 1 };
	for (unsigned int i = 0; i < ndata; i++) {
		d++;
		q->desc[d] = data[i];
		q->desc[d].flags |= D_NEXT;
		q->desc[d].next = d + 1;
	}
	d++;
	q->desc[d] = (struct desc){ (uint64_t)&r->status, 1, D_WRITE, 0 };
	vq_kick(q, &head, 1);
	ret = vq_wait(q, 1);
	if (ret < 0)
		return ret;
	if (q->used->ring[(q->last_used - 1) % QSIZE].id != 0)
		return fail("used ring names chain %u, expected 0",
			    q->used->ring[(q->last_used - 1) % QSIZE].id);
	return r->status;
}

static int blk_simple(uint32_t type, uint64_t sector, uint64_t buf, uint32_t len,
		      bool device_writes)
{
	struct desc d = { buf, len, device_writes ? D_WRITE : 0, 0 };

	return blk_rw(type, sector, &d, len ? 1 : 0);
}

static int expect_status(const char *what, int got, int want)
{
	if (got == want)
		return 0;
	if (got == -1)
		return fail("%s: device needs reset", what);
	if (got == -2)
		return fail("%s: time-out", what);
	return fail("%s: status %d, expected %d", what, got, want);
}

static int blk_setup(void)
{
	uint64_t want = BLK_F_RO | BLK_F_FLUSH | BLK_F_BLK_SIZE | BLK_F_WRITE_ZEROES |
			F_INDIRECT;

	if (dev_init(blk_base, want, &blk_features) || vq_setup(blk_base, 0, &blk_q))
		return 1;
	driver_ok(blk_base);
	return 0;
}

static int check_config(void)
{
	uint64_t want = param_u64("sectors", 0);
	uint32_t gen = rd(blk_base, REG_CONFIG_GEN);
	uint64_t cap = rd(blk_base, REG_CONFIG) |
		       (uint64_t)rd(blk_base, REG_CONFIG + 4) << 32;

	if (rd(blk_base, REG_CONFIG_GEN) != gen)
		return fail("config generation changed while reading");
	printf("virtio-blk: capacity %lu sectors, features 0x%lx\n",
	       (unsigned long)cap, (unsigned long)blk_features);
	if (want && cap != want)
		return fail("capacity %lu, expected %lu", (unsigned long)cap,
			    (unsigned long)want);
	if (cap < ZERO_FIRST + ZERO_SECTORS)
		return fail("disk too small: %lu sectors", (unsigned long)cap);
	return 0;
}

/* Sectors 0..3 one request at a time, 4..15 as a batch of indirect chains. */
static int write_pattern(void)
{
	uint8_t *buf = (uint8_t *)(DATA_MEM + 0x10000);
	struct vq *q = &blk_q;
	struct desc *tables = (struct desc *)(DATA_MEM + 0x8000);
	uint16_t heads[6];
	int ret;

	if (!(blk_features & F_INDIRECT))
		return fail("VIRTIO_F_INDIRECT_DESC not offered");
	for (uint64_t o = 0; o < PATTERN_SECTORS * SECTOR; o++)
		buf[o] = pattern(o);
	for (unsigned int s = 0; s < 4; s++) {
		ret = blk_simple(T_OUT, s, (uint64_t)(buf + s * SECTOR), SECTOR, false);
		if (expect_status("write", ret, ST_OK))
			return 1;
	}
	/* six requests of two sectors, one kick */
	for (unsigned int i = 0; i < 6; i++) {
		struct req *r = req_slot(1 + i);
		uint64_t sector = 4 + 2 * i;
		struct desc *t = tables + 4 * i;

		r->hdr = (struct blk_hdr){ T_OUT, 0, sector };
		r->status = 0xff;
		t[0] = (struct desc){ (uint64_t)&r->hdr, sizeof(r->hdr), D_NEXT, 1 };
		t[1] = (struct desc){ (uint64_t)(buf + sector * SECTOR), 2 * SECTOR,
				      D_NEXT, 2 };
		t[2] = (struct desc){ (uint64_t)&r->status, 1, D_WRITE, 0 };
		q->desc[i] = (struct desc){ (uint64_t)t, 3 * sizeof(*t), D_INDIRECT, 0 };
		heads[i] = i;
	}
	vq_kick(q, heads, 6);
	ret = vq_wait(q, 6);
	if (ret < 0)
		return expect_status("batched writes", ret, ST_OK);
	for (unsigned int i = 0; i < 6; i++)
		if (expect_status("batched write", req_slot(1 + i)->status, ST_OK))
			return 1;
	printf("virtio-blk: wrote %u sectors\n", PATTERN_SECTORS);
	return 0;
}

/* All pattern sectors in one request: 3 data descriptors, one unaligned. */
static int read_pattern(void)
{
	uint8_t *buf = (uint8_t *)(DATA_MEM + 0x20000 + 100);
	uint32_t total = PATTERN_SECTORS * SECTOR;
	struct desc d[3] = {
		{ (uint64_t)buf, 1000, D_WRITE, 0 },
		{ (uint64_t)buf + 1000, 3096, D_WRITE, 0 },
		{ (uint64_t)buf + 4096, total - 4096, D_WRITE, 0 },
	};
	int ret;

	memset(buf, 0, total);
	ret = blk_rw(T_IN, 0, d, 3);
	if (expect_status("read", ret, ST_OK))
		return 1;
	for (uint32_t o = 0; o < total; o++)
		if (buf[o] != pattern(o))
			return fail("read back byte %u: 0x%x, expected 0x%x", o, buf[o],
				    pattern(o));
	printf("virtio-blk: read back %u sectors: pattern ok\n", PATTERN_SECTORS);
	return 0;
}

static int write_zeroes(void)
{
	struct dwz *seg = (struct dwz *)(DATA_MEM + 0x9000);
	uint8_t *buf = (uint8_t *)(DATA_MEM + 0x30000);
	int ret;

	if (!(blk_features & BLK_F_WRITE_ZEROES))
		return fail("write-zeroes not offered");
	*seg = (struct dwz){ ZERO_FIRST, ZERO_SECTORS, 0 };
	ret = blk_simple(T_WRITE_ZEROES, 0, (uint64_t)seg, sizeof(*seg), false);
	if (expect_status("write-zeroes", ret, ST_OK))
		return 1;
	memset(buf, 0xaa, ZERO_SECTORS * SECTOR);
	ret = blk_simple(T_IN, ZERO_FIRST, (uint64_t)buf, ZERO_SECTORS * SECTOR, true);
	if (expect_status("read of zeroed sectors", ret, ST_OK))
		return 1;
	for (unsigned int o = 0; o < ZERO_SECTORS * SECTOR; o++)
		if (buf[o])
			return fail("zeroed sector byte %u is 0x%x", o, buf[o]);
	/* an unknown flag is not supported */
	*seg = (struct dwz){ ZERO_FIRST, 1, 0x80 };
	ret = blk_simple(T_WRITE_ZEROES, 0, (uint64_t)seg, sizeof(*seg), false);
	if (expect_status("write-zeroes with an unknown flag", ret, ST_UNSUPP))
		return 1;
	printf("virtio-blk: write-zeroes ok\n");
	return 0;
}

static int bad_requests(uint64_t cap)
{
	uint64_t buf = DATA_MEM + 0x30000;

	if (expect_status("read past the end", blk_simple(T_IN, cap, buf, SECTOR, true),
			  ST_IOERR) ||
	    expect_status("read across the end",
			  blk_simple(T_IN, cap - 1, buf, 2 * SECTOR, true), ST_IOERR) ||
	    expect_status("read of half a sector",
			  blk_simple(T_IN, 0, buf, 100, true), ST_IOERR) ||
	    expect_status("unknown request type", blk_simple(0x99, 0, 0, 0, false),
			  ST_UNSUPP))
		return 1;
	printf("virtio-blk: bad requests answered\n");
	return 0;
}

static int get_id(void)
{
	char *id = (char *)(DATA_MEM + 0x9100);
	char shown[21];
	int ret;

	memset(id, 0x55, 20);
	ret = blk_simple(T_GET_ID, 0, (uint64_t)id, 20, true);
	if (expect_status("get-id", ret, ST_OK))
		return 1;
	memcpy(shown, id, 20);
	shown[20] = 0;
	if (param_u64("serial", 0) &&
	    (memcmp(id, SERIAL, sizeof(SERIAL) - 1) || id[sizeof(SERIAL) - 1]))
		return fail("get-id: '%s', expected '%s'", shown, SERIAL);
	printf("virtio-blk: id '%s'\n", shown);
	return 0;
}

static int read_only(void)
{
	uint64_t buf = DATA_MEM + 0x30000;

	if (!(blk_features & BLK_F_RO))
		return fail("read-only disk without VIRTIO_BLK_F_RO");
	if (expect_status("write to a read-only disk",
			  blk_simple(T_OUT, 0, buf, SECTOR, false), ST_IOERR) ||
	    expect_status("read of a read-only disk",
			  blk_simple(T_IN, 0, buf, SECTOR, true), ST_OK) ||
	    expect_status("flush of a read-only disk",
			  blk_simple(T_FLUSH, 0, 0, 0, false), ST_OK))
		return 1;
	printf("virtio-blk: read-only disk refuses writes\n");
	return 0;
}

/* ---- hostile chains ---- */

/* Wait for the device to give up on a broken chain, then bring it back. */
static int expect_broken(const char *what)
{
	struct vq *q = &blk_q;
	int ret = vq_wait(q, 1);

	if (ret == -2)
		return fail("%s: no answer", what);
	if (ret == 0 && req_slot(0)->status == ST_OK)
		return fail("%s: the request succeeded", what);
	if (ret == -1 && !(rd(blk_base, REG_INT_STATUS) & 2))
		return fail("%s: NEEDS_RESET without a config interrupt", what);
	printf("virtio-blk: %s: %s\n", what, ret == -1 ? "device needs reset" :
	       "request failed");
	wr(blk_base, REG_INT_ACK, rd(blk_base, REG_INT_STATUS));
	if (blk_setup())
		return 1;
	/* and it works again */
	return expect_status("read after reset",
			     blk_simple(T_IN, 0, DATA_MEM + 0x30000, SECTOR, true), ST_OK);
}

static void send_chain(const struct desc *d, unsigned int n)
{
	struct vq *q = &blk_q;
	uint16_t head = 0;

	for (unsigned int i = 0; i < n; i++)
		q->desc[i] = d[i];
	req_slot(0)->status = 0xff;
	vq_kick(q, &head, 1);
}

static int hostile(void)
{
	struct req *r = req_slot(0);
	uint64_t hdr = (uint64_t)&r->hdr, st = (uint64_t)&r->status;
	uint64_t ram_end = 0x100000 + mem_upper_bytes();
	struct desc *ind = (struct desc *)(DATA_MEM + 0x8000);

	r->hdr = (struct blk_hdr){ T_IN, 0, 0 };

	/* data buffer in the MMIO hole, not RAM */
	send_chain((struct desc[]){ { hdr, 16, D_NEXT, 1 },
				    { 0xfe000000, SECTOR, D_WRITE | D_NEXT, 2 },
				    { st, 1, D_WRITE, 0 } }, 3);
	if (expect_broken("buffer outside RAM"))
		return 1;
	/* data buffer across the end of RAM */
	send_chain((struct desc[]){ { hdr, 16, D_NEXT, 1 },
				    { ram_end - 256, SECTOR, D_WRITE | D_NEXT, 2 },
				    { st, 1, D_WRITE, 0 } }, 3);
	if (expect_broken("buffer across the end of RAM"))
		return 1;
	/* a loop: 0 -> 1 -> 2 -> 1 */
	send_chain((struct desc[]){ { hdr, 16, D_NEXT, 1 },
				    { DATA_MEM + 0x30000, SECTOR, D_WRITE | D_NEXT, 2 },
				    { st, 1, D_WRITE | D_NEXT, 1 } }, 3);
	if (expect_broken("looped chain"))
		return 1;
	/* the device would write into the descriptor table */
	send_chain((struct desc[]){ { hdr, 16, D_NEXT, 1 },
				    { (uint64_t)blk_q.desc, SECTOR, D_WRITE | D_NEXT, 2 },
				    { st, 1, D_WRITE, 0 } }, 3);
	if (expect_broken("buffer over the rings"))
		return 1;
	/* an indirect table that points at itself */
	ind[0] = (struct desc){ DATA_MEM + 0x30000, SECTOR, D_WRITE | D_NEXT, 1 };
	ind[1] = (struct desc){ st, 1, D_WRITE | D_NEXT, 0 };
	send_chain((struct desc[]){ { (uint64_t)ind, 2 * sizeof(*ind), D_INDIRECT, 0 } }, 1);
	if (expect_broken("looped indirect table"))
		return 1;
	/* avail index far ahead of what the queue can hold */
	blk_q.avail->idx += QSIZE + 5;
	wr(blk_base, REG_QUEUE_NOTIFY, 0);
	if (expect_broken("avail index jump"))
		return 1;
	printf("virtio-blk: hostile chains refused, device recovered\n");
	return 0;
}

/* ---- virtio-rng and virtio-console ---- */

static int test_rng(void)
{
	uint8_t *buf = (uint8_t *)(DATA_MEM + 0x40000);
	uint64_t features;
	struct vq q;
	uint16_t head = 0;
	unsigned int nonzero = 0;

	if (!rng_base)
		return fail("no virtio-rng device");
	if (dev_init(rng_base, 0, &features) || vq_setup(rng_base, 0, &q))
		return 1;
	driver_ok(rng_base);
	memset(buf, 0, 64);
	q.desc[0] = (struct desc){ (uint64_t)buf, 64, D_WRITE, 0 };
	vq_kick(&q, &head, 1);
	if (vq_wait(&q, 1))
		return fail("virtio-rng: no answer");
	if (q.used->ring[0].len == 0 || q.used->ring[0].len > 64)
		return fail("virtio-rng: used length %u", q.used->ring[0].len);
	for (unsigned int i = 0; i < q.used->ring[0].len; i++)
		nonzero += buf[i] != 0;
	if (nonzero < q.used->ring[0].len / 2)
		return fail("virtio-rng: %u of %u bytes are zero",
			    q.used->ring[0].len - nonzero, q.used->ring[0].len);
	printf("virtio-rng: %u random bytes\n", q.used->ring[0].len);
	return 0;
}

/* Collect input until a newline: CONSOLE_INPUT, possibly over several buffers. */
static int console_input(struct vq *rx)
{
	char *buf = (char *)(DATA_MEM + 0x51000);
	char got[64];
	unsigned int len = 0;

	for (;;) {
		uint16_t head = 0;
		uint32_t n;

		memset(buf, 0, 64);
		rx->desc[0] = (struct desc){ (uint64_t)buf, 64, D_WRITE, 0 };
		vq_kick(rx, &head, 1);
		if (vq_wait(rx, 1))
			return fail("virtio-console: no input");
		n = rx->used->ring[(rx->last_used - 1) % QSIZE].len;
		if (n == 0 || n > 64 || len + n >= sizeof(got))
			return fail("virtio-console: %u bytes of input", n);
		memcpy(got + len, buf, n);
		len += n;
		if (got[len - 1] == '\n')
			break;
	}
	got[len] = 0;
	if (strlen(got) != sizeof(CONSOLE_INPUT) - 1 || memcmp(got, CONSOLE_INPUT, len))
		return fail("virtio-console: input '%s'", got);
	printf("virtio-console: read '%s'\n", "host to console");
	return 0;
}

static int test_console(void)
{
	char *msg = (char *)(DATA_MEM + 0x50000);
	uint64_t features;
	struct vq rx, tx;
	uint16_t head = 0;

	if (!con_base)
		return fail("no virtio-console device");
	if (dev_init(con_base, 0, &features) || vq_setup(con_base, 0, &rx) ||
	    vq_setup(con_base, 1, &tx))
		return 1;
	driver_ok(con_base);
	memcpy(msg, CONSOLE_MSG, sizeof(CONSOLE_MSG) - 1);
	tx.desc[0] = (struct desc){ (uint64_t)msg, sizeof(CONSOLE_MSG) - 1, 0, 0 };
	vq_kick(&tx, &head, 1);
	if (vq_wait(&tx, 1))
		return fail("virtio-console: output not taken");
	printf("virtio-console: wrote %u bytes\n", (unsigned int)sizeof(CONSOLE_MSG) - 1);
	return param_u64("console_rx", 0) ? console_input(&rx) : 0;
}

/* Offer receive buffer i again. */
static void net_post_rx(struct vq *rx, uint8_t *bufs, unsigned int i)
{
	rx->desc[i] = (struct desc){ (uint64_t)(bufs + i * NET_BUF), NET_BUF, D_WRITE, 0 };
	rx->avail->ring[rx->avail->idx % QSIZE] = i;
	mb();
	rx->avail->idx++;
	mb();
	wr(rx->base, REG_QUEUE_NOTIFY, 0);
}

static int test_net(void)
{
	uint8_t *bufs = (uint8_t *)(DATA_MEM + 0x60000);
	uint8_t *frame = (uint8_t *)(DATA_MEM + 0x80000);
	/* with offloads offered, take receive checksum offload: the tap is told */
	uint64_t want = NET_F_MAC | NET_F_GUEST_CSUM |
			(param_u64("nomrg", 0) ? 0 : NET_F_MRG_RXBUF);
	uint64_t features, start;
	uint8_t mac[6];
	struct vq rx, tx;
	uint16_t head = 0;

	if (!net_base)
		return fail("no virtio-net device");
	if (dev_init(net_base, want, &features) || vq_setup(net_base, 0, &rx) ||
	    vq_setup(net_base, 1, &tx))
		return 1;
	for (int i = 0; i < 6; i++)
		mac[i] = mmio_read8(net_base + REG_CONFIG + i);
	printf("virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x, offered 0x%lx, features 0x%lx\n",
	       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], (unsigned long)last_offered,
	       (unsigned long)features);
	driver_ok(net_base);
	for (unsigned int i = 0; i < NET_RX_BUFS; i++)
		net_post_rx(&rx, bufs, i);

	/* header (no offloads), then broadcast, our address, type, message */
	memset(frame, 0, NET_HDR + 60);
	memset(frame + NET_HDR, 0xff, 6);
	memcpy(frame + NET_HDR + 6, mac, 6);
	frame[NET_HDR + 12] = NET_ETHERTYPE >> 8;
	frame[NET_HDR + 13] = NET_ETHERTYPE & 0xff;
	memcpy(frame + NET_HDR + 14, NET_TX_MSG, sizeof(NET_TX_MSG) - 1);
	tx.desc[0] = (struct desc){ (uint64_t)frame, NET_HDR + 60, 0, 0 };
	vq_kick(&tx, &head, 1);
	if (vq_wait(&tx, 1))
		return fail("virtio-net: frame not sent");
	printf("virtio-net: sent a frame\n");

	/* frames the host sends on its own (IPv6 and such) are skipped */
	start = rdtsc();
	for (;;) {
		struct used_elem *u;
		uint8_t *b;

		if (vq_wait(&rx, 1))
			return fail("virtio-net: nothing received");
		u = &rx.used->ring[(rx.last_used - 1) % QSIZE];
		b = bufs + u->id * NET_BUF;
		if (u->id >= NET_RX_BUFS || u->len < NET_HDR + 14 || u->len > NET_BUF)
			return fail("virtio-net: used entry %u, length %u", u->id, u->len);
		if ((b[10] | b[11] << 8) != 1)
			return fail("virtio-net: num_buffers %u", b[10] | b[11] << 8);
		if (b[NET_HDR + 12] == NET_ETHERTYPE >> 8 &&
		    b[NET_HDR + 13] == (NET_ETHERTYPE & 0xff)) {
			if (memcmp(b + NET_HDR, mac, 6) ||
			    memcmp(b + NET_HDR + 14, NET_RX_MSG, sizeof(NET_RX_MSG) - 1))
				return fail("virtio-net: the frame received is not the one sent");
			printf("virtio-net: received a frame of %u bytes\n", u->len - NET_HDR);
			return 0;
		}
		net_post_rx(&rx, bufs, u->id);
		if (rdtsc() - start > 60ull * 3000000000ull)
			return fail("virtio-net: the expected frame never came");
	}
}

static uint8_t round_pattern(uint64_t round, uint64_t off)
{
	return (uint8_t)(round * 7 + off * 13 + (off >> 8));
}

/* Each round checks what the last one wrote, wherever that ran. */
static int rounds(uint64_t n)
{
	uint8_t *wbuf = (uint8_t *)(DATA_MEM + 0x40000);
	uint8_t *rbuf = (uint8_t *)(DATA_MEM + 0x41000);
	uint32_t len = ROUND_SECTORS * SECTOR;

	for (uint64_t r = 1; r <= n; r++) {
		if (r > 1) {
			if (expect_status("round read", blk_simple(T_IN, ROUND_FIRST,
					  (uint64_t)rbuf, len, true), ST_OK))
				return 1;
			for (uint32_t o = 0; o < len; o++)
				if (rbuf[o] != round_pattern(r - 1, o))
					return fail("round %lu: byte %u of round %lu's data is "
						    "0x%x, expected 0x%x", (unsigned long)r, o,
						    (unsigned long)r - 1, rbuf[o],
						    round_pattern(r - 1, o));
		}
		for (uint32_t o = 0; o < len; o++)
			wbuf[o] = round_pattern(r, o);
		if (expect_status("round write", blk_simple(T_OUT, ROUND_FIRST,
				  (uint64_t)wbuf, len, false), ST_OK))
			return 1;
		if (r % 8 == 0 &&
		    expect_status("round flush", blk_simple(T_FLUSH, 0, 0, 0, false), ST_OK))
			return 1;
		if (r % 25 == 0)
			printf("virtio-blk: round %lu\n", (unsigned long)r);
	}
	printf("virtio-blk: %lu rounds\n", (unsigned long)n);
	return 0;
}

int guest_main(void)
{
	uint64_t cap;

	find_devices();
	if (!blk_base)
		return fail("no virtio-blk device at 0x%lx", (unsigned long)VIRTIO_BASE);
	if (blk_setup() || check_config())
		return 1;
	cap = rd(blk_base, REG_CONFIG) | (uint64_t)rd(blk_base, REG_CONFIG + 4) << 32;
	if (param_u64("ro", 0)) {
		if (read_only())
			return 1;
	} else if (write_pattern() ||
		   expect_status("flush", blk_simple(T_FLUSH, 0, 0, 0, false), ST_OK) ||
		   read_pattern() || write_zeroes()) {
		return 1;
	}
	if (bad_requests(cap) || get_id())
		return 1;
	if (param_u64("hostile", 0) && hostile())
		return 1;
	if (param_u64("rng", 0) && test_rng())
		return 1;
	if (param_u64("console", 0) && test_console())
		return 1;
	if (param_u64("net", 0) && test_net())
		return 1;
	if (param_u64("rounds", 0) && rounds(param_u64("rounds", 0)))
		return 1;
	/* leave the device reset, as a driver unbinding would */
	wr(blk_base, REG_STATUS, 0);
	printf("PASS\n");
	return 0;
}
