/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arm64 virt machine: its memory map, the Linux Image loader, the
 * device tree builder, the PL011 UART, the vCPU set-up and the GIC glue.
 *
 * The loader, the device tree builder and the PL011 are plain logic and
 * build on any host (their unit tests run on x86 too); the vCPU and GIC
 * code needs the arm64 KVM headers and builds on arm64 hosts only.
 */
#ifndef QEMU_VMM_ARM_H
#define QEMU_VMM_ARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/chardev.h"
#include "qemu-vmm/cpus.h"
#include "qemu-vmm/irq.h"
#include "qemu-vmm/memory.h"

/*
 * Guest-physical layout, as QEMU's virt machine, so that guests and tools
 * that know one know the other.
 */
#define VIRT_GIC_DIST           0x08000000ULL
#define VIRT_GIC_DIST_SIZE      0x00010000ULL
#define VIRT_GIC_CPU            0x08010000ULL   /* GICv2 CPU interface */
#define VIRT_GIC_CPU_SIZE       0x00010000ULL
#define VIRT_GIC_REDIST         0x080a0000ULL   /* GICv3 redistributors */
#define VIRT_GIC_REDIST_SIZE    0x00f60000ULL
#define VIRT_GIC_REDIST_STRIDE  0x00020000ULL   /* RD_base + SGI_base frames per vCPU */
#define VIRT_UART               0x09000000ULL
#define VIRT_UART_SIZE          0x00001000ULL
#define VIRT_UART_SPI           1
#define VIRT_MMIO               0x0a000000ULL
#define VIRT_MMIO_SPI_BASE      16
#define VIRT_MMIO_COUNT         32
#define VIRT_RAM_BASE           0x40000000ULL

#define GIC_NR_SPIS             256             /* as QEMU's virt */
#define GIC_SPI_BASE            32              /* INTID of SPI 0 */
#define VIRT_GICV2_MAX_CPUS     8
#define VIRT_GICV3_MAX_CPUS     (VIRT_GIC_REDIST_SIZE / VIRT_GIC_REDIST_STRIDE)

/* The architected timer's PPIs (INTID = 16 + PPI). */
#define ARCH_TIMER_S_EL1_PPI    13
#define ARCH_TIMER_NS_EL1_PPI   14
#define ARCH_TIMER_VIRT_PPI     11
#define ARCH_TIMER_NS_EL2_PPI   10
#define GIC_PPI_BASE            16

/* ---- the Linux arm64 Image (Documentation/arch/arm64/booting.rst) ---- */

#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_IMAGE_MAGIC       0x644d5241      /* "ARM\x64" at offset 56 */
#define ARM64_KERNEL_ALIGN      (2ULL << 20)
#define ARM64_DTB_MAX           (2ULL << 20)
/* The decompressed kernel may not be larger than this (gzip bombs). */
#define ARM64_IMAGE_MAX         (512ULL << 20)

struct arm64_image {
    uint64_t text_offset;       /* from a 2 MiB aligned base */
    uint64_t image_size;        /* bytes from the load address, BSS included */
};

/*
 * Check the 64-byte header of an uncompressed Image of len bytes.  Refuses
 * a bad magic, a big-endian kernel, a bad text_offset and sizes that do
 * not add up, each with one clear error.
 */
int arm64_image_parse(const uint8_t *image, size_t len, struct arm64_image *out,
                      GError **errp);
bool arm64_image_is_gzip(const uint8_t *buf, size_t len);
/* Inflate a gzip member into a g_malloc'ed buffer of at most max bytes. */
int arm64_gunzip(const uint8_t *in, size_t in_len, size_t max, uint8_t **out,
                 size_t *out_len, GError **errp);

/* Where the loader puts things in guest RAM. */
struct arm64_boot_layout {
    uint64_t kernel_addr;       /* the Image's first byte */
    uint64_t kernel_end;        /* kernel_addr + image_size */
    uint64_t initrd_addr;       /* 0 without an initrd */
    uint64_t initrd_size;
    uint64_t dtb_addr;          /* a 2 MiB slot at the top of RAM */
};

/*
 * The kernel at the bottom of RAM (2 MiB aligned base + text_offset), the
 * device tree in the last 2 MiB, the initrd page aligned right below it.
 * Errors when RAM is too small for all three.
 */
int arm64_boot_layout(uint64_t ram_base, uint64_t ram_size, const struct arm64_image *img,
                      size_t initrd_len, struct arm64_boot_layout *out, GError **errp);

/* ---- the device tree ---- */

struct arm_fdt_virtio {
    uint64_t base, size;
    unsigned int spi;
};

struct arm_fdt_config {
    uint64_t ram_base, ram_size;
    int nr_cpus;
    const uint64_t *mpidr;      /* MPIDR_EL1 of each vCPU, as KVM reports it */
    int gic_version;            /* 2 or 3 */
    uint64_t uart_base;
    unsigned int uart_spi;
    const struct arm_fdt_virtio *virtio;
    int nr_virtio;
    const char *bootargs;
    uint64_t initrd_start, initrd_end;  /* both 0 without an initrd */
    const uint8_t *rng_seed;    /* optional, for the guest's early entropy */
    size_t rng_seed_len;
};

/* Build the flattened device tree of c into a g_malloc'ed blob. */
int arm_fdt_build(const struct arm_fdt_config *c, void **blob, size_t *size,
                  GError **errp);

/* ---- the PL011 UART ---- */

struct pl011;
struct pl011 *pl011_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                           struct chardev *chr, GError **errp);
void pl011_reset(struct pl011 *s);
/* Unmap and free it (the machine's lives as long as the process; tests). */
void pl011_free(struct pl011 *s);

/* ---- vCPUs (arm64 hosts only) ---- */

/* The per-vCPU state of the virt machine, in CPUState.arch. */
struct arm_cpu {
    uint32_t target;            /* KVM_ARM_PREFERRED_TARGET */
    bool boot;                  /* powered on at reset; the others wait for CPU_ON */
    uint64_t mpidr;
    uint64_t irq_level;         /* kvm_run->s.regs.device_irq_level last seen */
    /* kernel_irqchip=off: the timer outputs go to this (may be NULL) */
    void (*timer_set)(void *opaque, int cpu, unsigned int intid, int level);
    void *timer_opaque;
};

extern const struct vcpu_arch_ops arm_vcpu_ops;

/* Power-on: KVM_ARM_VCPU_INIT with PSCI 0.2, secondaries powered off. */
int arm_cpu_reset(CPUState *cpu, GError **errp);
int arm_cpu_set_boot_regs(CPUState *cpu, uint64_t pc, uint64_t x0);
/* Its "arm-cpu" migration section (arm-cpu-state.c). */
void arm_cpu_register_vmstate(CPUState *cpu);
/*
 * MMIO accesses KVM cannot decode become an external abort in the guest
 * rather than a failed KVM_RUN; -ENOTSUP where KVM cannot do that.
 */
int arm_enable_nisv_to_user(KVMState *s);
/* KVM_IRQ_LINE on a vCPU's IRQ or FIQ input (no in-kernel GIC). */
int arm_cpu_set_irq_line(CPUState *cpu, bool fiq, int level);

/* ---- the GIC (arm64 hosts only) ---- */

struct arm_gic;

/*
 * Before the vCPUs: the in-kernel vGICv2 or vGICv3, with its distributor
 * and CPU interface or redistributors at the virt addresses, or the
 * userspace GICv2 mapped in mem.
 */
struct arm_gic *arm_gic_create_kvm(int version, int nr_cpus, GError **errp);
struct arm_gic *arm_gic_create_user(AddressSpace *mem, int nr_cpus, GError **errp);
/*
 * After all vCPUs exist: KVM_DEV_ARM_VGIC_CTRL_INIT, note the power-on
 * state and register the "arm-vgic" state section; or wire the outputs.
 */
int arm_gic_realize(struct arm_gic *g, CPUState **cpus, GError **errp);
bool arm_gic_in_kernel(const struct arm_gic *g);
/* Machine reset, with the vCPUs paused: back to the power-on state. */
int arm_gic_reset(struct arm_gic *g, GError **errp);
/* The line of SPI n (INTID 32 + n); its GSI for irqfds is n. */
struct irq_line arm_gic_spi_line(struct arm_gic *g, unsigned int spi);
/* The userspace GIC's PPI input of a vCPU, for struct arm_cpu's timer_set. */
void arm_gic_set_ppi(void *opaque, int cpu, unsigned int intid, int level);

#endif
