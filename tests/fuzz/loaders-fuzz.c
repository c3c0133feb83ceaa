/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the kernel-image loaders: a -kernel file goes
 * through what the machines do with it, into guest RAM (host memory fenced
 * by guard pages):
 *   x86 microvm: Multiboot, else bzImage, else PVH ELF (the probe order of
 *     hw/i386/microvm.c), then the loader with an initrd or Multiboot
 *     modules, then the boot tables and the MP table;
 *   arm64 virt: gunzip if gzip (at most 16 MiB here), the Image header,
 *     the RAM layout, and the kernel, initrd and a device tree stand-in
 *     written where the layout says.
 *
 * Input: u8 flags (bit 0 arm64; bits 1-2 the RAM size; bits 3-4 the number
 * of Multiboot modules), u16 initrd length and the initrd (each module
 * gets a piece of it), then the kernel image to the end.
 *
 * Oracle: an error exactly when a loader fails; a layout that is accepted
 * puts the kernel, initrd and device tree inside RAM without overlap.
 */
#include <stdlib.h>
#include <string.h>

#include "qemu-vmm/arm.h"
#ifdef __x86_64__
#include "qemu-vmm/x86.h"
#endif

#include "fuzz-common.h"

#define MiB         (1ULL << 20)
#define X86_HIGH    (1ULL << 32)
#define X86_HIGH_SIZE MiB
#define GUNZIP_MAX  (16 * MiB)
#define CMDLINE     "console=ttyS0 fuzz"

static const uint64_t ram_sizes[4] = { 2 * MiB, 4 * MiB, 8 * MiB, 16 * MiB };

struct guest {
    AddressSpace *as;
    uint64_t base, size;        /* the RAM region mapped in as */
};

/* One address space per RAM size, so that nothing is remapped per input. */
static struct guest arm_guest[4];
#ifdef __x86_64__
static struct guest x86_guest[4];
#endif

static void guest_init(struct guest *g, uint64_t base, uint64_t size, bool high)
{
    g->as = address_space_new("memory", 1ULL << 40, false);
    g->base = base;
    g->size = size;
    if (memory_region_map(g->as, memory_region_new_ram_ptr("ram", size,
                                                           fuzz_guarded_alloc(size)),
                          base, 0) < 0)
        abort();
    if (high && memory_region_map(g->as, memory_region_new_ram_ptr("ram-high", X86_HIGH_SIZE,
                                                                   fuzz_guarded_alloc(X86_HIGH_SIZE)),
                                  X86_HIGH, 0) < 0)
        abort();
}

static bool in_ram(const struct guest *g, uint64_t addr, uint64_t len)
{
    return addr >= g->base && len <= g->size && addr - g->base <= g->size - len;
}

static void check_result(int ret, GError *err)
{
    if ((ret < 0) != (err != NULL) || ret > 0)
        abort();
}

static void load_arm64(struct guest *g, const uint8_t *kernel, size_t klen,
                       const uint8_t *initrd, size_t ilen)
{
    static const uint8_t dtb[64] = { 0xd0, 0x0d, 0xfe, 0xed };
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *inflated = NULL;
    struct arm64_boot_layout l;
    struct arm64_image img;
    int ret = 0;

    if (arm64_image_is_gzip(kernel, klen)) {
        ret = arm64_gunzip(kernel, klen, GUNZIP_MAX, &inflated, &klen, &err);
        check_result(ret, err);
        if (ret < 0)
            return;
        if (klen > GUNZIP_MAX)
            abort();
        kernel = inflated;
    }
    ret = arm64_image_parse(kernel, klen, &img, &err);
    check_result(ret, err);
    if (ret < 0)
        return;
    ret = arm64_boot_layout(g->base, g->size, &img, ilen, &l, &err);
    check_result(ret, err);
    if (ret < 0)
        return;
    if (klen > img.image_size || l.kernel_end - l.kernel_addr != img.image_size ||
        !in_ram(g, l.kernel_addr, img.image_size) || !in_ram(g, l.dtb_addr, ARM64_DTB_MAX) ||
        l.dtb_addr % 8 || l.dtb_addr < l.kernel_end ||
        (ilen && (!in_ram(g, l.initrd_addr, ilen) || l.initrd_addr < l.kernel_end ||
                  l.initrd_addr + ilen > l.dtb_addr)))
        abort();
    /* what hw/arm/virt.c's load_images() then does */
    if (address_space_write(g->as, l.kernel_addr, kernel, klen) < 0 ||
        (ilen && address_space_write(g->as, l.initrd_addr, initrd, ilen) < 0) ||
        address_space_write(g->as, l.dtb_addr, dtb, sizeof(dtb)) < 0)
        abort();
}

#ifdef __x86_64__
static void load_x86(struct guest *g, unsigned int nmods, const uint8_t *kernel, size_t klen,
                     const uint8_t *initrd, size_t ilen)
{
    struct x86_ram_layout ram = { .below_4g = g->size, .above_4g = X86_HIGH_SIZE };
    struct multiboot_module mods[3];
    struct x86_boot_state boot;
    g_autoptr(GError) err = NULL;
    int ret;

    if (multiboot_probe(kernel, klen)) {
        static const char *const names[3] = { "mod0 arg", "mod1", "" };

        for (unsigned int i = 0; i < nmods; i++) {
            size_t piece = ilen / nmods;

            mods[i] = (struct multiboot_module){ names[i], initrd + i * piece, piece };
        }
        ret = multiboot_load(g->as, ram.below_4g, ram.above_4g, kernel, klen, CMDLINE,
                             mods, (int)nmods, &boot, &err);
        check_result(ret, err);
        if (ret == 0 && x86_write_boot_tables(g->as, false) < 0)
            abort();
    } else if (linux_bzimage_probe(kernel, klen)) {
        ret = linux_bzimage_load(g->as, &ram, kernel, klen, CMDLINE, initrd, ilen, &boot,
                                 &err);
        check_result(ret, err);
    } else if (pvh_probe(kernel, klen)) {
        ret = pvh_load(g->as, &ram, kernel, klen, CMDLINE, initrd, ilen, &boot, &err);
        check_result(ret, err);
    } else {
        return;
    }
    /* microvm writes the MP table after any loader; small RAM may refuse it */
    if (ret == 0)
        (void)x86_write_mptable(g->as, 2);
}
#endif

/* never NULL, also for 0 bytes (the loaders do arithmetic on the pointer) */
static uint8_t *own_copy(const uint8_t *p, size_t len)
{
    uint8_t *c = g_malloc(len ? len : 1);

    memcpy(c, p, len);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    uint8_t flags = fin_u8(&in);
    unsigned int r = (flags >> 1) & 3;
    g_autofree uint8_t *own_initrd = NULL, *own_kernel = NULL;
    const uint8_t *initrd, *kernel;
    size_t ilen, klen;

    if (!arm_guest[0].as) {
        for (int i = 0; i < 4; i++) {
            guest_init(&arm_guest[i], VIRT_RAM_BASE, ram_sizes[i], false);
#ifdef __x86_64__
            guest_init(&x86_guest[i], 0, ram_sizes[i], true);
#endif
        }
    }
    initrd = fin_bytes(&in, fin_u16(&in), &ilen);
    kernel = fin_bytes(&in, in.len, &klen);
    /*
     * Each file in a buffer of its own, as machine_read_file() gives them:
     * as aligned as malloc makes it, and ASan sees a read past its end.
     */
    initrd = own_initrd = own_copy(initrd, ilen);
    kernel = own_kernel = own_copy(kernel, klen);
    if (flags & 1)
        load_arm64(&arm_guest[r], kernel, klen, initrd, ilen);
#ifdef __x86_64__
    else
        load_x86(&x86_guest[r], (flags >> 3) & 3, kernel, klen, initrd, ilen);
#endif
    return 0;
}
