/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The userspace GICv2, checked against the architecture (ARM IHI 0048B)
 * rather than against another model: register reset values and write
 * semantics, the interrupt state machine, prioritization, preemption and
 * the binary point (chapter 3), SGIs (4.3.15), EOImode, the RAZ/WI rule for
 * bad accesses, the CPU output lines, the state section, and the frames
 * mapped into an address space as on QEMU's virt machine.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "qemu-vmm/arm_gicv2.h"
#include "qemu-vmm/memory.h"
#include "../../migration/migration-internal.h"    /* vmstate_find() */

/* Distributor registers (Table 4-1) */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_CPENDSGIR  0xf10
#define GICD_SPENDSGIR  0xf20

/* CPU interface registers (Table 4-2) */
#define GICC_CTLR       0x00
#define GICC_PMR        0x04
#define GICC_BPR        0x08
#define GICC_IAR        0x0c
#define GICC_EOIR       0x10
#define GICC_RPR        0x14
#define GICC_HPPIR      0x18
#define GICC_ABPR       0x1c
#define GICC_AIAR       0x20
#define GICC_AEOIR      0x24
#define GICC_AHPPIR     0x28
#define GICC_APR        0xd0
#define GICC_NSAPR      0xe0
#define GICC_IIDR       0xfc
#define GICC_DIR        0x1000

/* GICC_CTLR bits of a GIC without the Security Extensions (4.4.1) */
#define CTLR_GRP0       (1u << 0)
#define CTLR_GRP1       (1u << 1)
#define CTLR_ACKCTL     (1u << 2)
#define CTLR_FIQEN      (1u << 3)
#define CTLR_CBPR       (1u << 4)
#define CTLR_EOIMODE    (1u << 9)

#define SPURIOUS        1023
#define SPURIOUS_GRP1   1022

/* virt's GIC addresses */
#define DIST_BASE       0x08000000ULL
#define CPU_BASE        0x08010000ULL

/* ---- harness: one GIC, its output lines recorded ---- */

struct out_event {
    int cpu, which, level;
};

static struct gicv2 *gic;
static int out_level[GICV2_MAX_CPUS][2];
static GArray *events;          /* struct out_event */
static int access_cpu;          /* the current_cpu_index hook's answer */

static void record_output(void *opaque, int cpu, int which, int level)
{
    struct out_event e = { cpu, which, level };

    g_assert_cmpint(cpu, >=, 0);
    g_assert_cmpint(cpu, <, GICV2_MAX_CPUS);
    g_assert_true(which == GICV2_OUT_IRQ || which == GICV2_OUT_FIQ);
    /* only changes are reported */
    g_assert_cmpint(out_level[cpu][which], !=, level);
    out_level[cpu][which] = level;
    g_array_append_val(events, e);
}

static int hook_cpu(void *opaque)
{
    return access_cpu;
}

static struct gicv2 *gic_new(unsigned int cpus, unsigned int irqs)
{
    struct gicv2_config cfg = {
        .num_cpus = cpus, .num_irqs = irqs,
        .set_cpu_irq = record_output, .current_cpu_index = hook_cpu,
    };
    g_autoptr(GError) err = NULL;

    memset(out_level, 0, sizeof(out_level));
    if (events)
        g_array_free(events, TRUE);
    events = g_array_new(FALSE, TRUE, sizeof(struct out_event));
    access_cpu = 0;
    gic = gicv2_new(&cfg, &err);
    g_assert_no_error(err);
    g_assert_nonnull(gic);
    return gic;
}

static void gic_done(void)
{
    gicv2_free(gic);
    gic = NULL;
}

static uint32_t dr(int cpu, uint32_t off)
{
    return (uint32_t)gicv2_dist_read(gic, cpu, off, 4);
}

static void dw(int cpu, uint32_t off, uint32_t v)
{
    gicv2_dist_write(gic, cpu, off, v, 4);
}

static uint32_t cr(int cpu, uint32_t off)
{
    return (uint32_t)gicv2_cpu_read(gic, cpu, off, 4);
}

static void cw(int cpu, uint32_t off, uint32_t v)
{
    gicv2_cpu_write(gic, cpu, off, v, 4);
}

static bool dbit(int cpu, uint32_t base, unsigned int irq)
{
    return (dr(cpu, base + irq / 32 * 4) >> (irq % 32)) & 1;
}

static void dset(int cpu, uint32_t base, unsigned int irq)
{
    dw(cpu, base + irq / 32 * 4, 1u << (irq % 32));
}

static void set_priority(int cpu, unsigned int irq, uint8_t prio)
{
    gicv2_dist_write(gic, cpu, GICD_IPRIORITYR + irq, prio, 1);
}

static void set_target(unsigned int irq, uint8_t mask)
{
    gicv2_dist_write(gic, 0, GICD_ITARGETSR + irq, mask, 1);
}

/* An SPI enabled with a priority and targets, or an SGI/PPI of one CPU. */
static void setup_irq(int cpu, unsigned int irq, uint8_t prio, uint8_t targets)
{
    set_priority(cpu, irq, prio);
    if (irq >= 32)
        set_target(irq, targets);
    dset(cpu, GICD_ISENABLER, irq);
}

/* Group 0 forwarded and signalled on every CPU, nothing masked. */
static void enable_group0(unsigned int cpus)
{
    dw(0, GICD_CTLR, 1);
    for (unsigned int cpu = 0; cpu < cpus; cpu++) {
        cw((int)cpu, GICC_CTLR, CTLR_GRP0);
        cw((int)cpu, GICC_PMR, 0xff);
    }
}

static void assert_event(guint i, int cpu, int which, int level)
{
    struct out_event *e;

    g_assert_cmpuint(i, <, events->len);
    e = &g_array_index(events, struct out_event, i);
    g_assert_cmpint(e->cpu, ==, cpu);
    g_assert_cmpint(e->which, ==, which);
    g_assert_cmpint(e->level, ==, level);
}

/* ---- configuration and reset values ---- */

static void test_config(void)
{
    struct gicv2_config bad[] = {
        { .num_cpus = 0, .num_irqs = 64 },
        { .num_cpus = 9, .num_irqs = 64 },
        { .num_cpus = 1, .num_irqs = 31 },
        { .num_cpus = 1, .num_irqs = 1021 },
    };

    for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        g_assert_null(gicv2_new(&bad[i], &err));
        g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    }

    /* GICD_TYPER: ITLinesNumber covers num_irqs, CPUNumber is CPUs - 1 (4.3.2) */
    gic_new(1, 32);
    g_assert_cmphex(dr(0, GICD_TYPER), ==, 0x00);
    gic_done();
    gic_new(8, 1020);
    g_assert_cmphex(dr(0, GICD_TYPER), ==, (7u << 5) | 31);
    gic_done();
    gic_new(2, 100);
    g_assert_cmphex(dr(0, GICD_TYPER), ==, (1u << 5) | 3);
    gic_done();
}

static void test_reset_values(void)
{
    gic_new(4, 160);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 0);
    g_assert_cmphex(dr(0, GICD_TYPER), ==, (3u << 5) | 4);
    g_assert_cmphex(dr(0, GICD_IIDR) & 0xfff, ==, 0x43b);     /* Implementer */
    g_assert_cmphex(dr(0, 0xfe8) & 0xf0, ==, 0x20);           /* ICPIDR2.ArchRev */
    for (int cpu = 0; cpu < 4; cpu++) {
        for (uint32_t n = 0; n < 5; n++) {
            g_assert_cmphex(dr(cpu, GICD_IGROUPR + 4 * n), ==, 0);
            g_assert_cmphex(dr(cpu, GICD_ISENABLER + 4 * n), ==, 0);
            g_assert_cmphex(dr(cpu, GICD_ICENABLER + 4 * n), ==, 0);
            g_assert_cmphex(dr(cpu, GICD_ISPENDR + 4 * n), ==, 0);
            g_assert_cmphex(dr(cpu, GICD_ISACTIVER + 4 * n), ==, 0);
        }
        for (uint32_t n = 0; n < 40; n++)
            g_assert_cmphex(dr(cpu, GICD_IPRIORITYR + 4 * n), ==, 0);
        /* SGIs and PPIs target the reading CPU; SPIs nobody */
        for (uint32_t n = 0; n < 8; n++)
            g_assert_cmphex(dr(cpu, GICD_ITARGETSR + 4 * n), ==, 0x01010101u << cpu);
        for (uint32_t n = 8; n < 40; n++)
            g_assert_cmphex(dr(cpu, GICD_ITARGETSR + 4 * n), ==, 0);
        /* SGIs edge-triggered, PPIs and (at reset) SPIs level-sensitive */
        g_assert_cmphex(dr(cpu, GICD_ICFGR), ==, 0xaaaaaaaa);
        for (uint32_t n = 1; n < 10; n++)
            g_assert_cmphex(dr(cpu, GICD_ICFGR + 4 * n), ==, 0);
        for (uint32_t n = 0; n < 4; n++) {
            g_assert_cmphex(dr(cpu, GICD_SPENDSGIR + 4 * n), ==, 0);
            g_assert_cmphex(dr(cpu, GICD_CPENDSGIR + 4 * n), ==, 0);
        }
        g_assert_cmphex(dr(cpu, GICD_SGIR), ==, 0);            /* write-only */

        g_assert_cmphex(cr(cpu, GICC_CTLR), ==, 0);
        g_assert_cmphex(cr(cpu, GICC_PMR), ==, 0);
        g_assert_cmphex(cr(cpu, GICC_BPR), ==, 0);             /* minimum, 8 priority bits */
        g_assert_cmphex(cr(cpu, GICC_ABPR), ==, 1);            /* minimum + 1 */
        g_assert_cmphex(cr(cpu, GICC_RPR), ==, 0xff);          /* idle */
        g_assert_cmphex(cr(cpu, GICC_HPPIR), ==, SPURIOUS);
        g_assert_cmphex(cr(cpu, GICC_AHPPIR), ==, SPURIOUS);
        g_assert_cmphex(cr(cpu, GICC_IAR), ==, SPURIOUS);
        g_assert_cmphex(cr(cpu, GICC_AIAR), ==, SPURIOUS);
        for (uint32_t n = 0; n < 4; n++) {
            g_assert_cmphex(cr(cpu, GICC_APR + 4 * n), ==, 0);
            g_assert_cmphex(cr(cpu, GICC_NSAPR + 4 * n), ==, 0);
        }
        g_assert_cmphex((cr(cpu, GICC_IIDR) >> 16) & 0xf, ==, 2);   /* GICv2 */
        g_assert_cmphex(cr(cpu, GICC_IIDR) & 0xfff, ==, 0x43b);
        g_assert_cmphex(cr(cpu, GICC_EOIR), ==, 0);            /* write-only */
        g_assert_cmphex(cr(cpu, GICC_DIR), ==, 0);
        g_assert_cmpint(gicv2_output(gic, (unsigned int)cpu, GICV2_OUT_IRQ), ==, 0);
        g_assert_cmpint(gicv2_output(gic, (unsigned int)cpu, GICV2_OUT_FIQ), ==, 0);
    }
    g_assert_cmpuint(events->len, ==, 0);
    gic_done();
}

/* A uniprocessor GIC: GICD_ITARGETSRn are RAZ/WI and everything goes to CPU 0 (4.3.12). */
static void test_uniprocessor(void)
{
    gic_new(1, 64);
    g_assert_cmphex(dr(0, GICD_ITARGETSR), ==, 0);
    dw(0, GICD_ITARGETSR + 40, 0x01010101);
    g_assert_cmphex(dr(0, GICD_ITARGETSR + 40), ==, 0);
    enable_group0(1);
    setup_irq(0, 40, 0x80, 0);
    gicv2_set_irq(gic, 40, 1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    gic_done();
}

/* ---- write semantics ---- */

static void test_dist_registers(void)
{
    gic_new(4, 96);

    /* GICD_CTLR: EnableGrp0 and EnableGrp1 only; TYPER and IIDR read-only */
    dw(0, GICD_CTLR, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 3);
    dw(0, GICD_CTLR, 0);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 0);
    dw(0, GICD_TYPER, 0);
    g_assert_cmphex(dr(0, GICD_TYPER), ==, (3u << 5) | 2);
    dw(0, GICD_IIDR, 0);
    g_assert_cmphex(dr(0, GICD_IIDR) & 0xfff, ==, 0x43b);

    /* GICD_IGROUPR0 is banked, the others shared */
    dw(0, GICD_IGROUPR, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_IGROUPR), ==, 0xffffffff);
    g_assert_cmphex(dr(1, GICD_IGROUPR), ==, 0);
    dw(1, GICD_IGROUPR + 4, 0x12345678);
    g_assert_cmphex(dr(0, GICD_IGROUPR + 4), ==, 0x12345678);
    dw(0, GICD_IGROUPR, 0);
    dw(0, GICD_IGROUPR + 4, 0);

    /* set-enable / clear-enable: write 1 to change, 0 does nothing; both read the state */
    dw(0, GICD_ISENABLER + 4, 0xf);
    g_assert_cmphex(dr(0, GICD_ISENABLER + 4), ==, 0xf);
    g_assert_cmphex(dr(3, GICD_ICENABLER + 4), ==, 0xf);
    dw(0, GICD_ISENABLER + 4, 0);
    g_assert_cmphex(dr(0, GICD_ISENABLER + 4), ==, 0xf);
    dw(2, GICD_ICENABLER + 4, 0x5);
    g_assert_cmphex(dr(0, GICD_ISENABLER + 4), ==, 0xa);
    dw(2, GICD_ICENABLER + 4, 0);
    g_assert_cmphex(dr(0, GICD_ISENABLER + 4), ==, 0xa);
    dw(0, GICD_ICENABLER + 4, 0xffffffff);
    /* banked for SGIs and PPIs */
    dw(0, GICD_ISENABLER, 0xffff0001);
    g_assert_cmphex(dr(0, GICD_ISENABLER), ==, 0xffff0001);
    g_assert_cmphex(dr(1, GICD_ISENABLER), ==, 0);
    dw(0, GICD_ICENABLER, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_ISENABLER), ==, 0);

    /* set-pending / clear-pending on SPIs */
    dw(0, GICD_ISPENDR + 8, 0x3);
    g_assert_cmphex(dr(1, GICD_ISPENDR + 8), ==, 0x3);
    g_assert_cmphex(dr(1, GICD_ICPENDR + 8), ==, 0x3);
    dw(0, GICD_ICPENDR + 8, 0x1);
    g_assert_cmphex(dr(0, GICD_ISPENDR + 8), ==, 0x2);
    dw(0, GICD_ICPENDR + 8, 0x2);
    /* SGI bits ignore writes (their pending state is per source); PPIs are banked */
    dw(0, GICD_ISPENDR, 0x0010ffff);
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0x00100000);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);
    dw(0, GICD_ICPENDR, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0);

    /* set-active / clear-active, banked for SGIs and PPIs */
    dw(1, GICD_ISACTIVER, 0x80000004);
    g_assert_cmphex(dr(1, GICD_ISACTIVER), ==, 0x80000004);
    g_assert_cmphex(dr(1, GICD_ICACTIVER), ==, 0x80000004);
    g_assert_cmphex(dr(0, GICD_ISACTIVER), ==, 0);
    dw(1, GICD_ICACTIVER, 0x4);
    g_assert_cmphex(dr(1, GICD_ISACTIVER), ==, 0x80000000);
    dw(1, GICD_ICACTIVER, 0xffffffff);
    dw(3, GICD_ISACTIVER + 4, 0x100);
    g_assert_cmphex(dr(0, GICD_ISACTIVER + 4), ==, 0x100);
    dw(0, GICD_ICACTIVER + 4, 0x100);
    g_assert_cmphex(dr(3, GICD_ISACTIVER + 4), ==, 0);

    /* GICD_IPRIORITYRn: byte-accessible, 8 bits, banked for SGIs and PPIs */
    gicv2_dist_write(gic, 0, GICD_IPRIORITYR + 40, 0xa5, 1);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 40, 1), ==, 0xa5);
    g_assert_cmphex(dr(2, GICD_IPRIORITYR + 40), ==, 0xa5);
    dw(0, GICD_IPRIORITYR + 44, 0x44332211);
    for (unsigned int i = 0; i < 4; i++)
        g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_IPRIORITYR + 44 + i, 1), ==,
                        0x11 * (i + 1));
    gicv2_dist_write(gic, 1, GICD_IPRIORITYR + 5, 0x80, 1);
    g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_IPRIORITYR + 5, 1), ==, 0x80);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 5, 1), ==, 0);

    /* GICD_ITARGETSRn: read-only for IDs 0-31, the reader's own bit in each byte */
    for (int cpu = 0; cpu < 4; cpu++) {
        dw(cpu, GICD_ITARGETSR + 8, 0xffffffff);
        g_assert_cmphex(dr(cpu, GICD_ITARGETSR + 8), ==, 0x01010101u << cpu);
        g_assert_cmphex(gicv2_dist_read(gic, cpu, GICD_ITARGETSR + 27, 1), ==, 1u << cpu);
    }
    /* SPIs: read-write, only the bits of CPUs that exist */
    gicv2_dist_write(gic, 0, GICD_ITARGETSR + 40, 0xff, 1);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_ITARGETSR + 40, 1), ==, 0x0f);
    dw(1, GICD_ITARGETSR + 44, 0x08040201);
    g_assert_cmphex(dr(2, GICD_ITARGETSR + 44), ==, 0x08040201);

    /* GICD_ICFGRn: SGIs and PPIs read-only; SPIs only Int_config[1] */
    dw(0, GICD_ICFGR, 0);
    g_assert_cmphex(dr(0, GICD_ICFGR), ==, 0xaaaaaaaa);
    dw(0, GICD_ICFGR + 4, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_ICFGR + 4), ==, 0);
    dw(0, GICD_ICFGR + 8, 0xffffffff);
    g_assert_cmphex(dr(1, GICD_ICFGR + 8), ==, 0xaaaaaaaa);
    dw(0, GICD_ICFGR + 8, 0x55555555);
    g_assert_cmphex(dr(1, GICD_ICFGR + 8), ==, 0);

    /* GICD_SPENDSGIRn / CPENDSGIRn: banked, one bit per existing source CPU */
    dw(1, GICD_SPENDSGIR, 0x0000ff03);
    g_assert_cmphex(dr(1, GICD_SPENDSGIR), ==, 0x00000f03);
    g_assert_cmphex(dr(1, GICD_CPENDSGIR), ==, 0x00000f03);
    g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_SPENDSGIR + 1, 1), ==, 0x0f);
    g_assert_cmphex(dr(0, GICD_SPENDSGIR), ==, 0);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0x3);       /* pending from any source */
    gicv2_dist_write(gic, 1, GICD_CPENDSGIR + 1, 0x01, 1);
    g_assert_cmphex(dr(1, GICD_SPENDSGIR), ==, 0x00000e03);
    dw(1, GICD_CPENDSGIR, 0xffffffff);
    g_assert_cmphex(dr(1, GICD_SPENDSGIR), ==, 0);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);

    /* nothing was enabled: no output moved */
    g_assert_cmpuint(events->len, ==, 0);
    gic_done();
}

static void test_cpu_registers(void)
{
    gic_new(2, 64);

    cw(0, GICC_CTLR, 0xffffffff);
    g_assert_cmphex(cr(0, GICC_CTLR), ==, 0x7ff);
    g_assert_cmphex(cr(1, GICC_CTLR), ==, 0);          /* one interface per CPU */
    cw(0, GICC_CTLR, 0);
    cw(0, GICC_PMR, 0x123);
    g_assert_cmphex(cr(0, GICC_PMR), ==, 0x23);          /* 8 priority bits */
    g_assert_cmphex(cr(1, GICC_PMR), ==, 0);
    cw(0, GICC_BPR, 0xff);
    g_assert_cmphex(cr(0, GICC_BPR), ==, 7);
    cw(0, GICC_BPR, 0);
    g_assert_cmphex(cr(0, GICC_BPR), ==, 0);
    /* a binary point below the minimum sets the minimum */
    cw(0, GICC_ABPR, 0);
    g_assert_cmphex(cr(0, GICC_ABPR), ==, 1);
    cw(0, GICC_ABPR, 5);
    g_assert_cmphex(cr(0, GICC_ABPR), ==, 5);
    cw(0, GICC_ABPR, 0xf);
    g_assert_cmphex(cr(0, GICC_ABPR), ==, 7);

    /* read-only registers ignore writes */
    cw(0, GICC_RPR, 0);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);
    cw(0, GICC_IAR, 5);
    cw(0, GICC_HPPIR, 5);
    cw(0, GICC_AIAR, 5);
    cw(0, GICC_AHPPIR, 5);
    g_assert_cmphex(cr(0, GICC_HPPIR), ==, SPURIOUS);
    cw(0, GICC_IIDR, 0);
    g_assert_cmphex(cr(0, GICC_IIDR) & 0xfff, ==, 0x43b);

    /* the active priority registers are read-write; the running priority follows */
    cw(0, GICC_APR + 8, 1);                 /* bit 64: group priority 0x80 */
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, 1);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    cw(0, GICC_NSAPR + 4, 1u << 31);        /* bit 63: 0x7e */
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x7e);
    g_assert_cmphex(cr(1, GICC_RPR), ==, 0xff);
    cw(0, GICC_APR + 8, 0);
    cw(0, GICC_NSAPR + 4, 0);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);
    gic_done();
}

/* ---- acknowledge, priority, preemption ---- */

static void test_ack_eoi(void)
{
    gic_new(2, 64);
    enable_group0(2);
    cw(0, GICC_PMR, 0xf0);
    setup_irq(0, 40, 0xa0, 0x01);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);    /* nothing pending */

    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 0); /* not a target */
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, 40);
    g_assert_cmpuint(cr(1, GICC_HPPIR), ==, SPURIOUS);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, SPURIOUS);

    /* acknowledge: pending -> active, the running priority becomes 0xa0 */
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xa0);
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, 1u << 16);   /* 0xa0 / 2 = bit 80 */
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, SPURIOUS);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);

    /* EOI (EOImode 0): priority drop and deactivation */
    cw(0, GICC_EOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    /* EOI of a spurious or nonexistent ID does nothing */
    cw(0, GICC_EOIR, SPURIOUS);
    cw(0, GICC_EOIR, 100);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);

    /* a disabled interrupt stays pending but is not forwarded */
    dw(0, GICD_ICENABLER + 4, 1u << 8);
    dset(0, GICD_ISPENDR, 40);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    dset(0, GICD_ISENABLER, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);

    /* an SPI targeting both CPUs is taken by the first to acknowledge it (1-N) */
    set_target(40, 0x03);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    cw(1, GICC_EOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    gic_done();
}

static void test_priority_order(void)
{
    gic_new(1, 64);
    enable_group0(1);
    setup_irq(0, 33, 0x80, 1);
    setup_irq(0, 34, 0x40, 1);
    setup_irq(0, 35, 0x40, 1);
    setup_irq(0, 36, 0xc0, 1);
    setup_irq(0, 20, 0xc0, 0);      /* a PPI, same priority as 36, lower ID */
    dw(0, GICD_ISPENDR + 4, 0x1e);
    dset(0, GICD_ISPENDR, 20);
    /* highest priority first; equal priorities by ID */
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, 34);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 34);
    cw(0, GICC_EOIR, 34);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 35);
    cw(0, GICC_EOIR, 35);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 33);
    cw(0, GICC_EOIR, 33);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 20);
    cw(0, GICC_EOIR, 20);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 36);
    cw(0, GICC_EOIR, 36);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    gic_done();
}

/* Only a priority higher than the mask is signalled (GICC_PMR, 4.4.2). */
static void test_pmr(void)
{
    gic_new(1, 64);
    enable_group0(1);
    setup_irq(0, 40, 0x80, 1);
    cw(0, GICC_PMR, 0x80);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, 40);        /* HPPIR ignores the mask */
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    cw(0, GICC_PMR, 0x81);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    cw(0, GICC_PMR, 0);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    cw(0, GICC_PMR, 0xff);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);
    /* priority 0xff can never be signalled */
    set_priority(0, 40, 0xff);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    gic_done();
}

/*
 * Preemption: a pending interrupt is signalled only if its group priority
 * is higher than the running priority, which is the group priority of the
 * active interrupt as the binary point split it when it was acknowledged
 * (chapter 3, "Priority grouping"; GICC_BPR, 4.4.3; GICC_RPR, 4.4.6).
 */
static void test_preemption(void)
{
    gic_new(1, 64);
    enable_group0(1);
    setup_irq(0, 40, 0x85, 1);
    setup_irq(0, 41, 0x81, 1);
    setup_irq(0, 42, 0x7f, 1);

    /* BPR 0: group priority [7:1].  0x85 runs at 0x84; 0x81 (group 0x80) preempts */
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x84);
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 41);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    /* both active priorities are recorded: bits 66 and 64 */
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, (1u << 2) | 1);
    /* 0x7f: group 0x7e preempts 0x80 again */
    dset(0, GICD_ISPENDR, 42);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 42);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x7e);
    /* EOIs unwind the running priority */
    cw(0, GICC_EOIR, 42);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    cw(0, GICC_EOIR, 41);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x84);
    cw(0, GICC_EOIR, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);

    /* BPR 3: group priority [7:4].  0x85 runs at 0x80; 0x81 is the same group: no */
    cw(0, GICC_BPR, 3);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, 41);        /* pending all the same */
    /* 0x7f is group 0x70: higher, preempts */
    dset(0, GICD_ISPENDR, 42);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 42);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x70);
    cw(0, GICC_EOIR, 42);
    cw(0, GICC_EOIR, 40);
    /* the end of 40 lets 41 in */
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 41);
    cw(0, GICC_EOIR, 41);

    /* BPR 7: no preemption at all */
    cw(0, GICC_BPR, 7);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0);
    dset(0, GICD_ISPENDR, 42);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    cw(0, GICC_EOIR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 42);
    cw(0, GICC_EOIR, 42);
    gic_done();
}

/* ---- interrupt groups ---- */

static void test_groups(void)
{
    gic_new(2, 64);
    setup_irq(0, 40, 0x87, 1);
    setup_irq(0, 41, 0x81, 1);
    setup_irq(0, 42, 0x90, 1);
    dw(0, GICD_IGROUPR + 4, (1u << 8) | (1u << 9));    /* 40, 41 in Group 1 */
    cw(0, GICC_PMR, 0xff);
    dset(0, GICD_ISPENDR, 40);

    /* Group 1 not enabled in the distributor: not forwarded */
    dw(0, GICD_CTLR, 1);
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, SPURIOUS);
    /* nor in the CPU interface */
    dw(0, GICD_CTLR, 3);
    cw(0, GICC_CTLR, CTLR_GRP0);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, SPURIOUS);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, SPURIOUS);

    /* enabled, AckCtl 0: GICC_IAR reports 1022 and acknowledges nothing */
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, SPURIOUS_GRP1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS_GRP1);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    /* the aliased registers are the Group 1 view */
    g_assert_cmpuint(cr(0, GICC_AHPPIR), ==, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 40);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    /* ABPR 1 splits like BPR 0, group priority [7:1]: runs at 0x86, recorded in NSAPR */
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x86);
    g_assert_cmphex(cr(0, GICC_NSAPR + 8), ==, 1u << 3);
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, 0);
    /* GICC_EOIR cannot end a Group 1 interrupt without AckCtl; GICC_AEOIR can */
    cw(0, GICC_EOIR, 40);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x86);
    cw(0, GICC_AEOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);

    /* Group 1 preemption follows ABPR: with 4 (like BPR 3) 0x81 does not preempt 0x87 */
    cw(0, GICC_ABPR, 4);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, SPURIOUS);
    cw(0, GICC_AEOIR, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 41);
    cw(0, GICC_AEOIR, 41);
    /* with ABPR 1 it does */
    cw(0, GICC_ABPR, 1);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 40);
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 41);
    cw(0, GICC_AEOIR, 41);
    cw(0, GICC_AEOIR, 40);
    /* CBPR: Group 1 uses GICC_BPR (3 here), so no preemption again */
    cw(0, GICC_BPR, 3);
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1 | CTLR_CBPR);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 40);
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, SPURIOUS);
    cw(0, GICC_AEOIR, 40);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, 41);
    cw(0, GICC_AEOIR, 41);
    cw(0, GICC_BPR, 0);

    /* AckCtl: GICC_IAR and GICC_EOIR serve Group 1 too */
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1 | CTLR_ACKCTL);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));

    /* a Group 0 interrupt is invisible to the aliases; with FIQEn it is an FIQ */
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1 | CTLR_FIQEN);
    dset(0, GICD_ISPENDR, 42);
    g_assert_cmpint(out_level[0][GICV2_OUT_FIQ], ==, 1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_AHPPIR), ==, SPURIOUS);
    g_assert_cmpuint(cr(0, GICC_AIAR), ==, SPURIOUS);
    cw(0, GICC_AEOIR, 42);                  /* ignored: Group 0 */
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 42);
    g_assert_cmpint(out_level[0][GICV2_OUT_FIQ], ==, 0);
    g_assert_cmphex(cr(0, GICC_APR + 8), ==, 1u << 8);    /* 0x90 in APR, not NSAPR */
    cw(0, GICC_AEOIR, 42);
    g_assert_true(dbit(0, GICD_ISACTIVER, 42));
    cw(0, GICC_EOIR, 42);
    g_assert_false(dbit(0, GICD_ISACTIVER, 42));
    /* Group 1 is an IRQ even with FIQEn */
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[0][GICV2_OUT_FIQ], ==, 0);
    gic_done();
}

/* ---- SGIs ---- */

static uint32_t sgir(unsigned int filter, unsigned int targets, unsigned int sgi)
{
    return (filter << 24) | (targets << 16) | sgi;
}

static void test_sgi(void)
{
    gic_new(4, 64);
    enable_group0(4);
    for (int cpu = 0; cpu < 4; cpu++) {
        dw(cpu, GICD_ISENABLER, 0xffff);
        dw(cpu, GICD_IPRIORITYR, 0x80808080);
        dw(cpu, GICD_IPRIORITYR + 4, 0x80808080);
    }

    /* TargetListFilter 0: the CPUs in the list; IAR names the source in [12:10] */
    dw(0, GICD_SGIR, sgir(0, 0x06, 3));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[2][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[3][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_SPENDSGIR + 3, 1), ==, 0x01);
    g_assert_cmpuint(cr(1, GICC_HPPIR), ==, 3);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, 3);
    g_assert_cmpuint(cr(2, GICC_IAR), ==, 3);
    cw(1, GICC_EOIR, 3);
    cw(2, GICC_EOIR, 3);

    /* 1: every CPU but the writer */
    dw(2, GICD_SGIR, sgir(1, 0, 5));
    g_assert_cmpint(out_level[2][GICV2_OUT_IRQ], ==, 0);
    for (int cpu = 0; cpu < 4; cpu++) {
        if (cpu == 2)
            continue;
        g_assert_cmphex(cr(cpu, GICC_HPPIR), ==, 5 | (2u << 10));
        g_assert_cmphex(cr(cpu, GICC_IAR), ==, 5 | (2u << 10));
        cw(cpu, GICC_EOIR, 5 | (2u << 10));
    }
    g_assert_cmpuint(cr(2, GICC_IAR), ==, SPURIOUS);

    /* 2: the writer only */
    dw(3, GICD_SGIR, sgir(2, 0x0f, 7));
    g_assert_cmphex(cr(3, GICC_IAR), ==, 7 | (3u << 10));
    cw(3, GICC_EOIR, 7 | (3u << 10));
    for (int cpu = 0; cpu < 3; cpu++)
        g_assert_cmpuint(cr(cpu, GICC_IAR), ==, SPURIOUS);

    /* 3 is reserved; CPUs that do not exist are ignored */
    dw(0, GICD_SGIR, sgir(3, 0x0f, 1));
    dw(0, GICD_SGIR, sgir(0, 0xf0, 1));
    for (int cpu = 0; cpu < 4; cpu++)
        g_assert_cmphex(dr(cpu, GICD_ISPENDR), ==, 0);

    /* the same SGI from two sources: separate pending state per source (4.3.17) */
    dw(2, GICD_SGIR, sgir(0, 0x02, 1));
    dw(0, GICD_SGIR, sgir(0, 0x02, 1));
    g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_SPENDSGIR + 1, 1), ==, 0x05);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0x2);
    g_assert_cmphex(cr(1, GICC_IAR), ==, 1);            /* from CPU 0 */
    /* active, and still pending from CPU 2 */
    g_assert_cmphex(dr(1, GICD_ISACTIVER), ==, 0x2);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0x2);
    g_assert_cmphex(gicv2_dist_read(gic, 1, GICD_SPENDSGIR + 1, 1), ==, 0x04);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, SPURIOUS);
    cw(1, GICC_EOIR, 1);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmphex(cr(1, GICC_IAR), ==, 1 | (2u << 10));
    cw(1, GICC_EOIR, 1 | (2u << 10));
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(dr(1, GICD_ISACTIVER), ==, 0);

    /* GICD_ISPENDR0 / ICPENDR0 do not touch SGIs; the SGI registers do */
    dw(1, GICD_ISPENDR, 0xffff);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);
    dw(0, GICD_SGIR, sgir(0, 0x02, 9));
    dw(1, GICD_ICPENDR, 0xffff);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 1u << 9);
    gicv2_dist_write(gic, 1, GICD_CPENDSGIR + 9, 0x01, 1);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 0);
    /* set-pending from a chosen source, as a restore would */
    gicv2_dist_write(gic, 1, GICD_SPENDSGIR + 9, 0x08, 1);
    g_assert_cmphex(cr(1, GICC_IAR), ==, 9 | (3u << 10));
    cw(1, GICC_EOIR, 9 | (3u << 10));

    /* a disabled SGI is held pending */
    dw(1, GICD_ICENABLER, 1u << 4);
    dw(0, GICD_SGIR, sgir(0, 0x02, 4));
    g_assert_cmpuint(cr(1, GICC_IAR), ==, SPURIOUS);
    dw(1, GICD_ISENABLER, 1u << 4);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, 4);
    cw(1, GICC_EOIR, 4);
    gic_done();
}

/* ---- level and edge ---- */

static void test_level(void)
{
    gic_new(2, 64);
    enable_group0(2);
    setup_irq(0, 40, 0x80, 0x01);

    /* the pending state follows the line */
    gicv2_set_irq(gic, 40, 1);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    gicv2_set_irq(gic, 40, 0);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);

    /* acknowledged while asserted: active and pending */
    gicv2_set_irq(gic, 40, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    /* the device drops the line: only active */
    gicv2_set_irq(gic, 40, 0);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    cw(0, GICC_EOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);

    /* EOI while still asserted: pending again, signalled again */
    gicv2_set_irq(gic, 40, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    gicv2_set_irq(gic, 40, 0);
    cw(0, GICC_EOIR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);

    /* a set-pending write latches, with the line low, until acknowledged (4.3.7) */
    dset(0, GICD_ISPENDR, 40);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    cw(0, GICC_EOIR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    /* ... or cleared */
    dset(0, GICD_ISPENDR, 40);
    dset(0, GICD_ICPENDR, 40);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    /* the latch outlives the line */
    gicv2_set_irq(gic, 40, 1);
    dset(0, GICD_ISPENDR, 40);
    gicv2_set_irq(gic, 40, 0);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    dset(0, GICD_ICPENDR, 40);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    /* clear-pending cannot remove an asserted line (4.3.8) */
    gicv2_set_irq(gic, 40, 1);
    dset(0, GICD_ICPENDR, 40);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    gicv2_set_irq(gic, 40, 0);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));

    /* lines that do not exist, or are not SPIs, are ignored */
    gicv2_set_irq(gic, 64, 1);
    gicv2_set_irq(gic, 1000, 1);
    gicv2_set_irq(gic, 27, 1);
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0);
    /* by SPI number for struct irq_line: SPI 8 is ID 40 */
    gicv2_set_spi_line(gic, 8, 1);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    gicv2_set_spi_line(gic, 8, 0);
    gicv2_set_spi_line(gic, 5000, 1);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    gic_done();
}

static void test_edge(void)
{
    gic_new(1, 64);
    enable_group0(1);
    setup_irq(0, 40, 0x80, 1);
    dw(0, GICD_ICFGR + 8, 2u << 16);        /* ID 40 is field 8 of ICFGR2 */
    g_assert_cmphex(dr(0, GICD_ICFGR + 8), ==, 2u << 16);

    /* an edge latches */
    gicv2_set_irq(gic, 40, 1);
    gicv2_set_irq(gic, 40, 0);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    /* a new edge while active: active and pending, signalled after the EOI */
    gicv2_set_irq(gic, 40, 1);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    cw(0, GICC_EOIR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);
    /* the line staying high is not another edge */
    gicv2_set_irq(gic, 40, 1);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    gicv2_set_irq(gic, 40, 0);
    /* clear-pending removes a latched edge */
    gicv2_set_irq(gic, 40, 1);
    dset(0, GICD_ICPENDR, 40);
    g_assert_false(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    gicv2_set_irq(gic, 40, 0);
    gic_done();
}

static void test_ppi(void)
{
    gic_new(2, 64);
    enable_group0(2);
    setup_irq(1, 27, 0xa0, 0);
    setup_irq(0, 30, 0xa0, 0);

    /* a PPI is one CPU's: the line of CPU 1 leaves CPU 0 alone */
    gicv2_set_ppi(gic, 1, 27, 1);
    g_assert_true(dbit(1, GICD_ISPENDR, 27));
    g_assert_false(dbit(0, GICD_ISPENDR, 27));
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, SPURIOUS);
    g_assert_cmpuint(cr(1, GICC_IAR), ==, 27);
    gicv2_set_ppi(gic, 1, 27, 0);           /* the timer condition went away */
    g_assert_false(dbit(1, GICD_ISPENDR, 27));
    g_assert_true(dbit(1, GICD_ISACTIVER, 27));
    cw(1, GICC_EOIR, 27);

    gicv2_set_ppi(gic, 0, 30, 1);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 30);
    cw(0, GICC_EOIR, 30);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);      /* still asserted */
    gicv2_set_ppi(gic, 0, 30, 0);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);

    /* not PPIs, or CPUs that do not exist: ignored */
    gicv2_set_ppi(gic, 0, 15, 1);
    gicv2_set_ppi(gic, 0, 32, 1);
    gicv2_set_ppi(gic, 2, 27, 1);
    gicv2_set_ppi(gic, 100, 27, 1);
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(dr(1, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(dr(0, GICD_ISPENDR + 4), ==, 0);
    gic_done();
}

/* ---- EOImode ---- */

static void test_eoimode(void)
{
    gic_new(1, 64);
    enable_group0(1);
    setup_irq(0, 40, 0x80, 1);
    setup_irq(0, 41, 0xa0, 1);

    /* EOImode 1: GICC_EOIR drops the priority, GICC_DIR deactivates */
    cw(0, GICC_CTLR, CTLR_GRP0 | CTLR_EOIMODE);
    gicv2_set_irq(gic, 40, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    cw(0, GICC_EOIR, 40);
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    /* still active: not signalled again though its line is high */
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 0);
    g_assert_cmpuint(cr(0, GICC_HPPIR), ==, SPURIOUS);
    /* but the dropped priority lets a lower one in */
    dset(0, GICD_ISPENDR, 41);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 41);
    cw(0, GICC_EOIR, 41);
    cw(0, GICC_DIR, 41);
    g_assert_false(dbit(0, GICD_ISACTIVER, 41));
    /* deactivating 40 with the line high makes it pending again */
    cw(0, GICC_DIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    gicv2_set_irq(gic, 40, 0);
    cw(0, GICC_EOIR, 40);
    cw(0, GICC_DIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    cw(0, GICC_DIR, 1020);                  /* spurious IDs are ignored */

    /* EOImode 0: GICC_DIR does nothing (UNPREDICTABLE, ignored), GICC_EOIR does both */
    cw(0, GICC_CTLR, CTLR_GRP0);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_DIR, 40);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0x80);
    cw(0, GICC_EOIR, 40);
    g_assert_false(dbit(0, GICD_ISACTIVER, 40));
    g_assert_cmphex(cr(0, GICC_RPR), ==, 0xff);
    gic_done();
}

/* ---- the output lines ---- */

static void test_output_lines(void)
{
    guint n = 0;

    gic_new(2, 64);
    enable_group0(2);
    setup_irq(0, 40, 0x80, 0x01);
    g_assert_cmpuint(events->len, ==, 0);

    dset(0, GICD_ISPENDR, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    cw(0, GICC_EOIR, 40);
    g_assert_cmpuint(events->len, ==, n);

    /* every gate lowers and raises it */
    dset(0, GICD_ISPENDR, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    cw(0, GICC_CTLR, 0);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    cw(0, GICC_CTLR, CTLR_GRP0);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    dw(0, GICD_CTLR, 0);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    dw(0, GICD_CTLR, 1);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    dset(0, GICD_ICENABLER, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    dset(0, GICD_ISENABLER, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    cw(0, GICC_PMR, 0x80);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    cw(0, GICC_PMR, 0xff);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    dset(0, GICD_ISACTIVER, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    dset(0, GICD_ICACTIVER, 40);
    assert_event(n++, 0, GICV2_OUT_IRQ, 1);
    /* retargeting moves it from CPU 0 to CPU 1 */
    set_target(40, 0x02);
    assert_event(n++, 0, GICV2_OUT_IRQ, 0);
    assert_event(n++, 1, GICV2_OUT_IRQ, 1);
    /* Group 1 with FIQEn set stays an IRQ; Group 0 becomes an FIQ */
    cw(1, GICC_CTLR, CTLR_GRP0 | CTLR_FIQEN);
    assert_event(n++, 1, GICV2_OUT_IRQ, 0);
    assert_event(n++, 1, GICV2_OUT_FIQ, 1);
    dset(0, GICD_ICPENDR, 40);
    assert_event(n++, 1, GICV2_OUT_FIQ, 0);
    /* redundant writes report nothing */
    cw(1, GICC_PMR, 0xff);
    dw(0, GICD_CTLR, 1);
    gicv2_set_irq(gic, 41, 0);
    g_assert_cmpuint(events->len, ==, n);

    /* reset lowers everything and keeps the input levels */
    gicv2_set_irq(gic, 40, 1);
    assert_event(n++, 1, GICV2_OUT_FIQ, 1);
    gicv2_reset(gic);
    assert_event(n++, 1, GICV2_OUT_FIQ, 0);
    g_assert_cmphex(cr(1, GICC_CTLR), ==, 0);
    g_assert_cmphex(cr(1, GICC_ABPR), ==, 1);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));           /* its line is still high */
    g_assert_false(dbit(0, GICD_ISENABLER, 40));
    g_assert_cmpuint(events->len, ==, n);
    gic_done();
}

/* ---- RAZ/WI: bad widths, misalignment, interrupts that do not exist ---- */

static void test_raz_wi(void)
{
    gic_new(2, 48);     /* IDs 48-63 of the second register do not exist */
    enable_group0(2);
    setup_irq(0, 40, 0x80, 0x01);
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpint(out_level[0][GICV2_OUT_IRQ], ==, 1);

    /* widths the architecture does not allow */
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 40, 2), ==, 0);
    gicv2_dist_write(gic, 0, GICD_IPRIORITYR + 40, 0x1111, 2);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 40, 1), ==, 0x80);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_CTLR, 8), ==, 0);
    gicv2_dist_write(gic, 0, GICD_CTLR, 0, 8);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 1);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_ISENABLER + 5, 1), ==, 0);
    gicv2_dist_write(gic, 0, GICD_ICENABLER + 5, 0xff, 1);      /* word-only */
    g_assert_true(dbit(0, GICD_ISENABLER, 40));
    gicv2_dist_write(gic, 0, GICD_SGIR, 0x0001, 2);
    gicv2_dist_write(gic, 0, GICD_SGIR, 0x02000001, 1);
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_ICFGR, 1), ==, 0);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_TYPER, 2), ==, 0);
    /* sizes that are no width at all */
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_CTLR, 0), ==, 0);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_CTLR, 3), ==, 0);
    gicv2_dist_write(gic, 0, GICD_CTLR, 0, 16);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 1);

    /* misaligned */
    g_assert_cmphex(dr(0, GICD_IPRIORITYR + 42), ==, 0);
    dw(0, GICD_IPRIORITYR + 38, 0xffffffff);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 40, 1), ==, 0x80);
    g_assert_cmphex(dr(0, GICD_TYPER + 1), ==, 0);

    /* interrupts that do not exist */
    dw(0, GICD_ISENABLER + 4, 0xffffffff);
    g_assert_cmphex(dr(0, GICD_ISENABLER + 4), ==, 0x0000ffff);
    dw(0, GICD_ICENABLER + 4, 0xfffffeff);
    dw(0, GICD_ISENABLER + 8, 0xffffffff);      /* IDs 64-95 */
    g_assert_cmphex(dr(0, GICD_ISENABLER + 8), ==, 0);
    gicv2_dist_write(gic, 0, GICD_IPRIORITYR + 50, 0x40, 1);
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 50, 1), ==, 0);
    dw(0, GICD_IPRIORITYR + 44, 0x40404040);    /* 44-47 exist */
    g_assert_cmphex(dr(0, GICD_IPRIORITYR + 44), ==, 0x40404040);
    dw(0, GICD_IPRIORITYR + 48, 0x40404040);
    g_assert_cmphex(dr(0, GICD_IPRIORITYR + 48), ==, 0);
    dw(0, GICD_ITARGETSR + 48, 0x01010101);
    g_assert_cmphex(dr(0, GICD_ITARGETSR + 48), ==, 0);
    dw(0, GICD_ICFGR + 12, 0xffffffff);         /* IDs 48-63 */
    g_assert_cmphex(dr(0, GICD_ICFGR + 12), ==, 0);
    dw(0, GICD_ISPENDR + 4, 0xffff0000);
    g_assert_cmphex(dr(0, GICD_ISPENDR + 4), ==, 1u << 8);
    g_assert_cmphex(dr(0, GICD_IGROUPR + 0x7c), ==, 0);
    /* the last byte-register slots, IDs 1020-1023 */
    g_assert_cmphex(gicv2_dist_read(gic, 0, GICD_IPRIORITYR + 1023, 1), ==, 0);

    /* reserved offsets, and offsets past the frame */
    g_assert_cmphex(dr(0, 0x00c), ==, 0);
    dw(0, 0x00c, 0xffffffff);
    g_assert_cmphex(dr(0, 0x040), ==, 0);
    g_assert_cmphex(dr(0, 0xd00), ==, 0);
    g_assert_cmphex(dr(0, 0xf04), ==, 0);
    g_assert_cmphex(dr(0, 0xffc), ==, 0);
    g_assert_cmphex(dr(0, 0x1000), ==, 0);
    g_assert_cmphex(gicv2_dist_read(gic, 0, UINT64_MAX - 3, 4), ==, 0);
    gicv2_dist_write(gic, 0, UINT64_MAX, 1, 1);
    g_assert_cmphex(cr(0, 0x2c), ==, 0);
    g_assert_cmphex(cr(0, 0x100), ==, 0);
    g_assert_cmphex(cr(0, 0xffc), ==, 0);
    g_assert_cmphex(cr(0, 0x1004), ==, 0);
    g_assert_cmphex(cr(0, 0x2000), ==, 0);

    /* a bad access to GICC_IAR acknowledges nothing, one to GICC_EOIR ends nothing */
    g_assert_cmphex(gicv2_cpu_read(gic, 0, GICC_IAR, 2), ==, 0);
    g_assert_cmphex(gicv2_cpu_read(gic, 0, GICC_IAR, 1), ==, 0);
    g_assert_cmphex(gicv2_cpu_read(gic, 0, GICC_IAR, 8), ==, 0);
    g_assert_cmphex(gicv2_cpu_read(gic, 0, GICC_IAR + 1, 1), ==, 0);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    gicv2_cpu_write(gic, 0, GICC_EOIR, 40, 2);
    gicv2_cpu_write(gic, 0, GICC_EOIR, 40, 8);
    gicv2_cpu_write(gic, 0, GICC_EOIR + 2, 40, 2);
    g_assert_true(dbit(0, GICD_ISACTIVER, 40));
    cw(0, GICC_EOIR, 40);
    gicv2_cpu_write(gic, 0, GICC_PMR, 0, 1);
    g_assert_cmphex(cr(0, GICC_PMR), ==, 0xff);

    /* CPUs the GIC does not have */
    dset(0, GICD_ISPENDR, 40);
    g_assert_cmpuint(cr(2, GICC_IAR), ==, 0);
    g_assert_cmpuint(cr(-1, GICC_IAR), ==, 0);
    g_assert_cmpuint(cr(100, GICC_IAR), ==, 0);
    g_assert_cmpuint(dr(5, GICD_ITARGETSR), ==, 0);
    dw(2, GICD_SGIR, sgir(1, 0, 1));
    dw(-1, GICD_CTLR, 0);
    cw(8, GICC_CTLR, 0);
    g_assert_true(dbit(0, GICD_ISPENDR, 40));
    g_assert_cmphex(dr(0, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(dr(0, GICD_CTLR), ==, 1);
    g_assert_cmpuint(cr(0, GICC_IAR), ==, 40);
    cw(0, GICC_EOIR, 40);
    gic_done();
}

/* Enable forwarding and signalling of everything, so that the fuzz has effects. */
static void open_all_gates(unsigned int cpus)
{
    dw(0, GICD_CTLR, 3);
    for (unsigned int cpu = 0; cpu < cpus; cpu++) {
        cw((int)cpu, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1);
        cw((int)cpu, GICC_PMR, 0xff);
    }
}

/*
 * Whatever a guest does, the model stays alive and consistent: random
 * accesses, mostly to real registers, mixed with input line changes.  After
 * each step the output line of the CPU agrees with what the callback said,
 * and a GICC_IAR read returns an interrupt exactly when the line was high.
 */
static void test_fuzz(void)
{
    static const uint32_t dist_regs[] = {
        GICD_CTLR, GICD_IGROUPR, GICD_ISENABLER, GICD_ICENABLER, GICD_ISPENDR,
        GICD_ICPENDR, GICD_ISACTIVER, GICD_ICACTIVER, GICD_IPRIORITYR,
        GICD_ITARGETSR, GICD_ICFGR, GICD_SGIR, GICD_CPENDSGIR, GICD_SPENDSGIR,
    };
    static const uint32_t cpu_regs[] = {
        GICC_CTLR, GICC_PMR, GICC_BPR, GICC_IAR, GICC_EOIR, GICC_RPR, GICC_HPPIR,
        GICC_ABPR, GICC_AIAR, GICC_AEOIR, GICC_AHPPIR, GICC_APR, GICC_NSAPR, GICC_DIR,
    };
    static const unsigned int sizes[] = { 0, 1, 2, 3, 4, 8, 16 };
    GRand *rand = g_rand_new_with_seed(0x6c1c);
    unsigned int acks = 0;

    gic_new(8, 1020);
    open_all_gates(8);
    for (unsigned int i = 0; i < 200000; i++) {
        int cpu = g_rand_int_range(rand, 0, 8);
        unsigned int size = g_rand_int_range(rand, 0, 4) ? 4 : 1;
        uint64_t value = g_rand_int(rand);
        uint64_t off;
        uint32_t id;
        bool signalled;

        if (i % 1000 == 0)
            open_all_gates(8);
        switch (g_rand_int_range(rand, 0, 10)) {
        case 0:         /* anything at all */
            cpu = g_rand_int_range(rand, -2, 11);
            size = sizes[g_rand_int_range(rand, 0, G_N_ELEMENTS(sizes))];
            off = g_rand_int_range(rand, 0, 2) ? (uint64_t)g_rand_int_range(rand, 0, 0x2100)
                                               : ((uint64_t)g_rand_int(rand) << 32 |
                                                  g_rand_int(rand));
            value = (uint64_t)g_rand_int(rand) << 32 | value;
            if (g_rand_boolean(rand)) {
                gicv2_dist_read(gic, cpu, off, size);
                gicv2_dist_write(gic, cpu, off, value, size);
            } else {
                gicv2_cpu_read(gic, cpu, off, size);
                gicv2_cpu_write(gic, cpu, off, value, size);
            }
            continue;
        case 1:
        case 2:         /* a distributor register, mostly enabling and pending */
            off = dist_regs[g_rand_int_range(rand, 0, G_N_ELEMENTS(dist_regs))];
            if (off != GICD_CTLR && off != GICD_SGIR)
                off += (uint64_t)g_rand_int_range(rand, 0, 0x80) & ~(uint64_t)(size - 1);
            if (off == GICD_ICENABLER || off == GICD_ICACTIVER)
                value &= g_rand_int(rand);      /* clear less than is set */
            if (g_rand_boolean(rand))
                gicv2_dist_write(gic, cpu, off, value, size);
            else
                gicv2_dist_read(gic, cpu, off, size);
            break;
        case 3:         /* a CPU interface register */
            off = cpu_regs[g_rand_int_range(rand, 0, G_N_ELEMENTS(cpu_regs))];
            if (off == GICC_CTLR || off == GICC_PMR)
                value |= 0xf3;                  /* keep most gates open */
            if (off == GICC_APR || off == GICC_NSAPR)
                value = 0;
            if (g_rand_boolean(rand))
                gicv2_cpu_write(gic, cpu, off, value, 4);
            else
                gicv2_cpu_read(gic, cpu, off, 4);
            break;
        case 4:
        case 5:         /* acknowledge and end, as a handler would */
            signalled = out_level[cpu][GICV2_OUT_IRQ] || out_level[cpu][GICV2_OUT_FIQ];
            id = (uint32_t)gicv2_cpu_read(gic, cpu, GICC_IAR, 4);
            g_assert_cmpint(id != SPURIOUS, ==, signalled);
            if (id < SPURIOUS_GRP1) {
                acks++;
                gicv2_cpu_write(gic, cpu, GICC_EOIR, id, 4);
                gicv2_cpu_write(gic, cpu, GICC_DIR, id, 4);
            }
            break;
        case 6:
        case 7:
        case 8:
            gicv2_set_irq(gic, (unsigned int)g_rand_int_range(rand, 0, 1100), value & 1);
            break;
        default:
            gicv2_set_ppi(gic, (unsigned int)g_rand_int_range(rand, 0, 10),
                          (unsigned int)g_rand_int_range(rand, 0, 40), value & 1);
            break;
        }
        g_assert_cmpint(gicv2_output(gic, (unsigned int)cpu, GICV2_OUT_IRQ), ==,
                        out_level[cpu][GICV2_OUT_IRQ]);
        g_assert_cmpint(gicv2_output(gic, (unsigned int)cpu, GICV2_OUT_FIQ), ==,
                        out_level[cpu][GICV2_OUT_FIQ]);
        if (out_level[cpu][GICV2_OUT_IRQ] || out_level[cpu][GICV2_OUT_FIQ])
            g_assert_cmpuint(cr(cpu, GICC_HPPIR) & 0x3ff, <, SPURIOUS);
    }
    /* it did something */
    g_assert_cmpuint(events->len, >, 1000);
    g_assert_cmpuint(acks, >, 1000);

    /* and still works after a reset */
    gicv2_reset(gic);
    for (int cpu = 0; cpu < 8; cpu++) {
        g_assert_cmpint(out_level[cpu][GICV2_OUT_IRQ], ==, 0);
        g_assert_cmpint(out_level[cpu][GICV2_OUT_FIQ], ==, 0);
        g_assert_cmphex(cr(cpu, GICC_RPR), ==, 0xff);
        g_assert_cmphex(dr(cpu, GICD_ITARGETSR), ==, 0x01010101u << cpu);
        g_assert_cmphex(dr(cpu, GICD_ISACTIVER), ==, 0);
    }
    enable_group0(8);
    dw(7, GICD_ISENABLER, 1u << 2);
    dw(0, GICD_SGIR, sgir(0, 0x80, 2));
    g_assert_cmpuint(cr(7, GICC_IAR), ==, 2);
    cw(7, GICC_EOIR, 2);
    g_rand_free(rand);
    gic_done();
}

/* ---- migration ---- */

/* A GIC with a bit of everything in it. */
static void build_rich_state(void)
{
    dw(0, GICD_CTLR, 3);
    for (int cpu = 0; cpu < 4; cpu++) {
        cw(cpu, GICC_CTLR, CTLR_GRP0 | CTLR_GRP1 | (cpu == 2 ? CTLR_EOIMODE : 0));
        cw(cpu, GICC_PMR, 0xf0 - cpu);
        cw(cpu, GICC_BPR, (uint32_t)cpu);
        cw(cpu, GICC_ABPR, (uint32_t)cpu + 2);
        dw(cpu, GICD_ISENABLER, 0xffff | (1u << 27));
        dw(cpu, GICD_IPRIORITYR + 24, 0x30201000u + (uint32_t)cpu);
        dw(cpu, GICD_IGROUPR, 1u << 27);
    }
    for (unsigned int irq = 32; irq < 96; irq++) {
        set_priority(0, irq, (uint8_t)(irq * 3));
        set_target(irq, (uint8_t)(1u << (irq % 4)));
    }
    dw(0, GICD_ISENABLER + 4, 0xf0f0f0f0);
    dw(0, GICD_ISENABLER + 8, 0x0000ffff);
    dw(0, GICD_IGROUPR + 8, 0x00ff0000);
    dw(0, GICD_ICFGR + 8, 0xa0a0a0a0);
    gicv2_set_irq(gic, 40, 1);
    gicv2_set_irq(gic, 39, 1);              /* an edge */
    gicv2_set_irq(gic, 70, 1);              /* a level line held high */
    dset(0, GICD_ISPENDR, 80);
    dw(0, GICD_ISPENDR, 0xffff);            /* ignored: SGIs */
    gicv2_set_ppi(gic, 3, 27, 1);
    dw(1, GICD_SGIR, sgir(0, 0x05, 6));
    dw(3, GICD_SGIR, sgir(0, 0x01, 6));
    /* something active on each CPU */
    for (int cpu = 0; cpu < 4; cpu++) {
        cr(cpu, GICC_IAR);
        cr(cpu, GICC_AIAR);
    }
}

static GByteArray *save(struct gicv2 *s)
{
    GByteArray *b = g_byte_array_new();

    g_assert_cmpint(gicv2_save(s, b), ==, 0);
    return b;
}

static void assert_refused(struct gicv2 *s, const uint8_t *buf, size_t len, uint32_t version)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) before = save(s);
    g_autoptr(GByteArray) after = NULL;

    g_assert_cmpint(gicv2_load(s, buf, len, version, &err), ==, -EINVAL);
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    after = save(s);
    g_assert_cmpmem(before->data, before->len, after->data, after->len);
}

static void assert_corrupt(struct gicv2 *s, const GByteArray *good, size_t off,
                           uint8_t value)
{
    g_autoptr(GByteArray) bad = g_byte_array_new();

    g_byte_array_append(bad, good->data, good->len);
    g_assert_cmpuint(off, <, bad->len);
    bad->data[off] = value;
    assert_refused(s, bad->data, bad->len, 1);
}

static void test_migration(void)
{
    struct gicv2 *src, *dst;
    g_autoptr(GByteArray) a = NULL;
    g_autoptr(GByteArray) b = NULL;
    g_autoptr(GError) err = NULL;
    int src_out[GICV2_MAX_CPUS][2];
    /* layout (arm_gicv2_vmstate.c): 12-byte header, 3 bytes per SPI, then per CPU */
    const size_t cpu0 = 12 + 3 * (96 - 32), per_cpu = 12 * 4 + 32 * 2 + 16;

    src = gic_new(4, 96);
    build_rich_state();
    memcpy(src_out, out_level, sizeof(src_out));
    a = save(src);
    g_assert_cmpuint(a->len, ==, cpu0 + 4 * per_cpu);

    /* into a fresh GIC: the same bytes come out, the outputs are the same */
    gic = NULL;
    dst = gic_new(4, 96);
    g_assert_cmpint(gicv2_load(dst, a->data, a->len, 1, &err), ==, 0);
    g_assert_no_error(err);
    b = save(dst);
    g_assert_cmpmem(a->data, a->len, b->data, b->len);
    g_assert_cmpmem(src_out, sizeof(src_out), out_level, sizeof(out_level));
    for (int cpu = 0; cpu < 4; cpu++) {
        g_assert_cmphex(cr(cpu, GICC_RPR), ==, gicv2_cpu_read(src, cpu, GICC_RPR, 4));
        g_assert_cmphex(cr(cpu, GICC_HPPIR), ==, gicv2_cpu_read(src, cpu, GICC_HPPIR, 4));
    }
    /* and it behaves the same: drain both */
    for (int cpu = 0; cpu < 4; cpu++) {
        for (int i = 0; i < 8; i++) {
            uint32_t id = (uint32_t)gicv2_cpu_read(src, cpu, GICC_IAR, 4);

            g_assert_cmphex(cr(cpu, GICC_IAR), ==, id);
            gicv2_cpu_write(src, cpu, GICC_EOIR, id, 4);
            cw(cpu, GICC_EOIR, id);
        }
    }
    g_byte_array_unref(b);
    b = save(dst);
    {
        g_autoptr(GByteArray) c = save(src);

        g_assert_cmpmem(c->data, c->len, b->data, b->len);
    }

    /* refusals leave the GIC as it was */
    for (size_t len = 0; len < a->len; len++)
        assert_refused(dst, a->data, len, 1);
    g_byte_array_append(a, (const guint8 *)"", 1);
    assert_refused(dst, a->data, a->len, 1);
    g_byte_array_set_size(a, a->len - 1);
    assert_refused(dst, a->data, a->len, 2);
    assert_corrupt(dst, a, 0, 3);                       /* num_cpus */
    assert_corrupt(dst, a, 4, 64);                      /* num_irqs */
    assert_corrupt(dst, a, 8, 4);                       /* GICD_CTLR bit 2 */
    assert_corrupt(dst, a, 12, 0x40);                   /* SPI 32 flags */
    assert_corrupt(dst, a, 14, 0x10);                   /* SPI 32 targets CPU 4 */
    assert_corrupt(dst, a, cpu0 + 1, 0x08);             /* GICC_CTLR bit 11 */
    assert_corrupt(dst, a, cpu0 + 5, 1);                /* GICC_PMR 0x1xx */
    assert_corrupt(dst, a, cpu0 + 8, 8);                /* GICC_BPR */
    assert_corrupt(dst, a, cpu0 + 12, 0);               /* GICC_ABPR below 1 */
    assert_corrupt(dst, a, cpu0 + 48, 0);               /* SGI 0 level-sensitive */
    assert_corrupt(dst, a, cpu0 + 48 + 2 * 27, 0x05);   /* PPI 27 edge */
    assert_corrupt(dst, a, cpu0 + 48 + 64 + 6, 0x20);   /* SGI 6 from CPU 5 */
    assert_corrupt(dst, a, cpu0 + 3 * per_cpu + 12, 9); /* CPU 3's ABPR */
    /* a GIC of another shape refuses it */
    gicv2_free(dst);
    dst = gic_new(4, 128);
    assert_refused(dst, a->data, a->len, 1);
    gicv2_free(dst);
    dst = gic_new(2, 96);
    assert_refused(dst, a->data, a->len, 1);
    gicv2_free(dst);
    gic = src;
    gic_done();
}

/* ---- through the memory API, as the guest sees it ---- */

static uint32_t as_read(AddressSpace *as, int cpu, uint64_t addr)
{
    access_cpu = cpu;
    return (uint32_t)address_space_read_io(as, addr, 4);
}

static void as_write(AddressSpace *as, int cpu, uint64_t addr, uint32_t v)
{
    access_cpu = cpu;
    address_space_write_io(as, addr, v, 4);
}

static void test_address_space(void)
{
    AddressSpace *as = address_space_new("memory", 1ULL << 40, false);
    g_autoptr(GError) err = NULL;
    struct gicv2_config cfg = { .num_cpus = 2, .num_irqs = 64 };
    struct gicv2 *plain;

    gic_new(2, 64);
    g_assert_cmpint(gicv2_map(gic, as, DIST_BASE, CPU_BASE, &err), ==, 0);
    g_assert_no_error(err);

    /* the accessing CPU comes from the hook */
    g_assert_cmphex(as_read(as, 0, DIST_BASE + GICD_ITARGETSR), ==, 0x01010101);
    g_assert_cmphex(as_read(as, 1, DIST_BASE + GICD_ITARGETSR), ==, 0x02020202);
    g_assert_cmphex(as_read(as, 1, DIST_BASE + GICD_TYPER), ==, (1u << 5) | 1);

    /* a guest's bring-up, then an SGI from CPU 0 to CPU 1 */
    as_write(as, 0, DIST_BASE + GICD_CTLR, 1);
    for (int cpu = 0; cpu < 2; cpu++) {
        as_write(as, cpu, DIST_BASE + GICD_ISENABLER, 0x0000ffff);
        as_write(as, cpu, DIST_BASE + GICD_IPRIORITYR, 0xa0a0a0a0);
        as_write(as, cpu, CPU_BASE + GICC_PMR, 0xf0);
        as_write(as, cpu, CPU_BASE + GICC_CTLR, CTLR_GRP0 | CTLR_EOIMODE);
    }
    as_write(as, 0, DIST_BASE + GICD_SGIR, sgir(0, 0x02, 0));
    g_assert_cmpint(out_level[1][GICV2_OUT_IRQ], ==, 1);
    g_assert_cmphex(as_read(as, 0, CPU_BASE + GICC_IAR), ==, SPURIOUS);
    g_assert_cmphex(as_read(as, 1, CPU_BASE + GICC_IAR), ==, 0);
    g_assert_cmphex(as_read(as, 1, CPU_BASE + GICC_RPR), ==, 0xa0);
    as_write(as, 1, CPU_BASE + GICC_EOIR, 0);
    g_assert_cmphex(as_read(as, 1, CPU_BASE + GICC_RPR), ==, 0xff);
    g_assert_cmphex(as_read(as, 1, DIST_BASE + GICD_ISACTIVER), ==, 1);
    as_write(as, 1, CPU_BASE + GICC_DIR, 0);            /* 0x08011000 */
    g_assert_cmphex(as_read(as, 1, DIST_BASE + GICD_ISACTIVER), ==, 0);

    /* byte access where allowed, RAZ/WI where not, through the same path */
    access_cpu = 0;
    address_space_write_io(as, DIST_BASE + GICD_IPRIORITYR + 33, 0x55, 1);
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_IPRIORITYR + 33, 1), ==, 0x55);
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_IPRIORITYR + 32, 2), ==, 0);
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_IPRIORITYR + 32, 8), ==, 0);
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_IPRIORITYR + 34, 4), ==, 0);
    address_space_write_io(as, DIST_BASE + GICD_CTLR, 0, 2);
    g_assert_cmphex(as_read(as, 0, DIST_BASE + GICD_CTLR), ==, 1);
    g_assert_cmphex(address_space_read_io(as, CPU_BASE + GICC_IAR, 8), ==, 0);
    /* a vCPU index the GIC does not have */
    g_assert_cmphex(as_read(as, 7, DIST_BASE + GICD_ITARGETSR), ==, 0);

    /* without a hook and outside a vCPU thread, accesses are CPU 0's */
    plain = gicv2_new(&cfg, &err);
    g_assert_no_error(err);
    g_assert_cmpint(gicv2_map(plain, as, 0x09000000, 0x09010000, &err), ==, 0);
    g_assert_cmphex(address_space_read_io(as, 0x09000000 + GICD_ITARGETSR, 4), ==, 0x01010101);
    gicv2_free(plain);
    g_assert_cmphex(address_space_read_io(as, 0x09000000 + GICD_ITARGETSR, 4), ==, 0);

    gic_done();     /* unmaps */
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_TYPER, 4), ==, 0);
    address_space_free(as);
}

/* gicv2_create maps both frames and registers the "gicv2" section, version 1. */
static void test_create(void)
{
    AddressSpace *as = address_space_new("memory", 1ULL << 40, false);
    struct gicv2_config cfg = { .num_cpus = 2, .num_irqs = 96 };
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) b = g_byte_array_new();
    const struct vmstate_ops *ops;
    struct gicv2 *s;

    s = gicv2_create(&cfg, as, DIST_BASE, CPU_BASE, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    g_assert_cmphex(address_space_read_io(as, DIST_BASE + GICD_TYPER, 4), ==, (1u << 5) | 2);
    ops = vmstate_find("gicv2", 0);
    g_assert_nonnull(ops);
    g_assert_cmpuint(ops->version, ==, 1);
    g_assert_true(ops->opaque == s);
    g_assert_cmpint(ops->save(ops->opaque, b), ==, 0);
    g_assert_cmpint(ops->load(ops->opaque, b->data, b->len, 1, &err), ==, 0);
    g_assert_no_error(err);
    /* registered: it stays alive with the address space for the process */
}

/* ---- several vCPU threads at once ---- */

#define THREAD_CPUS 4
#define THREAD_ROUNDS 3000

static int thread_level[THREAD_CPUS][2];

static void thread_output(void *opaque, int cpu, int which, int level)
{
    g_atomic_int_set(&thread_level[cpu][which], level);
}

static gpointer cpu_thread(gpointer data)
{
    int cpu = GPOINTER_TO_INT(data);

    for (int i = 0; i < THREAD_ROUNDS; i++) {
        uint32_t id;

        /* an SGI to the next CPU, an SPI of our own, and our timer */
        gicv2_dist_write(gic, cpu, GICD_SGIR, sgir(0, 1u << ((cpu + 1) % THREAD_CPUS), 1), 4);
        gicv2_set_irq(gic, 32 + (unsigned int)cpu, 1);
        gicv2_set_ppi(gic, (unsigned int)cpu, 27, 1);
        while ((id = (uint32_t)gicv2_cpu_read(gic, cpu, GICC_IAR, 4)) != SPURIOUS) {
            if (id == 27)
                gicv2_set_ppi(gic, (unsigned int)cpu, 27, 0);
            if (id == 32 + (unsigned int)cpu)
                gicv2_set_irq(gic, id, 0);
            gicv2_cpu_write(gic, cpu, GICC_EOIR, id, 4);
        }
    }
    return NULL;
}

static void test_threads(void)
{
    struct gicv2_config cfg = {
        .num_cpus = THREAD_CPUS, .num_irqs = 64, .set_cpu_irq = thread_output,
    };
    g_autoptr(GError) err = NULL;
    GThread *threads[THREAD_CPUS];

    gic = gicv2_new(&cfg, &err);
    g_assert_no_error(err);
    enable_group0(THREAD_CPUS);
    for (int cpu = 0; cpu < THREAD_CPUS; cpu++) {
        dw(cpu, GICD_ISENABLER, (1u << 1) | (1u << 27));
        set_priority(cpu, 1, 0x40);
        set_priority(cpu, 27, 0x80);
        setup_irq(0, 32 + (unsigned int)cpu, 0x60, (uint8_t)(1u << cpu));
    }
    for (int cpu = 0; cpu < THREAD_CPUS; cpu++)
        threads[cpu] = g_thread_new("vcpu", cpu_thread, GINT_TO_POINTER(cpu));
    for (int cpu = 0; cpu < THREAD_CPUS; cpu++)
        g_thread_join(threads[cpu]);
    /* SGIs sent after their target's last drain are still pending: drain them */
    for (int cpu = 0; cpu < THREAD_CPUS; cpu++) {
        uint32_t id;

        while ((id = cr(cpu, GICC_IAR)) != SPURIOUS)
            cw(cpu, GICC_EOIR, id);
        g_assert_cmphex(dr(cpu, GICD_ISACTIVER), ==, 0);
        g_assert_cmphex(dr(cpu, GICD_ISACTIVER + 4), ==, 0);
        g_assert_cmphex(dr(cpu, GICD_ISPENDR), ==, 0);
        g_assert_cmphex(cr(cpu, GICC_RPR), ==, 0xff);
        g_assert_cmpint(g_atomic_int_get(&thread_level[cpu][GICV2_OUT_IRQ]), ==, 0);
    }
    gic_done();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gicv2/config", test_config);
    g_test_add_func("/gicv2/reset-values", test_reset_values);
    g_test_add_func("/gicv2/uniprocessor", test_uniprocessor);
    g_test_add_func("/gicv2/dist-registers", test_dist_registers);
    g_test_add_func("/gicv2/cpu-registers", test_cpu_registers);
    g_test_add_func("/gicv2/ack-eoi", test_ack_eoi);
    g_test_add_func("/gicv2/priority-order", test_priority_order);
    g_test_add_func("/gicv2/pmr", test_pmr);
    g_test_add_func("/gicv2/preemption", test_preemption);
    g_test_add_func("/gicv2/groups", test_groups);
    g_test_add_func("/gicv2/sgi", test_sgi);
    g_test_add_func("/gicv2/level", test_level);
    g_test_add_func("/gicv2/edge", test_edge);
    g_test_add_func("/gicv2/ppi", test_ppi);
    g_test_add_func("/gicv2/eoimode", test_eoimode);
    g_test_add_func("/gicv2/output-lines", test_output_lines);
    g_test_add_func("/gicv2/raz-wi", test_raz_wi);
    g_test_add_func("/gicv2/fuzz", test_fuzz);
    g_test_add_func("/gicv2/migration", test_migration);
    g_test_add_func("/gicv2/address-space", test_address_space);
    g_test_add_func("/gicv2/create", test_create);
    g_test_add_func("/gicv2/threads", test_threads);
    return g_test_run();
}
