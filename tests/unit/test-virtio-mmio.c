/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport and the virtio core without KVM: a dummy
 * device with two queues, driven through MMIO dispatch as a guest would
 * (notifications take the slow path: there is no KVM for the ioeventfds).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio.h"
#include "qemu-vmm/virtio-mmio.h"

#define MiB         (1ULL << 20)
#define BASE        0xfeb00000ULL
#define DESC        0x1000ULL
#define AVAIL       0x2000ULL
#define USED        0x3000ULL
#define NUM         8
#define DEV_ID      42
#define DEV_FEATURE (1ULL << 3)

struct dummy {
    struct virtio_device vdev;
    unsigned int kicks[2];
    unsigned int resets;
    uint64_t last_config_write;
};

struct env {
    AddressSpace *as;
    MemoryRegion *ram;
    struct dummy *d;
    struct virtio_mmio *m;
    int level;          /* of the interrupt line, as last set */
    unsigned int edges; /* level changes */
    unsigned int pin;
};

/* The interrupt line, as a userspace interrupt controller would take it. */
static void line_set(void *opaque, unsigned int pin, int level)
{
    struct env *e = opaque;

    e->pin = pin;
    if (level != e->level)
        e->edges++;
    __atomic_store_n(&e->level, level, __ATOMIC_RELEASE);
}

static void dummy_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct dummy *d = (struct dummy *)vdev;
    struct virtqueue *vq = &vdev->vq[q];
    struct virtq_elem *e;
    bool pushed = false;
    int ret;

    d->kicks[q]++;
    while ((ret = virtqueue_pop(vq, &e)) > 0) {
        virtqueue_push(vq, e, (uint32_t)e->in_len);
        virtqueue_elem_free(e);
        pushed = true;
    }
    if (ret < 0)
        virtio_error(vdev, "%s", vq->error);
    else if (pushed)
        virtio_notify(vdev, vq);
}

static void dummy_config_write(struct virtio_device *vdev, uint64_t off, uint64_t val,
                               unsigned size)
{
    ((struct dummy *)vdev)->last_config_write = (off << 32) | val;
    memcpy(vdev->config + off, &val, size);
    virtio_notify_config(vdev);
}

static void dummy_reset(struct virtio_device *vdev)
{
    ((struct dummy *)vdev)->resets++;
}

static const struct virtio_device_ops dummy_ops = {
    .handle_queue = dummy_handle_queue,
    .config_write = dummy_config_write,
    .reset = dummy_reset,
};

static struct env *env_new(void)
{
    struct env *e = g_new0(struct env, 1);
    const uint16_t qmax[2] = { 256, 16 };

    e->as = address_space_new("memory", 1ULL << 32, false);
    e->ram = memory_region_new_ram("ram", 16 * MiB, NULL);
    g_assert_cmpint(memory_region_map(e->as, e->ram, 0, 0), ==, 0);
    e->d = g_new0(struct dummy, 1);
    g_assert_cmpint(virtio_device_init(&e->d->vdev, "dummy0", DEV_ID, &dummy_ops, e->as,
                                       DEV_FEATURE, 2, qmax, 16, NULL), ==, 0);
    for (int i = 0; i < 16; i++)
        e->d->vdev.config[i] = (uint8_t)(0x10 + i);
    e->m = virtio_mmio_create(e->as, BASE, (struct irq_line){ .gsi = 5, .set = line_set,
                                                              .opaque = e },
                              &e->d->vdev, NULL);
    g_assert_nonnull(e->m);
    return e;
}

static void env_free(struct env *e)
{
    virtio_mmio_free(e->m);
    virtio_device_cleanup(&e->d->vdev);
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

/* Reset, ACKNOWLEDGE, DRIVER, features; returns the status read back. */
static uint32_t negotiate(struct env *e, uint64_t features)
{
    wr(e, VIRTIO_MMIO_STATUS, 0);
    wr(e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    wr(e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                              VIRTIO_CONFIG_S_FEATURES_OK);
    return rd(e, VIRTIO_MMIO_STATUS);
}

static void setup_queue(struct env *e, unsigned int q, uint32_t num, uint64_t desc)
{
    memset(host(e, desc), 0, 0x3000);
    wr(e, VIRTIO_MMIO_QUEUE_SEL, q);
    wr(e, VIRTIO_MMIO_QUEUE_NUM, num);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    wr(e, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(desc + 0x1000));
    wr(e, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
    wr(e, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(desc + 0x2000));
    wr(e, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
    wr(e, VIRTIO_MMIO_QUEUE_READY, 1);
}

static uint32_t status_ok(void)
{
    return VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
           VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
}

static void bring_up(struct env *e, uint64_t features)
{
    g_assert_cmpuint(negotiate(e, features) & VIRTIO_CONFIG_S_FEATURES_OK, !=, 0);
    setup_queue(e, 0, NUM, DESC);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 1);
    wr(e, VIRTIO_MMIO_STATUS, status_ok());
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, status_ok());
}

/* Offer a one-descriptor chain on queue 0 and kick it. */
static void submit(struct env *e, uint64_t addr, uint32_t len, uint16_t flags)
{
    struct vring_desc *d = host(e, DESC);
    struct vring_avail *av = host(e, AVAIL);

    d[0] = (struct vring_desc){ addr, len, flags, 0 };
    av->ring[av->idx % NUM] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    av->idx++;
    wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* The I/O thread does the work: wait for it. */
static bool wait_for(bool (*cond)(struct env *e), struct env *e)
{
    for (int i = 0; i < 5000; i++) {
        if (cond(e))
            return true;
        g_usleep(1000);
    }
    return false;
}

static bool one_used(struct env *e)
{
    return __atomic_load_n(&((struct vring_used *)host(e, USED))->idx, __ATOMIC_ACQUIRE) >= 1;
}

static bool needs_reset(struct env *e)
{
    return rd(e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void test_identity(void)
{
    struct env *e = env_new();

    g_assert_cmphex(rd(e, VIRTIO_MMIO_MAGIC_VALUE), ==, 0x74726976);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_VERSION), ==, 2);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_DEVICE_ID), ==, DEV_ID);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_VENDOR_ID), ==, VIRTIO_MMIO_VENDOR);
    wr(e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_DEVICE_FEATURES), ==,
                    DEV_FEATURE | (1u << VIRTIO_RING_F_INDIRECT_DESC) |
                    (1u << VIRTIO_RING_F_EVENT_IDX));
    wr(e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_DEVICE_FEATURES), ==, 1);    /* VERSION_1 */
    wr(e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_DEVICE_FEATURES), ==, 0);
    /* queue sizes; a queue that does not exist has none */
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_NUM_MAX), ==, 256);
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_NUM_MAX), ==, 16);
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 2);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_NUM_MAX), ==, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 0);
    /* no shared memory regions: length -1 */
    wr(e, VIRTIO_MMIO_SHM_SEL, 0);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_SHM_LEN_LOW), ==, 0xffffffff);
    g_assert_cmphex(rd(e, VIRTIO_MMIO_SHM_LEN_HIGH), ==, 0xffffffff);
    /* registers are 32-bit: other widths read 0 and write nothing */
    g_assert_cmphex(address_space_read_io(e->as, BASE, 2), ==, 0);
    g_assert_cmphex(address_space_read_io(e->as, BASE, 1), ==, 0);
    address_space_write_io(e->as, BASE + VIRTIO_MMIO_STATUS, 1, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, 0);
    env_free(e);
}

static void test_feature_negotiation(void)
{
    struct env *e = env_new();
    uint64_t v1 = 1ULL << VIRTIO_F_VERSION_1;

    /* a legacy driver (no VERSION_1) is refused */
    g_assert_cmpuint(negotiate(e, DEV_FEATURE) & VIRTIO_CONFIG_S_FEATURES_OK, ==, 0);
    /* so is a feature that was not offered */
    g_assert_cmpuint(negotiate(e, v1 | (1ULL << 5)) & VIRTIO_CONFIG_S_FEATURES_OK, ==, 0);
    /* DRIVER_OK without FEATURES_OK does not stick */
    wr(e, VIRTIO_MMIO_STATUS, rd(e, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK, ==, 0);

    g_assert_cmpuint(negotiate(e, v1 | DEV_FEATURE) & VIRTIO_CONFIG_S_FEATURES_OK, !=, 0);
    g_assert_cmphex(e->d->vdev.guest_features, ==, v1 | DEV_FEATURE);
    /* features are fixed once FEATURES_OK is set */
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(e, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    g_assert_cmphex(e->d->vdev.guest_features, ==, v1 | DEV_FEATURE);
    /* the driver cannot clear status bits, nor set DEVICE_NEEDS_RESET */
    wr(e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_NEEDS_RESET);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    env_free(e);
}

static void test_queue_and_interrupt(void)
{
    struct env *e = env_new();
    struct vring_used *used = host(e, USED);

    bring_up(e, 1ULL << VIRTIO_F_VERSION_1);
    /* a ready queue's registers cannot change */
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(e, VIRTIO_MMIO_QUEUE_NUM, 4);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x8000);
    g_assert_cmpuint(e->d->vdev.vq[0].num, ==, NUM);
    g_assert_cmphex(e->d->vdev.vq[0].desc_addr, ==, DESC);

    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 0);
    submit(e, 0x10000, 64, VRING_DESC_F_WRITE);
    g_assert_true(wait_for(one_used, e));
    g_assert_cmpuint(used->ring[0].len, ==, 64);
    /* a used buffer notification: ISR bit 0, cleared by the ack */
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 1);
    /* the line is level-triggered: high while the status is not zero */
    g_assert_cmpint(__atomic_load_n(&e->level, __ATOMIC_ACQUIRE), ==, 1);
    g_assert_cmpuint(e->pin, ==, 5);
    wr(e, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 0);
    g_assert_cmpint(e->level, ==, 0);
    g_assert_cmpuint(e->edges, ==, 2);
    /* a configuration change (ISR bit 1) raises it again; a partial ack keeps it */
    address_space_write_io(e->as, BASE + VIRTIO_MMIO_CONFIG, 0x5a, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 2);
    g_assert_cmpint(e->level, ==, 1);
    wr(e, VIRTIO_MMIO_INTERRUPT_ACK, 1);
    g_assert_cmpint(e->level, ==, 1);
    wr(e, VIRTIO_MMIO_INTERRUPT_ACK, 2);
    g_assert_cmpint(e->level, ==, 0);
    g_assert_cmpuint(e->edges, ==, 4);
    /* a notification of a queue that does not exist is ignored */
    wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
    env_free(e);
}

static void test_kicks_before_driver_ok(void)
{
    struct env *e = env_new();

    /* chains made available before DRIVER_OK are taken once it is set */
    g_assert_cmpuint(negotiate(e, 1ULL << VIRTIO_F_VERSION_1) &
                     VIRTIO_CONFIG_S_FEATURES_OK, !=, 0);
    setup_queue(e, 0, NUM, DESC);
    submit(e, 0x10000, 64, VRING_DESC_F_WRITE);
    g_usleep(20000);
    g_assert_false(one_used(e));
    wr(e, VIRTIO_MMIO_STATUS, status_ok());
    g_assert_true(wait_for(one_used, e));
    env_free(e);
}

static void test_config_space(void)
{
    struct env *e = env_new();
    uint32_t gen = rd(e, VIRTIO_MMIO_CONFIG_GENERATION);

    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x100, 1), ==, 0x10);
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x102, 2), ==, 0x1312);
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x104, 4), ==, 0x17161514);
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x108, 8), ==,
                    0x1f1e1d1c1b1a1918ULL);
    /* beyond the device's config: 0 */
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x10e, 4), ==, 0);
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x1fc, 4), ==, 0);
    /* a change bumps the generation */
    address_space_write_io(e->as, BASE + 0x104, 0xaabbccdd, 4);
    g_assert_cmphex(e->d->last_config_write, ==, (4ULL << 32) | 0xaabbccdd);
    g_assert_cmphex(address_space_read_io(e->as, BASE + 0x104, 4), ==, 0xaabbccdd);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_CONFIG_GENERATION), ==, gen + 1);
    /* before DRIVER_OK there is no config interrupt */
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 0);
    bring_up(e, 1ULL << VIRTIO_F_VERSION_1);
    address_space_write_io(e->as, BASE + 0x100, 1, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 2);
    env_free(e);
}

static void test_bad_queue_setup(void)
{
    struct env *e = env_new();

    g_assert_cmpuint(negotiate(e, 1ULL << VIRTIO_F_VERSION_1) &
                     VIRTIO_CONFIG_S_FEATURES_OK, !=, 0);
    /* not a power of 2: the queue stays off, the device needs a reset */
    setup_queue(e, 0, 6, DESC);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 0);
    g_assert_true(needs_reset(e));
    /* reset clears it */
    wr(e, VIRTIO_MMIO_STATUS, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, 0);
    /* rings outside RAM */
    g_assert_cmpuint(negotiate(e, 1ULL << VIRTIO_F_VERSION_1) &
                     VIRTIO_CONFIG_S_FEATURES_OK, !=, 0);
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(e, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
    wr(e, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x10);      /* 64 GiB */
    wr(e, VIRTIO_MMIO_QUEUE_READY, 1);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 0);
    g_assert_true(needs_reset(e));
    env_free(e);
}

static void test_bad_chain_needs_reset(void)
{
    struct env *e = env_new();
    unsigned int kicks;

    bring_up(e, 1ULL << VIRTIO_F_VERSION_1);
    submit(e, 0x80000000ULL, 64, VRING_DESC_F_WRITE);     /* not RAM */
    g_assert_true(wait_for(needs_reset, e));
    g_assert_false(one_used(e));
    /* DEVICE_NEEDS_RESET comes with a configuration change interrupt */
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 2);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==,
                     status_ok() | VIRTIO_CONFIG_S_NEEDS_RESET);
    /* a broken device takes nothing more */
    kicks = e->d->kicks[0];
    submit(e, 0x10000, 64, VRING_DESC_F_WRITE);
    g_usleep(20000);
    g_assert_cmpuint(e->d->kicks[0], ==, kicks);
    g_assert_false(one_used(e));

    /* reset: all state goes, the device works again */
    wr(e, VIRTIO_MMIO_STATUS, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), ==, 0);
    wr(e, VIRTIO_MMIO_QUEUE_SEL, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 0);
    g_assert_cmphex(e->d->vdev.guest_features, ==, 0);
    g_assert_cmpuint(e->d->resets, >=, 1);
    bring_up(e, 1ULL << VIRTIO_F_VERSION_1);
    submit(e, 0x10000, 64, VRING_DESC_F_WRITE);
    g_assert_true(wait_for(one_used, e));
    env_free(e);
}

static void test_machine_reset(void)
{
    struct env *e = env_new();

    bring_up(e, 1ULL << VIRTIO_F_VERSION_1);
    virtio_mmio_reset(e->m);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_STATUS), ==, 0);
    g_assert_cmpuint(rd(e, VIRTIO_MMIO_QUEUE_READY), ==, 0);
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-mmio/identity", test_identity);
    g_test_add_func("/virtio-mmio/feature-negotiation", test_feature_negotiation);
    g_test_add_func("/virtio-mmio/queue-and-interrupt", test_queue_and_interrupt);
    g_test_add_func("/virtio-mmio/kicks-before-driver-ok", test_kicks_before_driver_ok);
    g_test_add_func("/virtio-mmio/config-space", test_config_space);
    g_test_add_func("/virtio-mmio/bad-queue-setup", test_bad_queue_setup);
    g_test_add_func("/virtio-mmio/bad-chain-needs-reset", test_bad_chain_needs_reset);
    g_test_add_func("/virtio-mmio/machine-reset", test_machine_reset);
    return g_test_run();
}
