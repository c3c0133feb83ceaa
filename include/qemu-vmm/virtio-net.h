/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net (VIRTIO 1.2, 5.1) on a tap device, and the tap backend: the
 * vnet header (12 bytes, as VIRTIO_F_VERSION_1 has it) and checksum/TSO
 * offloads where the tap supports them.
 */
#ifndef QEMU_VMM_VIRTIO_NET_H
#define QEMU_VMM_VIRTIO_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"

struct net_tap {
    int fd;
    char ifname[IFNAMSIZ];
    bool vnet_hdr;          /* packets carry a struct virtio_net_hdr_v1 */
    bool offloads;          /* TUNSETOFFLOAD takes checksum and TSO flags */
};

/*
 * Attach to (or create) tap interface ifname ("" lets the kernel pick a
 * name).  vnet_hdr: 1 required, 0 not used, -1 used if the kernel has it.
 */
int net_tap_open(const char *ifname, int vnet_hdr, struct net_tap *t, GError **errp);
/* What the guest can take: TUN_F_* flags. */
int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags);
void net_tap_close(struct net_tap *t);

struct virtio_net_conf {
    const char *ifname;
    int vnet_hdr;           /* as for net_tap_open */
    int vhost;              /* vhost-net: 1 required, 0 not used, -1 if it opens */
    uint8_t mac[6];
};

/* Takes the tap interface. */
struct virtio_device *virtio_net_create(const char *name, AddressSpace *as,
                                        const struct virtio_net_conf *conf,
                                        GError **errp);
void virtio_net_free(struct virtio_device *vdev);

#endif
