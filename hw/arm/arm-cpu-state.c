/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arm64 vCPU state for migration: the "arm-cpu" section, one per vCPU
 * (instance = vCPU index), version 1.  Little-endian, in order:
 *
 *   u32 n                      registers, as KVM_GET_REG_LIST gives them
 *   n x { u64 id, value }      the value's size is the id's KVM_REG_SIZE
 *   u32 mp_state               KVM_GET_MP_STATE (a secondary not yet on is STOPPED)
 *   u32 len, bytes             struct kvm_vcpu_events (a pending SError), len 0 if
 *                              KVM has none
 *   u64 device_irq_level       the timer outputs last seen (kernel_irqchip=off: the
 *                              userspace GIC's PPI inputs follow them)
 *
 * KVM's list covers the core registers, the system registers (the timers'
 * CTL, CVAL and the virtual count among them: writing the count sets the
 * offset, so guest time does not jump), the firmware pseudo-registers (the
 * PSCI version) and SIMD/FP state.  They are written back in the list's
 * order; a register the destination's KVM refuses (another CPU model, say)
 * fails the load.  arm64 hosts only.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/arm.h"
#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"

#define ARM_CPU_VMSTATE_VERSION 1
#define MAX_REG_BYTES 256       /* KVM_REG_SIZE_U2048, the largest */
#define MAX_REGS 4096

static size_t reg_size(uint64_t id)
{
    return (size_t)1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/* The vCPU's register list (g_free'd by the caller), or NULL with errno. */
static struct kvm_reg_list *reg_list(CPUState *cpu)
{
    struct kvm_reg_list probe = { .n = 0 }, *list;

    if (ioctl(cpu->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
        return NULL;
    if (probe.n > MAX_REGS) {
        errno = E2BIG;
        return NULL;
    }
    list = g_malloc0(sizeof(*list) + probe.n * sizeof(uint64_t));
    list->n = probe.n;
    if (ioctl(cpu->fd, KVM_GET_REG_LIST, list) < 0) {
        g_free(list);
        return NULL;
    }
    return list;
}

static int cpu_save(void *opaque, GByteArray *out)
{
    CPUState *cpu = opaque;
    struct arm_cpu *a = cpu->arch;
    g_autofree struct kvm_reg_list *list = reg_list(cpu);
    struct kvm_mp_state mp;
    struct kvm_vcpu_events ev;

    if (!list) {
        error_report("migration: vCPU %d: KVM_GET_REG_LIST: %s", cpu->index, strerror(errno));
        return -errno;
    }
    put_u32(out, (uint32_t)list->n);
    for (uint64_t i = 0; i < list->n; i++) {
        uint8_t val[MAX_REG_BYTES];
        struct kvm_one_reg r = { .id = list->reg[i], .addr = (uintptr_t)val };
        size_t size = reg_size(r.id);

        if (size > sizeof(val) || ioctl(cpu->fd, KVM_GET_ONE_REG, &r) < 0) {
            int err = size > sizeof(val) ? E2BIG : errno;

            error_report("migration: vCPU %d: register 0x%" PRIx64 ": %s", cpu->index,
                         (uint64_t)r.id, strerror(err));
            return -err;
        }
        put_u64(out, r.id);
        put_bytes(out, val, size);
    }
    if (ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0) {
        error_report("migration: vCPU %d: KVM_GET_MP_STATE: %s", cpu->index, strerror(errno));
        return -errno;
    }
    put_u32(out, mp.mp_state);
    if (ioctl(cpu->fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
        put_u32(out, sizeof(ev));
        put_bytes(out, &ev, sizeof(ev));
    } else {
        put_u32(out, 0);
    }
    put_u64(out, a->irq_level);
    return 0;
}

static int load_fail(GError **errp, CPUState *cpu, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int load_fail(GError **errp, CPUState *cpu, int err, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, G_FILE_ERROR, err == EINVAL ? G_FILE_ERROR_INVAL : G_FILE_ERROR_FAILED,
                "arm64 vCPU %d state: %s", cpu->index, msg);
    return -err;
}

static int cpu_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                    GError **errp)
{
    CPUState *cpu = opaque;
    struct arm_cpu *a = cpu->arch;
    struct vm_reader r = { .p = buf, .len = len };
    struct kvm_mp_state mp;
    uint32_t n, ev_len;
    uint64_t level;

    if (version != ARM_CPU_VMSTATE_VERSION)
        return load_fail(errp, cpu, EINVAL, "version %u, expected %u", version,
                         ARM_CPU_VMSTATE_VERSION);
    n = get_u32(&r);
    if (n > MAX_REGS)
        return load_fail(errp, cpu, EINVAL, "%u registers", n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t val[MAX_REG_BYTES];
        struct kvm_one_reg reg = { .id = get_u64(&r), .addr = (uintptr_t)val };
        size_t size = reg_size(reg.id);

        if ((reg.id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64 || size > sizeof(val))
            return load_fail(errp, cpu, EINVAL, "bad register id 0x%" PRIx64,
                             (uint64_t)reg.id);
        get_bytes(&r, val, size);
        if (r.error)
            break;
        if (ioctl(cpu->fd, KVM_SET_ONE_REG, &reg) < 0)
            return load_fail(errp, cpu, errno, "KVM_SET_ONE_REG 0x%" PRIx64 ": %s",
                             (uint64_t)reg.id, strerror(errno));
    }
    mp.mp_state = get_u32(&r);
    ev_len = get_u32(&r);
    if (!r.error && ev_len) {
        struct kvm_vcpu_events ev;

        if (ev_len != sizeof(ev))
            return load_fail(errp, cpu, EINVAL, "vCPU events of %u bytes, expected %zu",
                             ev_len, sizeof(ev));
        get_bytes(&r, &ev, sizeof(ev));
        if (!r.error && ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
            return load_fail(errp, cpu, errno, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
    }
    level = get_u64(&r);
    if (r.error || r.pos != len)
        return load_fail(errp, cpu, EINVAL, "%zu bytes, which do not parse", len);
    if (ioctl(cpu->fd, KVM_SET_MP_STATE, &mp) < 0)
        return load_fail(errp, cpu, errno, "KVM_SET_MP_STATE %u: %s", mp.mp_state,
                         strerror(errno));
    /* the GIC's timer inputs travel in its own section: only our record of them here */
    a->irq_level = level;
    return 0;
}

void arm_cpu_register_vmstate(CPUState *cpu)
{
    struct vmstate_ops ops = {
        .name = "arm-cpu", .instance = (uint32_t)cpu->index,
        .version = ARM_CPU_VMSTATE_VERSION,
        .save = cpu_save, .load = cpu_load, .opaque = cpu,
    };

    vmstate_register(&ops);
}
