/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM memory slots: the bookkeeping between RAM sections of the flat view
 * and KVM_SET_USER_MEMORY_REGION.  The table logic (alignment, id reuse,
 * the slot limit, dirty-log bitmaps) is separate from the ioctl, which is
 * reached through set_fn, so it can be tested without KVM.
 */
#ifndef QEMU_VMM_KVM_SLOTS_H
#define QEMU_VMM_KVM_SLOTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "qemu-vmm/memory.h"

struct kvm_slot {
    bool used;
    unsigned int id;
    uint64_t gpa;
    uint64_t size;          /* 0 in a set_fn call means "delete" */
    void *host;
    uint32_t flags;         /* KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY */
    MemoryRegion *mr;
    uint64_t mr_offset;     /* of gpa inside mr */
    /*
     * Bitmap log: the last KVM_GET_DIRTY_LOG result.  Dirty ring: pages
     * harvested since the last sync (the ring ORs into it, sync empties it).
     */
    unsigned long *dirty;   /* npages bits */
};

struct kvm_slots {
    struct kvm_slot *slot;
    unsigned int nr;        /* KVM_CAP_NR_MEMSLOTS */
    unsigned int used;
    pthread_mutex_t lock;
    int (*set_fn)(void *opaque, const struct kvm_slot *s);
    /* fetch the dirty log of a slot into s->dirty */
    int (*get_dirty_fn)(void *opaque, struct kvm_slot *s);
    /* re-protect npages pages from first (both 64-aligned unless at the end) */
    int (*clear_dirty_fn)(void *opaque, struct kvm_slot *s, uint64_t first,
                          uint64_t npages, const unsigned long *bits);
    void *opaque;
    bool manual_protect;    /* GET does not re-protect; CLEAR must */
    bool dirty_ring;        /* the dirty ring fills s->dirty; no GET/CLEAR */
    uint64_t clear_chunk_pages; /* at most this many pages per CLEAR call */
};

void kvm_slots_init(struct kvm_slots *t, unsigned int nr);
void kvm_slots_destroy(struct kvm_slots *t);
/*
 * Add a slot for a RAM section.  The section is shrunk to whole pages (an
 * unaligned edge cannot be mapped by KVM and is left to MMIO exits).
 * -ENOSPC when the slot limit is reached.
 */
int kvm_slots_add(struct kvm_slots *t, const MemorySection *s, bool log_dirty);
void kvm_slots_del(struct kvm_slots *t, const MemorySection *s);
int kvm_slots_set_logging(struct kvm_slots *t, const MemorySection *s, bool on);
/* Fetch KVM's log for the slots of s and OR it into s->mr->dirty. */
int kvm_slots_sync(struct kvm_slots *t, const MemorySection *s);
/*
 * The dirty ring's harvest, with t->lock held: page offset of KVM slot
 * slot_id ((address space << 16) | id, as in struct kvm_dirty_gfn) is dirty.
 * Entries for a slot that no longer exists, or out of its range, are
 * dropped.
 */
void kvm_slots_mark_dirty_locked(struct kvm_slots *t, uint32_t slot_id, uint64_t offset);
/* Re-protect the pages of s that the last sync reported dirty. */
int kvm_slots_clear(struct kvm_slots *t, const MemorySection *s);
/*
 * Split [first, first+npages) of a slot of slot_pages pages into the calls
 * KVM_CLEAR_DIRTY_LOG accepts: first a multiple of 64, npages a multiple of
 * 64 unless the range reaches the end of the slot, at most chunk pages each
 * (chunk a multiple of 64).  Calls fn for each; stops at the first error.
 */
int kvm_dirty_clear_chunks(uint64_t slot_pages, uint64_t first, uint64_t npages,
                           uint64_t chunk,
                           int (*fn)(void *opaque, uint64_t first, uint64_t npages),
                           void *opaque);

#endif
