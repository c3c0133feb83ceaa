/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net (VIRTIO 1.2, 5.1) on a tap: one receive and one transmit
 * queue, no control queue.  With a vnet-header tap the guest's headers go
 * to the tap as they are, so checksum and TSO offloads are offered both
 * ways; the offloads the guest accepts for receiving are set on the tap
 * (TUNSETOFFLOAD) when it sets DRIVER_OK.
 *
 * Receive: the I/O thread reads a packet from the tap into a staging
 * buffer and copies it into one receive chain, or several with
 * VIRTIO_NET_F_MRG_RXBUF (published together).  While the driver has no
 * buffers, the packet stays staged and the tap is not polled, so the
 * kernel queues (and eventually drops) packets, not us.
 *
 * Transmit: each chain goes to the tap with one writev straight from guest
 * memory.
 *
 * With vhost-net the kernel runs both queues while it can (vhost-net.c);
 * this file's datapath then stands aside: the tap is not polled and kicks
 * that were already queued to the I/O thread are ignored.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/vhost-net.h"
#include "qemu-vmm/virtio-iov.h"
#include "qemu-vmm/virtio-net.h"

#define QUEUE_SIZE      256
#define RX_QUEUE        0
#define TX_QUEUE        1
#define HDR_LEN         sizeof(struct virtio_net_hdr_v1)
#define MAX_PACKET      (65536 + 14 + 4)    /* a 64 KiB GSO frame, Ethernet, VLAN */
#define BATCH           64                  /* packets per turn, then others run */
#define MAX_IOV         1024

struct virtio_net {
    struct virtio_device vdev;
    struct net_tap tap;
    struct vhost_net *vhost;    /* NULL: userspace datapath only */
    struct virtio_fd_handler *tap_h;
    uint32_t tap_events;
    uint8_t *pkt;           /* staged packet: header + frame */
    size_t pkt_len;         /* 0: none staged */
};

static struct virtio_net *to_net(struct virtio_device *vdev)
{
    return (struct virtio_net *)vdev;
}

static void set_tap_events(struct virtio_net *s, uint32_t events)
{
    if (events != s->tap_events && virtio_iothread_mod_fd(s->vdev.iothread, s->tap_h,
                                                          events) == 0)
        s->tap_events = events;
}

static void want_rx(struct virtio_net *s, bool on)
{
    set_tap_events(s, on ? s->tap_events | EPOLLIN : s->tap_events & ~EPOLLIN);
}

static bool in_kernel(struct virtio_net *s)
{
    return s->vhost && vhost_net_running(s->vhost);
}

/* ---- receive ---- */

/* Read the next packet into the staging buffer; false if there is none. */
static bool stage_packet(struct virtio_net *s)
{
    size_t off = s->tap.vnet_hdr ? 0 : HDR_LEN;
    ssize_t n;

    if (s->pkt_len)
        return true;
    do {
        n = read(s->tap.fd, s->pkt + off, MAX_PACKET + HDR_LEN - off);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    if (!s->tap.vnet_hdr)
        memset(s->pkt, 0, HDR_LEN);     /* no offloads: nothing to say */
    s->pkt_len = (size_t)n + off;
    return true;
}

/*
 * Copy the staged packet into receive chains.  Returns 1 if delivered (or
 * dropped as undeliverable), 0 if the driver has not given enough buffers
 * yet, -1 if the ring broke.
 */
static int deliver(struct virtio_net *s, struct virtqueue *vq)
{
    bool mrg = virtio_has_feature(&s->vdev, VIRTIO_NET_F_MRG_RXBUF);
    struct virtq_elem *elems[64];
    struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)s->pkt;
    bool drop = false;
    unsigned int n = 0;
    size_t done = 0;
    int ret = 0;

    while (done < s->pkt_len) {
        struct virtq_elem *e;

        if (n == G_N_ELEMENTS(elems)) {
            drop = true;
            break;
        }
        ret = virtqueue_pop(vq, &e);
        if (ret <= 0)
            break;
        elems[n++] = e;
        if (!mrg && e->in_len < s->pkt_len) {
            /* 5.1.6.3.1: without merged buffers one buffer takes a whole packet */
            vmm_log(LOG_GUEST_ERROR, "%s: receive buffer of %" PRIu64 " bytes for a %zu-"
                    "byte packet: dropped", s->vdev.name, e->in_len, s->pkt_len);
            drop = true;
            break;
        }
        done += MIN(e->in_len, (uint64_t)(s->pkt_len - done));
    }
    if (ret < 0) {
        virtio_error(&s->vdev, "%s", vq->error);
        for (unsigned int i = 0; i < n; i++)
            virtqueue_elem_free(elems[i]);
        return -1;
    }
    if (done < s->pkt_len) {
        /* the buffers go back: the driver gets more time, or the next packet */
        for (unsigned int i = n; i-- > 0;) {
            virtqueue_unpop(vq, elems[i]);
            virtqueue_elem_free(elems[i]);
        }
        if (!drop)
            return 0;
        s->pkt_len = 0;
        return 1;
    }
    hdr->num_buffers = htole16((uint16_t)n);
    done = 0;
    for (unsigned int i = 0; i < n; i++) {
        size_t len = iov_from_buf(elems[i]->in_sg, elems[i]->in_num, 0, s->pkt + done,
                                  s->pkt_len - done);

        virtqueue_fill(vq, elems[i], (uint32_t)len, i);
        done += len;
        virtqueue_elem_free(elems[i]);
    }
    virtqueue_flush(vq, n);
    s->pkt_len = 0;
    return 1;
}

static void net_rx(struct virtio_net *s)
{
    struct virtqueue *vq = &s->vdev.vq[RX_QUEUE];
    bool pushed = false;

    for (unsigned int i = 0; i < BATCH; i++) {
        int ret;

        if (!stage_packet(s))
            break;
        ret = deliver(s, vq);
        if (ret < 0)
            return;
        if (ret == 0) {
            /* wait for buffers: the driver's kick brings us back */
            virtqueue_set_notification(vq, true);
            want_rx(s, false);
            if (virtqueue_empty(vq))
                break;
            want_rx(s, true);
            continue;
        }
        pushed = true;
    }
    if (pushed)
        virtio_notify(&s->vdev, vq);
}

static void on_tap(void *opaque, uint32_t events)
{
    struct virtio_net *s = opaque;

    pthread_mutex_lock(&s->vdev.lock);
    if (in_kernel(s)) {
        set_tap_events(s, 0);   /* an event from before vhost-net took over */
        events = 0;
    }
    if (events & EPOLLOUT) {
        set_tap_events(s, s->tap_events & ~EPOLLOUT);
        virtio_queue_kick(&s->vdev, TX_QUEUE);
    }
    if (events & EPOLLIN) {
        if (virtio_queue_active(&s->vdev, RX_QUEUE))
            net_rx(s);
        else
            want_rx(s, false);  /* DRIVER_OK or a reset brings it back */
    }
    pthread_mutex_unlock(&s->vdev.lock);
}

/* ---- transmit ---- */

static void net_tx(struct virtio_net *s)
{
    struct virtqueue *vq = &s->vdev.vq[TX_QUEUE];
    struct iovec iov[MAX_IOV];
    bool pushed = false;
    unsigned int i;

    for (i = 0; i < BATCH; i++) {
        struct virtq_elem *e;
        size_t skip = s->tap.vnet_hdr ? 0 : HDR_LEN;
        ssize_t n;
        int cnt, ret = virtqueue_pop(vq, &e);

        if (ret < 0) {
            virtio_error(&s->vdev, "%s", vq->error);
            return;
        }
        if (ret == 0)
            break;
        if (e->out_len < HDR_LEN) {
            virtio_error(&s->vdev, "transmit chain of %" PRIu64 " bytes has no header",
                         e->out_len);
            virtqueue_elem_free(e);
            return;
        }
        cnt = iov_slice(e->out_sg, e->out_num, skip, e->out_len - skip, iov, MAX_IOV);
        do {
            n = cnt < 0 ? -1 : writev(s->tap.fd, iov, cnt);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN) {
            /* the tap's queue is full: try again when it is writable */
            virtqueue_unpop(vq, e);
            virtqueue_elem_free(e);
            set_tap_events(s, s->tap_events | EPOLLOUT);
            break;
        }
        if (n < 0)
            vmm_log(LOG_GUEST_ERROR, "%s: packet of %" PRIu64 " bytes dropped: %s",
                    s->vdev.name, e->out_len, cnt < 0 ? "too many pieces" : strerror(errno));
        virtqueue_push(vq, e, 0);
        virtqueue_elem_free(e);
        pushed = true;
    }
    if (pushed)
        virtio_notify(&s->vdev, vq);
    if (i == BATCH)
        virtio_queue_kick(&s->vdev, TX_QUEUE);  /* more later: let rx have a turn */
}

static void net_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct virtio_net *s = to_net(vdev);

    if (in_kernel(s))
        return;                 /* a kick queued before vhost-net took over */
    if (q == TX_QUEUE) {
        net_tx(s);
        return;
    }
    /* new receive buffers: deliver what is staged, and poll the tap again */
    want_rx(s, true);
    net_rx(s);
}

/* ---- status ---- */

static void net_start(struct virtio_device *vdev)
{
    struct virtio_net *s = to_net(vdev);
    unsigned int flags = 0;

    if (s->tap.offloads) {
        if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
            flags |= TUN_F_CSUM;
        if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4))
            flags |= TUN_F_TSO4;
        if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
            flags |= TUN_F_TSO6;
        if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
            flags |= TUN_F_TSO_ECN;
        if (net_tap_set_offload(&s->tap, flags) < 0)
            warn_report("%s: tap %s refused offloads 0x%x", vdev->name, s->tap.ifname,
                        flags);
    }
    if (s->vhost)
        vhost_net_set_wanted(s->vhost, true);
    if (!in_kernel(s))
        want_rx(s, true);
}

/* vhost-net took the queues (on) or gave them back. */
static void net_switch(struct virtio_device *vdev, bool on)
{
    struct virtio_net *s = to_net(vdev);

    if (on) {
        set_tap_events(s, 0);
        s->pkt_len = 0;         /* a staged packet is dropped, as a full queue would */
    } else if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        want_rx(s, true);
    }
}

static void net_reset(struct virtio_device *vdev)
{
    struct virtio_net *s = to_net(vdev);

    if (s->vhost)
        vhost_net_set_wanted(s->vhost, false);
    want_rx(s, false);
    s->pkt_len = 0;
    if (s->tap.offloads)
        net_tap_set_offload(&s->tap, 0);
}

/*
 * Running again, or on a migration's destination: the tap gets the
 * offloads the driver accepted, and is polled again.  A packet staged when
 * the VM stopped is still delivered here; one staged on a migration's
 * source is lost, as a network may lose it.
 */
static void net_resume(struct virtio_device *vdev)
{
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
        net_start(vdev);
}

static const struct virtio_device_ops net_ops = {
    .handle_queue = net_handle_queue,
    .start = net_start,
    .reset = net_reset,
    .resume = net_resume,
};

struct virtio_device *virtio_net_create(const char *name, AddressSpace *as,
                                        const struct virtio_net_conf *conf,
                                        GError **errp)
{
    struct virtio_net *s = g_new0(struct virtio_net, 1);
    const uint16_t qmax[2] = { QUEUE_SIZE, QUEUE_SIZE };
    struct virtio_net_config *cfg;
    uint64_t features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
                        (1ULL << VIRTIO_NET_F_MRG_RXBUF);

    if (net_tap_open(conf->ifname, conf->vnet_hdr, &s->tap, errp) < 0) {
        g_free(s);
        return NULL;
    }
    if (s->tap.offloads)
        features |= (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
                    (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
                    (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
                    (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN);
    s->pkt = g_malloc(MAX_PACKET + HDR_LEN);
    if (virtio_device_init(&s->vdev, name, VIRTIO_ID_NET, &net_ops, as, features, 2, qmax,
                           sizeof(struct virtio_net_config), errp) < 0)
        goto fail;
    cfg = (struct virtio_net_config *)s->vdev.config;
    memcpy(cfg->mac, conf->mac, sizeof(cfg->mac));
    cfg->status = htole16(VIRTIO_NET_S_LINK_UP);
    /* watched from the start; EPOLLIN only while the driver takes packets */
    s->tap_h = virtio_iothread_add_fd(s->vdev.iothread, s->tap.fd, 0, on_tap, s, errp);
    if (!s->tap_h)
        goto fail;
    if (conf->vhost == 1 || (conf->vhost == -1 && vhost_net_available())) {
        g_autoptr(GError) err = NULL;

        s->vhost = vhost_net_new(&s->vdev, s->tap.fd, s->tap.vnet_hdr, net_switch, &err);
        if (!s->vhost && conf->vhost == 1) {
            g_propagate_error(errp, g_steal_pointer(&err));
            goto fail;
        }
        if (!s->vhost)
            warn_report("%s: %s; using the userspace datapath", name, err->message);
    }
    return &s->vdev;
fail:
    virtio_net_free(&s->vdev);
    return NULL;
}

void virtio_net_free(struct virtio_device *vdev)
{
    struct virtio_net *s = to_net(vdev);

    if (!vdev)
        return;
    vhost_net_free(s->vhost);
    virtio_device_cleanup(vdev);
    net_tap_close(&s->tap);
    g_free(s->pkt);
    g_free(s);
}
