/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous file I/O for virtio-blk: io_uring where liburing was found
 * at build time and the kernel allows it, else a pool of threads doing
 * preadv/pwritev.  Either way the device submits from its I/O thread and
 * never waits; completions call aio->done on a backend thread (the
 * device's I/O thread for io_uring, a pool thread otherwise).
 */
#ifndef QEMU_VMM_VIRTIO_BLK_IO_H
#define QEMU_VMM_VIRTIO_BLK_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "qemu-vmm/virtio-iothread.h"

enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,       /* fdatasync */
    BLK_OP_FALLOCATE,
};

struct blk_aio {
    enum blk_op op;
    /* READ/WRITE: the backend advances iov over short transfers */
    struct iovec *iov;
    int iovcnt;
    uint64_t offset;
    /* FALLOCATE */
    uint64_t len;
    int mode;
    /* 0 or -errno, once the whole transfer is done */
    void (*done)(struct blk_aio *aio, int ret);
    void *opaque;
};

struct blk_backend;

struct blk_backend_ops {
    const char *name;
    void (*submit)(struct blk_backend *be, struct blk_aio *aio);
    void (*free)(struct blk_backend *be);
};

struct blk_backend {
    const struct blk_backend_ops *ops;
};

/* NULL with errp set if io_uring is not built in or the kernel refuses it. */
struct blk_backend *blk_backend_new_io_uring(int fd, struct virtio_iothread *io,
                                             GError **errp);
struct blk_backend *blk_backend_new_threads(int fd, unsigned int nthreads, GError **errp);

static inline void blk_backend_submit(struct blk_backend *be, struct blk_aio *aio)
{
    be->ops->submit(be, aio);
}

static inline void blk_backend_free(struct blk_backend *be)
{
    if (be)
        be->ops->free(be);
}

#endif
