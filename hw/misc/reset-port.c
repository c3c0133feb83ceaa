/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one i8042 command a PC guest needs without a keyboard controller:
 * 0xfe written to port 0x64 pulses the reset line (Linux's reboot=k, the
 * default).  Reads return 0xff, what an absent controller looks like, so
 * the guest's i8042 probe gives up quickly instead of waiting on us.
 */
#include <errno.h>

#include "qemu-vmm/hw.h"
#include "qemu-vmm/runstate.h"

#define I8042_CMD_RESET 0xfe

static uint64_t reset_port_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xff;
}

static void reset_port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    if ((value & 0xff) == I8042_CMD_RESET)
        vm_request_reset();
}

static const MemoryRegionOps reset_port_ops = {
    .read = reset_port_read,
    .write = reset_port_write,
    .valid_sizes = ACCESS_1,
};

int reset_port_create(AddressSpace *io, uint64_t base, GError **errp)
{
    return memory_region_map_io(io, "i8042-reset", base, 1, &reset_port_ops, NULL, errp)
               ? 0 : -EBUSY;
}
