/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM accelerator: the one place that talks to /dev/kvm.
 *
 * Devices never call KVM ioctls.  They map regions and declare eventfds on
 * the memory API (KVM follows as a listener), and raise interrupts through
 * the GSI helpers below.
 */
#ifndef QEMU_VMM_KVM_H
#define QEMU_VMM_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <glib.h>

#include "qemu-vmm/kvm-dirty-ring.h"
#include "qemu-vmm/kvm-slots.h"
#include "qemu-vmm/irq-routing.h"
#include "qemu-vmm/memory.h"

/* One entry of the capability table probed once at start-up. */
struct kvm_cap_info {
    const char *name;
    unsigned int cap;
    bool required;
    size_t field;       /* offset of the int in struct kvm_caps that gets the value */
};

struct kvm_caps {
    int user_memory;
    int ioeventfd;
    int irqfd;
    int irq_routing;    /* number of GSIs */
    int immediate_exit;
    int nr_memslots;
    int max_vcpus;
    int nr_vcpus;
    int coalesced_mmio; /* page offset of the ring in the vCPU mapping */
    int coalesced_pio;
    int signal_msi;
    int manual_dirty_log_protect;
    int dirty_log_ring;
    int irqchip;
    int split_irqchip;
    int readonly_mem;
    int irqfd_resample;
    int pit2;
    int set_tss_addr;
    int ext_cpuid;
    int arm_user_irq;
    int arm_psci_0_2;
    int vcpu_events;
    int xsave;
    int xcrs;
    int debugregs;
    int adjust_clock;
    int tsc_control;
    int get_tsc_khz;
};

extern const struct kvm_cap_info kvm_cap_table[];
extern const size_t kvm_cap_table_len;

/*
 * Probe every capability of the table with probe(cap, opaque) and store the
 * results.  Returns NULL, or the first required capability that is missing.
 */
const struct kvm_cap_info *kvm_probe_caps(struct kvm_caps *caps,
                                          int (*probe)(unsigned int cap, void *opaque),
                                          void *opaque);

typedef struct KVMState {
    int fd;
    int vmfd;
    int vcpu_mmap_size;
    struct kvm_caps caps;
    struct kvm_coalesced_mmio_ring *coalesced_ring;
    pthread_mutex_t coalesced_lock;
    struct kvm_slots slots;
    struct gsi_routing routing;
    pthread_mutex_t routing_lock;
    bool manual_dirty_protect;      /* KVM_CLEAR_DIRTY_LOG in use */
    struct kvm_dirty_ring *dirty_ring;  /* NULL: the dirty bitmap is used */
    MemoryListener mem_listener;
    MemoryListener io_listener;
    AddressSpace *mem_as;
    AddressSpace *io_as;
} KVMState;

extern KVMState *kvm_state;

/* -accel kvm,PROP=VALUE: what the next kvm_init() sets up. */
struct kvm_accel_opts {
    uint64_t dirty_ring_size;       /* entries per vCPU; 0 = the dirty bitmap */
};
void kvm_set_accel_opts(const struct kvm_accel_opts *o);
/* Parse "kvm[,dirty-ring-size=N]" (the -accel value); 0 or -EINVAL with errp. */
int kvm_parse_accel_opts(const char *str, struct kvm_accel_opts *o, GError **errp);

/*
 * Open /dev/kvm, check the API version and the capabilities, create the VM.
 * On failure, errp says what is missing in one line.
 */
KVMState *kvm_init(unsigned long vm_type, GError **errp);
void kvm_destroy(KVMState *s);
/* Follow an address space: RAM becomes slots, eventfds ioeventfds. */
int kvm_attach_address_space(KVMState *s, AddressSpace *as, GError **errp);

int kvm_ioctl(KVMState *s, unsigned long req, void *arg);
int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg);
int kvm_check_extension(KVMState *s, unsigned int cap);
int kvm_vm_check_extension(KVMState *s, unsigned int cap);

/* Interrupts: GSI lines, MSI, irqfd. */
int kvm_set_irq(KVMState *s, unsigned int gsi, int level);
int kvm_irqchip_add_route(KVMState *s, const struct kvm_irq_routing_entry *e);
int kvm_irqchip_add_msi_route(KVMState *s, uint64_t addr, uint32_t data);
int kvm_irqchip_update_msi_route(KVMState *s, int virq, uint64_t addr, uint32_t data);
void kvm_irqchip_release_virq(KVMState *s, int virq);
int kvm_irqchip_commit_routes(KVMState *s);
int kvm_irqchip_send_msi(KVMState *s, uint64_t addr, uint32_t data);
/* resample_fd < 0 for edge-triggered lines */
int kvm_irqchip_add_irqfd(KVMState *s, int fd, int resample_fd, unsigned int gsi);
int kvm_irqchip_remove_irqfd(KVMState *s, int fd, unsigned int gsi);

/*
 * The dirty ring of a vCPU (vcpu_create/vcpu_destroy), and what a vCPU does
 * on KVM_EXIT_DIRTY_RING_FULL: harvest (waiting for a harvest already under
 * way) so that its ring has room again.  0 or -errno.
 */
int kvm_dirty_ring_vcpu_init(KVMState *s, int index, int vcpu_fd);
void kvm_dirty_ring_vcpu_fini(KVMState *s, int index);
int kvm_dirty_ring_full(KVMState *s);

/* Drain the coalesced MMIO/PIO ring into the address spaces. */
void kvm_flush_coalesced_mmio(KVMState *s);

#endif
