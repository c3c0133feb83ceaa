/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI tables (ACPI 6.4, chapter 5): the common header and checksum, and
 * the x86 microvm's set: RSDP -> XSDT -> FADT (hardware-reduced) -> DSDT,
 * and the MADT.
 */
#ifndef QEMU_VMM_ACPI_H
#define QEMU_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"

struct acpi_table_header {
    char signature[4];
    uint32_t length;            /* of the whole table, header included */
    uint8_t revision;
    uint8_t checksum;           /* all bytes of the table sum to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

/* Generic Address Structure (5.2.3.2) */
struct acpi_gas {
    uint8_t space_id;           /* ACPI_SPACE_* */
    uint8_t bit_width, bit_offset;
    uint8_t access_size;        /* 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} __attribute__((packed));

#define ACPI_SPACE_MEMORY   0
#define ACPI_SPACE_IO       1

#define ACPI_OEM_ID         "QEMVMM"
#define ACPI_OEM_TABLE_ID   "MICROVM "
#define ACPI_CREATOR_ID     "QVMM"

/* The byte that makes len bytes at p sum to 0 (with it in place of a 0). */
uint8_t acpi_checksum(const void *p, size_t len);
/*
 * Start a table in b: a header with signature and revision, length and
 * checksum left 0.  Returns the table's offset in b for acpi_table_end().
 */
size_t acpi_table_begin(GByteArray *b, const char *signature, uint8_t revision);
/* Fill in the length and checksum of the table started at offset start. */
void acpi_table_end(GByteArray *b, size_t start);

/* ---- the x86 microvm's tables ---- */

/* What of the machine the tables describe. */
struct acpi_mmio_device {
    uint64_t base, size;
    uint32_t gsi;               /* level-triggered, active high */
};

struct x86_acpi_config {
    int nr_cpus;                /* APIC ids 0 .. nr_cpus - 1 */
    bool pcat_compat;           /* the 8259 PICs exist (kernel_irqchip=on) */
    uint8_t ioapic_id;
    uint64_t ioapic_addr, lapic_addr;
    uint16_t serial_port;       /* a 16550A (PNP0501) there on ISA IRQ serial_irq */
    uint8_t serial_irq;
    uint16_t sleep_port;        /* sleep control at +0, sleep status at +1 */
    uint16_t reset_port;        /* reset_value written there resets */
    uint8_t reset_value;
    const struct acpi_mmio_device *virtio;  /* "LNRO0005" devices */
    int nr_virtio;
};

/* SLP_TYP of \_S5 (soft off), what the sleep control register receives. */
#define ACPI_SLP_TYP_S5     5
#define ACPI_SLP_TYP_SHIFT  2
#define ACPI_SLP_TYP_MASK   0x1c
#define ACPI_SLP_EN         0x20
#define ACPI_WAK_STS        0x80

/*
 * All tables for guest-physical address base, RSDP first, into out (at
 * most max bytes).  -E2BIG with a message if they do not fit.
 */
int x86_acpi_build(const struct x86_acpi_config *c, uint64_t base, size_t max,
                   GByteArray *out, GError **errp);
/* Build them for X86_ACPI_BASE and write them there. */
int x86_acpi_write(AddressSpace *as, const struct x86_acpi_config *c, GError **errp);

#endif
