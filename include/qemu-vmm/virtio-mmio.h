/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2): a 0x200-byte
 * register window per device.  Queue notifications are ioeventfds with
 * datamatch on the queue index; the interrupt is an irqfd on the
 * transport's GSI (level-triggered, re-raised through a resample fd while
 * the interrupt status is not zero), or the GSI line itself.
 */
#ifndef QEMU_VMM_VIRTIO_MMIO_H
#define QEMU_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"

#define VIRTIO_MMIO_MAGIC       0x74726976      /* "virt" */
#define VIRTIO_MMIO_VENDOR      0x554d4551      /* "QEMU", as QEMU's devices say */

struct virtio_mmio;

/*
 * Map the transport of vdev at base in as.  kvm may be NULL (unit tests):
 * no interrupt is raised then.
 */
struct virtio_mmio *virtio_mmio_create(AddressSpace *as, KVMState *kvm, uint64_t base,
                                       unsigned int gsi, struct virtio_device *vdev,
                                       GError **errp);
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
