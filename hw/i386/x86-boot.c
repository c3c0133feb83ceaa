/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every x86 boot path shares: the boot GDT, the identity map for a
 * 64-bit entry, the e820 map, and the MP table that tells a kernel without
 * ACPI about the CPUs and the IOAPIC.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/x86.h"

#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_LARGE    (1ULL << 7)

int x86_write_boot_tables(AddressSpace *as, bool long_mode)
{
    /* null, null, __BOOT_CS (0x10), __BOOT_DS (0x18): all flat 4 GiB */
    const uint64_t gdt[4] = {
        0, 0,
        long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL,
        0x00cf93000000ffffULL,
    };
    uint64_t table[512];
    int ret;

    ret = address_space_write(as, X86_BOOT_GDT, gdt, sizeof(gdt));
    if (ret < 0 || !long_mode)
        return ret;
    /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages: the low 4 GiB */
    memset(table, 0, sizeof(table));
    table[0] = (X86_BOOT_PML4 + 0x1000) | PTE_PRESENT | PTE_WRITE;
    ret = address_space_write(as, X86_BOOT_PML4, table, sizeof(table));
    for (int i = 0; i < 4; i++)
        table[i] = (X86_BOOT_PML4 + 0x2000 + i * 0x1000ULL) | PTE_PRESENT | PTE_WRITE;
    if (ret == 0)
        ret = address_space_write(as, X86_BOOT_PML4 + 0x1000, table, sizeof(table));
    for (int pd = 0; pd < 4 && ret == 0; pd++) {
        for (int i = 0; i < 512; i++)
            table[i] = (((uint64_t)pd << 30) + ((uint64_t)i << 21)) |
                       PTE_PRESENT | PTE_WRITE | PTE_LARGE;
        ret = address_space_write(as, X86_BOOT_PML4 + 0x2000 + pd * 0x1000ULL,
                                  table, sizeof(table));
    }
    return ret;
}

int x86_e820_map(const struct x86_ram_layout *ram, struct x86_e820 *out, int max)
{
    struct x86_e820 map[6];
    int n = 0;

    map[n++] = (struct x86_e820){ 0, X86_MPTABLE, 1 };
    map[n++] = (struct x86_e820){ X86_MPTABLE, 0xa0000 - X86_MPTABLE, 2 };
    if (ram->acpi)
        map[n++] = (struct x86_e820){ X86_ACPI_BASE, X86_ACPI_SIZE, 3 };
    map[n++] = (struct x86_e820){ 0xf0000, 0x10000, 2 };
    if (ram->below_4g > 0x100000)
        map[n++] = (struct x86_e820){ 0x100000, ram->below_4g - 0x100000, 1 };
    if (ram->above_4g)
        map[n++] = (struct x86_e820){ 1ULL << 32, ram->above_4g, 1 };
    if (n > max)
        return -ENOSPC;
    memcpy(out, map, n * sizeof(map[0]));
    return n;
}

/* ---- MP table (Intel MultiProcessor Specification 1.4) ---- */

struct mpf_intel {
    char signature[4];      /* "_MP_" */
    uint32_t physptr;
    uint8_t length;         /* in 16-byte units */
    uint8_t specification;
    uint8_t checksum;
    uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
    char signature[4];      /* "PCMP" */
    uint16_t length;
    uint8_t spec;
    uint8_t checksum;
    char oem[8];
    char productid[12];
    uint32_t oemptr;
    uint16_t oemsize;
    uint16_t oemcount;
    uint32_t lapic;
    uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
    uint8_t type, apicid, apicver, cpuflag;
    uint32_t cpufeature, featureflag;
    uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
    uint8_t type, busid;
    char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
    uint8_t type, apicid, apicver, flags;
    uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
    uint8_t type, irqtype;
    uint16_t irqflag;
    uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
/* irqflag: polarity in bits 0-1 (1 = active high), trigger in bits 2-3 (3 = level) */
#define MP_LEVEL_HIGH 0x0d

#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR  0xfee00000u

static uint8_t checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return (uint8_t)-sum;
}

int x86_write_mptable(AddressSpace *as, int nr_cpus)
{
    uint8_t buf[1024];
    struct mpf_intel *mpf = (void *)buf;
    struct mpc_table *mpc = (void *)(buf + sizeof(*mpf));
    uint8_t *p = (uint8_t *)(mpc + 1);
    uint8_t ioapic_id = (uint8_t)nr_cpus;
    uint16_t count = 0;

    /* 20 bytes a CPU, the rest fixed: 1 KiB of EBDA holds 37 CPUs */
    if (sizeof(*mpf) + sizeof(*mpc) + nr_cpus * sizeof(struct mpc_cpu) +
        sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
        26 * sizeof(struct mpc_intsrc) > sizeof(buf))
        return -E2BIG;
    memset(buf, 0, sizeof(buf));
    for (int i = 0; i < nr_cpus; i++, count++) {
        struct mpc_cpu c = {
            .type = MP_PROCESSOR, .apicid = (uint8_t)i, .apicver = 0x14,
            .cpuflag = 1 | (i == 0 ? 2 : 0),        /* enabled, BSP */
            .cpufeature = 0x600, .featureflag = 0x201,
        };

        memcpy(p, &c, sizeof(c));
        p += sizeof(c);
    }
    {
        struct mpc_bus bus = { .type = MP_BUS, .busid = 0, .bustype = "ISA   " };
        struct mpc_ioapic io = { .type = MP_IOAPIC, .apicid = ioapic_id, .apicver = 0x11,
                                 .flags = 1, .apicaddr = IOAPIC_ADDR };

        memcpy(p, &bus, sizeof(bus));
        p += sizeof(bus);
        memcpy(p, &io, sizeof(io));
        p += sizeof(io);
        count += 2;
    }
    /*
     * Every IOAPIC pin: IRQ 0 (the PIT) on pin 2, the UART's 4 edge as on a
     * PC, and 5-23 level-triggered, active high: the virtio-mmio lines,
     * which stay asserted while the device's interrupt status is set.
     */
    for (uint8_t irq = 0; irq < 24; irq++) {
        struct mpc_intsrc src = { .type = MP_INTSRC, .irqtype = MP_INT, .srcbus = 0,
                                  .srcbusirq = irq, .dstapic = ioapic_id,
                                  .dstirq = irq == 0 ? 2 : irq,
                                  .irqflag = irq >= 5 ? MP_LEVEL_HIGH : 0 };

        if (irq == 2)
            continue;
        memcpy(p, &src, sizeof(src));
        p += sizeof(src);
        count++;
    }
    {
        /* every LAPIC: LINT0 ExtINT (the PIC), LINT1 NMI */
        struct mpc_intsrc lint0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT,
                                    .dstapic = 0xff, .dstirq = 0 };
        struct mpc_intsrc lint1 = { .type = MP_LINTSRC, .irqtype = MP_NMI,
                                    .dstapic = 0xff, .dstirq = 1 };

        memcpy(p, &lint0, sizeof(lint0));
        p += sizeof(lint0);
        memcpy(p, &lint1, sizeof(lint1));
        p += sizeof(lint1);
        count += 2;
    }
    memcpy(mpc->signature, "PCMP", 4);
    mpc->length = (uint16_t)(p - (uint8_t *)mpc);
    mpc->spec = 4;
    memcpy(mpc->oem, "QEMUVMM ", 8);
    memcpy(mpc->productid, "qemu-vmm    ", 12);
    mpc->oemcount = count;
    mpc->lapic = LAPIC_ADDR;
    mpc->checksum = checksum(mpc, mpc->length);

    memcpy(mpf->signature, "_MP_", 4);
    mpf->physptr = (uint32_t)(X86_MPTABLE + sizeof(*mpf));
    mpf->length = 1;
    mpf->specification = 4;
    mpf->checksum = checksum(mpf, sizeof(*mpf));
    return address_space_write(as, X86_MPTABLE, buf, (size_t)(p - buf));
}
