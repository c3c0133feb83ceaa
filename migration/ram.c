/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RAM in the migration stream: the layout record, and pages in runs of up
 * to PAGES_PER_RECORD with a zero-page bitmap (a zero page costs one bit).
 * The pages to send are tracked per region in rs->dirty: all of them for
 * the first pass, then what KVM's dirty log (and the VMM's own writes,
 * through memory_region_set_dirty) reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-vmm/bitmap.h"
#include "migration/migration-internal.h"

/* /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)

static bool page_is_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)p;

    for (size_t i = 0; i < VMM_PAGE_SIZE / 8; i += 4)
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
            return false;
    return true;
}

/*
 * /proc/self/pagemap and /proc/self/maps, opened once at set-up: the
 * migration threads run under a sandbox filter that opens no files.  -1
 * until then (unit tests open them per call).
 */
static int pagemap_fd = -1, maps_fd = -1;

void ram_pagemap_open(void)
{
    if (pagemap_fd < 0)
        pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (maps_fd < 0)
        maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
}

/* The text of /proc/self/maps as of now, or NULL. */
static char *read_maps(void)
{
    GString *text = g_string_new(NULL);
    int fd = maps_fd >= 0 ? maps_fd : open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    char buf[4096];
    ssize_t n = -1;

    if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0) {
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            g_string_append_len(text, buf, n);
    }
    if (fd >= 0 && fd != maps_fd)
        close(fd);
    if (n < 0) {
        g_string_free(text, TRUE);
        return NULL;
    }
    return g_string_free(text, FALSE);
}

/*
 * Whether [start, end) is private anonymous memory all through: only there
 * does "never backed" mean "reads as zero" (a file or shared mapping can
 * have data that is not mapped in yet).
 */
static bool private_anonymous(uintptr_t start, uintptr_t end)
{
    g_autofree char *maps = read_maps();
    uintptr_t covered = start;
    char *line, *save = NULL;

    if (!maps)
        return false;
    for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long lo, hi, inode;
        char perms[5];

        if (sscanf(line, "%lx-%lx %4s %*s %*s %lu", &lo, &hi, perms, &inode) != 4)
            continue;
        if (hi <= covered || lo >= end)
            continue;
        if (lo > covered || perms[3] != 'p' || inode != 0)
            return false;
        covered = hi;
        if (covered >= end)
            return true;
    }
    return false;
}

int ram_populated_map(void *host, uint64_t pages, unsigned long *out)
{
    enum { CHUNK = 8192 };
    uintptr_t start = (uintptr_t)host;
    uint64_t *buf;
    int fd, ret = 0;

    if (start % VMM_PAGE_SIZE ||
        !private_anonymous(start, start + (uintptr_t)(pages << VMM_PAGE_SHIFT)))
        return -ENOTSUP;
    fd = pagemap_fd >= 0 ? pagemap_fd : open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    buf = g_new(uint64_t, CHUNK);
    for (uint64_t done = 0; done < pages && ret == 0;) {
        size_t n = (size_t)MIN((uint64_t)CHUNK, pages - done);
        off_t at = (off_t)((start >> VMM_PAGE_SHIFT) + done) * 8;
        ssize_t got = pread(fd, buf, n * 8, at);

        if (got != (ssize_t)(n * 8)) {
            ret = got < 0 ? -errno : -EIO;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (buf[i] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED))
                set_bit(done + i, out);
        done += n;
    }
    g_free(buf);
    if (fd != pagemap_fd)
        close(fd);
    return ret;
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

static void free_maps(unsigned long **maps, GPtrArray *regions)
{
    for (guint i = 0; maps && i < regions->len; i++)
        bitmap_free(maps[i]);
    g_free(maps);
}

/* Per region, the pages the host backs; NULL where that cannot be known. */
static unsigned long **populated_maps(GPtrArray *regions)
{
    unsigned long **maps = g_new0(unsigned long *, regions->len ? regions->len : 1);

    for (guint i = 0; i < regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(regions, i);

        maps[i] = bitmap_new(region_pages(mr));
        if (ram_populated_map(mr->host, region_pages(mr), maps[i]) < 0) {
            free_maps(maps, regions);   /* bitmap_free(NULL) for the rest */
            return NULL;
        }
    }
    return maps;
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
    ram_forget_populated(rs);
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
    /*
     * Logging is on: a page populated after this snapshot is also dirty,
     * so the first pass may take "not populated" for "zero".
     */
    ram_forget_populated(rs);
    rs->populated = populated_maps(rs->regions);
}

void ram_forget_populated(struct ram_state *rs)
{
    free_maps(rs->populated, rs->regions);
    rs->populated = NULL;
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

void ram_drop_dirty(struct ram_state *rs)
{
    for (guint i = 0; i < rs->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(rs->regions, i);

        memory_region_take_dirty(mr, 0, mr->size, NULL);
    }
}

/*
 * One RAM_PAGES record for [first, first + count) of region idx, built in
 * the stream's buffer: each data page is copied once and summed there.
 */
static int send_run(struct ram_state *rs, struct mig_stream *s, guint idx,
                    uint64_t first, uint32_t count)
{
    MemoryRegion *mr = g_ptr_array_index(rs->regions, idx);
    const unsigned long *populated = rs->populated ? rs->populated[idx] : NULL;
    uint8_t zero_map[PAGES_PER_RECORD / 8] = { 0 };
    size_t map_len = (count + 7) / 8, nonzero = 0;
    uint8_t hdr[16];
    int ret;

    for (uint32_t i = 0; i < count; i++) {
        uint64_t page = first + i;

        /* never populated: zero, and not worth a page fault to find out */
        if ((populated && !test_bit(page, populated)) ||
            page_is_zero(mr->host + (page << VMM_PAGE_SHIFT)))
            zero_map[i / 8] |= (uint8_t)(1u << (i % 8));
        else
            nonzero++;
    }
    for (int i = 0; i < 4; i++) {
        hdr[i] = (uint8_t)(idx >> (8 * i));
        hdr[12 + i] = (uint8_t)(count >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        hdr[4 + i] = (uint8_t)(first >> (8 * i));
    ret = stream_record_begin(s, REC_RAM_PAGES, sizeof(hdr) + map_len + nonzero * VMM_PAGE_SIZE);
    if (ret < 0)
        return ret;
    stream_record_put(s, hdr, sizeof(hdr));
    stream_record_put(s, zero_map, map_len);
    for (uint32_t i = 0; i < count; i++) {
        if (zero_map[i / 8] & (1u << (i % 8)))
            continue;
        /*
         * A page found zero above and written since is sent as zero here:
         * the write dirtied it again, so a later pass sends its data.
         */
        stream_record_put(s, mr->host + ((first + i) << VMM_PAGE_SHIFT), VMM_PAGE_SIZE);
    }
    rs->zero_pages += count - nonzero;
    rs->normal_pages += nonzero;
    return stream_record_end(s);
}

int ram_save_pending(struct ram_state *rs, struct mig_stream *s, uint64_t budget)
{
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
            ret = send_run(rs, s, idx, p, count);
            if (ret < 0)
                return ret;
            if (budget && s->bytes - start_bytes >= budget)
                return 0;
            p = bitmap_find_next_bit(rs->dirty[idx], pages, p + count);
        }
    }
    /* a whole pass is done: pages populated since may hold anything */
    ram_forget_populated(rs);
    return 0;
}

void ram_load_destroy(struct ram_load *rl)
{
    free_maps(rl->populated, rl->regions);
    if (rl->regions)
        g_ptr_array_free(rl->regions, TRUE);
    memset(rl, 0, sizeof(*rl));
}

int ram_load_layout(AddressSpace *as, const uint8_t *p, size_t len, struct ram_load *rl,
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
    if (ret == 0) {
        memset(rl, 0, sizeof(*rl));
        rl->regions = g_steal_pointer(&regions);
        /* which pages of this (not yet running) VM are backed: the rest are zero */
        rl->populated = populated_maps(rl->regions);
    }
    return ret;
}

/*
 * Back a run of pages about to be written in one call rather than one page
 * fault each.  Only a hint: kernels before 5.14 do not know it.
 */
static void populate_run(struct ram_load *rl, uint8_t *p, size_t len)
{
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    if (!rl->no_populate && madvise(p, len, MADV_POPULATE_WRITE) < 0 && errno == EINVAL)
        rl->no_populate = true;
}

int ram_load_pages(struct ram_load *rl, struct mig_stream *s, uint32_t len, GError **errp)
{
    uint8_t hdr[16], zero_map[PAGES_PER_RECORD / 8];
    uint32_t idx, count;
    uint64_t first;
    size_t nonzero = 0, map_len;
    unsigned long *populated;
    MemoryRegion *mr;
    int ret;

    if (len < sizeof(hdr))
        goto corrupt;
    ret = stream_read_part(s, hdr, sizeof(hdr), errp);
    if (ret < 0)
        return ret;
    idx = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
          (uint32_t)hdr[3] << 24;
    first = 0;
    for (int i = 7; i >= 0; i--)
        first = first << 8 | hdr[4 + i];
    count = (uint32_t)hdr[12] | (uint32_t)hdr[13] << 8 | (uint32_t)hdr[14] << 16 |
            (uint32_t)hdr[15] << 24;
    if (idx >= rl->regions->len || count == 0 || count > PAGES_PER_RECORD)
        goto corrupt;
    mr = g_ptr_array_index(rl->regions, idx);
    if (first > region_pages(mr) || count > region_pages(mr) - first)
        goto corrupt;
    map_len = (count + 7) / 8;
    if (len - sizeof(hdr) < map_len)
        goto corrupt;
    ret = stream_read_part(s, zero_map, map_len, errp);
    if (ret < 0)
        return ret;
    for (uint32_t i = 0; i < count; i++)
        nonzero += !(zero_map[i / 8] & (1u << (i % 8)));
    /* the whole record must be exactly what the header says: check first */
    if (len - sizeof(hdr) - map_len != nonzero * VMM_PAGE_SIZE)
        goto corrupt;
    populated = rl->populated ? rl->populated[idx] : NULL;
    for (uint32_t i = 0; i < count;) {
        uint8_t *dst = mr->host + ((first + i) << VMM_PAGE_SHIFT);
        uint32_t run = 0;

        if (zero_map[i / 8] & (1u << (i % 8))) {
            /*
             * A page never backed is zero already: do not even read it (that
             * faults in the zero page).  Otherwise only write if needed.
             */
            if ((!populated || test_bit(first + i, populated)) && !page_is_zero(dst))
                memset(dst, 0, VMM_PAGE_SIZE);
            i++;
            continue;
        }
        /* a run of data pages: one read straight into guest RAM */
        while (i + run < count && !(zero_map[(i + run) / 8] & (1u << ((i + run) % 8))))
            run++;
        if (populated && !test_bit(first + i, populated))
            populate_run(rl, dst, (size_t)run * VMM_PAGE_SIZE);
        ret = stream_read_part(s, dst, (size_t)run * VMM_PAGE_SIZE, errp);
        if (ret < 0)
            return ret;
        if (populated)
            bitmap_set_range(populated, first + i, run);
        i += run;
    }
    return 0;
corrupt:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "corrupt migration stream: a RAM record is out of range or malformed");
    return -EINVAL;
}
