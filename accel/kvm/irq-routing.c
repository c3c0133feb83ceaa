/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GSI routing table; see include/qemu-vmm/irq-routing.h.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/irq-routing.h"

void gsi_routing_init(struct gsi_routing *r, unsigned int gsi_count,
                      unsigned int first_virq,
                      int (*commit_fn)(void *opaque, const struct kvm_irq_routing *),
                      void *opaque)
{
    memset(r, 0, sizeof(*r));
    r->gsi_count = gsi_count;
    r->first_virq = first_virq;
    r->used = bitmap_new(gsi_count);
    r->commit_fn = commit_fn;
    r->opaque = opaque;
}

void gsi_routing_destroy(struct gsi_routing *r)
{
    g_free(r->entries);
    bitmap_free(r->used);
    memset(r, 0, sizeof(*r));
}

bool gsi_routing_gsi_used(const struct gsi_routing *r, unsigned int gsi)
{
    return gsi < r->gsi_count && test_bit(gsi, r->used);
}

/* Two entries that KVM would treat as the same route of one GSI. */
static bool same_target(const struct kvm_irq_routing_entry *a,
                        const struct kvm_irq_routing_entry *b)
{
    if (a->gsi != b->gsi || a->type != b->type)
        return false;
    if (a->type == KVM_IRQ_ROUTING_IRQCHIP)
        return a->u.irqchip.irqchip == b->u.irqchip.irqchip;
    return true;    /* one MSI route per GSI */
}

int gsi_routing_add(struct gsi_routing *r, const struct kvm_irq_routing_entry *e)
{
    if (e->gsi >= r->gsi_count)
        return -EINVAL;
    for (unsigned int i = 0; i < r->nr; i++) {
        if (same_target(&r->entries[i], e)) {
            if (memcmp(&r->entries[i], e, sizeof(*e))) {
                r->entries[i] = *e;
                r->dirty = true;
            }
            return 0;
        }
    }
    if (r->nr == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 64;
        r->entries = g_renew(struct kvm_irq_routing_entry, r->entries, r->alloc);
    }
    r->entries[r->nr++] = *e;
    set_bit(e->gsi, r->used);
    r->dirty = true;
    return 0;
}

int gsi_routing_update(struct gsi_routing *r, const struct kvm_irq_routing_entry *e)
{
    bool found = false;

    for (unsigned int i = 0; i < r->nr; i++) {
        if (r->entries[i].gsi != e->gsi)
            continue;
        found = true;
        if (memcmp(&r->entries[i], e, sizeof(*e))) {
            r->entries[i] = *e;
            r->dirty = true;
        }
    }
    return found ? 0 : -ENOENT;
}

int gsi_routing_alloc_virq(struct gsi_routing *r)
{
    size_t gsi = bitmap_find_next_zero_bit(r->used, r->gsi_count, r->first_virq);

    if (gsi >= r->gsi_count)
        return -ENOSPC;
    set_bit(gsi, r->used);
    return (int)gsi;
}

void gsi_routing_release(struct gsi_routing *r, unsigned int gsi)
{
    unsigned int j = 0;

    if (gsi >= r->gsi_count)
        return;
    for (unsigned int i = 0; i < r->nr; i++) {
        if (r->entries[i].gsi == gsi) {
            r->dirty = true;
            continue;
        }
        r->entries[j++] = r->entries[i];
    }
    r->nr = j;
    clear_bit(gsi, r->used);
}

int gsi_routing_commit(struct gsi_routing *r)
{
    struct kvm_irq_routing *table;
    int ret = 0;

    if (!r->dirty)
        return 0;
    table = g_malloc0(sizeof(*table) + r->nr * sizeof(r->entries[0]));
    table->nr = r->nr;
    if (r->nr)
        memcpy(table->entries, r->entries, r->nr * sizeof(r->entries[0]));
    if (r->commit_fn)
        ret = r->commit_fn(r->opaque, table);
    g_free(table);
    if (ret == 0) {
        r->dirty = false;
        r->commits++;
    }
    return ret;
}
