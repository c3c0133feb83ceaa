/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueues, device side (VIRTIO 1.2, 2.7).  See virtqueue.h for the
 * rules every guest value is held to.
 *
 * Ring fields are read with single atomic loads: the guest may change them
 * at any time, and a value must not change between its check and its use.
 * Descriptors are copied field by field before they are looked at; indirect
 * tables are copied whole.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <linux/virtio_ring.h>

#include "qemu-vmm/virtqueue.h"

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* One device-visible piece of a chain while it is being walked. */
struct piece {
    uint8_t *host;
    uint64_t len;
    bool write;
    MemoryRegion *mr;
    uint64_t mr_offset;
};

/* One descriptor's guest range, for the overlap check. */
struct range {
    uint64_t start, end;
    bool write;
};

struct chain {
    GArray *pieces;     /* struct piece */
    GArray *ranges;     /* struct range */
    unsigned int out_num, in_num;
};

static int vq_fail(struct virtqueue *vq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int vq_fail(struct virtqueue *vq, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
    va_end(ap);
    vq->broken = true;
    return -EIO;
}

/* ---- ring fields ---- */

static uint16_t load16(const uint8_t *p, int order)
{
    return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static uint16_t avail_flags(struct virtqueue *vq)
{
    return load16(vq->avail.host, __ATOMIC_RELAXED);
}

/* Acquire: ring entries the driver wrote before the index are visible after it. */
static uint16_t avail_idx(struct virtqueue *vq)
{
    return load16(vq->avail.host + 2, __ATOMIC_ACQUIRE);
}

static uint16_t avail_ring(struct virtqueue *vq, uint16_t i)
{
    return load16(vq->avail.host + 4 + 2 * (uint64_t)(i & (vq->num - 1)), __ATOMIC_RELAXED);
}

static uint16_t used_event(struct virtqueue *vq)
{
    return load16(vq->avail.host + 4 + 2 * (uint64_t)vq->num, __ATOMIC_RELAXED);
}

static void used_store16(struct virtqueue *vq, uint64_t off, uint16_t val, int order)
{
    __atomic_store_n((uint16_t *)(vq->used.host + off), htole16(val), order);
    memory_region_set_dirty(vq->used.mr, vq->used.mr_offset + off, 2);
}

static void read_desc(const uint8_t *table, unsigned int i, struct desc *d)
{
    const uint8_t *p = table + 16 * (uint64_t)i;

    d->addr = le64toh(__atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED));
    d->len = le32toh(__atomic_load_n((const uint32_t *)(p + 8), __ATOMIC_RELAXED));
    d->flags = le16toh(__atomic_load_n((const uint16_t *)(p + 12), __ATOMIC_RELAXED));
    d->next = le16toh(__atomic_load_n((const uint16_t *)(p + 14), __ATOMIC_RELAXED));
}

/* ---- set-up ---- */

void virtqueue_init(struct virtqueue *vq, AddressSpace *as, unsigned int index,
                    uint16_t num_max)
{
    memset(vq, 0, sizeof(*vq));
    vq->as = as;
    vq->index = index;
    vq->num_max = num_max;
    virtqueue_reset(vq);
}

void virtqueue_reset(struct virtqueue *vq)
{
    AddressSpace *as = vq->as;
    unsigned int index = vq->index;
    uint16_t num_max = vq->num_max;

    memset(vq, 0, sizeof(*vq));
    vq->as = as;
    vq->index = index;
    vq->num_max = num_max;
    vq->num = num_max;
    vq->notification = true;
}

/* A ring area must lie inside one RAM section: it is used through one pointer. */
static int map_area(AddressSpace *as, uint64_t addr, uint64_t len, bool write,
                    struct virtq_area *a)
{
    const MemorySection *s;
    int ret = -EFAULT;

    if (len > as->size || addr > as->size - len)
        return -EFAULT;
    pthread_rwlock_rdlock(&as->lock);
    s = address_space_lookup(as, addr);
    if (s && s->mr->type == MR_RAM && !(write && s->mr->readonly) &&
        len <= s->addr + s->size - addr) {
        a->mr = s->mr;
        a->mr_offset = s->offset + (addr - s->addr);
        a->host = s->mr->host + a->mr_offset;
        ret = 0;
    }
    pthread_rwlock_unlock(&as->lock);
    return ret;
}

static void unmap_rings(struct virtqueue *vq)
{
    memset(&vq->desc, 0, sizeof(vq->desc));
    memset(&vq->avail, 0, sizeof(vq->avail));
    memset(&vq->used, 0, sizeof(vq->used));
}

/* Check num and the ring addresses, and map the rings; vq->error says why not. */
static int map_rings(struct virtqueue *vq)
{
    uint16_t num = vq->num;

    if (!num || num > vq->num_max || (num & (num - 1))) {
        snprintf(vq->error, sizeof(vq->error),
                 "queue %u: size %u is not a power of 2 between 1 and %u",
                 vq->index, num, vq->num_max);
        return -EINVAL;
    }
    if (vq->desc_addr % 16 || vq->avail_addr % 2 || vq->used_addr % 4) {
        snprintf(vq->error, sizeof(vq->error),
                 "queue %u: misaligned rings (desc 0x%" PRIx64 ", driver 0x%" PRIx64
                 ", device 0x%" PRIx64 ")", vq->index, vq->desc_addr, vq->avail_addr,
                 vq->used_addr);
        return -EINVAL;
    }
    if (map_area(vq->as, vq->desc_addr, VIRTQ_DESC_SIZE(num), false, &vq->desc) < 0 ||
        map_area(vq->as, vq->avail_addr, VIRTQ_AVAIL_SIZE(num), false, &vq->avail) < 0 ||
        map_area(vq->as, vq->used_addr, VIRTQ_USED_SIZE(num), true, &vq->used) < 0) {
        snprintf(vq->error, sizeof(vq->error),
                 "queue %u: rings (desc 0x%" PRIx64 ", driver 0x%" PRIx64 ", device 0x%"
                 PRIx64 ", size %u) are not in guest RAM", vq->index, vq->desc_addr,
                 vq->avail_addr, vq->used_addr, num);
        unmap_rings(vq);
        return -EFAULT;
    }
    return 0;
}

int virtqueue_enable(struct virtqueue *vq, bool event_idx, bool indirect)
{
    int ret = map_rings(vq);

    if (ret < 0)
        return ret;
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->signalled_used_valid = false;
    vq->notification = true;
    vq->ready = true;
    return 0;
}

/* ---- migration ---- */

void virtqueue_get_state(const struct virtqueue *vq, struct virtqueue_state *st)
{
    *st = (struct virtqueue_state){
        .num = vq->num,
        .ready = vq->ready,
        .desc_addr = vq->desc_addr,
        .avail_addr = vq->avail_addr,
        .used_addr = vq->used_addr,
        .last_avail_idx = vq->last_avail_idx,
        .used_idx = vq->used_idx,
        .signalled_used = vq->signalled_used,
        .signalled_used_valid = vq->signalled_used_valid,
        .notification = vq->notification,
        .broken = vq->broken,
    };
}

int virtqueue_set_state(struct virtqueue *vq, const struct virtqueue_state *st,
                        bool event_idx, bool indirect)
{
    int ret;

    virtqueue_reset(vq);
    vq->num = st->num;
    vq->desc_addr = st->desc_addr;
    vq->avail_addr = st->avail_addr;
    vq->used_addr = st->used_addr;
    if (!st->ready)
        return 0;
    ret = map_rings(vq);
    if (ret < 0)
        return ret;
    /* nothing is in flight after a drain: every chain taken was used, or given back */
    if ((uint16_t)(st->last_avail_idx - st->used_idx) > st->num) {
        snprintf(vq->error, sizeof(vq->error),
                 "queue %u: %u chains taken but not used (last avail %u, used %u) "
                 "in a queue of %u", vq->index,
                 (uint16_t)(st->last_avail_idx - st->used_idx), st->last_avail_idx,
                 st->used_idx, st->num);
        unmap_rings(vq);
        return -EINVAL;
    }
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail_idx = st->last_avail_idx;
    vq->used_idx = st->used_idx;
    vq->signalled_used = st->signalled_used;
    vq->signalled_used_valid = st->signalled_used_valid;
    vq->notification = st->notification;
    vq->broken = st->broken;
    if (st->broken)
        snprintf(vq->error, sizeof(vq->error), "queue %u: broken before migration",
                 vq->index);
    vq->ready = true;
    return 0;
}

/* ---- taking chains ---- */

/*
 * Translate one descriptor's buffer into pieces of guest RAM.  A buffer may
 * span RAM regions (one piece each) but every byte must be RAM, and
 * writable RAM if the device is to write it.
 */
static int map_buffer(struct virtqueue *vq, const struct desc *d, struct chain *c)
{
    AddressSpace *as = vq->as;
    bool write = d->flags & VRING_DESC_F_WRITE;
    uint64_t done = 0;
    int ret = 0;

    if (d->len > as->size || d->addr > as->size - d->len)
        return -EFAULT;
    pthread_rwlock_rdlock(&as->lock);
    while (done < d->len) {
        const MemorySection *s = address_space_lookup(as, d->addr + done);
        struct piece p;
        uint64_t off;

        if (!s || s->mr->type != MR_RAM || (write && s->mr->readonly)) {
            ret = -EFAULT;
            break;
        }
        off = s->offset + (d->addr + done - s->addr);
        p.host = s->mr->host + off;
        p.len = MIN(d->len - done, s->addr + s->size - (d->addr + done));
        p.write = write;
        p.mr = s->mr;
        p.mr_offset = off;
        g_array_append_val(c->pieces, p);
        if (write)
            c->in_num++;
        else
            c->out_num++;
        done += p.len;
    }
    pthread_rwlock_unlock(&as->lock);
    return ret;
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

static bool ranges_meet(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
    return s1 < e2 && s2 < e1;
}

/*
 * A buffer the device writes must not alias one it reads (the request
 * would change under the device) or the queue's own rings.  Readable
 * buffers may overlap each other, and so may writable ones: a guest may
 * legitimately pass the same page twice in one direction.
 */
static int check_overlaps(struct virtqueue *vq, struct chain *c)
{
    struct range *r = (struct range *)c->ranges->data;
    uint64_t end_read = 0, end_write = 0;

    qsort(r, c->ranges->len, sizeof(*r), range_cmp);
    for (guint i = 0; i < c->ranges->len; i++) {
        if (r[i].start < (r[i].write ? end_read : end_write))
            return vq_fail(vq, "queue %u: device-writable buffer at 0x%" PRIx64
                           " overlaps a device-readable one", vq->index, r[i].start);
        if (r[i].write) {
            end_write = MAX(end_write, r[i].end);
            if (ranges_meet(r[i].start, r[i].end, vq->desc_addr,
                            vq->desc_addr + VIRTQ_DESC_SIZE(vq->num)) ||
                ranges_meet(r[i].start, r[i].end, vq->avail_addr,
                            vq->avail_addr + VIRTQ_AVAIL_SIZE(vq->num)) ||
                ranges_meet(r[i].start, r[i].end, vq->used_addr,
                            vq->used_addr + VIRTQ_USED_SIZE(vq->num)))
                return vq_fail(vq, "queue %u: device-writable buffer at 0x%" PRIx64
                               " overlaps the queue's rings", vq->index, r[i].start);
        } else {
            end_read = MAX(end_read, r[i].end);
        }
    }
    return 0;
}

static struct virtq_elem *build_elem(uint16_t head, struct chain *c)
{
    size_t size = sizeof(struct virtq_elem) +
                  (c->out_num + c->in_num) * sizeof(struct iovec) +
                  c->in_num * sizeof(struct virtq_dirty);
    struct virtq_elem *e = g_malloc0(size);
    unsigned int o = 0, i = 0;

    e->head = head;
    e->out_num = c->out_num;
    e->in_num = c->in_num;
    e->out_sg = (struct iovec *)(e + 1);
    e->in_sg = e->out_sg + c->out_num;
    e->in_dirty = (struct virtq_dirty *)(e->in_sg + c->in_num);
    for (guint k = 0; k < c->pieces->len; k++) {
        struct piece *p = &g_array_index(c->pieces, struct piece, k);

        if (p->write) {
            e->in_sg[i] = (struct iovec){ p->host, p->len };
            e->in_dirty[i] = (struct virtq_dirty){ p->mr, p->mr_offset };
            e->in_len += p->len;
            i++;
        } else {
            e->out_sg[o++] = (struct iovec){ p->host, p->len };
            e->out_len += p->len;
        }
    }
    return e;
}

/* Copy the indirect table d points to, after checking it. */
static int fetch_indirect(struct virtqueue *vq, const struct desc *d, uint8_t **table,
                          unsigned int *n)
{
    if (!vq->indirect)
        return vq_fail(vq, "queue %u: indirect descriptor without VIRTIO_F_INDIRECT_DESC",
                       vq->index);
    if (d->flags & VRING_DESC_F_NEXT)
        return vq_fail(vq, "queue %u: indirect descriptor with VRING_DESC_F_NEXT",
                       vq->index);
    if (d->len == 0 || d->len % 16)
        return vq_fail(vq, "queue %u: indirect table of %u bytes (not a non-zero "
                       "multiple of 16)", vq->index, d->len);
    if (d->len / 16 > vq->num)
        return vq_fail(vq, "queue %u: indirect table of %u entries, more than the "
                       "queue size %u", vq->index, d->len / 16, vq->num);
    *n = d->len / 16;
    *table = g_malloc(d->len);
    if (address_space_read(vq->as, d->addr, *table, d->len) < 0)
        return vq_fail(vq, "queue %u: indirect table at 0x%" PRIx64 " (+%u) is not in "
                       "guest RAM", vq->index, d->addr, d->len);
    return 0;
}

static int walk_chain(struct virtqueue *vq, uint16_t head, struct chain *c)
{
    g_autofree uint8_t *indirect = NULL;
    const uint8_t *table = vq->desc.host;
    unsigned int table_n = vq->num, count = 0;
    bool in_indirect = false, seen_write = false;
    struct desc d;
    int ret;

    read_desc(table, head, &d);
    if (d.flags & VRING_DESC_F_INDIRECT) {
        ret = fetch_indirect(vq, &d, &indirect, &table_n);
        if (ret < 0)
            return ret;
        table = indirect;
        in_indirect = true;
        read_desc(table, 0, &d);
    }
    for (;;) {
        struct range r;

        /* every index is < table_n, so a longer chain must revisit one: a loop */
        if (++count > table_n)
            return vq_fail(vq, "queue %u: chain at head %u is longer than %u "
                           "descriptors (a loop)", vq->index, head, table_n);
        if (d.flags & VRING_DESC_F_INDIRECT)
            return vq_fail(vq, in_indirect ?
                           "queue %u: indirect descriptor inside an indirect table" :
                           "queue %u: indirect descriptor not at the head of a chain",
                           vq->index);
        if (d.len == 0)
            return vq_fail(vq, "queue %u: zero-length buffer in chain at head %u",
                           vq->index, head);
        if (!(d.flags & VRING_DESC_F_WRITE) && seen_write)
            return vq_fail(vq, "queue %u: device-readable buffer after a device-"
                           "writable one in chain at head %u", vq->index, head);
        seen_write |= d.flags & VRING_DESC_F_WRITE;
        if (map_buffer(vq, &d, c) < 0)
            return vq_fail(vq, "queue %u: buffer 0x%" PRIx64 " (+%u) is not in %sguest "
                           "RAM", vq->index, d.addr, d.len,
                           d.flags & VRING_DESC_F_WRITE ? "writable " : "");
        r = (struct range){ d.addr, d.addr + d.len, d.flags & VRING_DESC_F_WRITE };
        g_array_append_val(c->ranges, r);
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (d.next >= table_n)
            return vq_fail(vq, "queue %u: next index %u is out of a table of %u",
                           vq->index, d.next, table_n);
        read_desc(table, d.next, &d);
    }
    return check_overlaps(vq, c);
}

int virtqueue_pop(struct virtqueue *vq, struct virtq_elem **elem)
{
    struct chain c;
    uint16_t avail, head;
    int ret;

    if (vq->broken)
        return -EIO;
    if (!vq->ready)
        return 0;
    avail = avail_idx(vq);
    if ((uint16_t)(avail - vq->last_avail_idx) > vq->num)
        return vq_fail(vq, "queue %u: avail index %u is more than the queue size %u "
                       "ahead of %u", vq->index, avail, vq->num, vq->last_avail_idx);
    if (avail == vq->last_avail_idx)
        return 0;
    head = avail_ring(vq, vq->last_avail_idx);
    if (head >= vq->num)
        return vq_fail(vq, "queue %u: head index %u is out of a queue of %u",
                       vq->index, head, vq->num);

    c.pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
    c.ranges = g_array_new(FALSE, FALSE, sizeof(struct range));
    c.out_num = c.in_num = 0;
    ret = walk_chain(vq, head, &c);
    if (ret == 0)
        *elem = build_elem(head, &c);
    g_array_free(c.pieces, TRUE);
    g_array_free(c.ranges, TRUE);
    if (ret < 0)
        return ret;

    vq->last_avail_idx++;
    /* with EVENT_IDX, the next kick we want is for the entry after this one */
    if (vq->event_idx && vq->notification)
        used_store16(vq, 4 + 8 * (uint64_t)vq->num, vq->last_avail_idx, __ATOMIC_RELAXED);
    return 1;
}

void virtqueue_unpop(struct virtqueue *vq, struct virtq_elem *elem)
{
    (void)elem;
    vq->last_avail_idx--;
}

void virtqueue_elem_free(struct virtq_elem *elem)
{
    g_free(elem);
}

/* ---- giving them back ---- */

static void mark_written(const struct virtq_elem *elem, uint64_t len)
{
    for (unsigned int i = 0; i < elem->in_num && len; i++) {
        uint64_t n = MIN(len, elem->in_sg[i].iov_len);

        memory_region_set_dirty(elem->in_dirty[i].mr, elem->in_dirty[i].offset, n);
        len -= n;
    }
}

void virtqueue_fill(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len,
                    unsigned int idx)
{
    uint64_t off;
    uint8_t *e;

    if (!vq->ready)
        return;
    mark_written(elem, MIN((uint64_t)len, elem->in_len));
    off = 4 + 8 * (uint64_t)((uint16_t)(vq->used_idx + idx) & (vq->num - 1));
    e = vq->used.host + off;
    __atomic_store_n((uint32_t *)e, htole32(elem->head), __ATOMIC_RELAXED);
    __atomic_store_n((uint32_t *)(e + 4), htole32(len), __ATOMIC_RELAXED);
    memory_region_set_dirty(vq->used.mr, vq->used.mr_offset + off, 8);
}

void virtqueue_flush(struct virtqueue *vq, unsigned int count)
{
    if (!vq->ready)
        return;
    vq->used_idx += count;
    /* release: the entries (and the data) are visible before the index */
    used_store16(vq, 2, vq->used_idx, __ATOMIC_RELEASE);
}

void virtqueue_push(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

/* ---- notifications ---- */

bool virtqueue_empty(struct virtqueue *vq)
{
    if (!vq->ready || vq->broken)
        return true;
    return avail_idx(vq) == vq->last_avail_idx;
}

void virtqueue_set_notification(struct virtqueue *vq, bool enable)
{
    vq->notification = enable;
    if (!vq->ready)
        return;
    if (vq->event_idx) {
        /* disabling is leaving avail_event behind: the driver's index passes it */
        if (enable)
            used_store16(vq, 4 + 8 * (uint64_t)vq->num, avail_idx(vq), __ATOMIC_RELAXED);
    } else {
        used_store16(vq, 0, enable ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
    }
    /* the flag is visible before we look at the avail index again */
    if (enable)
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtqueue_should_notify(struct virtqueue *vq)
{
    uint16_t old, new_idx;
    bool valid;

    if (!vq->ready)
        return false;
    /* our used->idx store is visible before we read the driver's wishes */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vq->event_idx)
        return !(avail_flags(vq) & VRING_AVAIL_F_NO_INTERRUPT);
    old = vq->signalled_used;
    valid = vq->signalled_used_valid;
    new_idx = vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    return !valid || virtq_need_event(used_event(vq), new_idx, old);
}
