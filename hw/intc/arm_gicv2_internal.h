/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the files of the GICv2 model: the state (arm_gicv2.c owns it),
 * the register frames (arm_gicv2_mmio.c) and the state section
 * (arm_gicv2_vmstate.c).  Not for other devices.
 */
#ifndef ARM_GICV2_INTERNAL_H
#define ARM_GICV2_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "qemu-vmm/arm_gicv2.h"

/* GICD_CTLR: without the Security Extensions, one enable per group (4.3.1) */
#define GICD_CTLR_ENABLE_GRP0   (1u << 0)
#define GICD_CTLR_ENABLE_GRP1   (1u << 1)
#define GICD_CTLR_MASK          (GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1)

/* GICC_CTLR, the layout of a GIC without the Security Extensions (4.4.1) */
#define GICC_CTLR_ENABLE_GRP0   (1u << 0)
#define GICC_CTLR_ENABLE_GRP1   (1u << 1)
#define GICC_CTLR_ACK_CTL       (1u << 2)
#define GICC_CTLR_FIQ_EN        (1u << 3)
#define GICC_CTLR_CBPR          (1u << 4)
#define GICC_CTLR_EOIMODE       (1u << 9)   /* EOImodeS */
#define GICC_CTLR_EOIMODE_NS    (1u << 10)
/* bits 5-8 are the bypass disables: kept, no effect (there is no bypass) */
#define GICC_CTLR_MASK          0x7ffu

#define GICV2_MIN_BPR           0   /* 8 priority bits: group priority [7:1] at best */
#define GICV2_MIN_ABPR          1   /* the Group 1 binary point is one higher (4.4.8) */
#define GICV2_NR_APRS           4   /* 128 preemption levels, one bit each */
#define GICV2_IDLE_PRIORITY     0xff

#define GICV2_SPURIOUS_GRP1     1022

/* One interrupt's state; SGIs and PPIs have one per CPU, SPIs one in all. */
struct gicv2_irq {
    uint8_t priority;
    uint8_t targets;        /* SPIs: GICD_ITARGETSR CPU mask */
    bool enabled;
    bool group1;
    bool edge;              /* GICD_ICFGR Int_config[1]; fixed for SGIs and PPIs */
    bool latch;             /* pending from an edge or GICD_ISPENDR (not SGIs) */
    bool level;             /* the input line (not SGIs) */
    bool active;
};

struct gicv2_cpu {
    struct gicv2_irq priv[GICV2_NR_PRIVATE];
    /* SGI pending state, one bit per source CPU (4.3.17) */
    uint8_t sgi_sources[GICV2_NR_SGIS];
    uint32_t ctlr;
    uint32_t pmr;
    uint32_t bpr;
    uint32_t abpr;
    /* active priorities of Group 0 (APR) and Group 1 (NSAPR); bit n: priority 2n */
    uint32_t apr[GICV2_NR_APRS];
    uint32_t nsapr[GICV2_NR_APRS];
};

/* Everything architectural: what reset sets and migration carries. */
struct gicv2_regs {
    uint32_t ctlr;
    struct gicv2_irq spi[GICV2_MAX_IRQS - GICV2_NR_PRIVATE];
    struct gicv2_cpu cpu[GICV2_MAX_CPUS];
};

struct gicv2 {
    pthread_mutex_t lock;
    unsigned int num_cpus;
    unsigned int num_irqs;
    void (*set_cpu_irq)(void *opaque, int cpu, int irq_or_fiq, int level);
    int (*current_cpu_index)(void *opaque);
    void *opaque;
    MemoryRegion *dist_mr;
    MemoryRegion *cpu_mr;

    struct gicv2_regs r;        /* guarded by lock */
    bool out[GICV2_MAX_CPUS][2]; /* levels last reported, by GICV2_OUT_* */
};

/* ---- the register frames (arm_gicv2_mmio.c) ---- */
extern const MemoryRegionOps gicv2_dist_ops;
extern const MemoryRegionOps gicv2_cpu_ops;

/* ---- the state machine (arm_gicv2.c); all with the lock held ---- */
struct gicv2_irq *gicv2_irq_state(struct gicv2 *s, unsigned int cpu, unsigned int irq);
bool gicv2_irq_pending(struct gicv2 *s, unsigned int cpu, unsigned int irq);
/* Recompute every CPU's outputs and report the changes. */
void gicv2_update(struct gicv2 *s);
/* Architectural register state after reset (inputs untouched). */
void gicv2_reset_regs(struct gicv2 *s, struct gicv2_regs *r);

/* GICC_IAR (alias false) and GICC_AIAR (alias true) */
uint32_t gicv2_acknowledge(struct gicv2 *s, unsigned int cpu, bool alias);
/* GICC_HPPIR and GICC_AHPPIR */
uint32_t gicv2_highest_pending_id(struct gicv2 *s, unsigned int cpu, bool alias);
/* GICC_EOIR and GICC_AEOIR */
void gicv2_end_of_interrupt(struct gicv2 *s, unsigned int cpu, uint32_t value, bool alias);
/* GICC_DIR */
void gicv2_deactivate(struct gicv2 *s, unsigned int cpu, uint32_t value);
/* GICC_RPR */
uint32_t gicv2_running_priority(struct gicv2 *s, unsigned int cpu);
/* GICD_SGIR written by cpu */
void gicv2_send_sgi(struct gicv2 *s, unsigned int cpu, uint32_t value);
/* GICD_ICFGR: change an SPI's trigger mode keeping what is pending */
void gicv2_set_edge(struct gicv2 *s, unsigned int irq, bool edge);

#endif
