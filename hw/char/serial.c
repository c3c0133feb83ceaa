/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 16550A UART, as far as a guest driver can tell.  Transmission is
 * instant (the byte goes to the chardev when THR is written), so THR and
 * the transmitter are always empty and the THRE interrupt follows each
 * write.  Register offsets and bits are those of the National 16550A.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/hw.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"

enum {
    REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI   0x01  /* received data available */
#define IER_THRI  0x02  /* transmitter holding register empty */
#define IER_RLSI  0x04
#define IER_MSI   0x08

#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB  0x80

#define MCR_LOOP  0x10

#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

#define RX_FIFO 16

struct serial {
    pthread_mutex_t lock;
    MemoryRegion *mr;
    struct irq_line irq;
    struct chardev *chr;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thr_ipending;
    uint8_t rx[RX_FIFO];
    unsigned int rx_head, rx_count;
    int irq_level;
};

static void update_irq(struct serial *s)
{
    int level = ((s->ier & IER_RDI) && s->rx_count) ||
                ((s->ier & IER_THRI) && s->thr_ipending);

    if (level != s->irq_level) {
        s->irq_level = level;
        irq_line_set(&s->irq, level);
    }
}

static uint8_t read_iir(struct serial *s)
{
    uint8_t iir = IIR_NO_INT;

    if ((s->ier & IER_RDI) && s->rx_count) {
        iir = IIR_RDI;
    } else if ((s->ier & IER_THRI) && s->thr_ipending) {
        iir = IIR_THRI;
        s->thr_ipending = false;    /* reading IIR acknowledges THRE */
    }
    if (s->fcr & FCR_ENABLE)
        iir |= IIR_FIFO;
    return iir;
}

static void rx_push(struct serial *s, uint8_t b)
{
    if (s->rx_count < RX_FIFO) {
        s->rx[(s->rx_head + s->rx_count) % RX_FIFO] = b;
        s->rx_count++;
    }
}

/* Move pending input from the backend into the FIFO while it has room. */
static void rx_fill(struct serial *s)
{
    uint8_t buf[RX_FIFO];
    size_t n;

    if (s->mcr & MCR_LOOP)
        return;     /* in loopback the line is disconnected */
    n = chardev_read(s->chr, buf, RX_FIFO - s->rx_count);
    for (size_t i = 0; i < n; i++)
        rx_push(s, buf[i]);
}

/* The backend has input (main thread). */
static void serial_input(void *opaque)
{
    struct serial *s = opaque;

    pthread_mutex_lock(&s->lock);
    rx_fill(s);
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    struct serial *s = opaque;
    uint8_t v = 0;

    (void)size;
    pthread_mutex_lock(&s->lock);
    switch (offset) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            v = s->dll;
        } else if (s->rx_count) {
            v = s->rx[s->rx_head];
            s->rx_head = (s->rx_head + 1) % RX_FIFO;
            s->rx_count--;
            rx_fill(s);
        }
        break;
    case REG_IER:
        v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
        break;
    case REG_IIR_FCR:
        v = read_iir(s);
        break;
    case REG_LCR:
        v = s->lcr;
        break;
    case REG_MCR:
        v = s->mcr;
        break;
    case REG_LSR:
        v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
        break;
    case REG_MSR:
        if (s->mcr & MCR_LOOP)  /* loopback: the modem lines follow MCR */
            v = (uint8_t)(((s->mcr & 0x0c) << 4) | ((s->mcr & 0x01) << 5) |
                          ((s->mcr & 0x02) << 3));
        else
            v = MSR_DCD | MSR_DSR | MSR_CTS;
        break;
    case REG_SCR:
        v = s->scr;
        break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct serial *s = opaque;
    uint8_t v = (uint8_t)value;

    (void)size;
    pthread_mutex_lock(&s->lock);
    switch (offset) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
            break;
        }
        if (s->mcr & MCR_LOOP)
            rx_push(s, v);
        else
            chardev_write(s->chr, &v, 1);
        s->thr_ipending = true;     /* sent at once: THR is empty again */
        break;
    case REG_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
            break;
        }
        /* enabling THRI while THR is empty raises it at once, as on a 16550A */
        if (!(s->ier & IER_THRI) && (v & IER_THRI))
            s->thr_ipending = true;
        s->ier = v & 0x0f;
        break;
    case REG_IIR_FCR:
        s->fcr = v & 0xc9;
        if (v & FCR_CLEAR_RX)
            s->rx_head = s->rx_count = 0;
        break;
    case REG_LCR:
        s->lcr = v;
        break;
    case REG_MCR:
        s->mcr = v & 0x1f;
        break;
    case REG_SCR:
        s->scr = v;
        break;
    default:
        break;  /* LSR and MSR are read-only */
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .valid_sizes = ACCESS_1,
};

static int serial_save(void *opaque, GByteArray *b)
{
    struct serial *s = opaque;
    uint8_t regs[8];

    pthread_mutex_lock(&s->lock);
    regs[0] = s->ier;
    regs[1] = s->lcr;
    regs[2] = s->mcr;
    regs[3] = s->scr;
    regs[4] = s->fcr;
    regs[5] = s->dll;
    regs[6] = s->dlm;
    regs[7] = s->thr_ipending;
    put_bytes(b, regs, sizeof(regs));
    put_u8(b, (uint8_t)s->rx_count);
    for (unsigned int i = 0; i < s->rx_count; i++)
        put_u8(b, s->rx[(s->rx_head + i) % RX_FIFO]);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int serial_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                       GError **errp)
{
    struct serial *s = opaque;
    struct vm_reader r = { .p = buf, .len = len };
    uint8_t regs[8], count, rx[RX_FIFO];

    get_bytes(&r, regs, sizeof(regs));
    count = get_u8(&r);
    if (count > RX_FIFO)
        r.error = true;
    else
        get_bytes(&r, rx, count);
    if (r.error || r.pos != len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "serial state is corrupt");
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    s->ier = regs[0] & 0x0f;
    s->lcr = regs[1];
    s->mcr = regs[2] & 0x1f;
    s->scr = regs[3];
    s->fcr = regs[4] & 0xc9;
    s->dll = regs[5];
    s->dlm = regs[6];
    s->thr_ipending = regs[7] != 0;
    s->rx_head = 0;
    s->rx_count = count;
    memcpy(s->rx, rx, count);
    s->irq_level = -1;      /* push the line state to the irqchip again */
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void serial_reset(struct serial *s)
{
    pthread_mutex_lock(&s->lock);
    s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
    s->dll = 0x0c;  /* 9600 baud */
    s->dlm = 0;
    s->thr_ipending = false;
    s->rx_head = s->rx_count = 0;
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

struct serial *serial_create(AddressSpace *as, uint64_t base, struct irq_line irq,
                             struct chardev *chr, GError **errp)
{
    struct serial *s = g_new0(struct serial, 1);

    pthread_mutex_init(&s->lock, NULL);
    s->irq = irq;
    s->chr = chr;
    s->dll = 0x0c;
    if (chr)
        chardev_set_input_handler(chr, serial_input, s);
    s->mr = memory_region_map_io(as, "serial", base, 8, &serial_ops, s, errp);
    if (!s->mr) {
        g_free(s);
        return NULL;
    }
    {
        struct vmstate_ops ops = {
            .name = "serial", .instance = 0, .version = 1,
            .save = serial_save, .load = serial_load, .opaque = s,
        };

        vmstate_register(&ops);
    }
    return s;
}
