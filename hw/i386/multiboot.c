/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multiboot v1 loader.  The kernel comes in as ELF (32- or 64-bit, loaded
 * at the physical addresses of its program headers) or, when header flag 16
 * is set, as a flat image placed by the header's address fields.  Every
 * value read from the image is checked before it is used: a broken image
 * gets an error naming what is wrong, never a crash or a write outside RAM.
 *
 * Guest memory below 1 MiB holds what the loader builds:
 *   0x8000  multiboot info, memory map, command line, module list, names
 * Modules (initrd) go page-aligned after the kernel's highest address.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/x86.h"

#define MB_MAGIC        0x1BADB002u
#define MB_BOOT_MAGIC   0x2BADB002u
#define MB_SEARCH       8192
#define MB_FLAG_PAGE_ALIGN  (1u << 0)
#define MB_FLAG_MEMINFO     (1u << 1)
#define MB_FLAG_VIDEO       (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
/* bits 0-15 are requirements: we meet 0 and 1, and 2 (video) is a wish */
#define MB_FLAGS_KNOWN  (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_VIDEO)

#define MBI_MEM         (1u << 0)
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODS        (1u << 3)
#define MBI_MMAP        (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

#define INFO_BASE       0x8000u
#define INFO_END        0x9fc00u        /* start of the EBDA */
#define LOW_MEM_END     0x9fc00u
#define KERNEL_MIN      0x100000u       /* nothing below 1 MiB but the info */

struct mb_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe[6];
} __attribute__((packed));

struct mb_mmap_entry {
    uint32_t size;          /* of the rest of the entry: 20 */
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

struct mb_module {
    uint32_t start, end, string, reserved;
};

static int find_header(const uint8_t *img, size_t len, struct mb_header *h, size_t *off)
{
    size_t limit = MIN(len, (size_t)MB_SEARCH);

    for (size_t o = 0; o + 12 <= limit; o += 4) {
        uint32_t w[3];

        memcpy(w, img + o, 12);
        if (w[0] == MB_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0) {
            memset(h, 0, sizeof(*h));
            memcpy(h, img + o, MIN(sizeof(*h), len - o));
            *off = o;
            return 0;
        }
    }
    return -ENOENT;
}

bool multiboot_probe(const uint8_t *image, size_t len)
{
    struct mb_header h;
    size_t off;

    return find_header(image, len, &h, &off) == 0;
}

/* Is [addr, addr+size) inside the RAM the kernel may use? */
static bool kernel_range_ok(uint64_t addr, uint64_t size, uint64_t ram_below_4g)
{
    return addr >= KERNEL_MIN && size <= ram_below_4g && addr <= ram_below_4g - size;
}

struct loaded {
    uint64_t entry;
    uint64_t end;       /* highest address used by the kernel */
};

static int load_segment(AddressSpace *as, uint64_t paddr, const uint8_t *data,
                        uint64_t filesz, uint64_t memsz, uint64_t ram_below_4g,
                        struct loaded *l, GError **errp)
{
    static const uint8_t zeros[4096];

    if (!kernel_range_ok(paddr, memsz, ram_below_4g)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "a segment at 0x%" PRIx64 " (+0x%" PRIx64 ") lies outside guest RAM "
                    "(1 MiB to 0x%" PRIx64 ")", paddr, memsz, ram_below_4g);
        return -EINVAL;
    }
    if (filesz && address_space_write(as, paddr, data, filesz) < 0)
        goto fault;
    for (uint64_t o = filesz; o < memsz; o += sizeof(zeros))
        if (address_space_write(as, paddr + o, zeros, MIN(sizeof(zeros), memsz - o)) < 0)
            goto fault;
    l->end = MAX(l->end, paddr + memsz);
    return 0;
fault:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "cannot write the segment at 0x%" PRIx64 " into guest RAM", paddr);
    return -EFAULT;
}

/* ELF32 and ELF64 share the layout of the fields we read; convert to 64. */
struct phdr {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static int read_phdrs(const uint8_t *img, size_t len, struct phdr **out, int *n,
                      uint64_t *entry, GError **errp)
{
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    uint64_t phoff, phentsize, phnum;
    uint16_t machine;

    if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        goto truncated;
    if (img[EI_DATA] != ELFDATA2LSB) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "ELF image is not little endian");
        return -EINVAL;
    }
    if (is64) {
        const Elf64_Ehdr *e = (const Elf64_Ehdr *)img;

        machine = e->e_machine;
        phoff = e->e_phoff;
        phentsize = e->e_phentsize;
        phnum = e->e_phnum;
        *entry = e->e_entry;
    } else {
        const Elf32_Ehdr *e = (const Elf32_Ehdr *)img;

        machine = e->e_machine;
        phoff = e->e_phoff;
        phentsize = e->e_phentsize;
        phnum = e->e_phnum;
        *entry = e->e_entry;
    }
    if (machine != EM_386 && machine != EM_X86_64) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "ELF image is for machine %u, not x86", machine);
        return -EINVAL;
    }
    if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum == 0 ||
        phoff > len || phnum * phentsize > len - phoff)
        goto truncated;
    *out = g_new0(struct phdr, phnum);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = img + phoff + i * phentsize;
        struct phdr *d = &(*out)[i];

        /* copied out: e_phoff is the image's to choose, so p may be misaligned */
        if (is64) {
            Elf64_Phdr s;

            memcpy(&s, p, sizeof(s));
            *d = (struct phdr){ s.p_type, s.p_offset, s.p_vaddr, s.p_paddr,
                                s.p_filesz, s.p_memsz };
        } else {
            Elf32_Phdr s;

            memcpy(&s, p, sizeof(s));
            *d = (struct phdr){ s.p_type, s.p_offset, s.p_vaddr, s.p_paddr,
                                s.p_filesz, s.p_memsz };
        }
    }
    *n = (int)phnum;
    return 0;
truncated:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "ELF image is truncated or its program headers are corrupt");
    return -EINVAL;
}

static int load_elf(AddressSpace *as, const uint8_t *img, size_t len,
                    uint64_t ram_below_4g, struct loaded *l, GError **errp)
{
    g_autofree struct phdr *ph = NULL;
    uint64_t entry;
    bool entry_mapped = false;
    int n, ret, loaded = 0;

    ret = read_phdrs(img, len, &ph, &n, &entry, errp);
    if (ret < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > len ||
            ph[i].filesz > len - ph[i].offset) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "ELF segment %d points outside the file", i);
            return -EINVAL;
        }
        ret = load_segment(as, ph[i].paddr, img + ph[i].offset, ph[i].filesz,
                           ph[i].memsz, ram_below_4g, l, errp);
        if (ret < 0)
            return ret;
        /* the entry is a virtual address: find it in a segment */
        if (entry >= ph[i].vaddr && entry - ph[i].vaddr < ph[i].memsz) {
            l->entry = ph[i].paddr + (entry - ph[i].vaddr);
            entry_mapped = true;
        }
        loaded++;
    }
    if (!loaded || !entry_mapped) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    loaded ? "ELF entry point 0x%" PRIx64 " is in no loaded segment"
                           : "ELF image has no loadable segment (entry 0x%" PRIx64 ")",
                    entry);
        return -EINVAL;
    }
    return 0;
}

static int load_kludge(AddressSpace *as, const uint8_t *img, size_t len,
                       const struct mb_header *h, size_t hoff, uint64_t ram_below_4g,
                       struct loaded *l, GError **errp)
{
    uint64_t file_start, load_len, mem_len;

    if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > hoff)
        goto bad;
    file_start = hoff - (h->header_addr - h->load_addr);
    if (h->load_end_addr == 0)
        load_len = len - file_start;
    else if (h->load_end_addr < h->load_addr ||
             h->load_end_addr - h->load_addr > len - file_start)
        goto bad;
    else
        load_len = h->load_end_addr - h->load_addr;
    mem_len = load_len;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + load_len)
            goto bad;
        mem_len = h->bss_end_addr - h->load_addr;
    }
    if (h->entry_addr < h->load_addr || h->entry_addr >= h->load_addr + mem_len)
        goto bad;
    l->entry = h->entry_addr;
    return load_segment(as, h->load_addr, img + file_start, load_len, mem_len,
                        ram_below_4g, l, errp);
bad:
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "Multiboot header address fields are inconsistent with the image");
    return -EINVAL;
}

/* A bump allocator for the info area below 640 KiB. */
struct info_area {
    uint8_t buf[INFO_END - INFO_BASE];
    uint32_t used;
};

static uint32_t info_put(struct info_area *a, const void *data, uint32_t len)
{
    uint32_t at = (a->used + 7) & ~7u;

    if (len > sizeof(a->buf) - at)
        return 0;
    memcpy(a->buf + at, data, len);
    a->used = at + len;
    return INFO_BASE + at;
}

static uint32_t info_put_str(struct info_area *a, const char *s)
{
    return info_put(a, s, (uint32_t)strlen(s) + 1);
}

int multiboot_load(AddressSpace *as, uint64_t ram_below_4g, uint64_t ram_above_4g,
                   const uint8_t *image, size_t len, const char *cmdline,
                   const struct multiboot_module *mods, int nr_mods,
                   struct x86_boot_state *out, GError **errp)
{
    g_autofree struct info_area *area = g_new0(struct info_area, 1);
    g_autofree struct mb_module *mlist = g_new0(struct mb_module, nr_mods ? nr_mods : 1);
    struct mb_mmap_entry mmap[4];
    struct mb_info info = { 0 };
    struct mb_header h;
    struct loaded l = { 0 };
    size_t hoff;
    uint32_t info_addr;
    uint64_t next;
    int ret, nmap = 0;

    if (find_header(image, len, &h, &hoff) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "not a Multiboot kernel (no Multiboot header in its first 8 KiB)");
        return -EINVAL;
    }
    if ((h.flags & 0xffff) & ~MB_FLAGS_KNOWN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Multiboot kernel requires unsupported features (flags 0x%x)", h.flags);
        return -EINVAL;
    }
    if (h.flags & MB_FLAG_AOUT_KLUDGE) {
        if (hoff + sizeof(h) > len) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "Multiboot header is truncated");
            return -EINVAL;
        }
        ret = load_kludge(as, image, len, &h, hoff, ram_below_4g, &l, errp);
    } else if (len >= SELFMAG && !memcmp(image, ELFMAG, SELFMAG)) {
        ret = load_elf(as, image, len, ram_below_4g, &l, errp);
    } else {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Multiboot kernel is neither ELF nor has load addresses (flag 16)");
        return -EINVAL;
    }
    if (ret < 0)
        return ret;

    /* modules after the kernel, page aligned */
    next = (l.end + 0xfff) & ~0xfffULL;
    for (int i = 0; i < nr_mods; i++) {
        if (!kernel_range_ok(next, mods[i].size, ram_below_4g) ||
            address_space_write(as, next, mods[i].data, mods[i].size) < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "module '%s' (%zu bytes) does not fit in guest RAM",
                        mods[i].name, mods[i].size);
            return -ENOSPC;
        }
        mlist[i].start = (uint32_t)next;
        mlist[i].end = (uint32_t)(next + mods[i].size);
        mlist[i].string = info_put_str(area, mods[i].name);
        next = (next + mods[i].size + 0xfff) & ~0xfffULL;
    }

    mmap[nmap++] = (struct mb_mmap_entry){ 20, 0, LOW_MEM_END, 1 };
    mmap[nmap++] = (struct mb_mmap_entry){ 20, 0xf0000, 0x10000, 2 };
    mmap[nmap++] = (struct mb_mmap_entry){ 20, 0x100000, ram_below_4g - 0x100000, 1 };
    if (ram_above_4g)
        mmap[nmap++] = (struct mb_mmap_entry){ 20, 1ULL << 32, ram_above_4g, 1 };

    info.flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME |
                 (nr_mods ? MBI_MODS : 0);
    info.mem_lower = LOW_MEM_END / 1024;
    info.mem_upper = (uint32_t)MIN((ram_below_4g - 0x100000) / 1024, 0xffffffffULL);
    info.cmdline = info_put_str(area, cmdline ? cmdline : "");
    info.boot_loader_name = info_put_str(area, "qemu-vmm");
    info.mmap_addr = info_put(area, mmap, nmap * sizeof(mmap[0]));
    info.mmap_length = nmap * sizeof(mmap[0]);
    if (nr_mods) {
        info.mods_count = (uint32_t)nr_mods;
        info.mods_addr = info_put(area, mlist, nr_mods * sizeof(mlist[0]));
    }
    info_addr = info_put(area, &info, sizeof(info));
    if (!info.cmdline || !info.boot_loader_name || !info.mmap_addr || !info_addr ||
        (nr_mods && !info.mods_addr)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "the kernel command line or module names are too long");
        return -E2BIG;
    }
    if (address_space_write(as, INFO_BASE, area->buf, area->used) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "guest RAM is too small for the Multiboot information");
        return -ENOSPC;
    }
    out->entry = l.entry;
    out->eax = MB_BOOT_MAGIC;
    out->ebx = info_addr;
    return 0;
}
