/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AML writer of include/qemu-vmm/aml.h: only what a DSDT describing
 * fixed devices needs (names, integers, strings, buffers, packages, scopes,
 * devices and resource templates).  Grammar: ACPI 6.4, section 20.2.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-vmm/aml.h"

static void put8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put_le(GByteArray *b, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++)
        put8(b, (uint8_t)(v >> (8 * i)));
}

/*
 * PkgLength counts itself: one byte holds totals up to 63 in bits 0-5;
 * longer ones put the count of following bytes in bits 6-7, the low nibble
 * in bits 0-3 and the rest, 8 bits a byte, in the following bytes.
 */
int aml_pkglen_encode(size_t len, uint8_t out[4])
{
    size_t total;
    int n;

    if (len + 1 <= 0x3f) {
        out[0] = (uint8_t)(len + 1);
        return 1;
    }
    for (n = 2; n <= 4; n++) {
        total = len + (size_t)n;
        if (total < (1ULL << (4 + 8 * (n - 1)))) {
            out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
            for (int i = 1; i < n; i++)
                out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
            return n;
        }
    }
    return -E2BIG;      /* 2^28 bytes: far beyond any table we write */
}

int aml_pkglen_decode(const uint8_t *p, size_t avail, size_t *len)
{
    int follow;
    size_t v;

    if (avail < 1)
        return -EINVAL;
    follow = p[0] >> 6;
    if (follow == 0) {
        *len = p[0] & 0x3f;
        return 1;
    }
    if ((p[0] & 0x30) || avail < (size_t)follow + 1)
        return -EINVAL;     /* bits 4-5 are reserved in the long forms */
    v = p[0] & 0xf;
    for (int i = 1; i <= follow; i++)
        v |= (size_t)p[i] << (4 + 8 * (i - 1));
    *len = v;
    return follow + 1;
}

static bool lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return lead_char(c) || (c >= '0' && c <= '9');
}

/* One NameSeg of 1-4 characters, padded with '_' as ASL does. */
static int name_seg(GByteArray *b, const char *s, size_t len)
{
    char seg[4] = { '_', '_', '_', '_' };

    if (len < 1 || len > 4 || !lead_char(s[0]))
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (!name_char(s[i]))
            return -EINVAL;
        seg[i] = s[i];
    }
    g_byte_array_append(b, (const uint8_t *)seg, 4);
    return 0;
}

int aml_name(GByteArray *b, const char *name)
{
    g_auto(GStrv) segs = NULL;
    guint start = b->len, n;
    const char *p = name;

    if (*p == AML_ROOT_CHAR) {
        put8(b, AML_ROOT_CHAR);
        p++;
    } else {
        while (*p == AML_PARENT_CHAR) {
            put8(b, AML_PARENT_CHAR);
            p++;
        }
    }
    if (!*p) {
        put8(b, 0);                 /* NullName: "\" alone is the root */
        return 0;
    }
    segs = g_strsplit(p, ".", -1);
    n = g_strv_length(segs);
    if (n > 255)
        goto bad;
    if (n == 2)
        put8(b, AML_DUAL_NAME);
    else if (n > 2) {
        put8(b, AML_MULTI_NAME);
        put8(b, (uint8_t)n);
    }
    for (guint i = 0; i < n; i++) {
        if (name_seg(b, segs[i], strlen(segs[i])) < 0)
            goto bad;
    }
    return 0;
bad:
    g_byte_array_set_size(b, start);
    return -EINVAL;
}

void aml_integer(GByteArray *b, uint64_t v)
{
    if (v == 0)
        put8(b, AML_ZERO_OP);
    else if (v == 1)
        put8(b, AML_ONE_OP);
    else if (v == UINT64_MAX)
        put8(b, AML_ONES_OP);
    else if (v <= 0xff) {
        put8(b, AML_BYTE_PREFIX);
        put8(b, (uint8_t)v);
    } else if (v <= 0xffff) {
        put8(b, AML_WORD_PREFIX);
        put_le(b, v, 2);
    } else if (v <= 0xffffffffULL) {
        put8(b, AML_DWORD_PREFIX);
        put_le(b, v, 4);
    } else {
        put8(b, AML_QWORD_PREFIX);
        put_le(b, v, 8);
    }
}

void aml_string(GByteArray *b, const char *s)
{
    put8(b, AML_STRING_PREFIX);
    g_byte_array_append(b, (const uint8_t *)s, (guint)strlen(s) + 1);
}

/*
 * EISAID: three letters of 5 bits (A = 1) and four hex digits, packed so
 * that the bytes in memory read letters, then the product number.
 */
int aml_eisaid(GByteArray *b, const char *id)
{
    uint32_t l[3], v;
    unsigned long product;
    char *end;

    if (strlen(id) != 7)
        return -EINVAL;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z')
            return -EINVAL;
        l[i] = (uint32_t)(id[i] - 'A' + 1);
    }
    for (int i = 3; i < 7; i++) {
        if (!g_ascii_isxdigit(id[i]))
            return -EINVAL;
    }
    product = strtoul(id + 3, &end, 16);
    v = (l[0] << 26) | (l[1] << 21) | (l[2] << 16) | (uint32_t)product;
    /* stored big-endian: a DWord whose little-endian bytes are swapped */
    put8(b, AML_DWORD_PREFIX);
    put8(b, (uint8_t)(v >> 24));
    put8(b, (uint8_t)(v >> 16));
    put8(b, (uint8_t)(v >> 8));
    put8(b, (uint8_t)v);
    return 0;
}

static void insert_pkglen(GByteArray *b, size_t mark)
{
    uint8_t enc[4];
    int n = aml_pkglen_encode(b->len - mark, enc);

    g_assert(n > 0);
    g_byte_array_set_size(b, b->len + (guint)n);
    memmove(b->data + mark + n, b->data + mark, b->len - mark - (size_t)n);
    memcpy(b->data + mark, enc, (size_t)n);
}

void aml_buffer(GByteArray *b, const uint8_t *data, size_t len)
{
    size_t mark;

    put8(b, AML_BUFFER_OP);
    mark = b->len;
    aml_integer(b, len);
    g_byte_array_append(b, data, (guint)len);
    insert_pkglen(b, mark);
}

int aml_name_decl(GByteArray *b, const char *name)
{
    guint start = b->len;

    put8(b, AML_NAME_OP);
    if (aml_name(b, name) < 0) {
        g_byte_array_set_size(b, start);
        return -EINVAL;
    }
    return 0;
}

/*
 * The mark is where the PkgLength goes.  A bad name is a bug in the
 * caller's constant, not input: it fails loudly in aml_end's check.
 */
static size_t named_begin(GByteArray *b, const char *name)
{
    size_t mark = b->len;

    if (aml_name(b, name) < 0)
        g_error("AML: malformed name '%s'", name);
    return mark;
}

size_t aml_scope_begin(GByteArray *b, const char *name)
{
    put8(b, AML_SCOPE_OP);
    return named_begin(b, name);
}

size_t aml_device_begin(GByteArray *b, const char *name)
{
    put8(b, AML_EXT_PREFIX);
    put8(b, AML_DEVICE_OP);
    return named_begin(b, name);
}

size_t aml_package_begin(GByteArray *b, uint8_t nr_elements)
{
    size_t mark;

    put8(b, AML_PACKAGE_OP);
    mark = b->len;
    put8(b, nr_elements);
    return mark;
}

void aml_end(GByteArray *b, size_t mark)
{
    insert_pkglen(b, mark);
}

/* ---- resource descriptors ---- */

void aml_res_io(GByteArray *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    put8(r, AML_RES_IO);
    put8(r, 1);                 /* decodes 16 address bits */
    put_le(r, min, 2);
    put_le(r, max, 2);
    put8(r, align);
    put8(r, len);
}

void aml_res_irq(GByteArray *r, unsigned int irq, uint8_t flags)
{
    put8(r, AML_RES_IRQ);
    put_le(r, 1u << (irq & 15), 2);     /* a mask of ISA IRQs 0-15 */
    put8(r, flags);
}

void aml_res_mem32_fixed(GByteArray *r, uint32_t base, uint32_t len, int writable)
{
    put8(r, AML_RES_MEM32_FIXED);
    put_le(r, 9, 2);            /* the bytes after the length field */
    put8(r, writable ? 1 : 0);
    put_le(r, base, 4);
    put_le(r, len, 4);
}

void aml_res_ext_irq(GByteArray *r, uint32_t gsi, uint8_t flags)
{
    put8(r, AML_RES_EXT_IRQ);
    put_le(r, 6, 2);            /* flags, count, one 32-bit interrupt */
    put8(r, flags);
    put8(r, 1);
    put_le(r, gsi, 4);
}

void aml_resource_template(GByteArray *b, GByteArray *r)
{
    put8(r, AML_RES_END);
    put8(r, 0);                 /* checksum 0: "treated as valid" (6.4.2.9) */
    aml_buffer(b, r->data, r->len);
}
