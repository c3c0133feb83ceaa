/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builds without json-glib (meson -Dqmp=disabled, e.g. the static arm64
 * cross build: Debian ships no static json-glib): -qmp is refused clearly.
 */
#include "qemu-vmm/monitor.h"

int monitor_init(MachineState *ms, GPtrArray *qmp_specs, GError **errp)
{
    (void)ms;
    if (!qmp_specs->len)
        return 0;
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "-qmp %s: this qemu-vmm was built without the QMP monitor (no json-glib)",
                (const char *)g_ptr_array_index(qmp_specs, 0));
    return -1;
}
