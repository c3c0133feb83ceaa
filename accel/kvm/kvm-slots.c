/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory slot bookkeeping; see include/qemu-vmm/kvm-slots.h.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/kvm-slots.h"
#include "qemu-vmm/log.h"

#define ALIGN_DOWN_PAGE(x) ((x) & ~(VMM_PAGE_SIZE - 1))
#define ALIGN_UP_PAGE(x) ALIGN_DOWN_PAGE((x) + VMM_PAGE_SIZE - 1)

/* 1 GiB of pages per KVM_CLEAR_DIRTY_LOG: bounds the time a call holds mmu_lock */
#define DEFAULT_CLEAR_CHUNK_PAGES (1ULL << 18)

void kvm_slots_init(struct kvm_slots *t, unsigned int nr)
{
    memset(t, 0, sizeof(*t));
    t->nr = nr;
    t->slot = g_new0(struct kvm_slot, nr);
    t->clear_chunk_pages = DEFAULT_CLEAR_CHUNK_PAGES;
    pthread_mutex_init(&t->lock, NULL);
}

void kvm_slots_destroy(struct kvm_slots *t)
{
    for (unsigned int i = 0; i < t->nr; i++)
        bitmap_free(t->slot[i].dirty);
    g_free(t->slot);
    t->slot = NULL;
}

/* The page-aligned part of a section: false if nothing is left. */
static bool section_pages(const MemorySection *s, uint64_t *gpa, uint64_t *size)
{
    uint64_t start = ALIGN_UP_PAGE(s->addr);
    uint64_t end = ALIGN_DOWN_PAGE(s->addr + s->size);

    if (start >= end)
        return false;
    *gpa = start;
    *size = end - start;
    return true;
}

static struct kvm_slot *find_slot(struct kvm_slots *t, MemoryRegion *mr, uint64_t gpa)
{
    for (unsigned int i = 0; i < t->nr; i++)
        if (t->slot[i].used && t->slot[i].mr == mr && t->slot[i].gpa == gpa)
            return &t->slot[i];
    return NULL;
}

/* The slot of mr that holds gpa, if any. */
static struct kvm_slot *slot_containing(struct kvm_slots *t, MemoryRegion *mr,
                                        uint64_t gpa)
{
    for (unsigned int i = 0; i < t->nr; i++) {
        struct kvm_slot *k = &t->slot[i];

        if (k->used && k->mr == mr && gpa >= k->gpa && gpa < k->gpa + k->size)
            return k;
    }
    return NULL;
}

int kvm_slots_add(struct kvm_slots *t, const MemorySection *s, bool log_dirty)
{
    struct kvm_slot *k = NULL;
    uint64_t gpa, size;
    int ret;

    if (s->mr->type != MR_RAM)
        return 0;
    if (!section_pages(s, &gpa, &size)) {
        vmm_log(LOG_MEMORY, "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is smaller than a page, not mapped",
                s->mr->name, s->addr, s->size);
        return 0;
    }
    pthread_mutex_lock(&t->lock);
    /* the lowest free id: ids of deleted slots are reused */
    for (unsigned int i = 0; i < t->nr; i++) {
        if (!t->slot[i].used) {
            k = &t->slot[i];
            k->id = i;
            break;
        }
    }
    if (!k) {
        pthread_mutex_unlock(&t->lock);
        return -ENOSPC;
    }
    k->gpa = gpa;
    k->size = size;
    k->mr = s->mr;
    k->mr_offset = s->offset + (gpa - s->addr);
    k->host = s->mr->host + k->mr_offset;
    k->flags = (s->mr->readonly ? KVM_MEM_READONLY : 0) |
               (log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0);
    k->dirty = bitmap_new(size >> VMM_PAGE_SHIFT);
    ret = t->set_fn ? t->set_fn(t->opaque, k) : 0;
    if (ret < 0) {
        bitmap_free(k->dirty);
        memset(k, 0, sizeof(*k));
    } else {
        k->used = true;
        t->used++;
        vmm_log(LOG_MEMORY, "slot %u: gpa 0x%" PRIx64 " size 0x%" PRIx64 " (%s+0x%" PRIx64 ")",
                k->id, k->gpa, k->size, k->mr->name, k->mr_offset);
    }
    pthread_mutex_unlock(&t->lock);
    return ret;
}

void kvm_slots_del(struct kvm_slots *t, const MemorySection *s)
{
    struct kvm_slot *k, gone;
    uint64_t gpa, size;

    if (s->mr->type != MR_RAM || !section_pages(s, &gpa, &size))
        return;
    pthread_mutex_lock(&t->lock);
    k = find_slot(t, s->mr, gpa);
    if (k) {
        gone = *k;
        gone.size = 0;
        gone.flags = 0;
        if (t->set_fn && t->set_fn(t->opaque, &gone) < 0)
            warn_report("could not delete KVM memory slot %u", k->id);
        vmm_log(LOG_MEMORY, "slot %u: deleted", k->id);
        bitmap_free(k->dirty);
        memset(k, 0, sizeof(*k));
        t->used--;
    }
    pthread_mutex_unlock(&t->lock);
}

int kvm_slots_set_logging(struct kvm_slots *t, const MemorySection *s, bool on)
{
    struct kvm_slot *k;
    uint64_t gpa, size;
    uint32_t old;
    int ret = 0;

    if (s->mr->type != MR_RAM || !section_pages(s, &gpa, &size))
        return 0;
    pthread_mutex_lock(&t->lock);
    k = find_slot(t, s->mr, gpa);
    if (k) {
        old = k->flags;
        k->flags = on ? (k->flags | KVM_MEM_LOG_DIRTY_PAGES)
                      : (k->flags & ~KVM_MEM_LOG_DIRTY_PAGES);
        if (on)
            bitmap_clear_range(k->dirty, 0, k->size >> VMM_PAGE_SHIFT);
        ret = (k->flags != old && t->set_fn) ? t->set_fn(t->opaque, k) : 0;
        if (ret < 0)
            k->flags = old;
    }
    pthread_mutex_unlock(&t->lock);
    return ret;
}

int kvm_slots_sync(struct kvm_slots *t, const MemorySection *s)
{
    struct kvm_slot *k;
    uint64_t gpa, size;
    int ret = 0;

    if (s->mr->type != MR_RAM || !section_pages(s, &gpa, &size))
        return 0;
    pthread_mutex_lock(&t->lock);
    k = find_slot(t, s->mr, gpa);
    if (k && (k->flags & KVM_MEM_LOG_DIRTY_PAGES) && t->dirty_ring) {
        /* what the ring harvested so far: hand it over and start afresh */
        bitmap_or_at(k->mr->dirty, k->mr_offset >> VMM_PAGE_SHIFT, k->dirty,
                     k->size >> VMM_PAGE_SHIFT);
        bitmap_clear_range(k->dirty, 0, k->size >> VMM_PAGE_SHIFT);
    } else if (k && (k->flags & KVM_MEM_LOG_DIRTY_PAGES) && t->get_dirty_fn) {
        ret = t->get_dirty_fn(t->opaque, k);
        if (ret == 0)
            bitmap_or_at(k->mr->dirty, k->mr_offset >> VMM_PAGE_SHIFT, k->dirty,
                         k->size >> VMM_PAGE_SHIFT);
    }
    pthread_mutex_unlock(&t->lock);
    return ret;
}

void kvm_slots_mark_dirty_locked(struct kvm_slots *t, uint32_t slot_id, uint64_t offset)
{
    uint32_t id = slot_id & 0xffff;
    struct kvm_slot *k;

    if (slot_id >> 16 || id >= t->nr)
        return;
    k = &t->slot[id];
    if (k->used && offset < (k->size >> VMM_PAGE_SHIFT))
        set_bit(offset, k->dirty);
}

int kvm_dirty_clear_chunks(uint64_t slot_pages, uint64_t first, uint64_t npages,
                           uint64_t chunk,
                           int (*fn)(void *opaque, uint64_t first, uint64_t npages),
                           void *opaque)
{
    uint64_t start, end;

    if (!npages || first >= slot_pages || npages > slot_pages - first ||
        chunk == 0 || chunk % 64)
        return -EINVAL;
    start = first & ~63ULL;
    end = MIN((first + npages + 63) & ~63ULL, slot_pages);
    for (uint64_t pos = start; pos < end; pos += chunk) {
        int ret = fn(opaque, pos, MIN(chunk, end - pos));

        if (ret < 0)
            return ret;
    }
    return 0;
}

struct clear_ctx {
    struct kvm_slots *t;
    struct kvm_slot *k;
    uint64_t first, end;    /* the pages asked for; the chunks may be wider */
};

static int clear_one_chunk(void *opaque, uint64_t first, uint64_t npages)
{
    struct clear_ctx *c = opaque;
    unsigned long *bits = bitmap_new(npages);
    uint64_t lo = MAX(first, c->first), hi = MIN(first + npages, c->end);
    int ret = 0;

    /*
     * Only pages the last sync reported and that were asked for: clearing
     * a page dirtied since the sync would lose that write.
     */
    bitmap_extract(bits, c->k->dirty, first, npages);
    if (lo > first)
        bitmap_clear_range(bits, 0, lo - first);
    if (hi < first + npages)
        bitmap_clear_range(bits, hi - first, first + npages - hi);
    if (bitmap_count_range(bits, 0, npages)) {
        ret = c->t->clear_dirty_fn(c->t->opaque, c->k, first, npages, bits);
        if (ret == 0)
            bitmap_clear_range(c->k->dirty, lo, hi - lo);
    }
    bitmap_free(bits);
    return ret;
}

int kvm_slots_clear(struct kvm_slots *t, const MemorySection *s)
{
    uint64_t addr = s->addr, end = s->addr + s->size;
    int ret = 0;

    if (s->mr->type != MR_RAM || !t->manual_protect || !t->clear_dirty_fn || t->dirty_ring)
        return 0;
    pthread_mutex_lock(&t->lock);
    while (addr < end && ret == 0) {
        struct kvm_slot *k = slot_containing(t, s->mr, addr);
        struct clear_ctx c;
        uint64_t hi;

        if (!k) {
            addr = ALIGN_DOWN_PAGE(addr) + VMM_PAGE_SIZE;
            continue;
        }
        hi = MIN(end, k->gpa + k->size);
        c = (struct clear_ctx){ .t = t, .k = k,
                                .first = (addr - k->gpa) >> VMM_PAGE_SHIFT,
                                .end = (hi - k->gpa + VMM_PAGE_SIZE - 1) >> VMM_PAGE_SHIFT };
        if (k->flags & KVM_MEM_LOG_DIRTY_PAGES)
            ret = kvm_dirty_clear_chunks(k->size >> VMM_PAGE_SHIFT, c.first,
                                         c.end - c.first, t->clear_chunk_pages,
                                         clear_one_chunk, &c);
        addr = hi;
    }
    pthread_mutex_unlock(&t->lock);
    return ret;
}
