/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory API without KVM: flat views, what listeners are told when
 * regions overlap (slot splitting), the dispatch table, and VMM accesses.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/memory.h"

struct event {
    char op;            /* '+' add, '-' del */
    const MemoryRegion *mr;
    uint64_t addr, size, offset;
};

struct recorder {
    MemoryListener l;
    GArray *events;
    int capacity;           /* sections it can hold, like KVM's slot limit; -1: any */
    int held;
};

static int rec_add(MemoryListener *l, const MemorySection *s)
{
    struct recorder *r = (struct recorder *)l;
    struct event e = { '+', s->mr, s->addr, s->size, s->offset };

    if (r->capacity >= 0 && r->held >= r->capacity)
        return -ENOSPC;
    r->held++;
    g_array_append_val(r->events, e);
    return 0;
}

static void rec_del(MemoryListener *l, const MemorySection *s)
{
    struct recorder *r = (struct recorder *)l;
    struct event e = { '-', s->mr, s->addr, s->size, s->offset };

    r->held--;
    g_array_append_val(r->events, e);
}

static struct recorder *recorder_new(AddressSpace *as)
{
    struct recorder *r = g_new0(struct recorder, 1);

    r->l.region_add = rec_add;
    r->l.region_del = rec_del;
    r->events = g_array_new(FALSE, TRUE, sizeof(struct event));
    r->capacity = -1;
    g_assert_cmpint(address_space_add_listener(as, &r->l), ==, 0);
    return r;
}

static bool has_event(struct recorder *r, char op, const MemoryRegion *mr,
                      uint64_t addr, uint64_t size, uint64_t offset)
{
    for (guint i = 0; i < r->events->len; i++) {
        struct event *e = &g_array_index(r->events, struct event, i);

        if (e->op == op && e->mr == mr && e->addr == addr && e->size == size &&
            e->offset == offset)
            return true;
    }
    return false;
}

/* A device that remembers its last access. */
struct dev {
    uint64_t last_off, last_val;
    unsigned last_size;
    int reads, writes;
};

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    struct dev *d = opaque;

    d->reads++;
    d->last_off = off;
    d->last_size = size;
    return 0x1122334455667788ULL;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct dev *d = opaque;

    d->writes++;
    d->last_off = off;
    d->last_val = val;
    d->last_size = size;
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read, .write = dev_write, .valid_sizes = ACCESS_4 | ACCESS_8,
};

#define MiB (1ULL << 20)

static void test_split_and_merge(void)
{
    AddressSpace *as = address_space_new("test", 1ULL << 40, false);
    struct recorder *r = recorder_new(as);
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 64 * MiB, NULL);
    MemoryRegion *hole = memory_region_new_io("hole", 1 * MiB, &dev_ops, NULL);

    g_assert_cmpint(memory_region_map(as, ram, 0, 0), ==, 0);
    g_assert_true(has_event(r, '+', ram, 0, 64 * MiB, 0));
    g_assert_cmpuint(as->view_len, ==, 1);

    /* an I/O region over the middle of RAM: RAM splits in two */
    g_array_set_size(r->events, 0);
    g_assert_cmpint(memory_region_map(as, hole, 16 * MiB, 1), ==, 0);
    g_assert_true(has_event(r, '-', ram, 0, 64 * MiB, 0));
    g_assert_true(has_event(r, '+', ram, 0, 16 * MiB, 0));
    g_assert_true(has_event(r, '+', hole, 16 * MiB, 1 * MiB, 0));
    g_assert_true(has_event(r, '+', ram, 17 * MiB, 47 * MiB, 17 * MiB));
    g_assert_cmpuint(r->events->len, ==, 4);
    g_assert_cmpuint(as->view_len, ==, 3);
    /* deletes come before adds: a slot is freed before its range is reused */
    g_assert_cmpint(g_array_index(r->events, struct event, 0).op, ==, '-');

    /* unmapping it merges RAM again */
    g_array_set_size(r->events, 0);
    memory_region_unmap(hole);
    g_assert_true(has_event(r, '+', ram, 0, 64 * MiB, 0));
    g_assert_cmpuint(as->view_len, ==, 1);

    /* lower priority stays hidden where RAM is */
    g_assert_cmpint(memory_region_map(as, hole, 63 * MiB + 512 * 1024, -1), ==, 0);
    g_assert_cmpuint(as->view_len, ==, 2);
    g_assert_true(address_space_lookup(as, 63 * MiB + 600 * 1024)->mr == ram);
    g_assert_true(address_space_lookup(as, 64 * MiB + 1)->mr == hole);
    memory_region_unmap(hole);

    /* bad requests */
    g_assert_cmpint(memory_region_map(as, ram, 0, 0), ==, -EBUSY);
    g_assert_cmpint(memory_region_map(as, hole, (1ULL << 40) - 4096, 0), ==, -EINVAL);

    address_space_free(as);
    memory_region_free(ram);
    memory_region_free(hole);
    g_array_free(r->events, TRUE);
    g_free(r);
}

static void test_listener_failure_rolls_back(void)
{
    AddressSpace *as = address_space_new("test", 1ULL << 40, false);
    struct recorder *r = recorder_new(as);
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 64 * MiB, NULL);
    MemoryRegion *hole = memory_region_new_io("hole", MiB, &dev_ops, NULL);

    g_assert_cmpint(memory_region_map(as, ram, 0, 0), ==, 0);
    /* splitting needs three sections; the listener holds only two */
    r->capacity = 2;
    g_assert_cmpint(memory_region_map(as, hole, 16 * MiB, 1), ==, -ENOSPC);
    g_assert_null(hole->as);
    g_assert_cmpuint(as->view_len, ==, 1);
    g_assert_true(as->view[0].mr == ram && as->view[0].size == 64 * MiB);
    /* the listener ends up holding exactly the old layout */
    g_assert_cmpint(r->held, ==, 1);
    g_assert_true(has_event(r, '+', ram, 0, 64 * MiB, 0));
    g_assert_cmpint(g_array_index(r->events, struct event, r->events->len - 1).op, ==, '+');
    /* with room, the same change goes through */
    r->capacity = 3;
    g_assert_cmpint(memory_region_map(as, hole, 16 * MiB, 1), ==, 0);
    g_assert_cmpint(r->held, ==, 3);
    address_space_free(as);
    memory_region_free(ram);
    memory_region_free(hole);
    g_array_free(r->events, TRUE);
    g_free(r);
}

static void test_dispatch(void)
{
    AddressSpace *mem = address_space_new("mem", 1ULL << 40, false);
    AddressSpace *io = address_space_new("io", 0x10000, true);
    struct dev d = { 0 }, p = { 0 };
    g_autofree uint8_t *host = g_malloc0(16 * 4096);
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 16 * 4096, host);
    MemoryRegion *mmio = memory_region_new_io("dev", 0x100, &dev_ops, &d);
    MemoryRegion *pio = memory_region_new_io("port", 8, &dev_ops, &p);
    MemoryRegion *regs[6];

    g_assert_cmpint(memory_region_map(mem, ram, 0, 0), ==, 0);
    g_assert_cmpint(memory_region_map(mem, mmio, 0x10000, 0), ==, 0);
    g_assert_cmpint(memory_region_map(io, pio, 0x3f8, 0), ==, 0);
    /* many small regions: lookup must find each by binary search */
    for (int i = 0; i < 6; i++) {
        regs[i] = memory_region_new_io("r", 0x10, &dev_ops, &d);
        g_assert_cmpint(memory_region_map(mem, regs[i], 0x20000 + i * 0x100, 0), ==, 0);
    }
    for (int i = 0; i < 6; i++) {
        g_assert_true(address_space_lookup(mem, 0x20000 + i * 0x100 + 0xf)->mr == regs[i]);
        g_assert_null(address_space_lookup(mem, 0x20000 + i * 0x100 + 0x10));
    }

    /* device accesses get region-relative offsets and masked values */
    g_assert_cmphex(address_space_read_io(mem, 0x10008, 4), ==, 0x55667788);
    g_assert_cmphex(d.last_off, ==, 8);
    address_space_write_io(mem, 0x10010, 0xabcdef0123456789ULL, 8);
    g_assert_cmphex(d.last_val, ==, 0xabcdef0123456789ULL);
    g_assert_cmpuint(d.last_size, ==, 8);

    /* widths and alignment the device refuses: RAZ/WI, device untouched */
    d.reads = d.writes = 0;
    g_assert_cmphex(address_space_read_io(mem, 0x10000, 1), ==, 0);
    address_space_write_io(mem, 0x10000, 1, 2);
    g_assert_cmphex(address_space_read_io(mem, 0x10002, 4), ==, 0);
    g_assert_cmpint(d.reads + d.writes, ==, 0);
    /* straddling the end of the region */
    g_assert_cmphex(address_space_read_io(mem, 0x100fc, 8), ==, 0);
    g_assert_cmpint(d.reads, ==, 0);

    /* unowned: MMIO reads 0, PIO reads all-ones, writes vanish */
    g_assert_cmphex(address_space_read_io(mem, 0x50000, 4), ==, 0);
    g_assert_cmphex(address_space_read_io(io, 0x80, 1), ==, 0xff);
    g_assert_cmphex(address_space_read_io(io, 0x80, 2), ==, 0xffff);
    g_assert_cmphex(address_space_read_io(io, 0x80, 4), ==, 0xffffffff);
    address_space_write_io(io, 0x80, 5, 1);
    g_assert_cmphex(address_space_read_io(io, 0x3f8, 4), ==, 0x55667788);
    g_assert_cmpint(p.reads, ==, 1);

    /* an exit that lands on RAM reads and writes RAM */
    address_space_write_io(mem, 0x1000, 0xdeadbeef, 4);
    g_assert_cmphex(*(uint32_t *)(host + 0x1000), ==, 0xdeadbeef);
    g_assert_cmphex(address_space_read_io(mem, 0x1000, 2), ==, 0xbeef);

    for (int i = 0; i < 6; i++)
        memory_region_free(regs[i]);
    address_space_free(mem);
    address_space_free(io);
    memory_region_free(ram);
    memory_region_free(mmio);
    memory_region_free(pio);
}

static void test_vmm_access_and_dirty(void)
{
    AddressSpace *as = address_space_new("mem", 1ULL << 40, false);
    g_autofree uint8_t *host = g_malloc0(32 * 4096);
    MemoryRegion *lo = memory_region_new_ram_ptr("lo", 16 * 4096, host);
    MemoryRegion *hi = memory_region_new_ram_ptr("hi", 16 * 4096, host + 16 * 4096);
    MemoryRegion *dev = memory_region_new_io("dev", 4096, &dev_ops, NULL);
    uint8_t buf[3 * 4096];
    unsigned long out[1];

    memory_region_map(as, lo, 0, 0);
    memory_region_map(as, hi, 16 * 4096, 0);     /* adjacent: one range, two regions */
    memory_region_map(as, dev, 32 * 4096, 0);
    memset(buf, 0x5a, sizeof(buf));

    /* a write across the two regions lands in both and marks both dirty */
    g_assert_cmpint(address_space_write(as, 15 * 4096 + 100, buf, 2 * 4096), ==, 0);
    g_assert_cmpuint(host[15 * 4096 + 100], ==, 0x5a);
    g_assert_cmpuint(host[17 * 4096 + 99], ==, 0x5a);
    g_assert_cmpuint(host[17 * 4096 + 100], ==, 0);
    g_assert_true(test_bit(15, lo->dirty));
    g_assert_true(test_bit(0, hi->dirty) && test_bit(1, hi->dirty));
    g_assert_false(test_bit(2, hi->dirty));

    /* into MMIO or past the end: refused, and nothing copied */
    memset(host, 0, 32 * 4096);
    g_assert_cmpint(address_space_write(as, 31 * 4096, buf, 2 * 4096), ==, -EFAULT);
    g_assert_cmpuint(host[31 * 4096], ==, 0);
    g_assert_cmpint(address_space_read(as, 40 * 4096, buf, 1), ==, -EFAULT);
    g_assert_cmpint(address_space_write(as, UINT64_MAX - 10, buf, 100), ==, -EFAULT);
    g_assert_nonnull(address_space_host_ptr(as, 4096, 4096));
    g_assert_null(address_space_host_ptr(as, 15 * 4096, 2 * 4096));  /* crosses */

    /* take_dirty returns and clears exactly the range */
    g_assert_cmpint(memory_region_take_dirty(hi, 0, 4 * 4096, out), ==, 0);
    g_assert_cmphex(out[0], ==, 0x3);
    g_assert_false(test_bit(0, hi->dirty));
    g_assert_true(test_bit(15, lo->dirty));
    g_assert_cmpint(memory_region_take_dirty(hi, 100, 4096, out), ==, -EINVAL);

    address_space_free(as);
    memory_region_free(lo);
    memory_region_free(hi);
    memory_region_free(dev);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/split-and-merge", test_split_and_merge);
    g_test_add_func("/memory/listener-failure-rolls-back", test_listener_failure_rolls_back);
    g_test_add_func("/memory/dispatch", test_dispatch);
    g_test_add_func("/memory/vmm-access-and-dirty", test_vmm_access_and_dirty);
    return g_test_run();
}
