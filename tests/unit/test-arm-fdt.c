/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virt machine's device tree: build it for a configuration, then read
 * it back with libfdt and check the nodes and properties Linux relies on
 * (cpus and PSCI, memory, the GIC of each version, the timer's PPIs, the
 * PL011 with its clock, virtio-mmio, chosen).
 */
#include <string.h>
#include <libfdt.h>
#include <glib.h>

#include "qemu-vmm/arm.h"

static const uint64_t two_cpus[] = { 0x0, 0x1 };

static const struct arm_fdt_virtio two_virtio[] = {
    { .base = VIRT_MMIO, .size = 0x200, .spi = VIRT_MMIO_SPI_BASE },
    { .base = VIRT_MMIO + 0x200, .size = 0x200, .spi = VIRT_MMIO_SPI_BASE + 1 },
};

static const uint8_t seed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static struct arm_fdt_config base_config(int gic_version)
{
    return (struct arm_fdt_config){
        .ram_base = VIRT_RAM_BASE,
        .ram_size = 3ULL << 30,
        .nr_cpus = 2,
        .mpidr = two_cpus,
        .gic_version = gic_version,
        .uart_base = VIRT_UART,
        .uart_spi = VIRT_UART_SPI,
        .virtio = two_virtio,
        .nr_virtio = 2,
        .bootargs = "console=ttyAMA0 earlycon",
        .initrd_start = 0x4f000000,
        .initrd_end = 0x4f123456,
        .rng_seed = seed,
        .rng_seed_len = sizeof(seed),
    };
}

static void *build(const struct arm_fdt_config *c)
{
    void *fdt = NULL;
    size_t size = 0;
    GError *err = NULL;

    g_assert_cmpint(arm_fdt_build(c, &fdt, &size, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(fdt_check_header(fdt), ==, 0);
    g_assert_cmpuint(size, ==, fdt_totalsize(fdt));
    g_assert_cmpuint(size, <=, ARM64_DTB_MAX);
    return fdt;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);

    if (off < 0)
        g_error("node %s: %s", path, fdt_strerror(off));
    return off;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    const void *p = fdt_getprop(fdt, node(fdt, path), name, len);

    if (!p)
        g_error("%s: no property %s", path, name);
    return p;
}

static const char *prop_str(const void *fdt, const char *path, const char *name)
{
    return prop(fdt, path, name, NULL);
}

static uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);

    g_assert_cmpint(len, ==, 4);
    return fdt32_to_cpu(*p);
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt64_t *p = prop(fdt, path, name, &len);
    fdt64_t v;

    g_assert_cmpint(len, ==, 8);
    /* a property is only 4-byte aligned in the blob */
    memcpy(&v, p, sizeof(v));
    return fdt64_to_cpu(v);
}

/* The cells of a property, as host integers; returns how many. */
static int prop_cells(const void *fdt, const char *path, const char *name, uint32_t *out,
                      int max)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);

    g_assert_cmpint(len % 4, ==, 0);
    g_assert_cmpint(len / 4, <=, max);
    for (int i = 0; i < len / 4; i++)
        out[i] = fdt32_to_cpu(p[i]);
    return len / 4;
}

static bool has_prop(const void *fdt, const char *path, const char *name)
{
    return fdt_getprop(fdt, node(fdt, path), name, NULL) != NULL;
}

static void test_root_cpus_psci(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree void *fdt = build(&c);

    g_assert_cmpint(fdt_node_check_compatible(fdt, 0, "linux,dummy-virt"), ==, 0);
    g_assert_cmpuint(prop_u32(fdt, "/", "#address-cells"), ==, 2);
    g_assert_cmpuint(prop_u32(fdt, "/", "#size-cells"), ==, 2);

    g_assert_cmpuint(prop_u32(fdt, "/cpus", "#address-cells"), ==, 1);
    g_assert_cmpuint(prop_u32(fdt, "/cpus", "#size-cells"), ==, 0);
    for (int i = 0; i < 2; i++) {
        g_autofree char *path = g_strdup_printf("/cpus/cpu@%d", i);

        g_assert_cmpstr(prop_str(fdt, path, "device_type"), ==, "cpu");
        g_assert_cmpstr(prop_str(fdt, path, "enable-method"), ==, "psci");
        g_assert_cmpuint(prop_u32(fdt, path, "reg"), ==, (uint32_t)i);
    }
    g_assert_cmpint(fdt_path_offset(fdt, "/cpus/cpu@2"), <, 0);

    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/psci"), "arm,psci-0.2"), ==, 0);
    g_assert_cmpstr(prop_str(fdt, "/psci", "method"), ==, "hvc");
}

static void test_memory(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree void *fdt = build(&c);
    uint32_t reg[4];

    g_assert_cmpstr(prop_str(fdt, "/memory@40000000", "device_type"), ==, "memory");
    g_assert_cmpint(prop_cells(fdt, "/memory@40000000", "reg", reg, 4), ==, 4);
    g_assert_cmphex(((uint64_t)reg[0] << 32) | reg[1], ==, VIRT_RAM_BASE);
    g_assert_cmphex(((uint64_t)reg[2] << 32) | reg[3], ==, 3ULL << 30);
}

static void test_gicv2(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree void *fdt = build(&c);
    const char *gic = "/intc@8000000";
    uint32_t reg[8], irqs[12];

    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, gic), "arm,cortex-a15-gic"), ==, 0);
    g_assert_true(has_prop(fdt, gic, "interrupt-controller"));
    g_assert_cmpuint(prop_u32(fdt, gic, "#interrupt-cells"), ==, 3);
    g_assert_cmpuint(prop_u32(fdt, gic, "#address-cells"), ==, 0);
    g_assert_cmpint(prop_cells(fdt, gic, "reg", reg, 8), ==, 8);
    g_assert_cmphex(reg[1], ==, VIRT_GIC_DIST);
    g_assert_cmphex(reg[3], ==, VIRT_GIC_DIST_SIZE);
    g_assert_cmphex(reg[5], ==, VIRT_GIC_CPU);
    g_assert_cmphex(reg[7], ==, VIRT_GIC_CPU_SIZE);
    /* the root's interrupt parent is the GIC */
    g_assert_cmpuint(prop_u32(fdt, "/", "interrupt-parent"), ==,
                     fdt_get_phandle(fdt, node(fdt, gic)));

    /* timer: PPIs 13, 14, 11, 10, level high, to CPUs 0 and 1 (GICv2 mask) */
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/timer"), "arm,armv8-timer"), ==, 0);
    g_assert_cmpint(prop_cells(fdt, "/timer", "interrupts", irqs, 12), ==, 12);
    for (int i = 0; i < 4; i++) {
        static const uint32_t ppi[4] = { 13, 14, 11, 10 };

        g_assert_cmpuint(irqs[3 * i], ==, 1);
        g_assert_cmpuint(irqs[3 * i + 1], ==, ppi[i]);
        g_assert_cmphex(irqs[3 * i + 2], ==, 0x304);
    }
}

static void test_gicv3(void)
{
    struct arm_fdt_config c = base_config(3);
    g_autofree void *fdt = build(&c);
    const char *gic = "/intc@8000000";
    uint32_t reg[8], irqs[12];

    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, gic), "arm,gic-v3"), ==, 0);
    g_assert_cmpuint(prop_u32(fdt, gic, "#redistributor-regions"), ==, 1);
    g_assert_cmpint(prop_cells(fdt, gic, "reg", reg, 8), ==, 8);
    g_assert_cmphex(reg[1], ==, VIRT_GIC_DIST);
    g_assert_cmphex(reg[5], ==, VIRT_GIC_REDIST);
    g_assert_cmphex(reg[7], ==, 2 * VIRT_GIC_REDIST_STRIDE);
    /* no CPU mask in GICv3 PPI specifiers */
    prop_cells(fdt, "/timer", "interrupts", irqs, 12);
    for (int i = 0; i < 4; i++)
        g_assert_cmphex(irqs[3 * i + 2], ==, 4);
}

static void test_uart_and_clock(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree void *fdt = build(&c);
    const char *uart = "/pl011@9000000";
    uint32_t irq[3], clocks[2], reg[4];
    int len;
    const char *names;

    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, uart), "arm,pl011"), ==, 0);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, uart), "arm,primecell"), ==, 0);
    prop_cells(fdt, uart, "reg", reg, 4);
    g_assert_cmphex(reg[1], ==, VIRT_UART);
    g_assert_cmphex(reg[3], ==, VIRT_UART_SIZE);
    g_assert_cmpint(prop_cells(fdt, uart, "interrupts", irq, 3), ==, 3);
    g_assert_cmpuint(irq[0], ==, 0);        /* SPI */
    g_assert_cmpuint(irq[1], ==, 1);        /* SPI 1 = INTID 33 */
    g_assert_cmpuint(irq[2], ==, 4);
    g_assert_cmpint(prop_cells(fdt, uart, "clocks", clocks, 2), ==, 2);
    names = prop(fdt, uart, "clock-names", &len);
    g_assert_cmpmem(names, len, "uartclk\0apb_pclk", sizeof("uartclk\0apb_pclk"));

    /* both clocks are the fixed 24 MHz clock */
    g_assert_cmpuint(clocks[0], ==, clocks[1]);
    g_assert_cmpint(fdt_node_offset_by_phandle(fdt, clocks[0]), ==, node(fdt, "/apb-pclk"));
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/apb-pclk"), "fixed-clock"), ==, 0);
    g_assert_cmpuint(prop_u32(fdt, "/apb-pclk", "clock-frequency"), ==, 24000000);
    g_assert_cmpuint(prop_u32(fdt, "/apb-pclk", "#clock-cells"), ==, 0);
}

static void test_virtio(void)
{
    struct arm_fdt_config c = base_config(3);
    g_autofree void *fdt = build(&c);
    uint32_t reg[4], irq[3];

    prop_cells(fdt, "/virtio_mmio@a000200", "reg", reg, 4);
    g_assert_cmphex(reg[1], ==, VIRT_MMIO + 0x200);
    g_assert_cmphex(reg[3], ==, 0x200);
    prop_cells(fdt, "/virtio_mmio@a000200", "interrupts", irq, 3);
    g_assert_cmpuint(irq[0], ==, 0);
    g_assert_cmpuint(irq[1], ==, 17);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node(fdt, "/virtio_mmio@a000000"),
                                              "virtio,mmio"), ==, 0);
    g_assert_true(has_prop(fdt, "/virtio_mmio@a000000", "dma-coherent"));
    g_assert_cmpint(fdt_path_offset(fdt, "/virtio_mmio@a000400"), <, 0);
}

static void test_chosen(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree void *fdt = build(&c);
    int len;

    g_assert_cmpstr(prop_str(fdt, "/chosen", "bootargs"), ==, "console=ttyAMA0 earlycon");
    g_assert_cmpstr(prop_str(fdt, "/chosen", "stdout-path"), ==, "/pl011@9000000");
    /* stdout-path must name a node that exists */
    node(fdt, prop_str(fdt, "/chosen", "stdout-path"));
    g_assert_cmphex(prop_u64(fdt, "/chosen", "linux,initrd-start"), ==, 0x4f000000);
    g_assert_cmphex(prop_u64(fdt, "/chosen", "linux,initrd-end"), ==, 0x4f123456);
    g_assert_cmpmem(prop(fdt, "/chosen", "rng-seed", &len), len, seed, sizeof(seed));

    /* without an initrd there are no initrd properties */
    c.initrd_start = c.initrd_end = 0;
    c.rng_seed_len = 0;
    {
        g_autofree void *fdt2 = build(&c);

        g_assert_false(has_prop(fdt2, "/chosen", "linux,initrd-start"));
        g_assert_false(has_prop(fdt2, "/chosen", "rng-seed"));
    }
}

/* MPIDRs with Aff3 need two address cells for the cpu nodes. */
static void test_cpus_aff3(void)
{
    static const uint64_t mpidr[] = { 0x100000000ULL, 0x100000001ULL };
    struct arm_fdt_config c = base_config(3);
    g_autofree void *fdt = NULL;

    c.mpidr = mpidr;
    fdt = build(&c);
    g_assert_cmpuint(prop_u32(fdt, "/cpus", "#address-cells"), ==, 2);
    g_assert_cmphex(prop_u64(fdt, "/cpus/cpu@100000001", "reg"), ==, 0x100000001ULL);
}

/* A long command line grows the blob; a bad configuration is refused. */
static void test_sizes_and_errors(void)
{
    struct arm_fdt_config c = base_config(2);
    g_autofree char *longargs = g_strnfill(100000, 'x');
    g_autofree char *hugeargs = g_strnfill(3 << 20, 'y');
    GError *err = NULL;
    void *fdt = NULL;
    size_t size;

    c.bootargs = longargs;
    fdt = build(&c);
    g_assert_cmpuint(strlen(prop_str(fdt, "/chosen", "bootargs")), ==, 100000);
    g_free(fdt);

    c.bootargs = hugeargs;
    g_assert_cmpint(arm_fdt_build(&c, &fdt, &size, &err), <, 0);
    g_assert_nonnull(err);
    g_clear_error(&err);

    c = base_config(4);
    g_assert_cmpint(arm_fdt_build(&c, &fdt, &size, &err), <, 0);
    g_assert_nonnull(strstr(err->message, "GIC version 4"));
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/arm-fdt/root-cpus-psci", test_root_cpus_psci);
    g_test_add_func("/arm-fdt/memory", test_memory);
    g_test_add_func("/arm-fdt/gicv2-timer", test_gicv2);
    g_test_add_func("/arm-fdt/gicv3-timer", test_gicv3);
    g_test_add_func("/arm-fdt/uart-clock", test_uart_and_clock);
    g_test_add_func("/arm-fdt/virtio", test_virtio);
    g_test_add_func("/arm-fdt/chosen", test_chosen);
    g_test_add_func("/arm-fdt/cpus-aff3", test_cpus_aff3);
    g_test_add_func("/arm-fdt/sizes-errors", test_sizes_and_errors);
    return g_test_run();
}
