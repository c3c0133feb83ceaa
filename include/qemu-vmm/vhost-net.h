/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-net: the kernel's virtio-net datapath (/dev/vhost-net) for a
 * virtio-net device on a tap.  The kernel reads and writes the rings and
 * the tap itself; the queue kicks (the transport's ioeventfds) go straight
 * to it, and its "call" eventfds come back to the device's I/O thread,
 * which sets the interrupt status and raises the transport's interrupt
 * (virtio-mmio's InterruptStatus must be set before the line is raised,
 * so the call fd cannot be the irqfd itself).
 *
 * The kernel datapath runs only while the driver has set DRIVER_OK, the
 * VM runs and dirty logging is off; otherwise the device's own userspace
 * datapath runs, so that every page written during a migration is marked
 * dirty by the virtqueue code and the ring state the migration stream
 * carries is in struct virtqueue (see docs/virtio.md).
 */
#ifndef QEMU_VMM_VHOST_NET_H
#define QEMU_VMM_VHOST_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/virtio-dev.h"

struct vhost_net;

/*
 * The device's datapath moved: on == true, the kernel took the queues
 * (stop polling the tap); false, userspace has them back.  Lock held.
 */
typedef void (*vhost_net_switch_fn)(struct virtio_device *vdev, bool on);

/*
 * Open /dev/vhost-net for vdev's two queues (receive 0, transmit 1) on
 * tap_fd, take ownership and follow vdev->as's RAM.  tap_vnet_hdr: the
 * tap carries virtio-net headers (else the kernel adds and strips them).
 * Features the kernel lacks are removed from vdev->host_features; NULL
 * with errp set if vhost-net cannot be used at all.
 */
struct vhost_net *vhost_net_new(struct virtio_device *vdev, int tap_fd, bool tap_vnet_hdr,
                                vhost_net_switch_fn on_switch, GError **errp);
void vhost_net_free(struct vhost_net *v);

/*
 * The driver set DRIVER_OK (wanted) or reset the device (not wanted).
 * The kernel datapath starts if the VM runs and no dirty log is on; if it
 * cannot, the device stays on its userspace datapath (with a warning).
 * Lock held.
 */
void vhost_net_set_wanted(struct vhost_net *v, bool wanted);
/* Whether the kernel has the queues now (lock held). */
bool vhost_net_running(const struct vhost_net *v);

/* The path is usable here: /dev/vhost-net exists and can be opened. */
bool vhost_net_available(void);

#endif
