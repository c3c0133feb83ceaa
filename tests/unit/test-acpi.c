/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AML writer and the microvm's ACPI tables: encodings checked byte by
 * byte, the tables walked from the RSDP as an OS does (signatures, lengths,
 * checksums, MADT entries for N vCPUs), the DSDT decoded back (PkgLengths,
 * devices, resource templates), the sleep registers, and, where acpica-tools
 * is installed, `iasl -d` disassembling the tables without an error.
 */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "qemu-vmm/acpi.h"
#include "qemu-vmm/aml.h"
#include "qemu-vmm/hw.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/x86.h"

#define BASE 0xe0000ULL

static void assert_bytes(GByteArray *b, const uint8_t *want, size_t len)
{
    g_assert_cmpuint(b->len, ==, len);
    g_assert_cmpmem(b->data, b->len, want, len);
}

static void test_pkglen(void)
{
    /* contents length -> encoded bytes (the value counts the PkgLength too) */
    static const struct { size_t len; int n; } cases[] = {
        { 0, 1 }, { 62, 1 }, { 63, 2 }, { 64, 2 }, { 4093, 2 }, { 4094, 3 },
        { (1u << 20) - 4, 3 }, { (1u << 20) - 3, 4 }, { (1u << 28) - 5, 4 },
    };
    uint8_t enc[4];
    size_t v;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int n = aml_pkglen_encode(cases[i].len, enc);

        g_assert_cmpint(n, ==, cases[i].n);
        g_assert_cmpint(aml_pkglen_decode(enc, 4, &v), ==, n);
        g_assert_cmpuint(v, ==, cases[i].len + (size_t)n);
        if (n > 1)
            g_assert_cmphex(enc[0] & 0x30, ==, 0);     /* reserved bits */
    }
    g_assert_cmpint(aml_pkglen_encode(62, enc), ==, 1);
    g_assert_cmphex(enc[0], ==, 0x3f);
    /* 63 bytes of contents: 65 in all, 0x41 then 0x04 */
    g_assert_cmpint(aml_pkglen_encode(63, enc), ==, 2);
    g_assert_cmphex(enc[0], ==, 0x41);
    g_assert_cmphex(enc[1], ==, 0x04);
    g_assert_cmpint(aml_pkglen_encode(1u << 28, enc), <, 0);
    /* decoding: reserved bits set, or truncated */
    enc[0] = 0x70;
    g_assert_cmpint(aml_pkglen_decode(enc, 4, &v), <, 0);
    enc[0] = 0x81;
    g_assert_cmpint(aml_pkglen_decode(enc, 2, &v), <, 0);
    g_assert_cmpint(aml_pkglen_decode(enc, 0, &v), <, 0);
}

static void test_names(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    g_assert_cmpint(aml_name(b, "\\_SB"), ==, 0);
    assert_bytes(b, (const uint8_t *)"\\_SB_", 5);
    g_byte_array_set_size(b, 0);
    g_assert_cmpint(aml_name(b, "COM1"), ==, 0);
    assert_bytes(b, (const uint8_t *)"COM1", 4);
    g_byte_array_set_size(b, 0);
    g_assert_cmpint(aml_name(b, "\\_SB.VR00"), ==, 0);
    assert_bytes(b, (const uint8_t *)"\\\x2e_SB_VR00", 10);
    g_byte_array_set_size(b, 0);
    g_assert_cmpint(aml_name(b, "^^A.B.C"), ==, 0);
    assert_bytes(b, (const uint8_t *)"^^\x2f\x03" "A___B___C___", 16);
    g_byte_array_set_size(b, 0);
    g_assert_cmpint(aml_name(b, "\\"), ==, 0);
    assert_bytes(b, (const uint8_t *)"\\\0", 2);
    /* malformed: nothing is written */
    g_byte_array_set_size(b, 0);
    g_assert_cmpint(aml_name(b, "1ABC"), <, 0);
    g_assert_cmpint(aml_name(b, "ABCDE"), <, 0);
    g_assert_cmpint(aml_name(b, "com1"), <, 0);
    g_assert_cmpint(aml_name(b, "\\_SB..X"), <, 0);
    g_assert_cmpint(aml_name(b, "A.B-"), <, 0);
    g_assert_cmpint(aml_name_decl(b, "\\X.9"), <, 0);
    g_assert_cmpuint(b->len, ==, 0);
}

static void test_data(void)
{
    static const uint8_t want[] = {
        0x00, 0x01, 0xff, 0x0a, 0x05, 0x0b, 0x00, 0x01, 0x0c, 0x00, 0x00, 0xb0, 0xfe,
        0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
        0x0c, 0x41, 0xd0, 0x05, 0x01,                   /* EISAID("PNP0501") */
        0x11, 0x05, 0x0a, 0x02, 0xaa, 0xbb,             /* Buffer (2) { ... } */
        0x12, 0x05, 0x02, 0x0a, 0x05, 0x00,             /* Package (2) { 5, 0 } */
    };
    g_autoptr(GByteArray) b = g_byte_array_new();
    size_t pkg;

    aml_integer(b, 0);
    aml_integer(b, 1);
    aml_integer(b, UINT64_MAX);
    aml_integer(b, 5);
    aml_integer(b, 0x100);
    aml_integer(b, 0xfeb00000);
    aml_integer(b, 1ULL << 32);
    aml_string(b, "LNRO0005");
    g_assert_cmpint(aml_eisaid(b, "PNP0501"), ==, 0);
    aml_buffer(b, (const uint8_t[]){ 0xaa, 0xbb }, 2);
    pkg = aml_package_begin(b, 2);
    aml_integer(b, 5);
    aml_integer(b, 0);
    aml_end(b, pkg);
    assert_bytes(b, want, sizeof(want));

    g_assert_cmpint(aml_eisaid(b, "pnp0501"), <, 0);
    g_assert_cmpint(aml_eisaid(b, "PNP05G1"), <, 0);
    g_assert_cmpint(aml_eisaid(b, "PNP050"), <, 0);
    g_assert_cmpuint(b->len, ==, sizeof(want));
}

/* A device whose contents pass 63 bytes takes a 2-byte PkgLength. */
static void test_long_device(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    size_t dev = aml_device_begin(b, "LONG"), len;
    int n;

    for (int i = 0; i < 20; i++)
        aml_integer(b, 0x12345678);     /* 5 bytes each: 4 + 100 bytes of contents */
    aml_end(b, dev);
    g_assert_cmphex(b->data[0], ==, AML_EXT_PREFIX);
    g_assert_cmphex(b->data[1], ==, AML_DEVICE_OP);
    n = aml_pkglen_decode(b->data + 2, b->len - 2, &len);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(len, ==, b->len - 2);
    g_assert_cmpmem(b->data + 2 + n, 4, "LONG", 4);
}

/* ---- the tables ---- */

static const struct acpi_mmio_device virtio3[] = {
    { 0xfeb00000, 0x200, 5 }, { 0xfeb00200, 0x200, 6 }, { 0xfeb00400, 0x200, 7 },
};

static struct x86_acpi_config config(int cpus)
{
    return (struct x86_acpi_config){
        .nr_cpus = cpus, .pcat_compat = true, .ioapic_id = (uint8_t)cpus,
        .ioapic_addr = 0xfec00000, .lapic_addr = 0xfee00000,
        .serial_port = 0x3f8, .serial_irq = 4, .sleep_port = 0x600,
        .reset_port = 0x64, .reset_value = 0xfe,
        .virtio = virtio3, .nr_virtio = 3,
    };
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s += *p++;
    return s;
}

/* The table at guest address addr in blob, checked: inside, length, checksum. */
static const uint8_t *table_at(GByteArray *blob, uint64_t addr, const char *sig)
{
    const uint8_t *t;
    uint32_t len;

    g_assert_cmphex(addr, >=, BASE);
    g_assert_cmpuint(addr - BASE + 36, <=, blob->len);
    t = blob->data + (addr - BASE);
    len = rd32(t + 4);
    g_assert_cmpuint(addr - BASE + len, <=, blob->len);
    g_assert_cmpmem(t, 4, sig, 4);
    g_assert_cmpuint(sum(t, len), ==, 0);
    g_assert_cmpmem(t + 10, 6, ACPI_OEM_ID, 6);
    return t;
}

struct tables {
    const uint8_t *xsdt, *fadt, *madt, *dsdt;
};

/* Walk from the RSDP as Linux does: XSDT, its entries by signature, X_DSDT. */
static struct tables walk(GByteArray *blob)
{
    struct tables t = { 0 };
    const uint8_t *r = blob->data;
    uint32_t n;

    g_assert_cmpmem(r, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(r, 20), ==, 0);
    g_assert_cmpuint(r[15], ==, 2);                 /* revision: XSDT valid */
    g_assert_cmpuint(rd32(r + 20), ==, 36);
    g_assert_cmpuint(sum(r, 36), ==, 0);
    t.xsdt = table_at(blob, rd64(r + 24), "XSDT");
    n = (rd32(t.xsdt + 4) - 36) / 8;
    g_assert_cmpuint(n, ==, 2);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = rd64(t.xsdt + 36 + 8 * i);
        const uint8_t *p = blob->data + (a - BASE);

        if (!memcmp(p, "FACP", 4))
            t.fadt = table_at(blob, a, "FACP");
        else
            t.madt = table_at(blob, a, "APIC");
    }
    g_assert_nonnull(t.fadt);
    g_assert_nonnull(t.madt);
    g_assert_cmpuint(rd32(t.fadt + 4), ==, 276);
    g_assert_cmpuint(t.fadt[8], ==, 6);
    t.dsdt = table_at(blob, rd64(t.fadt + 140), "DSDT");
    g_assert_cmphex(rd32(t.fadt + 40), ==, rd64(t.fadt + 140));
    return t;
}

static void test_fadt(void)
{
    struct x86_acpi_config c = config(1);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    struct tables t;
    uint32_t flags;

    g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
    t = walk(blob);
    flags = rd32(t.fadt + 112);
    g_assert_true(flags & (1u << 20));              /* HW_REDUCED_ACPI */
    g_assert_true(flags & (1u << 10));              /* RESET_REG_SUP */
    /* reset register: SystemIO, 8 bits, port 0x64, value 0xfe */
    g_assert_cmpuint(t.fadt[116], ==, ACPI_SPACE_IO);
    g_assert_cmpuint(t.fadt[117], ==, 8);
    g_assert_cmphex(rd64(t.fadt + 120), ==, 0x64);
    g_assert_cmphex(t.fadt[128], ==, 0xfe);
    /* sleep control and status registers */
    g_assert_cmpuint(t.fadt[244], ==, ACPI_SPACE_IO);
    g_assert_cmphex(rd64(t.fadt + 248), ==, 0x600);
    g_assert_cmpuint(t.fadt[256], ==, ACPI_SPACE_IO);
    g_assert_cmphex(rd64(t.fadt + 260), ==, 0x601);
    /* no 8042, no VGA, no CMOS RTC: Linux then skips probing them */
    g_assert_cmphex(t.fadt[109] | (t.fadt[110] << 8), ==, (1 << 2) | (1 << 5));
    g_assert_cmpuint(rd32(t.fadt + 46) & 0xffff, ==, 0);   /* no SCI */
}

struct madt_count {
    int lapic, x2apic, ioapic, iso, nmi, x2nmi;
    int level_isa_irqs;
};

static struct madt_count count_madt(const uint8_t *m, int nr_cpus)
{
    struct madt_count n = { 0 };
    uint32_t len = rd32(m + 4);
    int next_id = 0;

    g_assert_cmphex(rd32(m + 36), ==, 0xfee00000);
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = m + off;

        g_assert_cmpuint(e[1], >=, 2);
        g_assert_cmpuint(off + e[1], <=, len);
        switch (e[0]) {
        case 0:
            g_assert_cmpuint(e[1], ==, 8);
            g_assert_cmpuint(e[3], ==, next_id++);  /* APIC ids in order */
            g_assert_cmpuint(rd32(e + 4), ==, 1);   /* enabled */
            n.lapic++;
            break;
        case 9:
            g_assert_cmpuint(e[1], ==, 16);
            g_assert_cmpuint(rd32(e + 4), ==, (uint32_t)next_id++);
            g_assert_cmpuint(rd32(e + 4), >=, 255);
            g_assert_cmpuint(rd32(e + 8), ==, 1);
            n.x2apic++;
            break;
        case 1:
            g_assert_cmpuint(e[1], ==, 12);
            g_assert_cmpuint(e[2], ==, (uint8_t)nr_cpus);
            g_assert_cmphex(rd32(e + 4), ==, 0xfec00000);
            g_assert_cmpuint(rd32(e + 8), ==, 0);   /* GSI base */
            n.ioapic++;
            break;
        case 2:
            g_assert_cmpuint(e[1], ==, 10);
            g_assert_cmpuint(e[2], ==, 0);          /* ISA */
            if (e[3] == 0) {
                g_assert_cmpuint(rd32(e + 4), ==, 2);
                g_assert_cmphex(e[8], ==, 0x05);    /* edge, active high */
            } else {
                g_assert_cmpuint(rd32(e + 4), ==, e[3]);
                g_assert_cmphex(e[8], ==, 0x0d);    /* level, active high */
                g_assert_cmpuint(e[3], >=, 5);
                n.level_isa_irqs++;
            }
            n.iso++;
            break;
        case 4:
            g_assert_cmpuint(e[1], ==, 6);
            g_assert_cmpuint(e[5], ==, 1);          /* LINT1 */
            n.nmi++;
            break;
        case 10:
            g_assert_cmpuint(e[1], ==, 12);
            g_assert_cmpuint(e[8], ==, 1);
            n.x2nmi++;
            break;
        default:
            g_assert_not_reached();
        }
        off += e[1];
    }
    g_assert_cmpint(next_id, ==, nr_cpus);
    return n;
}

static void test_madt(void)
{
    static const int cpus[] = { 1, 2, 254, 255, 300, 1024 };

    for (size_t i = 0; i < G_N_ELEMENTS(cpus); i++) {
        struct x86_acpi_config c = config(cpus[i]);
        g_autoptr(GByteArray) blob = g_byte_array_new();
        struct madt_count n;
        struct tables t;

        g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
        t = walk(blob);
        g_assert_cmpuint(rd32(t.madt + 40), ==, 1);         /* PCAT_COMPAT */
        n = count_madt(t.madt, cpus[i]);
        g_assert_cmpint(n.lapic, ==, MIN(cpus[i], 255));
        g_assert_cmpint(n.x2apic, ==, MAX(cpus[i] - 255, 0));
        g_assert_cmpint(n.ioapic, ==, 1);
        g_assert_cmpint(n.iso, ==, 12);                     /* IRQ 0, IRQs 5-15 */
        g_assert_cmpint(n.level_isa_irqs, ==, 11);
        g_assert_cmpint(n.nmi, ==, 1);
        g_assert_cmpint(n.x2nmi, ==, cpus[i] > 255 ? 1 : 0);
    }
    {
        /* split irqchip: no 8259 */
        struct x86_acpi_config c = config(2);
        g_autoptr(GByteArray) blob = g_byte_array_new();

        c.pcat_compat = false;
        g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
        g_assert_cmpuint(rd32(walk(blob).madt + 40), ==, 0);
    }
}

static void test_too_big(void)
{
    struct x86_acpi_config c = config(1024);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(x86_acpi_build(&c, BASE, 4096, blob, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "1024 vCPUs"));
}

/* ---- decoding the DSDT back ---- */

struct cursor {
    const uint8_t *p, *end;
};

static size_t pkg(struct cursor *c)
{
    size_t len;
    int n = aml_pkglen_decode(c->p, (size_t)(c->end - c->p), &len);

    g_assert_cmpint(n, >, 0);
    g_assert_cmpuint(len, <=, (size_t)(c->end - c->p));
    c->p += n;
    return len - (size_t)n;         /* what follows the PkgLength */
}

static void expect(struct cursor *c, const void *bytes, size_t n)
{
    g_assert_cmpuint((size_t)(c->end - c->p), >=, n);
    g_assert_cmpmem(c->p, n, bytes, n);
    c->p += n;
}

static uint64_t integer(struct cursor *c)
{
    uint8_t op = *c->p++;
    uint64_t v = 0;
    int bytes = op == AML_BYTE_PREFIX ? 1 : op == AML_WORD_PREFIX ? 2 :
                op == AML_DWORD_PREFIX ? 4 : op == AML_QWORD_PREFIX ? 8 : 0;

    if (op == AML_ZERO_OP || op == AML_ONE_OP)
        return op;
    g_assert_cmpint(bytes, >, 0);
    memcpy(&v, c->p, (size_t)bytes);
    c->p += bytes;
    return v;
}

struct resources {
    uint32_t mem_base, mem_len, gsi;
    uint8_t ext_flags;
    uint16_t io_min, io_len, irq_mask;
    uint8_t irq_flags;
};

/* Name (_CRS, Buffer) and the descriptors in it, up to the End Tag. */
static struct resources crs(struct cursor *c)
{
    struct resources r = { 0 };
    struct cursor buf;
    size_t len, size;

    expect(c, "\x08_CRS\x11", 6);
    len = pkg(c);
    buf = (struct cursor){ c->p, c->p + len };
    c->p += len;
    size = (size_t)integer(&buf);
    g_assert_cmpuint(size, ==, (size_t)(buf.end - buf.p));
    for (;;) {
        uint8_t tag = *buf.p;

        if (tag & 0x80) {                       /* large: 16-bit length */
            uint16_t l = (uint16_t)(buf.p[1] | buf.p[2] << 8);

            g_assert_cmpuint(3u + l, <=, (size_t)(buf.end - buf.p));
            if (tag == AML_RES_MEM32_FIXED) {
                g_assert_cmpuint(l, ==, 9);
                g_assert_cmpuint(buf.p[3], ==, 1);      /* read-write */
                r.mem_base = rd32(buf.p + 4);
                r.mem_len = rd32(buf.p + 8);
            } else {
                g_assert_cmphex(tag, ==, AML_RES_EXT_IRQ);
                g_assert_cmpuint(l, ==, 6);
                g_assert_cmpuint(buf.p[4], ==, 1);      /* one interrupt */
                r.ext_flags = buf.p[3];
                r.gsi = rd32(buf.p + 5);
            }
            buf.p += 3 + l;
            continue;
        }
        /* small: type in bits 3-6, length in bits 0-2 */
        g_assert_cmpuint(1u + (tag & 7), <=, (size_t)(buf.end - buf.p));
        if (tag == AML_RES_END) {
            g_assert_cmpuint((size_t)(buf.end - buf.p), ==, 2);
            break;
        }
        if (tag == AML_RES_IO) {
            r.io_min = (uint16_t)(buf.p[2] | buf.p[3] << 8);
            g_assert_cmpuint(buf.p[4] | buf.p[5] << 8, ==, r.io_min);
            r.io_len = buf.p[7];
        } else {
            g_assert_cmphex(tag, ==, AML_RES_IRQ);
            r.irq_mask = (uint16_t)(buf.p[1] | buf.p[2] << 8);
            r.irq_flags = buf.p[3];
        }
        buf.p += 1 + (tag & 7);
    }
    return r;
}

static void test_dsdt(void)
{
    struct x86_acpi_config c = config(2);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    const uint8_t *d;
    struct cursor cur, sb;
    struct resources r;
    size_t len;

    g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
    d = walk(blob).dsdt;
    g_assert_cmpuint(d[8], ==, 2);
    cur = (struct cursor){ d + 36, d + rd32(d + 4) };

    /* Scope (\_SB) { ... } */
    expect(&cur, "\x10", 1);
    len = pkg(&cur);
    sb = (struct cursor){ cur.p, cur.p + len };
    cur.p += len;
    expect(&sb, "\\_SB_", 5);

    /* Device (COM1): _HID EISAID("PNP0501"), _UID 1, IO 0x3f8/8, IRQ 4 edge */
    expect(&sb, "\x5b\x82", 2);
    len = pkg(&sb);
    {
        struct cursor dev = { sb.p, sb.p + len };

        expect(&dev, "COM1\x08_HID\x0c\x41\xd0\x05\x01\x08_UID\x01", 20);
        r = crs(&dev);
        g_assert_true(dev.p == dev.end);
        g_assert_cmphex(r.io_min, ==, 0x3f8);
        g_assert_cmpuint(r.io_len, ==, 8);
        g_assert_cmphex(r.irq_mask, ==, 1 << 4);
        g_assert_cmphex(r.irq_flags, ==, AML_IRQ_EDGE);
        sb.p += len;
    }
    /* Device (VRnn): _HID "LNRO0005", _UID n, the window and its GSI, level high */
    for (int i = 0; i < 3; i++) {
        char head[32];
        struct cursor dev;

        expect(&sb, "\x5b\x82", 2);
        len = pkg(&sb);
        dev = (struct cursor){ sb.p, sb.p + len };
        g_snprintf(head, sizeof(head), "VR%02d\x08_HID\x0dLNRO0005", i);
        expect(&dev, head, 18);
        expect(&dev, "\0\x08_UID", 6);
        g_assert_cmpuint(integer(&dev), ==, (uint64_t)i);
        r = crs(&dev);
        g_assert_true(dev.p == dev.end);
        g_assert_cmphex(r.mem_base, ==, virtio3[i].base);
        g_assert_cmphex(r.mem_len, ==, 0x200);
        g_assert_cmpuint(r.gsi, ==, virtio3[i].gsi);
        g_assert_cmphex(r.ext_flags, ==, AML_EXT_IRQ_CONSUMER);
        sb.p += len;
    }
    g_assert_true(sb.p == sb.end);

    /* Name (\_S5, Package (4) { 5, 0, 0, 0 }) ends the table */
    expect(&cur, "\x08\\_S5_\x12\x07\x04\x0a\x05\x00\x00\x00", 14);
    g_assert_true(cur.p == cur.end);
}

static void test_no_devices(void)
{
    struct x86_acpi_config c = config(1);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    const uint8_t *d;

    c.nr_virtio = 0;
    c.serial_port = 0;
    c.sleep_port = 0;
    c.reset_port = 0;
    g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
    d = walk(blob).dsdt;
    /* an empty Scope (\_SB) and no \_S5 */
    g_assert_cmpuint(rd32(d + 4), ==, 36 + 7);
    g_assert_cmpmem(d + 36, 7, "\x10\x06\\_SB_", 7);
    g_assert_false(rd32(walk(blob).fadt + 112) & (1u << 10));
}

/* The whole set written into guest RAM at X86_ACPI_BASE. */
static void test_write(void)
{
    struct x86_acpi_config c = config(2);
    g_autofree uint8_t *ram = g_malloc0(1 << 20);
    AddressSpace *as = address_space_new("mem", 1ULL << 32, false);
    MemoryRegion *mr = memory_region_new_ram_ptr("ram", 1 << 20, ram);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(memory_region_map(as, mr, 0, 0), ==, 0);
    g_assert_cmpint(x86_acpi_write(as, &c, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpmem(ram + X86_ACPI_BASE, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(ram + X86_ACPI_BASE, 36), ==, 0);
    address_space_free(as);
    memory_region_free(mr);

    /* RAM ending below the BIOS area: an error, not a crash */
    ram = g_realloc(ram, 0x80000);
    as = address_space_new("mem", 1ULL << 32, false);
    mr = memory_region_new_ram_ptr("ram", 0x80000, ram);
    g_assert_cmpint(memory_region_map(as, mr, 0, 0), ==, 0);
    g_assert_cmpint(x86_acpi_write(as, &c, &err), <, 0);
    g_assert_nonnull(err);
    address_space_free(as);
    memory_region_free(mr);
}

/* The e820 map marks the tables' area as ACPI data when there are tables. */
static void test_e820(void)
{
    struct x86_ram_layout ram = { 256 << 20, 0, true };
    struct x86_e820 map[8];
    int n = x86_e820_map(&ram, map, 8), found = 0;

    for (int i = 0; i < n; i++) {
        if (map[i].type == 3) {
            g_assert_cmphex(map[i].addr, ==, X86_ACPI_BASE);
            g_assert_cmphex(map[i].size, ==, X86_ACPI_SIZE);
            found++;
        }
        if (i > 0)      /* sorted, no overlap */
            g_assert_cmphex(map[i].addr, >=, map[i - 1].addr + map[i - 1].size);
    }
    g_assert_cmpint(found, ==, 1);
    ram.acpi = false;
    n = x86_e820_map(&ram, map, 8);
    for (int i = 0; i < n; i++)
        g_assert_cmpuint(map[i].type, !=, 3);
}

/* SLP_TYP 5 with SLP_EN powers off; other values and the status port do not. */
static void test_sleep_regs(void)
{
    AddressSpace *io = address_space_new("io", 0x10000, true);

    g_assert_cmpint(acpi_sleep_create(io, 0x600, NULL), ==, 0);
    g_assert_cmpint(acpi_sleep_create(io, 0xffff, NULL), <, 0);    /* past the port space */
    address_space_write_io(io, 0x601, ACPI_WAK_STS, 1);            /* status */
    /* S3 is not offered; S5 without SLP_EN does nothing */
    address_space_write_io(io, 0x600, (3 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 1);
    address_space_write_io(io, 0x600, 5 << ACPI_SLP_TYP_SHIFT, 1);
    g_assert_false(vm_exit_requested());
    g_assert_cmpuint(address_space_read_io(io, 0x601, 1), ==, 0);
    address_space_write_io(io, 0x600, (ACPI_SLP_TYP_S5 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 1);
    g_assert_true(vm_exit_requested());
    /* the device lives as long as the VM; here the test frees its region */
    g_assert_nonnull(address_space_lookup(io, 0x600));
    memory_region_free(address_space_lookup(io, 0x600)->mr);
    address_space_free(io);
}

/* ---- iasl ---- */

/* iasl -d file (disassemble) or iasl file (compile) in dir: output, exit status */
static char *run_iasl(const char *dir, bool disassemble, const char *file, int *status)
{
    g_autofree char *out = NULL, *errs = NULL;
    const char *argv[] = { "iasl", disassemble ? "-d" : file, disassemble ? file : NULL, NULL };
    g_autoptr(GError) err = NULL;

    g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &errs, status, &err));
    return g_strconcat(out, errs, NULL);
}

static void test_iasl(void)
{
    struct x86_acpi_config c = config(4);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    g_autofree char *dir = NULL, *iasl = g_find_program_in_path("iasl");
    struct tables t;

    if (!iasl) {
        g_test_skip("iasl not installed (Debian: acpica-tools)");
        return;
    }
    dir = g_dir_make_tmp("test-acpi-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_assert_cmpint(x86_acpi_build(&c, BASE, X86_ACPI_SIZE, blob, NULL), ==, 0);
    t = walk(blob);
    {
        const struct { const char *name; const uint8_t *table; } files[] = {
            { "dsdt.dat", t.dsdt }, { "facp.dat", t.fadt }, { "apic.dat", t.madt },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
            g_autofree char *path = g_build_filename(dir, files[i].name, NULL);
            g_autofree char *dsl = g_strdup(path), *text = NULL, *log = NULL;
            int status;

            g_assert_true(g_file_set_contents(path, (const char *)files[i].table,
                                              rd32(files[i].table + 4), NULL));
            log = run_iasl(dir, true, files[i].name, &status);
            if (g_test_verbose())
                g_printerr("%s", log);
            g_assert_cmpint(status, ==, 0);
            g_assert_null(strstr(log, "Error"));
            memcpy(dsl + strlen(dsl) - 3, "dsl", 3);
            g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
            if (i == 0) {
                g_assert_nonnull(strstr(text, "Name (_HID, \"LNRO0005\")"));
                g_assert_nonnull(strstr(text, "Name (_HID, EisaId (\"PNP0501\")"));
                g_assert_nonnull(strstr(text, "Memory32Fixed (ReadWrite,"));
                g_assert_nonnull(strstr(text, "Interrupt (ResourceConsumer, Level, "
                                              "ActiveHigh, Exclusive, ,, )"));
                /* and the disassembly compiles back without a complaint */
                g_free(log);
                log = run_iasl(dir, false, "dsdt.dsl", &status);
                g_assert_cmpint(status, ==, 0);
                g_assert_nonnull(strstr(log, "0 Errors, 0 Warnings, 0 Remarks"));
                g_free(log);
                log = g_build_filename(dir, "dsdt.aml", NULL);
                g_unlink(log);
            } else if (i == 1) {
                g_assert_nonnull(strstr(text, "Hardware Reduced (V5) : 1"));
            } else {
                g_assert_nonnull(strstr(text, "Local Apic ID : 03"));
            }
            g_unlink(dsl);
            g_unlink(path);
        }
    }
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi/aml/pkglen", test_pkglen);
    g_test_add_func("/acpi/aml/names", test_names);
    g_test_add_func("/acpi/aml/data", test_data);
    g_test_add_func("/acpi/aml/long-device", test_long_device);
    g_test_add_func("/acpi/fadt", test_fadt);
    g_test_add_func("/acpi/madt", test_madt);
    g_test_add_func("/acpi/too-big", test_too_big);
    g_test_add_func("/acpi/dsdt", test_dsdt);
    g_test_add_func("/acpi/no-devices", test_no_devices);
    g_test_add_func("/acpi/write", test_write);
    g_test_add_func("/acpi/e820", test_e820);
    g_test_add_func("/acpi/sleep-regs", test_sleep_regs);
    g_test_add_func("/acpi/iasl", test_iasl);
    return g_test_run();
}
