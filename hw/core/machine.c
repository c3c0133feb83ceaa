/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/machine.h"

extern const MachineClass microvm_machine;
extern const MachineClass virt_machine;

const MachineClass *const machine_classes[] = {
#ifdef __x86_64__
    &microvm_machine,
#endif
#ifdef __aarch64__
    &virt_machine,
#endif
    NULL,
};

int machine_read_file(const char *what, const char *path, uint8_t **data, size_t *len,
                      GError **errp)
{
    g_autoptr(GError) err = NULL;
    gchar *d;
    gsize l;

    if (!g_file_get_contents(path, &d, &l, &err)) {
        g_set_error(errp, G_FILE_ERROR, err->code, "could not load %s '%s': %s",
                    what, path, err->message);
        return -ENOENT;
    }
    if (l == 0) {
        g_free(d);
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s '%s' is empty", what, path);
        return -EINVAL;
    }
    *data = (uint8_t *)d;
    *len = l;
    return 0;
}

struct irq_line machine_irq_line(MachineState *ms, unsigned int gsi)
{
    if (ms->mc->irq_line)
        return ms->mc->irq_line(ms, gsi);
    return irq_line_kvm(ms->kvm, gsi);
}

const MachineClass *machine_find(const char *name)
{
    for (int i = 0; machine_classes[i]; i++)
        if (!strcmp(machine_classes[i]->name, name))
            return machine_classes[i];
    return NULL;
}

const MachineClass *machine_default(void)
{
    for (int i = 0; machine_classes[i]; i++)
        if (machine_classes[i]->is_default)
            return machine_classes[i];
    return machine_classes[0];
}

void machine_print_list(FILE *out)
{
    fprintf(out, "Supported machines are:\n");
    for (int i = 0; machine_classes[i]; i++)
        fprintf(out, "%-20s %s%s\n", machine_classes[i]->name, machine_classes[i]->desc,
                machine_classes[i]->is_default ? " (default)" : "");
}
