/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sandbox probe: a port whose write handler, running on the vCPU
 * thread that took the exit, makes a system call no vCPU thread may make
 * (socket()).  With -sandbox on the process must die of it, with the
 * sandbox's log line; with -sandbox off the call succeeds and the guest
 * goes on.  Test builds only (see sandbox-probe.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/memory.h"
#include "sandbox-probe.h"

static uint64_t probe_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void probe_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    fprintf(stderr, "sandbox-probe: socket() from the vCPU thread: %s\n",
            fd >= 0 ? "allowed" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

static const MemoryRegionOps probe_ops = {
    .read = probe_read,
    .write = probe_write,
    .valid_sizes = ACCESS_1,
};

int sandbox_probe_init(GError **errp)
{
    return memory_region_map_io(kvm_state->io_as, "sandbox-probe", SANDBOX_PROBE_PORT, 1,
                                &probe_ops, NULL, errp) ? 0 : -EBUSY;
}
