/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueues (VIRTIO 1.2, section 2.7): the device side.
 *
 * Everything in the rings is written by the guest and is treated as hostile.
 * Descriptors are read once into local copies, every buffer is translated
 * through the memory API and must be guest RAM (device-writable buffers:
 * writable RAM), chains are bounded by the queue size (indirect tables by
 * the queue size too), and a chain that breaks a rule marks the queue
 * broken: the caller then puts the device in DEVICE_NEEDS_RESET.  The VMM
 * never touches memory outside guest RAM on the guest's say-so.
 *
 * Host pointers of ring areas and buffers stay valid as long as guest RAM
 * is not unmapped, which the machines never do while the VM runs.
 *
 * Locking: the owner (the virtio device) serialises every call on a queue.
 */
#ifndef QEMU_VMM_VIRTQUEUE_H
#define QEMU_VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "qemu-vmm/memory.h"

/* The largest queue a device may offer (QueueNumMax). */
#define VIRTQ_MAX_SIZE 1024

/* Ring layout sizes for a queue of num entries (2.7.2, with EVENT_IDX fields). */
#define VIRTQ_DESC_SIZE(num)    (16ULL * (num))
#define VIRTQ_AVAIL_SIZE(num)   (6ULL + 2ULL * (num))
#define VIRTQ_USED_SIZE(num)    (6ULL + 8ULL * (num))

/* Where a device-writable piece of a buffer lives, to mark it dirty. */
struct virtq_dirty {
    MemoryRegion *mr;
    uint64_t offset;
};

/*
 * One available chain, translated: out_sg are the device-readable pieces,
 * in_sg the device-writable ones, in chain order.  A descriptor that
 * crosses from one RAM region into another is split in two pieces.
 */
struct virtq_elem {
    uint16_t head;
    unsigned int out_num, in_num;
    struct iovec *out_sg, *in_sg;
    struct virtq_dirty *in_dirty;   /* parallel to in_sg */
    uint64_t out_len, in_len;       /* totals in bytes */
};

/* A ring area, mapped once when the queue is enabled. */
struct virtq_area {
    uint8_t *host;
    MemoryRegion *mr;
    uint64_t mr_offset;
};

struct virtqueue {
    AddressSpace *as;
    unsigned int index;
    uint16_t num_max;
    /* set by the driver while the queue is not ready */
    uint16_t num;
    uint64_t desc_addr, avail_addr, used_addr;
    bool ready;
    /* negotiated features that change the ring format or rules */
    bool event_idx;
    bool indirect;

    struct virtq_area desc, avail, used;
    uint16_t last_avail_idx;    /* next avail entry to take */
    uint16_t used_idx;          /* our copy of used->idx */
    uint16_t signalled_used;    /* used->idx when we last notified */
    bool signalled_used_valid;
    bool notification;          /* kicks wanted (see virtqueue_set_notification) */

    bool broken;
    char error[160];            /* why it broke */
};

/* Reset state: not ready, num = num_max, addresses 0. */
void virtqueue_init(struct virtqueue *vq, AddressSpace *as, unsigned int index,
                    uint16_t num_max);
void virtqueue_reset(struct virtqueue *vq);
/*
 * QueueReady = 1: check the driver's num and ring addresses and map the
 * rings.  0, or -EINVAL (bad size, misaligned) / -EFAULT (a ring is not in
 * guest RAM) with vq->error set; the queue then stays not ready.
 */
int virtqueue_enable(struct virtqueue *vq, bool event_idx, bool indirect);

/*
 * What migration carries of a queue; the ring pointers are mapped again
 * from the addresses, and event_idx/indirect follow the negotiated features.
 */
struct virtqueue_state {
    uint16_t num;
    bool ready;
    uint64_t desc_addr, avail_addr, used_addr;
    uint16_t last_avail_idx, used_idx, signalled_used;
    bool signalled_used_valid;
    bool notification;
    bool broken;
};

void virtqueue_get_state(const struct virtqueue *vq, struct virtqueue_state *st);
/*
 * Restore a saved queue (its chains all used or given back).  A ready
 * queue's rings are checked and mapped as by virtqueue_enable: 0, or
 * -EINVAL/-EFAULT with vq->error set and the queue left not ready.
 */
int virtqueue_set_state(struct virtqueue *vq, const struct virtqueue_state *st,
                        bool event_idx, bool indirect);

/*
 * Take the next available chain.  1 with *elem set, 0 if the ring is empty,
 * or -EIO if the ring or chain breaks a rule: vq->broken is set, vq->error
 * says why, and the queue gives nothing more until it is reset.
 */
int virtqueue_pop(struct virtqueue *vq, struct virtq_elem **elem);
/* Give the last popped chain back to the ring, unprocessed. */
void virtqueue_unpop(struct virtqueue *vq, struct virtq_elem *elem);
/*
 * Put a chain in the used ring with len bytes written to it, and mark the
 * pages dirty (the used ring entry, and the first len bytes of in_sg).
 */
void virtqueue_push(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len);
/*
 * The same in two steps, for chains the driver must see together (a
 * packet over several merged receive buffers): fill used entry
 * used_idx + idx, then publish count entries at once.
 */
void virtqueue_fill(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len,
                    unsigned int idx);
void virtqueue_flush(struct virtqueue *vq, unsigned int count);
void virtqueue_elem_free(struct virtq_elem *elem);

/* Whether the driver has made chains available that we have not taken. */
bool virtqueue_empty(struct virtqueue *vq);
/*
 * Ask the driver to kick (or not) when it adds chains: VRING_USED_F_NO_NOTIFY,
 * or avail_event with EVENT_IDX.  After enabling, check virtqueue_empty()
 * again: a chain added meanwhile came without a kick.
 */
void virtqueue_set_notification(struct virtqueue *vq, bool enable);
/*
 * After pushes: whether the driver wants a used buffer notification now
 * (VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX).
 */
bool virtqueue_should_notify(struct virtqueue *vq);

/*
 * VIRTIO 1.2, 2.7.10: with EVENT_IDX, notify if the index the other side
 * asked about (event_idx) lies in [old, new_idx), mod 2^16.
 */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

#endif
