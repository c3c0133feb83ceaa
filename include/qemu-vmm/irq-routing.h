/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GSI routing table, kept in userspace and pushed to KVM as a whole
 * (KVM_SET_GSI_ROUTING replaces the kernel's table).  Changes are batched:
 * nothing reaches KVM until gsi_routing_commit(), and a commit with nothing
 * changed is free.  Virtual IRQs (MSI routes) are allocated from a bitmap
 * above the GSIs reserved for the interrupt controller pins.
 *
 * This file holds no ioctl: commit() calls back into the accelerator, so the
 * table logic can be tested on its own.
 */
#ifndef QEMU_VMM_IRQ_ROUTING_H
#define QEMU_VMM_IRQ_ROUTING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct gsi_routing {
    struct kvm_irq_routing_entry *entries;
    unsigned int nr, alloc;
    unsigned long *used;        /* GSIs that have at least one route */
    unsigned int gsi_count;     /* KVM_CAP_IRQ_ROUTING */
    unsigned int first_virq;    /* first GSI handed out by alloc_virq */
    bool dirty;
    int (*commit_fn)(void *opaque, const struct kvm_irq_routing *table);
    void *opaque;
    unsigned int commits;       /* tables pushed so far (for tests and stats) */
};

void gsi_routing_init(struct gsi_routing *r, unsigned int gsi_count,
                      unsigned int first_virq,
                      int (*commit_fn)(void *opaque, const struct kvm_irq_routing *),
                      void *opaque);
void gsi_routing_destroy(struct gsi_routing *r);
/* Add e; an existing route for the same GSI and target is replaced. -ENOSPC, -EINVAL */
int gsi_routing_add(struct gsi_routing *r, const struct kvm_irq_routing_entry *e);
/* Replace the route(s) of gsi with e. -ENOENT if gsi has none. */
int gsi_routing_update(struct gsi_routing *r, const struct kvm_irq_routing_entry *e);
/* Lowest free GSI at or above first_virq, marked used; -ENOSPC when full. */
int gsi_routing_alloc_virq(struct gsi_routing *r);
/* Drop every route of gsi and free the number. */
void gsi_routing_release(struct gsi_routing *r, unsigned int gsi);
/* Push the table if it changed. */
int gsi_routing_commit(struct gsi_routing *r);
bool gsi_routing_gsi_used(const struct gsi_routing *r, unsigned int gsi);

#endif
