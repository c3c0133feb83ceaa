/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The thread-pool block backend: pool threads run preadv/pwritev/
 * fdatasync/fallocate, so a slow disk never stalls the device's I/O thread
 * or a vCPU.  Used when io_uring is not available, or with aio=threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "qemu-vmm/sandbox.h"
#include "qemu-vmm/virtio-blk-io.h"
#include "qemu-vmm/virtio-iov.h"

struct threads_backend {
    struct blk_backend be;
    int fd;
    unsigned int nthreads;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GQueue queue;       /* struct blk_aio * */
    bool stop;
};

static int run_rw(int fd, struct blk_aio *aio)
{
    while (iov_size(aio->iov, (unsigned int)aio->iovcnt)) {
        ssize_t n = aio->op == BLK_OP_READ ?
                    preadv(fd, aio->iov, aio->iovcnt, (off_t)aio->offset) :
                    pwritev(fd, aio->iov, aio->iovcnt, (off_t)aio->offset);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;    /* end of file inside the disk: it shrank */
        iov_advance(&aio->iov, &aio->iovcnt, (size_t)n);
        aio->offset += (uint64_t)n;
    }
    return 0;
}

static int run_aio(int fd, struct blk_aio *aio)
{
    switch (aio->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        return run_rw(fd, aio);
    case BLK_OP_FLUSH:
        return fdatasync(fd) < 0 ? -errno : 0;
    case BLK_OP_FALLOCATE:
        return fallocate(fd, aio->mode, (off_t)aio->offset, (off_t)aio->len) < 0 ? -errno : 0;
    }
    return -EINVAL;
}

static void *worker(void *opaque)
{
    struct threads_backend *t = opaque;

    pthread_setname_np(pthread_self(), "blk-worker");
    sandbox_thread_start(SANDBOX_BLOCK_WORKER, "blk-worker", -1);
    for (;;) {
        struct blk_aio *aio;

        pthread_mutex_lock(&t->lock);
        while (!t->stop && g_queue_is_empty(&t->queue))
            pthread_cond_wait(&t->cond, &t->lock);
        if (t->stop && g_queue_is_empty(&t->queue)) {
            pthread_mutex_unlock(&t->lock);
            return NULL;
        }
        aio = g_queue_pop_head(&t->queue);
        pthread_mutex_unlock(&t->lock);
        aio->done(aio, run_aio(t->fd, aio));
    }
}

static void threads_submit(struct blk_backend *be, struct blk_aio *aio)
{
    struct threads_backend *t = (struct threads_backend *)be;

    pthread_mutex_lock(&t->lock);
    g_queue_push_tail(&t->queue, aio);
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void threads_free(struct blk_backend *be)
{
    struct threads_backend *t = (struct threads_backend *)be;

    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    for (unsigned int i = 0; i < t->nthreads; i++)
        pthread_join(t->threads[i], NULL);
    g_free(t->threads);
    g_free(t);
}

static const struct blk_backend_ops threads_ops = {
    .name = "threads",
    .submit = threads_submit,
    .free = threads_free,
};

struct blk_backend *blk_backend_new_threads(int fd, unsigned int nthreads, GError **errp)
{
    struct threads_backend *t = g_new0(struct threads_backend, 1);

    t->be.ops = &threads_ops;
    t->fd = fd;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    g_queue_init(&t->queue);
    t->threads = g_new0(pthread_t, nthreads);
    for (unsigned int i = 0; i < nthreads; i++) {
        int ret = pthread_create(&t->threads[i], NULL, worker, t);

        if (ret) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "cannot start an I/O thread: %s", strerror(ret));
            threads_free(&t->be);
            return NULL;
        }
        t->nthreads++;
    }
    return &t->be;
}
