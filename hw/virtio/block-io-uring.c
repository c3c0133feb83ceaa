/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The io_uring block backend.  Submissions and completions both happen on
 * the device's I/O thread (the device submits from its queue handler and
 * from completion callbacks), so the ring needs no lock.  Completions
 * arrive as an eventfd the I/O thread watches.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/virtio-blk-io.h"
#include "qemu-vmm/virtio-iov.h"

#ifdef CONFIG_LIBURING
#include <liburing.h>

#define RING_ENTRIES 128

struct uring_backend {
    struct blk_backend be;
    struct io_uring ring;
    bool ring_ok;
    int fd;
    int efd;
    struct virtio_iothread *io;
    struct virtio_fd_handler *handler;
    GQueue pending;     /* aios waiting for room in the submission queue */
};

static bool prep(struct uring_backend *u, struct blk_aio *aio)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

    if (!sqe)
        return false;
    switch (aio->op) {
    case BLK_OP_READ:
        io_uring_prep_readv(sqe, u->fd, aio->iov, (unsigned int)aio->iovcnt, aio->offset);
        break;
    case BLK_OP_WRITE:
        io_uring_prep_writev(sqe, u->fd, aio->iov, (unsigned int)aio->iovcnt, aio->offset);
        break;
    case BLK_OP_FLUSH:
        io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
        break;
    case BLK_OP_FALLOCATE:
        io_uring_prep_fallocate(sqe, u->fd, aio->mode, aio->offset, aio->len);
        break;
    }
    io_uring_sqe_set_data(sqe, aio);
    return true;
}

static void queue_aio(struct uring_backend *u, struct blk_aio *aio)
{
    if (!g_queue_is_empty(&u->pending) || !prep(u, aio))
        g_queue_push_tail(&u->pending, aio);
}

static void flush_pending(struct uring_backend *u)
{
    while (!g_queue_is_empty(&u->pending) && prep(u, g_queue_peek_head(&u->pending)))
        g_queue_pop_head(&u->pending);
    /* a failure leaves the entries in the ring: the next completion retries */
    io_uring_submit(&u->ring);
}

static void uring_submit(struct blk_backend *be, struct blk_aio *aio)
{
    struct uring_backend *u = (struct uring_backend *)be;

    queue_aio(u, aio);
    flush_pending(u);
}

/* One completion: a short read or write goes on from where it stopped. */
static void complete(struct uring_backend *u, struct blk_aio *aio, int res)
{
    if ((aio->op == BLK_OP_READ || aio->op == BLK_OP_WRITE) && res >= 0) {
        iov_advance(&aio->iov, &aio->iovcnt, (size_t)res);
        aio->offset += (uint64_t)res;
        if (iov_size(aio->iov, (unsigned int)aio->iovcnt)) {
            if (res == 0) {
                aio->done(aio, -EIO);   /* end of file inside the disk */
                return;
            }
            queue_aio(u, aio);
            return;
        }
        res = 0;
    }
    aio->done(aio, res < 0 ? res : 0);
}

static void on_completion(void *opaque, uint32_t events)
{
    struct uring_backend *u = opaque;
    struct io_uring_cqe *cqe;
    uint64_t n;

    (void)events;
    if (read(u->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        struct blk_aio *aio = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&u->ring, cqe);
        complete(u, aio, res);
    }
    flush_pending(u);
}

static void uring_free(struct blk_backend *be)
{
    struct uring_backend *u = (struct uring_backend *)be;

    if (u->handler)
        virtio_iothread_del_fd(u->io, u->handler);
    if (u->ring_ok)
        io_uring_queue_exit(&u->ring);
    if (u->efd >= 0)
        close(u->efd);
    g_free(u);
}

static const struct blk_backend_ops uring_ops = {
    .name = "io_uring",
    .submit = uring_submit,
    .free = uring_free,
};

struct blk_backend *blk_backend_new_io_uring(int fd, struct virtio_iothread *io,
                                             GError **errp)
{
    struct uring_backend *u = g_new0(struct uring_backend, 1);
    int ret;

    u->be.ops = &uring_ops;
    u->fd = fd;
    u->io = io;
    g_queue_init(&u->pending);
    u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (u->efd < 0) {
        ret = -errno;
        goto fail;
    }
    ret = io_uring_queue_init(RING_ENTRIES, &u->ring, 0);
    if (ret < 0)
        goto fail;
    u->ring_ok = true;
    ret = io_uring_register_eventfd(&u->ring, u->efd);
    if (ret < 0)
        goto fail;
    u->handler = virtio_iothread_add_fd(io, u->efd, EPOLLIN, on_completion, u, errp);
    if (!u->handler) {
        uring_free(&u->be);
        return NULL;
    }
    return &u->be;
fail:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "io_uring: %s", strerror(-ret));
    uring_free(&u->be);
    return NULL;
}

#else

struct blk_backend *blk_backend_new_io_uring(int fd, struct virtio_iothread *io,
                                             GError **errp)
{
    (void)fd;
    (void)io;
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                "io_uring: qemu-vmm was built without liburing");
    return NULL;
}

#endif
