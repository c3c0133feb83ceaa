/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GICv2 distributor and CPU interface modelled in userspace, for arm64
 * guests with the in-kernel irqchip disabled (-M virt,kernel_irqchip=off).
 * The architecture is ARM IHI 0048B; section numbers in the sources refer
 * to it (chapter 4 has one section per register).  See hw/intc/arm_gicv2.c
 * for what is modelled and what is not.
 *
 * The model owns no thread.  Devices drive its inputs (gicv2_set_irq,
 * gicv2_set_ppi), vCPU threads access its registers, and after every state
 * change it recomputes each CPU's IRQ and FIQ outputs and reports those that
 * changed through set_cpu_irq (the KVM glue turns that into KVM_IRQ_LINE).
 * One mutex per GIC serializes everything; set_cpu_irq is called with it
 * held, in the order the changes happened, and must not call back into the
 * model.
 */
#ifndef QEMU_VMM_ARM_GICV2_H
#define QEMU_VMM_ARM_GICV2_H

#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"

#define GICV2_MAX_CPUS      8
#define GICV2_NR_SGIS       16
#define GICV2_NR_PRIVATE    32          /* SGIs 0-15 and PPIs 16-31, banked per CPU */
#define GICV2_MAX_IRQS      1020        /* IDs 1020-1023 are special (1022, 1023 spurious) */
#define GICV2_SPURIOUS      1023

/* Sizes of the two register frames (the CPU interface has GICC_DIR at 0x1000). */
#define GICV2_DIST_SIZE     0x1000
#define GICV2_CPU_SIZE      0x2000

/* irq_or_fiq argument of set_cpu_irq */
enum { GICV2_OUT_IRQ = 0, GICV2_OUT_FIQ = 1 };

struct gicv2;

struct gicv2_config {
    unsigned int num_cpus;      /* 1 to GICV2_MAX_CPUS */
    /*
     * Interrupt IDs implemented: 32 to 1020.  TYPER.ITLinesNumber is rounded
     * up to cover them; IDs from num_irqs on do not exist (RAZ/WI).
     */
    unsigned int num_irqs;
    /* Output line of a CPU changed; may be NULL. */
    void (*set_cpu_irq)(void *opaque, int cpu, int irq_or_fiq, int level);
    /*
     * The index of the CPU making an access through the memory regions.
     * NULL: current_vcpu()->index, or CPU 0 outside a vCPU thread.  An index
     * the GIC does not have makes the access RAZ/WI.
     */
    int (*current_cpu_index)(void *opaque);
    void *opaque;               /* for both callbacks */
};

/* A GIC in its reset state, not mapped anywhere; NULL and errp on a bad config. */
struct gicv2 *gicv2_new(const struct gicv2_config *cfg, GError **errp);
/* Unmaps the regions if mapped.  Never after gicv2_register_vmstate(). */
void gicv2_free(struct gicv2 *s);
/* Map the distributor and the CPU interface into as. */
int gicv2_map(struct gicv2 *s, AddressSpace *as, uint64_t dist_base, uint64_t cpu_base,
              GError **errp);
/* Register the "gicv2" state section (instance 0, version 1). */
void gicv2_register_vmstate(struct gicv2 *s);
/* The machine's call: gicv2_new + gicv2_map + gicv2_register_vmstate. */
struct gicv2 *gicv2_create(const struct gicv2_config *cfg, AddressSpace *as,
                           uint64_t dist_base, uint64_t cpu_base, GError **errp);
/* Architectural reset.  Input line levels are kept: they belong to the devices. */
void gicv2_reset(struct gicv2 *s);

/* Inputs */
/* The line of an SPI, by interrupt ID (32 to num_irqs - 1); others are ignored. */
void gicv2_set_irq(struct gicv2 *s, unsigned int irq, int level);
/* The same by SPI number (ID - 32), for struct irq_line's set (opaque = the GIC). */
void gicv2_set_spi_line(void *opaque, unsigned int spi, int level);
/* The line of a PPI of one CPU, by interrupt ID (16 to 31), e.g. the timers 27 and 30. */
void gicv2_set_ppi(struct gicv2 *s, unsigned int cpu, unsigned int ppi, int level);

/*
 * Register accesses on behalf of a given CPU: offset into the distributor
 * or CPU interface frame, size 1, 2, 4 or 8.  Anything the architecture
 * does not allow reads as zero and is ignored when written.
 */
uint64_t gicv2_dist_read(struct gicv2 *s, int cpu, uint64_t offset, unsigned size);
void gicv2_dist_write(struct gicv2 *s, int cpu, uint64_t offset, uint64_t value,
                      unsigned size);
uint64_t gicv2_cpu_read(struct gicv2 *s, int cpu, uint64_t offset, unsigned size);
void gicv2_cpu_write(struct gicv2 *s, int cpu, uint64_t offset, uint64_t value,
                     unsigned size);

/* The level last reported for a CPU's output (GICV2_OUT_IRQ or _FIQ). */
int gicv2_output(struct gicv2 *s, unsigned int cpu, int irq_or_fiq);

/* The state section's save and load (what gicv2_register_vmstate registers). */
int gicv2_save(void *opaque, GByteArray *out);
int gicv2_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
               GError **errp);

#endif
