/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 loaders on synthesized images: what lands in guest memory (zero
 * page, e820, command line, initrd placement, PVH start info, MP table) and
 * the errors for broken images.  Guest RAM is plain host memory here.
 */
#include <elf.h>
#include <string.h>
#include <asm/bootparam.h>
#include <glib.h>

#include "qemu-vmm/x86.h"

#define RAM_SIZE (64ULL << 20)

struct guest {
    AddressSpace *as;
    MemoryRegion *mr;
    uint8_t *ram;
    struct x86_ram_layout layout;
};

static void guest_init(struct guest *g)
{
    g->ram = g_malloc0(RAM_SIZE);
    g->as = address_space_new("mem", 1ULL << 40, false);
    g->mr = memory_region_new_ram_ptr("ram", RAM_SIZE, g->ram);
    g_assert_cmpint(memory_region_map(g->as, g->mr, 0, 0), ==, 0);
    g->layout = (struct x86_ram_layout){ RAM_SIZE, 0, false };
}

static void guest_free(struct guest *g)
{
    address_space_free(g->as);
    memory_region_free(g->mr);
    g_free(g->ram);
}

/* A bzImage: 4 setup sectors + 1 boot sector, then a "kernel" of 64 KiB. */
static uint8_t *make_bzimage(size_t *len, uint16_t version, uint32_t init_size)
{
    size_t setup = 5 * 512, kernel = 64 * 1024;
    uint8_t *img = g_malloc0(setup + kernel);
    struct setup_header h = { 0 };

    h.setup_sects = 4;
    h.boot_flag = 0xaa55;
    h.header = 0x53726448;
    h.version = version;
    h.loadflags = LOADED_HIGH;
    h.initrd_addr_max = 0x2fffffff;     /* above our RAM: RAM is the bound */
    h.cmdline_size = 255;
    h.xloadflags = XLF_KERNEL_64;
    h.init_size = init_size;
    memcpy(img + 0x1f1, &h, sizeof(h));
    img[0x201] = 0x6a;                  /* header ends at 0x202 + 0x6a = 0x26c */
    memset(img + setup, 0xcc, kernel);
    *len = setup + kernel;
    return img;
}

static void test_bzimage(void)
{
    struct guest g;
    struct x86_boot_state b;
    g_autoptr(GError) err = NULL;
    size_t len;
    g_autofree uint8_t *img = make_bzimage(&len, 0x020f, 8 << 20);
    uint8_t initrd[10000];
    struct boot_params *bp;

    guest_init(&g);
    memset(initrd, 0x77, sizeof(initrd));
    g_assert_cmpint(linux_bzimage_load(g.as, &g.layout, img, len, "console=ttyS0 quiet",
                                       initrd, sizeof(initrd), &b, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(b.long_mode);
    g_assert_cmphex(b.entry, ==, 0x100200);
    g_assert_cmphex(b.rsi, ==, X86_ZERO_PAGE);
    g_assert_cmpuint(g.ram[0x100000], ==, 0xcc);

    bp = (struct boot_params *)(g.ram + X86_ZERO_PAGE);
    g_assert_cmphex(bp->hdr.header, ==, 0x53726448);
    g_assert_cmpuint(bp->hdr.type_of_loader, ==, 0xff);
    g_assert_cmphex(bp->hdr.cmd_line_ptr, ==, X86_CMDLINE);
    g_assert_cmpstr((char *)g.ram + X86_CMDLINE, ==, "console=ttyS0 quiet");
    /* initrd: page aligned, at the top of RAM, wholly inside it */
    g_assert_cmpuint(bp->hdr.ramdisk_size, ==, sizeof(initrd));
    g_assert_cmphex(bp->hdr.ramdisk_image & 0xfff, ==, 0);
    g_assert_cmpuint(bp->hdr.ramdisk_image + sizeof(initrd), <=, RAM_SIZE);
    g_assert_cmpuint(bp->hdr.ramdisk_image, >, RAM_SIZE - 2 * sizeof(initrd));
    g_assert_cmpuint(g.ram[bp->hdr.ramdisk_image], ==, 0x77);
    /* e820: low RAM, the EBDA and BIOS area reserved, RAM from 1 MiB */
    g_assert_cmpuint(bp->e820_entries, ==, 4);
    g_assert_cmphex(bp->e820_table[0].size, ==, X86_MPTABLE);
    g_assert_cmpuint(bp->e820_table[1].type, ==, 2);
    g_assert_cmphex(bp->e820_table[3].addr, ==, 0x100000);
    g_assert_cmphex(bp->e820_table[3].size, ==, RAM_SIZE - 0x100000);
    /* the boot GDT and the identity map */
    g_assert_cmphex(*(uint64_t *)(g.ram + X86_BOOT_GDT + 0x10), ==, 0x00af9b000000ffffULL);
    g_assert_cmphex(*(uint64_t *)(g.ram + X86_BOOT_PML4 + 0x2000 + 8 * 3), ==,
                    (3ULL << 21) | 0x83);

    /* a protocol without xloadflags: the 32-bit entry */
    img[0x206] = 0x0b;      /* version 2.11 */
    g_assert_cmpint(linux_bzimage_load(g.as, &g.layout, img, len, "", NULL, 0, &b, &err), ==, 0);
    g_assert_false(b.long_mode);
    g_assert_cmphex(b.entry, ==, 0x100000);
    guest_free(&g);
}

static void expect_bzimage_error(uint8_t *img, size_t len, const char *cmdline,
                                 size_t initrd_len, const char *msg)
{
    struct guest g;
    struct x86_boot_state b;
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *initrd = initrd_len ? g_malloc0(initrd_len) : NULL;

    guest_init(&g);
    g_assert_cmpint(linux_bzimage_load(g.as, &g.layout, img, len, cmdline, initrd,
                                       initrd_len, &b, &err), <, 0);
    g_assert_nonnull(err);
    if (!strstr(err->message, msg))
        g_error("error '%s' does not mention '%s'", err->message, msg);
    guest_free(&g);
}

static void test_bzimage_errors(void)
{
    size_t len;
    g_autofree uint8_t *img = make_bzimage(&len, 0x020f, 1 << 20);
    g_autofree char *long_cmdline = g_strnfill(300, 'x');

    expect_bzimage_error(img, 0x300, "", 0, "setup bytes");       /* truncated */
    expect_bzimage_error(img, len, long_cmdline, 0, "too long");
    expect_bzimage_error(img, len, "", RAM_SIZE, "does not fit");
    img[0x1fe] = 0;
    expect_bzimage_error(img, len, "", 0, "boot flag");
    img[0x1fe] = 0x55;
    img[0x206] = 0x04;      /* 2.04 */
    expect_bzimage_error(img, len, "", 0, "too old");
    g_free(img);
    img = make_bzimage(&len, 0x020f, 100 << 20);                  /* > RAM */
    expect_bzimage_error(img, len, "", 0, "too small for this kernel");
    img[0x211] = 0;         /* loadflags: no LOADED_HIGH */
    expect_bzimage_error(img, len, "", 0, "zImage");
}

/* An ELF64 with one PT_LOAD at 1 MiB and a PVH note. */
static uint8_t *make_pvh(size_t *len, uint32_t entry)
{
    size_t size = 0x2000;
    uint8_t *img = g_malloc0(size);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
    uint32_t note[3 + 1 + 1] = { 4, 4, 18, 0, entry };

    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_machine = EM_X86_64;
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = sizeof(*ph);
    eh->e_phnum = 2;
    memcpy(&note[3], "Xen", 4);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x100000,
                          .p_vaddr = 0xffffffff81000000ULL, .p_filesz = 0x1000,
                          .p_memsz = 0x3000 };
    ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x800, .p_filesz = sizeof(note) };
    memcpy(img + 0x800, note, sizeof(note));
    memset(img + 0x1000, 0x90, 0x1000);
    *len = size;
    return img;
}

static void test_pvh(void)
{
    struct guest g;
    struct x86_boot_state b;
    g_autoptr(GError) err = NULL;
    size_t len;
    g_autofree uint8_t *img = make_pvh(&len, 0x100040);
    uint32_t *info;
    uint8_t initrd[100] = { 1 };

    guest_init(&g);
    g_assert_true(pvh_probe(img, len));
    g_assert_false(linux_bzimage_probe(img, len));
    memset(g.ram + 0x101000, 0xee, 0x2000);
    g_assert_cmpint(pvh_load(g.as, &g.layout, img, len, "root=/dev/vda", initrd,
                             sizeof(initrd), &b, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmphex(b.entry, ==, 0x100040);
    g_assert_cmphex(b.ebx, ==, X86_PVH_INFO);
    g_assert_false(b.long_mode);
    g_assert_cmpuint(g.ram[0x101000], ==, 0);               /* bss zeroed */
    info = (uint32_t *)(g.ram + X86_PVH_INFO);
    g_assert_cmphex(info[0], ==, 0x336ec578);
    g_assert_cmpuint(info[3], ==, 1);                       /* one module */
    g_assert_cmpstr((char *)g.ram + *(uint64_t *)(g.ram + X86_PVH_INFO + 24), ==,
                    "root=/dev/vda");

    /* entry outside the image; then no note at all */
    g_free(img);
    img = make_pvh(&len, 0x200000);
    g_assert_cmpint(pvh_load(g.as, &g.layout, img, len, "", NULL, 0, &b, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "entry point"));
    g_clear_error(&err);
    img[0x800 + 8] = 17;
    g_assert_false(pvh_probe(img, len));
    guest_free(&g);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s += *p++;
    return s;
}

static void test_mptable(void)
{
    struct guest g;
    const uint8_t *mpf, *mpc;
    uint16_t len;

    guest_init(&g);
    g_assert_cmpint(x86_write_mptable(g.as, 4), ==, 0);
    mpf = g.ram + X86_MPTABLE;
    g_assert_cmpmem(mpf, 4, "_MP_", 4);
    g_assert_cmpuint(sum(mpf, 16), ==, 0);
    mpc = g.ram + *(uint32_t *)(mpf + 4);
    g_assert_cmpmem(mpc, 4, "PCMP", 4);
    memcpy(&len, mpc + 4, 2);
    g_assert_cmpuint(sum(mpc, len), ==, 0);
    /* four processor entries first, the BSP flagged */
    for (int i = 0; i < 4; i++) {
        const uint8_t *cpu = mpc + 44 + i * 20;

        g_assert_cmpuint(cpu[0], ==, 0);
        g_assert_cmpuint(cpu[1], ==, i);
        g_assert_cmpuint(cpu[3], ==, i == 0 ? 3 : 1);
    }
    g_assert_cmpint(x86_write_mptable(g.as, 200), <, 0);    /* does not fit */
    guest_free(&g);
}

static void test_e820_high(void)
{
    struct x86_ram_layout ram = { 3ULL << 30, 2ULL << 30, false };
    struct x86_e820 map[8];
    int n = x86_e820_map(&ram, map, 8);

    g_assert_cmpint(n, ==, 5);
    g_assert_cmphex(map[4].addr, ==, 1ULL << 32);
    g_assert_cmphex(map[4].size, ==, 2ULL << 30);
    g_assert_cmpint(x86_e820_map(&ram, map, 3), <, 0);
}

/* With ACPI tables the loaders say where the RSDP is, and e820 marks them. */
static void test_acpi_rsdp(void)
{
    struct guest g;
    struct x86_boot_state b;
    size_t len;
    g_autofree uint8_t *img = make_bzimage(&len, 0x020e, 1 << 20);
    g_autofree uint8_t *pvh = NULL;
    struct boot_params *bp;

    guest_init(&g);
    g.layout.acpi = true;
    bp = (struct boot_params *)(g.ram + X86_ZERO_PAGE);
    g_assert_cmpint(linux_bzimage_load(g.as, &g.layout, img, len, "", NULL, 0, &b, NULL), ==, 0);
    g_assert_cmphex(bp->acpi_rsdp_addr, ==, X86_ACPI_BASE);
    g_assert_cmpuint(bp->e820_entries, ==, 5);
    g_assert_cmphex(bp->e820_table[2].addr, ==, X86_ACPI_BASE);
    g_assert_cmpuint(bp->e820_table[2].type, ==, 3);
    img[0x206] = 0x0d;      /* 2.13 does not read acpi_rsdp_addr: left 0 */
    g_assert_cmpint(linux_bzimage_load(g.as, &g.layout, img, len, "", NULL, 0, &b, NULL), ==, 0);
    g_assert_cmphex(bp->acpi_rsdp_addr, ==, 0);
    /* PVH: hvm_start_info.rsdp_paddr, at offset 32 */
    pvh = make_pvh(&len, 0x100040);
    g_assert_cmpint(pvh_load(g.as, &g.layout, pvh, len, "", NULL, 0, &b, NULL), ==, 0);
    g_assert_cmphex(*(uint64_t *)(g.ram + X86_PVH_INFO + 32), ==, X86_ACPI_BASE);
    guest_free(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86-boot/bzimage", test_bzimage);
    g_test_add_func("/x86-boot/bzimage-errors", test_bzimage_errors);
    g_test_add_func("/x86-boot/pvh", test_pvh);
    g_test_add_func("/x86-boot/mptable", test_mptable);
    g_test_add_func("/x86-boot/e820-high", test_e820_high);
    g_test_add_func("/x86-boot/acpi-rsdp", test_acpi_rsdp);
    return g_test_run();
}
