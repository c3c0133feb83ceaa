/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GIC of the virt machine, at QEMU's virt addresses, either of:
 *
 * - kernel_irqchip=on: an in-kernel vGICv2 or vGICv3 created with
 *   KVM_CREATE_DEVICE.  SPIs are raised with KVM_IRQ_LINE, whose irq field
 *   on arm encodes the interrupt type and INTID rather than a GSI; irqfds
 *   use the GSI routing, where KVM's default routes map GSI n to SPI n.
 *
 * - kernel_irqchip=off: the userspace GICv2 model (hw/intc).  Its CPU
 *   outputs drive each vCPU's IRQ and FIQ inputs with KVM_IRQ_LINE (irq
 *   type CPU), which also wakes a vCPU waiting in WFI; the timers' outputs,
 *   which KVM reports after every exit, come in as PPIs 27 and 30.
 *
 * arm64 hosts only.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "arm-gic-internal.h"

#define VGIC_VMSTATE_VERSION 1

int arm_gic_device_attr(struct arm_gic *g, bool set, uint32_t group, uint64_t attr,
                        void *val)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

    return ioctl(g->fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

static int device_attr(struct arm_gic *g, uint32_t group, uint64_t attr, void *val)
{
    return arm_gic_device_attr(g, true, group, attr, val);
}

static int set_addr(struct arm_gic *g, uint64_t type, uint64_t addr, const char *what,
                    GError **errp)
{
    int ret = device_attr(g, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &addr);

    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "in-kernel GICv%d: cannot place the %s at 0x%" PRIx64 ": %s",
                    g->version, what, addr, strerror(-ret));
    return ret;
}

/*
 * KVM's default routing (GSI n -> SPI n) mirrored in our table, so that a
 * later commit of the table (which replaces the kernel's) keeps it.
 */
static int add_spi_routes(KVMState *s)
{
    for (unsigned int spi = 0; spi < GIC_NR_SPIS; spi++) {
        struct kvm_irq_routing_entry e = {
            .gsi = spi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { .irqchip = 0, .pin = spi },
        };
        int ret = kvm_irqchip_add_route(s, &e);

        if (ret < 0)
            return ret;
    }
    s->routing.first_virq = GIC_NR_SPIS;
    return 0;
}

struct arm_gic *arm_gic_create_kvm(int version, int nr_cpus, GError **errp)
{
    struct kvm_create_device cd = {
        .type = version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2,
        .flags = KVM_CREATE_DEVICE_TEST,
    };
    struct arm_gic *g;
    uint32_t nr_irqs = GIC_SPI_BASE + GIC_NR_SPIS;
    int ret;

    ret = kvm_vm_ioctl(kvm_state, KVM_CREATE_DEVICE, &cd);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM cannot create an in-kernel GICv%d on this host (%s): "
                    "try -M virt,gic-version=%d", version, strerror(-ret),
                    version == 3 ? 2 : 3);
        return NULL;
    }
    cd.flags = 0;
    ret = kvm_vm_ioctl(kvm_state, KVM_CREATE_DEVICE, &cd);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_CREATE_DEVICE (in-kernel GICv%d): %s", version, strerror(-ret));
        return NULL;
    }
    g = g_new0(struct arm_gic, 1);
    g->version = version;
    g->fd = (int)cd.fd;
    g->nr_cpus = nr_cpus;
    ret = device_attr(g, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "in-kernel GICv%d: cannot set %u interrupts: %s", version, nr_irqs,
                    strerror(-ret));
        goto fail;
    }
    ret = set_addr(g, version == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST,
                   VIRT_GIC_DIST, "distributor", errp);
    if (ret == 0 && version == 3)
        ret = set_addr(g, KVM_VGIC_V3_ADDR_TYPE_REDIST, VIRT_GIC_REDIST, "redistributors",
                       errp);
    else if (ret == 0)
        ret = set_addr(g, KVM_VGIC_V2_ADDR_TYPE_CPU, VIRT_GIC_CPU, "CPU interface", errp);
    if (ret < 0)
        goto fail;
    if (add_spi_routes(kvm_state) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "in-kernel GICv%d: no room for %u GSI routes (KVM_CAP_IRQ_ROUTING)",
                    version, GIC_NR_SPIS);
        goto fail;
    }
    return g;

fail:
    close(g->fd);
    g_free(g);
    return NULL;
}

/* A CPU output of the userspace GIC changed (called with the GIC's lock held). */
static void user_set_cpu_irq(void *opaque, int cpu, int irq_or_fiq, int level)
{
    struct arm_gic *g = opaque;
    int ret;

    if (!g->cpus || cpu < 0 || cpu >= g->nr_cpus)
        return;     /* before the vCPUs exist: their lines start low anyway */
    ret = arm_cpu_set_irq_line(g->cpus[cpu], irq_or_fiq == GICV2_OUT_FIQ, level);
    if (ret < 0)
        vmm_log(LOG_IRQ, "KVM_IRQ_LINE vCPU %d %s level %d: %s", cpu,
                irq_or_fiq == GICV2_OUT_FIQ ? "FIQ" : "IRQ", level, strerror(-ret));
}

struct arm_gic *arm_gic_create_user(AddressSpace *mem, int nr_cpus, GError **errp)
{
    struct arm_gic *g = g_new0(struct arm_gic, 1);
    struct gicv2_config cfg = {
        .num_cpus = (unsigned int)nr_cpus,
        .num_irqs = GIC_SPI_BASE + GIC_NR_SPIS,
        .set_cpu_irq = user_set_cpu_irq,
        .opaque = g,
    };

    g->version = 2;
    g->nr_cpus = nr_cpus;
    g->fd = -1;
    g->user = gicv2_create(&cfg, mem, VIRT_GIC_DIST, VIRT_GIC_CPU, errp);
    if (!g->user) {
        g_free(g);
        return NULL;
    }
    return g;
}

/* A timer output of a vCPU changed (post_run on that vCPU's thread). */
void arm_gic_set_ppi(void *opaque, int cpu, unsigned int intid, int level)
{
    struct arm_gic *g = opaque;

    if (g->user)
        gicv2_set_ppi(g->user, (unsigned int)cpu, intid, level);
}

bool arm_gic_in_kernel(const struct arm_gic *g)
{
    return g->fd >= 0;
}

/* The machine's vCPUs are paused: the in-kernel GIC's attributes are accessible. */
int arm_gic_reset(struct arm_gic *g, GError **errp)
{
    if (g->user) {
        gicv2_reset(g->user);
        return 0;
    }
    /* KVM has no reset for its GIC: write back the state it had after init */
    return arm_vgic_state_load(g, g->power_on->data, g->power_on->len, errp);
}

static int vgic_save(void *opaque, GByteArray *out)
{
    g_autoptr(GError) err = NULL;
    int ret = arm_vgic_state_save(opaque, out, &err);

    if (ret < 0)
        error_report("migration: %s", err->message);
    return ret;
}

static int vgic_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                     GError **errp)
{
    if (version != VGIC_VMSTATE_VERSION) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "in-kernel GIC state version %u, expected %u", version,
                    VGIC_VMSTATE_VERSION);
        return -EINVAL;
    }
    return arm_vgic_state_load(opaque, buf, len, errp);
}

int arm_gic_realize(struct arm_gic *g, CPUState **cpus, GError **errp)
{
    struct vmstate_ops ops = {
        .name = "arm-vgic", .instance = 0, .version = VGIC_VMSTATE_VERSION,
        .save = vgic_save, .load = vgic_load, .opaque = g,
    };
    int ret;

    g->cpus = cpus;
    if (g->user)
        return 0;
    ret = device_attr(g, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

    if (ret == 0)
        ret = kvm_irqchip_commit_routes(kvm_state);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "initialising the in-kernel GICv%d for %d vCPUs: %s", g->version,
                    g->nr_cpus, strerror(-ret));
        return ret;
    }
    g->power_on = g_byte_array_new();
    ret = arm_vgic_state_save(g, g->power_on, errp);
    if (ret < 0)
        return ret;
    vmstate_register(&ops);
    return 0;
}

static void gic_set_spi(void *opaque, unsigned int spi, int level)
{
    struct kvm_irq_level irq = {
        .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (GIC_SPI_BASE + spi),
        .level = level,
    };
    int ret = kvm_vm_ioctl(kvm_state, KVM_IRQ_LINE, &irq);

    (void)opaque;
    if (ret < 0)
        vmm_log(LOG_IRQ, "KVM_IRQ_LINE SPI %u level %d: %s", spi, level, strerror(-ret));
}

struct irq_line arm_gic_spi_line(struct arm_gic *g, unsigned int spi)
{
    if (g->user)
        return (struct irq_line){ .gsi = spi, .set = gicv2_set_spi_line, .opaque = g->user };
    return (struct irq_line){ .kvm = kvm_state, .gsi = spi, .set = gic_set_spi, .opaque = g };
}
