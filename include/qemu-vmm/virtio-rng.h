/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-rng (VIRTIO 1.2, 5.4): entropy from /dev/urandom, rate-limited. */
#ifndef QEMU_VMM_VIRTIO_RNG_H
#define QEMU_VMM_VIRTIO_RNG_H

#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"

#define VIRTIO_RNG_DEFAULT_MAX_BYTES    (1ULL << 20)
#define VIRTIO_RNG_DEFAULT_PERIOD_MS    1000

struct virtio_rng_conf {
    const char *filename;   /* NULL: /dev/urandom */
    uint64_t max_bytes;     /* at most this many bytes ... */
    uint64_t period_ms;     /* ... per period */
};

struct virtio_device *virtio_rng_create(const char *name, AddressSpace *as,
                                        const struct virtio_rng_conf *conf,
                                        GError **errp);
void virtio_rng_free(struct virtio_device *vdev);

#endif
