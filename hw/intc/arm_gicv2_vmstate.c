/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GICv2 state section "gicv2", version 1.  Little-endian, in order:
 *
 *   u32 num_cpus, u32 num_irqs     must match the destination's GIC
 *   u32 GICD_CTLR
 *   per SPI (32 .. num_irqs-1):    u8 flags, u8 priority, u8 targets
 *   per CPU:
 *     u32 GICC_CTLR, PMR, BPR, ABPR, APR0-3, NSAPR0-3
 *     per SGI and PPI (0 .. 31):   u8 flags, u8 priority
 *     16 x u8                      SGI pending, one bit per source CPU
 *
 * The input line levels travel too: a device whose line is high keeps it
 * high across migration without raising it again.  The CPU outputs do not:
 * they are recomputed after a load.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/migration.h"
#include "arm_gicv2_internal.h"

#define GICV2_VMSTATE_VERSION   1

enum {
    F_ENABLED = 1 << 0,
    F_GROUP1 = 1 << 1,
    F_EDGE = 1 << 2,
    F_LATCH = 1 << 3,
    F_LEVEL = 1 << 4,
    F_ACTIVE = 1 << 5,
    F_ALL = (1 << 6) - 1,
};

static uint8_t irq_flags(const struct gicv2_irq *st)
{
    return (uint8_t)((st->enabled ? F_ENABLED : 0) | (st->group1 ? F_GROUP1 : 0) |
                     (st->edge ? F_EDGE : 0) | (st->latch ? F_LATCH : 0) |
                     (st->level ? F_LEVEL : 0) | (st->active ? F_ACTIVE : 0));
}

static void set_irq_flags(struct gicv2_irq *st, uint8_t flags)
{
    st->enabled = flags & F_ENABLED;
    st->group1 = flags & F_GROUP1;
    st->edge = flags & F_EDGE;
    st->latch = flags & F_LATCH;
    st->level = flags & F_LEVEL;
    st->active = flags & F_ACTIVE;
}

int gicv2_save(void *opaque, GByteArray *b)
{
    struct gicv2 *s = opaque;

    pthread_mutex_lock(&s->lock);
    put_u32(b, s->num_cpus);
    put_u32(b, s->num_irqs);
    put_u32(b, s->r.ctlr);
    for (unsigned int irq = GICV2_NR_PRIVATE; irq < s->num_irqs; irq++) {
        const struct gicv2_irq *st = &s->r.spi[irq - GICV2_NR_PRIVATE];

        put_u8(b, irq_flags(st));
        put_u8(b, st->priority);
        put_u8(b, st->targets);
    }
    for (unsigned int cpu = 0; cpu < s->num_cpus; cpu++) {
        const struct gicv2_cpu *c = &s->r.cpu[cpu];

        put_u32(b, c->ctlr);
        put_u32(b, c->pmr);
        put_u32(b, c->bpr);
        put_u32(b, c->abpr);
        for (unsigned int i = 0; i < GICV2_NR_APRS; i++)
            put_u32(b, c->apr[i]);
        for (unsigned int i = 0; i < GICV2_NR_APRS; i++)
            put_u32(b, c->nsapr[i]);
        for (unsigned int irq = 0; irq < GICV2_NR_PRIVATE; irq++) {
            put_u8(b, irq_flags(&c->priv[irq]));
            put_u8(b, c->priv[irq].priority);
        }
        put_bytes(b, c->sgi_sources, GICV2_NR_SGIS);
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/*
 * What no register write could produce is refused rather than clamped: it
 * means the stream is corrupt or from another configuration.
 */
static const char *check_cpu(const struct gicv2 *s, const struct gicv2_cpu *c)
{
    uint8_t cpus = (uint8_t)((1u << s->num_cpus) - 1);

    if (c->ctlr & ~GICC_CTLR_MASK)
        return "GICC_CTLR";
    if (c->pmr > 0xff)
        return "GICC_PMR";
    if (c->bpr > 7)         /* GICV2_MIN_BPR is 0 */
        return "GICC_BPR";
    if (c->abpr > 7 || c->abpr < GICV2_MIN_ABPR)
        return "GICC_ABPR";
    for (unsigned int irq = 0; irq < GICV2_NR_PRIVATE; irq++) {
        const struct gicv2_irq *st = &c->priv[irq];

        /* SGIs are edge-triggered without a line or latch; PPIs level-sensitive */
        if (irq < GICV2_NR_SGIS && (!st->edge || st->latch || st->level))
            return "SGI state";
        if (irq >= GICV2_NR_SGIS && st->edge)
            return "PPI configuration";
    }
    for (unsigned int i = 0; i < GICV2_NR_SGIS; i++)
        if (c->sgi_sources[i] & ~cpus)
            return "SGI source";
    return NULL;
}

static const char *parse(struct gicv2 *s, struct vm_reader *r, struct gicv2_regs *regs)
{
    uint8_t cpus = (uint8_t)((1u << s->num_cpus) - 1);
    uint32_t num_cpus = get_u32(r), num_irqs = get_u32(r);
    const char *bad;

    if (r->error)
        return "length";
    if (num_cpus != s->num_cpus || num_irqs != s->num_irqs)
        return "configuration (number of CPUs or interrupts)";
    regs->ctlr = get_u32(r);
    if (regs->ctlr & ~GICD_CTLR_MASK)
        return "GICD_CTLR";
    for (unsigned int irq = GICV2_NR_PRIVATE; irq < s->num_irqs; irq++) {
        struct gicv2_irq *st = &regs->spi[irq - GICV2_NR_PRIVATE];
        uint8_t flags = get_u8(r);

        if (flags & ~F_ALL)
            return "SPI flags";
        set_irq_flags(st, flags);
        st->priority = get_u8(r);
        st->targets = get_u8(r);
        if ((st->targets & ~cpus) || (s->num_cpus == 1 && st->targets))
            return "SPI targets";
    }
    for (unsigned int cpu = 0; cpu < s->num_cpus; cpu++) {
        struct gicv2_cpu *c = &regs->cpu[cpu];

        c->ctlr = get_u32(r);
        c->pmr = get_u32(r);
        c->bpr = get_u32(r);
        c->abpr = get_u32(r);
        for (unsigned int i = 0; i < GICV2_NR_APRS; i++)
            c->apr[i] = get_u32(r);
        for (unsigned int i = 0; i < GICV2_NR_APRS; i++)
            c->nsapr[i] = get_u32(r);
        for (unsigned int irq = 0; irq < GICV2_NR_PRIVATE; irq++) {
            uint8_t flags = get_u8(r);

            if (flags & ~F_ALL)
                return "SGI/PPI flags";
            set_irq_flags(&c->priv[irq], flags);
            c->priv[irq].priority = get_u8(r);
        }
        get_bytes(r, c->sgi_sources, GICV2_NR_SGIS);
        if (r->error)
            return "length";
        bad = check_cpu(s, c);
        if (bad)
            return bad;
    }
    if (r->error || r->pos != r->len)
        return "length";
    return NULL;
}

int gicv2_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
               GError **errp)
{
    struct gicv2 *s = opaque;
    struct vm_reader r = { .p = buf, .len = len };
    struct gicv2_regs *regs;
    const char *bad;

    if (version != GICV2_VMSTATE_VERSION) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "GICv2 state version %u, expected %u", version, GICV2_VMSTATE_VERSION);
        return -EINVAL;
    }
    /* parse into a copy: a refused section leaves the GIC as it was */
    regs = g_new(struct gicv2_regs, 1);
    gicv2_reset_regs(s, regs);
    bad = parse(s, &r, regs);
    if (bad) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "GICv2 state is corrupt: bad %s", bad);
        g_free(regs);
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    s->r = *regs;
    gicv2_update(s);
    pthread_mutex_unlock(&s->lock);
    g_free(regs);
    return 0;
}
