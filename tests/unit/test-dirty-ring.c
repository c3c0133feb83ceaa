/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM dirty ring: size rules and -accel parsing, harvesting rings in
 * plain memory into slot bitmaps (no KVM), and on the real /dev/kvm a vCPU
 * that dirties more pages than its ring holds: the ring-full exit must be
 * handled (the vCPU finishes) and every page written must be reported,
 * and no other.  The last part is skipped where /dev/kvm or its dirty ring
 * is missing.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/cpus.h"
#include "qemu-vmm/kvm.h"

#define PAGE 4096ULL
#define MiB (1ULL << 20)

static void test_check_size(void)
{
    GError *err = NULL;

    g_assert_cmpint(kvm_dirty_ring_check_size(4096, 1 << 20, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(kvm_dirty_ring_check_size(65536, 1 << 20, NULL), ==, 0);
    g_assert_cmpint(kvm_dirty_ring_check_size(256, -1, NULL), ==, 0);  /* cap not known yet */

    g_assert_cmpint(kvm_dirty_ring_check_size(1000, 1 << 20, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "power of two"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_dirty_ring_check_size(0, 1 << 20, NULL), ==, -EINVAL);
    g_assert_cmpint(kvm_dirty_ring_check_size(128, -1, &err), ==, -EINVAL);   /* < a page */
    g_assert_nonnull(strstr(err->message, "at least 256"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_dirty_ring_check_size(4096, 0, &err), ==, -ENOTSUP);
    g_assert_nonnull(strstr(err->message, "KVM_CAP_DIRTY_LOG_RING"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_dirty_ring_check_size(131072, 1 << 20, &err), ==, -E2BIG);
    g_assert_nonnull(strstr(err->message, "at most 65536"));
    g_clear_error(&err);
}

static void test_parse_accel(void)
{
    struct kvm_accel_opts o;
    GError *err = NULL;

    g_assert_cmpint(kvm_parse_accel_opts("kvm", &o, &err), ==, 0);
    g_assert_cmpuint(o.dirty_ring_size, ==, 0);
    g_assert_cmpint(kvm_parse_accel_opts("kvm,dirty-ring-size=4096", &o, &err), ==, 0);
    g_assert_cmpuint(o.dirty_ring_size, ==, 4096);
    g_assert_cmpint(kvm_parse_accel_opts("accel=kvm,dirty-ring-size=0x1000", &o, &err), ==, 0);
    g_assert_cmpuint(o.dirty_ring_size, ==, 4096);
    g_assert_cmpint(kvm_parse_accel_opts("kvm,dirty-ring-size=0", &o, &err), ==, 0);
    g_assert_cmpuint(o.dirty_ring_size, ==, 0);                     /* off, as QEMU */
    g_assert_no_error(err);

    g_assert_cmpint(kvm_parse_accel_opts("tcg", &o, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "only the kvm"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_parse_accel_opts("kvm,dirty-ring-size=lots", &o, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "number"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_parse_accel_opts("kvm,dirty-ring-size=3000", &o, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "power of two"));
    g_clear_error(&err);
    g_assert_cmpint(kvm_parse_accel_opts("kvm,turbo=on", &o, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "unknown property 'turbo'"));
    g_clear_error(&err);
}

struct seen {
    uint32_t slot[64];
    uint64_t offset[64];
    unsigned int n;
};

static void remember(void *opaque, uint32_t slot, uint64_t offset)
{
    struct seen *s = opaque;

    s->slot[s->n] = slot;
    s->offset[s->n] = offset;
    s->n++;
}

static void publish(struct kvm_dirty_gfn *g, uint32_t slot, uint64_t offset)
{
    g->slot = slot;
    g->offset = offset;
    g->flags = KVM_DIRTY_GFN_F_DIRTY;
}

static void test_collect(void)
{
    struct kvm_dirty_gfn ring[8] = { 0 };
    struct seen s = { 0 };
    uint32_t fetch = 6;

    /* entries 6, 7, 0 (wrapping) are published; 1 is not yet */
    publish(&ring[6], 0, 10);
    publish(&ring[7], 1, 11);
    publish(&ring[0], 0, 12);
    g_assert_cmpuint(kvm_dirty_ring_collect(ring, 8, &fetch, remember, &s), ==, 3);
    g_assert_cmpuint(fetch, ==, 9);
    g_assert_cmpuint(s.n, ==, 3);
    g_assert_cmpuint(s.slot[1], ==, 1);
    g_assert_cmpuint(s.offset[2], ==, 12);
    g_assert_cmpuint(ring[6].flags, ==, KVM_DIRTY_GFN_F_RESET);
    g_assert_cmpuint(ring[0].flags, ==, KVM_DIRTY_GFN_F_RESET);
    g_assert_cmpuint(ring[1].flags, ==, 0);
    /* nothing new: nothing collected, fetch stays */
    g_assert_cmpuint(kvm_dirty_ring_collect(ring, 8, &fetch, remember, &s), ==, 0);
    g_assert_cmpuint(fetch, ==, 9);
    /* an entry still waiting for KVM's reset is not collected twice */
    g_assert_cmpuint(kvm_dirty_ring_collect(ring, 8, &(uint32_t){ 6 }, remember, &s), ==, 0);

    /* a full ring: one lap at most */
    for (int i = 0; i < 8; i++)
        publish(&ring[i], 0, (uint64_t)i);
    s.n = 0;
    g_assert_cmpuint(kvm_dirty_ring_collect(ring, 8, &fetch, remember, &s), ==, 8);
    g_assert_cmpuint(fetch, ==, 17);
}

static int resets;

static int fake_reset(void *opaque)
{
    resets++;
    return 0;
}

static int fake_set(void *opaque, const struct kvm_slot *s)
{
    return 0;
}

static void test_reap_into_slots(void)
{
    struct kvm_slots t;
    struct kvm_dirty_ring r;
    struct kvm_dirty_gfn ring0[256] = { 0 }, ring1[256] = { 0 };
    MemoryRegion *ram = memory_region_new_ram_ptr("ram", 8 * MiB, (void *)0x10000000);
    MemorySection a = { .mr = ram, .addr = 0, .size = 4 * MiB, .offset = 0 };
    MemorySection b = { .mr = ram, .addr = 1ULL << 32, .size = 4 * MiB, .offset = 4 * MiB };
    unsigned long *taken = bitmap_new(2048);

    kvm_slots_init(&t, 4);
    t.set_fn = fake_set;
    t.dirty_ring = true;
    g_assert_cmpint(kvm_slots_add(&t, &a, true), ==, 0);     /* slot 0 */
    g_assert_cmpint(kvm_slots_add(&t, &b, true), ==, 0);     /* slot 1 */
    kvm_dirty_ring_init(&r, 256, KVM_CAP_DIRTY_LOG_RING, &t, fake_reset, NULL);
    kvm_dirty_ring_add_ring(&r, 0, ring0);
    kvm_dirty_ring_add_ring(&r, 1, ring1);

    /* an empty harvest does not call KVM */
    resets = 0;
    g_assert_cmpint(kvm_dirty_ring_reap(&r), ==, 0);
    g_assert_cmpint(resets, ==, 0);

    publish(&ring0[0], 0, 5);
    publish(&ring0[1], 1, 7);               /* slot 1, offset 7: region page 1024 + 7 */
    publish(&ring1[0], 0, 5);               /* the same page from another vCPU */
    publish(&ring1[1], 1u << 16 | 0, 9);    /* address space 1 (SMM): not ours */
    publish(&ring1[2], 3, 1);               /* no such slot */
    publish(&ring1[3], 0, 1024);            /* past the end of slot 0 */
    g_assert_cmpint(kvm_dirty_ring_reap(&r), ==, 6);
    g_assert_cmpint(resets, ==, 1);
    g_assert_cmpuint(r.harvested, ==, 6);

    /* the sync hands the harvest to the region and empties the slot bitmaps */
    g_assert_cmpint(kvm_slots_sync(&t, &a), ==, 0);
    g_assert_cmpint(kvm_slots_sync(&t, &b), ==, 0);
    g_assert_cmpint(memory_region_take_dirty(ram, 0, 8 * MiB, taken), ==, 0);
    g_assert_cmpuint(bitmap_count_range(taken, 0, 2048), ==, 2);
    g_assert_true(test_bit(5, taken));
    g_assert_true(test_bit(1024 + 7, taken));
    g_assert_cmpint(kvm_slots_sync(&t, &a), ==, 0);
    g_assert_cmpint(memory_region_take_dirty(ram, 0, 8 * MiB, taken), ==, 0);
    g_assert_cmpuint(bitmap_count_range(taken, 0, 2048), ==, 0);

    /* a harvest racing a deleted slot drops its entries */
    publish(&ring0[2], 1, 3);
    kvm_slots_del(&t, &b);
    g_assert_cmpint(kvm_dirty_ring_reap(&r), ==, 1);

    kvm_dirty_ring_destroy(&r);
    kvm_slots_destroy(&t);
    memory_region_free(ram);
    bitmap_free(taken);
}

/* ---- on /dev/kvm ---- */
#ifdef __x86_64__

#define FIRST_PAGE  0x10            /* real mode: pages 0x10000 .. 0xeffff */
#define NR_PAGES    0xe0

static volatile gint done;

static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    g_atomic_int_set(&done, 1);
}

static const MemoryRegionOps port_ops = {
    .read = port_read, .write = port_write, .valid_sizes = ACCESS_1,
};

static void test_ring_full_on_kvm(void)
{
    /*
     * Real mode at 0x1000: one byte into each of NR_PAGES pages from
     * FIRST_PAGE, then out %al, $0x80 and halt.
     *   mov $0x1000, %ax; mov %ax, %es; mov $NR_PAGES, %cx
     *   1: movb $1, %es:0; add $0x100, %ax; mov %ax, %es; dec %cx; jnz 1b
     *   out %al, $0x80; 2: hlt; jmp 2b
     */
    static const uint8_t code[] = {
        0xb8, 0x00, FIRST_PAGE, 0x8e, 0xc0, 0xb9, NR_PAGES, 0x00,
        0x26, 0xc6, 0x06, 0x00, 0x00, 0x01, 0x05, 0x00, 0x01, 0x8e, 0xc0, 0x49, 0x75, 0xf2,
        0xe6, 0x80, 0xf4, 0xeb, 0xfd,
    };
    struct kvm_accel_opts opts = { .dirty_ring_size = 256 };    /* soft-full at < 224 */
    g_autoptr(GError) err = NULL;
    struct kvm_sregs sr;
    struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
    unsigned long *taken = bitmap_new(512);
    AddressSpace *mem, *io;
    MemoryRegion *ram, *port;
    CPUState *cpu;
    KVMState *s;

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        g_test_skip("no usable /dev/kvm");
        return;
    }
    kvm_set_accel_opts(&opts);
    s = kvm_init(0, &err);
    kvm_set_accel_opts(&(struct kvm_accel_opts){ 0 });
    if (!s && err && strstr(err->message, "no dirty ring")) {
        g_test_skip("this KVM has no dirty ring");
        return;
    }
    g_assert_no_error(err);
    g_assert_nonnull(s->dirty_ring);
    s->dirty_ring->period_ms = 60000;   /* only the ring-full exit may harvest */
    mem = address_space_new("memory", 1ULL << 40, false);
    io = address_space_new("io", 0x10000, true);
    g_assert_cmpint(kvm_attach_address_space(s, mem, &err), ==, 0);
    g_assert_cmpint(kvm_attach_address_space(s, io, &err), ==, 0);
    ram = memory_region_new_ram_ptr("ram", 2 * MiB, guest_ram_alloc(2 * MiB, &err));
    memcpy(ram->host + 0x1000, code, sizeof(code));
    g_assert_cmpint(memory_region_map(mem, ram, 0, 0), ==, 0);
    port = memory_region_new_io("port", 1, &port_ops, NULL);
    g_assert_cmpint(memory_region_map(io, port, 0x80, 0), ==, 0);

    memory_global_dirty_log_start(mem);
    g_assert_cmpint(vcpu_create(0, NULL, &cpu), ==, 0);
    g_assert_cmpint(ioctl(cpu->fd, KVM_GET_SREGS, &sr), ==, 0);
    sr.cs.base = 0;
    sr.cs.selector = 0;
    g_assert_cmpint(ioctl(cpu->fd, KVM_SET_SREGS, &sr), ==, 0);
    g_assert_cmpint(ioctl(cpu->fd, KVM_SET_REGS, &regs), ==, 0);
    g_assert_cmpint(vcpus_start(&cpu, 1, false), ==, 0);
    for (int i = 0; i < 5000 && !g_atomic_int_get(&done); i++)
        g_usleep(1000);
    g_assert_true(g_atomic_int_get(&done));     /* not stuck on a full ring */
    vcpus_pause_all();

    g_assert_cmpuint(s->dirty_ring->full_exits, >=, 1);
    g_assert_cmpint(memory_global_dirty_log_sync(mem), ==, 0);
    g_assert_cmpint(memory_region_take_dirty(ram, 0, 2 * MiB, taken), ==, 0);
    /* exactly the pages written: none lost across the full ring */
    g_assert_cmpuint(bitmap_count_range(taken, 0, 512), ==, NR_PAGES);
    g_assert_cmpuint(bitmap_find_next_bit(taken, 512, 0), ==, FIRST_PAGE);
    g_assert_cmpuint(bitmap_find_next_zero_bit(taken, 512, FIRST_PAGE), ==,
                     FIRST_PAGE + NR_PAGES);
    for (uint64_t p = FIRST_PAGE; p < FIRST_PAGE + NR_PAGES; p++)
        g_assert_cmpuint(ram->host[p * PAGE], ==, 1);
    vcpus_stop();
    memory_global_dirty_log_stop(mem);
    vcpu_destroy(cpu);
    bitmap_free(taken);
}
#endif

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dirty-ring/check-size", test_check_size);
    g_test_add_func("/dirty-ring/parse-accel", test_parse_accel);
    g_test_add_func("/dirty-ring/collect", test_collect);
    g_test_add_func("/dirty-ring/reap-into-slots", test_reap_into_slots);
#ifdef __x86_64__
    g_test_add_func("/dirty-ring/ring-full-on-kvm", test_ring_full_on_kvm);
#endif
    return g_test_run();
}
