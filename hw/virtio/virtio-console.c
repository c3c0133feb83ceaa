/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console (VIRTIO 1.2, 5.3) without VIRTIO_CONSOLE_F_MULTIPORT: one
 * port, the console, on queues receiveq0 (0) and transmitq0 (1).  With
 * VIRTIO_CONSOLE_F_EMERG_WRITE the driver may also write single
 * characters to the emerg_wr config field (early and panic output).
 *
 * Output a backend cannot take now stays with its chain (tx_elem, tx_off)
 * until the backend says it can go on; input is taken from the backend only
 * when the driver has given a receive buffer.
 */
#include <string.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/virtio-console.h"
#include "qemu-vmm/virtio-iov.h"

#define QUEUE_SIZE  128
#define RX_QUEUE    0
#define TX_QUEUE    1
#define EMERG_WR    offsetof(struct virtio_console_config, emerg_wr)

struct virtio_console {
    struct virtio_device vdev;
    struct vcon_chr *chr;
    struct virtq_elem *tx_elem;     /* output the backend has not taken all of */
    size_t tx_off;
    /* bytes of the next transmit chain already written (given back at a stop) */
    uint32_t tx_skip;
};

static struct virtio_console *to_con(struct virtio_device *vdev)
{
    return (struct virtio_console *)vdev;
}

/* Write what is left of the pending chain; true once it is all out. */
static bool tx_continue(struct virtio_console *s)
{
    struct virtq_elem *e = s->tx_elem;

    while (s->tx_off < e->out_len) {
        size_t skip = s->tx_off;
        unsigned int i = 0;
        size_t n;

        while (skip >= e->out_sg[i].iov_len)
            skip -= e->out_sg[i++].iov_len;
        if (!s->chr) {
            s->tx_off = e->out_len;     /* no port behind the device: dropped */
            break;
        }
        n = vcon_chr_write(s->chr, (uint8_t *)e->out_sg[i].iov_base + skip,
                           e->out_sg[i].iov_len - skip);
        s->tx_off += n;
        if (n < e->out_sg[i].iov_len - skip)
            return false;
    }
    return true;
}

static bool handle_tx(struct virtio_console *s, struct virtqueue *vq)
{
    bool pushed = false;

    for (;;) {
        struct virtq_elem *e;
        int ret;

        if (!s->tx_elem) {
            ret = virtqueue_pop(vq, &e);
            if (ret < 0) {
                virtio_error(&s->vdev, "%s", vq->error);
                break;
            }
            if (ret == 0)
                break;
            s->tx_elem = e;
            s->tx_off = s->tx_skip;
            s->tx_skip = 0;
        }
        if (!tx_continue(s))
            break;      /* the backend tells us when it can take more */
        virtqueue_push(vq, s->tx_elem, 0);
        virtqueue_elem_free(s->tx_elem);
        s->tx_elem = NULL;
        pushed = true;
    }
    return pushed;
}

static bool handle_rx(struct virtio_console *s, struct virtqueue *vq)
{
    bool pushed = false;
    uint8_t buf[4096];

    while (s->chr) {
        struct virtq_elem *e;
        size_t n;
        int ret = virtqueue_pop(vq, &e);

        if (ret < 0) {
            virtio_error(&s->vdev, "%s", vq->error);
            break;
        }
        if (ret == 0)
            break;
        n = vcon_chr_read(s->chr, buf, MIN(sizeof(buf), e->in_len));
        if (n == 0) {
            virtqueue_unpop(vq, e);     /* no input yet: keep the buffer */
            virtqueue_elem_free(e);
            break;
        }
        iov_from_buf(e->in_sg, e->in_num, 0, buf, n);
        virtqueue_push(vq, e, (uint32_t)n);
        virtqueue_elem_free(e);
        pushed = true;
    }
    return pushed;
}

static void con_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct virtio_console *s = to_con(vdev);
    struct virtqueue *vq = &vdev->vq[q];

    if (q == RX_QUEUE ? handle_rx(s, vq) : handle_tx(s, vq))
        virtio_notify(vdev, vq);
}

/* From any thread: input arrived, or output can go on. */
static void on_backend(void *opaque)
{
    struct virtio_console *s = opaque;

    virtio_queue_kick(&s->vdev, RX_QUEUE);
    virtio_queue_kick(&s->vdev, TX_QUEUE);
}

static void con_config_write(struct virtio_device *vdev, uint64_t offset, uint64_t value,
                             unsigned size)
{
    struct virtio_console *s = to_con(vdev);
    uint8_t ch = (uint8_t)value;

    if (offset != EMERG_WR || size != 4 ||
        !virtio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE)) {
        vmm_log(LOG_GUEST_ERROR, "%s: config write at 0x%" PRIx64 " ignored",
                vdev->name, offset);
        return;
    }
    if (s->chr)
        vcon_chr_write(s->chr, &ch, 1);     /* best effort: dropped if it would block */
}

static void con_reset(struct virtio_device *vdev)
{
    struct virtio_console *s = to_con(vdev);

    virtqueue_elem_free(s->tx_elem);
    s->tx_elem = NULL;
    s->tx_skip = 0;
}

/*
 * The VM stopped with output half written: the chain goes back to the ring
 * (the used ring stays as the guest knows it), and what was written of it
 * is remembered, so that nothing is written twice, here or after migration.
 */
static void con_pause(struct virtio_device *vdev)
{
    struct virtio_console *s = to_con(vdev);

    if (!s->tx_elem)
        return;
    virtqueue_unpop(&vdev->vq[TX_QUEUE], s->tx_elem);
    s->tx_skip = (uint32_t)MIN(s->tx_off, UINT32_MAX);
    virtqueue_elem_free(s->tx_elem);
    s->tx_elem = NULL;
}

static int con_save(struct virtio_device *vdev, GByteArray *out)
{
    put_u32(out, to_con(vdev)->tx_skip);
    return 0;
}

static int con_load(struct virtio_device *vdev, struct vm_reader *r, GError **errp)
{
    struct virtio_console *s = to_con(vdev);

    (void)errp;
    virtqueue_elem_free(s->tx_elem);
    s->tx_elem = NULL;
    s->tx_skip = get_u32(r);
    return 0;
}

static const struct virtio_device_ops console_ops = {
    .handle_queue = con_handle_queue,
    .config_write = con_config_write,
    .reset = con_reset,
    .pause = con_pause,
    .save = con_save,
    .load = con_load,
};

struct virtio_device *virtio_console_create(const char *name, AddressSpace *as,
                                            struct vcon_chr *chr, GError **errp)
{
    struct virtio_console *s = g_new0(struct virtio_console, 1);
    const uint16_t qmax[2] = { QUEUE_SIZE, QUEUE_SIZE };
    struct virtio_console_config *cfg;

    s->chr = chr;
    if (virtio_device_init(&s->vdev, name, VIRTIO_ID_CONSOLE, &console_ops, as,
                           1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE, 2, qmax,
                           sizeof(struct virtio_console_config), errp) < 0)
        goto fail;
    cfg = (struct virtio_console_config *)s->vdev.config;
    cfg->max_nr_ports = htole32(1);
    if (chr && vcon_chr_attach(chr, s->vdev.iothread, on_backend, s, errp) < 0)
        goto fail;
    return &s->vdev;
fail:
    s->chr = NULL;      /* the caller still owns it */
    virtio_console_free(&s->vdev);
    return NULL;
}

void virtio_console_free(struct virtio_device *vdev)
{
    struct virtio_console *s = to_con(vdev);

    if (!vdev)
        return;
    pthread_mutex_lock(&vdev->lock);
    virtio_reset(vdev);
    pthread_mutex_unlock(&vdev->lock);
    virtio_device_cleanup(vdev);
    vcon_chr_free(s->chr);
    g_free(s);
}
