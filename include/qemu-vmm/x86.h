/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef QEMU_VMM_X86_H
#define QEMU_VMM_X86_H

#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/memory.h"

/* Where the loader leaves the boot CPU. */
struct x86_boot_state {
    uint64_t entry;
    uint32_t eax, ebx;      /* Multiboot: magic and info address */
};

extern const struct vcpu_arch_ops x86_vcpu_ops;

/* CPUID for vCPU index of nr_cpus (APIC ids, topology). */
int x86_cpu_setup_cpuid(CPUState *cpu, int nr_cpus, GError **errp);
/* 32-bit flat protected mode, paging off, as Multiboot requires. */
int x86_cpu_set_protected_mode(CPUState *cpu, const struct x86_boot_state *b);
/* A vCPU other than the boot CPU waits for INIT/SIPI from the BSP. */
int x86_cpu_set_ap_wait(CPUState *cpu);

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

#endif
