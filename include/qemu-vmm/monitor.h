/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP monitor (QEMU Machine Protocol over JSON).
 */
#ifndef QEMU_VMM_MONITOR_H
#define QEMU_VMM_MONITOR_H

#include <glib.h>

#include "qemu-vmm/machine.h"

/*
 * Start a QMP server for each -qmp argument ("unix:PATH,server=on,wait=off",
 * "tcp:HOST:PORT,server=on,wait=off").  Called after the machine exists and
 * before the vCPUs start; servers run on the main loop.  Without wait=off
 * it blocks until a first client connects, as QEMU does.  A bad spec is
 * -errno with errp set to one line naming it.  docs/qmp.md has the rest.
 */
int monitor_init(MachineState *ms, GPtrArray *qmp_specs, GError **errp);

#endif
