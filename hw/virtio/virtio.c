/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transport-independent core of a virtio device: status, features,
 * reset, interrupt status, errors, and the kick handlers on the device's
 * I/O thread.  See virtio-dev.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/virtio-dev.h"

static void irq_update(struct virtio_device *vdev)
{
    if (vdev->irq_update)
        vdev->irq_update(vdev, vdev->irq_opaque);
}

bool virtio_queue_active(struct virtio_device *vdev, unsigned int q)
{
    return q < vdev->num_queues && (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
           !vdev->broken && !vdev->resetting && !vdev->stopped && vdev->vq[q].ready &&
           !vdev->vq[q].broken;
}

static void on_kick(void *opaque, uint32_t events)
{
    struct virtio_kick *k = opaque;
    struct virtio_device *vdev = k->vdev;
    uint64_t n;

    (void)events;
    /* drain first: a kick that lands while we work runs us again */
    if (read(vdev->kick_fd[k->q], &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&vdev->lock);
    if (virtio_queue_active(vdev, k->q))
        vdev->ops->handle_queue(vdev, k->q);
    pthread_mutex_unlock(&vdev->lock);
}

int virtio_device_init(struct virtio_device *vdev, const char *name, uint32_t device_id,
                       const struct virtio_device_ops *ops, AddressSpace *as,
                       uint64_t features, unsigned int num_queues,
                       const uint16_t *queue_max, uint32_t config_len, GError **errp)
{
    g_assert(num_queues <= VIRTIO_MAX_QUEUES);
    vdev->name = g_strdup(name);
    vdev->device_id = device_id;
    vdev->ops = ops;
    vdev->as = as;
    vdev->host_features = features | (1ULL << VIRTIO_F_VERSION_1) |
                          (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
                          (1ULL << VIRTIO_RING_F_EVENT_IDX);
    pthread_mutex_init(&vdev->lock, NULL);
    pthread_cond_init(&vdev->drained, NULL);
    vdev->config = g_malloc0(config_len ? config_len : 1);
    vdev->config_len = config_len;
    vdev->num_queues = num_queues;
    for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
        vdev->kick_fd[i] = -1;
    for (unsigned int i = 0; i < num_queues; i++) {
        virtqueue_init(&vdev->vq[i], as, i, queue_max[i]);
        vdev->kick_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vdev->kick_fd[i] < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: eventfd: %s", name, strerror(errno));
            return -errno;
        }
        vdev->kick[i] = (struct virtio_kick){ vdev, i };
    }
    virtio_vmstate_track(vdev);
    vdev->iothread = virtio_iothread_new(name, errp);
    if (!vdev->iothread)
        return -EIO;
    for (unsigned int i = 0; i < num_queues; i++) {
        vdev->kick_handler[i] = virtio_iothread_add_fd(vdev->iothread, vdev->kick_fd[i],
                                                       EPOLLIN, on_kick, &vdev->kick[i],
                                                       errp);
        if (!vdev->kick_handler[i])
            return -EIO;
    }
    return 0;
}

void virtio_device_cleanup(struct virtio_device *vdev)
{
    virtio_vmstate_untrack(vdev);
    virtio_iothread_free(vdev->iothread);
    vdev->iothread = NULL;
    for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        if (vdev->kick_fd[i] >= 0)
            close(vdev->kick_fd[i]);
        vdev->kick_fd[i] = -1;
    }
    g_free(vdev->config);
    vdev->config = NULL;
    g_free(vdev->name);
    vdev->name = NULL;
}

void virtio_queue_kick(struct virtio_device *vdev, unsigned int q)
{
    uint64_t one = 1;

    if (q < vdev->num_queues && write(vdev->kick_fd[q], &one, sizeof(one)) < 0 &&
        errno != EAGAIN)
        error_report("%s: cannot signal queue %u: %s", vdev->name, q, strerror(errno));
}

void virtio_inflight_inc(struct virtio_device *vdev)
{
    vdev->inflight++;
}

void virtio_inflight_dec(struct virtio_device *vdev)
{
    g_assert(vdev->inflight > 0);
    if (--vdev->inflight == 0)
        pthread_cond_broadcast(&vdev->drained);
}

/* Wait, lock held, until the backends have finished what they were given. */
static void drain(struct virtio_device *vdev)
{
    bool was = vdev->resetting;

    vdev->resetting = true;     /* nothing new is started meanwhile */
    while (vdev->inflight)
        pthread_cond_wait(&vdev->drained, &vdev->lock);
    vdev->resetting = was;
}

void virtio_reset(struct virtio_device *vdev)
{
    drain(vdev);
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    for (unsigned int i = 0; i < vdev->num_queues; i++)
        virtqueue_reset(&vdev->vq[i]);
    vdev->status = 0;
    vdev->guest_features = 0;
    vdev->broken = false;
    vdev->isr = 0;
    irq_update(vdev);
}

void virtio_device_stop(struct virtio_device *vdev)
{
    vdev->stopped = true;
    drain(vdev);
    if (vdev->ops->pause)
        vdev->ops->pause(vdev);
}

/* Chains made available while we did not look came with kicks we dropped. */
static void kick_ready_queues(struct virtio_device *vdev)
{
    for (unsigned int i = 0; i < vdev->num_queues; i++)
        if (vdev->vq[i].ready)
            virtio_queue_kick(vdev, i);
}

void virtio_device_run(struct virtio_device *vdev)
{
    vdev->stopped = false;
    if (vdev->ops->resume)
        vdev->ops->resume(vdev);
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
        return;
    /* level-triggered: a status not acknowledged before the stop still stands */
    if (vdev->isr)
        irq_update(vdev);
    kick_ready_queues(vdev);
}

static bool features_ok(struct virtio_device *vdev)
{
    uint64_t f = vdev->guest_features;

    if (f & ~vdev->host_features) {
        vmm_log(LOG_GUEST_ERROR, "%s: driver accepted features 0x%" PRIx64
                " that were not offered (0x%" PRIx64 ")", vdev->name, f,
                vdev->host_features);
        return false;
    }
    if (!(f & (1ULL << VIRTIO_F_VERSION_1))) {
        vmm_log(LOG_GUEST_ERROR, "%s: driver did not accept VIRTIO_F_VERSION_1 "
                "(legacy drivers are not supported)", vdev->name);
        return false;
    }
    return !vdev->ops->validate_features || vdev->ops->validate_features(vdev, f);
}

void virtio_set_status(struct virtio_device *vdev, uint8_t val)
{
    uint8_t old = vdev->status, set;

    if (val == 0) {
        virtio_reset(vdev);
        return;
    }
    /* DEVICE_NEEDS_RESET is the device's; the driver cannot set or clear it */
    val = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (old & ~val) {
        vmm_log(LOG_GUEST_ERROR, "%s: driver cleared status bits 0x%x without a reset",
                vdev->name, old & ~val);
        val |= old;
    }
    set = val & ~old;
    if ((set & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(vdev))
        val &= ~VIRTIO_CONFIG_S_FEATURES_OK;    /* the driver reads it back: refused */
    if ((set & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
        vmm_log(LOG_GUEST_ERROR, "%s: DRIVER_OK without FEATURES_OK", vdev->name);
        val &= ~VIRTIO_CONFIG_S_DRIVER_OK;
    }
    vdev->status = val;
    if ((val & ~old) & VIRTIO_CONFIG_S_DRIVER_OK) {
        if (vdev->ops->start)
            vdev->ops->start(vdev);
        /* chains made available before DRIVER_OK came with kicks we ignored */
        kick_ready_queues(vdev);
    }
}

void virtio_queue_set_ready(struct virtio_device *vdev, unsigned int q, bool ready)
{
    struct virtqueue *vq;

    if (q >= vdev->num_queues)
        return;
    vq = &vdev->vq[q];
    if (ready && !vq->ready) {
        if (virtqueue_enable(vq, virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX),
                             virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) < 0)
            virtio_error(vdev, "%s", vq->error);
        else if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
            virtio_queue_kick(vdev, q);
    } else if (!ready && vq->ready) {
        drain(vdev);
        virtqueue_reset(vq);
    }
}

void virtio_isr_ack(struct virtio_device *vdev, uint32_t bits)
{
    vdev->isr &= ~bits;
    irq_update(vdev);
}

void virtio_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) || !virtqueue_should_notify(vq))
        return;
    vdev->isr |= VIRTIO_ISR_VRING;
    irq_update(vdev);
}

void virtio_notify_config(struct virtio_device *vdev)
{
    vdev->config_generation++;
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
        return;
    vdev->isr |= VIRTIO_ISR_CONFIG;
    irq_update(vdev);
}

void virtio_error(struct virtio_device *vdev, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* once per device on stderr, so a looping guest cannot flood it */
    if (!vdev->warned)
        warn_report("%s: guest error, device needs reset: %s", vdev->name, msg);
    else
        vmm_log(LOG_GUEST_ERROR, "%s: device needs reset: %s", vdev->name, msg);
    vdev->warned = true;
    vdev->broken = true;
    vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    virtio_notify_config(vdev);
}
