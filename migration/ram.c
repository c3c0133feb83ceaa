/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RAM in the migration stream: the layout record, and pages in runs of up
 * to PAGES_PER_RECORD with a zero-page bitmap (a zero page costs one bit).
 * The pages to send are tracked per region in rs->dirty: all of them for
 * the first pass, then what KVM's dirty log (and the VMM's own writes,
 * through memory_region_set_dirty) reports.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/bitmap.h"
#include "migration/migration-internal.h"

static bool page_is_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)p;

    for (size_t i = 0; i < VMM_PAGE_SIZE / 8; i += 4)
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
            return false;
    return true;
}

static uint64_t region_pages(const MemoryRegion *mr)
{
    return mr->size >> VMM_PAGE_SHIFT;
}

/* The RAM regions of as, in mapping order: the order of the layout record. */
static GPtrArray *ram_regions(AddressSpace *as)
{
    GPtrArray *regions = g_ptr_array_new();

    for (guint i = 0; i < as->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(as->regions, i);

        if (mr->type == MR_RAM)
            g_ptr_array_add(regions, mr);
    }
    return regions;
}

void ram_state_init(struct ram_state *rs, AddressSpace *as)
{
    memset(rs, 0, sizeof(*rs));
    rs->regions = ram_regions(as);
    for (guint i = 0; i < rs->regions->len; i++)
        rs->total_pages += region_pages(g_ptr_array_index(rs->regions, i));
    rs->dirty = g_new0(unsigned long *, rs->regions->len ? rs->regions->len : 1);
    for (guint i = 0; i < rs->regions->len; i++)
        rs->dirty[i] = bitmap_new(region_pages(g_ptr_array_index(rs->regions, i)));
}

void ram_state_destroy(struct ram_state *rs)
{
    for (guint i = 0; rs->regions && i < rs->regions->len; i++)
        bitmap_free(rs->dirty[i]);
    g_free(rs->dirty);
    if (rs->regions)
        g_ptr_array_free(rs->regions, TRUE);
    memset(rs, 0, sizeof(*rs));
}

int ram_save_layout(struct ram_state *rs, struct mig_stream *s)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    put_u32(b, rs->regions->len);
    for (guint i = 0; i < rs->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(rs->regions, i);

        put_u16(b, (uint16_t)strlen(mr->name));
        put_bytes(b, mr->name, strlen(mr->name));
        put_u64(b, mr->size);
    }
    return stream_write_record(s, REC_RAM_LAYOUT, b->data, b->len);
}

void ram_mark_all(struct ram_state *rs)
{
    for (guint i = 0; i < rs->regions->len; i++)
        bitmap_set_range(rs->dirty[i], 0, region_pages(g_ptr_array_index(rs->regions, i)));
}

uint64_t ram_pending(struct ram_state *rs)
{
    uint64_t n = 0;

    for (guint i = 0; i < rs->regions->len; i++)
        n += bitmap_count_range(rs->dirty[i], 0,
                                region_pages(g_ptr_array_index(rs->regions, i)));
    return n;
}

uint64_t ram_sync(struct ram_state *rs, AddressSpace *as)
{
    memory_global_dirty_log_sync(as);
    for (guint i = 0; i < rs->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(rs->regions, i);
        uint64_t pages = region_pages(mr);
        unsigned long *taken = bitmap_new(pages);

        memory_region_take_dirty(mr, 0, mr->size, taken);
        bitmap_or_at(rs->dirty[i], 0, taken, pages);
        bitmap_free(taken);
    }
    return ram_pending(rs);
}

/* One RAM_PAGES record for [first, first + count) of region idx. */
static int send_run(struct ram_state *rs, struct mig_stream *s, guint idx,
                    uint64_t first, uint32_t count, GByteArray *b)
{
    MemoryRegion *mr = g_ptr_array_index(rs->regions, idx);
    uint8_t zero_map[PAGES_PER_RECORD / 8] = { 0 };
    size_t map_len = (count + 7) / 8;

    g_byte_array_set_size(b, 0);
    put_u32(b, idx);
    put_u64(b, first);
    put_u32(b, count);
    for (uint32_t i = 0; i < count; i++)
        if (page_is_zero(mr->host + ((first + i) << VMM_PAGE_SHIFT)))
            zero_map[i / 8] |= (uint8_t)(1u << (i % 8));
    put_bytes(b, zero_map, map_len);
    for (uint32_t i = 0; i < count; i++) {
        if (zero_map[i / 8] & (1u << (i % 8))) {
            rs->zero_pages++;
            continue;
        }
        put_bytes(b, mr->host + ((first + i) << VMM_PAGE_SHIFT), VMM_PAGE_SIZE);
        rs->normal_pages++;
    }
    return stream_write_record(s, REC_RAM_PAGES, b->data, b->len);
}

int ram_save_pending(struct ram_state *rs, struct mig_stream *s, uint64_t budget)
{
    g_autoptr(GByteArray) b = g_byte_array_sized_new(PAGES_PER_RECORD * VMM_PAGE_SIZE + 256);
    uint64_t start_bytes = s->bytes;

    for (guint idx = 0; idx < rs->regions->len; idx++) {
        uint64_t pages = region_pages(g_ptr_array_index(rs->regions, idx));
        uint64_t p = bitmap_find_next_bit(rs->dirty[idx], pages, 0);

        while (p < pages) {
            uint64_t end = bitmap_find_next_zero_bit(rs->dirty[idx], pages, p);
            uint32_t count = (uint32_t)MIN(end - p, (uint64_t)PAGES_PER_RECORD);
            int ret;

            /* clear before reading: a write during the copy re-dirties the page */
            bitmap_clear_range(rs->dirty[idx], p, count);
            ret = send_run(rs, s, idx, p, count, b);
            if (ret < 0)
                return ret;
            if (budget && s->bytes - start_bytes >= budget)
                return 0;
            p = bitmap_find_next_bit(rs->dirty[idx], pages, p + count);
        }
    }
    return 0;
}

int ram_load_layout(AddressSpace *as, const uint8_t *p, size_t len, GPtrArray **out,
                    GError **errp)
{
    struct vm_reader r = { .p = p, .len = len };
    g_autoptr(GPtrArray) regions = ram_regions(as);
    uint32_t n = get_u32(&r);
    int ret = 0;

    if (n != regions->len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "the source has %u RAM regions, this VM %u (same -m and machine needed)",
                    n, regions->len);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < n && ret == 0; i++) {
        MemoryRegion *mr = g_ptr_array_index(regions, i);
        uint16_t nlen = get_u16(&r);
        char name[256] = { 0 };
        uint64_t size;

        get_bytes(&r, name, MIN(nlen, (uint16_t)255));
        if (nlen > 255)
            r.error = true;
        size = get_u64(&r);
        if (r.error) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "corrupt RAM layout record");
            ret = -EINVAL;
        } else if (strcmp(name, mr->name) || size != mr->size) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "RAM region %u is %s of %" PRIu64 " MiB on the source but %s of %"
                        PRIu64 " MiB here (same -m and machine needed)", i, name,
                        size >> 20, mr->name, mr->size >> 20);
            ret = -EINVAL;
        }
    }
    if (ret == 0 && r.pos != len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "corrupt RAM layout record");
        ret = -EINVAL;
    }
    if (ret == 0)
        *out = g_steal_pointer(&regions);
    return ret;
}

int ram_load_pages(GPtrArray *regions, const uint8_t *p, size_t len, GError **errp)
{
    struct vm_reader r = { .p = p, .len = len };
    uint32_t idx = get_u32(&r);
    uint64_t first = get_u64(&r);
    uint32_t count = get_u32(&r);
    uint8_t zero_map[PAGES_PER_RECORD / 8];
    size_t nonzero = 0;
    MemoryRegion *mr;

    if (r.error || idx >= regions->len || count == 0 || count > PAGES_PER_RECORD)
        goto corrupt;
    mr = g_ptr_array_index(regions, idx);
    if (first > region_pages(mr) || count > region_pages(mr) - first)
        goto corrupt;
    get_bytes(&r, zero_map, (count + 7) / 8);
    for (uint32_t i = 0; i < count; i++)
        nonzero += !(zero_map[i / 8] & (1u << (i % 8)));
    /* the whole record must be exactly what the header says: check first */
    if (r.error || len - r.pos != nonzero * VMM_PAGE_SIZE)
        goto corrupt;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *dst = mr->host + ((first + i) << VMM_PAGE_SHIFT);

        if (zero_map[i / 8] & (1u << (i % 8))) {
            /* reading an untouched page maps the zero page; only write if needed */
            if (!page_is_zero(dst))
                memset(dst, 0, VMM_PAGE_SIZE);
        } else {
            get_bytes(&r, dst, VMM_PAGE_SIZE);
        }
    }
    return 0;
corrupt:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "corrupt migration stream: a RAM record is out of range or malformed");
    return -EINVAL;
}
