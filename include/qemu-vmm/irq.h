/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An interrupt line of a device: a GSI of the in-kernel irqchip.  Devices
 * raise and lower it, or hand KVM an eventfd for it; they never see KVM.
 */
#ifndef QEMU_VMM_IRQ_H
#define QEMU_VMM_IRQ_H

#include "qemu-vmm/kvm.h"

struct irq_line {
    KVMState *kvm;
    unsigned int gsi;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
    if (l->kvm)
        kvm_set_irq(l->kvm, l->gsi, level);
}

#endif
