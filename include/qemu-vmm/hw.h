/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Constructors of the devices machines put together. */
#ifndef QEMU_VMM_HW_H
#define QEMU_VMM_HW_H

#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/chardev.h"
#include "qemu-vmm/irq.h"
#include "qemu-vmm/memory.h"

struct serial;
/* A 16550A UART at base in as (8 registers), raising irq. */
struct serial *serial_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                             struct chardev *chr, GError **errp);
void serial_reset(struct serial *s);

/* isa-debug-exit: a write of v ends qemu-vmm with exit code (v << 1) | 1. */
int debug_exit_create(AddressSpace *io, uint64_t base, unsigned int size, GError **errp);

/* The i8042 command port, for the reset command only. */
int reset_port_create(AddressSpace *io, uint64_t base, GError **errp);

/*
 * The ACPI sleep control (+0) and status (+1) registers at base: S5 powers
 * off (ends qemu-vmm as a guest shutdown).
 */
int acpi_sleep_create(AddressSpace *io, uint64_t base, GError **errp);

struct testdev;
/* vmm-testdev (docs/testdev.md); mem is the RAM address space for dirty tests */
struct testdev *testdev_create(AddressSpace *mem, AddressSpace *io, GError **errp);

#endif
