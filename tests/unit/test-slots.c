/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM memory slots without KVM: the set/get/clear callbacks record what
 * the ioctls would have been given.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/kvm-slots.h"

#define PAGE 4096ULL
#define MiB (1ULL << 20)

struct fake {
    struct kvm_slot last_set;
    int sets;
    unsigned long *kernel_log[8];   /* per slot id: what GET returns */
    GArray *clears;                 /* struct clear_call */
};

struct clear_call {
    unsigned int slot;
    uint64_t first, npages;
    unsigned long bits[8];          /* first 512 pages are enough here */
};

static int fake_set(void *opaque, const struct kvm_slot *s)
{
    struct fake *f = opaque;

    f->last_set = *s;
    f->sets++;
    return 0;
}

static int fake_get(void *opaque, struct kvm_slot *s)
{
    struct fake *f = opaque;

    memcpy(s->dirty, f->kernel_log[s->id], bitmap_bytes(s->size / PAGE));
    return 0;
}

static int fake_clear(void *opaque, struct kvm_slot *s, uint64_t first, uint64_t npages,
                      const unsigned long *bits)
{
    struct fake *f = opaque;
    struct clear_call c = { .slot = s->id, .first = first, .npages = npages };

    g_assert_cmpuint(first % 64, ==, 0);
    g_assert_true(npages % 64 == 0 || first + npages == s->size / PAGE);
    memcpy(c.bits, bits, MIN(sizeof(c.bits), bitmap_bytes(npages)));
    g_array_append_val(f->clears, c);
    return 0;
}

static void setup(struct kvm_slots *t, struct fake *f, unsigned int nr)
{
    memset(f, 0, sizeof(*f));
    f->clears = g_array_new(FALSE, TRUE, sizeof(struct clear_call));
    kvm_slots_init(t, nr);
    t->set_fn = fake_set;
    t->get_dirty_fn = fake_get;
    t->clear_dirty_fn = fake_clear;
    t->opaque = f;
}

static MemorySection section(MemoryRegion *mr, uint64_t addr, uint64_t size, uint64_t off)
{
    return (MemorySection){ .mr = mr, .addr = addr, .size = size, .offset = off };
}

static void test_ids_and_limit(void)
{
    struct kvm_slots t;
    struct fake f;
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 64 * MiB, (void *)0x10000000);
    MemorySection a = section(ram, 0, 16 * MiB, 0);
    MemorySection b = section(ram, 32 * MiB, 16 * MiB, 32 * MiB);
    MemorySection c = section(ram, 48 * MiB, 16 * MiB, 48 * MiB);

    setup(&t, &f, 2);
    g_assert_cmpint(kvm_slots_add(&t, &a, false), ==, 0);
    g_assert_cmpuint(f.last_set.id, ==, 0);
    g_assert_cmpint(kvm_slots_add(&t, &b, false), ==, 0);
    g_assert_cmpuint(f.last_set.id, ==, 1);
    g_assert_cmphex((uintptr_t)f.last_set.host, ==, 0x10000000 + 32 * MiB);
    g_assert_cmpint(kvm_slots_add(&t, &c, false), ==, -ENOSPC);   /* the limit */

    kvm_slots_del(&t, &a);
    g_assert_cmpuint(f.last_set.id, ==, 0);
    g_assert_cmpuint(f.last_set.size, ==, 0);                      /* delete */
    g_assert_cmpint(kvm_slots_add(&t, &c, false), ==, 0);
    g_assert_cmpuint(f.last_set.id, ==, 0);                        /* id reused */
    g_assert_cmphex(f.last_set.gpa, ==, 48 * MiB);
    g_assert_cmpuint(t.used, ==, 2);

    kvm_slots_destroy(&t);
    memory_region_free(ram);
    g_array_free(f.clears, TRUE);
}

static void test_alignment_and_flags(void)
{
    struct kvm_slots t;
    struct fake f;
    MemoryRegion *rom = memory_region_new_ram_ptr("rom", 4 * MiB, (void *)0x20000000);
    MemorySection odd = section(rom, 0x1800, 3 * PAGE, 0x1800);
    MemorySection tiny = section(rom, 0x100, 0x200, 0x100);

    rom->readonly = true;
    setup(&t, &f, 8);
    /* shrunk to the whole pages inside */
    g_assert_cmpint(kvm_slots_add(&t, &odd, true), ==, 0);
    g_assert_cmphex(f.last_set.gpa, ==, 0x2000);
    g_assert_cmphex(f.last_set.size, ==, 2 * PAGE);
    g_assert_cmphex((uintptr_t)f.last_set.host, ==, 0x20002000);
    g_assert_cmphex(f.last_set.flags, ==, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);
    /* less than a page: no slot at all */
    f.sets = 0;
    g_assert_cmpint(kvm_slots_add(&t, &tiny, false), ==, 0);
    g_assert_cmpint(f.sets, ==, 0);
    /* logging toggles the flag on the same slot */
    g_assert_cmpint(kvm_slots_set_logging(&t, &odd, false), ==, 0);
    g_assert_cmphex(f.last_set.flags, ==, KVM_MEM_READONLY);
    kvm_slots_destroy(&t);
    memory_region_free(rom);
    g_array_free(f.clears, TRUE);
}

static int record_chunk(void *opaque, uint64_t first, uint64_t npages)
{
    GArray *a = opaque;
    uint64_t pair[2] = { first, npages };

    g_array_append_vals(a, pair, 2);
    return 0;
}

static void test_clear_chunks(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));

    /* unaligned request: widened to 64-page boundaries */
    g_assert_cmpint(kvm_dirty_clear_chunks(1000, 70, 10, 1 << 18, record_chunk, a), ==, 0);
    g_assert_cmpuint(a->len, ==, 2);
    g_assert_cmpuint(g_array_index(a, uint64_t, 0), ==, 64);
    g_assert_cmpuint(g_array_index(a, uint64_t, 1), ==, 64);
    /* the end of the slot need not be a multiple of 64 */
    g_array_set_size(a, 0);
    kvm_dirty_clear_chunks(1000, 900, 100, 1 << 18, record_chunk, a);
    g_assert_cmpuint(g_array_index(a, uint64_t, 0), ==, 896);
    g_assert_cmpuint(g_array_index(a, uint64_t, 1), ==, 104);
    /* chunking */
    g_array_set_size(a, 0);
    kvm_dirty_clear_chunks(1000, 0, 1000, 256, record_chunk, a);
    g_assert_cmpuint(a->len, ==, 8);
    g_assert_cmpuint(g_array_index(a, uint64_t, 6), ==, 768);
    g_assert_cmpuint(g_array_index(a, uint64_t, 7), ==, 232);
    /* nonsense */
    g_assert_cmpint(kvm_dirty_clear_chunks(1000, 990, 20, 256, record_chunk, a), ==, -EINVAL);
    g_assert_cmpint(kvm_dirty_clear_chunks(1000, 0, 0, 256, record_chunk, a), ==, -EINVAL);
    g_assert_cmpint(kvm_dirty_clear_chunks(1000, 0, 10, 100, record_chunk, a), ==, -EINVAL);
    g_array_free(a, TRUE);
}

static void test_sync_and_clear(void)
{
    struct kvm_slots t;
    struct fake f;
    g_autofree uint8_t *host = g_malloc0(8 * MiB);
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 8 * MiB, host);
    /* a slot starting 3 pages into the region: bits land shifted by 3 */
    MemorySection s = section(ram, 0x100000 + 3 * PAGE, 512 * PAGE, 3 * PAGE);
    MemorySection part = section(ram, 0x100000 + (3 + 100) * PAGE, 10 * PAGE,
                                 (3 + 100) * PAGE);
    struct clear_call *c;

    setup(&t, &f, 8);
    t.manual_protect = true;
    g_assert_cmpint(kvm_slots_add(&t, &s, true), ==, 0);
    f.kernel_log[0] = bitmap_new(512);
    set_bit(0, f.kernel_log[0]);
    set_bit(101, f.kernel_log[0]);
    set_bit(105, f.kernel_log[0]);
    set_bit(200, f.kernel_log[0]);
    g_assert_cmpint(kvm_slots_sync(&t, &s), ==, 0);
    g_assert_true(test_bit(3, ram->dirty));
    g_assert_true(test_bit(104, ram->dirty));
    g_assert_true(test_bit(203, ram->dirty));
    g_assert_cmpuint(bitmap_count_range(ram->dirty, 0, 2048), ==, 4);

    /* clearing pages 100..109 of the slot re-protects only 101 and 105 */
    g_assert_cmpint(kvm_slots_clear(&t, &part), ==, 0);
    g_assert_cmpuint(f.clears->len, ==, 1);
    c = &g_array_index(f.clears, struct clear_call, 0);
    g_assert_cmpuint(c->first, ==, 64);
    g_assert_cmpuint(c->npages, ==, 64);
    g_assert_cmphex(c->bits[0], ==, (1UL << (101 - 64)) | (1UL << (105 - 64)));

    /* without manual protect, GET already re-armed: no CLEAR */
    t.manual_protect = false;
    g_assert_cmpint(kvm_slots_clear(&t, &s), ==, 0);
    g_assert_cmpuint(f.clears->len, ==, 1);

    bitmap_free(f.kernel_log[0]);
    kvm_slots_destroy(&t);
    memory_region_free(ram);
    g_array_free(f.clears, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/slots/ids-and-limit", test_ids_and_limit);
    g_test_add_func("/slots/alignment-and-flags", test_alignment_and_flags);
    g_test_add_func("/slots/clear-chunks", test_clear_chunks);
    g_test_add_func("/slots/sync-and-clear", test_sync_and_clear);
    return g_test_run();
}
