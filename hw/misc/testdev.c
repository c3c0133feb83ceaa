/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmm-testdev: the device our test guests check the VMM against.  The
 * register contract is in docs/testdev.md.  It exercises exactly the paths
 * real devices use: PIO and MMIO dispatch of every width, ioeventfds with
 * and without datamatch (declared on the memory API), and dirty logging
 * through the address space's listeners.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/hw.h"
#include "qemu-vmm/log.h"

#define PIO_BASE     0xe000
#define PIO_SIZE     0x20
#define PIO_BENCH    0xe020
#define MMIO_BASE    0xfe900000ULL
#define MMIO_SIZE    0x1000
#define COALESCED_BASE 0xfe901000ULL

#define CONSTANT     0x0123456789abcdefULL

enum { DOORBELL_A, DOORBELL_B, DOORBELL_C, DOORBELL_D, NR_DOORBELLS };

enum {
    DIRTY_START = 1,
    DIRTY_SYNC = 2,
    DIRTY_STOP = 3,
};

#define MAX_SYNC_PAGES (1ULL << 20)

struct testdev {
    pthread_mutex_t lock;
    AddressSpace *mem;
    uint8_t pio_scratch[8];
    uint8_t mmio_scratch[8];
    int efd[NR_DOORBELLS];
    uint64_t count[NR_DOORBELLS];
    uint64_t slow;
    uint64_t coalesced_count, coalesced_sum;
    uint64_t sync_gpa, sync_pages, sync_buf;
    int64_t result;
    uint64_t dirty_count;
};

static uint64_t slice(const uint8_t *bytes, unsigned off, unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, bytes + off, size);
    return v;
}

static uint64_t constant_slice(unsigned off, unsigned size)
{
    uint64_t c = CONSTANT;

    return slice((const uint8_t *)&c, off, size);
}

static uint64_t drain(struct testdev *t, int i)
{
    uint64_t n;

    if (read(t->efd[i], &n, sizeof(n)) == sizeof(n))
        t->count[i] += n;
    return t->count[i];
}

/* ---- PIO window ---- */

static uint64_t pio_read(void *opaque, uint64_t off, unsigned size)
{
    struct testdev *t = opaque;
    uint64_t v = 0;

    pthread_mutex_lock(&t->lock);
    if (off + size <= 8)
        v = slice(t->pio_scratch, off, size);
    else if (off >= 8 && off + size <= 16)
        v = constant_slice(off - 8, size);
    pthread_mutex_unlock(&t->lock);
    return v;
}

static void pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct testdev *t = opaque;

    pthread_mutex_lock(&t->lock);
    if (off + size <= 8)
        memcpy(t->pio_scratch + off, &val, size);
    else if (off == 0x14 && size == 2)
        t->slow++;      /* doorbell B without the matching value */
    else if (off == 0x10)
        t->slow++;      /* only if the ioeventfd is missing */
    pthread_mutex_unlock(&t->lock);
}

static const MemoryRegionOps pio_ops = {
    .read = pio_read, .write = pio_write,
    .valid_sizes = ACCESS_1 | ACCESS_2 | ACCESS_4, .unaligned_ok = true,
};

/* ---- dirty logging commands ---- */

/* Copy the dirty bits of [gpa, gpa + npages pages) into out. */
static int collect_dirty(AddressSpace *as, uint64_t gpa, uint64_t npages,
                         unsigned long *out)
{
    uint64_t end = gpa + npages * VMM_PAGE_SIZE;

    for (size_t i = 0; i < as->view_len; i++) {
        const MemorySection *s = &as->view[i];
        uint64_t lo = MAX(s->addr, gpa), hi = MIN(s->addr + s->size, end);
        unsigned long *bits;
        uint64_t n;

        if (s->mr->type != MR_RAM || lo >= hi)
            continue;
        n = (hi - lo) >> VMM_PAGE_SHIFT;
        bits = bitmap_new(n);
        bitmap_extract(bits, s->mr->dirty,
                       (s->offset + (lo - s->addr)) >> VMM_PAGE_SHIFT, n);
        bitmap_or_at(out, (lo - gpa) >> VMM_PAGE_SHIFT, bits, n);
        bitmap_free(bits);
    }
    return 0;
}

/* Consume every dirty bit of all RAM, re-arming KVM's tracking. */
static int clear_all_dirty(AddressSpace *as)
{
    for (size_t i = 0; i < as->view_len; i++) {
        const MemorySection *s = &as->view[i];
        int ret;

        if (s->mr->type != MR_RAM)
            continue;
        ret = memory_region_take_dirty(s->mr, s->offset & ~(VMM_PAGE_SIZE - 1),
                                       (s->size + VMM_PAGE_SIZE - 1) & ~(VMM_PAGE_SIZE - 1),
                                       NULL);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int64_t dirty_sync(struct testdev *t)
{
    uint64_t npages = t->sync_pages;
    unsigned long *bits;
    int ret;

    if (!npages || npages > MAX_SYNC_PAGES || (t->sync_gpa & (VMM_PAGE_SIZE - 1)))
        return -EINVAL;
    if (!t->mem->log_dirty)
        return -EPERM;
    ret = memory_global_dirty_log_sync(t->mem);
    if (ret < 0)
        return ret;
    bits = bitmap_new(npages);
    collect_dirty(t->mem, t->sync_gpa, npages, bits);
    t->dirty_count = bitmap_count_range(bits, 0, npages);
    ret = clear_all_dirty(t->mem);
    if (ret == 0)
        ret = address_space_write(t->mem, t->sync_buf, bits, (npages + 7) / 8);
    bitmap_free(bits);
    return ret;
}

static int64_t dirty_command(struct testdev *t, uint64_t cmd)
{
    int ret;

    switch (cmd) {
    case DIRTY_START:
        memory_global_dirty_log_start(t->mem);
        ret = memory_global_dirty_log_sync(t->mem);
        return ret < 0 ? ret : clear_all_dirty(t->mem);
    case DIRTY_SYNC:
        return dirty_sync(t);
    case DIRTY_STOP:
        memory_global_dirty_log_stop(t->mem);
        return 0;
    default:
        return -EINVAL;
    }
}

/* ---- MMIO window ---- */

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct testdev *t = opaque;
    uint64_t v = 0;

    pthread_mutex_lock(&t->lock);
    if (off + size <= 8)
        v = slice(t->mmio_scratch, off, size);
    else if (off >= 0x10 && off + size <= 0x18)
        v = constant_slice(off - 0x10, size);
    else if (size == 8 && off >= 0x100 && off < 0x120 && !(off & 7))
        v = drain(t, (off - 0x100) / 8);
    else if (size == 8 && off == 0x120)
        v = t->slow;
    else if (size == 8 && off == 0x208)
        v = t->sync_gpa;
    else if (size == 8 && off == 0x210)
        v = t->sync_pages;
    else if (size == 8 && off == 0x218)
        v = t->sync_buf;
    else if (size == 8 && off == 0x220)
        v = (uint64_t)t->result;
    else if (size == 8 && off == 0x228)
        v = t->dirty_count;
    pthread_mutex_unlock(&t->lock);
    return v;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct testdev *t = opaque;

    pthread_mutex_lock(&t->lock);
    if (off + size <= 8)
        memcpy(t->mmio_scratch + off, &val, size);
    else if (off == 0x020 || off == 0x028)
        t->slow++;      /* D without its value, or a missing ioeventfd */
    else if (size == 8 && off == 0x200)
        t->result = dirty_command(t, val);
    else if (size == 8 && off == 0x208)
        t->sync_gpa = val;
    else if (size == 8 && off == 0x210)
        t->sync_pages = val;
    else if (size == 8 && off == 0x218)
        t->sync_buf = val;
    /* 0x300: the bench register does nothing, on purpose */
    pthread_mutex_unlock(&t->lock);
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read, .write = mmio_write,
    .valid_sizes = ACCESS_ANY, .unaligned_ok = true,
};

static uint64_t bench_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque; (void)off; (void)size;
    return 0;
}

static void bench_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque; (void)off; (void)val; (void)size;
}

static const MemoryRegionOps bench_ops = {
    .read = bench_read, .write = bench_write, .valid_sizes = ACCESS_ANY,
};

/*
 * The coalesced window: KVM queues writes to it in the shared ring instead
 * of exiting; the run loop must apply them before it dispatches any later
 * exit, so a read here always sees every earlier write.
 */
static uint64_t coalesced_read(void *opaque, uint64_t off, unsigned size)
{
    struct testdev *t = opaque;
    uint64_t v = 0;

    pthread_mutex_lock(&t->lock);
    if (off == 0x8 && size == 8)
        v = t->coalesced_count;
    else if (off == 0x10 && size == 8)
        v = t->coalesced_sum;
    pthread_mutex_unlock(&t->lock);
    return v;
}

static void coalesced_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct testdev *t = opaque;

    pthread_mutex_lock(&t->lock);
    if (off == 0) {
        t->coalesced_count++;
        t->coalesced_sum += val;
    }
    pthread_mutex_unlock(&t->lock);
}

static const MemoryRegionOps coalesced_ops = {
    .read = coalesced_read, .write = coalesced_write,
    .valid_sizes = ACCESS_4 | ACCESS_8,
};

static int map(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
               const MemoryRegionOps *ops, void *opaque, bool coalesced,
               MemoryRegion **out, GError **errp)
{
    MemoryRegion *mr;

    if (!coalesced) {
        *out = memory_region_map_io(as, name, base, size, ops, opaque, errp);
        return *out ? 0 : -EBUSY;
    }
    /* coalescing is decided before mapping: the listener sees it at map time */
    mr = memory_region_new_io(name, size, ops, opaque);
    mr->coalesced = true;
    if (memory_region_map(as, mr, base, 0) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot map %s at 0x%" PRIx64,
                    name, base);
        memory_region_free(mr);
        return -EBUSY;
    }
    *out = mr;
    return 0;
}

struct testdev *testdev_create(AddressSpace *mem, AddressSpace *io, GError **errp)
{
    struct testdev *t = g_new0(struct testdev, 1);
    MemoryRegion *pio, *mmio, *bench, *coalesced;
    static const struct {
        bool pio;
        uint64_t off;
        unsigned size;
        bool match;
        uint64_t data;
    } bells[NR_DOORBELLS] = {
        [DOORBELL_A] = { true, 0x10, 4, false, 0 },
        [DOORBELL_B] = { true, 0x14, 2, true, 0x1234 },
        [DOORBELL_C] = { false, 0x020, 4, false, 0 },
        [DOORBELL_D] = { false, 0x028, 8, true, 0xfeedfacecafebeefULL },
    };

    pthread_mutex_init(&t->lock, NULL);
    t->mem = mem;
    if (map(io, "testdev-pio", PIO_BASE, PIO_SIZE, &pio_ops, t, false, &pio, errp) < 0 ||
        map(mem, "testdev-mmio", MMIO_BASE, MMIO_SIZE, &mmio_ops, t, false, &mmio, errp) < 0 ||
        map(io, "testdev-bench", PIO_BENCH, 4, &bench_ops, t, false, &bench, errp) < 0 ||
        map(mem, "testdev-coalesced", COALESCED_BASE, 0x1000, &coalesced_ops, t, true,
            &coalesced, errp) < 0)
        return NULL;
    for (int i = 0; i < NR_DOORBELLS; i++) {
        int ret;

        t->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (t->efd[i] < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "testdev: eventfd: %s", g_strerror(errno));
            return NULL;
        }
        ret = memory_region_add_eventfd(bells[i].pio ? pio : mmio, bells[i].off,
                                        bells[i].size, bells[i].match, bells[i].data,
                                        t->efd[i]);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "testdev: ioeventfd %d: %s", i, g_strerror(-ret));
            return NULL;
        }
    }
    return t;
}
