/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virt machine's GIC glue, shared by gic.c and gic-kvm-state.c. */
#ifndef HW_ARM_GIC_INTERNAL_H
#define HW_ARM_GIC_INTERNAL_H

#include <glib.h>

#include "qemu-vmm/arm.h"
#include "qemu-vmm/arm_gicv2.h"

struct arm_gic {
    int version;
    int nr_cpus;
    int fd;                 /* in-kernel: the KVM device, else -1 */
    struct gicv2 *user;     /* userspace: the model */
    CPUState **cpus;        /* from arm_gic_realize on */
    GByteArray *power_on;   /* in-kernel: the state right after init, for resets */
};

int arm_gic_device_attr(struct arm_gic *g, bool set, uint32_t group, uint64_t attr,
                        void *val);

/*
 * The in-kernel GIC's state as a list of device attributes to write back
 * (gic-kvm-state.c); both need every vCPU out of KVM_RUN.
 */
int arm_vgic_state_save(struct arm_gic *g, GByteArray *out, GError **errp);
int arm_vgic_state_load(struct arm_gic *g, const uint8_t *buf, size_t len, GError **errp);

#endif
