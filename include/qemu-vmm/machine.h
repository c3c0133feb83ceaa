/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machines: what -M selects.  A machine creates the VM, its RAM and devices,
 * its vCPUs, and loads the kernel; reset puts the guest back to power-on.
 */
#ifndef QEMU_VMM_MACHINE_H
#define QEMU_VMM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/irq.h"
#include "qemu-vmm/kvm.h"
#include "qemu-vmm/memory.h"

typedef struct MachineState MachineState;

/* One -device option: the driver name and its key=value properties. */
struct device_opts {
    char *driver;
    GHashTable *props;  /* char * -> char *, without "driver" */
};

typedef struct MachineClass {
    const char *name;
    const char *desc;
    bool is_default;
    /* allocate ms->priv, before any property is set */
    void (*create)(MachineState *ms);
    /* a -M property (other than the type); -EINVAL with errp set if unknown */
    int (*set_prop)(MachineState *ms, const char *key, const char *value, GError **errp);
    int (*init)(MachineState *ms, GError **errp);
    /* back to power-on: devices, vCPU registers, the kernel reloaded */
    int (*reset)(MachineState *ms);
    /* the -device drivers the machine knows, for -device help */
    const char *const *devices;
    /*
     * The interrupt line of device pin gsi, for machine-agnostic devices
     * (virtio-mmio).  NULL: GSI gsi of the in-kernel irqchip.
     */
    struct irq_line (*irq_line)(MachineState *ms, unsigned int gsi);
} MachineClass;

struct MachineState {
    const MachineClass *mc;
    KVMState *kvm;
    AddressSpace *mem;
    AddressSpace *io;
    uint64_t ram_size;
    int smp;
    char *kernel;
    char *initrd;
    char *append;
    char *serial;           /* "stdio", "none", "file:PATH" */
    bool no_reboot;
    GPtrArray *devices;     /* struct device_opts * */
    /* as given on the command line, for the subsystems that parse them */
    GPtrArray *drives;      /* -drive */
    GPtrArray *netdevs;     /* -netdev */
    GPtrArray *chardevs;    /* -chardev */
    GPtrArray *globals;     /* -global DRIVER.PROP=VALUE */
    char *name;             /* -name */
    CPUState **cpus;
    void *priv;             /* the machine's own state */
};

/*
 * Read a whole file the machine loads (what: "kernel", "initrd"): a missing
 * or empty file is an error naming it.  *data is g_free()d by the caller.
 */
int machine_read_file(const char *what, const char *path, uint8_t **data, size_t *len,
                      GError **errp);

/* The line a device on pin gsi raises: the machine's irq_line, or the GSI. */
struct irq_line machine_irq_line(MachineState *ms, unsigned int gsi);

const MachineClass *machine_find(const char *name);
const MachineClass *machine_default(void);
void machine_print_list(FILE *out);
extern const MachineClass *const machine_classes[];

#endif
