/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device tree the virt machine hands its kernel in x0, built with
 * libfdt's sequential writer.  Nodes and properties follow what QEMU's
 * virt machine generates, which is what Linux and its bindings expect:
 *
 *   / (linux,dummy-virt)     #address-cells = #size-cells = 2
 *     cpus/cpu@N             enable-method "psci", reg = MPIDR affinity
 *     psci                   arm,psci-0.2 over hvc (KVM implements it)
 *     memory@40000000
 *     intc@8000000           the GIC (phandle 1, the interrupt parent)
 *     timer                  the architected timer's four PPIs
 *     apb-pclk               a fixed 24 MHz clock (phandle 2) for the PL011
 *     pl011@9000000          the console
 *     virtio_mmio@...        one per transport
 *     chosen                 bootargs, stdout-path, initrd
 *
 * Plain logic, no KVM: the unit test builds trees on any host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include "qemu-vmm/arm.h"

#define PHANDLE_GIC     1
#define PHANDLE_CLK     2

/* The three cells of an interrupt specifier of the GIC binding. */
#define GIC_FDT_SPI             0
#define GIC_FDT_PPI             1
#define GIC_FDT_EDGE_RISING     1
#define GIC_FDT_LEVEL_HIGH      4
#define GIC_FDT_PPI_CPU_SHIFT   8       /* GICv2: which CPUs get the PPI */

#define APB_PCLK_HZ     24000000

/* Build errors come from libfdt as negative FDT_ERR_* codes. */
struct fdt_builder {
    void *fdt;
    int err;            /* the first error, sticky */
};

static void check(struct fdt_builder *b, int ret)
{
    if (ret < 0 && !b->err)
        b->err = ret;
}

static void begin(struct fdt_builder *b, const char *name)
{
    check(b, fdt_begin_node(b->fdt, name));
}

static void end(struct fdt_builder *b)
{
    check(b, fdt_end_node(b->fdt));
}

static void prop_u32(struct fdt_builder *b, const char *name, uint32_t v)
{
    check(b, fdt_property_u32(b->fdt, name, v));
}

static void prop_u64(struct fdt_builder *b, const char *name, uint64_t v)
{
    check(b, fdt_property_u64(b->fdt, name, v));
}

static void prop_str(struct fdt_builder *b, const char *name, const char *s)
{
    check(b, fdt_property_string(b->fdt, name, s));
}

/* A string list: the strings back to back, each with its NUL. */
static void prop_strs(struct fdt_builder *b, const char *name, const char *strs, size_t len)
{
    check(b, fdt_property(b->fdt, name, strs, (int)len));
}

static void prop_empty(struct fdt_builder *b, const char *name)
{
    check(b, fdt_property(b->fdt, name, NULL, 0));
}

static void prop_cells(struct fdt_builder *b, const char *name, const uint32_t *cells, int n)
{
    fdt32_t be[16];

    g_assert(n <= (int)G_N_ELEMENTS(be));
    for (int i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    check(b, fdt_property(b->fdt, name, be, n * (int)sizeof(be[0])));
}

/* reg = <addr size> with two cells each. */
static void prop_reg(struct fdt_builder *b, uint64_t addr, uint64_t size)
{
    uint32_t cells[4] = { addr >> 32, (uint32_t)addr, size >> 32, (uint32_t)size };

    prop_cells(b, "reg", cells, 4);
}

static void add_cpus(struct fdt_builder *b, const struct arm_fdt_config *c)
{
    bool aff3 = false;

    for (int i = 0; i < c->nr_cpus; i++)
        aff3 |= (c->mpidr[i] & 0xff00000000ULL) != 0;
    begin(b, "cpus");
    prop_u32(b, "#address-cells", aff3 ? 2 : 1);
    prop_u32(b, "#size-cells", 0);
    for (int i = 0; i < c->nr_cpus; i++) {
        uint64_t reg = c->mpidr[i] & (aff3 ? 0xff00ffffffULL : 0xffffffULL);
        char name[32];

        snprintf(name, sizeof(name), "cpu@%" PRIx64, reg);
        begin(b, name);
        prop_str(b, "device_type", "cpu");
        prop_str(b, "compatible", "arm,arm-v8");
        prop_str(b, "enable-method", "psci");
        if (aff3)
            prop_u64(b, "reg", reg);
        else
            prop_u32(b, "reg", (uint32_t)reg);
        end(b);
    }
    end(b);
}

static void add_psci(struct fdt_builder *b)
{
    static const char compat[] = "arm,psci-0.2\0arm,psci";

    begin(b, "psci");
    prop_strs(b, "compatible", compat, sizeof(compat));
    prop_str(b, "method", "hvc");
    end(b);
}

static void add_memory(struct fdt_builder *b, const struct arm_fdt_config *c)
{
    char name[40];

    snprintf(name, sizeof(name), "memory@%" PRIx64, c->ram_base);
    begin(b, name);
    prop_str(b, "device_type", "memory");
    prop_reg(b, c->ram_base, c->ram_size);
    end(b);
}

static void add_gic(struct fdt_builder *b, const struct arm_fdt_config *c)
{
    char name[40];

    snprintf(name, sizeof(name), "intc@%llx", VIRT_GIC_DIST);
    begin(b, name);
    if (c->gic_version == 3) {
        uint64_t redist = (uint64_t)c->nr_cpus * VIRT_GIC_REDIST_STRIDE;
        uint32_t reg[8] = {
            VIRT_GIC_DIST >> 32, (uint32_t)VIRT_GIC_DIST, 0, (uint32_t)VIRT_GIC_DIST_SIZE,
            VIRT_GIC_REDIST >> 32, (uint32_t)VIRT_GIC_REDIST, redist >> 32, (uint32_t)redist,
        };

        prop_str(b, "compatible", "arm,gic-v3");
        prop_u32(b, "#redistributor-regions", 1);
        prop_cells(b, "reg", reg, 8);
    } else {
        uint32_t reg[8] = {
            VIRT_GIC_DIST >> 32, (uint32_t)VIRT_GIC_DIST, 0, (uint32_t)VIRT_GIC_DIST_SIZE,
            VIRT_GIC_CPU >> 32, (uint32_t)VIRT_GIC_CPU, 0, (uint32_t)VIRT_GIC_CPU_SIZE,
        };

        prop_str(b, "compatible", "arm,cortex-a15-gic");
        prop_cells(b, "reg", reg, 8);
    }
    prop_u32(b, "#interrupt-cells", 3);
    /* no child nodes, no interrupt-map: interrupt specifiers carry no address */
    prop_u32(b, "#address-cells", 0);
    prop_empty(b, "interrupt-controller");
    prop_u32(b, "phandle", PHANDLE_GIC);
    end(b);
}

static void add_timer(struct fdt_builder *b, const struct arm_fdt_config *c)
{
    static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";
    uint32_t flags = GIC_FDT_LEVEL_HIGH;
    uint32_t irqs[12];
    const uint32_t ppis[4] = {
        ARCH_TIMER_S_EL1_PPI, ARCH_TIMER_NS_EL1_PPI, ARCH_TIMER_VIRT_PPI,
        ARCH_TIMER_NS_EL2_PPI,
    };

    /* the GICv2 binding names the CPUs a PPI goes to; GICv3 has no such mask */
    if (c->gic_version == 2)
        flags |= (uint32_t)((1u << MIN(c->nr_cpus, VIRT_GICV2_MAX_CPUS)) - 1)
                 << GIC_FDT_PPI_CPU_SHIFT;
    for (int i = 0; i < 4; i++) {
        irqs[3 * i] = GIC_FDT_PPI;
        irqs[3 * i + 1] = ppis[i];
        irqs[3 * i + 2] = flags;
    }
    begin(b, "timer");
    prop_strs(b, "compatible", compat, sizeof(compat));
    prop_cells(b, "interrupts", irqs, 12);
    prop_empty(b, "always-on");
    end(b);
}

static void add_clock(struct fdt_builder *b)
{
    begin(b, "apb-pclk");
    prop_str(b, "compatible", "fixed-clock");
    prop_u32(b, "#clock-cells", 0);
    prop_u32(b, "clock-frequency", APB_PCLK_HZ);
    prop_str(b, "clock-output-names", "clk24mhz");
    prop_u32(b, "phandle", PHANDLE_CLK);
    end(b);
}

static void add_uart(struct fdt_builder *b, const struct arm_fdt_config *c, const char *name)
{
    static const char compat[] = "arm,pl011\0arm,primecell";
    static const char clock_names[] = "uartclk\0apb_pclk";
    const uint32_t irq[3] = { GIC_FDT_SPI, c->uart_spi, GIC_FDT_LEVEL_HIGH };
    const uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };

    begin(b, name);
    prop_strs(b, "compatible", compat, sizeof(compat));
    prop_reg(b, c->uart_base, VIRT_UART_SIZE);
    prop_cells(b, "interrupts", irq, 3);
    prop_cells(b, "clocks", clocks, 2);
    prop_strs(b, "clock-names", clock_names, sizeof(clock_names));
    end(b);
}

/*
 * The transports' interrupts are level-triggered: the line (or the irqfd
 * with its resample fd) stays up while the interrupt status is not zero.
 */
static void add_virtio(struct fdt_builder *b, const struct arm_fdt_virtio *v)
{
    const uint32_t irq[3] = { GIC_FDT_SPI, v->spi, GIC_FDT_LEVEL_HIGH };
    char name[48];

    snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, v->base);
    begin(b, name);
    prop_str(b, "compatible", "virtio,mmio");
    prop_reg(b, v->base, v->size);
    prop_cells(b, "interrupts", irq, 3);
    prop_empty(b, "dma-coherent");
    end(b);
}

static void add_chosen(struct fdt_builder *b, const struct arm_fdt_config *c,
                       const char *uart_path)
{
    begin(b, "chosen");
    prop_str(b, "bootargs", c->bootargs ? c->bootargs : "");
    prop_str(b, "stdout-path", uart_path);
    if (c->initrd_end > c->initrd_start) {
        prop_u64(b, "linux,initrd-start", c->initrd_start);
        prop_u64(b, "linux,initrd-end", c->initrd_end);
    }
    if (c->rng_seed_len)
        check(b, fdt_property(b->fdt, "rng-seed", c->rng_seed, (int)c->rng_seed_len));
    end(b);
}

static int build(const struct arm_fdt_config *c, void *buf, int size)
{
    struct fdt_builder b = { .fdt = buf };
    char uart_name[40], uart_path[48];

    snprintf(uart_name, sizeof(uart_name), "pl011@%" PRIx64, c->uart_base);
    snprintf(uart_path, sizeof(uart_path), "/%s", uart_name);
    check(&b, fdt_create(buf, size));
    check(&b, fdt_finish_reservemap(buf));
    begin(&b, "");
    prop_str(&b, "compatible", "linux,dummy-virt");
    prop_str(&b, "model", "qemu-vmm virt");
    prop_u32(&b, "#address-cells", 2);
    prop_u32(&b, "#size-cells", 2);
    prop_u32(&b, "interrupt-parent", PHANDLE_GIC);
    add_cpus(&b, c);
    add_psci(&b);
    add_memory(&b, c);
    add_gic(&b, c);
    add_timer(&b, c);
    add_clock(&b);
    add_uart(&b, c, uart_name);
    for (int i = 0; i < c->nr_virtio; i++)
        add_virtio(&b, &c->virtio[i]);
    add_chosen(&b, c, uart_path);
    end(&b);
    check(&b, fdt_finish(buf));
    return b.err;
}

int arm_fdt_build(const struct arm_fdt_config *c, void **blob, size_t *size, GError **errp)
{
    int cap = 16 * 1024;

    if (c->nr_cpus < 1 || !c->mpidr || (c->gic_version != 2 && c->gic_version != 3)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "device tree: bad configuration (%d vCPUs, GIC version %d)",
                    c->nr_cpus, c->gic_version);
        return -EINVAL;
    }
    /* the command line is the only large part: grow until it fits */
    for (;;) {
        void *buf = g_malloc0(cap);
        int ret = build(c, buf, cap);

        if (ret == 0) {
            *size = fdt_totalsize(buf);
            *blob = buf;
            return 0;
        }
        g_free(buf);
        if (ret != -FDT_ERR_NOSPACE || (size_t)cap >= ARM64_DTB_MAX) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "cannot build the device tree: %s", fdt_strerror(ret));
            return -EINVAL;
        }
        cap *= 2;
    }
}
