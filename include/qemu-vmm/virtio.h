/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio devices for machines: what -device virtio-*-device and
 * -drive if=virtio ask for, each on its own virtio-mmio transport.
 */
#ifndef QEMU_VMM_VIRTIO_H
#define QEMU_VMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/machine.h"

#define VIRTIO_MMIO_SIZE 0x200

/* Where a transport went: the machine announces it (kernel cmdline or FDT). */
typedef void (*virtio_placed_fn)(void *opaque, uint64_t base, uint64_t size,
                                 unsigned int gsi);

/* Whether a -device driver name is one of ours. */
bool virtio_is_device_driver(const char *driver);

/*
 * Create the virtio devices of ms (its -device, -drive, -netdev, -chardev
 * options): transport i at base + i * VIRTIO_MMIO_SIZE on GSI gsi_base + i,
 * at most max of them.
 */
int virtio_devices_init(MachineState *ms, uint64_t base, unsigned int gsi_base,
                        unsigned int max, virtio_placed_fn placed, void *opaque,
                        GError **errp);

#endif
