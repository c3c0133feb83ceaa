/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef QEMU_VMM_X86_H
#define QEMU_VMM_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/memory.h"

/*
 * Where RAM is: [0, below_4g) and [4 GiB, 4 GiB + above_4g); with acpi,
 * ACPI tables at X86_ACPI_BASE (the RSDP first), which the e820 map marks
 * and the loaders point the kernel at.
 */
struct x86_ram_layout {
    uint64_t below_4g;
    uint64_t above_4g;
    bool acpi;
};

/* Low memory the loaders use (all below 640 KiB, all marked RAM in e820). */
#define X86_BOOT_GDT        0x500ULL    /* 4 entries: __BOOT_CS 0x10, __BOOT_DS 0x18 */
#define X86_PVH_INFO        0x6000ULL   /* hvm_start_info, memmap, modules */
#define X86_ZERO_PAGE       0x7000ULL   /* Linux boot_params */
#define X86_BOOT_PML4       0x9000ULL   /* identity map of 4 GiB: PML4, PDPT, 4 PDs */
#define X86_BOOT_PT_END     0xf000ULL
#define X86_CMDLINE         0x20000ULL
#define X86_CMDLINE_MAX     0x10000ULL
#define X86_MPTABLE         0x9fc00ULL  /* EBDA: where Linux looks for "_MP_" */
#define X86_KERNEL_ADDR     0x100000ULL
/*
 * The ACPI tables, RSDP first: in the BIOS area (0xe0000-0xfffff) where a
 * kernel that is not told the RSDP's address scans for it.  e820 type 3.
 */
#define X86_ACPI_BASE       0xe0000ULL
#define X86_ACPI_SIZE       0x10000ULL

/* Where the loader leaves the boot CPU. */
struct x86_boot_state {
    uint64_t entry;
    uint32_t eax, ebx;      /* Multiboot: magic and info; PVH: ebx = start info */
    uint64_t rsi;           /* Linux: the zero page */
    bool long_mode;         /* 64-bit entry with the boot identity map */
};

extern const struct vcpu_arch_ops x86_vcpu_ops;

/* CPUID for vCPU index of nr_cpus (APIC ids, topology). */
int x86_cpu_setup_cpuid(CPUState *cpu, int nr_cpus, GError **errp);
/*
 * Registers for the boot CPU: 32-bit flat protected mode with paging off
 * (Multiboot, PVH, Linux 32-bit entry), or 64-bit mode on the boot identity
 * map (Linux 64-bit entry).  CS is 0x10 and the data segments 0x18, as the
 * Linux boot protocol requires, with the GDT at X86_BOOT_GDT.
 */
int x86_cpu_set_boot_regs(CPUState *cpu, const struct x86_boot_state *b);
/* Register the "cpu" and "kvm-vm" migration sections. */
void x86_register_vmstate(CPUState **cpus, int n, bool full_irqchip);
/* Power-on state (MSRs, LAPIC, FPU, events); vCPUs but 0 wait for INIT/SIPI. */
int x86_cpu_reset(CPUState *cpu);

/*
 * Load a Multiboot v1 kernel (ELF32, ELF64 or a.out kludge) from image, with
 * cmdline and optional modules (initrd).  ram_below_4g bounds where anything
 * may go.  Errors say what is wrong with the image.
 */
struct multiboot_module {
    const char *name;
    const uint8_t *data;
    size_t size;
};
int multiboot_load(AddressSpace *as, uint64_t ram_below_4g, uint64_t ram_above_4g,
                   const uint8_t *image, size_t len, const char *cmdline,
                   const struct multiboot_module *mods, int nr_mods,
                   struct x86_boot_state *out, GError **errp);
/* Whether image carries a Multiboot v1 header in its first 8 KiB. */
bool multiboot_probe(const uint8_t *image, size_t len);

/* The GDT (and, for long mode, the identity map) the boot CPU starts with. */
int x86_write_boot_tables(AddressSpace *as, bool long_mode);
/* The e820 map of the layout; returns the number of entries (at most max). */
struct x86_e820 {
    uint64_t addr, size;
    uint32_t type;          /* 1 RAM, 2 reserved, 3 ACPI tables */
};
int x86_e820_map(const struct x86_ram_layout *ram, struct x86_e820 *out, int max);
/* An Intel MP table for nr_cpus CPUs and the IOAPIC at X86_MPTABLE. */
int x86_write_mptable(AddressSpace *as, int nr_cpus);

/* Linux bzImage (boot protocol 2.06+), entered in 64-bit mode where it can be. */
bool linux_bzimage_probe(const uint8_t *image, size_t len);
int linux_bzimage_load(AddressSpace *as, const struct x86_ram_layout *ram,
                       const uint8_t *image, size_t len, const char *cmdline,
                       const uint8_t *initrd, size_t initrd_len,
                       struct x86_boot_state *out, GError **errp);
/* An ELF kernel with a XEN_ELFNOTE_PHYS32_ENTRY note (PVH boot). */
bool pvh_probe(const uint8_t *image, size_t len);
int pvh_load(AddressSpace *as, const struct x86_ram_layout *ram,
             const uint8_t *image, size_t len, const char *cmdline,
             const uint8_t *initrd, size_t initrd_len,
             struct x86_boot_state *out, GError **errp);

#endif
