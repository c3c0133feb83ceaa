/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux arm64 Image: its 64-byte header, gzip-compressed images, and
 * where the kernel, the initrd and the device tree go in RAM.  Plain logic
 * (no KVM), so the unit tests run on any host.
 *
 * The header (Documentation/arch/arm64/booting.rst):
 *   0  u32 code0, u32 code1      (a branch, or "MZ" for an EFI stub)
 *   8  u64 text_offset           (little endian)
 *  16  u64 image_size            (0: a kernel older than 3.17)
 *  24  u64 flags                 (bit 0 big endian, bits 1-2 page size,
 *                                 bit 3 anywhere in RAM)
 *  32  u64 res2, res3, res4
 *  56  u32 magic "ARM\x64"
 *  60  u32 res5 (PE header offset)
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <zlib.h>

#include "qemu-vmm/arm.h"

#define FLAG_BE             (1ULL << 0)

/* Kernels before 3.17 leave image_size 0 and expect text_offset 0x80000. */
#define OLD_KERNEL_SLACK    (32ULL << 20)       /* room for BSS we cannot know */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int bad_image(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int bad_image(GError **errp, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, msg);
    g_free(msg);
    return -EINVAL;
}

int arm64_image_parse(const uint8_t *image, size_t len, struct arm64_image *out,
                      GError **errp)
{
    uint64_t text_offset, image_size, flags;

    if (len < ARM64_IMAGE_HEADER_SIZE)
        return bad_image(errp, "not an arm64 Linux Image: %zu bytes is shorter than "
                         "its 64-byte header", len);
    if (le32(image + 56) != ARM64_IMAGE_MAGIC) {
        /* the EFI zboot format wraps a compressed Image in a PE file */
        if (!memcmp(image + 4, "zimg", 4))
            return bad_image(errp, "an EFI zboot image (vmlinuz.efi) cannot be booted "
                             "directly: pass the Image or Image.gz");
        return bad_image(errp, "not an arm64 Linux Image (no \"ARM\\x64\" magic at "
                         "offset 56)");
    }
    text_offset = le64(image + 8);
    image_size = le64(image + 16);
    flags = le64(image + 24);
    if (flags & FLAG_BE)
        return bad_image(errp, "the Image is a big-endian kernel (flags bit 0); "
                         "only little-endian guests are supported");
    if (image_size == 0) {
        /* before 3.17: text_offset was not guaranteed, 0x80000 in practice */
        text_offset = 0x80000;
        image_size = len + OLD_KERNEL_SLACK;
    }
    if (text_offset >= ARM64_KERNEL_ALIGN || (text_offset & 0xfff))
        return bad_image(errp, "Image text_offset 0x%" PRIx64 " is not a page "
                         "aligned offset below 2 MiB", text_offset);
    if (image_size < len)
        return bad_image(errp, "Image header says image_size is %" PRIu64 " bytes but "
                         "the file has %zu: a truncated or corrupt header", image_size,
                         len);
    if (image_size > ARM64_IMAGE_MAX)
        return bad_image(errp, "Image image_size of %" PRIu64 " MiB is implausible",
                         image_size >> 20);
    out->text_offset = text_offset;
    out->image_size = image_size;
    return 0;
}

bool arm64_image_is_gzip(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

int arm64_gunzip(const uint8_t *in, size_t in_len, size_t max, uint8_t **out,
                 size_t *out_len, GError **errp)
{
    z_stream zs = { 0 };
    size_t cap = MAX(in_len * 4, (size_t)1 << 20);
    uint8_t *buf;
    int zret;

    /* 16 + MAX_WBITS: a gzip wrapper, not zlib's */
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return bad_image(errp, "cannot start zlib");
    cap = MIN(cap, max);
    buf = g_malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)MIN(in_len, (size_t)UINT_MAX);
    for (;;) {
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)MIN(cap - zs.total_out, (size_t)UINT_MAX);
        zret = inflate(&zs, Z_NO_FLUSH);
        if (zret == Z_STREAM_END)
            break;
        if (zret != Z_OK && zret != Z_BUF_ERROR) {
            inflateEnd(&zs);
            g_free(buf);
            return bad_image(errp, "corrupt gzip data: %s", zs.msg ? zs.msg : "inflate failed");
        }
        if (zs.avail_out == 0) {
            if (cap == max) {
                inflateEnd(&zs);
                g_free(buf);
                return bad_image(errp, "the gzip data inflates to more than %zu MiB",
                                 max >> 20);
            }
            cap = MIN(cap * 2, max);
            buf = g_realloc(buf, cap);
        } else if (zs.avail_in == 0) {
            inflateEnd(&zs);
            g_free(buf);
            return bad_image(errp, "truncated gzip data");
        }
    }
    *out_len = zs.total_out;
    *out = g_realloc(buf, MAX(zs.total_out, (uLong)1));
    inflateEnd(&zs);
    return 0;
}

int arm64_boot_layout(uint64_t ram_base, uint64_t ram_size, const struct arm64_image *img,
                      size_t initrd_len, struct arm64_boot_layout *out, GError **errp)
{
    uint64_t base = (ram_base + ARM64_KERNEL_ALIGN - 1) & ~(ARM64_KERNEL_ALIGN - 1);
    uint64_t ram_end = ram_base + ram_size;
    uint64_t initrd_pages = (initrd_len + VMM_PAGE_SIZE - 1) & ~(VMM_PAGE_SIZE - 1);

    memset(out, 0, sizeof(*out));
    out->kernel_addr = base + img->text_offset;
    out->kernel_end = out->kernel_addr + img->image_size;
    /* the DTB: 8-byte aligned, at most 2 MiB, alone in its 2 MiB block */
    out->dtb_addr = (ram_end - ARM64_DTB_MAX) & ~(ARM64_KERNEL_ALIGN - 1);
    if (ram_end < ARM64_DTB_MAX || out->dtb_addr < out->kernel_end ||
        out->dtb_addr - out->kernel_end < initrd_pages) {
        uint64_t need = ((out->kernel_end - ram_base + initrd_pages + ARM64_DTB_MAX +
                          ARM64_KERNEL_ALIGN - 1) >> 20) + 2;

        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%" PRIu64 " MiB of RAM is too small for the kernel (%" PRIu64
                    " MiB)%s and the device tree: use -m %" PRIu64 "M or more",
                    ram_size >> 20, img->image_size >> 20,
                    initrd_len ? ", the initrd" : "", need);
        return -EINVAL;
    }
    if (initrd_len) {
        out->initrd_addr = out->dtb_addr - initrd_pages;
        out->initrd_size = initrd_len;
    }
    return 0;
}
