/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2): a 0x200-byte
 * register window per device.  Queue notifications are ioeventfds with
 * datamatch on the queue index.  The interrupt is a level-triggered line
 * the machine hands over: an irqfd when the line is a GSI of the in-kernel
 * irqchip (re-raised through a resample fd while the interrupt status is
 * not zero), else the line's own set callback (a userspace controller).
 */
#ifndef QEMU_VMM_VIRTIO_MMIO_H
#define QEMU_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/irq.h"
#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"

#define VIRTIO_MMIO_MAGIC       0x74726976      /* "virt" */
#define VIRTIO_MMIO_VENDOR      0x554d4551      /* "QEMU", as QEMU's devices say */

struct virtio_mmio;

/*
 * Map the transport of vdev at base in as, interrupting through irq (see
 * irq.h; a line with neither kvm nor set raises nothing).
 */
struct virtio_mmio *virtio_mmio_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                                       struct virtio_device *vdev, GError **errp);
/*
 * Queue notifications as ioeventfds (on, the default) or as MMIO exits
 * handled by the vCPU thread (off: -global virtio-mmio.ioeventfd=off, for
 * measurements and for hosts without ioeventfds).  Either way the kick
 * reaches the device's kick eventfd.
 */
int virtio_mmio_set_ioeventfd(struct virtio_mmio *m, bool on, GError **errp);
/* Unmap and release the transport (not the device). */
void virtio_mmio_free(struct virtio_mmio *m);
/* Machine reset: the device goes back to its initial state. */
void virtio_mmio_reset(struct virtio_mmio *m);
/*
 * The transport's migration section ("virtio-mmio", one instance per
 * transport in creation order; registered by virtio_mmio_create): its own
 * registers, then the device's state.  Load is strict: -EINVAL with errp.
 */
int virtio_mmio_save(struct virtio_mmio *m, GByteArray *out);
int virtio_mmio_load(struct virtio_mmio *m, const uint8_t *buf, size_t len,
                     uint32_t version, GError **errp);

#endif
