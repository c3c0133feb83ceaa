/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address spaces, regions and their flat views; see include/qemu-vmm/memory.h.
 *
 * Layout changes (map/unmap) are made from the main thread only.  vCPU
 * threads dispatch under the read side of as->lock, so a device callback
 * must never map or unmap a region (it would deadlock on the write side).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/memory.h"

#define UNOWNED_LOG_MAX 1024

AddressSpace *address_space_new(const char *name, uint64_t size, bool is_pio)
{
    AddressSpace *as = g_new0(AddressSpace, 1);

    as->name = g_strdup(name);
    as->size = size;
    as->is_pio = is_pio;
    as->regions = g_ptr_array_new();
    as->listeners = g_ptr_array_new();
    as->unowned_logged = g_hash_table_new(g_int64_hash, g_int64_equal);
    pthread_rwlock_init(&as->lock, NULL);
    pthread_mutex_init(&as->unowned_lock, NULL);
    return as;
}

void address_space_free(AddressSpace *as)
{
    if (!as)
        return;
    while (as->regions->len)
        memory_region_unmap(g_ptr_array_index(as->regions, 0));
    g_ptr_array_free(as->regions, TRUE);
    g_ptr_array_free(as->listeners, TRUE);
    g_hash_table_destroy(as->unowned_logged);
    g_free(as->view);
    g_free(as->name);
    g_free(as);
}

static MemoryRegion *region_alloc(const char *name, enum mr_type type, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    mr->name = g_strdup(name);
    mr->type = type;
    mr->size = size;
    return mr;
}

MemoryRegion *memory_region_new_ram_ptr(const char *name, uint64_t size, void *host)
{
    MemoryRegion *mr = region_alloc(name, MR_RAM, size);

    mr->host = host;
    mr->dirty = bitmap_new(size >> VMM_PAGE_SHIFT);
    return mr;
}

void *guest_ram_alloc(uint64_t size, GError **errp)
{
    /* NORESERVE: guest RAM is touched on demand; untouched RAM costs nothing */
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (host == MAP_FAILED) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot allocate %" PRIu64 " MiB of guest RAM: %s",
                    size >> 20, strerror(errno));
        return NULL;
    }
    return host;
}

MemoryRegion *memory_region_new_ram(const char *name, uint64_t size, GError **errp)
{
    void *host = guest_ram_alloc(size, errp);

    return host ? memory_region_new_ram_ptr(name, size, host) : NULL;
}

MemoryRegion *memory_region_new_io(const char *name, uint64_t size,
                                   const MemoryRegionOps *ops, void *opaque)
{
    MemoryRegion *mr = region_alloc(name, MR_IO, size);

    mr->ops = ops;
    mr->opaque = opaque;
    mr->eventfds = g_array_new(FALSE, TRUE, sizeof(struct mr_eventfd));
    return mr;
}

MemoryRegion *memory_region_map_io(AddressSpace *as, const char *name, uint64_t base,
                                   uint64_t size, const MemoryRegionOps *ops,
                                   void *opaque, GError **errp)
{
    MemoryRegion *mr = memory_region_new_io(name, size, ops, opaque);
    int ret = memory_region_map(as, mr, base, 0);

    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot map %s at 0x%" PRIx64 ": %s", name, base, g_strerror(-ret));
        memory_region_free(mr);
        return NULL;
    }
    return mr;
}

void memory_region_free(MemoryRegion *mr)
{
    if (!mr)
        return;
    if (mr->as)
        memory_region_unmap(mr);
    if (mr->eventfds)
        g_array_free(mr->eventfds, TRUE);
    bitmap_free(mr->dirty);
    g_free(mr->name);
    g_free(mr);
}

/* ---- flat view ---- */

static bool region_beats(const MemoryRegion *a, const MemoryRegion *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    return a->seq > b->seq;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Paint the regions by priority into sorted, merged sections. */
static MemorySection *build_view(GPtrArray *regions, size_t *len_out)
{
    size_t nb = regions->len * 2, n = 0;
    uint64_t *bounds = g_new(uint64_t, nb ? nb : 1);
    GArray *view = g_array_new(FALSE, FALSE, sizeof(MemorySection));

    for (guint i = 0; i < regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(regions, i);

        bounds[2 * i] = mr->addr;
        bounds[2 * i + 1] = mr->addr + mr->size;
    }
    qsort(bounds, nb, sizeof(*bounds), cmp_u64);
    for (size_t i = 0; i < nb; i++)
        if (n == 0 || bounds[n - 1] != bounds[i])
            bounds[n++] = bounds[i];

    for (size_t i = 0; i + 1 < n; i++) {
        uint64_t lo = bounds[i], hi = bounds[i + 1];
        MemoryRegion *top = NULL;

        for (guint r = 0; r < regions->len; r++) {
            MemoryRegion *mr = g_ptr_array_index(regions, r);

            if (mr->addr <= lo && hi <= mr->addr + mr->size &&
                (!top || region_beats(mr, top)))
                top = mr;
        }
        if (!top)
            continue;
        if (view->len) {
            MemorySection *last = &g_array_index(view, MemorySection, view->len - 1);

            if (last->mr == top && last->addr + last->size == lo) {
                last->size += hi - lo;
                continue;
            }
        }
        g_array_append_val(view, ((MemorySection){
            .mr = top, .offset = lo - top->addr, .addr = lo, .size = hi - lo }));
    }
    g_free(bounds);
    *len_out = view->len;
    return (MemorySection *)g_array_free(view, FALSE);
}

static bool section_in(const MemorySection *s, const MemorySection *view, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!memcmp(&view[i], s, sizeof(*s)))
            return true;
    return false;
}

static void notify_del(AddressSpace *as, const MemorySection *s)
{
    for (guint i = as->listeners->len; i-- > 0;) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);

        if (l->region_del)
            l->region_del(l, s);
    }
}

static int notify_add(AddressSpace *as, const MemorySection *s)
{
    for (guint i = 0; i < as->listeners->len; i++) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);
        int ret = l->region_add ? l->region_add(l, s) : 0;

        if (ret < 0) {
            /* undo for the listeners that took it */
            while (i-- > 0) {
                l = g_ptr_array_index(as->listeners, i);
                if (l->region_del)
                    l->region_del(l, s);
            }
            return ret;
        }
    }
    return 0;
}

/*
 * Move the listeners from the current view to one built from as->regions.
 * Sections that vanish are deleted first, then new ones added (a slot must
 * be freed before the range can be reused).  On an add failure the old view
 * is restored and the error returned.
 */
static int update_view(AddressSpace *as)
{
    size_t new_len, i;
    MemorySection *new_view = build_view(as->regions, &new_len);
    MemorySection *old_view = as->view;
    size_t old_len = as->view_len;
    int ret = 0;

    for (i = 0; i < old_len; i++)
        if (!section_in(&old_view[i], new_view, new_len))
            notify_del(as, &old_view[i]);
    for (i = 0; i < new_len; i++) {
        if (section_in(&new_view[i], old_view, old_len))
            continue;
        ret = notify_add(as, &new_view[i]);
        if (ret < 0)
            break;
    }
    if (ret < 0) {
        /* roll back: drop what was added, re-add what was removed */
        while (i-- > 0)
            if (!section_in(&new_view[i], old_view, old_len))
                notify_del(as, &new_view[i]);
        for (i = 0; i < old_len; i++)
            if (!section_in(&old_view[i], new_view, new_len))
                notify_add(as, &old_view[i]);
        g_free(new_view);
        return ret;
    }
    pthread_rwlock_wrlock(&as->lock);
    as->view = new_view;
    as->view_len = new_len;
    pthread_rwlock_unlock(&as->lock);
    g_free(old_view);
    return 0;
}

static int add_region_extras(AddressSpace *as, MemoryRegion *mr);
static void del_region_extras(AddressSpace *as, MemoryRegion *mr);

int memory_region_map(AddressSpace *as, MemoryRegion *mr, uint64_t addr, int priority)
{
    int ret;

    if (mr->as)
        return -EBUSY;
    if (!mr->size || addr > as->size || mr->size > as->size - addr)
        return -EINVAL;
    mr->as = as;
    mr->addr = addr;
    mr->priority = priority;
    mr->seq = as->next_seq++;
    g_ptr_array_add(as->regions, mr);
    ret = update_view(as);
    if (ret == 0)
        ret = add_region_extras(as, mr);
    if (ret < 0) {
        g_ptr_array_remove(as->regions, mr);
        update_view(as);
        mr->as = NULL;
    }
    return ret;
}

void memory_region_unmap(MemoryRegion *mr)
{
    AddressSpace *as = mr->as;

    if (!as)
        return;
    del_region_extras(as, mr);
    g_ptr_array_remove(as->regions, mr);
    update_view(as);
    mr->as = NULL;
}

/* ---- eventfds and coalescing: they follow regions, not sections ---- */

static int eventfd_notify_add(AddressSpace *as, MemoryRegion *mr,
                              const struct mr_eventfd *e)
{
    for (guint i = 0; i < as->listeners->len; i++) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);
        int ret = l->eventfd_add ? l->eventfd_add(l, as, mr->addr + e->offset, e) : 0;

        if (ret < 0) {
            while (i-- > 0) {
                l = g_ptr_array_index(as->listeners, i);
                if (l->eventfd_del)
                    l->eventfd_del(l, as, mr->addr + e->offset, e);
            }
            return ret;
        }
    }
    return 0;
}

static void eventfd_notify_del(AddressSpace *as, MemoryRegion *mr,
                               const struct mr_eventfd *e)
{
    for (guint i = 0; i < as->listeners->len; i++) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);

        if (l->eventfd_del)
            l->eventfd_del(l, as, mr->addr + e->offset, e);
    }
}

static MemorySection region_section(MemoryRegion *mr)
{
    return (MemorySection){ .mr = mr, .offset = 0, .addr = mr->addr, .size = mr->size };
}

static int add_region_extras(AddressSpace *as, MemoryRegion *mr)
{
    MemorySection whole = region_section(mr);
    guint i;
    int ret = 0;

    if (mr->type != MR_IO)
        return 0;
    for (i = 0; i < mr->eventfds->len; i++) {
        ret = eventfd_notify_add(as, mr, &g_array_index(mr->eventfds, struct mr_eventfd, i));
        if (ret < 0)
            goto undo;
    }
    if (mr->coalesced) {
        for (guint j = 0; j < as->listeners->len; j++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, j);

            /* coalescing is an optimisation: a failure only costs speed */
            if (l->coalesced_add && l->coalesced_add(l, as, &whole) < 0)
                warn_report("%s: writes will not be coalesced", mr->name);
        }
    }
    return 0;
undo:
    while (i-- > 0)
        eventfd_notify_del(as, mr, &g_array_index(mr->eventfds, struct mr_eventfd, i));
    return ret;
}

static void del_region_extras(AddressSpace *as, MemoryRegion *mr)
{
    MemorySection whole = region_section(mr);

    if (mr->type != MR_IO)
        return;
    for (guint i = 0; i < mr->eventfds->len; i++)
        eventfd_notify_del(as, mr, &g_array_index(mr->eventfds, struct mr_eventfd, i));
    if (mr->coalesced) {
        for (guint j = 0; j < as->listeners->len; j++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, j);

            if (l->coalesced_del)
                l->coalesced_del(l, as, &whole);
        }
    }
}

int memory_region_add_eventfd(MemoryRegion *mr, uint64_t offset, unsigned size,
                              bool match_data, uint64_t data, int fd)
{
    struct mr_eventfd e = {
        .offset = offset, .size = size, .match_data = match_data,
        .data = data, .fd = fd,
    };
    int ret = 0;

    if (mr->type != MR_IO || offset >= mr->size || size > mr->size - offset ||
        (size != 1 && size != 2 && size != 4 && size != 8))
        return -EINVAL;
    if (mr->as) {
        ret = eventfd_notify_add(mr->as, mr, &e);
        if (ret < 0)
            return ret;
    }
    g_array_append_val(mr->eventfds, e);
    return 0;
}

void memory_region_del_eventfd(MemoryRegion *mr, uint64_t offset, unsigned size,
                               bool match_data, uint64_t data, int fd)
{
    for (guint i = 0; i < mr->eventfds->len; i++) {
        struct mr_eventfd *e = &g_array_index(mr->eventfds, struct mr_eventfd, i);

        if (e->offset == offset && e->size == size && e->match_data == match_data &&
            (!match_data || e->data == data) && e->fd == fd) {
            if (mr->as)
                eventfd_notify_del(mr->as, mr, e);
            g_array_remove_index(mr->eventfds, i);
            return;
        }
    }
}

/* ---- listeners ---- */

int address_space_add_listener(AddressSpace *as, MemoryListener *l)
{
    g_ptr_array_add(as->listeners, l);
    for (size_t i = 0; i < as->view_len; i++) {
        int ret = l->region_add ? l->region_add(l, &as->view[i]) : 0;

        if (ret < 0) {
            while (i-- > 0)
                if (l->region_del)
                    l->region_del(l, &as->view[i]);
            g_ptr_array_remove(as->listeners, l);
            return ret;
        }
    }
    for (guint r = 0; r < as->regions->len; r++) {
        MemoryRegion *mr = g_ptr_array_index(as->regions, r);

        if (mr->type != MR_IO || !l->eventfd_add)
            continue;
        for (guint i = 0; i < mr->eventfds->len; i++) {
            struct mr_eventfd *e = &g_array_index(mr->eventfds, struct mr_eventfd, i);
            int ret = l->eventfd_add(l, as, mr->addr + e->offset, e);

            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

void address_space_remove_listener(AddressSpace *as, MemoryListener *l)
{
    for (size_t i = 0; i < as->view_len; i++)
        if (l->region_del)
            l->region_del(l, &as->view[i]);
    g_ptr_array_remove(as->listeners, l);
}

/* ---- dispatch ---- */

static int section_cmp(const void *key, const void *elem)
{
    uint64_t addr = *(const uint64_t *)key;
    const MemorySection *s = elem;

    if (addr < s->addr)
        return -1;
    if (addr >= s->addr + s->size)
        return 1;
    return 0;
}

const MemorySection *address_space_lookup(AddressSpace *as, uint64_t addr)
{
    if (!as->view_len)
        return NULL;    /* bsearch() on an empty (NULL) view is undefined */
    return bsearch(&addr, as->view, as->view_len, sizeof(MemorySection), section_cmp);
}

static void log_unowned(AddressSpace *as, uint64_t addr, unsigned size, bool write)
{
    gint64 *key;

    if (!log_enabled(LOG_UNIMP))
        return;
    pthread_mutex_lock(&as->unowned_lock);
    if (g_hash_table_size(as->unowned_logged) < UNOWNED_LOG_MAX &&
        !g_hash_table_contains(as->unowned_logged, &addr)) {
        key = g_new(gint64, 1);
        *key = addr;
        g_hash_table_add(as->unowned_logged, key);
        vmm_log(LOG_UNIMP, "%s: unowned %u-byte %s at 0x%" PRIx64 " (logged once)",
                as->name, size, write ? "write" : "read", addr);
    }
    pthread_mutex_unlock(&as->unowned_lock);
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/*
 * Which section serves [addr, addr+size)?  NULL if unowned, straddling two
 * sections, or a width/alignment the device does not accept.
 */
static const MemorySection *access_section(AddressSpace *as, uint64_t addr,
                                           unsigned size, bool write)
{
    const MemorySection *s = address_space_lookup(as, addr);
    unsigned valid;

    if (!s || size > s->addr + s->size - addr) {
        log_unowned(as, addr, size, write);
        return NULL;
    }
    if (s->mr->type == MR_IO) {
        valid = s->mr->ops->valid_sizes ? s->mr->ops->valid_sizes : ACCESS_ANY;
        if (!(valid & size) || (!s->mr->ops->unaligned_ok && (addr & (size - 1)))) {
            vmm_log(LOG_GUEST_ERROR, "%s: invalid %u-byte %s at 0x%" PRIx64 " ignored",
                    s->mr->name, size, write ? "write" : "read", addr);
            return NULL;
        }
    }
    return s;
}

uint64_t address_space_read_io(AddressSpace *as, uint64_t addr, unsigned size)
{
    const MemorySection *s;
    uint64_t val;

    if (size != 1 && size != 2 && size != 4 && size != 8)
        return 0;
    pthread_rwlock_rdlock(&as->lock);
    s = access_section(as, addr, size, false);
    if (!s) {
        val = as->is_pio ? size_mask(size) : 0;
    } else if (s->mr->type == MR_RAM) {
        val = 0;
        memcpy(&val, s->mr->host + s->offset + (addr - s->addr), size);
    } else if (s->mr->ops->read) {
        val = s->mr->ops->read(s->mr->opaque, s->offset + (addr - s->addr), size) &
              size_mask(size);
    } else {
        val = 0;
    }
    pthread_rwlock_unlock(&as->lock);
    return val;
}

void address_space_write_io(AddressSpace *as, uint64_t addr, uint64_t value,
                            unsigned size)
{
    const MemorySection *s;

    if (size != 1 && size != 2 && size != 4 && size != 8)
        return;
    pthread_rwlock_rdlock(&as->lock);
    s = access_section(as, addr, size, true);
    if (s && s->mr->type == MR_RAM) {
        /* a write KVM could not do itself: read-only memory stays untouched */
        if (!s->mr->readonly) {
            memcpy(s->mr->host + s->offset + (addr - s->addr), &value, size);
            memory_region_set_dirty(s->mr, s->offset + (addr - s->addr), size);
        }
    } else if (s && s->mr->ops->write) {
        s->mr->ops->write(s->mr->opaque, s->offset + (addr - s->addr),
                          value & size_mask(size), size);
    }
    pthread_rwlock_unlock(&as->lock);
}

/* Walk [addr, addr+len) through RAM sections; -EFAULT if any part is not RAM. */
static int ram_rw(AddressSpace *as, uint64_t addr, void *buf, uint64_t len, bool write)
{
    uint64_t done;
    int ret = 0;

    if (len > as->size || addr > as->size - len)
        return -EFAULT;
    pthread_rwlock_rdlock(&as->lock);
    /* check first, so that a failed access copies nothing */
    for (done = 0; done < len;) {
        const MemorySection *s = address_space_lookup(as, addr + done);

        if (!s || s->mr->type != MR_RAM || (write && s->mr->readonly)) {
            ret = -EFAULT;
            goto out;
        }
        done += MIN(len - done, s->addr + s->size - (addr + done));
    }
    for (done = 0; done < len;) {
        const MemorySection *s = address_space_lookup(as, addr + done);
        uint64_t off = s->offset + (addr + done - s->addr);
        uint64_t n = MIN(len - done, s->addr + s->size - (addr + done));

        if (write) {
            memcpy(s->mr->host + off, (const uint8_t *)buf + done, n);
            memory_region_set_dirty(s->mr, off, n);
        } else {
            memcpy((uint8_t *)buf + done, s->mr->host + off, n);
        }
        done += n;
    }
out:
    pthread_rwlock_unlock(&as->lock);
    return ret;
}

int address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len)
{
    return ram_rw(as, addr, buf, len, false);
}

int address_space_write(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len)
{
    return ram_rw(as, addr, (void *)buf, len, true);
}

void *address_space_host_ptr(AddressSpace *as, uint64_t addr, uint64_t len)
{
    const MemorySection *s;
    void *p = NULL;

    pthread_rwlock_rdlock(&as->lock);
    s = address_space_lookup(as, addr);
    if (s && s->mr->type == MR_RAM && len <= s->addr + s->size - addr)
        p = s->mr->host + s->offset + (addr - s->addr);
    pthread_rwlock_unlock(&as->lock);
    return p;
}

/* ---- dirty tracking ---- */

void memory_region_set_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len)
{
    uint64_t first, last;

    if (!mr->dirty || !len || offset >= mr->size)
        return;
    len = MIN(len, mr->size - offset);
    first = offset >> VMM_PAGE_SHIFT;
    last = (offset + len - 1) >> VMM_PAGE_SHIFT;
    bitmap_set_range_atomic(mr->dirty, first, last - first + 1);
}

/* Tell every listener that logging starts (or stops) on each RAM section. */
static void notify_log_change(AddressSpace *as, bool start)
{
    for (size_t i = 0; i < as->view_len; i++) {
        if (as->view[i].mr->type != MR_RAM)
            continue;
        for (guint j = 0; j < as->listeners->len; j++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, j);

            if (start && l->log_start)
                l->log_start(l, &as->view[i]);
            else if (!start && l->log_stop)
                l->log_stop(l, &as->view[i]);
        }
    }
}

void memory_global_dirty_log_start(AddressSpace *as)
{
    if (as->log_dirty)
        return;
    as->log_dirty = true;
    notify_log_change(as, true);
}

void memory_global_dirty_log_stop(AddressSpace *as)
{
    if (!as->log_dirty)
        return;
    notify_log_change(as, false);
    as->log_dirty = false;
}

int memory_global_dirty_log_sync(AddressSpace *as)
{
    for (size_t i = 0; i < as->view_len; i++) {
        if (as->view[i].mr->type != MR_RAM)
            continue;
        for (guint j = 0; j < as->listeners->len; j++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, j);
            int ret = l->log_sync ? l->log_sync(l, &as->view[i]) : 0;

            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

int memory_region_take_dirty(MemoryRegion *mr, uint64_t offset, uint64_t len,
                             unsigned long *out)
{
    AddressSpace *as = mr->as;
    uint64_t first, npages;
    unsigned long *tmp = NULL;

    if (mr->type != MR_RAM || offset >= mr->size || len > mr->size - offset ||
        (offset | len) & (VMM_PAGE_SIZE - 1))
        return -EINVAL;
    first = offset >> VMM_PAGE_SHIFT;
    npages = len >> VMM_PAGE_SHIFT;
    if (!out)
        out = tmp = bitmap_new(npages);
    bitmap_test_and_clear_to(out, mr->dirty, first, npages);
    g_free(tmp);
    if (!as)
        return 0;
    /* re-arm KVM tracking for the pages of every section inside the range */
    for (size_t i = 0; i < as->view_len; i++) {
        const MemorySection *s = &as->view[i];
        uint64_t lo, hi;
        MemorySection part;

        if (s->mr != mr)
            continue;
        lo = MAX(s->offset, offset);
        hi = MIN(s->offset + s->size, offset + len);
        if (lo >= hi)
            continue;
        part = (MemorySection){ .mr = mr, .offset = lo,
                                .addr = s->addr + (lo - s->offset), .size = hi - lo };
        for (guint j = 0; j < as->listeners->len; j++) {
            MemoryListener *l = g_ptr_array_index(as->listeners, j);
            int ret = l->log_clear ? l->log_clear(l, &part) : 0;

            if (ret < 0)
                return ret;
        }
    }
    return 0;
}
