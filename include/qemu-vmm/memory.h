/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory API: address spaces made of RAM and I/O regions, and listeners
 * that follow them (QEMU's MemoryListener pattern).
 *
 * Regions are mapped into an address space at an address with a priority.
 * Where regions overlap, the higher priority wins (the later one on a tie).
 * The address space keeps a "flat view": the sorted, non-overlapping list of
 * the visible pieces (sections).  After every change the old and new flat
 * views are compared and listeners are told which sections went away and
 * which appeared.  KVM is one such listener: it turns RAM sections into
 * memory slots, so a region mapped over the middle of RAM splits a slot.
 *
 * The same sorted flat view is the dispatch table for MMIO and PIO exits:
 * an access is looked up by binary search and handed to the owning device.
 */
#ifndef QEMU_VMM_MEMORY_H
#define QEMU_VMM_MEMORY_H

#include <pthread.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define VMM_PAGE_SIZE 4096ULL
#define VMM_PAGE_SHIFT 12

typedef struct AddressSpace AddressSpace;
typedef struct MemoryRegion MemoryRegion;

/* Allowed access widths, as a mask: ACCESS_1 | ACCESS_4 ... */
enum {
    ACCESS_1 = 1 << 0,
    ACCESS_2 = 1 << 1,
    ACCESS_4 = 1 << 2,
    ACCESS_8 = 1 << 3,
    ACCESS_ANY = ACCESS_1 | ACCESS_2 | ACCESS_4 | ACCESS_8,
};

typedef struct MemoryRegionOps {
    /* offset is relative to the start of the region; size is 1, 2, 4 or 8 */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    unsigned valid_sizes;   /* ACCESS_* mask; 0 means ACCESS_ANY */
    bool unaligned_ok;      /* accept accesses not aligned to their size */
} MemoryRegionOps;

enum mr_type { MR_RAM, MR_IO };

/* An ioeventfd a device declared on one of its registers. */
struct mr_eventfd {
    uint64_t offset;        /* into the region */
    unsigned size;          /* 1, 2, 4, 8; with match_data the width matched */
    bool match_data;
    uint64_t data;
    int fd;
};

struct MemoryRegion {
    char *name;
    enum mr_type type;
    uint64_t size;

    /* MR_RAM */
    uint8_t *host;
    bool readonly;
    unsigned long *dirty;   /* one bit per page; KVM and VMM writes land here */

    /* MR_IO */
    const MemoryRegionOps *ops;
    void *opaque;
    bool coalesced;         /* writes may be batched in KVM's coalesced ring */
    GArray *eventfds;       /* struct mr_eventfd */

    /* where it is mapped, if anywhere */
    AddressSpace *as;
    uint64_t addr;
    int priority;
    unsigned seq;           /* mapping order, breaks priority ties */
};

/* A visible piece of a region: [addr, addr + size) shows mr at offset. */
typedef struct MemorySection {
    MemoryRegion *mr;
    uint64_t offset;
    uint64_t addr;
    uint64_t size;
} MemorySection;

typedef struct MemoryListener MemoryListener;
struct MemoryListener {
    /* Returning an error from region_add undoes the change that caused it. */
    int (*region_add)(MemoryListener *l, const MemorySection *s);
    void (*region_del)(MemoryListener *l, const MemorySection *s);
    void (*log_start)(MemoryListener *l, const MemorySection *s);
    void (*log_stop)(MemoryListener *l, const MemorySection *s);
    /* Fetch the dirty log of s into s->mr->dirty. */
    int (*log_sync)(MemoryListener *l, const MemorySection *s);
    /* Re-arm tracking for the pages of s whose dirty bits were consumed. */
    int (*log_clear)(MemoryListener *l, const MemorySection *s);
    int (*eventfd_add)(MemoryListener *l, AddressSpace *as, uint64_t addr,
                       const struct mr_eventfd *e);
    void (*eventfd_del)(MemoryListener *l, AddressSpace *as, uint64_t addr,
                        const struct mr_eventfd *e);
    int (*coalesced_add)(MemoryListener *l, AddressSpace *as,
                         const MemorySection *s);
    void (*coalesced_del)(MemoryListener *l, AddressSpace *as,
                          const MemorySection *s);
    void *opaque;
};

struct AddressSpace {
    char *name;
    bool is_pio;            /* the x86 port space: unowned reads are ~0 */
    uint64_t size;          /* addresses must lie below this */
    GPtrArray *regions;     /* mapped regions */
    MemorySection *view;    /* sorted by addr, non-overlapping */
    size_t view_len;
    GPtrArray *listeners;
    bool log_dirty;         /* global dirty logging is on */
    unsigned next_seq;
    pthread_rwlock_t lock;  /* readers: dispatch; writers: layout changes */
    GHashTable *unowned_logged; /* addresses already reported, capped */
    pthread_mutex_t unowned_lock;
};

/* Address spaces */
AddressSpace *address_space_new(const char *name, uint64_t size, bool is_pio);
void address_space_free(AddressSpace *as);
/* Adds a listener and replays the current layout to it. */
int address_space_add_listener(AddressSpace *as, MemoryListener *l);
void address_space_remove_listener(AddressSpace *as, MemoryListener *l);

/* Regions */
/* Anonymous host memory for guest RAM, populated on first touch. */
void *guest_ram_alloc(uint64_t size, GError **errp);
MemoryRegion *memory_region_new_ram(const char *name, uint64_t size, GError **errp);
MemoryRegion *memory_region_new_ram_ptr(const char *name, uint64_t size, void *host);
MemoryRegion *memory_region_new_io(const char *name, uint64_t size,
                                   const MemoryRegionOps *ops, void *opaque);
void memory_region_free(MemoryRegion *mr);
/*
 * A device's registers: a new I/O region mapped at base (priority 0), or
 * NULL with errp saying which device could not be mapped where.
 */
MemoryRegion *memory_region_map_io(AddressSpace *as, const char *name, uint64_t base,
                                   uint64_t size, const MemoryRegionOps *ops,
                                   void *opaque, GError **errp);
/* 0, or -EINVAL (bad range), -EBUSY (already mapped), or a listener's error. */
int memory_region_map(AddressSpace *as, MemoryRegion *mr, uint64_t addr, int priority);
void memory_region_unmap(MemoryRegion *mr);
/* Declare an ioeventfd on a register of an I/O region. */
int memory_region_add_eventfd(MemoryRegion *mr, uint64_t offset, unsigned size,
                              bool match_data, uint64_t data, int fd);
void memory_region_del_eventfd(MemoryRegion *mr, uint64_t offset, unsigned size,
                               bool match_data, uint64_t data, int fd);

/* Dispatch of guest accesses (from vCPU exits). */
uint64_t address_space_read_io(AddressSpace *as, uint64_t addr, unsigned size);
void address_space_write_io(AddressSpace *as, uint64_t addr, uint64_t value,
                            unsigned size);
/* Binary search of the flat view; the result is valid while as->lock is held. */
const MemorySection *address_space_lookup(AddressSpace *as, uint64_t addr);

/*
 * Accesses by the VMM itself (loaders, DMA).  The whole range must be RAM;
 * otherwise -EFAULT and nothing is copied.  Writes mark pages dirty.
 */
int address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len);
int address_space_write(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len);
/* Host pointer for [addr, addr+len) if it lies within one RAM section, else NULL. */
void *address_space_host_ptr(AddressSpace *as, uint64_t addr, uint64_t len);

/* Dirty tracking */
void memory_region_set_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len);
void memory_global_dirty_log_start(AddressSpace *as);
void memory_global_dirty_log_stop(AddressSpace *as);
/* Pull the dirty logs of all RAM into each region's dirty bitmap. */
int memory_global_dirty_log_sync(AddressSpace *as);
/*
 * Consume the dirty bits of [offset, offset+len) of a RAM region: copy them
 * to out (bit i = page offset/page + i; may be NULL) and clear them, then let
 * listeners re-arm tracking for those pages.
 */
int memory_region_take_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len,
                             unsigned long *out);

#endif
