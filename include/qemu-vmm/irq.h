/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An interrupt line of a device.  Devices raise and lower it; where it goes
 * is the machine's business: a GSI of the in-kernel irqchip (KVM_IRQ_LINE),
 * or a pin of an interrupt controller modelled in userspace (the IOAPIC of
 * kernel_irqchip=split, the GIC of kernel_irqchip=off).  gsi is the line's
 * GSI either way, for devices that hand KVM an irqfd for it.
 */
#ifndef QEMU_VMM_IRQ_H
#define QEMU_VMM_IRQ_H

#include "qemu-vmm/kvm.h"

struct irq_line {
    KVMState *kvm;          /* set: the line is a GSI of the in-kernel irqchip */
    unsigned int gsi;
    /* otherwise: a userspace controller's input */
    void (*set)(void *opaque, unsigned int pin, int level);
    void *opaque;
};

static inline struct irq_line irq_line_kvm(KVMState *kvm, unsigned int gsi)
{
    return (struct irq_line){ .kvm = kvm, .gsi = gsi };
}

static inline void irq_line_set(const struct irq_line *l, int level)
{
    if (l->set)
        l->set(l->opaque, l->gsi, level);
    else if (l->kvm)
        kvm_set_irq(l->kvm, l->gsi, level);
}

#endif
