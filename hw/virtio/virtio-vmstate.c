/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration of virtio devices: the common state of a device (status,
 * features, config space, interrupt status, every queue) and the device's
 * own, inside the section of its transport (virtio-mmio.c); and the VM's
 * stop and start, which every device follows.
 *
 * Nothing is in flight in a saved device: when the VM stops, each device
 * stops taking chains and waits until its backend has finished what it was
 * given (a disk write lands in the image and its used entry in the ring
 * before the last RAM pass), then gives back what it holds unfinished.  So
 * the destination needs no request list: it maps the rings again from
 * their addresses and goes on from last_avail_idx.
 *
 * The layout of the common part is in docs/migration-format.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/migration.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/virtio-dev.h"

/* Per-queue flags in the stream. */
#define VQF_READY           (1u << 0)
#define VQF_SIGNALLED_VALID (1u << 1)
#define VQF_NOTIFICATION    (1u << 2)
#define VQF_BROKEN          (1u << 3)
#define VQF_ALL             0xfu

#define ISR_ALL             (VIRTIO_ISR_VRING | VIRTIO_ISR_CONFIG)
/* a device's own part; far more than any of ours needs */
#define OWN_STATE_MAX       4096

/* ---- following the VM's run state ---- */

static pthread_mutex_t devices_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *devices;      /* struct virtio_device * */

static void on_vm_event(const char *event, const char *json, void *opaque)
{
    bool stop = !strcmp(event, "STOP");

    (void)json;
    (void)opaque;
    if (!stop && strcmp(event, "RESUME"))
        return;
    pthread_mutex_lock(&devices_lock);
    for (guint i = 0; i < devices->len; i++) {
        struct virtio_device *vdev = g_ptr_array_index(devices, i);

        pthread_mutex_lock(&vdev->lock);
        if (stop)
            virtio_device_stop(vdev);
        else
            virtio_device_run(vdev);
        pthread_mutex_unlock(&vdev->lock);
    }
    pthread_mutex_unlock(&devices_lock);
}

void virtio_vmstate_track(struct virtio_device *vdev)
{
    pthread_mutex_lock(&devices_lock);
    if (!devices) {
        devices = g_ptr_array_new();
        vm_add_event_handler(on_vm_event, NULL);
    }
    g_ptr_array_add(devices, vdev);
    pthread_mutex_unlock(&devices_lock);
}

void virtio_vmstate_untrack(struct virtio_device *vdev)
{
    pthread_mutex_lock(&devices_lock);
    if (devices)
        g_ptr_array_remove(devices, vdev);
    pthread_mutex_unlock(&devices_lock);
}

/* ---- save ---- */

static void save_queue(const struct virtqueue *vq, GByteArray *out)
{
    struct virtqueue_state st;

    virtqueue_get_state(vq, &st);
    put_u16(out, vq->num_max);
    put_u16(out, st.num);
    put_u8(out, (uint8_t)((st.ready ? VQF_READY : 0) |
                          (st.signalled_used_valid ? VQF_SIGNALLED_VALID : 0) |
                          (st.notification ? VQF_NOTIFICATION : 0) |
                          (st.broken ? VQF_BROKEN : 0)));
    put_u64(out, st.desc_addr);
    put_u64(out, st.avail_addr);
    put_u64(out, st.used_addr);
    put_u16(out, st.last_avail_idx);
    put_u16(out, st.used_idx);
    put_u16(out, st.signalled_used);
}

int virtio_device_save(struct virtio_device *vdev, GByteArray *out)
{
    g_autoptr(GByteArray) own = g_byte_array_new();
    int ret;

    /* a stopped VM has drained; a running one (a unit test) must not be in flight */
    if (vdev->inflight)
        return -EBUSY;
    put_u16(out, (uint16_t)strlen(vdev->name));
    put_bytes(out, vdev->name, strlen(vdev->name));
    put_u32(out, vdev->device_id);
    put_u32(out, vdev->num_queues);
    put_u64(out, vdev->host_features);
    put_u64(out, vdev->guest_features);
    put_u8(out, vdev->status);
    put_u8(out, vdev->broken);
    put_u32(out, vdev->isr);
    put_u32(out, vdev->config_generation);
    put_u32(out, vdev->config_len);
    put_bytes(out, vdev->config, vdev->config_len);
    for (unsigned int i = 0; i < vdev->num_queues; i++)
        save_queue(&vdev->vq[i], out);
    if (vdev->ops->save) {
        ret = vdev->ops->save(vdev, own);
        if (ret < 0)
            return ret;
    }
    put_u32(out, own->len);
    put_bytes(out, own->data, own->len);
    return 0;
}

/* ---- load ---- */

/* What the stream says, checked before anything is applied. */
struct common_state {
    char name[64];
    uint32_t device_id, num_queues;
    uint64_t host_features, guest_features;
    uint8_t status, broken;
    uint32_t isr, config_generation, config_len;
    uint8_t *config;
    struct virtqueue_state vq[VIRTIO_MAX_QUEUES];
};

static int bad(GError **errp, const struct virtio_device *vdev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(GError **errp, const struct virtio_device *vdev, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", vdev->name, msg);
    return -EINVAL;
}

static int truncated(GError **errp, const struct virtio_device *vdev, const char *what)
{
    return bad(errp, vdev, "state section truncated in %s", what);
}

static int read_queue(struct virtio_device *vdev, unsigned int i, struct vm_reader *r,
                      struct virtqueue_state *st, GError **errp)
{
    uint16_t num_max = get_u16(r);
    uint8_t flags;

    st->num = get_u16(r);
    flags = get_u8(r);
    st->desc_addr = get_u64(r);
    st->avail_addr = get_u64(r);
    st->used_addr = get_u64(r);
    st->last_avail_idx = get_u16(r);
    st->used_idx = get_u16(r);
    st->signalled_used = get_u16(r);
    if (r->error)
        return truncated(errp, vdev, "the queues");
    if (num_max != vdev->vq[i].num_max)
        return bad(errp, vdev, "queue %u holds at most %u entries on the source, %u here",
                   i, num_max, vdev->vq[i].num_max);
    if (flags & ~VQF_ALL)
        return bad(errp, vdev, "queue %u: unknown flags 0x%x", i, flags);
    st->ready = flags & VQF_READY;
    st->signalled_used_valid = flags & VQF_SIGNALLED_VALID;
    st->notification = flags & VQF_NOTIFICATION;
    st->broken = flags & VQF_BROKEN;
    if (st->num > num_max)
        return bad(errp, vdev, "queue %u: size %u larger than its maximum %u", i, st->num,
                   num_max);
    return 0;
}

static int read_common(struct virtio_device *vdev, struct vm_reader *r,
                       struct common_state *c, GError **errp)
{
    uint16_t nlen = get_u16(r);

    if (nlen >= sizeof(c->name))
        return bad(errp, vdev, "state section: device name of %u bytes", nlen);
    get_bytes(r, c->name, nlen);
    c->device_id = get_u32(r);
    c->num_queues = get_u32(r);
    if (r->error)
        return truncated(errp, vdev, "the device identity");
    if (c->device_id != vdev->device_id)
        return bad(errp, vdev, "the source's device here is %s (virtio device id %u), "
                   "this one has id %u", c->name, c->device_id, vdev->device_id);
    if (c->num_queues != vdev->num_queues)
        return bad(errp, vdev, "%u queues on the source, %u here", c->num_queues,
                   vdev->num_queues);
    c->host_features = get_u64(r);
    c->guest_features = get_u64(r);
    c->status = get_u8(r);
    c->broken = get_u8(r);
    c->isr = get_u32(r);
    c->config_generation = get_u32(r);
    c->config_len = get_u32(r);
    if (r->error)
        return truncated(errp, vdev, "the device status");
    if (c->guest_features & ~vdev->host_features)
        return bad(errp, vdev, "the driver uses features 0x%" PRIx64 " that this device "
                   "does not offer (0x%" PRIx64 "; a different backing?)",
                   c->guest_features, vdev->host_features);
    if (c->broken > 1 || (c->isr & ~ISR_ALL))
        return bad(errp, vdev, "bad device state (broken %u, interrupt status 0x%x)",
                   c->broken, c->isr);
    if (c->config_len != vdev->config_len)
        return bad(errp, vdev, "config space of %u bytes on the source, %u here",
                   c->config_len, vdev->config_len);
    c->config = g_malloc0(c->config_len ? c->config_len : 1);
    get_bytes(r, c->config, c->config_len);
    if (r->error)
        return truncated(errp, vdev, "the config space");
    for (unsigned int i = 0; i < c->num_queues; i++)
        if (read_queue(vdev, i, r, &c->vq[i], errp) < 0)
            return -EINVAL;
    return 0;
}

/* The device's own part: exactly its announced length. */
static int read_own(struct virtio_device *vdev, struct vm_reader *r, GError **errp)
{
    uint32_t len = get_u32(r);
    struct vm_reader own;
    int ret;

    if (r->error || len > r->len - r->pos || len > OWN_STATE_MAX)
        return truncated(errp, vdev, "the device's own state");
    own = (struct vm_reader){ .p = r->p + r->pos, .len = len };
    r->pos += len;
    if (!vdev->ops->load)
        return len ? bad(errp, vdev, "%u bytes of device state, none expected", len) : 0;
    ret = vdev->ops->load(vdev, &own, errp);
    if (ret < 0)
        return ret;
    if (own.error || own.pos != own.len)
        return bad(errp, vdev, "device state of %u bytes does not parse", len);
    return 0;
}

static int apply_common(struct virtio_device *vdev, const struct common_state *c,
                        GError **errp)
{
    bool event_idx = (c->guest_features >> VIRTIO_RING_F_EVENT_IDX) & 1;
    bool indirect = (c->guest_features >> VIRTIO_RING_F_INDIRECT_DESC) & 1;

    vdev->guest_features = c->guest_features;
    vdev->status = c->status;
    vdev->broken = c->broken;
    vdev->isr = c->isr;
    vdev->config_generation = c->config_generation;
    memcpy(vdev->config, c->config, c->config_len);
    for (unsigned int i = 0; i < vdev->num_queues; i++) {
        struct virtqueue *vq = &vdev->vq[i];

        if (virtqueue_set_state(vq, &c->vq[i], event_idx, indirect) < 0)
            return bad(errp, vdev, "%s", vq->error);
    }
    return 0;
}

int virtio_device_load(struct virtio_device *vdev, struct vm_reader *r, GError **errp)
{
    struct common_state c = { 0 };
    int ret;

    if (vdev->inflight)
        return bad(errp, vdev, "cannot load state while requests are in flight");
    ret = read_common(vdev, r, &c, errp);
    if (ret == 0)
        ret = read_own(vdev, r, errp);
    if (ret == 0)
        ret = apply_common(vdev, &c, errp);
    g_free(c.config);
    return ret;
}
