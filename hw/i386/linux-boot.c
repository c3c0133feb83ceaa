/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux on x86 without firmware: the bzImage boot protocol
 * (Documentation/arch/x86/boot.rst) and PVH for ELF kernels.
 *
 * bzImage: the setup header is checked, copied into a zero page
 * (boot_params) with our e820 map, command line and initrd, and the
 * protected-mode kernel is loaded at 1 MiB.  A kernel that says it can
 * (XLF_KERNEL_64) is entered at its 64-bit entry (+0x200) in long mode on an
 * identity map; older ones at code32_start in 32-bit protected mode.
 *
 * PVH: the ELF's XEN_ELFNOTE_PHYS32_ENTRY note gives a 32-bit entry that is
 * handed an hvm_start_info (memory map, command line, initrd as module 0).
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <asm/bootparam.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/x86.h"

#define HDR_OFFSET      0x1f1
#define HDRS_MAGIC      0x53726448u     /* "HdrS" */
#define BOOT_FLAG       0xaa55
#define MIN_VERSION     0x0206          /* cmdline_size exists */
#define VERSION_64BIT   0x020c          /* xloadflags exists */
#define VERSION_RSDP    0x020e          /* boot_params.acpi_rsdp_addr is read */
#define LOADER_TYPE_UNDEFINED 0xff
#define INITRD_MAX_OLD  0x37ffffffu

static void set_error(GError **errp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(GError **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, msg);
}

bool linux_bzimage_probe(const uint8_t *image, size_t len)
{
    uint32_t magic;

    if (len < HDR_OFFSET + sizeof(struct setup_header))
        return false;
    memcpy(&magic, image + 0x202, 4);
    return magic == HDRS_MAGIC;
}

/* Highest page-aligned address where size bytes fit below limit, above floor. */
static int place_initrd(uint64_t floor, uint64_t limit, size_t size, uint64_t *addr)
{
    uint64_t a;

    if (size > limit)
        return -ENOSPC;
    a = (limit - size) & ~0xfffULL;
    if (a < floor)
        return -ENOSPC;
    *addr = a;
    return 0;
}

static int write_cmdline(AddressSpace *as, const char *cmdline, size_t max, GError **errp)
{
    size_t len = strlen(cmdline ? cmdline : "");

    if (len + 1 > max || len + 1 > X86_CMDLINE_MAX) {
        set_error(errp, "the kernel command line is too long (%zu bytes, at most %zu)",
                  len, MIN(max, (size_t)X86_CMDLINE_MAX) - 1);
        return -E2BIG;
    }
    return address_space_write(as, X86_CMDLINE, cmdline ? cmdline : "", len + 1);
}

int linux_bzimage_load(AddressSpace *as, const struct x86_ram_layout *ram,
                       const uint8_t *image, size_t len, const char *cmdline,
                       const uint8_t *initrd, size_t initrd_len,
                       struct x86_boot_state *out, GError **errp)
{
    g_autofree struct boot_params *bp = g_new0(struct boot_params, 1);
    struct setup_header *hdr = &bp->hdr;
    struct x86_e820 map[8];
    size_t hdr_len, setup_size, kernel_size;
    uint64_t kernel_end, initrd_max, initrd_addr = 0;
    bool long_mode;
    int n, ret;

    if (!linux_bzimage_probe(image, len)) {
        set_error(errp, "not a Linux bzImage (no HdrS setup header)");
        return -EINVAL;
    }
    /* the header's own length: byte 0x201 is the offset of its end from 0x202 */
    hdr_len = MIN((size_t)(0x202 + image[0x201]) - HDR_OFFSET, sizeof(*hdr));
    memcpy(hdr, image + HDR_OFFSET, hdr_len);
    if (hdr->boot_flag != BOOT_FLAG) {
        set_error(errp, "corrupt bzImage: boot flag 0x%x, expected 0xaa55", hdr->boot_flag);
        return -EINVAL;
    }
    if (hdr->version < MIN_VERSION) {
        set_error(errp, "Linux boot protocol %u.%02u is too old (need 2.06 or later)",
                  hdr->version >> 8, hdr->version & 0xff);
        return -EINVAL;
    }
    if (!(hdr->loadflags & LOADED_HIGH)) {
        set_error(errp, "zImage kernels (loaded below 1 MiB) are not supported");
        return -EINVAL;
    }
    setup_size = ((size_t)(hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
    if (setup_size >= len) {
        set_error(errp, "corrupt bzImage: %zu setup bytes but the file has %zu", setup_size, len);
        return -EINVAL;
    }
    kernel_size = len - setup_size;
    kernel_end = X86_KERNEL_ADDR + MAX((uint64_t)kernel_size, (uint64_t)hdr->init_size);
    if (kernel_end > ram->below_4g) {
        set_error(errp, "guest RAM is too small for this kernel (it needs %" PRIu64 " MiB)",
                  (kernel_end + (1 << 20) - 1) >> 20);
        return -ENOSPC;
    }
    long_mode = hdr->version >= VERSION_64BIT && (hdr->xloadflags & XLF_KERNEL_64);

    ret = address_space_write(as, X86_KERNEL_ADDR, image + setup_size, kernel_size);
    if (ret == 0)
        ret = write_cmdline(as, cmdline, hdr->cmdline_size + 1ULL, errp);
    if (ret < 0) {
        if (errp && !*errp)
            set_error(errp, "cannot write the kernel into guest RAM");
        return ret;
    }

    if (initrd) {
        initrd_max = hdr->version >= 0x0203 ? hdr->initrd_addr_max : INITRD_MAX_OLD;
        if (place_initrd(kernel_end, MIN(initrd_max + 1ULL, ram->below_4g), initrd_len,
                         &initrd_addr) < 0 ||
            address_space_write(as, initrd_addr, initrd, initrd_len) < 0) {
            set_error(errp, "the initrd (%zu bytes) does not fit in guest RAM below 0x%x "
                      "after the kernel", initrd_len, hdr->initrd_addr_max);
            return -ENOSPC;
        }
        hdr->ramdisk_image = (uint32_t)initrd_addr;
        hdr->ramdisk_size = (uint32_t)initrd_len;
    }

    hdr->type_of_loader = LOADER_TYPE_UNDEFINED;
    hdr->loadflags |= CAN_USE_HEAP;
    hdr->heap_end_ptr = 0xfe00;
    hdr->cmd_line_ptr = (uint32_t)X86_CMDLINE;
    hdr->vid_mode = 0xffff;     /* "normal": no video mode to set */
    hdr->code32_start = (uint32_t)X86_KERNEL_ADDR;
    n = x86_e820_map(ram, map, (int)G_N_ELEMENTS(map));
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        bp->e820_table[i].addr = map[i].addr;
        bp->e820_table[i].size = map[i].size;
        bp->e820_table[i].type = map[i].type;
    }
    bp->e820_entries = (uint8_t)n;
    /* older kernels find the RSDP by scanning the BIOS area, where it is too */
    if (ram->acpi && hdr->version >= VERSION_RSDP)
        bp->acpi_rsdp_addr = X86_ACPI_BASE;
    ret = address_space_write(as, X86_ZERO_PAGE, bp, sizeof(*bp));
    if (ret == 0)
        ret = x86_write_boot_tables(as, long_mode);
    if (ret < 0) {
        set_error(errp, "guest RAM is too small for the boot structures");
        return ret;
    }
    *out = (struct x86_boot_state){
        .entry = X86_KERNEL_ADDR + (long_mode ? 0x200 : 0),
        .rsi = X86_ZERO_PAGE,
        .long_mode = long_mode,
    };
    return 0;
}

/* ---- PVH ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

/* Walk the PT_NOTE segments of an ELF64 image for the PVH entry. */
static bool find_pvh_entry(const uint8_t *img, size_t len, uint64_t *entry)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;

    if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64 ||
        eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
        return false;
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t off, end;

        memcpy(&ph, img + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
            continue;
        for (off = ph.p_offset, end = ph.p_offset + ph.p_filesz; off + 12 <= end;) {
            uint32_t nh[3];     /* namesz, descsz, type */
            uint64_t name, desc, next;

            memcpy(nh, img + off, sizeof(nh));
            name = off + 12;
            desc = name + ((nh[0] + 3ULL) & ~3ULL);
            next = desc + ((nh[1] + 3ULL) & ~3ULL);
            if (next > end)
                break;
            if (nh[2] == XEN_ELFNOTE_PHYS32_ENTRY && nh[0] == 4 &&
                !memcmp(img + name, "Xen", 4) && (nh[1] == 4 || nh[1] == 8)) {
                uint64_t e = 0;

                memcpy(&e, img + desc, nh[1]);
                *entry = e;
                return true;
            }
            off = next;
        }
    }
    return false;
}

bool pvh_probe(const uint8_t *image, size_t len)
{
    uint64_t entry;

    return find_pvh_entry(image, len, &entry);
}

int pvh_load(AddressSpace *as, const struct x86_ram_layout *ram,
             const uint8_t *image, size_t len, const char *cmdline,
             const uint8_t *initrd, size_t initrd_len,
             struct x86_boot_state *out, GError **errp)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
    struct hvm_start_info info = { .magic = HVM_START_MAGIC, .version = 1 };
    struct hvm_memmap_entry mm[8];
    struct hvm_modlist_entry mod = { 0 };
    struct x86_e820 map[8];
    uint64_t entry, kernel_end = 0, initrd_addr;
    int n, ret;

    if (!find_pvh_entry(image, len, &entry)) {
        set_error(errp, "not a PVH kernel (no XEN_ELFNOTE_PHYS32_ENTRY note)");
        return -EINVAL;
    }
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, image + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || !ph.p_memsz)
            continue;
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
            ph.p_paddr < X86_KERNEL_ADDR || ph.p_memsz > ram->below_4g ||
            ph.p_paddr > ram->below_4g - ph.p_memsz) {
            set_error(errp, "ELF segment %d (0x%" PRIx64 ", +0x%" PRIx64 ") is corrupt or "
                      "outside guest RAM", i, (uint64_t)ph.p_paddr, (uint64_t)ph.p_memsz);
            return -EINVAL;
        }
        if (address_space_write(as, ph.p_paddr, image + ph.p_offset, ph.p_filesz) < 0)
            return -EFAULT;
        for (uint64_t o = ph.p_filesz; o < ph.p_memsz;) {
            static const uint8_t zeros[4096];
            uint64_t k = MIN(sizeof(zeros), ph.p_memsz - o);

            address_space_write(as, ph.p_paddr + o, zeros, k);
            o += k;
        }
        kernel_end = MAX(kernel_end, ph.p_paddr + ph.p_memsz);
    }
    if (entry < X86_KERNEL_ADDR || entry >= kernel_end) {
        set_error(errp, "PVH entry point 0x%" PRIx64 " is outside the kernel", entry);
        return -EINVAL;
    }
    ret = write_cmdline(as, cmdline, X86_CMDLINE_MAX, errp);
    if (ret < 0)
        return ret;
    info.cmdline_paddr = X86_CMDLINE;
    if (initrd) {
        if (place_initrd(kernel_end, MIN(ram->below_4g, 1ULL << 32), initrd_len,
                         &initrd_addr) < 0 ||
            address_space_write(as, initrd_addr, initrd, initrd_len) < 0) {
            set_error(errp, "the initrd (%zu bytes) does not fit in guest RAM", initrd_len);
            return -ENOSPC;
        }
        mod.paddr = initrd_addr;
        mod.size = initrd_len;
        info.nr_modules = 1;
        info.modlist_paddr = X86_PVH_INFO + 0x400;
        address_space_write(as, info.modlist_paddr, &mod, sizeof(mod));
    }
    n = x86_e820_map(ram, map, (int)G_N_ELEMENTS(map));
    for (int i = 0; i < n; i++)
        mm[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size, map[i].type, 0 };
    if (ram->acpi)
        info.rsdp_paddr = X86_ACPI_BASE;
    info.memmap_paddr = X86_PVH_INFO + 0x100;
    info.memmap_entries = (uint32_t)n;
    address_space_write(as, info.memmap_paddr, mm, n * sizeof(mm[0]));
    address_space_write(as, X86_PVH_INFO, &info, sizeof(info));
    ret = x86_write_boot_tables(as, false);
    if (ret < 0) {
        set_error(errp, "guest RAM is too small for the boot structures");
        return ret;
    }
    *out = (struct x86_boot_state){ .entry = entry, .ebx = (uint32_t)X86_PVH_INFO };
    return 0;
}
