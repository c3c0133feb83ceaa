/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GICv2 register frames: the distributor (4.3) and the CPU interface (4.4)
 * as sorted tables of register regions, found by binary search.
 *
 * Each region says which access widths the architecture allows (4.1.4: all
 * registers are word-accessible; GICD_IPRIORITYRn, GICD_ITARGETSRn and the
 * SGI pending registers are byte-accessible too) and, for the per-interrupt
 * ones, how many bits each interrupt has.  An access that is misaligned, of
 * another width, to an interrupt ID the GIC does not implement, to a
 * reserved offset or from a CPU the GIC does not have reads as zero and its
 * writes are ignored.  Only the first interrupt of an access is checked;
 * the handlers ignore the bits of nonexistent interrupts after it.
 *
 * Handlers run with the GIC's lock held and get the offset into their
 * region and the access size.
 */
#include "qemu-vmm/cpus.h"
#include "qemu-vmm/log.h"
#include "arm_gicv2_internal.h"

#define GICV2_IMPLEMENTER   0x43b   /* JEP106 code of ARM, as GIC implementations use */

struct gicv2_region {
    uint32_t offset;
    uint32_t len;
    unsigned int bits_per_irq;      /* 0: not a per-interrupt register */
    unsigned int widths;            /* ACCESS_1 | ACCESS_4 */
    uint32_t (*read)(struct gicv2 *s, unsigned int cpu, uint32_t off, unsigned int len);
    void (*write)(struct gicv2 *s, unsigned int cpu, uint32_t off, unsigned int len,
                  uint32_t value);
};

/* ---- distributor ---- */

/* The first interrupt of an access at off into a region of bits_per_irq. */
static unsigned int first_irq(uint32_t off, unsigned int bits_per_irq)
{
    return off * 8 / bits_per_irq;
}

/* How many of n interrupts from first exist. */
static unsigned int irq_count(struct gicv2 *s, unsigned int first, unsigned int n)
{
    if (first >= s->num_irqs)
        return 0;
    return MIN(n, s->num_irqs - first);
}

static uint32_t dist_ctlr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len)
{
    return s->r.ctlr;
}

static void dist_ctlr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                            unsigned int len, uint32_t value)
{
    s->r.ctlr = value & GICD_CTLR_MASK;
    gicv2_update(s);
}

/* GICD_TYPER (4.3.2): no Security Extensions, so SecurityExtn and LSPI are 0. */
static uint32_t dist_typer_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len)
{
    uint32_t it_lines = (s->num_irqs + 31) / 32 - 1;

    return ((s->num_cpus - 1) << 5) | it_lines;
}

static uint32_t dist_iidr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len)
{
    return GICV2_IMPLEMENTER;       /* ProductID, Variant, Revision 0 */
}

/* ICPIDR2 (4.3.18): only ArchRev is architected; the other ID registers are RAZ. */
static uint32_t dist_pidr2_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len)
{
    return 2u << 4;
}

static uint32_t dist_igroup_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                 unsigned int len)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        if (gicv2_irq_state(s, cpu, first + i)->group1)
            v |= 1u << i;
    return v;
}

static void dist_igroup_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len, uint32_t value)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);

    for (unsigned int i = 0; i < n; i++)
        gicv2_irq_state(s, cpu, first + i)->group1 = (value >> i) & 1;
    gicv2_update(s);
}

static uint32_t dist_enable_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                 unsigned int len)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        if (gicv2_irq_state(s, cpu, first + i)->enabled)
            v |= 1u << i;
    return v;
}

/* Write-1-to-set and write-1-to-clear pairs: a 0 bit changes nothing (4.3.5, 4.3.6). */
static void dist_enable_update(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len, uint32_t value, bool set)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);

    for (unsigned int i = 0; i < n; i++)
        if ((value >> i) & 1)
            gicv2_irq_state(s, cpu, first + i)->enabled = set;
    gicv2_update(s);
}

static void dist_isenable_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_enable_update(s, cpu, off, len, value, true);
}

static void dist_icenable_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_enable_update(s, cpu, off, len, value, false);
}

static uint32_t dist_pending_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                  unsigned int len)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        if (gicv2_irq_pending(s, cpu, first + i))
            v |= 1u << i;
    return v;
}

/*
 * GICD_ISPENDRn / ICPENDRn (4.3.7, 4.3.8) change the latch only: a level
 * interrupt whose line is asserted stays pending after a clear.  The bits
 * of SGIs are read-only; their pending state per source is in
 * GICD_SPENDSGIRn / CPENDSGIRn.
 */
static void dist_pending_update(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value, bool set)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);

    for (unsigned int i = 0; i < n; i++)
        if (first + i >= GICV2_NR_SGIS && ((value >> i) & 1))
            gicv2_irq_state(s, cpu, first + i)->latch = set;
    gicv2_update(s);
}

static void dist_ispend_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len, uint32_t value)
{
    dist_pending_update(s, cpu, off, len, value, true);
}

static void dist_icpend_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len, uint32_t value)
{
    dist_pending_update(s, cpu, off, len, value, false);
}

static uint32_t dist_active_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                 unsigned int len)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        if (gicv2_irq_state(s, cpu, first + i)->active)
            v |= 1u << i;
    return v;
}

/* GICD_ISACTIVERn / ICACTIVERn (4.3.9, 4.3.10): for save and restore; no priority change. */
static void dist_active_update(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len, uint32_t value, bool set)
{
    unsigned int first = first_irq(off, 1), n = irq_count(s, first, len * 8);

    for (unsigned int i = 0; i < n; i++)
        if ((value >> i) & 1)
            gicv2_irq_state(s, cpu, first + i)->active = set;
    gicv2_update(s);
}

static void dist_isactive_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_active_update(s, cpu, off, len, value, true);
}

static void dist_icactive_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_active_update(s, cpu, off, len, value, false);
}

/* GICD_IPRIORITYRn (4.3.11): all 8 bits implemented. */
static uint32_t dist_priority_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                   unsigned int len)
{
    unsigned int first = first_irq(off, 8), n = irq_count(s, first, len);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        v |= (uint32_t)gicv2_irq_state(s, cpu, first + i)->priority << (8 * i);
    return v;
}

static void dist_priority_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    unsigned int first = first_irq(off, 8), n = irq_count(s, first, len);

    for (unsigned int i = 0; i < n; i++)
        gicv2_irq_state(s, cpu, first + i)->priority = (uint8_t)(value >> (8 * i));
    gicv2_update(s);
}

/*
 * GICD_ITARGETSRn (4.3.12): for SGIs and PPIs read-only, each field reading
 * as the accessing CPU's own bit; bits of CPUs the GIC does not have are
 * RAZ/WI; in a uniprocessor GIC the whole register is RAZ/WI.
 */
static uint32_t dist_targets_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                  unsigned int len)
{
    unsigned int first = first_irq(off, 8), n = irq_count(s, first, len);
    uint32_t v = 0;

    if (s->num_cpus == 1)
        return 0;
    for (unsigned int i = 0; i < n; i++) {
        unsigned int irq = first + i;
        uint32_t mask = irq < GICV2_NR_PRIVATE ? 1u << cpu
                                               : gicv2_irq_state(s, cpu, irq)->targets;

        v |= mask << (8 * i);
    }
    return v;
}

static void dist_targets_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len, uint32_t value)
{
    unsigned int first = first_irq(off, 8), n = irq_count(s, first, len);
    uint32_t cpus = (1u << s->num_cpus) - 1;

    if (s->num_cpus == 1)
        return;
    for (unsigned int i = 0; i < n; i++)
        if (first + i >= GICV2_NR_PRIVATE)
            gicv2_irq_state(s, cpu, first + i)->targets = (uint8_t)((value >> (8 * i)) & cpus);
    gicv2_update(s);
}

/*
 * GICD_ICFGRn (4.3.13): Int_config[1] of each field is 1 for edge-triggered.
 * SGIs are edge-triggered and PPIs level-sensitive, both read-only (the PPI
 * choice is IMPLEMENTATION DEFINED; this follows KVM's vgic, so that the
 * timers are level-sensitive as the guest expects).  Int_config[0] is
 * reserved in GICv2: RAZ/WI.
 */
static uint32_t dist_config_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                 unsigned int len)
{
    unsigned int first = first_irq(off, 2), n = irq_count(s, first, len * 4);
    uint32_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        if (gicv2_irq_state(s, cpu, first + i)->edge)
            v |= 2u << (2 * i);
    return v;
}

static void dist_config_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len, uint32_t value)
{
    unsigned int first = first_irq(off, 2), n = irq_count(s, first, len * 4);

    for (unsigned int i = 0; i < n; i++)
        if (first + i >= GICV2_NR_PRIVATE)
            gicv2_set_edge(s, first + i, (value >> (2 * i + 1)) & 1);
    gicv2_update(s);
}

static void dist_sgir_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                            unsigned int len, uint32_t value)
{
    gicv2_send_sgi(s, cpu, value);
}

/*
 * GICD_CPENDSGIRn / SPENDSGIRn (4.3.16, 4.3.17): banked per CPU, one byte per
 * SGI, one bit per source CPU; bits of CPUs the GIC does not have are RAZ/WI.
 */
static uint32_t dist_sgi_pending_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                      unsigned int len)
{
    uint32_t v = 0;

    for (unsigned int i = 0; i < len; i++)
        v |= (uint32_t)s->r.cpu[cpu].sgi_sources[off + i] << (8 * i);
    return v;
}

static void dist_sgi_pending_update(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                    unsigned int len, uint32_t value, bool set)
{
    uint8_t cpus = (uint8_t)((1u << s->num_cpus) - 1);

    for (unsigned int i = 0; i < len; i++) {
        uint8_t bits = (uint8_t)(value >> (8 * i)) & cpus;
        uint8_t *sources = &s->r.cpu[cpu].sgi_sources[off + i];

        *sources = set ? (*sources | bits) : (*sources & (uint8_t)~bits);
    }
    gicv2_update(s);
}

static void dist_cpendsgi_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_sgi_pending_update(s, cpu, off, len, value, false);
}

static void dist_spendsgi_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len, uint32_t value)
{
    dist_sgi_pending_update(s, cpu, off, len, value, true);
}

/* Sorted by offset (Table 4-1). */
static const struct gicv2_region dist_regions[] = {
    { 0x000, 4, 0, ACCESS_4, dist_ctlr_read, dist_ctlr_write },
    { 0x004, 4, 0, ACCESS_4, dist_typer_read, NULL },
    { 0x008, 4, 0, ACCESS_4, dist_iidr_read, NULL },
    { 0x080, 0x80, 1, ACCESS_4, dist_igroup_read, dist_igroup_write },
    { 0x100, 0x80, 1, ACCESS_4, dist_enable_read, dist_isenable_write },
    { 0x180, 0x80, 1, ACCESS_4, dist_enable_read, dist_icenable_write },
    { 0x200, 0x80, 1, ACCESS_4, dist_pending_read, dist_ispend_write },
    { 0x280, 0x80, 1, ACCESS_4, dist_pending_read, dist_icpend_write },
    { 0x300, 0x80, 1, ACCESS_4, dist_active_read, dist_isactive_write },
    { 0x380, 0x80, 1, ACCESS_4, dist_active_read, dist_icactive_write },
    { 0x400, 0x400, 8, ACCESS_1 | ACCESS_4, dist_priority_read, dist_priority_write },
    { 0x800, 0x400, 8, ACCESS_1 | ACCESS_4, dist_targets_read, dist_targets_write },
    { 0xc00, 0x100, 2, ACCESS_4, dist_config_read, dist_config_write },
    { 0xf00, 4, 0, ACCESS_4, NULL, dist_sgir_write },
    { 0xf10, 0x10, 0, ACCESS_1 | ACCESS_4, dist_sgi_pending_read, dist_cpendsgi_write },
    { 0xf20, 0x10, 0, ACCESS_1 | ACCESS_4, dist_sgi_pending_read, dist_spendsgi_write },
    { 0xfe8, 4, 0, ACCESS_4, dist_pidr2_read, NULL },
};

/* ---- CPU interface ---- */

static uint32_t cpu_ctlr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len)
{
    return s->r.cpu[cpu].ctlr;
}

static void cpu_ctlr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                           unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].ctlr = value & GICC_CTLR_MASK;
    gicv2_update(s);
}

static uint32_t cpu_pmr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                             unsigned int len)
{
    return s->r.cpu[cpu].pmr;
}

static void cpu_pmr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                          unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].pmr = value & 0xff;
    gicv2_update(s);
}

/* Binary points below the minimum read back as the minimum (4.4.3, 4.4.8). */
static uint32_t cpu_bpr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                             unsigned int len)
{
    return s->r.cpu[cpu].bpr;
}

static void cpu_bpr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                          unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].bpr = MAX(value & 7, GICV2_MIN_BPR);
    gicv2_update(s);
}

static uint32_t cpu_abpr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len)
{
    return s->r.cpu[cpu].abpr;
}

static void cpu_abpr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                           unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].abpr = MAX(value & 7, GICV2_MIN_ABPR);
    gicv2_update(s);
}

static uint32_t cpu_iar_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                             unsigned int len)
{
    return gicv2_acknowledge(s, cpu, false);
}

static uint32_t cpu_aiar_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len)
{
    return gicv2_acknowledge(s, cpu, true);
}

static void cpu_eoir_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                           unsigned int len, uint32_t value)
{
    gicv2_end_of_interrupt(s, cpu, value, false);
}

static void cpu_aeoir_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                            unsigned int len, uint32_t value)
{
    gicv2_end_of_interrupt(s, cpu, value, true);
}

static uint32_t cpu_rpr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                             unsigned int len)
{
    return gicv2_running_priority(s, cpu);
}

static uint32_t cpu_hppir_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len)
{
    return gicv2_highest_pending_id(s, cpu, false);
}

static uint32_t cpu_ahppir_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                                unsigned int len)
{
    return gicv2_highest_pending_id(s, cpu, true);
}

/*
 * GICC_APRn / GICC_NSAPRn (4.4.12, 4.4.13): for save and restore.  Writing
 * anything but a value read back or 0 is UNPREDICTABLE; this model takes
 * the bits as they are, and the running priority follows them.
 */
static uint32_t cpu_apr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                             unsigned int len)
{
    return s->r.cpu[cpu].apr[off / 4];
}

static void cpu_apr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                          unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].apr[off / 4] = value;
    gicv2_update(s);
}

static uint32_t cpu_nsapr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                               unsigned int len)
{
    return s->r.cpu[cpu].nsapr[off / 4];
}

static void cpu_nsapr_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                            unsigned int len, uint32_t value)
{
    s->r.cpu[cpu].nsapr[off / 4] = value;
    gicv2_update(s);
}

/* GICC_IIDR (4.4.14): architecture version 2 in bits [19:16]. */
static uint32_t cpu_iidr_read(struct gicv2 *s, unsigned int cpu, uint32_t off,
                              unsigned int len)
{
    return (2u << 16) | GICV2_IMPLEMENTER;
}

static void cpu_dir_write(struct gicv2 *s, unsigned int cpu, uint32_t off,
                          unsigned int len, uint32_t value)
{
    gicv2_deactivate(s, cpu, value);
}

/* Sorted by offset (Table 4-2). */
static const struct gicv2_region cpu_regions[] = {
    { 0x000, 4, 0, ACCESS_4, cpu_ctlr_read, cpu_ctlr_write },
    { 0x004, 4, 0, ACCESS_4, cpu_pmr_read, cpu_pmr_write },
    { 0x008, 4, 0, ACCESS_4, cpu_bpr_read, cpu_bpr_write },
    { 0x00c, 4, 0, ACCESS_4, cpu_iar_read, NULL },
    { 0x010, 4, 0, ACCESS_4, NULL, cpu_eoir_write },
    { 0x014, 4, 0, ACCESS_4, cpu_rpr_read, NULL },
    { 0x018, 4, 0, ACCESS_4, cpu_hppir_read, NULL },
    { 0x01c, 4, 0, ACCESS_4, cpu_abpr_read, cpu_abpr_write },
    { 0x020, 4, 0, ACCESS_4, cpu_aiar_read, NULL },
    { 0x024, 4, 0, ACCESS_4, NULL, cpu_aeoir_write },
    { 0x028, 4, 0, ACCESS_4, cpu_ahppir_read, NULL },
    { 0x0d0, 0x10, 0, ACCESS_4, cpu_apr_read, cpu_apr_write },
    { 0x0e0, 0x10, 0, ACCESS_4, cpu_nsapr_read, cpu_nsapr_write },
    { 0x0fc, 4, 0, ACCESS_4, cpu_iidr_read, NULL },
    { 0x1000, 4, 0, ACCESS_4, NULL, cpu_dir_write },
};

/* ---- dispatch ---- */

struct gicv2_frame {
    const char *name;
    const struct gicv2_region *regions;
    size_t n;
};

static const struct gicv2_frame dist_frame = {
    "gicv2-dist", dist_regions, G_N_ELEMENTS(dist_regions),
};
static const struct gicv2_frame cpu_frame = {
    "gicv2-cpu", cpu_regions, G_N_ELEMENTS(cpu_regions),
};

static const struct gicv2_region *find_region(const struct gicv2_frame *f, uint64_t offset)
{
    size_t lo = 0, hi = f->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct gicv2_region *r = &f->regions[mid];

        if (offset < r->offset)
            hi = mid;
        else if (offset - r->offset >= r->len)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static unsigned int width_flag(unsigned int size)
{
    switch (size) {
    case 1:
        return ACCESS_1;
    case 2:
        return ACCESS_2;
    case 4:
        return ACCESS_4;
    case 8:
        return ACCESS_8;
    default:
        return 0;
    }
}

/* The check_region rule: allowed width, aligned, and an interrupt that exists. */
static bool access_ok(struct gicv2 *s, const struct gicv2_region *r, uint64_t offset,
                      unsigned int size)
{
    if (!(r->widths & width_flag(size)) || (offset & (size - 1)))
        return false;
    /* the whole access inside the region, for multi-register regions */
    if (offset - r->offset + size > r->len)
        return false;
    if (!r->bits_per_irq)
        return true;
    return first_irq((uint32_t)(offset - r->offset), r->bits_per_irq) < s->num_irqs;
}

/* The region an access goes to, or NULL if it is RAZ/WI. */
static const struct gicv2_region *lookup(struct gicv2 *s, const struct gicv2_frame *f,
                                         int cpu, uint64_t offset, unsigned int size,
                                         bool write)
{
    const struct gicv2_region *r = find_region(f, offset);

    if (!r) {
        vmm_log(LOG_UNIMP, "%s: %u-byte %s of reserved offset 0x%" PRIx64 " ignored",
                f->name, size, write ? "write" : "read", offset);
        return NULL;
    }
    if (cpu < 0 || (unsigned int)cpu >= s->num_cpus || !access_ok(s, r, offset, size)) {
        vmm_log(LOG_GUEST_ERROR, "%s: invalid %u-byte %s at 0x%" PRIx64 " by CPU %d ignored",
                f->name, size, write ? "write" : "read", offset, cpu);
        return NULL;
    }
    return r;
}

static uint64_t frame_read(struct gicv2 *s, const struct gicv2_frame *f, int cpu,
                           uint64_t offset, unsigned int size)
{
    const struct gicv2_region *r = lookup(s, f, cpu, offset, size, false);
    uint32_t v;

    if (!r || !r->read)
        return 0;
    pthread_mutex_lock(&s->lock);
    v = r->read(s, (unsigned int)cpu, (uint32_t)(offset - r->offset), size);
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void frame_write(struct gicv2 *s, const struct gicv2_frame *f, int cpu,
                        uint64_t offset, uint64_t value, unsigned int size)
{
    const struct gicv2_region *r = lookup(s, f, cpu, offset, size, true);

    if (!r || !r->write)
        return;
    pthread_mutex_lock(&s->lock);
    r->write(s, (unsigned int)cpu, (uint32_t)(offset - r->offset), size, (uint32_t)value);
    pthread_mutex_unlock(&s->lock);
}

uint64_t gicv2_dist_read(struct gicv2 *s, int cpu, uint64_t offset, unsigned size)
{
    return frame_read(s, &dist_frame, cpu, offset, size);
}

void gicv2_dist_write(struct gicv2 *s, int cpu, uint64_t offset, uint64_t value,
                      unsigned size)
{
    frame_write(s, &dist_frame, cpu, offset, value, size);
}

uint64_t gicv2_cpu_read(struct gicv2 *s, int cpu, uint64_t offset, unsigned size)
{
    return frame_read(s, &cpu_frame, cpu, offset, size);
}

void gicv2_cpu_write(struct gicv2 *s, int cpu, uint64_t offset, uint64_t value,
                     unsigned size)
{
    frame_write(s, &cpu_frame, cpu, offset, value, size);
}

/* ---- the memory regions: the accessing CPU is the calling vCPU ---- */

static int accessing_cpu(struct gicv2 *s)
{
    CPUState *cpu;

    if (s->current_cpu_index)
        return s->current_cpu_index(s->opaque);
    cpu = current_vcpu();
    return cpu ? cpu->index : 0;
}

static uint64_t dist_mr_read(void *opaque, uint64_t offset, unsigned size)
{
    struct gicv2 *s = opaque;

    return gicv2_dist_read(s, accessing_cpu(s), offset, size);
}

static void dist_mr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct gicv2 *s = opaque;

    gicv2_dist_write(s, accessing_cpu(s), offset, value, size);
}

static uint64_t cpu_mr_read(void *opaque, uint64_t offset, unsigned size)
{
    struct gicv2 *s = opaque;

    return gicv2_cpu_read(s, accessing_cpu(s), offset, size);
}

static void cpu_mr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct gicv2 *s = opaque;

    gicv2_cpu_write(s, accessing_cpu(s), offset, value, size);
}

/*
 * Every width and alignment reaches the handlers, so that one rule (above)
 * decides what is RAZ/WI whichever way an access comes in.
 */
const MemoryRegionOps gicv2_dist_ops = {
    .read = dist_mr_read,
    .write = dist_mr_write,
    .valid_sizes = ACCESS_ANY,
    .unaligned_ok = true,
};

const MemoryRegionOps gicv2_cpu_ops = {
    .read = cpu_mr_read,
    .write = cpu_mr_write,
    .valid_sizes = ACCESS_ANY,
    .unaligned_ok = true,
};
