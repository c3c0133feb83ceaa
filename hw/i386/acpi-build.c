/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The microvm's ACPI tables, as QEMU's microvm has them: a hardware-reduced
 * platform (no PM timer, GPEs or SCI), so the DSDT is only devices.
 *
 *   RSDP (rev 2) -> XSDT -> FADT (rev 6, HW_REDUCED_ACPI) -> DSDT
 *                        -> MADT
 *
 * The DSDT describes the COM1 UART (PNP0501) and each virtio-mmio transport
 * ("LNRO0005", what Linux's virtio_mmio driver matches), which is how a
 * kernel without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES finds them.  The FADT's
 * reset register is the i8042 reset port and its sleep registers are the
 * acpi-sleep device, so that reboot and poweroff work; \_S5 gives the
 * SLP_TYP for the latter.
 *
 * The MADT says what the MP table says: a LAPIC per vCPU (x2APIC entries
 * for ids of 255 and up), the IOAPIC with GSI base 0, ISA IRQ 0 on GSI 2,
 * and IRQs 5-15 level-triggered, active high (the virtio lines).
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/acpi.h"
#include "qemu-vmm/aml.h"
#include "qemu-vmm/x86.h"

struct acpi_rsdp {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* of the first 20 bytes */
    char oem_id[6];
    uint8_t revision;           /* 2: ACPI 2.0 and later */
    uint32_t rsdt_address;
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;  /* of all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));

/* FADT revision 6 (ACPI 6.0 and later), after the common header */
struct acpi_fadt_body {
    uint32_t firmware_ctrl, dsdt;
    uint8_t reserved0, preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl, x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control, sleep_status;
    char hypervisor_vendor[8];
} __attribute__((packed));

G_STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36);
G_STATIC_ASSERT(sizeof(struct acpi_table_header) + sizeof(struct acpi_fadt_body) == 276);

#define FADT_F_RESET_REG_SUP    (1u << 10)
#define FADT_F_HW_REDUCED_ACPI  (1u << 20)
/* IA-PC boot architecture flags: no 8042 (bit 1 clear: only its reset port) */
#define BOOT_ARCH_NO_VGA        (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC   (1u << 5)

enum {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_INT_OVERRIDE = 2, MADT_LAPIC_NMI = 4,
    MADT_X2APIC = 9, MADT_X2APIC_NMI = 10,
};
#define MADT_PCAT_COMPAT        1u
#define MADT_ENABLED            1u
/* MPS INTI flags: polarity bits 0-1 (1 high), trigger bits 2-3 (1 edge, 3 level) */
#define INTI_EDGE_HIGH          0x0005
#define INTI_LEVEL_HIGH         0x000d
#define X2APIC_FIRST_ID         255     /* 0xff is the xAPIC broadcast id */
#define ALL_PROCESSORS          0xff

static void put(GByteArray *b, const void *p, size_t len)
{
    g_byte_array_append(b, p, (guint)len);
}

static void align(GByteArray *b, size_t to)
{
    while (b->len % to)
        g_byte_array_append(b, (const uint8_t[]){ 0 }, 1);
}

static struct acpi_gas io_byte(uint16_t port)
{
    return (struct acpi_gas){ .space_id = ACPI_SPACE_IO, .bit_width = 8,
                              .access_size = 1, .address = port };
}

static void build_madt(GByteArray *b, const struct x86_acpi_config *c)
{
    size_t start = acpi_table_begin(b, "APIC", 4);
    uint32_t lapic = (uint32_t)c->lapic_addr;
    uint32_t flags = c->pcat_compat ? MADT_PCAT_COMPAT : 0;
    bool any_x2apic = false;

    put(b, &lapic, 4);
    put(b, &flags, 4);
    for (int i = 0; i < c->nr_cpus; i++) {
        uint32_t en = MADT_ENABLED, id = (uint32_t)i;

        if (id < X2APIC_FIRST_ID) {
            uint8_t e[4] = { MADT_LAPIC, 8, (uint8_t)i, (uint8_t)id };

            put(b, e, 4);
            put(b, &en, 4);
        } else {
            uint8_t e[4] = { MADT_X2APIC, 16, 0, 0 };

            put(b, e, 4);
            put(b, &id, 4);
            put(b, &en, 4);
            put(b, &id, 4);     /* ACPI processor UID */
            any_x2apic = true;
        }
    }
    {
        uint8_t e[4] = { MADT_IOAPIC, 12, c->ioapic_id, 0 };
        uint32_t addr = (uint32_t)c->ioapic_addr, gsi_base = 0;

        put(b, e, 4);
        put(b, &addr, 4);
        put(b, &gsi_base, 4);
    }
    /*
     * ISA IRQ 0 (the PIT) is pin 2.  Its flags are spelled out: with no SCI
     * (SCI_INT 0), Linux takes an IRQ 0 override for the SCI's and would
     * make "conforming" level/low.  Then 5-15, level like the virtio lines.
     */
    for (unsigned int irq = 0; irq < 16; irq++) {
        uint8_t e[4] = { MADT_INT_OVERRIDE, 10, 0 /* ISA */, (uint8_t)irq };
        uint32_t gsi = irq == 0 ? 2 : irq;
        uint16_t inti = irq == 0 ? INTI_EDGE_HIGH : INTI_LEVEL_HIGH;

        if (irq > 0 && irq < 5)
            continue;           /* ISA defaults: edge, active high */
        put(b, e, 4);
        put(b, &gsi, 4);
        put(b, &inti, 2);
    }
    {
        /* every LAPIC's LINT1 is NMI */
        uint8_t e[6] = { MADT_LAPIC_NMI, 6, ALL_PROCESSORS, 0, 0, 1 };

        put(b, e, 6);
    }
    if (any_x2apic) {
        uint8_t e[12] = { MADT_X2APIC_NMI, 12, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0 };

        put(b, e, 12);
    }
    acpi_table_end(b, start);
}

/* Name (_CRS, ResourceTemplate () { res }) */
static void name_crs(GByteArray *b, GByteArray *res)
{
    aml_name_decl(b, "_CRS");
    aml_resource_template(b, res);
}

static void build_dsdt(GByteArray *b, const struct x86_acpi_config *c)
{
    size_t start = acpi_table_begin(b, "DSDT", 2);    /* 2: 64-bit integers */
    size_t sb = aml_scope_begin(b, "\\_SB");

    if (c->serial_port) {
        g_autoptr(GByteArray) res = g_byte_array_new();
        size_t dev = aml_device_begin(b, "COM1");

        aml_name_decl(b, "_HID");
        aml_eisaid(b, "PNP0501");
        aml_name_decl(b, "_UID");
        aml_integer(b, 1);
        aml_res_io(res, c->serial_port, c->serial_port, 1, 8);
        aml_res_irq(res, c->serial_irq, AML_IRQ_EDGE);
        name_crs(b, res);
        aml_end(b, dev);
    }
    for (int i = 0; i < c->nr_virtio; i++) {
        const struct acpi_mmio_device *v = &c->virtio[i];
        g_autoptr(GByteArray) res = g_byte_array_new();
        char name[5];
        size_t dev;

        g_snprintf(name, sizeof(name), "VR%02d", i % 100);
        dev = aml_device_begin(b, name);
        aml_name_decl(b, "_HID");
        aml_string(b, "LNRO0005");
        aml_name_decl(b, "_UID");
        aml_integer(b, (uint64_t)i);
        aml_res_mem32_fixed(res, (uint32_t)v->base, (uint32_t)v->size, 1);
        aml_res_ext_irq(res, v->gsi, AML_EXT_IRQ_CONSUMER);    /* level, high, exclusive */
        name_crs(b, res);
        aml_end(b, dev);
    }
    aml_end(b, sb);
    if (c->sleep_port) {
        /* \_S5: SLP_TYP a and b, then two reserved */
        size_t pkg;

        aml_name_decl(b, "\\_S5");
        pkg = aml_package_begin(b, 4);
        aml_integer(b, ACPI_SLP_TYP_S5);
        aml_integer(b, 0);
        aml_integer(b, 0);
        aml_integer(b, 0);
        aml_end(b, pkg);
    }
    acpi_table_end(b, start);
}

static void build_fadt(GByteArray *b, const struct x86_acpi_config *c, uint64_t dsdt)
{
    size_t start = acpi_table_begin(b, "FACP", 6);
    struct acpi_fadt_body f = {
        .dsdt = (uint32_t)dsdt,
        .x_dsdt = dsdt,
        .flags = FADT_F_HW_REDUCED_ACPI,
        .iapc_boot_arch = BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC,
        .minor_version = 0,
    };

    if (c->reset_port) {
        f.flags |= FADT_F_RESET_REG_SUP;
        f.reset_reg = io_byte(c->reset_port);
        f.reset_value = c->reset_value;
    }
    if (c->sleep_port) {
        f.sleep_control = io_byte(c->sleep_port);
        f.sleep_status = io_byte((uint16_t)(c->sleep_port + 1));
    }
    memcpy(f.hypervisor_vendor, "QEMU-VMM", 8);
    put(b, &f, sizeof(f));
    acpi_table_end(b, start);
}

static void build_xsdt(GByteArray *b, const uint64_t *tables, int n)
{
    size_t start = acpi_table_begin(b, "XSDT", 1);

    put(b, tables, (size_t)n * sizeof(tables[0]));
    acpi_table_end(b, start);
}

int x86_acpi_build(const struct x86_acpi_config *c, uint64_t base, size_t max,
                   GByteArray *out, GError **errp)
{
    struct acpi_rsdp rsdp = { .revision = 2, .length = sizeof(rsdp) };
    uint64_t madt, dsdt, fadt, xsdt;
    uint64_t entries[2];

    /* layout: RSDP, MADT, DSDT, FADT, XSDT, each 16-byte aligned */
    g_byte_array_set_size(out, 0);
    g_byte_array_set_size(out, sizeof(rsdp));
    align(out, 16);
    madt = base + out->len;
    build_madt(out, c);
    align(out, 16);
    dsdt = base + out->len;
    build_dsdt(out, c);
    align(out, 16);
    fadt = base + out->len;
    build_fadt(out, c, dsdt);
    align(out, 16);
    xsdt = base + out->len;
    entries[0] = fadt;
    entries[1] = madt;
    build_xsdt(out, entries, 2);

    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, ACPI_OEM_ID, 6);
    rsdp.xsdt_address = xsdt;
    rsdp.checksum = acpi_checksum(&rsdp, 20);
    rsdp.extended_checksum = acpi_checksum(&rsdp, sizeof(rsdp));
    memcpy(out->data, &rsdp, sizeof(rsdp));

    if (out->len > max) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                    "the ACPI tables (%u bytes for %d vCPUs) exceed their %zu-byte area",
                    out->len, c->nr_cpus, max);
        return -E2BIG;
    }
    return 0;
}

int x86_acpi_write(AddressSpace *as, const struct x86_acpi_config *c, GError **errp)
{
    g_autoptr(GByteArray) tables = g_byte_array_new();
    int ret = x86_acpi_build(c, X86_ACPI_BASE, X86_ACPI_SIZE, tables, errp);

    if (ret < 0)
        return ret;
    ret = address_space_write(as, X86_ACPI_BASE, tables->data, tables->len);
    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                    "cannot write the ACPI tables at 0x%llx: guest RAM too small",
                    X86_ACPI_BASE);
    return ret;
}
