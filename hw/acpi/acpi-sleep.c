/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sleep control and status registers of a hardware-reduced ACPI
 * platform (ACPI 6.4, 4.8.3.7), two I/O ports the FADT points at.  The
 * guest's OSPM enters S5 (poweroff) by writing SLP_TYP from \_S5 with SLP_EN
 * to the control register: that ends qemu-vmm as a guest shutdown.  No other
 * sleep state is offered (the DSDT has only \_S5), so nothing wakes, and
 * WAK_STS in the status register reads 0.
 */
#include <errno.h>

#include "qemu-vmm/acpi.h"
#include "qemu-vmm/hw.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"

static uint64_t acpi_sleep_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void acpi_sleep_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    unsigned int slp_typ = (unsigned int)(value & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;

    if (offset != 0 || !(value & ACPI_SLP_EN))
        return;     /* the status register: WAK_STS is write-1-to-clear, never set */
    if (slp_typ == ACPI_SLP_TYP_S5) {
        vm_request_exit(SHUTDOWN_CAUSE_GUEST_SHUTDOWN, EXIT_OK);
        return;
    }
    vmm_log(LOG_GUEST_ERROR, "acpi-sleep: SLP_TYP %u is no sleep state we offer", slp_typ);
}

static const MemoryRegionOps acpi_sleep_ops = {
    .read = acpi_sleep_read,
    .write = acpi_sleep_write,
    .valid_sizes = ACCESS_1,
};

int acpi_sleep_create(AddressSpace *io, uint64_t base, GError **errp)
{
    return memory_region_map_io(io, "acpi-sleep", base, 2, &acpi_sleep_ops, NULL, errp)
               ? 0 : -EBUSY;
}
