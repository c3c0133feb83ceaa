/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 vCPU and VM state for migration: what KVM holds that the guest can
 * see.  Each part is written as (u32 tag, u32 length, bytes) so the loader
 * can check every length against the structure it expects; the parts are
 * the raw KVM structures, which is what both ends of a migration hand to
 * the same ioctls.
 *
 * "cpu" (one per vCPU): regs, sregs, FPU, XCRs, XSAVE, MSRs, LAPIC, events,
 * MP state, debug registers.  "kvm-vm": kvmclock, in-kernel PIC and IOAPIC,
 * PIT.  Load order follows what KVM needs: sregs before MSRs, the LAPIC
 * before events, MP state last.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/x86.h"

enum cpu_part {
    PART_REGS = 1, PART_SREGS, PART_FPU, PART_XCRS, PART_XSAVE, PART_MSRS,
    PART_LAPIC, PART_EVENTS, PART_MP_STATE, PART_DEBUGREGS,
};

enum vm_part { PART_CLOCK = 1, PART_PIC_MASTER, PART_PIC_SLAVE, PART_IOAPIC, PART_PIT };

#define MAX_MSRS 512
#define MSR_IA32_TSC_DEADLINE   0x6e0

struct msr_list {
    uint32_t n;
    uint32_t index[MAX_MSRS];
};

/* In-kernel PIC, IOAPIC and PIT exist (kernel_irqchip=on, not split). */
static bool vm_full_irqchip;

/* The MSRs KVM can both read and write, found once. */
static struct msr_list *save_msrs;

static void put_part(GByteArray *b, uint32_t tag, const void *p, size_t len)
{
    put_u32(b, tag);
    put_u32(b, (uint32_t)len);
    put_bytes(b, p, len);
}

static int probe_msrs(int vcpu_fd)
{
    struct {
        struct kvm_msr_list hdr;
        uint32_t idx[MAX_MSRS];
    } list = { .hdr.nmsrs = MAX_MSRS };
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } one;

    if (save_msrs)
        return 0;
    if (kvm_ioctl(kvm_state, KVM_GET_MSR_INDEX_LIST, &list) < 0)
        return -errno;
    save_msrs = g_new0(struct msr_list, 1);
    for (uint32_t i = 0; i < list.hdr.nmsrs && i < MAX_MSRS; i++) {
        /* keep those this vCPU can read: some are listed but not enabled */
        one.hdr.nmsrs = 1;
        one.e = (struct kvm_msr_entry){ .index = list.idx[i] };
        if (ioctl(vcpu_fd, KVM_GET_MSRS, &one) == 1)
            save_msrs->index[save_msrs->n++] = list.idx[i];
    }
    return 0;
}

static int cpu_save(void *opaque, GByteArray *b)
{
    CPUState *cpu = opaque;
    KVMState *s = kvm_state;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
    struct kvm_mp_state mp;
    struct kvm_debugregs dbg;
    g_autofree struct kvm_msrs *msrs = NULL;
    int ret;

    if (ioctl(cpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(cpu->fd, KVM_GET_SREGS, &sregs) < 0 ||
        ioctl(cpu->fd, KVM_GET_FPU, &fpu) < 0 || ioctl(cpu->fd, KVM_GET_LAPIC, &lapic) < 0 ||
        ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0)
        return -errno;
    put_part(b, PART_REGS, &regs, sizeof(regs));
    put_part(b, PART_SREGS, &sregs, sizeof(sregs));
    put_part(b, PART_FPU, &fpu, sizeof(fpu));
    if (s->caps.xcrs) {
        struct kvm_xcrs xcrs;

        if (ioctl(cpu->fd, KVM_GET_XCRS, &xcrs) == 0)
            put_part(b, PART_XCRS, &xcrs, sizeof(xcrs));
    }
    if (s->caps.xsave) {
        struct kvm_xsave xsave;

        if (ioctl(cpu->fd, KVM_GET_XSAVE, &xsave) == 0)
            put_part(b, PART_XSAVE, &xsave, sizeof(xsave));
    }
    ret = probe_msrs(cpu->fd);
    if (ret < 0)
        return ret;
    msrs = g_malloc0(sizeof(*msrs) + save_msrs->n * sizeof(msrs->entries[0]));
    msrs->nmsrs = save_msrs->n;
    for (uint32_t i = 0; i < save_msrs->n; i++)
        msrs->entries[i].index = save_msrs->index[i];
    ret = ioctl(cpu->fd, KVM_GET_MSRS, msrs);
    if (ret < 0)
        return -errno;
    msrs->nmsrs = (uint32_t)ret;
    put_part(b, PART_MSRS, msrs->entries, msrs->nmsrs * sizeof(msrs->entries[0]));
    put_part(b, PART_LAPIC, &lapic, sizeof(lapic));
    if (s->caps.vcpu_events && ioctl(cpu->fd, KVM_GET_VCPU_EVENTS, &events) == 0)
        put_part(b, PART_EVENTS, &events, sizeof(events));
    if (s->caps.debugregs && ioctl(cpu->fd, KVM_GET_DEBUGREGS, &dbg) == 0)
        put_part(b, PART_DEBUGREGS, &dbg, sizeof(dbg));
    put_part(b, PART_MP_STATE, &mp, sizeof(mp));
    return 0;
}

/* The ioctl and size for a part, in load order. */
static const struct {
    uint32_t tag;
    unsigned long set;
    size_t size;            /* 0: variable (MSRs) */
    const char *name;
} cpu_parts[] = {
    { PART_REGS, KVM_SET_REGS, sizeof(struct kvm_regs), "regs" },
    { PART_XSAVE, KVM_SET_XSAVE, sizeof(struct kvm_xsave), "xsave" },
    { PART_FPU, KVM_SET_FPU, sizeof(struct kvm_fpu), "fpu" },
    { PART_XCRS, KVM_SET_XCRS, sizeof(struct kvm_xcrs), "xcrs" },
    { PART_SREGS, KVM_SET_SREGS, sizeof(struct kvm_sregs), "sregs" },
    { PART_MSRS, KVM_SET_MSRS, 0, "msrs" },
    { PART_LAPIC, KVM_SET_LAPIC, sizeof(struct kvm_lapic_state), "lapic" },
    { PART_EVENTS, KVM_SET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events), "events" },
    { PART_DEBUGREGS, KVM_SET_DEBUGREGS, sizeof(struct kvm_debugregs), "debugregs" },
    { PART_MP_STATE, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state), "mp-state" },
};

/* Split a section into its parts; false if any length is off. */
static bool find_parts(const uint8_t *buf, size_t len, const uint8_t **part, uint32_t *plen,
                       unsigned int max_tag)
{
    struct vm_reader r = { .p = buf, .len = len };

    while (r.pos < len) {
        uint32_t tag = get_u32(&r), n = get_u32(&r);

        if (r.error || tag == 0 || tag > max_tag || n > len - r.pos || part[tag])
            return false;
        part[tag] = buf + r.pos;
        plen[tag] = n;
        r.pos += n;
    }
    return true;
}

/* A copy of a part, made once, that the ioctls may write to. */
static void *copy_of(void **copy, const uint8_t *part, uint32_t len)
{
    if (!*copy)
        *copy = g_memdup2(part, len);
    return *copy;
}

/*
 * KVM ignores a TSC deadline written while the LAPIC timer is not in
 * TSC-deadline mode, which it is not until the LAPIC is restored, after
 * the MSRs: without this a guest that sleeps on the deadline timer (Linux)
 * never wakes on the destination.
 */
static int restore_tsc_deadline(CPUState *cpu, const uint8_t *msrs, uint32_t len,
                                GError **errp)
{
    for (uint32_t off = 0; off + sizeof(struct kvm_msr_entry) <= len;
         off += sizeof(struct kvm_msr_entry)) {
        struct {
            struct kvm_msrs hdr;
            struct kvm_msr_entry e;
        } one = { .hdr.nmsrs = 1 };

        memcpy(&one.e, msrs + off, sizeof(one.e));
        if (one.e.index != MSR_IA32_TSC_DEADLINE)
            continue;
        if (ioctl(cpu->fd, KVM_SET_MSRS, &one) != 1) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "vCPU %d: KVM refused the TSC deadline", cpu->index);
            return -EIO;
        }
    }
    return 0;
}

static int cpu_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                    GError **errp)
{
    CPUState *cpu = opaque;
    const uint8_t *part[PART_DEBUGREGS + 1] = { 0 };
    uint32_t plen[PART_DEBUGREGS + 1] = { 0 };

    if (!find_parts(buf, len, part, plen, PART_DEBUGREGS) || !part[PART_REGS] ||
        !part[PART_SREGS] || !part[PART_MSRS] || !part[PART_LAPIC] || !part[PART_MP_STATE]) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "vCPU %d state is corrupt or incomplete", cpu->index);
        return -EINVAL;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cpu_parts); i++) {
        uint32_t tag = cpu_parts[i].tag;
        g_autofree void *copy = NULL;
        int ret;

        if (!part[tag])
            continue;
        if (tag == PART_FPU && part[PART_XSAVE])
            continue;   /* XSAVE holds the FPU state too */
        if (cpu_parts[i].size ? plen[tag] != cpu_parts[i].size
                              : plen[tag] % sizeof(struct kvm_msr_entry)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "vCPU %d state: %s has %u bytes", cpu->index, cpu_parts[i].name,
                        plen[tag]);
            return -EINVAL;
        }
        if (tag == PART_EVENTS) {
            /* GET leaves these flags clear; without them SET drops the values */
            ((struct kvm_vcpu_events *)copy_of(&copy, part[tag], plen[tag]))->flags |=
                KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
        }
        if (tag == PART_MSRS) {
            struct kvm_msrs *m = g_malloc0(sizeof(*m) + plen[tag]);

            m->nmsrs = plen[tag] / sizeof(struct kvm_msr_entry);
            memcpy(m->entries, part[tag], plen[tag]);
            ret = ioctl(cpu->fd, KVM_SET_MSRS, m);
            if (ret >= 0 && (uint32_t)ret != m->nmsrs) {
                g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "vCPU %d: KVM refused MSR 0x%x", cpu->index,
                            m->entries[ret].index);
                g_free(m);
                return -EINVAL;
            }
            g_free(m);
        } else {
            ret = ioctl(cpu->fd, cpu_parts[i].set, copy_of(&copy, part[tag], plen[tag]));
        }
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "vCPU %d: restoring %s: %s", cpu->index, cpu_parts[i].name,
                        strerror(errno));
            return -errno;
        }
        if (tag == PART_LAPIC &&
            restore_tsc_deadline(cpu, part[PART_MSRS], plen[PART_MSRS], errp) < 0)
            return -EIO;
    }
    return 0;
}

/* ---- the VM: kvmclock and the in-kernel irqchip and PIT ---- */

static int vm_save(void *opaque, GByteArray *b)
{
    KVMState *s = kvm_state;
    struct kvm_clock_data clock = { 0 };

    if (kvm_vm_ioctl(s, KVM_GET_CLOCK, &clock) == 0) {
        clock.flags = 0;    /* only the value is restored */
        put_part(b, PART_CLOCK, &clock, sizeof(clock));
    }
    if (vm_full_irqchip) {
        struct kvm_pit_state2 pit;

        for (uint32_t chip = 0; chip < 3; chip++) {
            struct kvm_irqchip ic = { .chip_id = chip };

            if (kvm_vm_ioctl(s, KVM_GET_IRQCHIP, &ic) < 0)
                return -errno;
            put_part(b, PART_PIC_MASTER + chip, &ic, sizeof(ic));
        }
        if (kvm_vm_ioctl(s, KVM_GET_PIT2, &pit) == 0)
            put_part(b, PART_PIT, &pit, sizeof(pit));
    }
    return 0;
}

static int vm_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                   GError **errp)
{
    KVMState *s = kvm_state;
    const uint8_t *part[PART_PIT + 1] = { 0 };
    uint32_t plen[PART_PIT + 1] = { 0 };
    static const size_t sizes[PART_PIT + 1] = {
        [PART_CLOCK] = sizeof(struct kvm_clock_data),
        [PART_PIC_MASTER] = sizeof(struct kvm_irqchip),
        [PART_PIC_SLAVE] = sizeof(struct kvm_irqchip),
        [PART_IOAPIC] = sizeof(struct kvm_irqchip),
        [PART_PIT] = sizeof(struct kvm_pit_state2),
    };
    static const unsigned long set[PART_PIT + 1] = {
        [PART_CLOCK] = KVM_SET_CLOCK, [PART_PIC_MASTER] = KVM_SET_IRQCHIP,
        [PART_PIC_SLAVE] = KVM_SET_IRQCHIP, [PART_IOAPIC] = KVM_SET_IRQCHIP,
        [PART_PIT] = KVM_SET_PIT2,
    };

    if (!find_parts(buf, len, part, plen, PART_PIT) ||
        !part[PART_PIC_MASTER] != !vm_full_irqchip) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "VM state is corrupt, or its irqchip mode differs from this VM's");
        return -EINVAL;
    }
    for (int tag = PART_CLOCK; tag <= PART_PIT; tag++) {
        g_autofree void *copy = NULL;

        if (!part[tag])
            continue;
        if (plen[tag] != sizes[tag]) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "VM state part %d has %u bytes", tag, plen[tag]);
            return -EINVAL;
        }
        copy = g_memdup2(part[tag], plen[tag]);
        if (kvm_vm_ioctl(s, set[tag], copy) < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "restoring VM state part %d: %s", tag, strerror(errno));
            return -EIO;
        }
    }
    return 0;
}

void x86_register_vmstate(CPUState **cpus, int n, bool full_irqchip)
{
    for (int i = 0; i < n; i++) {
        struct vmstate_ops ops = {
            .name = "cpu", .instance = (uint32_t)i, .version = 1,
            .save = cpu_save, .load = cpu_load, .opaque = cpus[i],
        };

        vmstate_register(&ops);
    }
    {
        struct vmstate_ops ops = {
            .name = "kvm-vm", .instance = 0, .version = 1,
            .save = vm_save, .load = vm_load,
        };

        vm_full_irqchip = full_irqchip;
        vmstate_register(&ops);
    }
}
