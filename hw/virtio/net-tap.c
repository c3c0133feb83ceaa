/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tap devices for virtio-net.  With IFF_VNET_HDR every packet read or
 * written starts with a virtio-net header, which we size to the 12 bytes of
 * a VIRTIO_F_VERSION_1 header so that guest buffers go to the tap as they
 * are.  The interface is not configured here (script=no): whoever runs
 * qemu-vmm sets it up.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "qemu-vmm/virtio-net.h"

int net_tap_open(const char *ifname, int vnet_hdr, struct net_tap *t, GError **errp)
{
    struct ifreq ifr = { 0 };
    unsigned int features = 0;
    int hdr = sizeof(struct virtio_net_hdr_v1);

    memset(t, 0, sizeof(*t));
    if (strlen(ifname) >= IFNAMSIZ) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "interface name '%s' is too long", ifname);
        return -ENAMETOOLONG;
    }
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open /dev/net/tun: %s", strerror(errno));
        return -errno;
    }
    if (ioctl(t->fd, TUNGETFEATURES, &features) == 0)
        t->vnet_hdr = vnet_hdr != 0 && (features & IFF_VNET_HDR);
    if (vnet_hdr == 1 && !t->vnet_hdr) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "vnet_hdr=on: the kernel's tap driver has no IFF_VNET_HDR");
        net_tap_close(t);
        return -ENOTSUP;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (t->vnet_hdr ? IFF_VNET_HDR : 0);
    strcpy(ifr.ifr_name, ifname);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot attach to tap interface '%s': %s", ifname, strerror(errno));
        net_tap_close(t);
        return -errno;
    }
    strcpy(t->ifname, ifr.ifr_name);
    if (t->vnet_hdr && ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "tap '%s': cannot set the vnet header size: %s", t->ifname,
                    strerror(errno));
        net_tap_close(t);
        return -errno;
    }
    /* offloads work if the tap takes them; start with none until the guest says */
    t->offloads = t->vnet_hdr && net_tap_set_offload(t, TUN_F_CSUM | TUN_F_TSO4 |
                                                     TUN_F_TSO6 | TUN_F_TSO_ECN) == 0;
    if (t->vnet_hdr)
        net_tap_set_offload(t, 0);
    return 0;
}

int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags)
{
    return ioctl(t->fd, TUNSETOFFLOAD, tun_flags) < 0 ? -errno : 0;
}

void net_tap_close(struct net_tap *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}
