/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry of state sections, and little-endian (de)serialization. */
#include <string.h>

#include "qemu-vmm/migration.h"
#include "migration/migration-internal.h"

static GArray *sections;    /* struct vmstate_ops */

void vmstate_register(const struct vmstate_ops *ops)
{
    if (!sections)
        sections = g_array_new(FALSE, FALSE, sizeof(struct vmstate_ops));
    g_array_append_val(sections, *ops);
}

void vmstate_unregister(void *opaque)
{
    for (guint i = 0; sections && i < sections->len; i++) {
        if (g_array_index(sections, struct vmstate_ops, i).opaque == opaque)
            g_array_remove_index(sections, i--);
    }
}

int vmstate_check_complete(const struct vmstate_ops *const *loaded, unsigned int n,
                           GError **errp)
{
    for (unsigned int i = 0; i < vmstate_count(); i++) {
        const struct vmstate_ops *o = vmstate_get(i);
        bool found = false;

        for (unsigned int j = 0; j < n && !found; j++)
            found = loaded[j] == o;
        if (!found) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "the stream has no state for '%s' %u: the source has no such "
                        "device", o->name, o->instance);
            return -EINVAL;
        }
    }
    return 0;
}

unsigned int vmstate_count(void)
{
    return sections ? sections->len : 0;
}

const struct vmstate_ops *vmstate_get(unsigned int i)
{
    return &g_array_index(sections, struct vmstate_ops, i);
}

const struct vmstate_ops *vmstate_find(const char *name, uint32_t instance)
{
    for (unsigned int i = 0; i < vmstate_count(); i++) {
        const struct vmstate_ops *o = vmstate_get(i);

        if (!strcmp(o->name, name) && o->instance == instance)
            return o;
    }
    return NULL;
}

void put_u8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

void put_u16(GByteArray *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

    g_byte_array_append(b, x, 2);
}

void put_u32(GByteArray *b, uint32_t v)
{
    put_u16(b, (uint16_t)v);
    put_u16(b, (uint16_t)(v >> 16));
}

void put_u64(GByteArray *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

void put_bytes(GByteArray *b, const void *p, size_t len)
{
    g_byte_array_append(b, p, (guint)len);
}

void get_bytes(struct vm_reader *r, void *out, size_t len)
{
    if (r->error || len > r->len - r->pos) {
        r->error = true;
        memset(out, 0, len);
        return;
    }
    memcpy(out, r->p + r->pos, len);
    r->pos += len;
}

uint8_t get_u8(struct vm_reader *r)
{
    uint8_t v;

    get_bytes(r, &v, 1);
    return v;
}

uint16_t get_u16(struct vm_reader *r)
{
    uint8_t x[2];

    get_bytes(r, x, 2);
    return (uint16_t)(x[0] | x[1] << 8);
}

uint32_t get_u32(struct vm_reader *r)
{
    uint32_t lo = get_u16(r);

    return lo | (uint32_t)get_u16(r) << 16;
}

uint64_t get_u64(struct vm_reader *r)
{
    uint64_t lo = get_u32(r);

    return lo | (uint64_t)get_u32(r) << 32;
}
