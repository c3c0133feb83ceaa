/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isa-debug-exit: a guest writes v and qemu-vmm exits with (v << 1) | 1,
 * so a test guest can pass (v = 0, exit 1) or fail (anything else) without
 * any way to power off.  Same contract as QEMU's device.
 */
#include <errno.h>
#include <stdio.h>

#include "qemu-vmm/hw.h"
#include "qemu-vmm/runstate.h"

static uint64_t debug_exit_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque; (void)offset; (void)size;
    return 0;
}

static void debug_exit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)opaque; (void)offset; (void)size;
    fflush(stdout);
    vm_request_exit(SHUTDOWN_CAUSE_GUEST_EXIT, (int)(((value << 1) | 1) & 0xff));
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .valid_sizes = ACCESS_1 | ACCESS_2 | ACCESS_4,
};

int debug_exit_create(AddressSpace *io, uint64_t base, unsigned int size, GError **errp)
{
    return memory_region_map_io(io, "isa-debug-exit", base, size, &debug_exit_ops,
                                NULL, errp) ? 0 : -EBUSY;
}
