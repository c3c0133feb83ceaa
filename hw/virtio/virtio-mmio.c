/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2.2): register
 * decoding, queue notifications as ioeventfds, and the interrupt line.
 *
 * Registers below 0x100 are 32 bits wide; an access of another width is
 * ignored (reads 0) and logged under -d guest_errors.  The configuration
 * space from 0x100 takes 1, 2, 4 and 8-byte accesses.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "qemu-vmm/irq.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/virtio.h"
#include "qemu-vmm/virtio-mmio.h"

#define VIRTIO_MMIO_QUEUE_RESET 0x0c0   /* 1.2: with VIRTIO_F_RING_RESET only */
#define VMSTATE_VERSION         1

enum irq_mode { IRQ_NONE, IRQ_IRQFD, IRQ_LINE };

struct virtio_mmio {
    struct virtio_device *vdev;
    MemoryRegion *mr;
    uint64_t base;
    uint32_t dev_features_sel;
    uint32_t drv_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
    bool ioeventfd;             /* kicks are ioeventfds (else MMIO exits) */

    enum irq_mode irq_mode;
    int irqfd, resample_fd;
    struct virtio_fd_handler *resample_handler;
    struct irq_line line;
    bool line_level;
};

/* ---- interrupt ---- */

static void raise_irqfd(struct virtio_mmio *m)
{
    uint64_t one = 1;

    if (write(m->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        error_report("%s: cannot raise the interrupt: %s", m->vdev->name, strerror(errno));
}

/*
 * The line is level-triggered: asserted while the interrupt status is not
 * zero.  Through an irqfd KVM asserts the line and drops it at the EOI,
 * telling us on the resample fd; we then assert it again if the status is
 * still set.  Without irqfds we drive the level ourselves.
 */
static void mmio_irq_update(struct virtio_device *vdev, void *opaque)
{
    struct virtio_mmio *m = opaque;
    bool level = vdev->isr != 0;

    switch (m->irq_mode) {
    case IRQ_IRQFD:
        if (level)
            raise_irqfd(m);
        break;
    case IRQ_LINE:
        if (level != m->line_level) {
            irq_line_set(&m->line, level);
            m->line_level = level;
        }
        break;
    default:
        break;
    }
}

static void on_resample(void *opaque, uint32_t events)
{
    struct virtio_mmio *m = opaque;
    uint64_t n;

    (void)events;
    if (read(m->resample_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&m->vdev->lock);
    if (m->vdev->isr)
        raise_irqfd(m);
    pthread_mutex_unlock(&m->vdev->lock);
}

/*
 * The machine decides where the line goes.  A GSI of the in-kernel
 * irqchip (line.kvm set) gets an irqfd with a resample fd, so that
 * raising it and the guest's EOI stay in the kernel; any other line (a
 * userspace interrupt controller's input, e.g. the GIC of
 * kernel_irqchip=off) is driven through line.set.
 */
static int setup_irq(struct virtio_mmio *m, GError **errp)
{
    KVMState *kvm = m->line.kvm;
    int ret;

    m->irqfd = m->resample_fd = -1;
    if (!kvm && !m->line.set) {
        m->irq_mode = IRQ_NONE;
        return 0;
    }
    m->irq_mode = IRQ_LINE;
    if (!kvm || !kvm->caps.irqfd || !kvm->caps.irqfd_resample)
        return 0;
    m->irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m->resample_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->irqfd < 0 || m->resample_fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: eventfd: %s", m->vdev->name, strerror(errno));
        return -errno;
    }
    ret = kvm_irqchip_add_irqfd(kvm, m->irqfd, m->resample_fd, m->line.gsi);
    if (ret < 0) {
        /* not fatal: the line works without it, only slower */
        vmm_log(LOG_IRQ, "%s: irqfd on GSI %u: %s; raising the line directly",
                m->vdev->name, m->line.gsi, strerror(-ret));
        close(m->irqfd);
        close(m->resample_fd);
        m->irqfd = m->resample_fd = -1;
        return 0;
    }
    m->irq_mode = IRQ_IRQFD;
    m->resample_handler = virtio_iothread_add_fd(m->vdev->iothread, m->resample_fd,
                                                 EPOLLIN, on_resample, m, errp);
    return m->resample_handler ? 0 : -EIO;
}

/* ---- registers ---- */

static struct virtqueue *selected_queue(struct virtio_mmio *m)
{
    return m->queue_sel < m->vdev->num_queues ? &m->vdev->vq[m->queue_sel] : NULL;
}

static uint64_t config_read(struct virtio_device *vdev, uint64_t off, unsigned size)
{
    uint64_t val = 0;

    if (off < vdev->config_len && size <= vdev->config_len - off)
        memcpy(&val, vdev->config + off, size);     /* little-endian host */
    return val;
}

static uint32_t reg_read(struct virtio_mmio *m, uint64_t off)
{
    struct virtio_device *vdev = m->vdev;
    struct virtqueue *vq = selected_queue(m);

    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return vdev->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (m->dev_features_sel > 1)
            return 0;
        return (uint32_t)(vdev->host_features >> (32 * m->dev_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq ? vq->num_max : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return vdev->isr;
    case VIRTIO_MMIO_STATUS:
        return vdev->status;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffffffff;      /* no shared memory regions: length -1 */
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return vdev->config_generation;
    case VIRTIO_MMIO_QUEUE_RESET:
        return 0;
    default:
        vmm_log(LOG_GUEST_ERROR, "%s: read of write-only or unknown register 0x%" PRIx64,
                vdev->name, off);
        return 0;
    }
}

static void set_addr_half(uint64_t *addr, bool high, uint32_t val)
{
    if (high)
        *addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
    else
        *addr = (*addr & ~0xffffffffULL) | val;
}

static void queue_reg_write(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
    struct virtqueue *vq = selected_queue(m);

    if (!vq) {
        vmm_log(LOG_GUEST_ERROR, "%s: write to register 0x%" PRIx64 " of queue %u, "
                "which does not exist", m->vdev->name, off, m->queue_sel);
        return;
    }
    if (off == VIRTIO_MMIO_QUEUE_READY) {
        virtio_queue_set_ready(m->vdev, m->queue_sel, val & 1);
        return;
    }
    if (vq->ready) {
        /* 4.2.2.3: the driver must not change a queue that is in use */
        vmm_log(LOG_GUEST_ERROR, "%s: write to register 0x%" PRIx64 " of ready queue %u "
                "ignored", m->vdev->name, off, m->queue_sel);
        return;
    }
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        vq->num = (uint16_t)MIN(val, 0xffffu);  /* checked when it becomes ready */
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        set_addr_half(&vq->desc_addr, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
        break;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        set_addr_half(&vq->avail_addr, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
        break;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        set_addr_half(&vq->used_addr, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
        break;
    }
}

static void reg_write(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
    struct virtio_device *vdev = m->vdev;

    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        m->dev_features_sel = val;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        m->drv_features_sel = val;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
            vmm_log(LOG_GUEST_ERROR, "%s: feature write after FEATURES_OK ignored",
                    vdev->name);
        } else if (m->drv_features_sel <= 1) {
            unsigned int shift = 32 * m->drv_features_sel;

            vdev->guest_features &= ~(0xffffffffULL << shift);
            vdev->guest_features |= (uint64_t)val << shift;
        }
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        m->queue_sel = val;
        break;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        queue_reg_write(m, off, val);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* only notifications the ioeventfds did not match get here */
        if (val < vdev->num_queues)
            virtio_queue_kick(vdev, val);
        else
            vmm_log(LOG_GUEST_ERROR, "%s: notification of queue %u, which does not exist",
                    vdev->name, val);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        virtio_isr_ack(vdev, val);
        break;
    case VIRTIO_MMIO_STATUS:
        virtio_set_status(vdev, (uint8_t)val);
        break;
    case VIRTIO_MMIO_SHM_SEL:
        m->shm_sel = val;
        break;
    case VIRTIO_MMIO_QUEUE_RESET:
        vmm_log(LOG_GUEST_ERROR, "%s: QueueReset without VIRTIO_F_RING_RESET ignored",
                vdev->name);
        break;
    default:
        vmm_log(LOG_GUEST_ERROR, "%s: write of read-only or unknown register 0x%" PRIx64,
                vdev->name, off);
        break;
    }
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct virtio_mmio *m = opaque;
    uint64_t val;

    if (off < VIRTIO_MMIO_CONFIG && size != 4) {
        vmm_log(LOG_GUEST_ERROR, "%s: %u-byte read of register 0x%" PRIx64 " ignored",
                m->vdev->name, size, off);
        return 0;
    }
    pthread_mutex_lock(&m->vdev->lock);
    if (off >= VIRTIO_MMIO_CONFIG)
        val = config_read(m->vdev, off - VIRTIO_MMIO_CONFIG, size);
    else
        val = reg_read(m, off);
    pthread_mutex_unlock(&m->vdev->lock);
    return val;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_mmio *m = opaque;
    struct virtio_device *vdev = m->vdev;

    if (off < VIRTIO_MMIO_CONFIG && size != 4) {
        vmm_log(LOG_GUEST_ERROR, "%s: %u-byte write of register 0x%" PRIx64 " ignored",
                vdev->name, size, off);
        return;
    }
    pthread_mutex_lock(&vdev->lock);
    if (off < VIRTIO_MMIO_CONFIG)
        reg_write(m, off, (uint32_t)val);
    else if (vdev->ops->config_write)
        vdev->ops->config_write(vdev, off - VIRTIO_MMIO_CONFIG, val, size);
    pthread_mutex_unlock(&vdev->lock);
}

/* ---- migration: one section per transport (docs/migration-format.md) ---- */

int virtio_mmio_save(struct virtio_mmio *m, GByteArray *out)
{
    int ret;

    pthread_mutex_lock(&m->vdev->lock);
    put_u64(out, m->base);
    put_u32(out, m->line.gsi);
    put_u32(out, m->dev_features_sel);
    put_u32(out, m->drv_features_sel);
    put_u32(out, m->queue_sel);
    put_u32(out, m->shm_sel);
    ret = virtio_device_save(m->vdev, out);
    pthread_mutex_unlock(&m->vdev->lock);
    return ret;
}

int virtio_mmio_load(struct virtio_mmio *m, const uint8_t *buf, size_t len,
                     uint32_t version, GError **errp)
{
    struct vm_reader r = { .p = buf, .len = len };
    uint64_t base;
    uint32_t gsi, sel[4];
    int ret;

    if (version != VMSTATE_VERSION) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: virtio-mmio state version %u, this VM knows %u", m->vdev->name,
                    version, VMSTATE_VERSION);
        return -EINVAL;
    }
    base = get_u64(&r);
    gsi = get_u32(&r);
    for (unsigned int i = 0; i < 4; i++)
        sel[i] = get_u32(&r);
    if (r.error || base != m->base || gsi != m->line.gsi) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    r.error ? "%s: virtio-mmio state truncated"
                            : "%s: transport at 0x%" PRIx64 " (GSI %u) on the source, at 0x%"
                              PRIx64 " (GSI %u) here", m->vdev->name, base, gsi, m->base,
                    m->line.gsi);
        return -EINVAL;
    }
    pthread_mutex_lock(&m->vdev->lock);
    ret = virtio_device_load(m->vdev, &r, errp);
    if (ret == 0 && r.pos != r.len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: %zu bytes left over in the virtio-mmio state", m->vdev->name,
                    r.len - r.pos);
        ret = -EINVAL;
    }
    if (ret == 0) {
        m->dev_features_sel = sel[0];
        m->drv_features_sel = sel[1];
        m->queue_sel = sel[2];
        m->shm_sel = sel[3];
    }
    pthread_mutex_unlock(&m->vdev->lock);
    return ret;
}

static int vmstate_save(void *opaque, GByteArray *out)
{
    return virtio_mmio_save(opaque, out);
}

static int vmstate_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                        GError **errp)
{
    return virtio_mmio_load(opaque, buf, len, version, errp);
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .valid_sizes = ACCESS_ANY,
    .unaligned_ok = false,
};

int virtio_mmio_set_ioeventfd(struct virtio_mmio *m, bool on, GError **errp)
{
    struct virtio_device *vdev = m->vdev;

    if (on == m->ioeventfd)
        return 0;
    for (unsigned int q = 0; q < vdev->num_queues; q++) {
        int ret;

        if (!on) {
            memory_region_del_eventfd(m->mr, VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q,
                                      vdev->kick_fd[q]);
            continue;
        }
        /* a kick of queue q is a 4-byte write of q: handled in the kernel */
        ret = memory_region_add_eventfd(m->mr, VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q,
                                        vdev->kick_fd[q]);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "%s: ioeventfd for queue %u: %s", vdev->name, q, strerror(-ret));
            while (q-- > 0)
                memory_region_del_eventfd(m->mr, VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, q,
                                          vdev->kick_fd[q]);
            return ret;
        }
    }
    m->ioeventfd = on;
    return 0;
}

static uint32_t next_instance;

struct virtio_mmio *virtio_mmio_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                                       struct virtio_device *vdev, GError **errp)
{
    struct virtio_mmio *m = g_new0(struct virtio_mmio, 1);
    g_autofree char *name = g_strdup_printf("%s-mmio", vdev->name);
    int ret;

    m->vdev = vdev;
    m->line = irq;
    m->base = base;
    if (setup_irq(m, errp) < 0)
        goto fail;
    m->mr = memory_region_new_io(name, VIRTIO_MMIO_SIZE, &mmio_ops, m);
    if (virtio_mmio_set_ioeventfd(m, true, errp) < 0)
        goto fail;
    ret = memory_region_map(as, m->mr, base, 0);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "%s: cannot map the virtio-mmio window at 0x%" PRIx64 ": %s",
                    vdev->name, base, strerror(-ret));
        goto fail;
    }
    pthread_mutex_lock(&vdev->lock);
    vdev->irq_update = mmio_irq_update;
    vdev->irq_opaque = m;
    pthread_mutex_unlock(&vdev->lock);
    /* instances in creation order: the command line's order on both sides */
    vmstate_register(&(struct vmstate_ops){
        .name = "virtio-mmio", .instance = next_instance++, .version = VMSTATE_VERSION,
        .save = vmstate_save, .load = vmstate_load, .opaque = m,
    });
    return m;
fail:
    virtio_mmio_free(m);
    return NULL;
}

void virtio_mmio_free(struct virtio_mmio *m)
{
    if (!m)
        return;
    vmstate_unregister(m);
    pthread_mutex_lock(&m->vdev->lock);
    m->vdev->irq_update = NULL;
    pthread_mutex_unlock(&m->vdev->lock);
    memory_region_free(m->mr);      /* unmaps it, and KVM drops the ioeventfds */
    if (m->resample_handler)
        virtio_iothread_del_fd(m->vdev->iothread, m->resample_handler);
    if (m->irq_mode == IRQ_IRQFD)
        kvm_irqchip_remove_irqfd(m->line.kvm, m->irqfd, m->line.gsi);
    if (m->irqfd >= 0)
        close(m->irqfd);
    if (m->resample_fd >= 0)
        close(m->resample_fd);
    g_free(m);
}

void virtio_mmio_reset(struct virtio_mmio *m)
{
    pthread_mutex_lock(&m->vdev->lock);
    virtio_reset(m->vdev);
    m->dev_features_sel = m->drv_features_sel = m->queue_sel = m->shm_sel = 0;
    pthread_mutex_unlock(&m->vdev->lock);
}
