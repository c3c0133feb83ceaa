/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM dirty ring (KVM_CAP_DIRTY_LOG_RING[_ACQ_REL]): an alternative to
 * the dirty bitmap, chosen with -accel kvm,dirty-ring-size=N.
 *
 * Each vCPU has a ring of N struct kvm_dirty_gfn in its mmap area; KVM
 * pushes one entry per page the vCPU dirties.  Harvesting ("reaping")
 * walks every ring, records each entry's page in its slot's dirty bitmap
 * (struct kvm_slot.dirty, which the ordinary log_sync then hands to the
 * memory API), marks the entries collected and calls KVM_RESET_DIRTY_RINGS
 * to re-protect the pages and free the entries.  A reaper thread harvests
 * periodically while logging is on; a sync harvests on demand; a vCPU whose
 * ring is full (KVM_EXIT_DIRTY_RING_FULL) harvests before it re-enters.
 *
 * The ring logic (size checks, collecting entries) works on plain memory,
 * so it is unit-tested without KVM; the ioctls come in through callbacks.
 */
#ifndef QEMU_VMM_KVM_DIRTY_RING_H
#define QEMU_VMM_KVM_DIRTY_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <glib.h>

#include "qemu-vmm/kvm-slots.h"

/* A ring's bytes must be at least a page: KVM refuses smaller ones. */
#define KVM_DIRTY_RING_MIN_ENTRIES  (4096 / sizeof(struct kvm_dirty_gfn))
/* How often the reaper harvests while logging is on. */
#define KVM_DIRTY_RING_REAP_PERIOD_MS 50

struct kvm_dirty_ring_vcpu {
    struct kvm_dirty_gfn *gfns;     /* the vCPU's ring, mmap'ed */
    uint32_t fetch;                 /* next entry to look at (free running) */
    int index;                      /* vCPU index */
    bool mapped;                    /* ours to munmap */
};

struct kvm_dirty_ring {
    uint32_t entries;               /* per vCPU, a power of two */
    size_t bytes;                   /* entries * sizeof(struct kvm_dirty_gfn) */
    unsigned int cap;               /* the capability enabled */
    struct kvm_slots *slots;        /* where harvested pages go */
    /* KVM_RESET_DIRTY_RINGS; returns the entries reset or -errno */
    int (*reset_fn)(void *opaque);
    void *opaque;

    pthread_mutex_t lock;           /* one harvest at a time; guards vcpus */
    GArray *vcpus;                  /* struct kvm_dirty_ring_vcpu */

    /* the reaper thread */
    pthread_mutex_t reaper_lock;
    pthread_cond_t reaper_cond;
    pthread_t reaper;
    bool reaper_running;
    bool reaper_stop;
    bool logging;                   /* harvest periodically */
    unsigned int period_ms;         /* how often (KVM_DIRTY_RING_REAP_PERIOD_MS) */

    /* statistics */
    uint64_t reaps;                 /* harvests that found something */
    uint64_t harvested;             /* entries collected in all */
    uint64_t full_exits;            /* KVM_EXIT_DIRTY_RING_FULL seen */
};

/*
 * Check a requested size (entries per vCPU) against the rules and what the
 * kernel offers (cap_bytes: KVM_CHECK_EXTENSION's answer, 0 = missing,
 * < 0 = not known yet: only the value itself is checked).
 * 0, or -EINVAL/-ENOTSUP/-E2BIG with a one-line reason in errp.
 */
int kvm_dirty_ring_check_size(uint64_t entries, int cap_bytes, GError **errp);

/*
 * Collect the dirty entries of one ring, from *fetch on, calling
 * fn(opaque, slot, offset) for each and marking it collected (RESET).
 * Stops at the first entry KVM has not published.  Returns the count.
 */
uint32_t kvm_dirty_ring_collect(struct kvm_dirty_gfn *gfns, uint32_t entries,
                                uint32_t *fetch,
                                void (*fn)(void *opaque, uint32_t slot, uint64_t offset),
                                void *opaque);

void kvm_dirty_ring_init(struct kvm_dirty_ring *r, uint32_t entries, unsigned int cap,
                         struct kvm_slots *slots, int (*reset_fn)(void *opaque),
                         void *opaque);
void kvm_dirty_ring_destroy(struct kvm_dirty_ring *r);
/* Map vCPU index's ring from its fd (at KVM_DIRTY_LOG_PAGE_OFFSET). */
int kvm_dirty_ring_add_vcpu(struct kvm_dirty_ring *r, int index, int vcpu_fd);
/* Register a ring that is already in memory (tests); gfns is not freed. */
void kvm_dirty_ring_add_ring(struct kvm_dirty_ring *r, int index,
                             struct kvm_dirty_gfn *gfns);
void kvm_dirty_ring_del_vcpu(struct kvm_dirty_ring *r, int index);
/*
 * Harvest every ring into the slots' dirty bitmaps and reset the rings.
 * Returns the entries harvested, or -errno if KVM_RESET_DIRTY_RINGS failed.
 */
int kvm_dirty_ring_reap(struct kvm_dirty_ring *r);
/*
 * Create the reaper thread, idle until logging starts; at set-up, before
 * the sandbox's filters.  Returns 0 or -errno.
 */
int kvm_dirty_ring_start_reaper(struct kvm_dirty_ring *r);
/* Start or stop harvesting in the background (the reaper thread). */
void kvm_dirty_ring_set_logging(struct kvm_dirty_ring *r, bool on);

#endif
