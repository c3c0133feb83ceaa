/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GICv2 (ARM IHI 0048B): the interrupt state machine, prioritization and the
 * CPU outputs.  The register frames are in arm_gicv2_mmio.c, the migration
 * section in arm_gicv2_vmstate.c.
 *
 * What is modelled: a GICv2 without the Security Extensions but with
 * interrupt grouping (chapter 3, "The effect of interrupt grouping").  Every
 * interrupt is in Group 0 or Group 1 (GICD_IGROUPRn); GICD_CTLR and GICC_CTLR
 * enable each group; Group 0 is signalled as FIQ when GICC_CTLR.FIQEn is
 * set, everything else as IRQ.
 * GICC_IAR/EOIR/HPPIR serve both groups (Group 1 only with AckCtl), and the
 * aliased GICC_AIAR/AEOIR/AHPPIR/ABPR are the Group 1 view a non-secure
 * operating system would use.  A Linux guest leaves everything in Group 0,
 * enables Group 0 only and takes it as IRQ.  8 priority bits (256 levels),
 * so the minimum binary point is 0 for GICC_BPR and 1 for GICC_ABPR, and
 * there are 128 preemption levels kept in GICC_APR0-3 (Group 0) and
 * GICC_NSAPR0-3 (Group 1), the recommended layout (4.4.12, 4.4.13).
 *
 * Not modelled: the Security Extensions, the virtualization extensions
 * (GICH/GICV), the legacy bypass signals (the bypass-disable bits of
 * GICC_CTLR are kept but change nothing), power management (GICC wakeup).
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "arm_gicv2_internal.h"

/* The highest priority pending interrupt of a CPU interface. */
struct pending_irq {
    unsigned int irq;
    unsigned int source;    /* SGIs: the source CPU */
    uint8_t priority;
    bool group1;
};

struct gicv2_irq *gicv2_irq_state(struct gicv2 *s, unsigned int cpu, unsigned int irq)
{
    if (irq < GICV2_NR_PRIVATE)
        return &s->r.cpu[cpu].priv[irq];
    return &s->r.spi[irq - GICV2_NR_PRIVATE];
}

/*
 * A level-sensitive interrupt is pending while its line is asserted or a
 * GICD_ISPENDR write latched it; an edge-triggered one from the edge (or the
 * write) until it is acknowledged (4.3.7).  An SGI is pending while any
 * source has it pending (4.3.17).
 */
bool gicv2_irq_pending(struct gicv2 *s, unsigned int cpu, unsigned int irq)
{
    const struct gicv2_irq *st;

    if (irq < GICV2_NR_SGIS)
        return s->r.cpu[cpu].sgi_sources[irq] != 0;
    st = gicv2_irq_state(s, cpu, irq);
    return st->latch || (!st->edge && st->level);
}

static bool targets_cpu(struct gicv2 *s, unsigned int cpu, unsigned int irq)
{
    if (irq < GICV2_NR_PRIVATE || s->num_cpus == 1)
        return true;    /* a uniprocessor GIC sends everything to its CPU (4.3.12) */
    return (s->r.spi[irq - GICV2_NR_PRIVATE].targets >> cpu) & 1;
}

/*
 * Whether irq is a candidate for a CPU interface: pending, not active,
 * enabled, and forwarded by the distributor (its group enabled in
 * GICD_CTLR).  Whom it targets is the caller's business.
 */
static bool is_candidate(struct gicv2 *s, unsigned int cpu, unsigned int irq,
                         const struct gicv2_irq *st)
{
    if (!st->enabled || st->active || !gicv2_irq_pending(s, cpu, irq))
        return false;
    return s->r.ctlr & (st->group1 ? GICD_CTLR_ENABLE_GRP1 : GICD_CTLR_ENABLE_GRP0);
}

/*
 * Keep the candidate with the lowest priority value.  Candidates come in
 * increasing ID order, so equal priorities go to the lowest ID, and an SGI
 * pending from several CPUs goes to the lowest source (the choice is
 * IMPLEMENTATION DEFINED).
 */
static void consider(struct gicv2 *s, unsigned int cpu, unsigned int irq,
                     const struct gicv2_irq *st, struct pending_irq *best, bool *found)
{
    if (*found && st->priority >= best->priority)
        return;
    *found = true;
    best->irq = irq;
    best->priority = st->priority;
    best->group1 = st->group1;
    best->source = 0;
    if (irq < GICV2_NR_SGIS)
        best->source = (unsigned int)__builtin_ctz(s->r.cpu[cpu].sgi_sources[irq]);
}

/* The highest priority pending interrupt of one CPU interface. */
static bool highest_pending(struct gicv2 *s, unsigned int cpu, struct pending_irq *out)
{
    bool found = false;

    for (unsigned int irq = 0; irq < s->num_irqs; irq++) {
        const struct gicv2_irq *st = gicv2_irq_state(s, cpu, irq);

        if (is_candidate(s, cpu, irq, st) && targets_cpu(s, cpu, irq))
            consider(s, cpu, irq, st, out, &found);
    }
    return found;
}

/*
 * The same for every CPU interface at once: one pass over the SPIs, each
 * offered to the CPUs it targets, rather than one pass per CPU.
 */
static void highest_pending_all(struct gicv2 *s, struct pending_irq *best, bool *found)
{
    for (unsigned int cpu = 0; cpu < s->num_cpus; cpu++) {
        found[cpu] = false;
        for (unsigned int irq = 0; irq < GICV2_NR_PRIVATE; irq++) {
            const struct gicv2_irq *st = &s->r.cpu[cpu].priv[irq];

            if (is_candidate(s, cpu, irq, st))
                consider(s, cpu, irq, st, &best[cpu], &found[cpu]);
        }
    }
    for (unsigned int irq = GICV2_NR_PRIVATE; irq < s->num_irqs; irq++) {
        const struct gicv2_irq *st = &s->r.spi[irq - GICV2_NR_PRIVATE];

        if (!is_candidate(s, 0, irq, st))
            continue;
        for (unsigned int cpu = 0; cpu < s->num_cpus; cpu++)
            if (targets_cpu(s, cpu, irq))
                consider(s, cpu, irq, st, &best[cpu], &found[cpu]);
    }
}

/*
 * The group priority: the priority with the subpriority bits below the
 * binary point cleared (chapter 3, "Priority grouping").  Group 1 uses
 * GICC_ABPR unless GICC_CTLR.CBPR is set, and an ABPR of N splits the
 * priority where a BPR of N - 1 does (GICC_ABPR, 4.4.8).
 */
static uint8_t group_priority(struct gicv2 *s, unsigned int cpu, uint8_t priority,
                              bool group1)
{
    const struct gicv2_cpu *c = &s->r.cpu[cpu];
    unsigned int bp;

    if (group1 && !(c->ctlr & GICC_CTLR_CBPR))
        bp = c->abpr - 1;
    else
        bp = c->bpr;
    return (uint8_t)(priority & (0xffu << (bp + 1)));
}

/*
 * The running priority: the group priority of the highest active priority
 * bit, at the granularity of the minimum binary point (GICC_RPR, 4.4.6).
 */
uint32_t gicv2_running_priority(struct gicv2 *s, unsigned int cpu)
{
    const struct gicv2_cpu *c = &s->r.cpu[cpu];

    for (unsigned int i = 0; i < GICV2_NR_APRS; i++) {
        uint32_t bits = c->apr[i] | c->nsapr[i];

        if (bits)
            return (i * 32 + (unsigned int)__builtin_ctz(bits)) << 1;
    }
    return GICV2_IDLE_PRIORITY;
}

/*
 * Whether the CPU interface signals p to its processor: its group is enabled
 * in GICC_CTLR, its priority is above the mask (GICC_PMR), and its group
 * priority is above the running priority, i.e. it would preempt (chapter 3,
 * "Preemption").
 */
static bool signalled(struct gicv2 *s, unsigned int cpu, const struct pending_irq *p)
{
    const struct gicv2_cpu *c = &s->r.cpu[cpu];

    if (!(c->ctlr & (p->group1 ? GICC_CTLR_ENABLE_GRP1 : GICC_CTLR_ENABLE_GRP0)))
        return false;
    if (p->priority >= c->pmr)
        return false;
    return group_priority(s, cpu, p->priority, p->group1) < gicv2_running_priority(s, cpu);
}

static void set_output(struct gicv2 *s, unsigned int cpu, int which, bool level)
{
    if (s->out[cpu][which] == level)
        return;
    s->out[cpu][which] = level;
    if (s->set_cpu_irq)
        s->set_cpu_irq(s->opaque, (int)cpu, which, level);
}

void gicv2_update(struct gicv2 *s)
{
    struct pending_irq best[GICV2_MAX_CPUS];
    bool found[GICV2_MAX_CPUS];

    highest_pending_all(s, best, found);
    for (unsigned int cpu = 0; cpu < s->num_cpus; cpu++) {
        const struct pending_irq *p = &best[cpu];
        bool irq = false, fiq = false;

        if (found[cpu] && signalled(s, cpu, p)) {
            if (!p->group1 && (s->r.cpu[cpu].ctlr & GICC_CTLR_FIQ_EN))
                fiq = true;
            else
                irq = true;
        }
        set_output(s, cpu, GICV2_OUT_IRQ, irq);
        set_output(s, cpu, GICV2_OUT_FIQ, fiq);
    }
}

/* Mark a group priority active: the running priority becomes it. */
static void set_active_priority(struct gicv2 *s, unsigned int cpu, uint8_t gprio, bool group1)
{
    struct gicv2_cpu *c = &s->r.cpu[cpu];
    unsigned int bit = gprio >> 1;
    uint32_t *apr = group1 ? c->nsapr : c->apr;

    apr[bit / 32] |= 1u << (bit % 32);
}

/*
 * Priority drop: clear the highest active priority (4.4.5).  Software EOIs
 * in the reverse order of acknowledgement, so that is the interrupt's own;
 * should both groups hold that priority, the interrupt's group loses it.
 */
static void drop_priority(struct gicv2 *s, unsigned int cpu, bool group1)
{
    struct gicv2_cpu *c = &s->r.cpu[cpu];

    for (unsigned int i = 0; i < GICV2_NR_APRS; i++) {
        uint32_t bits = c->apr[i] | c->nsapr[i];
        uint32_t bit = bits & -bits;

        if (!bits)
            continue;
        if ((c->apr[i] & bit) && (c->nsapr[i] & bit)) {
            if (group1)
                c->nsapr[i] &= ~bit;
            else
                c->apr[i] &= ~bit;
        } else if (c->apr[i] & bit) {
            c->apr[i] &= ~bit;
        } else {
            c->nsapr[i] &= ~bit;
        }
        return;
    }
}

/*
 * GICC_IAR / GICC_AIAR (4.4.4, 4.4.9).  Returns the ID of the highest
 * priority pending interrupt if the interface signals it, and makes it
 * active: the SGI's pending bit for that source, the edge, or a set-pending
 * latch of a level interrupt is consumed; a level line still asserted keeps
 * it active and pending.  1023 when nothing is signalled; through GICC_IAR,
 * 1022 for a Group 1 interrupt unless AckCtl; through GICC_AIAR, 1023 for a
 * Group 0 one.
 */
uint32_t gicv2_acknowledge(struct gicv2 *s, unsigned int cpu, bool alias)
{
    struct gicv2_cpu *c = &s->r.cpu[cpu];
    struct pending_irq p;
    struct gicv2_irq *st;
    uint32_t id;

    if (!highest_pending(s, cpu, &p) || !signalled(s, cpu, &p))
        return GICV2_SPURIOUS;
    if (alias && !p.group1)
        return GICV2_SPURIOUS;
    if (!alias && p.group1 && !(c->ctlr & GICC_CTLR_ACK_CTL))
        return GICV2_SPURIOUS_GRP1;

    st = gicv2_irq_state(s, cpu, p.irq);
    set_active_priority(s, cpu, group_priority(s, cpu, p.priority, p.group1), p.group1);
    st->active = true;
    id = p.irq;
    if (p.irq < GICV2_NR_SGIS) {
        c->sgi_sources[p.irq] &= (uint8_t)~(1u << p.source);
        id |= p.source << 10;
    } else {
        st->latch = false;
    }
    gicv2_update(s);
    return id;
}

/* GICC_HPPIR / GICC_AHPPIR (4.4.7, 4.4.11): like a read of IAR without its effect. */
uint32_t gicv2_highest_pending_id(struct gicv2 *s, unsigned int cpu, bool alias)
{
    const struct gicv2_cpu *c = &s->r.cpu[cpu];
    struct pending_irq p;

    if (!highest_pending(s, cpu, &p))
        return GICV2_SPURIOUS;
    if (!(c->ctlr & (p.group1 ? GICC_CTLR_ENABLE_GRP1 : GICC_CTLR_ENABLE_GRP0)))
        return GICV2_SPURIOUS;
    if (alias && !p.group1)
        return GICV2_SPURIOUS;
    if (!alias && p.group1 && !(c->ctlr & GICC_CTLR_ACK_CTL))
        return GICV2_SPURIOUS_GRP1;
    return p.irq | (p.irq < GICV2_NR_SGIS ? p.source << 10 : 0);
}

/*
 * GICC_EOIR / GICC_AEOIR (4.4.5, 4.4.10): priority drop, and with EOImode 0
 * deactivation too.  The spurious IDs and interrupts that do not exist are
 * ignored; so is a Group 1 ID through GICC_EOIR without AckCtl and a Group 0
 * ID through GICC_AEOIR, as their acknowledgement could not have returned
 * them.  For an SGI bits [12:10] name the source; the active state is per
 * SGI and target, so they do not matter here.
 */
void gicv2_end_of_interrupt(struct gicv2 *s, unsigned int cpu, uint32_t value, bool alias)
{
    const struct gicv2_cpu *c = &s->r.cpu[cpu];
    unsigned int irq = value & 0x3ff;
    struct gicv2_irq *st;

    if (irq >= s->num_irqs)
        return;
    st = gicv2_irq_state(s, cpu, irq);
    if (alias && !st->group1)
        return;
    if (!alias && st->group1 && !(c->ctlr & GICC_CTLR_ACK_CTL))
        return;
    drop_priority(s, cpu, st->group1);
    if (!(c->ctlr & GICC_CTLR_EOIMODE))
        st->active = false;
    gicv2_update(s);
}

/*
 * GICC_DIR (4.4.15): deactivation for EOImode 1.  With EOImode 0 its effect
 * is UNPREDICTABLE; this model ignores it.
 */
void gicv2_deactivate(struct gicv2 *s, unsigned int cpu, uint32_t value)
{
    unsigned int irq = value & 0x3ff;

    if (!(s->r.cpu[cpu].ctlr & GICC_CTLR_EOIMODE) || irq >= s->num_irqs)
        return;
    gicv2_irq_state(s, cpu, irq)->active = false;
    gicv2_update(s);
}

/*
 * GICD_SGIR (4.3.15): TargetListFilter 0 sends to CPUTargetList, 1 to every
 * CPU but the writer, 2 to the writer only; 3 is reserved.  Targets the GIC
 * does not have are ignored.  Each target records the writer as a source.
 */
void gicv2_send_sgi(struct gicv2 *s, unsigned int cpu, uint32_t value)
{
    unsigned int sgi = value & 0xf;
    uint32_t all = (1u << s->num_cpus) - 1;
    uint32_t targets;

    switch ((value >> 24) & 3) {
    case 0:
        targets = (value >> 16) & 0xff;
        break;
    case 1:
        targets = all & ~(1u << cpu);
        break;
    case 2:
        targets = 1u << cpu;
        break;
    default:
        return;
    }
    targets &= all;
    for (unsigned int t = 0; t < s->num_cpus; t++)
        if (targets & (1u << t))
            s->r.cpu[t].sgi_sources[sgi] |= (uint8_t)(1u << cpu);
    gicv2_update(s);
}

/*
 * An SPI changes trigger mode.  Changing it while the interrupt is enabled is
 * UNPREDICTABLE (4.3.13); keep it pending if it was: a level interrupt
 * pending from its line becomes a latched edge.
 */
void gicv2_set_edge(struct gicv2 *s, unsigned int irq, bool edge)
{
    struct gicv2_irq *st = gicv2_irq_state(s, 0, irq);

    if (st->edge == edge)
        return;
    if (edge && st->level)
        st->latch = true;
    st->edge = edge;
}

void gicv2_reset_regs(struct gicv2 *s, struct gicv2_regs *r)
{
    memset(r, 0, sizeof(*r));
    for (unsigned int cpu = 0; cpu < GICV2_MAX_CPUS; cpu++) {
        struct gicv2_cpu *c = &r->cpu[cpu];

        c->bpr = GICV2_MIN_BPR;
        c->abpr = GICV2_MIN_ABPR;
        /* SGIs are edge-triggered, PPIs level-sensitive; neither can change */
        for (unsigned int irq = 0; irq < GICV2_NR_SGIS; irq++)
            c->priv[irq].edge = true;
    }
    /* SPIs reset level-sensitive, in Group 0, targeting no CPU, disabled */
}

/* An input line: a rising edge latches an edge-triggered interrupt. */
static bool set_line(struct gicv2_irq *st, bool level)
{
    if (st->level == level)
        return false;
    if (st->edge && level)
        st->latch = true;
    st->level = level;
    return true;
}

void gicv2_set_irq(struct gicv2 *s, unsigned int irq, int level)
{
    if (irq < GICV2_NR_PRIVATE || irq >= s->num_irqs)
        return;
    pthread_mutex_lock(&s->lock);
    if (set_line(&s->r.spi[irq - GICV2_NR_PRIVATE], level != 0))
        gicv2_update(s);
    pthread_mutex_unlock(&s->lock);
}

void gicv2_set_spi_line(void *opaque, unsigned int spi, int level)
{
    struct gicv2 *s = opaque;

    if (spi < GICV2_MAX_IRQS - GICV2_NR_PRIVATE)
        gicv2_set_irq(s, spi + GICV2_NR_PRIVATE, level);
}

void gicv2_set_ppi(struct gicv2 *s, unsigned int cpu, unsigned int ppi, int level)
{
    if (cpu >= s->num_cpus || ppi < GICV2_NR_SGIS || ppi >= GICV2_NR_PRIVATE)
        return;
    pthread_mutex_lock(&s->lock);
    if (set_line(&s->r.cpu[cpu].priv[ppi], level != 0))
        gicv2_update(s);
    pthread_mutex_unlock(&s->lock);
}

void gicv2_reset(struct gicv2 *s)
{
    struct gicv2_regs *old = g_new(struct gicv2_regs, 1);

    pthread_mutex_lock(&s->lock);
    *old = s->r;
    gicv2_reset_regs(s, &s->r);
    for (unsigned int i = 0; i < GICV2_MAX_IRQS - GICV2_NR_PRIVATE; i++)
        s->r.spi[i].level = old->spi[i].level;
    for (unsigned int cpu = 0; cpu < GICV2_MAX_CPUS; cpu++)
        for (unsigned int irq = GICV2_NR_SGIS; irq < GICV2_NR_PRIVATE; irq++)
            s->r.cpu[cpu].priv[irq].level = old->cpu[cpu].priv[irq].level;
    gicv2_update(s);
    pthread_mutex_unlock(&s->lock);
    g_free(old);
}

int gicv2_output(struct gicv2 *s, unsigned int cpu, int irq_or_fiq)
{
    int level;

    if (cpu >= s->num_cpus || (irq_or_fiq != GICV2_OUT_IRQ && irq_or_fiq != GICV2_OUT_FIQ))
        return 0;
    pthread_mutex_lock(&s->lock);
    level = s->out[cpu][irq_or_fiq];
    pthread_mutex_unlock(&s->lock);
    return level;
}

struct gicv2 *gicv2_new(const struct gicv2_config *cfg, GError **errp)
{
    struct gicv2 *s;

    if (cfg->num_cpus < 1 || cfg->num_cpus > GICV2_MAX_CPUS) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "GICv2: %u CPUs, it supports 1 to %d", cfg->num_cpus, GICV2_MAX_CPUS);
        return NULL;
    }
    if (cfg->num_irqs < GICV2_NR_PRIVATE || cfg->num_irqs > GICV2_MAX_IRQS) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "GICv2: %u interrupts, it supports %d to %d", cfg->num_irqs,
                    GICV2_NR_PRIVATE, GICV2_MAX_IRQS);
        return NULL;
    }
    s = g_new0(struct gicv2, 1);
    pthread_mutex_init(&s->lock, NULL);
    s->num_cpus = cfg->num_cpus;
    s->num_irqs = cfg->num_irqs;
    s->set_cpu_irq = cfg->set_cpu_irq;
    s->current_cpu_index = cfg->current_cpu_index;
    s->opaque = cfg->opaque;
    gicv2_reset_regs(s, &s->r);
    return s;
}

void gicv2_free(struct gicv2 *s)
{
    if (!s)
        return;
    memory_region_free(s->dist_mr);     /* unmaps */
    memory_region_free(s->cpu_mr);
    pthread_mutex_destroy(&s->lock);
    g_free(s);
}

int gicv2_map(struct gicv2 *s, AddressSpace *as, uint64_t dist_base, uint64_t cpu_base,
              GError **errp)
{
    MemoryRegion *dist = memory_region_new_io("gicv2-dist", GICV2_DIST_SIZE,
                                              &gicv2_dist_ops, s);
    MemoryRegion *cpu = memory_region_new_io("gicv2-cpu", GICV2_CPU_SIZE,
                                             &gicv2_cpu_ops, s);
    int ret;

    ret = memory_region_map(as, dist, dist_base, 0);
    if (ret == 0) {
        ret = memory_region_map(as, cpu, cpu_base, 0);
        if (ret < 0)
            memory_region_unmap(dist);
    }
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot map the GICv2 at 0x%" PRIx64 "/0x%" PRIx64 ": %s",
                    dist_base, cpu_base, g_strerror(-ret));
        memory_region_free(dist);
        memory_region_free(cpu);
        return ret;
    }
    s->dist_mr = dist;
    s->cpu_mr = cpu;
    return 0;
}

void gicv2_register_vmstate(struct gicv2 *s)
{
    struct vmstate_ops ops = {
        .name = "gicv2", .instance = 0, .version = 1,
        .save = gicv2_save, .load = gicv2_load, .opaque = s,
    };

    vmstate_register(&ops);
}

struct gicv2 *gicv2_create(const struct gicv2_config *cfg, AddressSpace *as,
                           uint64_t dist_base, uint64_t cpu_base, GError **errp)
{
    struct gicv2 *s = gicv2_new(cfg, errp);

    if (!s)
        return NULL;
    if (gicv2_map(s, as, dist_base, cpu_base, errp) < 0) {
        gicv2_free(s);
        return NULL;
    }
    gicv2_register_vmstate(s);
    return s;
}
