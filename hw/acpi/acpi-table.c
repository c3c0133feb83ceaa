/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The header every ACPI table starts with, and its checksum (ACPI 6.4, 5.2.6). */
#include <string.h>

#include "qemu-vmm/acpi.h"

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return (uint8_t)-sum;
}

size_t acpi_table_begin(GByteArray *b, const char *signature, uint8_t revision)
{
    struct acpi_table_header h = { .revision = revision, .oem_revision = 1,
                                   .creator_revision = 1 };
    size_t start = b->len;

    memcpy(h.signature, signature, 4);
    memcpy(h.oem_id, ACPI_OEM_ID, 6);
    memcpy(h.oem_table_id, ACPI_OEM_TABLE_ID, 8);
    memcpy(h.creator_id, ACPI_CREATOR_ID, 4);
    g_byte_array_append(b, (const uint8_t *)&h, sizeof(h));
    return start;
}

void acpi_table_end(GByteArray *b, size_t start)
{
    struct acpi_table_header *h = (void *)(b->data + start);
    uint32_t len = (uint32_t)(b->len - start);

    memcpy(&h->length, &len, 4);
    h->checksum = 0;
    h->checksum = acpi_checksum(h, len);
}
