/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bare-metal arm64 test guest for qemu-vmm's virt machine, one vCPU,
 * loaded as a Linux Image (start.S).  What it does is chosen on the
 * kernel command line (-append), which it finds in the device tree:
 *
 *   gictest=reset    boot 1: note the GIC distributor's power-on state, change
 *                    it (enables, pending, active, priorities, CTLR), check the
 *                    writes took, and reset the machine (PSCI SYSTEM_RESET);
 *                    boot 2: the distributor must be back to the power-on state.
 *                    GICv2 and GICv3 (only distributor registers both have).
 *   gictest=attack   (GICv2) writes all-ones with every access width, aligned to
 *                    the register and not, to read-only, reserved and
 *                    non-existent distributor and CPU-interface registers, and
 *                    beyond the frames; then the read-only registers must read as
 *                    before, the reserved ones as zero, no writable register may
 *                    have changed, and an SGI to itself must still be delivered.
 *   gictest=counter  (GICv2 or GICv3, the CPU interface as system registers)
 *                    counts virtual-timer interrupts (PPI 27, 1 kHz) and
 *                    rewrites a 1 MiB buffer with a pattern of (page, generation)
 *                    while checking the previous generation, printing a line
 *                    every 100 ticks, until it reads a 'q' on the console.  For
 *                    migration: the ticks and the pattern must go on after a
 *                    restore.
 *
 * Results are lines on the PL011 starting with "G: "; a passed check prints
 * "G: PASS <name>", a failed one "G: FAIL <name>: <why>".  The end is PSCI
 * SYSTEM_OFF.  The MMU stays off, so every data access is a Device access
 * and must be aligned: the build uses -mstrict-align, and accesses the test
 * makes unaligned on purpose are caught by the synchronous exception handler,
 * which skips them (the architecture faults them in the guest; they never
 * reach the VMM).
 */
#include <stdbool.h>
#include <stdint.h>

#define UART            0x09000000UL
#define GICD            0x08000000UL
#define GICC            0x08010000UL
#define GICR            0x080a0000UL
#define RAM             0x40000000UL
#define SAVE            (RAM + (16UL << 20))    /* survives a reset: not in the image */
#define BUF             (RAM + (24UL << 20))
#define BUF_SIZE        (1UL << 20)

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICC_CTLR       0x00
#define GICC_PMR        0x04
#define GICC_IAR        0x0c
#define GICC_EOIR       0x10
#define GICC_RPR        0x14
#define GICC_IIDR       0xfc

#define PSCI_SYSTEM_OFF   0x84000008UL
#define PSCI_SYSTEM_RESET 0x84000009UL
#define SAVE_MAGIC        0x7265736574UL  /* "reset" */

#define SGI_TEST        5
#define TIMER_PPI       27

/* ---- MMIO and RAM access of an exact width ---- */

/*
 * Single loads and stores without writeback, in assembly: an access with
 * writeback (which the compiler likes in loops) has no instruction syndrome,
 * so KVM cannot emulate it on MMIO (qemu-vmm then injects an external abort,
 * which test_attack checks on purpose with nisv_access()).
 */
static inline uint64_t rd(uintptr_t a, unsigned int size)
{
    uint64_t v;

    switch (size) {
    case 1: asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); break;
    case 2: asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); break;
    case 4: asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); break;
    default: asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory"); break;
    }
    return v;
}

static inline void wr(uintptr_t a, uint64_t v, unsigned int size)
{
    switch (size) {
    case 1: asm volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
    case 2: asm volatile("strh %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
    case 4: asm volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
    default: asm volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory"); break;
    }
}

/* A load with post-index writeback from MMIO: KVM cannot decode it. */
static inline void nisv_access(uintptr_t a)
{
    uint64_t v;

    asm volatile("ldr %w0, [%1], #4" : "=r"(v), "+r"(a) : : "memory");
}

static inline uint32_t r32(uintptr_t a) { return (uint32_t)rd(a, 4); }
static inline void w32(uintptr_t a, uint32_t v) { wr(a, v, 4); }

/* ---- console ---- */

static void putc_(char c)
{
    while (r32(UART + 0x18) & (1u << 5))    /* FR.TXFF */
        ;
    w32(UART, (uint8_t)c);
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void puthex(uint64_t v)
{
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4) {
        unsigned int d = (v >> i) & 0xf;

        if (d || i == 0 || (v >> i))
            putc_((char)(d < 10 ? '0' + d : 'a' + d - 10));
    }
}

static void putdec(uint64_t v)
{
    char buf[24];
    int n = 0;

    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_(buf[--n]);
}

static unsigned int failures;

static void fail(const char *what, uintptr_t where, uint64_t got, uint64_t want)
{
    failures++;
    if (failures > 20)
        return;     /* enough to see what is wrong */
    puts_("G: FAIL ");
    puts_(what);
    puts_(" at ");
    puthex(where);
    puts_(": read ");
    puthex(got);
    puts_(", expected ");
    puthex(want);
    puts_("\n");
}

static void expect(const char *what, uintptr_t where, uint64_t got, uint64_t want)
{
    if (got != want)
        fail(what, where, got, want);
}

static void psci(uint64_t fn)
{
    register uint64_t x0 asm("x0") = fn;

    asm volatile("hvc #0" : "+r"(x0) : : "memory");
}

static void power_off(void)
{
    puts_("G: power off\n");
    psci(PSCI_SYSTEM_OFF);
    for (;;)
        asm volatile("wfi");
}

/* ---- the command line, found in the device tree blob ---- */

static const uint8_t *dtb;
static uint32_t dtb_size;

static bool has_arg(const char *arg)
{
    uint32_t n = 0;

    while (arg[n])
        n++;
    for (uint32_t i = 0; i + n <= dtb_size; i++) {
        uint32_t k = 0;

        while (k < n && dtb[i + k] == (uint8_t)arg[k])
            k++;
        if (k == n)
            return true;
    }
    return false;
}

/* ---- exceptions ---- */

static bool gicv3;      /* the device tree names an arm,gic-v3 */
static volatile unsigned int sync_faults;
static volatile uint64_t last_esr;
static volatile unsigned int irqs, spurious, last_irq = 1023;
static volatile uint64_t ticks;
static volatile uint32_t timer_reload;

static uint64_t sysreg_esr(void)
{
    uint64_t v;

    asm volatile("mrs %0, esr_el1" : "=r"(v));
    return v;
}

static void timer_arm(void)
{
    asm volatile("msr cntv_tval_el0, %0; msr cntv_ctl_el0, %1; isb"
                 : : "r"((uint64_t)timer_reload), "r"(1UL));
}

/* The GICv3 CPU interface (ICC_IAR1_EL1, ICC_EOIR1_EL1). */
static uint64_t icc_iar1(void)
{
    uint64_t v;

    asm volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v));
    return v;
}

static void icc_eoir1(uint64_t v)
{
    asm volatile("msr S3_0_C12_C12_1, %0; isb" : : "r"(v));
}

/*
 * CPU 0's GICv3 redistributor awake, the PPI in group 1 and enabled, and
 * the system register CPU interface on with group 1 unmasked.
 */
static void gicv3_enable_ppi(unsigned int ppi)
{
    uintptr_t rd = GICR, sgi = GICR + 0x10000;

    w32(GICD + GICD_CTLR, (1u << 4) | (1u << 1));      /* ARE, EnableGrp1 */
    w32(rd + 0x14, r32(rd + 0x14) & ~(1u << 1));        /* GICR_WAKER.ProcessorSleep */
    while (r32(rd + 0x14) & (1u << 2))                  /* ChildrenAsleep */
        ;
    w32(sgi + 0x080, r32(sgi + 0x080) | (1u << ppi));  /* IGROUPR0 */
    wr(sgi + 0x400 + ppi, 0x80, 1);                     /* IPRIORITYR */
    w32(sgi + 0x100, 1u << ppi);                        /* ISENABLER0 */
    asm volatile("mrs x0, S3_0_C12_C12_5; orr x0, x0, #1; msr S3_0_C12_C12_5, x0; isb"
                 : : : "x0");                           /* ICC_SRE_EL1.SRE */
    asm volatile("msr S3_0_C4_C6_0, %0" : : "r"(0xf0UL)); /* ICC_PMR_EL1 */
    asm volatile("msr S3_0_C12_C12_7, %0; isb" : : "r"(1UL)); /* ICC_IGRPEN1_EL1 */
}

void exception(uint64_t kind);
void exception(uint64_t kind)
{
    if (kind == 0) {
        uint64_t elr;

        /* an access the architecture refuses (unaligned Device access): skip it */
        uint64_t esr = sysreg_esr();

        sync_faults++;
        asm volatile("mrs %0, elr_el1" : "=r"(elr));
        last_esr = esr;
        asm volatile("msr elr_el1, %0" : : "r"(elr + 4));
        return;
    }
    if (kind == 1) {
        uint32_t iar = gicv3 ? (uint32_t)icc_iar1() : r32(GICC + GICC_IAR);
        uint32_t id = iar & 0x3ff;

        if (id >= 1020) {
            spurious++;
            return;
        }
        last_irq = iar;
        irqs++;
        if (id == TIMER_PPI) {
            ticks++;
            timer_arm();
        }
        if (gicv3)
            icc_eoir1(iar);
        else
            w32(GICC + GICC_EOIR, iar);
        return;
    }
    puts_("G: FAIL unexpected exception kind ");
    putdec(kind);
    puts_("\n");
    power_off();
}

static void irqs_on(void)
{
    asm volatile("msr daifclr, #2; isb" : : : "memory");
}

static void irqs_off(void)
{
    asm volatile("msr daifset, #2; isb" : : : "memory");
}

/* ---- gictest=reset ---- */

/*
 * The distributor registers both GIC versions have at the same offsets,
 * for SPIs 32-63 (the first SPI word).  The values noted at the first boot
 * are kept in RAM outside the image, which a reset does not clear.
 */
static const uint32_t reset_regs[] = {
    GICD_ISENABLER + 4, GICD_ISPENDR + 4, GICD_ISACTIVER + 4,
    GICD_IPRIORITYR + 40, GICD_IPRIORITYR + 44, GICD_CTLR,
};
#define NR_RESET_REGS (sizeof(reset_regs) / sizeof(reset_regs[0]))

struct saved {
    uint64_t magic;
    uint64_t boots;
    uint32_t val[NR_RESET_REGS];
};

static void test_reset(void)
{
    volatile struct saved *s = (volatile struct saved *)SAVE;

    if (s->magic != SAVE_MAGIC) {
        s->magic = SAVE_MAGIC;
        s->boots = 1;
        puts_("G: reset test, boot 1\n");
        for (unsigned int i = 0; i < NR_RESET_REGS; i++)
            s->val[i] = r32(GICD + reset_regs[i]);
        /* SPIs 40-47: enabled, pending, active, priority 0xa0 */
        w32(GICD + GICD_ISENABLER + 4, 0xff00);
        w32(GICD + GICD_ISPENDR + 4, 0xff00);
        w32(GICD + GICD_ISACTIVER + 4, 0xff00);
        w32(GICD + GICD_IPRIORITYR + 40, 0xa0a0a0a0);
        w32(GICD + GICD_IPRIORITYR + 44, 0xa0a0a0a0);
        w32(GICD + GICD_CTLR, r32(GICD + GICD_CTLR) | 1);
        expect("enable written", GICD + GICD_ISENABLER + 4,
               r32(GICD + GICD_ISENABLER + 4) & 0xff00, 0xff00);
        expect("active written", GICD + GICD_ISACTIVER + 4,
               r32(GICD + GICD_ISACTIVER + 4) & 0xff00, 0xff00);
        expect("priority written", GICD + GICD_IPRIORITYR + 40,
               r32(GICD + GICD_IPRIORITYR + 40) & 0xf0f0f0f0, 0xa0a0a0a0);
        if (failures)
            power_off();
        puts_("G: GIC state changed, resetting\n");
        psci(PSCI_SYSTEM_RESET);
        puts_("G: FAIL SYSTEM_RESET returned\n");
        power_off();
    }
    s->boots++;
    puts_("G: reset test, boot ");
    putdec(s->boots);
    puts_("\n");
    for (unsigned int i = 0; i < NR_RESET_REGS; i++)
        expect("distributor register after reset", GICD + reset_regs[i],
               r32(GICD + reset_regs[i]), s->val[i]);
    s->magic = 0;
    if (!failures)
        puts_("G: PASS reset\n");
}

/* ---- gictest=attack (GICv2) ---- */

/* Read-only registers (GICv2 4.1.2, Table 4-1 and 4-2). */
static const uint32_t dist_ro[] = {
    GICD_TYPER, GICD_IIDR, GICD_ITARGETSR, GICD_ITARGETSR + 4, GICD_ITARGETSR + 0x1c,
    GICD_ICFGR, GICD_ICFGR + 4, 0xfe8,
};
static const uint32_t cpu_ro[] = { GICC_IAR, GICC_RPR, 0x18, 0x20, 0x28, GICC_IIDR };
/*
 * Reserved offsets and registers of interrupts that do not exist (the
 * machine has 288: words 9 and up of the bit arrays), and the rest of the
 * 64 KiB windows past the frames.  All read as zero.
 */
static const uint32_t dist_none[] = {
    0x00c, 0x040, 0x07c, 0x124, 0x17c, 0x1a4, 0x1fc, 0x224, 0x2a4, 0x324, 0x3a4, 0x520,
    0x7f8, 0x920, 0xbf8, 0xc48, 0xcfc, 0xd00, 0xdfc, 0xf04, 0xf0c, 0xf30, 0xfcc,
    0x1000, 0x2000, 0x8000, 0xfff8,
};
static const uint32_t cpu_none[] = {
    0x2c, 0x40, 0xcc, 0xf0, 0xf8, 0x100, 0x800, 0xffc, 0x1004, 0x1800, 0x1ffc, 0x2000,
    0x8000, 0xfff8,
};
/*
 * Writable registers that take 32-bit accesses only: a byte, halfword or
 * doubleword write must change nothing (RAZ/WI).
 */
static const uint32_t dist_word_only[] = {
    GICD_CTLR, GICD_ISENABLER + 4, GICD_ICENABLER + 4, GICD_ISPENDR + 4,
    GICD_ICPENDR + 4, GICD_ISACTIVER + 4, GICD_ICACTIVER + 4, GICD_ICFGR + 8,
};

/* Every writable distributor register of the existing interrupts, for the
 * state comparison: enables, pending, active, priorities, targets, config. */
#define SNAP_WORDS (1 + 9 * 3 + 72 + 64 + 18)
static uint32_t snap_before[SNAP_WORDS], snap_after[SNAP_WORDS];
static uint32_t snap_addr[SNAP_WORDS];

static void snapshot(uint32_t *out)
{
    unsigned int n = 0;

    out[n] = r32(GICD + GICD_CTLR), snap_addr[n++] = GICD_CTLR;
    for (uint32_t w = 0; w < 9; w++) {
        out[n] = r32(GICD + GICD_ISENABLER + 4 * w), snap_addr[n++] = GICD_ISENABLER + 4 * w;
        out[n] = r32(GICD + GICD_ISPENDR + 4 * w), snap_addr[n++] = GICD_ISPENDR + 4 * w;
        out[n] = r32(GICD + GICD_ISACTIVER + 4 * w), snap_addr[n++] = GICD_ISACTIVER + 4 * w;
    }
    for (uint32_t w = 0; w < 72; w++)
        out[n] = r32(GICD + GICD_IPRIORITYR + 4 * w), snap_addr[n++] = GICD_IPRIORITYR + 4 * w;
    for (uint32_t w = 8; w < 72; w++)
        out[n] = r32(GICD + GICD_ITARGETSR + 4 * w), snap_addr[n++] = GICD_ITARGETSR + 4 * w;
    for (uint32_t w = 0; w < 18; w++)
        out[n] = r32(GICD + GICD_ICFGR + 4 * w), snap_addr[n++] = GICD_ICFGR + 4 * w;
}

/* All-ones with every width at a register offset, at each byte of the word. */
static void hammer(uintptr_t reg, bool word_too)
{
    static const unsigned int sizes[] = { 1, 2, 4, 8 };

    for (unsigned int i = 0; i < 4; i++) {
        unsigned int size = sizes[i];

        if (size == 4 && !word_too)
            continue;
        for (unsigned int off = 0; off < 4; off++) {
            /* unaligned ones fault in the guest (Device memory): skipped */
            wr(reg + off, ~0ULL, size);
            (void)rd(reg + off, size);
        }
    }
}

static void test_attack(void)
{
    uint32_t ro_before[sizeof(dist_ro) / 4], cpu_ro_before[sizeof(cpu_ro) / 4];
    unsigned int n;

    puts_("G: attack test\n");
    /* a known state with something in every register kind */
    w32(GICD + GICD_ISENABLER + 4, 0x00ff00ff);
    w32(GICD + GICD_ISPENDR + 8, 0x0000f000);
    w32(GICD + GICD_IPRIORITYR + 40, 0x10203040);
    w32(GICD + GICD_ITARGETSR + 40, 0x01010101);
    w32(GICD + GICD_ICFGR + 12, 0x55550000);
    for (unsigned int i = 0; i < sizeof(dist_ro) / 4; i++)
        ro_before[i] = r32(GICD + dist_ro[i]);
    for (unsigned int i = 0; i < sizeof(cpu_ro) / 4; i++)
        cpu_ro_before[i] = r32(GICC + cpu_ro[i]);
    snapshot(snap_before);

    for (unsigned int i = 0; i < sizeof(dist_ro) / 4; i++)
        hammer(GICD + dist_ro[i], true);
    for (unsigned int i = 0; i < sizeof(dist_none) / 4; i++)
        hammer(GICD + dist_none[i], true);
    for (unsigned int i = 0; i < sizeof(dist_word_only) / 4; i++)
        hammer(GICD + dist_word_only[i], false);
    for (unsigned int i = 0; i < sizeof(cpu_ro) / 4; i++)
        hammer(GICC + cpu_ro[i], true);
    for (unsigned int i = 0; i < sizeof(cpu_none) / 4; i++)
        hammer(GICC + cpu_none[i], true);

    for (unsigned int i = 0; i < sizeof(dist_ro) / 4; i++)
        expect("read-only distributor register", GICD + dist_ro[i],
               r32(GICD + dist_ro[i]), ro_before[i]);
    for (unsigned int i = 0; i < sizeof(cpu_ro) / 4; i++)
        expect("read-only CPU interface register", GICC + cpu_ro[i],
               r32(GICC + cpu_ro[i]), cpu_ro_before[i]);
    /* 4.3.12: ITARGETSR0-7 read the accessing CPU's bit; 4.3.13: SGIs are edge */
    expect("ITARGETSR0 (SGIs of CPU 0)", GICD + GICD_ITARGETSR,
           r32(GICD + GICD_ITARGETSR), 0x01010101);
    expect("ICFGR0 (SGIs)", GICD + GICD_ICFGR, r32(GICD + GICD_ICFGR), 0xaaaaaaaa);
    for (unsigned int i = 0; i < sizeof(dist_none) / 4; i++)
        for (unsigned int size = 1; size <= 8; size *= 2)
            expect("reserved distributor offset", GICD + dist_none[i],
                   rd(GICD + dist_none[i], size), 0);
    for (unsigned int i = 0; i < sizeof(cpu_none) / 4; i++)
        for (unsigned int size = 1; size <= 8; size *= 2)
            expect("reserved CPU interface offset", GICC + cpu_none[i],
                   rd(GICC + cpu_none[i], size), 0);
    snapshot(snap_after);
    for (n = 0; n < SNAP_WORDS; n++)
        expect("writable distributor register", GICD + snap_addr[n], snap_after[n],
               snap_before[n]);
    puts_("G: attack done, ");
    putdec(sync_faults);
    puts_(" unaligned accesses faulted in the guest\n");

    /*
     * An MMIO access without instruction syndrome: the guest gets a
     * synchronous external abort (ESR_EL1.EC 0x25 data abort, DFSC 0x10),
     * as from a bus that refuses the access; the VMM goes on.
     */
    n = sync_faults;
    nisv_access(GICD + GICD_TYPER);
    expect("external abort for an undecodable access (faults)", GICD + GICD_TYPER,
           sync_faults - n, 1);
    expect("external abort for an undecodable access (ESR EC, DFSC)", GICD + GICD_TYPER,
           ((last_esr >> 26) & 0x3f) << 8 | (last_esr & 0x3f), 0x2510);

    /* the GIC still works: an SGI to this CPU (GICD_SGIR filter 0b10) arrives */
    w32(GICD + GICD_ICPENDR + 8, 0x0000f000);
    w32(GICD + GICD_CTLR, 1);
    w32(GICC + GICC_PMR, 0xf0);
    w32(GICC + GICC_CTLR, 1);
    w32(GICD + GICD_ISENABLER, 1u << SGI_TEST);
    irqs_on();
    w32(GICD + GICD_SGIR, (2u << 24) | SGI_TEST);
    for (int i = 0; i < 1000000 && !irqs; i++)
        asm volatile("nop");
    irqs_off();
    expect("SGI to self delivered (GICC_IAR)", GICC + GICC_IAR, last_irq, SGI_TEST);
    expect("running priority idle after EOI", GICC + GICC_RPR, r32(GICC + GICC_RPR), 0xff);
    if (!failures)
        puts_("G: PASS attack\n");
}

/* ---- gictest=counter (GICv2) ---- */

static uint64_t pattern(uint64_t page, uint64_t gen)
{
    return (page * 0x9e3779b97f4a7c15ULL) ^ (gen << 32) ^ gen;
}

/* The state of the timer and its PPI when ticks stop coming. */
static void stalled(uint64_t at)
{
    uint64_t ctl, rpr = 0, hppir = 0;
    uintptr_t pend = gicv3 ? GICR + 0x10000 + 0x200 : GICD + GICD_ISPENDR;
    uintptr_t act = gicv3 ? GICR + 0x10000 + 0x300 : GICD + GICD_ISACTIVER;

    asm volatile("mrs %0, cntv_ctl_el0" : "=r"(ctl));
    if (gicv3) {
        asm volatile("mrs %0, S3_0_C12_C11_3" : "=r"(rpr));
        asm volatile("mrs %0, S3_0_C12_C12_2" : "=r"(hppir));
    } else {
        rpr = r32(GICC + GICC_RPR);
        hppir = r32(GICC + 0x18);
    }
    puts_("G: FAIL ticks stalled at ");
    putdec(at);
    puts_(": CNTV_CTL ");
    puthex(ctl);
    puts_(" pending ");
    puthex(r32(pend));
    puts_(" active ");
    puthex(r32(act));
    puts_(" RPR ");
    puthex(rpr);
    puts_(" HPPIR ");
    puthex(hppir);
    puts_("\n");
    failures++;
}

static void test_counter(void)
{
    uint64_t freq, gen = 0, next_print = 100;
    uint64_t pages = BUF_SIZE / 4096;

    asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    timer_reload = (uint32_t)(freq / 1000);
    puts_("G: counter test, timer ");
    putdec(freq);
    puts_(" Hz\n");
    if (gicv3) {
        gicv3_enable_ppi(TIMER_PPI);
    } else {
        w32(GICD + GICD_CTLR, 1);
        w32(GICC + GICC_PMR, 0xf0);
        w32(GICC + GICC_CTLR, 1);
        w32(GICD + GICD_ISENABLER, 1u << TIMER_PPI);
    }
    timer_arm();
    irqs_on();
    for (uint64_t last = 0, since = 0, now;;) {
        /* no tick for 100 ms of virtual time: say where the interrupt is stuck */
        asm volatile("isb; mrs %0, cntvct_el0" : "=r"(now));
        if (ticks != last || !since) {
            last = ticks;
            since = now;
        } else if (now - since > freq / 10) {
            stalled(last);
            since = now;
        }
        /* a 'q' on the console ends the test (after a restore: the test sends it) */
        if (!(r32(UART + 0x18) & (1u << 4)) && (r32(UART) & 0xff) == 'q')
            break;
        /* check the last generation, then write the next: a 64-bit word per page */
        for (uint64_t p = 0; p < pages; p++) {
            volatile uint64_t *w = (volatile uint64_t *)(BUF + p * 4096 + (p % 512) * 8);

            if (gen && *w != pattern(p, gen - 1))
                fail("memory pattern", (uintptr_t)w, *w, pattern(p, gen - 1));
            *w = pattern(p, gen);
        }
        gen++;
        if (ticks >= next_print) {
            puts_("G: ticks ");
            putdec(ticks);
            puts_(" generation ");
            putdec(gen);
            puts_(failures ? " memory BAD\n" : " memory ok\n");
            next_print += 100;
        }
        if (failures)
            break;
    }
    irqs_off();
    if (!failures)
        puts_("G: PASS counter\n");
}

int main(uint64_t fdt);
int main(uint64_t fdt)
{
    dtb = (const uint8_t *)fdt;
    dtb_size = __builtin_bswap32(*(volatile uint32_t *)(fdt + 4));
    if (dtb_size > (2u << 20))
        dtb_size = 0;
    gicv3 = has_arg("arm,gic-v3");
    if (has_arg("gictest=reset"))
        test_reset();
    else if (has_arg("gictest=attack"))
        test_attack();
    else if (has_arg("gictest=counter"))
        test_counter();
    else
        puts_("G: FAIL no gictest= on the command line\n");
    puts_(failures ? "G: done with failures\n" : "G: done\n");
    power_off();
    return 0;
}
