/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the split virtqueue walker (hw/virtio/virtqueue.c)
 * with a fuzzed guest memory image and ring indices.  The device side is
 * played by a sequence of operations (pop, push, unpop, fill + flush,
 * notification calls, reset) interleaved with guest writes to memory, as
 * a driver racing the device would do.
 *
 * Guest-physical layout (host memory of each RAM region fenced by guard
 * pages, so any access outside them faults):
 *   [0, 64 KiB)            RAM A, its start loaded from the input
 *   [64 KiB, 80 KiB)       RAM B, another region (not contiguous on the host)
 *   [128 KiB, +4 KiB)      an I/O region that must never be touched
 *   [192 KiB, +8 KiB)      read-only RAM
 *
 * Input: u8 flags (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), u8 size (below
 * 11: 2^size, else the value itself), u32 desc, u32 avail, u32 used
 * addresses, u16 image length and the image (at address 0), then
 * operations to the end (see run_op; guest writes are relative to a ring).
 *
 * Oracle: every buffer handed out lies in RAM (device-writable ones in
 * writable RAM), the totals add up, a broken queue gives nothing more,
 * and the I/O region is never accessed.
 */
#include <stdlib.h>
#include <string.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtqueue.h"

#include "fuzz-common.h"

#define KiB         1024ULL
#define A_SIZE      (64 * KiB)
#define B_BASE      (64 * KiB)
#define B_SIZE      (16 * KiB)
#define IO_BASE     (128 * KiB)
#define ROM_BASE    (192 * KiB)
#define ROM_SIZE    (8 * KiB)
#define MAX_HELD    16

struct fake {
    AddressSpace *as;
    uint8_t *a, *b, *rom;
    unsigned int io_accesses;
    struct virtqueue vq;
    struct virtq_elem *held[MAX_HELD];
    unsigned int nheld;
    bool last_was_pop;
};

static struct fake f;

static uint64_t io_read(void *opaque, uint64_t off, unsigned size)
{
    f.io_accesses++;
    return 0;
}

static void io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    f.io_accesses++;
}

static const MemoryRegionOps io_ops = { .read = io_read, .write = io_write };

static void fake_init(void)
{
    MemoryRegion *rom;

    f.as = address_space_new("memory", 1ULL << 32, false);
    f.a = fuzz_guarded_alloc(A_SIZE);
    f.b = fuzz_guarded_alloc(B_SIZE);
    f.rom = fuzz_guarded_alloc(ROM_SIZE);
    rom = memory_region_new_ram_ptr("rom", ROM_SIZE, f.rom);
    rom->readonly = true;
    if (memory_region_map(f.as, memory_region_new_ram_ptr("a", A_SIZE, f.a), 0, 0) < 0 ||
        memory_region_map(f.as, memory_region_new_ram_ptr("b", B_SIZE, f.b), B_BASE, 0) < 0 ||
        memory_region_map(f.as, rom, ROM_BASE, 0) < 0 ||
        !memory_region_map_io(f.as, "io", IO_BASE, 4 * KiB, &io_ops, NULL, NULL))
        abort();
    virtqueue_init(&f.vq, f.as, 0, VIRTQ_MAX_SIZE);
}

static bool inside(const struct iovec *v, const uint8_t *base, uint64_t size)
{
    const uint8_t *p = v->iov_base;

    return p >= base && v->iov_len <= size && (uint64_t)(p - base) <= size - v->iov_len;
}

static void check_elem(const struct virtq_elem *e)
{
    uint64_t out = 0, in = 0;

    if (e->head >= f.vq.num)
        abort();
    for (unsigned int i = 0; i < e->out_num; i++) {
        const struct iovec *v = &e->out_sg[i];

        if (!inside(v, f.a, A_SIZE) && !inside(v, f.b, B_SIZE) && !inside(v, f.rom, ROM_SIZE))
            abort();
        out += v->iov_len;
    }
    for (unsigned int i = 0; i < e->in_num; i++) {
        const struct iovec *v = &e->in_sg[i];

        if (!inside(v, f.a, A_SIZE) && !inside(v, f.b, B_SIZE))
            abort();
        if (!e->in_dirty[i].mr || e->in_dirty[i].mr->readonly ||
            e->in_dirty[i].mr->host + e->in_dirty[i].offset != v->iov_base)
            abort();
        in += v->iov_len;
    }
    if (out != e->out_len || in != e->in_len)
        abort();
}

static void drop_held(void)
{
    for (unsigned int i = 0; i < f.nheld; i++)
        virtqueue_elem_free(f.held[i]);
    f.nheld = 0;
}

static void take_oldest(struct virtq_elem **e)
{
    *e = f.held[0];
    memmove(f.held, f.held + 1, --f.nheld * sizeof(f.held[0]));
}

static void run_op(struct fuzz_in *in)
{
    struct virtqueue *vq = &f.vq;
    uint8_t op = fin_u8(in);
    bool was_pop = f.last_was_pop;
    struct virtq_elem *e;
    int ret;

    f.last_was_pop = false;
    switch (op % 9) {
    case 0:     /* the device takes a chain */
        if (f.nheld == MAX_HELD) {
            take_oldest(&e);
            virtqueue_push(vq, e, 0);
            virtqueue_elem_free(e);
        }
        ret = virtqueue_pop(vq, &e);
        if (ret > 0) {
            if (vq->broken)
                abort();
            check_elem(e);
            f.held[f.nheld++] = e;
            f.last_was_pop = true;
        } else if ((ret < 0) != vq->broken) {
            abort();
        }
        break;
    case 1:     /* and gives one back with some length written */
        if (f.nheld) {
            take_oldest(&e);
            virtqueue_push(vq, e, fin_u32(in));
            virtqueue_elem_free(e);
        }
        break;
    case 2:     /* or returns the last one it took, untouched */
        if (was_pop && f.nheld) {
            virtqueue_unpop(vq, f.held[--f.nheld]);
            virtqueue_elem_free(f.held[f.nheld]);
        }
        break;
    case 3: {   /* several at once */
        unsigned int want = fin_u8(in) % 4 + 1;    /* not inside MIN(): it evaluates twice */
        unsigned int n = MIN(f.nheld, want);

        for (unsigned int i = 0; i < n; i++)
            virtqueue_fill(vq, f.held[i], fin_u16(in), i);
        virtqueue_flush(vq, n);
        for (unsigned int i = 0; i < n; i++) {
            take_oldest(&e);
            virtqueue_elem_free(e);
        }
        break;
    }
    case 4:
        virtqueue_set_notification(vq, fin_u8(in) & 1);
        break;
    case 5:
        (void)virtqueue_should_notify(vq);
        break;
    case 6:
        if (!virtqueue_empty(vq) && (vq->broken || !vq->ready))
            abort();
        break;
    case 7: {   /* the guest writes 2 bytes of RAM A near a ring (indices, entries) */
        uint8_t sel = fin_u8(in) % 4;
        uint64_t base = sel == 0 ? vq->desc_addr : sel == 1 ? vq->avail_addr :
                        sel == 2 ? vq->used_addr : 0;
        uint64_t off = base + fin_u16(in) % 0x1000;
        uint16_t val = fin_u16(in);

        if (off < A_SIZE - 1)
            memcpy(f.a + off, &val, 2);
        break;
    }
    default:    /* the driver resets the queue and enables it again */
        drop_held();
        {
            uint16_t num = vq->num;
            uint64_t d = vq->desc_addr, a = vq->avail_addr, u = vq->used_addr;
            bool ev = vq->event_idx, ind = vq->indirect;

            virtqueue_reset(vq);
            vq->num = num;
            vq->desc_addr = d;
            vq->avail_addr = a;
            vq->used_addr = u;
            if (virtqueue_enable(vq, ev, ind) < 0)
                abort();
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct virtqueue *vq = &f.vq;
    uint8_t flags, lnum;
    const uint8_t *img;
    size_t n;

    if (!f.as)
        fake_init();
    memset(f.a, 0, A_SIZE);
    memset(f.b, 0, B_SIZE);
    f.io_accesses = 0;
    f.last_was_pop = false;
    virtqueue_reset(vq);

    flags = fin_u8(&in);
    lnum = fin_u8(&in);
    vq->num = lnum < 11 ? (uint16_t)(1u << lnum) : lnum;
    vq->desc_addr = fin_u32(&in);
    vq->avail_addr = fin_u32(&in);
    vq->used_addr = fin_u32(&in);
    img = fin_bytes(&in, fin_u16(&in), &n);
    memcpy(f.a, img, MIN(n, (size_t)A_SIZE));
    if (virtqueue_enable(vq, flags & 1, flags & 2) == 0) {
        while (in.len)
            run_op(&in);
    } else if (vq->ready) {
        abort();
    }
    drop_held();
    if (f.io_accesses)
        abort();
    return 0;
}
