/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration state of virtio-mmio devices without KVM: a dummy device with
 * two queues is driven as a guest would on a "source", its section saved
 * and loaded into a "destination" with its own RAM (copied, as the RAM
 * pass would); the destination must then go on where the source stopped.
 * Loads of broken or mismatched sections must fail with a message.  Also:
 * a VM stop waits for in-flight requests and holds back new ones.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/virtio-mmio.h"

#define MiB         (1ULL << 20)
#define RAM_SIZE    (4 * MiB)
#define BASE        0xfeb00000ULL
#define GSI         5
#define DESC        0x1000ULL
#define AVAIL       0x2000ULL
#define USED        0x3000ULL
#define NUM         8
#define DEV_ID      42
#define V1          (1ULL << VIRTIO_F_VERSION_1)
#define EVENT_IDX   (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define INDIRECT    (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
/* where the first queue's flags byte lies in a section of "dummy0" */
#define QUEUE0_FLAGS_OFF  (8 + 4 + 16 + 2 + 6 + 4 + 4 + 8 + 8 + 1 + 1 + 4 + 4 + 4 + 16 + 4)

struct dummy {
    struct virtio_device vdev;
    uint32_t own;               /* the device's own state */
    unsigned int own_extra;     /* bytes to add to it when saving (a broken source) */
    bool async;                 /* complete chains on a thread, later */
    GThread *completer;
};

struct env {
    AddressSpace *as;
    MemoryRegion *ram;
    struct dummy *d;
    struct virtio_mmio *m;
};

/* async: the chains of one kick complete 100 ms later, as a slow disk would */
static gpointer complete_later(gpointer opaque)
{
    struct virtio_device *vdev = opaque;
    struct virtq_elem *e;

    g_usleep(100000);
    pthread_mutex_lock(&vdev->lock);
    while (virtqueue_pop(&vdev->vq[0], &e) > 0) {
        virtqueue_push(&vdev->vq[0], e, 0);
        virtqueue_elem_free(e);
    }
    virtio_notify(vdev, &vdev->vq[0]);
    virtio_inflight_dec(vdev);
    pthread_mutex_unlock(&vdev->lock);
    return NULL;
}

static void dummy_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct dummy *d = (struct dummy *)vdev;
    struct virtqueue *vq = &vdev->vq[q];
    struct virtq_elem *e;
    bool pushed = false;

    if (d->async) {
        if (!virtqueue_empty(vq) && !vdev->inflight) {
            if (d->completer)
                g_thread_unref(d->completer);
            virtio_inflight_inc(vdev);
            d->completer = g_thread_new("completer", complete_later, vdev);
        }
        return;
    }
    while (virtqueue_pop(vq, &e) > 0) {
        virtqueue_push(vq, e, (uint32_t)e->in_len);
        virtqueue_elem_free(e);
        pushed = true;
    }
    if (pushed)
        virtio_notify(vdev, vq);
}

static int dummy_save(struct virtio_device *vdev, GByteArray *out)
{
    struct dummy *d = (struct dummy *)vdev;

    put_u32(out, d->own);
    for (unsigned int i = 0; i < d->own_extra; i++)
        put_u8(out, 0);
    return 0;
}

static int dummy_load(struct virtio_device *vdev, struct vm_reader *r, GError **errp)
{
    ((struct dummy *)vdev)->own = get_u32(r);
    return 0;
}

static const struct virtio_device_ops dummy_ops = {
    .handle_queue = dummy_handle_queue,
    .save = dummy_save,
    .load = dummy_load,
};

static struct env *env_new_with(uint32_t id, unsigned int nq, uint16_t q0max,
                                uint64_t features, uint64_t base)
{
    struct env *e = g_new0(struct env, 1);
    const uint16_t qmax[2] = { q0max, 16 };

    e->as = address_space_new("memory", 1ULL << 32, false);
    e->ram = memory_region_new_ram("ram", RAM_SIZE, NULL);
    g_assert_cmpint(memory_region_map(e->as, e->ram, 0, 0), ==, 0);
    e->d = g_new0(struct dummy, 1);
    g_assert_cmpint(virtio_device_init(&e->d->vdev, "dummy0", id, &dummy_ops, e->as,
                                       features, nq, qmax, 16, NULL), ==, 0);
    for (int i = 0; i < 16; i++)
        e->d->vdev.config[i] = (uint8_t)(0x10 + i);
    e->m = virtio_mmio_create(e->as, base, (struct irq_line){ .gsi = GSI }, &e->d->vdev, NULL);
    g_assert_nonnull(e->m);
    return e;
}

static struct env *env_new(void)
{
    return env_new_with(DEV_ID, 2, 256, 0, BASE);
}

static void env_free(struct env *e)
{
    virtio_mmio_free(e->m);
    virtio_device_cleanup(&e->d->vdev);
    if (e->d->completer)
        g_thread_join(e->d->completer);
    g_free(e->d);
    address_space_free(e->as);
    memory_region_free(e->ram);
    g_free(e);
}

static uint32_t rd(struct env *e, uint64_t off)
{
    return (uint32_t)address_space_read_io(e->as, BASE + off, 4);
}

static void wr(struct env *e, uint64_t off, uint32_t val)
{
    address_space_write_io(e->as, BASE + off, val, 4);
}

static void *host(struct env *e, uint64_t addr)
{
    return e->ram->host + addr;
}

static void setup_queue(struct env *e, unsigned int q, uint32_t num, uint64_t desc)
{
    wr(e, VIRTIO_MMIO_QUEUE_SEL, q);
    wr(e, VIRTIO_MMIO_QUEUE_NUM, num);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(e, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(desc + 0x1000));
    wr(e, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(desc + 0x2000));
    wr(e, VIRTIO_MMIO_QUEUE_READY, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 1);
}

/* What a driver does: features, both queues, DRIVER_OK. */
static void bring_up(struct env *e, uint64_t features)
{
    uint32_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

    wr(e, VIRTIO_MMIO_STATUS, st);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(e, VIRTIO_MMIO_STATUS, st | VIRTIO_CONFIG_S_FEATURES_OK);
    setup_queue(e, 0, NUM, DESC);
    setup_queue(e, 1, 4, 0x10000);
    wr(e, VIRTIO_MMIO_STATUS, st | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static uint16_t used_idx(struct env *e)
{
    return __atomic_load_n(&((struct vring_used *)host(e, USED))->idx, __ATOMIC_ACQUIRE);
}

/* Offer chain i (descriptor i, 64 device-writable bytes) on queue 0 and kick. */
static void submit(struct env *e, uint16_t i)
{
    struct vring_desc *d = host(e, DESC);
    struct vring_avail *av = host(e, AVAIL);

    d[i % NUM] = (struct vring_desc){ 0x20000 + 64 * (i % NUM), 64, VRING_DESC_F_WRITE, 0 };
    av->ring[av->idx % NUM] = i % NUM;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    av->idx++;
    wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static bool wait_used(struct env *e, uint16_t n)
{
    for (int i = 0; i < 5000; i++) {
        if (used_idx(e) == n)
            return true;
        g_usleep(1000);
    }
    return false;
}

static GByteArray *save(struct env *e)
{
    GByteArray *b = g_byte_array_new();

    g_assert_cmpint(virtio_mmio_save(e->m, b), ==, 0);
    return b;
}

/* Load must fail, with a message containing what. */
static void expect_refused(struct env *e, const uint8_t *p, size_t len, uint32_t version,
                           const char *what)
{
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(virtio_mmio_load(e->m, p, len, version, &err), <, 0);
    g_assert_nonnull(err);
    if (what && !strstr(err->message, what))
        g_error("'%s' does not say '%s'", err->message, what);
}

/* A source with three chains used on queue 0, an unacknowledged interrupt. */
static struct env *busy_source(void)
{
    struct env *src = env_new();

    bring_up(src, V1 | EVENT_IDX | INDIRECT);
    for (uint16_t i = 0; i < 3; i++)
        submit(src, i);
    g_assert_true(wait_used(src, 3));
    g_assert_cmpuint(rd(src, VIRTIO_MMIO_INTERRUPT_STATUS), ==, VIRTIO_ISR_VRING);
    src->d->own = 0xc0ffee;
    wr(src, VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(src, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    return src;
}

static void test_round_trip(void)
{
    struct env *src = busy_source(), *dst = env_new();
    g_autoptr(GByteArray) a = save(src);
    g_autoptr(GByteArray) b = NULL;
    g_autoptr(GError) err = NULL;
    struct virtqueue *vq;

    memcpy(dst->ram->host, src->ram->host, RAM_SIZE);      /* the RAM pass */
    g_assert_cmpint(virtio_mmio_load(dst->m, a->data, a->len, 1, &err), ==, 0);
    g_assert_null(err);
    /* the same state, byte for byte */
    b = save(dst);
    g_assert_cmpuint(b->len, ==, a->len);
    g_assert_cmpmem(b->data, b->len, a->data, a->len);
    /* as the driver sees it */
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_STATUS), ==, rd(src, VIRTIO_MMIO_STATUS));
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_INTERRUPT_STATUS), ==, VIRTIO_ISR_VRING);
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_DEVICE_FEATURES), ==, 1);  /* selector 1 kept */
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_QUEUE_NUM_MAX), ==, 16);   /* queue 1 selected */
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_QUEUE_READY), ==, 1);
    g_assert_cmpuint(rd(dst, VIRTIO_MMIO_CONFIG_GENERATION), ==,
                     rd(src, VIRTIO_MMIO_CONFIG_GENERATION));
    g_assert_cmphex(dst->d->vdev.guest_features, ==, V1 | EVENT_IDX | INDIRECT);
    g_assert_cmphex(dst->d->own, ==, 0xc0ffee);
    vq = &dst->d->vdev.vq[0];
    g_assert_true(vq->ready && vq->event_idx && vq->indirect);
    g_assert_cmpuint(vq->last_avail_idx, ==, 3);
    g_assert_cmpuint(vq->used_idx, ==, 3);
    g_assert_true(vq->used.host == host(dst, USED));       /* mapped in its own RAM */
    g_assert_cmpuint(dst->d->vdev.vq[1].num, ==, 4);

    /* it goes on where the source stopped: the fourth chain is the fourth used */
    wr(dst, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_VRING);
    submit(dst, 3);
    g_assert_true(wait_used(dst, 4));
    g_assert_cmpuint(((struct vring_used *)host(dst, USED))->ring[3].id, ==, 3);
    g_assert_cmpuint(used_idx(src), ==, 3);                 /* the source's RAM is its own */
    env_free(src);
    env_free(dst);
}

static void test_refuse_truncated_and_version(void)
{
    struct env *src = busy_source(), *dst = env_new();
    g_autoptr(GByteArray) a = save(src);
    g_autoptr(GByteArray) longer = g_byte_array_new();

    memcpy(dst->ram->host, src->ram->host, RAM_SIZE);
    for (size_t len = 0; len < a->len; len++)
        expect_refused(dst, a->data, len, 1, NULL);
    expect_refused(dst, a->data, a->len, 2, "version 2");
    expect_refused(dst, a->data, a->len, 0, "version 0");
    g_byte_array_append(longer, a->data, a->len);
    put_u8(longer, 0);
    expect_refused(dst, longer->data, longer->len, 1, "left over");
    /* unknown queue flags */
    a->data[QUEUE0_FLAGS_OFF] |= 0x80;
    expect_refused(dst, a->data, a->len, 1, "unknown flags");
    /* and after all that, the intact section still loads */
    a->data[QUEUE0_FLAGS_OFF] &= 0x7f;
    g_assert_cmpint(virtio_mmio_load(dst->m, a->data, a->len, 1, NULL), ==, 0);
    env_free(src);
    env_free(dst);
}

static void test_refuse_bad_queue(void)
{
    struct env *src = busy_source(), *dst = env_new();
    struct virtqueue *vq = &src->d->vdev.vq[0];
    GByteArray *a;

    memcpy(dst->ram->host, src->ram->host, RAM_SIZE);
    /* a queue size that is not a power of 2 */
    vq->num = 6;
    a = save(src);
    expect_refused(dst, a->data, a->len, 1, "power of 2");
    g_byte_array_free(a, TRUE);
    vq->num = NUM;
    /* more chains taken than the queue holds */
    vq->last_avail_idx = 100;
    a = save(src);
    expect_refused(dst, a->data, a->len, 1, "taken but not used");
    g_byte_array_free(a, TRUE);
    vq->last_avail_idx = 3;
    /* rings outside the destination's RAM */
    vq->used_addr = RAM_SIZE;
    a = save(src);
    expect_refused(dst, a->data, a->len, 1, "not in guest RAM");
    g_byte_array_free(a, TRUE);
    vq->used_addr = USED;
    /* the device's own part longer than it reads */
    src->d->own_extra = 2;
    a = save(src);
    expect_refused(dst, a->data, a->len, 1, "does not parse");
    g_byte_array_free(a, TRUE);
    env_free(src);
    env_free(dst);
}

static void test_refuse_other_device(void)
{
    struct env *src = busy_source();
    g_autoptr(GByteArray) a = save(src);
    struct {
        uint32_t id;
        unsigned int nq;
        uint16_t q0max;
        uint64_t features, base;
        const char *what;
    } cases[] = {
        { DEV_ID + 1, 2, 256, 0, BASE, "device id" },
        { DEV_ID, 1, 256, 0, BASE, "2 queues on the source, 1 here" },
        { DEV_ID, 2, 128, 0, BASE, "at most 256 entries on the source, 128 here" },
        { DEV_ID, 2, 256, 0, BASE + 0x200, "transport at" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct env *dst = env_new_with(cases[i].id, cases[i].nq, cases[i].q0max,
                                       cases[i].features, cases[i].base);

        memcpy(dst->ram->host, src->ram->host, RAM_SIZE);
        expect_refused(dst, a->data, a->len, 1, cases[i].what);
        env_free(dst);
    }
    env_free(src);
}

/* A driver that accepted a feature the destination does not offer. */
static void test_refuse_features(void)
{
    struct env *src = env_new_with(DEV_ID, 2, 256, 1ULL << 3, BASE);
    struct env *dst = env_new();
    g_autoptr(GByteArray) a = NULL;

    bring_up(src, V1 | (1ULL << 3));
    a = save(src);
    expect_refused(dst, a->data, a->len, 1, "does not offer");
    env_free(src);
    env_free(dst);
}

static bool has_used(struct env *e, uint16_t n)
{
    g_usleep(50000);
    return used_idx(e) == n;
}

/* A stop waits for what is in flight, then takes nothing until the VM runs. */
static void test_stop_drains(void)
{
    struct env *e = env_new();
    g_autoptr(GByteArray) a = NULL;

    e->d->async = true;
    bring_up(e, V1);
    submit(e, 0);
    for (int i = 0; i < 1000 && !__atomic_load_n(&e->d->vdev.inflight, __ATOMIC_SEQ_CST); i++)
        g_usleep(1000);
    g_assert_cmpuint(used_idx(e), ==, 0);
    /* a migration saves only what a stopped device holds */
    a = g_byte_array_new();
    g_assert_cmpint(virtio_mmio_save(e->m, a), ==, -EBUSY);
    vm_emit_event("STOP", NULL);
    g_assert_cmpuint(e->d->vdev.inflight, ==, 0);
    g_assert_cmpuint(used_idx(e), ==, 1);       /* completed before the stop returned */
    submit(e, 1);
    g_assert_true(has_used(e, 1));              /* held back while stopped */
    vm_emit_event("RESUME", NULL);
    g_assert_true(wait_used(e, 2));
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-vmstate/round-trip", test_round_trip);
    g_test_add_func("/virtio-vmstate/refuse-truncated-and-version",
                    test_refuse_truncated_and_version);
    g_test_add_func("/virtio-vmstate/refuse-bad-queue", test_refuse_bad_queue);
    g_test_add_func("/virtio-vmstate/refuse-other-device", test_refuse_other_device);
    g_test_add_func("/virtio-vmstate/refuse-features", test_refuse_features);
    g_test_add_func("/virtio-vmstate/stop-drains", test_stop_drains);
    return g_test_run();
}
