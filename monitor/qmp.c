/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the QMP server lands: refuses -qmp clearly. */
#include "qemu-vmm/monitor.h"

int monitor_init(MachineState *ms, GPtrArray *qmp_specs, GError **errp)
{
    if (!qmp_specs->len)
        return 0;
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "-qmp %s: the QMP monitor is not available yet",
                (const char *)g_ptr_array_index(qmp_specs, 0));
    return -1;
}
