/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The userspace IOAPIC of kernel_irqchip=split; see hw/i386/ioapic.c. */
#ifndef QEMU_VMM_IOAPIC_H
#define QEMU_VMM_IOAPIC_H

#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/memory.h"

#define IOAPIC_NUM_PINS 24

struct ioapic;

struct ioapic *ioapic_create(KVMState *kvm, AddressSpace *mem, uint64_t base,
                             unsigned int id, GError **errp);
void ioapic_reset(struct ioapic *s);
/* A device's line on pin (for struct irq_line's set). */
void ioapic_set_irq(void *opaque, unsigned int pin, int level);
/* The guest's LAPIC acknowledged vector (KVM_EXIT_IOAPIC_EOI). */
void ioapic_eoi(struct ioapic *s, unsigned int vector);
/* For tests and migration. */
uint64_t ioapic_get_rte(struct ioapic *s, unsigned int pin);

#endif
