/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-blk on a raw image file (VIRTIO 1.2, 5.2). */
#ifndef QEMU_VMM_VIRTIO_BLK_H
#define QEMU_VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"

enum blk_cache {
    BLK_CACHE_WRITEBACK,    /* page cache, flush = fdatasync (the default) */
    BLK_CACHE_NONE,         /* O_DIRECT */
    BLK_CACHE_WRITETHROUGH, /* O_DSYNC */
    BLK_CACHE_DIRECTSYNC,   /* O_DIRECT | O_DSYNC */
    BLK_CACHE_UNSAFE,       /* flushes are ignored */
};

enum blk_aio_mode {
    BLK_AIO_AUTO,           /* io_uring if it works, else threads */
    BLK_AIO_THREADS,
    BLK_AIO_IO_URING,
};

struct virtio_blk_conf {
    const char *path;
    bool readonly;
    enum blk_cache cache;
    enum blk_aio_mode aio;
    bool discard_unmap;     /* discard=unmap: punch holes (else discards are no-ops) */
    const char *serial;     /* GET_ID string, at most 20 bytes; NULL: empty */
};

/* Open the image and create the device (not yet on a transport). */
struct virtio_device *virtio_blk_create(const char *name, AddressSpace *as,
                                        const struct virtio_blk_conf *conf,
                                        GError **errp);
void virtio_blk_free(struct virtio_device *vdev);

#endif
