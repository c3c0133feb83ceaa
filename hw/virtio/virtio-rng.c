/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-rng (VIRTIO 1.2, 5.4): fills the driver's buffers from
 * /dev/urandom.  A token bucket limits the guest to max_bytes per period
 * (QEMU's max-bytes and period properties): when the quota is spent,
 * requests wait in the ring until a timerfd on the I/O thread refills it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/virtio_ids.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/virtio-iov.h"
#include "qemu-vmm/virtio-rng.h"

#define QUEUE_SIZE      64
#define MAX_REQUEST     (64 * 1024)     /* bytes given to one buffer at a time */

struct virtio_rng {
    struct virtio_device vdev;
    int fd;
    int timer_fd;
    struct virtio_fd_handler *timer_handler;
    uint64_t max_bytes, period_ms;
    uint64_t quota;         /* bytes left in this period */
    bool timer_armed;
};

static struct virtio_rng *to_rng(struct virtio_device *vdev)
{
    return (struct virtio_rng *)vdev;
}

/* The first bytes of a period start its timer; the quota refills when it fires. */
static void arm_timer(struct virtio_rng *s)
{
    struct itimerspec its = {
        .it_value.tv_sec = (time_t)(s->period_ms / 1000),
        .it_value.tv_nsec = (long)(s->period_ms % 1000) * 1000000L,
    };

    if (s->timer_armed)
        return;
    if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
        its.it_value.tv_nsec = 1;
    if (timerfd_settime(s->timer_fd, 0, &its, NULL) == 0)
        s->timer_armed = true;
}

/* Fill one buffer with up to max bytes; returns the bytes written. */
static uint32_t fill(struct virtio_rng *s, struct virtq_elem *e, size_t max)
{
    struct iovec iov[64];
    size_t done = 0;
    int cnt = iov_slice(e->in_sg, e->in_num, 0, max, iov, G_N_ELEMENTS(iov));

    if (cnt < 0)    /* very fragmented: use the first pieces only */
        cnt = iov_slice(e->in_sg, MIN(e->in_num, (unsigned int)G_N_ELEMENTS(iov)), 0,
                        max, iov, G_N_ELEMENTS(iov));
    while (cnt > 0) {
        ssize_t n = readv(s->fd, iov, cnt);
        struct iovec *p = iov;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
        iov_advance(&p, &cnt, (size_t)n);
        memmove(iov, p, sizeof(*p) * (size_t)cnt);
    }
    return (uint32_t)done;
}

static void rng_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct virtio_rng *s = to_rng(vdev);
    struct virtqueue *vq = &vdev->vq[q];
    bool pushed = false;

    while (s->quota) {
        struct virtq_elem *e;
        uint32_t n;
        int ret = virtqueue_pop(vq, &e);

        if (ret < 0) {
            virtio_error(vdev, "%s", vq->error);
            return;
        }
        if (ret == 0)
            break;
        n = fill(s, e, MIN(MIN(s->quota, (uint64_t)MAX_REQUEST), e->in_len));
        arm_timer(s);
        s->quota -= n;
        virtqueue_push(vq, e, n);
        virtqueue_elem_free(e);
        pushed = true;
    }
    if (pushed)
        virtio_notify(vdev, vq);
}

static void on_timer(void *opaque, uint32_t events)
{
    struct virtio_rng *s = opaque;
    uint64_t n;

    (void)events;
    if (read(s->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&s->vdev.lock);
    s->timer_armed = false;
    s->quota = s->max_bytes;
    if (virtio_queue_active(&s->vdev, 0))
        rng_handle_queue(&s->vdev, 0);
    pthread_mutex_unlock(&s->vdev.lock);
}

static void rng_reset(struct virtio_device *vdev)
{
    (void)vdev;     /* the quota is the host's limit: a reset does not refill it */
}

static const struct virtio_device_ops rng_ops = {
    .handle_queue = rng_handle_queue,
    .reset = rng_reset,
};

struct virtio_device *virtio_rng_create(const char *name, AddressSpace *as,
                                        const struct virtio_rng_conf *conf,
                                        GError **errp)
{
    struct virtio_rng *s = g_new0(struct virtio_rng, 1);
    const char *path = conf->filename ? conf->filename : "/dev/urandom";
    uint16_t qmax = QUEUE_SIZE;

    s->timer_fd = -1;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open '%s': %s", path, strerror(errno));
        g_free(s);
        return NULL;
    }
    s->max_bytes = s->quota = conf->max_bytes;
    s->period_ms = conf->period_ms;
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->timer_fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "timerfd: %s", strerror(errno));
        close(s->fd);
        g_free(s);
        return NULL;
    }
    if (virtio_device_init(&s->vdev, name, VIRTIO_ID_RNG, &rng_ops, as, 0, 1, &qmax, 0,
                           errp) < 0) {
        virtio_rng_free(&s->vdev);
        return NULL;
    }
    s->timer_handler = virtio_iothread_add_fd(s->vdev.iothread, s->timer_fd, EPOLLIN,
                                              on_timer, s, errp);
    if (!s->timer_handler) {
        virtio_rng_free(&s->vdev);
        return NULL;
    }
    return &s->vdev;
}

void virtio_rng_free(struct virtio_device *vdev)
{
    struct virtio_rng *s = to_rng(vdev);

    if (!vdev)
        return;
    virtio_device_cleanup(vdev);
    close(s->timer_fd);
    close(s->fd);
    g_free(s);
}
