/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the virtio-mmio transport (hw/virtio/virtio-mmio.c)
 * with real devices behind it: a virtio-rng (reading /dev/urandom) and a
 * virtio-blk on a 64 KiB memfd image, each on its own I/O thread as in
 * qemu-vmm.  The input is a sequence of register accesses (offset, width,
 * value; offsets run past the end of the window), guest RAM writes (to
 * build rings and requests) and pauses that let the I/O threads work.
 * Notifications take the slow path: there is no KVM for the ioeventfds.
 *
 * Between inputs the devices are reset by the driver's status write of 0,
 * which waits for the requests in flight; then the device must read back
 * as reset.  Guest RAM is fenced by guard pages.
 *
 * Input: operations to the end, each a u8: bits 0-1 the kind (read,
 * write, RAM write, pause), bit 2 the device, bits 4-5 the width; then
 * u16 offset (and a value for writes).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_mmio.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-blk.h"
#include "qemu-vmm/virtio-mmio.h"
#include "qemu-vmm/virtio-rng.h"

#include "fuzz-common.h"

#define RAM_SIZE    (256 * 1024ULL)
#define MMIO_BASE   0x10000000ULL
#define WINDOW      0x200
#define IMAGE_SIZE  (64 * 1024)
#define MAX_PAUSES  32

static AddressSpace *as;
static uint8_t *ram;

static void fuzz_machine_init(void)
{
    struct virtio_rng_conf rng = { .max_bytes = VIRTIO_RNG_DEFAULT_MAX_BYTES,
                                   .period_ms = VIRTIO_RNG_DEFAULT_PERIOD_MS };
    struct virtio_blk_conf blk = { .cache = BLK_CACHE_WRITEBACK, .aio = BLK_AIO_AUTO,
                                   .serial = "fuzz" };
    struct virtio_device *dev[2];
    g_autofree char *path = NULL;
    GError *err = NULL;
    int fd;

    as = address_space_new("memory", 1ULL << 32, false);
    ram = fuzz_guarded_alloc(RAM_SIZE);
    if (memory_region_map(as, memory_region_new_ram_ptr("ram", RAM_SIZE, ram), 0, 0) < 0)
        abort();
    fd = memfd_create("virtio-mmio-fuzz-disk", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, IMAGE_SIZE) < 0)
        abort();
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    blk.path = path;
    dev[0] = virtio_rng_create("virtio-rng0", as, &rng, &err);
    dev[1] = virtio_blk_create("virtio-blk0", as, &blk, &err);
    for (int i = 0; i < 2; i++)
        if (!dev[i] || !virtio_mmio_create(as, MMIO_BASE + i * WINDOW,
                                           (struct irq_line){ .gsi = 5 + i }, dev[i], &err)) {
            fprintf(stderr, "%s\n", err ? err->message : "?");
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned int pauses = 0;

    if (!as)
        fuzz_machine_init();
    memset(ram, 0, RAM_SIZE);
    while (in.len) {
        uint8_t op = fin_u8(&in);
        uint64_t base = MMIO_BASE + ((op >> 2) & 1) * WINDOW;
        unsigned w = fuzz_width(op >> 4);

        switch (op & 3) {
        case 0:
            (void)address_space_read_io(as, base + fin_u16(&in) % (WINDOW + 8), w);
            break;
        case 1: {
            uint64_t off = fin_u16(&in) % (WINDOW + 8);

            address_space_write_io(as, base + off, w == 8 ? fin_u64(&in) : fin_u32(&in), w);
            break;
        }
        case 2: {   /* the driver writes guest RAM (descriptors, rings, headers) */
            uint64_t off = (uint64_t)fin_u16(&in) * 4 % (RAM_SIZE - 8);
            uint64_t v = fin_u64(&in);

            memcpy(ram + off, &v, 8);
            break;
        }
        default:    /* a pause: the I/O threads get to run */
            /* a few per input: on a busy host each yield may take a time slice */
            for (unsigned int i = fin_u8(&in) % 4; i && pauses < MAX_PAUSES; i--, pauses++)
                sched_yield();
            break;
        }
    }
    for (int i = 0; i < 2; i++) {
        address_space_write_io(as, MMIO_BASE + i * WINDOW + VIRTIO_MMIO_STATUS, 0, 4);
        if (address_space_read_io(as, MMIO_BASE + i * WINDOW + VIRTIO_MMIO_STATUS, 4) != 0 ||
            address_space_read_io(as, MMIO_BASE + i * WINDOW + VIRTIO_MMIO_MAGIC_VALUE, 4) !=
            VIRTIO_MMIO_MAGIC)
            abort();
    }
    return 0;
}
