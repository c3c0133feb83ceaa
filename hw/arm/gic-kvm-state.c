/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The in-kernel vGIC's state through its device attributes (the KVM API's
 * devices/arm-vgic.rst and arm-vgic-v3.rst): saved for migration, and taken
 * once right after KVM_DEV_ARM_VGIC_CTRL_INIT to put the GIC back to its
 * power-on state at a machine reset (KVM has no reset of its own for it).
 *
 * The state is a list of (group, attribute, value) records in the order
 * they are to be written back, so the loader needs no knowledge of the
 * registers: for each set/clear register pair the list holds "clear all"
 * followed by "set what was saved" (for the GICv3 pending latch the set
 * write is the raw latch, and the clear one is ignored, as the API says).
 * Write order, following the API's rules: GICD_IIDR first (it selects the
 * implementation revision, hence what else is writable), the configuration
 * (groups, edge/level, targets or routing) before the line levels, the line
 * levels before the pending state, enables and GICD_CTLR last; for GICv3
 * the CPU interface system registers with ICC_SRE_EL1 and ICC_CTLR_EL1
 * before the others and the group enables last.
 *
 * Registers are 32 bits wide except the CPU interface system registers
 * (64).  The GICv3 GICD_IROUTER registers go as two 32-bit halves.  Every
 * access needs all vCPUs out of KVM_RUN; arm64 hosts only.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/migration.h"
#include "arm-gic-internal.h"

#define ALL_ONES        0xffffffffu
#define SYSREG(op0, op1, crn, crm, op2) \
    (((op0) << KVM_REG_ARM64_SYSREG_OP0_SHIFT) | ((op1) << KVM_REG_ARM64_SYSREG_OP1_SHIFT) | \
     ((crn) << KVM_REG_ARM64_SYSREG_CRN_SHIFT) | ((crm) << KVM_REG_ARM64_SYSREG_CRM_SHIFT) | \
     ((op2) << KVM_REG_ARM64_SYSREG_OP2_SHIFT))
#define SGI_FRAME       0x10000     /* GICv3 redistributor: SGI_base - RD_base */
#define RECORD_SIZE     (4 + 8 + 8)

/* A run of registers to save. */
struct vgic_regs {
    uint32_t group;
    uint32_t offset;        /* of the first; for LEVEL_INFO the first INTID */
    uint32_t clear;         /* set/clear pairs: the clear register's offset, else 0 */
    uint16_t count;         /* registers (LEVEL_INFO: blocks of 32 INTIDs) */
    uint16_t banked;        /* the first `banked` ones are per vCPU */
    bool optional;          /* a register this KVM may not have: skipped if unreadable */
};

#define PER_CPU 0xffff      /* banked: all of them */

/* GICv2 with 288 interrupts (9 words of bits, 72 of bytes). */
static const struct vgic_regs v2_regs[] = {
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x008, 0, 1, 0, false },          /* IIDR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x080, 0, 9, 1, false },          /* IGROUPR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0xc00, 0, 18, 2, false },         /* ICFGR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x820, 0, 64, 0, false },         /* ITARGETSR 8+ */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x400, 0, 72, 8, false },         /* IPRIORITYR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x200, 0x280, 9, 1, false },      /* I[SC]PENDR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0xf20, 0xf10, 4, 4, false },      /* [SC]PENDSGIR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x300, 0x380, 9, 1, false },      /* I[SC]ACTIVER */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x100, 0x180, 9, 1, false },      /* I[SC]ENABLER */
    { KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 0x00, 0, 3, PER_CPU, false },      /* CTLR PMR BPR */
    { KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 0x1c, 0, 1, PER_CPU, false },      /* ABPR */
    { KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 0xd0, 0, 1, PER_CPU, false },      /* APR0 */
    { KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 0xd4, 0, 3, PER_CPU, true },       /* APR1-3 */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x000, 0, 1, 0, false },          /* CTLR */
};

/* GICv3: SPIs 32-287 in the distributor, SGIs and PPIs in each redistributor. */
static const struct vgic_regs v3_regs[] = {
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x008, 0, 1, 0, false },          /* IIDR */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x084, 0, 8, 0, false },          /* IGROUPR 1+ */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0xc08, 0, 16, 0, false },         /* ICFGR 2+ */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x6100, 0, 512, 0, false },       /* IROUTER 32+ */
    { KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 32, 0, 8, 0, false },            /* SPI levels */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x204, 0x284, 8, 0, false },      /* pending latch */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x304, 0x384, 8, 0, false },      /* I[SC]ACTIVER */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x420, 0, 64, 0, false },         /* IPRIORITYR 8+ */
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x104, 0x184, 8, 0, false },      /* I[SC]ENABLER */
    /*
     * No line levels for the PPIs: their sources are KVM's own (the timers,
     * the PMU), which it drives itself, and a level written to the timer's
     * hardware-mapped PPI leaves it pending but never presented (seen: the
     * restored guest's timer interrupts stop).
     */
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x080, 0, 1, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0xc00, 0, 2, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x200, SGI_FRAME + 0x280, 1, PER_CPU,
      false },
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x300, SGI_FRAME + 0x380, 1, PER_CPU,
      false },
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x400, 0, 8, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x100, SGI_FRAME + 0x180, 1, PER_CPU,
      false },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 12, 5), 0, 1, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 12, 4), 0, 1, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 4, 6, 0), 0, 1, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 8, 3), 0, 1, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 12, 3), 0, 1, PER_CPU, false },
    /* ICC_AP0R0-3, ICC_AP1R0-3: as many as the priority bits need */
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 8, 4), 0, 4, PER_CPU, true },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 9, 0), 0, 4, PER_CPU, true },
    { KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, SYSREG(3, 0, 12, 12, 6), 0, 2, PER_CPU, false },
    { KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x000, 0, 1, 0, false },          /* CTLR */
};

static bool is_sysreg(uint32_t group)
{
    return group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
}

/* The attribute's vCPU field: the index on GICv2, the packed affinity on GICv3. */
static uint64_t cpu_field(struct arm_gic *g, int cpu)
{
    uint64_t mpidr;

    if (g->version == 2)
        return (uint64_t)cpu << KVM_DEV_ARM_VGIC_CPUID_SHIFT;
    mpidr = ((struct arm_cpu *)g->cpus[cpu]->arch)->mpidr;
    return ((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000)) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
}

/* The i-th register of a run: sysregs are consecutive encodings, others words. */
static uint64_t reg_attr(const struct vgic_regs *r, uint32_t base, unsigned int i)
{
    if (r->group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO)
        return ((uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT) |
               (base + 32 * i);
    if (is_sysreg(r->group))
        return base + i;
    return base + 4 * i;
}

static void put_record(GByteArray *out, uint32_t group, uint64_t attr, uint64_t value)
{
    put_u32(out, group);
    put_u64(out, attr);
    put_u64(out, value);
}

static int save_one(struct arm_gic *g, const struct vgic_regs *r, uint64_t cpu_attr,
                    unsigned int i, GByteArray *out, unsigned int *n, GError **errp)
{
    uint64_t attr = cpu_attr | reg_attr(r, r->offset, i);
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    int ret = arm_gic_device_attr(g, false, r->group, attr,
                                  is_sysreg(r->group) ? (void *)&v64 : (void *)&v32);

    if (ret < 0 && r->optional && (ret == -EINVAL || ret == -ENXIO))
        return 0;
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "in-kernel GICv%d: reading attribute group %u 0x%" PRIx64 ": %s",
                    g->version, r->group, attr, strerror(-ret));
        return ret;
    }
    if (r->clear) {
        put_record(out, r->group, cpu_attr | reg_attr(r, r->clear, i), ALL_ONES);
        (*n)++;
    }
    put_record(out, r->group, attr, is_sysreg(r->group) ? v64 : v32);
    (*n)++;
    return 0;
}

int arm_vgic_state_save(struct arm_gic *g, GByteArray *out, GError **errp)
{
    const struct vgic_regs *regs = g->version == 3 ? v3_regs : v2_regs;
    size_t nregs = g->version == 3 ? G_N_ELEMENTS(v3_regs) : G_N_ELEMENTS(v2_regs);
    unsigned int n = 0;
    guint count_at;

    put_u32(out, (uint32_t)g->version);
    put_u32(out, (uint32_t)g->nr_cpus);
    put_u32(out, GIC_SPI_BASE + GIC_NR_SPIS);
    count_at = out->len;
    put_u32(out, 0);
    for (size_t k = 0; k < nregs; k++) {
        const struct vgic_regs *r = &regs[k];

        for (unsigned int i = 0; i < r->count; i++) {
            bool banked = i < r->banked;

            for (int cpu = 0; cpu < (banked ? g->nr_cpus : 1); cpu++) {
                int ret = save_one(g, r, banked ? cpu_field(g, cpu) : 0, i, out, &n, errp);

                if (ret < 0)
                    return ret;
            }
        }
    }
    for (int i = 0; i < 4; i++)
        out->data[count_at + i] = (uint8_t)(n >> (8 * i));
    return 0;
}

static bool known_group(uint32_t group)
{
    switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
    case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
    case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
    case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
        return true;
    default:
        return false;
    }
}

int arm_vgic_state_load(struct arm_gic *g, const uint8_t *buf, size_t len, GError **errp)
{
    struct vm_reader r = { .p = buf, .len = len };
    uint32_t version = get_u32(&r), nr_cpus = get_u32(&r), nr_irqs = get_u32(&r);
    uint32_t n = get_u32(&r);

    if (r.error || version != (uint32_t)g->version || nr_cpus != (uint32_t)g->nr_cpus ||
        nr_irqs != GIC_SPI_BASE + GIC_NR_SPIS) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "in-kernel GIC state: saved for a GICv%u with %u vCPUs and %u "
                    "interrupts, this machine has a GICv%d with %d and %u", version, nr_cpus,
                    nr_irqs, g->version, g->nr_cpus, GIC_SPI_BASE + GIC_NR_SPIS);
        return -EINVAL;
    }
    if ((len - r.pos) / RECORD_SIZE != n || (len - r.pos) % RECORD_SIZE) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "in-kernel GIC state: %zu bytes for %u registers", len - r.pos, n);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t group = get_u32(&r);
        uint64_t attr = get_u64(&r), value = get_u64(&r);
        uint32_t v32 = (uint32_t)value;
        int ret;

        if (!known_group(group) || (!is_sysreg(group) && value > ALL_ONES)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "in-kernel GIC state: bad record %u (group %u value 0x%" PRIx64 ")",
                        i, group, value);
            return -EINVAL;
        }
        ret = arm_gic_device_attr(g, true, group, attr,
                                  is_sysreg(group) ? (void *)&value : (void *)&v32);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "in-kernel GICv%d: writing attribute group %u 0x%" PRIx64
                        " = 0x%" PRIx64 ": %s", g->version, group, attr, value,
                        strerror(-ret));
            return ret;
        }
    }
    return 0;
}
