/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arm64 Image loader on synthesized images: the 64-byte header (valid,
 * old-style and corrupt ones), gzip-compressed images (and broken gzip
 * data), and where kernel, initrd and device tree land in RAM.
 */
#include <string.h>
#include <zlib.h>
#include <glib.h>

#include "qemu-vmm/arm.h"

#define MIB (1ULL << 20)

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image of len bytes with the given header fields and a recognisable body. */
static uint8_t *make_image(size_t len, uint64_t text_offset, uint64_t image_size,
                           uint64_t flags)
{
    uint8_t *img = g_malloc0(len);

    put_le32(img, 0x91005a4d);          /* "MZ" + add x13, x18, #0x16: an EFI stub */
    put_le32(img + 4, 0x14000000);      /* b . */
    put_le64(img + 8, text_offset);
    put_le64(img + 16, image_size);
    put_le64(img + 24, flags);
    put_le32(img + 56, ARM64_IMAGE_MAGIC);
    for (size_t i = ARM64_IMAGE_HEADER_SIZE; i < len; i++)
        img[i] = (uint8_t)(i * 7);
    return img;
}

static void test_header_valid(void)
{
    g_autofree uint8_t *img = make_image(64 * 1024, 0, 4 * MIB, 0xa);
    struct arm64_image out;
    GError *err = NULL;

    g_assert_cmpint(arm64_image_parse(img, 64 * 1024, &out, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(out.text_offset, ==, 0);
    g_assert_cmpuint(out.image_size, ==, 4 * MIB);
}

static void test_header_text_offset(void)
{
    g_autofree uint8_t *img = make_image(4096, 0x80000, 2 * MIB, 0x2);
    struct arm64_image out;

    g_assert_cmpint(arm64_image_parse(img, 4096, &out, NULL), ==, 0);
    g_assert_cmpuint(out.text_offset, ==, 0x80000);
}

/* Kernels before 3.17: image_size 0, text_offset 0x80000 whatever it says. */
static void test_header_old_kernel(void)
{
    g_autofree uint8_t *img = make_image(8192, 0, 0, 0);
    struct arm64_image out;

    g_assert_cmpint(arm64_image_parse(img, 8192, &out, NULL), ==, 0);
    g_assert_cmpuint(out.text_offset, ==, 0x80000);
    g_assert_cmpuint(out.image_size, >=, 8192);
}

/* Each corruption gives one error naming the problem. */
static void expect_refused(const uint8_t *img, size_t len, const char *needle)
{
    struct arm64_image out;
    GError *err = NULL;

    g_assert_cmpint(arm64_image_parse(img, len, &out, &err), <, 0);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle))
        g_error("error '%s' does not mention '%s'", err->message, needle);
    g_assert_null(strchr(err->message, '\n'));
    g_error_free(err);
}

static void test_header_corrupt(void)
{
    g_autofree uint8_t *img = make_image(4096, 0, 2 * MIB, 0);
    uint8_t *copy;

    expect_refused(img, 63, "shorter than its 64-byte header");
    expect_refused(img, 0, "shorter");

    copy = g_memdup2(img, 4096);
    copy[57] ^= 0xff;
    expect_refused(copy, 4096, "magic");
    g_free(copy);

    copy = g_memdup2(img, 4096);
    memcpy(copy + 4, "zimg", 4);
    copy[56] = 0;
    expect_refused(copy, 4096, "zboot");
    g_free(copy);

    copy = g_memdup2(img, 4096);
    put_le64(copy + 24, 1);     /* big endian */
    expect_refused(copy, 4096, "big-endian");
    g_free(copy);

    copy = g_memdup2(img, 4096);
    put_le64(copy + 16, 1024);  /* image_size smaller than the file */
    expect_refused(copy, 4096, "truncated or corrupt");
    g_free(copy);

    copy = g_memdup2(img, 4096);
    put_le64(copy + 8, 0x80010);    /* not page aligned */
    expect_refused(copy, 4096, "text_offset");
    put_le64(copy + 8, 4 * MIB);    /* beyond the 2 MiB block */
    expect_refused(copy, 4096, "text_offset");
    g_free(copy);

    copy = g_memdup2(img, 4096);
    put_le64(copy + 16, 1ULL << 40);
    expect_refused(copy, 4096, "implausible");
    g_free(copy);
}

static uint8_t *gzip(const uint8_t *in, size_t len, size_t *out_len)
{
    z_stream zs = { 0 };
    size_t cap = compressBound(len) + 64;
    uint8_t *out = g_malloc(cap);

    g_assert_cmpint(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    g_assert_cmpint(deflate(&zs, Z_FINISH), ==, Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static void test_gzip_roundtrip(void)
{
    size_t len = 3 * MIB + 123, gz_len, out_len;
    g_autofree uint8_t *img = make_image(len, 0, 8 * MIB, 0xa);
    g_autofree uint8_t *gz = gzip(img, len, &gz_len);
    g_autofree uint8_t *out = NULL;
    struct arm64_image hdr;
    GError *err = NULL;

    g_assert_true(arm64_image_is_gzip(gz, gz_len));
    g_assert_false(arm64_image_is_gzip(img, len));
    g_assert_cmpint(arm64_gunzip(gz, gz_len, ARM64_IMAGE_MAX, &out, &out_len, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(out_len, ==, len);
    g_assert_cmpmem(out, out_len, img, len);
    g_assert_cmpint(arm64_image_parse(out, out_len, &hdr, NULL), ==, 0);
    g_assert_cmpuint(hdr.image_size, ==, 8 * MIB);
}

static void test_gzip_broken(void)
{
    size_t len = 1 * MIB, gz_len, out_len;
    g_autofree uint8_t *img = make_image(len, 0, 2 * MIB, 0);
    g_autofree uint8_t *gz = gzip(img, len, &gz_len);
    uint8_t *out = NULL;
    GError *err = NULL;

    /* cut short */
    g_assert_cmpint(arm64_gunzip(gz, gz_len / 2, ARM64_IMAGE_MAX, &out, &out_len, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "truncated"));
    g_clear_error(&err);

    /* garbage in the deflate stream (its CRC or its codes fail) */
    for (size_t i = 20; i < gz_len - 8; i += 97)
        gz[i] ^= 0x5a;
    g_assert_cmpint(arm64_gunzip(gz, gz_len, ARM64_IMAGE_MAX, &out, &out_len, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "gzip"));
    g_clear_error(&err);
    g_assert_null(out);
}

/* A small file that inflates past the limit is refused, not allocated. */
static void test_gzip_limit(void)
{
    size_t len = 8 * MIB, gz_len, out_len;
    g_autofree uint8_t *zeros = g_malloc0(len);
    g_autofree uint8_t *gz = gzip(zeros, len, &gz_len);
    uint8_t *out = NULL;
    GError *err = NULL;

    g_assert_cmpint(arm64_gunzip(gz, gz_len, 2 * MIB, &out, &out_len, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "more than 2 MiB"));
    g_error_free(err);
}

static void test_layout(void)
{
    struct arm64_image img = { .text_offset = 0, .image_size = 40 * MIB };
    struct arm64_boot_layout l;
    uint64_t base = 0x40000000, size = 256 * MIB;

    g_assert_cmpint(arm64_boot_layout(base, size, &img, 5 * MIB + 1, &l, NULL), ==, 0);
    g_assert_cmphex(l.kernel_addr, ==, base);
    g_assert_cmphex(l.kernel_end, ==, base + 40 * MIB);
    /* the device tree alone in the last 2 MiB block */
    g_assert_cmphex(l.dtb_addr, ==, base + size - 2 * MIB);
    g_assert_cmphex(l.dtb_addr % (2 * MIB), ==, 0);
    /* the initrd page aligned, right below it, clear of the kernel */
    g_assert_cmphex(l.initrd_addr % 4096, ==, 0);
    g_assert_cmphex(l.initrd_addr + l.initrd_size, <=, l.dtb_addr);
    g_assert_cmphex(l.initrd_addr, >=, l.kernel_end);
    g_assert_cmpuint(l.initrd_size, ==, 5 * MIB + 1);

    img.text_offset = 0x80000;
    g_assert_cmpint(arm64_boot_layout(base, size, &img, 0, &l, NULL), ==, 0);
    g_assert_cmphex(l.kernel_addr, ==, base + 0x80000);
    g_assert_cmphex(l.initrd_addr, ==, 0);
}

static void test_layout_too_small(void)
{
    struct arm64_image img = { .text_offset = 0, .image_size = 40 * MIB };
    struct arm64_boot_layout l;
    GError *err = NULL;

    g_assert_cmpint(arm64_boot_layout(0x40000000, 32 * MIB, &img, 0, &l, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "too small"));
    g_assert_nonnull(strstr(err->message, "-m "));
    g_clear_error(&err);
    /* the kernel fits, the initrd does not */
    g_assert_cmpint(arm64_boot_layout(0x40000000, 64 * MIB, &img, 30 * MIB, &l, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "initrd"));
    g_clear_error(&err);
    g_assert_cmpint(arm64_boot_layout(0x40000000, 64 * MIB, &img, 20 * MIB, &l, NULL), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/arm-boot/header/valid", test_header_valid);
    g_test_add_func("/arm-boot/header/text-offset", test_header_text_offset);
    g_test_add_func("/arm-boot/header/old-kernel", test_header_old_kernel);
    g_test_add_func("/arm-boot/header/corrupt", test_header_corrupt);
    g_test_add_func("/arm-boot/gzip/roundtrip", test_gzip_roundtrip);
    g_test_add_func("/arm-boot/gzip/broken", test_gzip_broken);
    g_test_add_func("/arm-boot/gzip/limit", test_gzip_limit);
    g_test_add_func("/arm-boot/layout/placement", test_layout);
    g_test_add_func("/arm-boot/layout/too-small", test_layout_too_small);
    return g_test_run();
}
