/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An ARM PrimeCell PL011 UART (ARM DDI 0183), as far as Linux's amba-pl011
 * driver can tell.  Transmission is instant: a byte written to DR goes to
 * the chardev at once, so the transmit FIFO is always empty, never busy,
 * and the TX interrupt is raised by every write (as QEMU's model does; the
 * driver masks it when it has nothing more to send).  Received bytes wait
 * in a 16-entry FIFO (one entry with the FIFOs disabled), pulled from the
 * backend while there is room.  Modem lines, DMA and error conditions are
 * not modelled.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/arm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"

enum {
    REG_DR = 0x000, REG_RSR = 0x004, REG_FR = 0x018, REG_ILPR = 0x020,
    REG_IBRD = 0x024, REG_FBRD = 0x028, REG_LCR_H = 0x02c, REG_CR = 0x030,
    REG_IFLS = 0x034, REG_IMSC = 0x038, REG_RIS = 0x03c, REG_MIS = 0x040,
    REG_ICR = 0x044, REG_DMACR = 0x048, REG_ID = 0xfe0,
};

#define FR_BUSY     (1u << 3)
#define FR_RXFE     (1u << 4)
#define FR_TXFF     (1u << 5)
#define FR_RXFF     (1u << 6)
#define FR_TXFE     (1u << 7)

#define LCR_H_FEN   (1u << 4)
#define CR_LBE      (1u << 7)   /* loopback */
#define CR_RESET    0x300       /* TXE | RXE */
#define IFLS_RESET  0x12        /* both FIFO levels at half */

#define INT_RX      (1u << 4)
#define INT_TX      (1u << 5)
#define INT_RT      (1u << 6)
#define INT_ALL     0x7ff

#define RX_FIFO     16

/* PeriphID0-3 and PCellID0-3: a PL011 r1p5, as the AMBA bus probes it. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011 {
    pthread_mutex_t lock;
    MemoryRegion *mr;
    struct irq_line irq;
    struct chardev *chr;
    uint32_t lcr_h, cr, ifls, imsc, ris, ilpr, ibrd, fbrd, dmacr;
    uint8_t rx[RX_FIFO];
    unsigned int rx_head, rx_count;
    int irq_level;
};

static unsigned int rx_depth(struct pl011 *s)
{
    return (s->lcr_h & LCR_H_FEN) ? RX_FIFO : 1;
}

static void update_irq(struct pl011 *s)
{
    int level = (s->ris & s->imsc) != 0;

    if (level != s->irq_level) {
        s->irq_level = level;
        irq_line_set(&s->irq, level);
    }
}

static void rx_push(struct pl011 *s, uint8_t b)
{
    if (s->rx_count >= rx_depth(s))
        return;     /* overrun: the byte is lost, as on the real part */
    s->rx[(s->rx_head + s->rx_count) % RX_FIFO] = b;
    s->rx_count++;
    s->ris |= INT_RX;
}

/* Move pending input from the backend into the FIFO while it has room. */
static void rx_fill(struct pl011 *s)
{
    uint8_t buf[RX_FIFO];
    size_t n;

    if (!s->chr || (s->cr & CR_LBE) || s->rx_count >= rx_depth(s))
        return;
    n = chardev_read(s->chr, buf, rx_depth(s) - s->rx_count);
    for (size_t i = 0; i < n; i++)
        rx_push(s, buf[i]);
}

/* The backend has input (main thread). */
static void pl011_input(void *opaque)
{
    struct pl011 *s = opaque;

    pthread_mutex_lock(&s->lock);
    rx_fill(s);
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

static uint32_t read_dr(struct pl011 *s)
{
    uint32_t v;

    if (!s->rx_count)
        return 0;
    v = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % RX_FIFO;
    s->rx_count--;
    rx_fill(s);
    if (!s->rx_count)
        s->ris &= ~(INT_RX | INT_RT);
    return v;
}

static uint64_t pl011_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pl011 *s = opaque;
    uint32_t v = 0;

    (void)size;
    pthread_mutex_lock(&s->lock);
    if (offset >= REG_ID && offset < REG_ID + 32 && !(offset & 3)) {
        v = pl011_id[(offset - REG_ID) / 4];
        goto out;
    }
    switch (offset) {
    case REG_DR:
        v = read_dr(s);
        break;
    case REG_RSR:
        break;      /* no framing, parity, break or overrun errors */
    case REG_FR:
        v = FR_TXFE;
        if (!s->rx_count)
            v |= FR_RXFE;
        else if (s->rx_count >= rx_depth(s))
            v |= FR_RXFF;
        break;
    case REG_ILPR:
        v = s->ilpr;
        break;
    case REG_IBRD:
        v = s->ibrd;
        break;
    case REG_FBRD:
        v = s->fbrd;
        break;
    case REG_LCR_H:
        v = s->lcr_h;
        break;
    case REG_CR:
        v = s->cr;
        break;
    case REG_IFLS:
        v = s->ifls;
        break;
    case REG_IMSC:
        v = s->imsc;
        break;
    case REG_RIS:
        v = s->ris;
        break;
    case REG_MIS:
        v = s->ris & s->imsc;
        break;
    case REG_DMACR:
        v = s->dmacr;
        break;
    default:
        vmm_log(LOG_GUEST_ERROR, "pl011: read of unknown register 0x%" PRIx64, offset);
        break;
    }
out:
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void write_lcr_h(struct pl011 *s, uint32_t v)
{
    /* switching the FIFOs on or off empties them */
    if ((s->lcr_h ^ v) & LCR_H_FEN)
        s->rx_head = s->rx_count = 0;
    s->lcr_h = v & 0xff;
}

static void pl011_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct pl011 *s = opaque;
    uint32_t v = (uint32_t)value;
    uint8_t ch;

    (void)size;
    pthread_mutex_lock(&s->lock);
    switch (offset) {
    case REG_DR:
        ch = (uint8_t)v;
        if (s->cr & CR_LBE)
            rx_push(s, ch);
        else if (s->chr)
            chardev_write(s->chr, &ch, 1);
        s->ris |= INT_TX;
        break;
    case REG_RSR:
        break;      /* a write clears the (never set) error bits */
    case REG_ILPR:
        s->ilpr = v & 0xff;
        break;
    case REG_IBRD:
        s->ibrd = v & 0xffff;
        break;
    case REG_FBRD:
        s->fbrd = v & 0x3f;
        break;
    case REG_LCR_H:
        write_lcr_h(s, v);
        break;
    case REG_CR:
        s->cr = v & 0xffff;
        rx_fill(s);
        break;
    case REG_IFLS:
        s->ifls = v & 0x3f;
        break;
    case REG_IMSC:
        s->imsc = v & INT_ALL;
        break;
    case REG_ICR:
        s->ris &= ~(v & INT_ALL);
        /* bytes still waiting keep the receive interrupt up */
        if (s->rx_count)
            s->ris |= INT_RX;
        break;
    case REG_DMACR:
        s->dmacr = v & 0x7;
        break;
    default:
        vmm_log(LOG_GUEST_ERROR, "pl011: write of 0x%x to read-only or unknown register "
                "0x%" PRIx64, v, offset);
        break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

static const MemoryRegionOps pl011_ops = {
    .read = pl011_read,
    .write = pl011_write,
    .valid_sizes = ACCESS_1 | ACCESS_2 | ACCESS_4,
};

void pl011_reset(struct pl011 *s)
{
    pthread_mutex_lock(&s->lock);
    s->lcr_h = s->imsc = s->ris = s->ilpr = s->ibrd = s->fbrd = s->dmacr = 0;
    s->cr = CR_RESET;
    s->ifls = IFLS_RESET;
    s->rx_head = s->rx_count = 0;
    rx_fill(s);
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

/*
 * The "pl011" state section, version 1: u32 LCR_H, CR, IFLS, IMSC, RIS,
 * ILPR, IBRD, FBRD, DMACR, u32 rx_count, rx_count bytes oldest first,
 * u32 interrupt line level.  The line level is only noted: the interrupt
 * controller's own section carries the line as its input.
 */
static int pl011_save(void *opaque, GByteArray *out)
{
    struct pl011 *s = opaque;
    const uint32_t regs[] = { s->lcr_h, s->cr, s->ifls, s->imsc, s->ris, s->ilpr, s->ibrd,
                              s->fbrd, s->dmacr };

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++)
        put_u32(out, regs[i]);
    put_u32(out, s->rx_count);
    for (unsigned int i = 0; i < s->rx_count; i++)
        put_u8(out, s->rx[(s->rx_head + i) % RX_FIFO]);
    put_u32(out, (uint32_t)s->irq_level);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int pl011_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                      GError **errp)
{
    struct pl011 *s = opaque;
    struct vm_reader r = { .p = buf, .len = len };
    uint32_t *regs[] = { &s->lcr_h, &s->cr, &s->ifls, &s->imsc, &s->ris, &s->ilpr, &s->ibrd,
                         &s->fbrd, &s->dmacr };
    uint32_t val[G_N_ELEMENTS(regs)], count, level;
    uint8_t rx[RX_FIFO];

    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++)
        val[i] = get_u32(&r);
    count = get_u32(&r);
    if (count <= RX_FIFO)
        get_bytes(&r, rx, count);
    level = get_u32(&r);
    if (version != 1 || r.error || r.pos != len || count > RX_FIFO || level > 1) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "pl011 state: version %u, %zu bytes: does not parse", version, len);
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++)
        *regs[i] = val[i];
    memcpy(s->rx, rx, count);
    s->rx_head = 0;
    s->rx_count = count;
    s->irq_level = (int)level;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

struct pl011 *pl011_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                           struct chardev *chr, GError **errp)
{
    struct vmstate_ops ops = {
        .name = "pl011", .instance = 0, .version = 1,
        .save = pl011_save, .load = pl011_load,
    };
    struct pl011 *s = g_new0(struct pl011, 1);

    pthread_mutex_init(&s->lock, NULL);
    s->irq = irq;
    s->chr = chr;
    s->cr = CR_RESET;
    s->ifls = IFLS_RESET;
    s->mr = memory_region_map_io(as, "pl011", base, VIRT_UART_SIZE, &pl011_ops, s, errp);
    if (!s->mr) {
        g_free(s);
        return NULL;
    }
    if (chr)
        chardev_set_input_handler(chr, pl011_input, s);
    ops.opaque = s;
    vmstate_register(&ops);
    return s;
}

void pl011_free(struct pl011 *s)
{
    if (!s)
        return;
    memory_region_free(s->mr);
    pthread_mutex_destroy(&s->lock);
    g_free(s);
}
