/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transport-independent part of a virtio device (VIRTIO 1.2, 2.1-2.4 and
 * 3.1): device status, feature negotiation, configuration space and its
 * generation, reset, DEVICE_NEEDS_RESET, the interrupt status, and the
 * queues with their kick eventfds and the device's I/O thread.
 *
 * A device embeds struct virtio_device first and fills in the ops.  All
 * fields are protected by vdev->lock.  Kicks reach the device on its I/O
 * thread: ops->handle_queue runs there with the lock held.  Work handed to
 * a backend (a disk read...) is counted with virtio_inflight_inc/dec so
 * that reset can wait for it.
 */
#ifndef QEMU_VMM_VIRTIO_DEV_H
#define QEMU_VMM_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-iothread.h"
#include "qemu-vmm/virtqueue.h"

/* Interrupt status bits (virtio-mmio InterruptStatus). */
#define VIRTIO_ISR_VRING    (1u << 0)
#define VIRTIO_ISR_CONFIG   (1u << 1)

#define VIRTIO_MAX_QUEUES   8

struct virtio_device;
struct vm_reader;

/* What a kick eventfd's handler needs to know. */
struct virtio_kick {
    struct virtio_device *vdev;
    unsigned int q;
};

struct virtio_device_ops {
    /*
     * FEATURES_OK: may the driver use these features?  Optional; the core
     * has already checked that they were offered and include VERSION_1.
     */
    bool (*validate_features)(struct virtio_device *vdev, uint64_t features);
    /* DRIVER_OK was set: the device may start (optional). */
    void (*start)(struct virtio_device *vdev);
    /* A kick of queue q (or a self-kick), on the I/O thread. */
    void (*handle_queue)(struct virtio_device *vdev, unsigned int q);
    /* A driver write to the configuration space (optional: ignored). */
    void (*config_write)(struct virtio_device *vdev, uint64_t offset, uint64_t value,
                         unsigned size);
    /* Device-specific reset, after in-flight work has drained (optional). */
    void (*reset)(struct virtio_device *vdev);

    /*
     * Migration (all optional; see virtio-vmstate.c).  pause: the VM stopped
     * and in-flight work has drained; give back to the ring what is held.
     * resume: the VM runs again, here or on the destination.  save: append
     * the device's own state.  load: read it back strictly, -EINVAL with
     * errp set on anything this device cannot take (another disk size...);
     * it runs before the common state is applied.
     */
    void (*pause)(struct virtio_device *vdev);
    void (*resume)(struct virtio_device *vdev);
    int (*save)(struct virtio_device *vdev, GByteArray *out);
    int (*load)(struct virtio_device *vdev, struct vm_reader *r, GError **errp);
};

/* How the transport raises the device's interrupt; called with the lock held. */
typedef void (*virtio_irq_fn)(struct virtio_device *vdev, void *opaque);

struct virtio_device {
    char *name;                 /* "virtio-blk0" in messages */
    uint32_t device_id;
    const struct virtio_device_ops *ops;
    AddressSpace *as;

    pthread_mutex_t lock;
    pthread_cond_t drained;
    unsigned int inflight;
    bool resetting;
    bool stopped;               /* the VM is stopped: no queue is processed */

    uint64_t host_features;     /* offered */
    uint64_t guest_features;    /* written by the driver */
    uint8_t status;
    bool broken;                /* DEVICE_NEEDS_RESET until reset */
    uint32_t isr;
    uint32_t config_generation;
    uint8_t *config;
    uint32_t config_len;

    unsigned int num_queues;
    struct virtqueue vq[VIRTIO_MAX_QUEUES];
    int kick_fd[VIRTIO_MAX_QUEUES];

    struct virtio_iothread *iothread;
    struct virtio_fd_handler *kick_handler[VIRTIO_MAX_QUEUES];
    struct virtio_kick kick[VIRTIO_MAX_QUEUES];
    bool warned;                /* the first guest error was printed */

    virtio_irq_fn irq_update;   /* set by the transport */
    void *irq_opaque;
};

/*
 * Set up the common part: queues of queue_max[i] entries, a zeroed config
 * space of config_len bytes, kick eventfds and the I/O thread.  The core
 * adds VERSION_1, INDIRECT_DESC and EVENT_IDX to features.
 */
int virtio_device_init(struct virtio_device *vdev, const char *name, uint32_t device_id,
                       const struct virtio_device_ops *ops, AddressSpace *as,
                       uint64_t features, unsigned int num_queues,
                       const uint16_t *queue_max, uint32_t config_len, GError **errp);
/* Stop the I/O thread and release what init took (the device is not freed). */
void virtio_device_cleanup(struct virtio_device *vdev);

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
    return (vdev->guest_features >> bit) & 1;
}

/* ---- VM run state (lock held) ---- */

/* The VM stops: stop processing queues, wait for in-flight work, pause. */
void virtio_device_stop(struct virtio_device *vdev);
/*
 * The VM runs (again): resume, re-raise a pending interrupt and look at
 * every ready queue for what was made available meanwhile.
 */
void virtio_device_run(struct virtio_device *vdev);

/*
 * The device's migration state (hw/virtio/virtio-vmstate.c): status,
 * features, config space, interrupt status, queues, then the device's own.
 * Load is strict: -EINVAL with errp set on anything that does not fit.
 */
int virtio_device_save(struct virtio_device *vdev, GByteArray *out);
int virtio_device_load(struct virtio_device *vdev, struct vm_reader *r, GError **errp);
/* By virtio_device_init/cleanup: the devices the VM's stop and start reach. */
void virtio_vmstate_track(struct virtio_device *vdev);
void virtio_vmstate_untrack(struct virtio_device *vdev);

/* ---- for transports (lock held) ---- */

/* A driver write to the status register (0 resets). */
void virtio_set_status(struct virtio_device *vdev, uint8_t status);
/* Reset to the initial state, waiting for in-flight work first. */
void virtio_reset(struct virtio_device *vdev);
/* QueueReady: 1 checks and enables the queue, 0 stops it. */
void virtio_queue_set_ready(struct virtio_device *vdev, unsigned int q, bool ready);
/* Interrupt acknowledged by the driver. */
void virtio_isr_ack(struct virtio_device *vdev, uint32_t bits);
/* Queue notification that reached the VMM (no ioeventfd): signal the kick fd. */
void virtio_queue_kick(struct virtio_device *vdev, unsigned int q);

/* ---- for devices (lock held) ---- */

/* Used buffers were added to vq: interrupt if the driver wants one. */
void virtio_notify(struct virtio_device *vdev, struct virtqueue *vq);
/* The config space changed: new generation, config interrupt. */
void virtio_notify_config(struct virtio_device *vdev);
/*
 * The driver broke a rule: log it (-d guest_errors), stop processing, set
 * DEVICE_NEEDS_RESET and send a config interrupt if DRIVER_OK is set.
 */
void virtio_error(struct virtio_device *vdev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Queue q may be processed: ready, DRIVER_OK, not broken, resetting or stopped. */
bool virtio_queue_active(struct virtio_device *vdev, unsigned int q);
/* Work handed to a backend; reset waits until it is all done. */
void virtio_inflight_inc(struct virtio_device *vdev);
void virtio_inflight_dec(struct virtio_device *vdev);

#endif
