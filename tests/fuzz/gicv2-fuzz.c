/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the userspace GICv2 (hw/intc/arm_gicv2*.c):
 * distributor and CPU-interface accesses of any offset and width, made
 * through the memory API as a vCPU's MMIO exit would be (on behalf of a
 * fuzzed CPU index, also ones the GIC does not have), with interrupt
 * lines changing in between, resets, and migration of the state.
 *
 * Input: u8 CPUs (1-8), u16 interrupt IDs (32-1020), then operations to
 * the end (see the switch below).
 *
 * Oracle: output lines are reported only when they change, for CPUs the
 * GIC has, and the last report is what gicv2_output() says; the state
 * saved, loaded into a GIC of the same configuration and saved again is
 * the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "qemu-vmm/arm_gicv2.h"

#include "fuzz-common.h"

#define DIST_BASE   0x08000000ULL
#define CPU_BASE    0x08010000ULL

static AddressSpace *as;
static unsigned int num_cpus;
static int access_cpu;
static int out_level[GICV2_MAX_CPUS][2];

static void on_output(void *opaque, int cpu, int irq_or_fiq, int level)
{
    if (cpu < 0 || (unsigned int)cpu >= num_cpus || (irq_or_fiq != GICV2_OUT_IRQ &&
        irq_or_fiq != GICV2_OUT_FIQ) || (level != 0 && level != 1) ||
        out_level[cpu][irq_or_fiq] == level)
        abort();
    out_level[cpu][irq_or_fiq] = level;
}

static int current_cpu(void *opaque)
{
    return access_cpu;
}

static struct gicv2 *gic_new(unsigned int irqs)
{
    struct gicv2_config cfg = {
        .num_cpus = num_cpus, .num_irqs = irqs,
        .set_cpu_irq = on_output, .current_cpu_index = current_cpu,
    };

    return gicv2_new(&cfg, NULL);
}

/* save, load into a twin, save again: the same bytes */
static void check_migration(struct gicv2 *gic, unsigned int irqs)
{
    g_autoptr(GByteArray) a = g_byte_array_new();
    g_autoptr(GByteArray) b = g_byte_array_new();
    struct gicv2 *twin = gic_new(irqs);
    int saved[GICV2_MAX_CPUS][2];

    memcpy(saved, out_level, sizeof(saved));
    memset(out_level, 0, sizeof(out_level));
    if (!twin || gicv2_save(gic, a) < 0 || gicv2_load(twin, a->data, a->len, 1, NULL) < 0 ||
        gicv2_save(twin, b) < 0 || a->len != b->len || memcmp(a->data, b->data, a->len))
        abort();
    /* loading our own state back changes nothing */
    memcpy(out_level, saved, sizeof(saved));
    if (gicv2_load(gic, a->data, a->len, 1, NULL) < 0)
        abort();
    gicv2_free(twin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned int irqs;
    struct gicv2 *gic;

    if (!as)
        as = address_space_new("memory", 1ULL << 32, false);
    num_cpus = fin_u8(&in) % GICV2_MAX_CPUS + 1;
    irqs = GICV2_NR_PRIVATE + fin_u16(&in) % (GICV2_MAX_IRQS - GICV2_NR_PRIVATE + 1);
    memset(out_level, 0, sizeof(out_level));
    gic = gic_new(irqs);
    if (!gic || gicv2_map(gic, as, DIST_BASE, CPU_BASE, NULL) < 0)
        abort();

    while (in.len) {
        uint8_t op = fin_u8(&in);

        switch (op % 8) {
        case 0:     /* a read or write of a fuzzed CPU */
        case 1: {
            uint64_t base = op & 0x10 ? CPU_BASE : DIST_BASE;
            uint64_t off = fin_u16(&in) % (op & 0x10 ? GICV2_CPU_SIZE + 8 : GICV2_DIST_SIZE + 8);
            unsigned w = fuzz_width(fin_u8(&in));

            access_cpu = (int)(fin_u8(&in) % (GICV2_MAX_CPUS + 2)) - 1;
            if (op % 8 == 0)
                (void)address_space_read_io(as, base + off, w);
            else
                address_space_write_io(as, base + off, w == 8 ? fin_u64(&in) : fin_u32(&in), w);
            break;
        }
        case 2:     /* an SPI line (also IDs that are not SPIs) */
            gicv2_set_irq(gic, fin_u16(&in) % (GICV2_MAX_IRQS + 8), fin_u8(&in) & 1);
            break;
        case 3:
            gicv2_set_spi_line(gic, fin_u16(&in) % (GICV2_MAX_IRQS + 8), fin_u8(&in) & 1);
            break;
        case 4:     /* a PPI, e.g. a timer (also bad CPUs and IDs) */
            gicv2_set_ppi(gic, fin_u8(&in) % (GICV2_MAX_CPUS + 1), fin_u8(&in) % 40,
                          fin_u8(&in) & 1);
            break;
        case 5:
            gicv2_reset(gic);
            break;
        case 6:
            check_migration(gic, irqs);
            break;
        default:    /* the model's view of its outputs is what it reported */
            for (unsigned int c = 0; c < num_cpus; c++)
                for (int k = 0; k < 2; k++)
                    if (gicv2_output(gic, c, k) != out_level[c][k])
                        abort();
            break;
        }
    }
    gicv2_free(gic);
    return 0;
}
