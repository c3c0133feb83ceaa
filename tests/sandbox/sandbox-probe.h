/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only device for the sandbox test (tests/sandbox/meson.build): only
 * the qemu-vmm-test-hooks executable has it, never build/qemu-vmm.
 */
#ifndef QEMU_VMM_SANDBOX_PROBE_H
#define QEMU_VMM_SANDBOX_PROBE_H

#include <glib.h>

#define SANDBOX_PROBE_PORT 0x5e0

/* Map the probe port: a guest write makes the vCPU thread open a socket. */
int sandbox_probe_init(GError **errp);

#endif
