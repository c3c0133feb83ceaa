/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capability table: what qemu-vmm needs from KVM and what it can use.
 * Machines check their own extra needs (an in-kernel irqchip, a TSS, ...)
 * with kvm_require_cap().
 */
#include <stddef.h>

#include "qemu-vmm/kvm.h"

#define CAP(c, f, req) { #c, c, req, offsetof(struct kvm_caps, f) }

const struct kvm_cap_info kvm_cap_table[] = {
    CAP(KVM_CAP_USER_MEMORY, user_memory, true),
    CAP(KVM_CAP_IOEVENTFD, ioeventfd, true),
    CAP(KVM_CAP_IRQFD, irqfd, true),
    CAP(KVM_CAP_IRQ_ROUTING, irq_routing, true),
    CAP(KVM_CAP_IMMEDIATE_EXIT, immediate_exit, true),
    CAP(KVM_CAP_NR_MEMSLOTS, nr_memslots, false),
    CAP(KVM_CAP_MAX_VCPUS, max_vcpus, false),
    CAP(KVM_CAP_NR_VCPUS, nr_vcpus, false),
    CAP(KVM_CAP_COALESCED_MMIO, coalesced_mmio, false),
    CAP(KVM_CAP_COALESCED_PIO, coalesced_pio, false),
    CAP(KVM_CAP_SIGNAL_MSI, signal_msi, false),
    CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, manual_dirty_log_protect, false),
    CAP(KVM_CAP_DIRTY_LOG_RING, dirty_log_ring, false),
    CAP(KVM_CAP_IRQCHIP, irqchip, false),
    CAP(KVM_CAP_SPLIT_IRQCHIP, split_irqchip, false),
    CAP(KVM_CAP_READONLY_MEM, readonly_mem, false),
    CAP(KVM_CAP_IRQFD_RESAMPLE, irqfd_resample, false),
#ifdef __x86_64__
    CAP(KVM_CAP_PIT2, pit2, false),
    CAP(KVM_CAP_SET_TSS_ADDR, set_tss_addr, false),
    CAP(KVM_CAP_EXT_CPUID, ext_cpuid, false),
    CAP(KVM_CAP_VCPU_EVENTS, vcpu_events, false),
    CAP(KVM_CAP_XSAVE, xsave, false),
    CAP(KVM_CAP_XCRS, xcrs, false),
    CAP(KVM_CAP_DEBUGREGS, debugregs, false),
    CAP(KVM_CAP_ADJUST_CLOCK, adjust_clock, false),
    CAP(KVM_CAP_TSC_CONTROL, tsc_control, false),
    CAP(KVM_CAP_GET_TSC_KHZ, get_tsc_khz, false),
#endif
#ifdef __aarch64__
    CAP(KVM_CAP_ARM_USER_IRQ, arm_user_irq, false),
    CAP(KVM_CAP_ARM_PSCI_0_2, arm_psci_0_2, false),
#endif
};

const size_t kvm_cap_table_len = sizeof(kvm_cap_table) / sizeof(kvm_cap_table[0]);

const struct kvm_cap_info *kvm_probe_caps(struct kvm_caps *caps,
                                          int (*probe)(unsigned int cap, void *opaque),
                                          void *opaque)
{
    const struct kvm_cap_info *missing = NULL;

    for (size_t i = 0; i < kvm_cap_table_len; i++) {
        const struct kvm_cap_info *c = &kvm_cap_table[i];
        int v = probe(c->cap, opaque);

        if (v < 0)
            v = 0;
        *(int *)((char *)caps + c->field) = v;
        if (c->required && v == 0 && !missing)
            missing = c;
    }
    return missing;
}
