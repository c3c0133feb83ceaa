/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the virtio devices land: refuses them clearly. */
#include <string.h>

#include "qemu-vmm/virtio.h"

bool virtio_is_device_driver(const char *driver)
{
    return !strncmp(driver, "virtio-", 7) || !strcmp(driver, "virtconsole");
}

int virtio_devices_init(MachineState *ms, uint64_t base, unsigned int gsi_base,
                        unsigned int max, virtio_placed_fn placed, void *opaque,
                        GError **errp)
{
    for (guint i = 0; i < ms->devices->len; i++) {
        struct device_opts *d = g_ptr_array_index(ms->devices, i);

        if (virtio_is_device_driver(d->driver)) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "-device %s: virtio devices are not available yet", d->driver);
            return -1;
        }
    }
    if (ms->drives->len || ms->netdevs->len) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-drive/-netdev: virtio devices are not available yet");
        return -1;
    }
    return 0;
}
