/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-net: hand virtio-net's queues to the kernel (see vhost-net.h).
 *
 * The memory table follows the address space through a MemoryListener
 * (writable RAM sections only, so the kernel cannot write to ROM on the
 * guest's say-so) and is given to the kernel on every change.
 *
 * Migration: the kernel datapath would need its own dirty log
 * (VHOST_F_LOG_ALL) and its ring indices fetched before the device state
 * is saved.  Instead, when dirty logging starts (the listener's log_start)
 * the queues go back to the userspace datapath, synchronously, before any
 * RAM is copied: from then on the virtqueue code marks what it writes, and
 * the ring state is in struct virtqueue as for every other device.  The
 * same happens while the VM is stopped (the STOP event), so a stopped VM's
 * memory does not change under a snapshot.  log_stop and RESUME bring the
 * kernel back.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/vhost-net.h"

#define VHOST_NET_DEV   "/dev/vhost-net"
#define NQUEUES         2

/* Ring features the device offers that the kernel must implement. */
#define RING_FEATURES   ((1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
                         (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
                         (1ULL << VIRTIO_NET_F_MRG_RXBUF))

struct vhost_net {
    struct virtio_device *vdev;
    int fd;
    int tap_fd;
    bool tap_vnet_hdr;
    uint64_t kernel_features;   /* VHOST_GET_FEATURES */
    vhost_net_switch_fn on_switch;

    /* protected by vdev->lock */
    bool wanted;                /* DRIVER_OK and not reset */
    bool logging;               /* dirty logging is on */
    bool running;               /* the kernel has the queues */
    bool failed;                /* it refused once: userspace until reset */
    bool started[NQUEUES];      /* the kernel has this queue's base */

    int call_fd[NQUEUES];
    struct virtio_fd_handler *call_h[NQUEUES];

    /* the memory table; mem_lock, as listeners run without vdev->lock */
    MemoryListener listener;
    pthread_mutex_t mem_lock;
    GArray *regions;            /* struct vhost_memory_region */
};

/* Instances, for the VM's STOP and RESUME events. */
static pthread_mutex_t instances_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *instances;

bool vhost_net_available(void)
{
    int fd = open(VHOST_NET_DEV, O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static int vhost_ioctl(struct vhost_net *v, unsigned long req, void *arg, const char *what)
{
    if (ioctl(v->fd, req, arg) < 0) {
        int err = errno;

        warn_report("%s: vhost-net: %s: %s", v->vdev->name, what, strerror(err));
        return -err;
    }
    return 0;
}

/* ---- memory table ---- */

static int push_mem_table(struct vhost_net *v)
{
    size_t n = v->regions->len;
    g_autofree struct vhost_memory *mem =
        g_malloc0(sizeof(*mem) + n * sizeof(struct vhost_memory_region));

    mem->nregions = (uint32_t)n;
    memcpy(mem->regions, v->regions->data, n * sizeof(struct vhost_memory_region));
    return vhost_ioctl(v, VHOST_SET_MEM_TABLE, mem, "VHOST_SET_MEM_TABLE");
}

static bool is_guest_ram(const MemorySection *s)
{
    return s->mr->type == MR_RAM && !s->mr->readonly;
}

static int mem_region_add(MemoryListener *l, const MemorySection *s)
{
    struct vhost_net *v = l->opaque;
    struct vhost_memory_region r = {
        .guest_phys_addr = s->addr,
        .memory_size = s->size,
        .userspace_addr = (uintptr_t)(s->mr->host + s->offset),
    };
    int ret;

    if (!is_guest_ram(s))
        return 0;
    pthread_mutex_lock(&v->mem_lock);
    g_array_append_val(v->regions, r);
    ret = push_mem_table(v);
    if (ret < 0)        /* the change is undone: region_del is not called */
        g_array_remove_index(v->regions, v->regions->len - 1);
    pthread_mutex_unlock(&v->mem_lock);
    return ret;
}

static void mem_region_del(MemoryListener *l, const MemorySection *s)
{
    struct vhost_net *v = l->opaque;

    if (!is_guest_ram(s))
        return;
    pthread_mutex_lock(&v->mem_lock);
    for (guint i = 0; i < v->regions->len; i++) {
        struct vhost_memory_region *r =
            &g_array_index(v->regions, struct vhost_memory_region, i);

        if (r->guest_phys_addr == s->addr && r->memory_size == s->size) {
            g_array_remove_index(v->regions, i);
            push_mem_table(v);
            break;
        }
    }
    pthread_mutex_unlock(&v->mem_lock);
}

/* ---- start and stop ---- */

static int set_backend(struct vhost_net *v, unsigned int q, int fd)
{
    struct vhost_vring_file f = { .index = q, .fd = fd };

    return vhost_ioctl(v, VHOST_NET_SET_BACKEND, &f, "VHOST_NET_SET_BACKEND");
}

static int start_queue(struct vhost_net *v, unsigned int q)
{
    struct virtqueue *vq = &v->vdev->vq[q];
    struct vhost_vring_state num = { .index = q, .num = vq->num };
    struct vhost_vring_state base = { .index = q, .num = vq->last_avail_idx };
    struct vhost_vring_addr addr = {
        .index = q,
        .desc_user_addr = (uintptr_t)vq->desc.host,
        .avail_user_addr = (uintptr_t)vq->avail.host,
        .used_user_addr = (uintptr_t)vq->used.host,
        .log_guest_addr = vq->used_addr,
    };
    struct vhost_vring_file kick = { .index = q, .fd = v->vdev->kick_fd[q] };
    struct vhost_vring_file call = { .index = q, .fd = v->call_fd[q] };
    int ret;

    ret = vhost_ioctl(v, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM");
    if (!ret)
        ret = vhost_ioctl(v, VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE");
    if (ret)
        return ret;
    v->started[q] = true;
    ret = vhost_ioctl(v, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
    if (!ret)
        ret = vhost_ioctl(v, VHOST_SET_VRING_CALL, &call, "VHOST_SET_VRING_CALL");
    if (!ret)
        ret = vhost_ioctl(v, VHOST_SET_VRING_KICK, &kick, "VHOST_SET_VRING_KICK");
    if (!ret)
        ret = set_backend(v, q, v->tap_fd);
    return ret;
}

/*
 * Take queue q back from the kernel: where it stopped in the avail ring
 * (VHOST_GET_VRING_BASE), and the used index it published.
 */
static void stop_queue(struct vhost_net *v, unsigned int q)
{
    struct virtqueue *vq = &v->vdev->vq[q];
    struct vhost_vring_state base = { .index = q };
    struct vhost_vring_file unbind = { .index = q, .fd = VHOST_FILE_UNBIND };
    uint16_t used;

    set_backend(v, q, VHOST_FILE_UNBIND);
    vhost_ioctl(v, VHOST_SET_VRING_KICK, &unbind, "VHOST_SET_VRING_KICK");
    if (vhost_ioctl(v, VHOST_GET_VRING_BASE, &base, "VHOST_GET_VRING_BASE") == 0)
        vq->last_avail_idx = (uint16_t)base.num;
    memcpy(&used, vq->used.host + 2, sizeof(used));
    vq->used_idx = le16toh(used);
    vq->signalled_used_valid = false;   /* the next used buffer interrupts */
}

static void give_back(struct vhost_net *v)
{
    struct virtio_device *vdev = v->vdev;

    for (unsigned int q = 0; q < NQUEUES; q++) {
        if (v->started[q])
            stop_queue(v, q);
        v->started[q] = false;
        virtio_iothread_mod_fd(vdev->iothread, vdev->kick_handler[q], EPOLLIN);
    }
    v->running = false;
    v->on_switch(vdev, false);
    /* chains made available while we switched were kicked to the kernel */
    for (unsigned int q = 0; q < NQUEUES; q++)
        virtio_queue_kick(vdev, q);
}

static int take_over(struct vhost_net *v)
{
    struct virtio_device *vdev = v->vdev;
    uint64_t features = vdev->guest_features & v->kernel_features;
    unsigned int q;
    int ret;

    if (!v->tap_vnet_hdr)
        features |= 1ULL << VHOST_NET_F_VIRTIO_NET_HDR;
    for (q = 0; q < NQUEUES; q++)
        if (!vdev->vq[q].ready)
            return -EINVAL;     /* a driver that uses one queue: not for vhost */
    ret = vhost_ioctl(v, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
    if (ret < 0)
        return ret;
    pthread_mutex_lock(&v->mem_lock);
    ret = push_mem_table(v);
    pthread_mutex_unlock(&v->mem_lock);
    if (ret < 0)
        return ret;
    /* the I/O thread stops taking kicks; the kernel polls the same eventfds */
    for (q = 0; q < NQUEUES; q++)
        virtio_iothread_mod_fd(vdev->iothread, vdev->kick_handler[q], 0);
    v->on_switch(vdev, true);
    v->running = true;
    for (q = 0; q < NQUEUES; q++) {
        ret = start_queue(v, q);
        if (ret < 0) {
            give_back(v);
            return ret;
        }
    }
    /* chains made available before the switch: let the kernel look */
    for (q = 0; q < NQUEUES; q++)
        virtio_queue_kick(vdev, q);
    return 0;
}

/* Put the datapath where it belongs now.  Lock held. */
static void update(struct vhost_net *v)
{
    bool want = v->wanted && !v->logging && !v->failed && runstate_is_running() &&
                !v->vdev->broken;

    if (want == v->running)
        return;
    if (!want) {
        give_back(v);
        vmm_log(LOG_KVM, "%s: vhost-net stopped", v->vdev->name);
        return;
    }
    if (take_over(v) < 0) {
        warn_report("%s: vhost-net cannot start; using the userspace datapath",
                    v->vdev->name);
        v->failed = true;
        return;
    }
    vmm_log(LOG_KVM, "%s: vhost-net started", v->vdev->name);
}

void vhost_net_set_wanted(struct vhost_net *v, bool wanted)
{
    v->wanted = wanted;
    if (!wanted)
        v->failed = false;      /* after a reset the driver may try again */
    update(v);
}

bool vhost_net_running(const struct vhost_net *v)
{
    return v->running;
}

/* ---- what moves the datapath ---- */

static void set_logging(struct vhost_net *v, bool on)
{
    pthread_mutex_lock(&v->vdev->lock);
    if (v->logging != on) {
        v->logging = on;
        update(v);
    }
    pthread_mutex_unlock(&v->vdev->lock);
}

/* Called for each RAM section; the first call switches, before RAM is copied. */
static void mem_log_start(MemoryListener *l, const MemorySection *s)
{
    (void)s;
    set_logging(l->opaque, true);
}

static void mem_log_stop(MemoryListener *l, const MemorySection *s)
{
    (void)s;
    set_logging(l->opaque, false);
}

static void on_vm_event(const char *event, const char *json, void *opaque)
{
    (void)json;
    (void)opaque;
    if (strcmp(event, "STOP") && strcmp(event, "RESUME"))
        return;
    pthread_mutex_lock(&instances_lock);
    for (guint i = 0; instances && i < instances->len; i++) {
        struct vhost_net *v = g_ptr_array_index(instances, i);

        pthread_mutex_lock(&v->vdev->lock);
        update(v);
        pthread_mutex_unlock(&v->vdev->lock);
    }
    pthread_mutex_unlock(&instances_lock);
}

/* The kernel put used buffers in queue q and the driver wants to know. */
static void vhost_call(struct vhost_net *v, unsigned int q)
{
    struct virtio_device *vdev = v->vdev;
    uint64_t n;

    if (read(v->call_fd[q], &n, sizeof(n)) < 0)
        return;
    pthread_mutex_lock(&vdev->lock);
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        vdev->isr |= VIRTIO_ISR_VRING;
        if (vdev->irq_update)
            vdev->irq_update(vdev, vdev->irq_opaque);
    }
    pthread_mutex_unlock(&vdev->lock);
}

static void on_call_rx(void *opaque, uint32_t events)
{
    (void)events;
    vhost_call(opaque, 0);
}

static void on_call_tx(void *opaque, uint32_t events)
{
    (void)events;
    vhost_call(opaque, 1);
}

/* ---- creation ---- */

struct vhost_net *vhost_net_new(struct virtio_device *vdev, int tap_fd, bool tap_vnet_hdr,
                                vhost_net_switch_fn on_switch, GError **errp)
{
    static const virtio_fd_fn call_fn[NQUEUES] = { on_call_rx, on_call_tx };
    struct vhost_net *v = g_new0(struct vhost_net, 1);
    int ret;

    v->vdev = vdev;
    v->tap_fd = tap_fd;
    v->tap_vnet_hdr = tap_vnet_hdr;
    v->on_switch = on_switch;
    v->call_fd[0] = v->call_fd[1] = -1;
    v->regions = g_array_new(FALSE, FALSE, sizeof(struct vhost_memory_region));
    pthread_mutex_init(&v->mem_lock, NULL);
    v->fd = open(VHOST_NET_DEV, O_RDWR | O_CLOEXEC);
    if (v->fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "vhost-net: cannot open %s: %s", VHOST_NET_DEV, strerror(errno));
        goto fail;
    }
    if (ioctl(v->fd, VHOST_SET_OWNER, NULL) < 0 ||
        ioctl(v->fd, VHOST_GET_FEATURES, &v->kernel_features) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "vhost-net: VHOST_SET_OWNER/GET_FEATURES: %s", strerror(errno));
        goto fail;
    }
    if (!(v->kernel_features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "vhost-net: the kernel has no VIRTIO_F_VERSION_1");
        goto fail;
    }
    /* offer only ring features the kernel implements */
    vdev->host_features &= ~(RING_FEATURES & ~v->kernel_features);
    for (unsigned int q = 0; q < NQUEUES; q++) {
        v->call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (v->call_fd[q] < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "vhost-net: eventfd: %s", strerror(errno));
            goto fail;
        }
        v->call_h[q] = virtio_iothread_add_fd(vdev->iothread, v->call_fd[q], EPOLLIN,
                                              call_fn[q], v, errp);
        if (!v->call_h[q])
            goto fail;
    }
    v->listener = (MemoryListener){
        .region_add = mem_region_add,
        .region_del = mem_region_del,
        .log_start = mem_log_start,
        .log_stop = mem_log_stop,
        .opaque = v,
    };
    ret = address_space_add_listener(vdev->as, &v->listener);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "vhost-net: the kernel refused the memory table: %s", strerror(-ret));
        v->listener.opaque = NULL;
        goto fail;
    }
    v->logging = vdev->as->log_dirty;
    pthread_mutex_lock(&instances_lock);
    if (!instances) {
        instances = g_ptr_array_new();
        vm_add_event_handler(on_vm_event, NULL);
    }
    g_ptr_array_add(instances, v);
    pthread_mutex_unlock(&instances_lock);
    return v;
fail:
    vhost_net_free(v);
    return NULL;
}

void vhost_net_free(struct vhost_net *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&instances_lock);
    if (instances)
        g_ptr_array_remove(instances, v);
    pthread_mutex_unlock(&instances_lock);
    if (v->listener.opaque)
        address_space_remove_listener(v->vdev->as, &v->listener);
    pthread_mutex_lock(&v->vdev->lock);
    if (v->running)
        give_back(v);
    pthread_mutex_unlock(&v->vdev->lock);
    for (unsigned int q = 0; q < NQUEUES; q++) {
        if (v->call_h[q])
            virtio_iothread_del_fd(v->vdev->iothread, v->call_h[q]);
        if (v->call_fd[q] >= 0)
            close(v->call_fd[q]);
    }
    if (v->fd >= 0)
        close(v->fd);
    g_array_free(v->regions, TRUE);
    pthread_mutex_destroy(&v->mem_lock);
    g_free(v);
}
