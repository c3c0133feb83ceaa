/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The split virtqueue against hostile chains, without KVM: fake guest RAM
 * built with the memory API, fenced by PROT_NONE guard pages so that any
 * access outside it kills the test, and an I/O region that counts (and
 * must never see) accesses.
 *
 * Guest-physical layout:
 *   [0, 1 MiB)                  RAM A (rings at 0x1000.., buffers above)
 *   [1 MiB, 2 MiB)              RAM B, a separate region (host memory not
 *                               contiguous with A)
 *   [2 MiB, 2 MiB + 4 KiB)      MMIO
 *   [2 MiB + 64 KiB, +64 KiB)   read-only RAM ("ROM")
 *   everything else             nothing
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <glib.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtqueue.h"

#define KiB         1024ULL
#define MiB         (1024ULL * KiB)
#define PAGE        4096ULL
#define RAM_A       0ULL
#define RAM_B       MiB
#define MMIO        (2 * MiB)
#define ROM         (2 * MiB + 64 * KiB)
#define ROM_SIZE    (64 * KiB)
#define DESC        0x1000ULL
#define AVAIL       0x2000ULL
#define USED        0x3000ULL
#define NUM         8

struct fake {
    AddressSpace *as;
    uint8_t *host;          /* [guard][A][guard][B][guard][ROM][guard] */
    uint8_t *a, *b, *rom;
    MemoryRegion *mr_a, *mr_b, *mr_rom, *mr_io;
    unsigned int io_accesses;
    struct virtqueue vq;
};

static uint64_t io_read(void *opaque, uint64_t off, unsigned size)
{
    ((struct fake *)opaque)->io_accesses++;
    return 0;
}

static void io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    ((struct fake *)opaque)->io_accesses++;
}

static const MemoryRegionOps io_ops = { .read = io_read, .write = io_write };

static struct fake *fake_new(void)
{
    struct fake *f = g_new0(struct fake, 1);
    size_t total = PAGE + MiB + PAGE + MiB + PAGE + ROM_SIZE + PAGE;

    f->host = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->host != MAP_FAILED);
    f->a = f->host + PAGE;
    f->b = f->a + MiB + PAGE;
    f->rom = f->b + MiB + PAGE;
    g_assert_cmpint(mprotect(f->a, MiB, PROT_READ | PROT_WRITE), ==, 0);
    g_assert_cmpint(mprotect(f->b, MiB, PROT_READ | PROT_WRITE), ==, 0);
    g_assert_cmpint(mprotect(f->rom, ROM_SIZE, PROT_READ), ==, 0);

    f->as = address_space_new("memory", 1ULL << 32, false);
    f->mr_a = memory_region_new_ram_ptr("a", MiB, f->a);
    f->mr_b = memory_region_new_ram_ptr("b", MiB, f->b);
    f->mr_rom = memory_region_new_ram_ptr("rom", ROM_SIZE, f->rom);
    f->mr_rom->readonly = true;
    f->mr_io = memory_region_new_io("io", PAGE, &io_ops, f);
    g_assert_cmpint(memory_region_map(f->as, f->mr_a, RAM_A, 0), ==, 0);
    g_assert_cmpint(memory_region_map(f->as, f->mr_b, RAM_B, 0), ==, 0);
    g_assert_cmpint(memory_region_map(f->as, f->mr_io, MMIO, 0), ==, 0);
    g_assert_cmpint(memory_region_map(f->as, f->mr_rom, ROM, 0), ==, 0);

    virtqueue_init(&f->vq, f->as, 0, 256);
    f->vq.num = NUM;
    f->vq.desc_addr = DESC;
    f->vq.avail_addr = AVAIL;
    f->vq.used_addr = USED;
    return f;
}

static void fake_free(struct fake *f)
{
    /* whatever happened, the VMM never dispatched to MMIO on the guest's say-so */
    g_assert_cmpuint(f->io_accesses, ==, 0);
    address_space_free(f->as);
    memory_region_free(f->mr_a);
    memory_region_free(f->mr_b);
    memory_region_free(f->mr_rom);
    memory_region_free(f->mr_io);
    munmap(f->host, PAGE + MiB + PAGE + MiB + PAGE + ROM_SIZE + PAGE);
    g_free(f);
}

static void *gpa(struct fake *f, uint64_t addr)
{
    if (addr < MiB)
        return f->a + addr;
    if (addr < 2 * MiB)
        return f->b + addr - MiB;
    g_assert_true(addr >= ROM && addr < ROM + ROM_SIZE);
    return f->rom + addr - ROM;
}

static struct fake *ready(bool event_idx, bool indirect)
{
    struct fake *f = fake_new();

    g_assert_cmpint(virtqueue_enable(&f->vq, event_idx, indirect), ==, 0);
    return f;
}

static void set_desc_at(struct fake *f, uint64_t table, unsigned int i, uint64_t addr,
                        uint32_t len, uint16_t flags, uint16_t next)
{
    struct vring_desc *d = (struct vring_desc *)gpa(f, table) + i;

    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

static void set_desc(struct fake *f, unsigned int i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    set_desc_at(f, DESC, i, addr, len, flags, next);
}

static struct vring_avail *avail(struct fake *f)
{
    return gpa(f, AVAIL);
}

static struct vring_used *used(struct fake *f)
{
    return gpa(f, USED);
}

static void make_avail(struct fake *f, uint16_t head)
{
    struct vring_avail *av = avail(f);

    av->ring[av->idx % NUM] = head;
    av->idx++;
}

/* Pop must fail: the queue is broken for good, with a reason. */
static void expect_broken(struct fake *f, const char *why)
{
    struct virtq_elem *e = NULL;

    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, -EIO);
    g_assert_null(e);
    g_assert_true(f->vq.broken);
    if (!strstr(f->vq.error, why))
        g_error("error '%s' does not say '%s'", f->vq.error, why);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, -EIO);
}

/* ---- normal paths ---- */

static void test_readable_then_writable(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    memset(gpa(f, 0x10000), 0x5a, 100);
    set_desc(f, 3, 0x10000, 100, VRING_DESC_F_NEXT, 5);
    set_desc(f, 5, 0x20000, 200, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x30000, 50, VRING_DESC_F_WRITE, 0);
    make_avail(f, 3);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->head, ==, 3);
    g_assert_cmpuint(e->out_num, ==, 1);
    g_assert_cmpuint(e->in_num, ==, 2);
    g_assert_cmpuint(e->out_len, ==, 100);
    g_assert_cmpuint(e->in_len, ==, 250);
    g_assert_true(e->out_sg[0].iov_base == gpa(f, 0x10000));
    g_assert_true(e->in_sg[0].iov_base == gpa(f, 0x20000));
    g_assert_cmpuint(e->in_sg[0].iov_len, ==, 200);
    g_assert_true(e->in_sg[1].iov_base == gpa(f, 0x30000));
    g_assert_cmpuint(((uint8_t *)e->out_sg[0].iov_base)[99], ==, 0x5a);

    /* nothing else is available */
    {
        struct virtq_elem *none = NULL;

        g_assert_cmpint(virtqueue_pop(&f->vq, &none), ==, 0);
        g_assert_null(none);
        g_assert_true(virtqueue_empty(&f->vq));
    }

    bitmap_clear_range(f->mr_a->dirty, 0, MiB / PAGE);
    virtqueue_push(&f->vq, e, 210);
    g_assert_cmpuint(used(f)->idx, ==, 1);
    g_assert_cmpuint(used(f)->ring[0].id, ==, 3);
    g_assert_cmpuint(used(f)->ring[0].len, ==, 210);
    /* the written pages and the used ring are dirty, nothing else */
    g_assert_true(test_bit(0x20000 / PAGE, f->mr_a->dirty));
    g_assert_true(test_bit(0x30000 / PAGE, f->mr_a->dirty));
    g_assert_true(test_bit(USED / PAGE, f->mr_a->dirty));
    g_assert_false(test_bit(0x10000 / PAGE, f->mr_a->dirty));
    g_assert_cmpuint(bitmap_count_range(f->mr_a->dirty, 0, MiB / PAGE), ==, 3);
    virtqueue_elem_free(e);
    fake_free(f);
}

static void test_used_ring_wraps(void)
{
    struct fake *f = ready(false, false);

    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_WRITE, 0);
    for (unsigned int i = 0; i < 65536 + 5; i++) {
        struct virtq_elem *e;

        make_avail(f, 0);
        g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
        virtqueue_push(&f->vq, e, i & 0xff);
        virtqueue_elem_free(e);
        g_assert_cmpuint(used(f)->idx, ==, (uint16_t)(i + 1));
        g_assert_cmpuint(used(f)->ring[i % NUM].len, ==, i & 0xff);
    }
    g_assert_false(f->vq.broken);
    fake_free(f);
}

static void test_fill_then_flush(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e[3];

    for (unsigned int i = 0; i < 3; i++) {
        set_desc(f, i, 0x10000 + i * 0x1000, 100, VRING_DESC_F_WRITE, 0);
        make_avail(f, i);
        g_assert_cmpint(virtqueue_pop(&f->vq, &e[i]), ==, 1);
    }
    /* entries filled are invisible to the driver until the flush */
    for (unsigned int i = 0; i < 3; i++)
        virtqueue_fill(&f->vq, e[i], 10 * (i + 1), i);
    g_assert_cmpuint(used(f)->idx, ==, 0);
    virtqueue_flush(&f->vq, 3);
    g_assert_cmpuint(used(f)->idx, ==, 3);
    for (unsigned int i = 0; i < 3; i++) {
        g_assert_cmpuint(used(f)->ring[i].id, ==, i);
        g_assert_cmpuint(used(f)->ring[i].len, ==, 10 * (i + 1));
        virtqueue_elem_free(e[i]);
    }
    fake_free(f);
}

static void test_across_ram_regions(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    /* one descriptor over the A/B boundary: two pieces, separately mapped */
    set_desc(f, 0, RAM_B - 100, 300, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->in_num, ==, 2);
    g_assert_true(e->in_sg[0].iov_base == gpa(f, RAM_B - 100));
    g_assert_cmpuint(e->in_sg[0].iov_len, ==, 100);
    g_assert_true(e->in_sg[1].iov_base == gpa(f, RAM_B));
    g_assert_cmpuint(e->in_sg[1].iov_len, ==, 200);
    /* the guard pages would kill us if a piece ran past its region */
    memset(e->in_sg[0].iov_base, 1, e->in_sg[0].iov_len);
    memset(e->in_sg[1].iov_base, 1, e->in_sg[1].iov_len);
    virtqueue_push(&f->vq, e, 300);
    g_assert_true(test_bit((MiB - PAGE) / PAGE, f->mr_a->dirty));
    g_assert_true(test_bit(0, f->mr_b->dirty));
    virtqueue_elem_free(e);
    fake_free(f);
}

static void test_rom_is_readable_only(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    set_desc(f, 0, ROM, 64, 0, 0);
    make_avail(f, 0);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    virtqueue_elem_free(e);
    set_desc(f, 0, ROM, 64, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "not in writable guest RAM");
    fake_free(f);
}

static void test_indirect_chain(void)
{
    struct fake *f = ready(false, true);
    uint64_t table = 0x40000;
    struct virtq_elem *e;

    set_desc_at(f, table, 0, 0x10000, 16, VRING_DESC_F_NEXT, 2);
    set_desc_at(f, table, 2, 0x11000, 512, VRING_DESC_F_NEXT, 1);
    set_desc_at(f, table, 1, 0x12000, 1, VRING_DESC_F_WRITE, 0);
    /* the device ignores WRITE on the descriptor that points at a table */
    set_desc(f, 4, table, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
    make_avail(f, 4);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->head, ==, 4);
    g_assert_cmpuint(e->out_num, ==, 2);
    g_assert_cmpuint(e->out_len, ==, 528);
    g_assert_cmpuint(e->in_num, ==, 1);
    g_assert_true(e->in_sg[0].iov_base == gpa(f, 0x12000));
    virtqueue_elem_free(e);

    /* a table of exactly the queue size is fine */
    for (unsigned int i = 0; i < NUM; i++)
        set_desc_at(f, table, i, 0x10000 + i * 64, 64,
                    i + 1 < NUM ? VRING_DESC_F_NEXT : 0, i + 1);
    set_desc(f, 4, table, NUM * 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 4);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->out_num, ==, NUM);
    virtqueue_elem_free(e);
    fake_free(f);
}

static void test_overlaps_allowed(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    /* readable over readable, writable over writable: legal (same page twice) */
    set_desc(f, 0, 0x10000, 100, VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x10000, 100, VRING_DESC_F_NEXT, 2);
    set_desc(f, 2, 0x20000, 100, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
    set_desc(f, 3, 0x20010, 100, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->out_num, ==, 2);
    g_assert_cmpuint(e->in_num, ==, 2);
    virtqueue_elem_free(e);
    fake_free(f);
}

static void test_unpop(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    set_desc(f, 2, 0x10000, 16, 0, 0);
    make_avail(f, 2);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    virtqueue_unpop(&f->vq, e);
    virtqueue_elem_free(e);
    g_assert_false(virtqueue_empty(&f->vq));
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    g_assert_cmpuint(e->head, ==, 2);
    virtqueue_elem_free(e);
    fake_free(f);
}

/* ---- hostile chains ---- */

static void test_out_of_range(void)
{
    struct fake *f = ready(false, false);

    set_desc(f, 0, 0x80000000ULL, 512, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "not in writable guest RAM");
    fake_free(f);

    /* past the end of the address space, and wrapping around it */
    f = ready(false, false);
    set_desc(f, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
    make_avail(f, 0);
    expect_broken(f, "not in guest RAM");
    fake_free(f);
}

static void test_across_end_of_ram(void)
{
    struct fake *f = ready(false, false);

    /* the ROM ends in nothing */
    set_desc(f, 0, ROM + ROM_SIZE - 100, 200, 0, 0);
    make_avail(f, 0);
    expect_broken(f, "not in guest RAM");
    fake_free(f);
}

static void test_into_mmio(void)
{
    struct fake *f = ready(false, false);

    /* RAM B is followed by the I/O region: no piece may reach it */
    set_desc(f, 0, MMIO - 256, 512, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "not in writable guest RAM");
    fake_free(f);

    f = ready(false, false);
    set_desc(f, 0, MMIO, 4, 0, 0);
    make_avail(f, 0);
    expect_broken(f, "not in guest RAM");
    fake_free(f);
}

static void test_overlaps_refused(void)
{
    struct fake *f = ready(false, false);

    /* the device would write what it reads */
    set_desc(f, 0, 0x10000, 100, VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x10000 + 50, 100, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "overlaps a device-readable one");
    fake_free(f);

    /* ... with the writable one first in address order */
    f = ready(false, false);
    set_desc(f, 0, 0x10080, 100, VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x10000, 0x81, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "overlaps a device-readable one");
    fake_free(f);

    /* or the queue's own rings */
    f = ready(false, false);
    set_desc(f, 0, USED + 8, 4, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "overlaps the queue's rings");
    fake_free(f);

    f = ready(false, false);
    set_desc(f, 0, DESC - 1, 2, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "overlaps the queue's rings");
    fake_free(f);
}

static void test_direct_loops(void)
{
    struct fake *f = ready(false, false);

    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x11000, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
    make_avail(f, 0);
    expect_broken(f, "a loop");
    fake_free(f);

    f = ready(false, false);
    set_desc(f, 6, 0x10000, 16, VRING_DESC_F_NEXT, 6);
    make_avail(f, 6);
    expect_broken(f, "a loop");
    fake_free(f);
}

static void test_indirect_loop(void)
{
    struct fake *f = ready(false, true);
    uint64_t table = 0x40000;

    set_desc_at(f, table, 0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
    set_desc_at(f, table, 1, 0x11000, 16, VRING_DESC_F_NEXT, 2);
    set_desc_at(f, table, 2, 0x12000, 16, VRING_DESC_F_NEXT, 0);
    set_desc(f, 0, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "a loop");
    fake_free(f);
}

static void test_zero_length(void)
{
    struct fake *f = ready(false, true);

    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x11000, 0, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    expect_broken(f, "zero-length");
    fake_free(f);

    f = ready(false, true);
    set_desc(f, 0, 0x40000, 0, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "not a non-zero multiple of 16");
    fake_free(f);

    f = ready(false, true);
    set_desc(f, 0, 0x40000, 24, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "not a non-zero multiple of 16");
    fake_free(f);
}

static void test_too_long(void)
{
    struct fake *f = ready(false, true);

    /* an indirect table longer than the queue */
    for (unsigned int i = 0; i <= NUM; i++)
        set_desc_at(f, 0x40000, i, 0x10000, 16, VRING_DESC_F_NEXT, i + 1);
    set_desc(f, 0, 0x40000, (NUM + 1) * 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "more than the queue size");
    fake_free(f);

    /* a huge one, so the table itself is never copied */
    f = ready(false, true);
    set_desc(f, 0, 0x40000, 0xfffffff0, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "more than the queue size");
    fake_free(f);
}

static void test_indirect_rules(void)
{
    struct fake *f = ready(false, true);

    /* a table inside a table */
    set_desc_at(f, 0x40000, 0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
    set_desc_at(f, 0x40000, 1, 0x41000, 32, VRING_DESC_F_INDIRECT, 0);
    set_desc(f, 0, 0x40000, 32, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "inside an indirect table");
    fake_free(f);

    /* not negotiated */
    f = ready(false, false);
    set_desc_at(f, 0x40000, 0, 0x10000, 16, 0, 0);
    set_desc(f, 0, 0x40000, 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "without VIRTIO_F_INDIRECT_DESC");
    fake_free(f);

    /* INDIRECT with NEXT */
    f = ready(false, true);
    set_desc_at(f, 0x40000, 0, 0x10000, 16, 0, 0);
    set_desc(f, 0, 0x40000, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    make_avail(f, 0);
    expect_broken(f, "with VRING_DESC_F_NEXT");
    fake_free(f);

    /* not at the head */
    f = ready(false, true);
    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x40000, 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "not at the head");
    fake_free(f);

    /* the table itself in MMIO, or past RAM */
    f = ready(false, true);
    set_desc(f, 0, MMIO, 32, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "is not in guest RAM");
    fake_free(f);

    f = ready(false, true);
    set_desc(f, 0, ROM + ROM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "is not in guest RAM");
    fake_free(f);

    /* next out of the table */
    f = ready(false, true);
    set_desc_at(f, 0x40000, 0, 0x10000, 16, VRING_DESC_F_NEXT, 2);
    set_desc(f, 0, 0x40000, 32, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    expect_broken(f, "out of a table of 2");
    fake_free(f);
}

static void test_bad_indices(void)
{
    struct fake *f = ready(false, false);
    struct virtq_elem *e;

    /* the avail index more than the queue size ahead */
    set_desc(f, 0, 0x10000, 16, 0, 0);
    avail(f)->idx = NUM + 1;
    expect_broken(f, "more than the queue size");
    fake_free(f);

    /* exactly the queue size ahead is a full ring: fine */
    f = ready(false, false);
    set_desc(f, 0, 0x10000, 16, 0, 0);
    for (unsigned int i = 0; i < NUM; i++)
        make_avail(f, 0);
    for (unsigned int i = 0; i < NUM; i++) {
        g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
        virtqueue_elem_free(e);
    }
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 0);
    fake_free(f);

    /* a head out of the queue */
    f = ready(false, false);
    make_avail(f, NUM);
    expect_broken(f, "head index 8 is out of a queue of 8");
    fake_free(f);

    /* a next out of the queue */
    f = ready(false, false);
    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_NEXT, 0xffff);
    make_avail(f, 0);
    expect_broken(f, "next index 65535");
    fake_free(f);

    /* readable after writable */
    f = ready(false, false);
    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(f, 1, 0x11000, 16, 0, 0);
    make_avail(f, 0);
    expect_broken(f, "device-readable buffer after a device-writable one");
    fake_free(f);
}

static void test_enable_checks(void)
{
    static const uint16_t bad_num[] = { 0, 3, 12, 512 };
    struct fake *f = fake_new();

    for (size_t i = 0; i < G_N_ELEMENTS(bad_num); i++) {
        f->vq.num = bad_num[i];
        g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EINVAL);
        g_assert_false(f->vq.ready);
    }
    f->vq.num = NUM;
    f->vq.desc_addr = DESC + 8;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EINVAL);
    f->vq.desc_addr = DESC;
    f->vq.avail_addr = AVAIL + 1;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EINVAL);
    f->vq.avail_addr = AVAIL;
    f->vq.used_addr = USED + 2;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EINVAL);
    /* rings outside RAM, in MMIO, across two regions, a used ring in ROM */
    f->vq.used_addr = 0x90000000ULL;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EFAULT);
    f->vq.used_addr = MMIO;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EFAULT);
    f->vq.used_addr = RAM_B - 16;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EFAULT);
    f->vq.used_addr = ROM;
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, -EFAULT);
    f->vq.used_addr = USED;
    f->vq.desc_addr = ROM;      /* the device only reads the descriptor table */
    g_assert_cmpint(virtqueue_enable(&f->vq, false, false), ==, 0);
    g_assert_true(f->vq.ready);
    fake_free(f);
}

/* Random rings: whatever pop accepts lies in RAM, and writable pieces in writable RAM. */
static void test_fuzz(void)
{
    struct fake *f = ready(true, true);
    GRand *rand = g_rand_new_with_seed(1234);
    static const uint64_t bases[] = {
        0, 0x10000, RAM_B - 64, RAM_B, 2 * MiB - 64, MMIO - 8, ROM, ROM + ROM_SIZE - 32,
        0xfffffffffffffff0ULL, 0x40000,
    };
    unsigned int popped = 0, broken = 0;

    for (unsigned int round = 0; round < 20000; round++) {
        struct virtq_elem *e;
        int ret;

        if (f->vq.broken) {
            broken++;
            virtqueue_reset(&f->vq);
            f->vq.num = NUM;
            f->vq.desc_addr = DESC;
            f->vq.avail_addr = AVAIL;
            f->vq.used_addr = USED;
            memset(gpa(f, USED), 0, 4096);
            avail(f)->idx = 0;
            g_assert_cmpint(virtqueue_enable(&f->vq, true, true), ==, 0);
        }
        for (unsigned int i = 0; i < NUM; i++) {
            uint16_t flags = g_rand_int(rand) & 7;
            uint32_t len = g_rand_int_range(rand, 0, 3) ? (uint32_t)g_rand_int_range(rand, 0, 300) :
                           g_rand_int(rand);

            if ((flags & VRING_DESC_F_INDIRECT) && g_rand_boolean(rand))
                len = 16 * g_rand_int_range(rand, 1, NUM + 2);
            set_desc(f, i, bases[g_rand_int_range(rand, 0, G_N_ELEMENTS(bases))] +
                     g_rand_int_range(rand, 0, 64), len, flags,
                     g_rand_int_range(rand, 0, NUM + 1));
            set_desc_at(f, 0x40000, i, 0x10000 + g_rand_int_range(rand, 0, 0x1000),
                        g_rand_int_range(rand, 0, 64), g_rand_int(rand) & 7,
                        g_rand_int_range(rand, 0, NUM + 1));
        }
        make_avail(f, g_rand_int_range(rand, 0, NUM + 1));
        if (g_rand_int_range(rand, 0, 50) == 0)
            avail(f)->idx += g_rand_int(rand);
        ret = virtqueue_pop(&f->vq, &e);
        if (ret != 1)
            continue;
        popped++;
        for (unsigned int i = 0; i < e->out_num; i++) {
            volatile uint8_t sum = 0;

            for (size_t k = 0; k < e->out_sg[i].iov_len; k++)
                sum += ((uint8_t *)e->out_sg[i].iov_base)[k];
        }
        for (unsigned int i = 0; i < e->in_num; i++)
            memset(e->in_sg[i].iov_base, 0xee, e->in_sg[i].iov_len);
        virtqueue_push(&f->vq, e, (uint32_t)e->in_len);
        virtqueue_elem_free(e);
    }
    g_test_message("fuzz: %u chains taken, %u broken rings", popped, broken);
    g_assert_cmpuint(popped, >, 100);
    g_assert_cmpuint(broken, >, 100);
    g_rand_free(rand);
    fake_free(f);
}

/* ---- notification suppression ---- */

static void test_need_event(void)
{
    /* notify iff event_idx is in [old, new) mod 2^16 */
    g_assert_true(virtq_need_event(0, 1, 0));
    g_assert_false(virtq_need_event(1, 1, 0));
    g_assert_true(virtq_need_event(4, 7, 3));
    g_assert_true(virtq_need_event(3, 7, 3));
    g_assert_true(virtq_need_event(6, 7, 3));
    g_assert_false(virtq_need_event(7, 7, 3));
    g_assert_false(virtq_need_event(2, 7, 3));
    g_assert_false(virtq_need_event(5, 5, 5));
    /* across the wrap */
    g_assert_true(virtq_need_event(0xffff, 2, 0xfffe));
    g_assert_true(virtq_need_event(1, 2, 0xfffe));
    g_assert_false(virtq_need_event(2, 2, 0xfffe));
    g_assert_false(virtq_need_event(0xfffd, 2, 0xfffe));
}

static void push_one(struct fake *f)
{
    struct virtq_elem *e;

    set_desc(f, 0, 0x10000, 16, VRING_DESC_F_WRITE, 0);
    make_avail(f, 0);
    g_assert_cmpint(virtqueue_pop(&f->vq, &e), ==, 1);
    virtqueue_push(&f->vq, e, 0);
    virtqueue_elem_free(e);
}

static void test_notify_flags(void)
{
    struct fake *f = ready(false, false);

    push_one(f);
    g_assert_true(virtqueue_should_notify(&f->vq));
    avail(f)->flags = VRING_AVAIL_F_NO_INTERRUPT;
    push_one(f);
    g_assert_false(virtqueue_should_notify(&f->vq));

    virtqueue_set_notification(&f->vq, false);
    g_assert_cmpuint(used(f)->flags, ==, VRING_USED_F_NO_NOTIFY);
    virtqueue_set_notification(&f->vq, true);
    g_assert_cmpuint(used(f)->flags, ==, 0);
    fake_free(f);
}

static void test_notify_event_idx(void)
{
    struct fake *f = ready(true, false);
    uint16_t *used_event = &avail(f)->ring[NUM];
    uint16_t *avail_event = (uint16_t *)&used(f)->ring[NUM];

    /* the first notification always goes */
    push_one(f);
    g_assert_true(virtqueue_should_notify(&f->vq));
    /* popping asks for a kick at the next entry */
    g_assert_cmpuint(*avail_event, ==, 1);

    /* the driver wants to hear when used->idx passes 3 (entry 3 is used) */
    *used_event = 3;
    push_one(f);            /* used idx 2: [1, 2) does not hold 3 */
    g_assert_false(virtqueue_should_notify(&f->vq));
    push_one(f);            /* 3: [2, 3) */
    g_assert_false(virtqueue_should_notify(&f->vq));
    push_one(f);            /* 4: [3, 4) holds 3 */
    g_assert_true(virtqueue_should_notify(&f->vq));
    push_one(f);
    g_assert_false(virtqueue_should_notify(&f->vq));

    /* several used at once: notify if the event is anywhere in between */
    *used_event = 6;
    push_one(f);
    push_one(f);
    push_one(f);            /* 5 -> 8 */
    g_assert_true(virtqueue_should_notify(&f->vq));

    /* suppression leaves avail_event behind; enabling moves it to the avail index */
    virtqueue_set_notification(&f->vq, false);
    make_avail(f, 0);
    make_avail(f, 0);
    g_assert_cmpuint(*avail_event, ==, 8);
    virtqueue_set_notification(&f->vq, true);
    g_assert_cmpuint(*avail_event, ==, 10);
    g_assert_false(virtqueue_empty(&f->vq));
    g_assert_cmpuint(used(f)->flags, ==, 0);   /* never touched with EVENT_IDX */
    fake_free(f);
}

static void test_reset(void)
{
    struct fake *f = ready(true, true);

    push_one(f);
    virtqueue_reset(&f->vq);
    g_assert_false(f->vq.ready);
    g_assert_cmpuint(f->vq.num, ==, 256);
    g_assert_cmpuint(f->vq.desc_addr, ==, 0);
    g_assert_cmpuint(f->vq.last_avail_idx, ==, 0);
    g_assert_true(virtqueue_empty(&f->vq));
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtqueue/readable-then-writable", test_readable_then_writable);
    g_test_add_func("/virtqueue/used-ring-wraps", test_used_ring_wraps);
    g_test_add_func("/virtqueue/fill-then-flush", test_fill_then_flush);
    g_test_add_func("/virtqueue/across-ram-regions", test_across_ram_regions);
    g_test_add_func("/virtqueue/rom-is-readable-only", test_rom_is_readable_only);
    g_test_add_func("/virtqueue/indirect-chain", test_indirect_chain);
    g_test_add_func("/virtqueue/overlaps-allowed", test_overlaps_allowed);
    g_test_add_func("/virtqueue/unpop", test_unpop);
    g_test_add_func("/virtqueue/hostile/out-of-range", test_out_of_range);
    g_test_add_func("/virtqueue/hostile/across-end-of-ram", test_across_end_of_ram);
    g_test_add_func("/virtqueue/hostile/into-mmio", test_into_mmio);
    g_test_add_func("/virtqueue/hostile/overlaps", test_overlaps_refused);
    g_test_add_func("/virtqueue/hostile/direct-loops", test_direct_loops);
    g_test_add_func("/virtqueue/hostile/indirect-loop", test_indirect_loop);
    g_test_add_func("/virtqueue/hostile/zero-length", test_zero_length);
    g_test_add_func("/virtqueue/hostile/too-long", test_too_long);
    g_test_add_func("/virtqueue/hostile/indirect-rules", test_indirect_rules);
    g_test_add_func("/virtqueue/hostile/bad-indices", test_bad_indices);
    g_test_add_func("/virtqueue/hostile/enable-checks", test_enable_checks);
    g_test_add_func("/virtqueue/hostile/fuzz", test_fuzz);
    g_test_add_func("/virtqueue/need-event", test_need_event);
    g_test_add_func("/virtqueue/notify-flags", test_notify_flags);
    g_test_add_func("/virtqueue/notify-event-idx", test_notify_event_idx);
    g_test_add_func("/virtqueue/reset", test_reset);
    return g_test_run();
}
