/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IOAPIC in userspace, for kernel_irqchip=split (the LAPICs stay in
 * KVM).  Register model of the 82093AA with version 0x20 (EOI register).
 *
 * Delivery: each pin's redirection entry is kept as an MSI route on the GSI
 * of the same number (KVM_CAP_SPLIT_IRQCHIP reserves GSIs 0-23 for this), so
 * raising a pin is a KVM_IRQ_LINE on its GSI, and KVM learns from those
 * routes which vectors are level-triggered: for them it exits with
 * KVM_EXIT_IOAPIC_EOI when the guest's LAPIC EOIs, and ioapic_eoi() clears
 * Remote IRR and re-delivers a line that is still asserted.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/ioapic.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"

#define IOREGSEL    0x00
#define IOWIN       0x10
#define IOEOI       0x40

#define REG_ID      0x00
#define REG_VER     0x01
#define REG_ARB     0x02
#define REG_REDTBL  0x10

#define VERSION     0x20
#define RTE_VECTOR          0xffULL
#define RTE_DELIVERY_SHIFT  8
#define RTE_DEST_MODE       (1ULL << 11)
#define RTE_DELIVERY_STATUS (1ULL << 12)
#define RTE_POLARITY        (1ULL << 13)
#define RTE_REMOTE_IRR      (1ULL << 14)
#define RTE_LEVEL           (1ULL << 15)
#define RTE_MASKED          (1ULL << 16)
#define RTE_DEST_SHIFT      56
/* bits the guest cannot write: delivery status and Remote IRR */
#define RTE_RO_BITS         (RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)

struct ioapic {
    pthread_mutex_t lock;
    KVMState *kvm;
    MemoryRegion *mr;
    uint32_t regsel;
    uint32_t id;
    uint32_t irr;           /* input levels */
    uint64_t rte[IOAPIC_NUM_PINS];
};

/* The MSI a redirection entry stands for (Intel SDM vol. 3, 10.11). */
static void rte_to_msi(uint64_t rte, uint64_t *addr, uint32_t *data)
{
    *addr = 0xfee00000ULL | (((rte >> RTE_DEST_SHIFT) & 0xff) << 12) |
            ((rte & RTE_DEST_MODE) ? 1u << 2 : 0);
    *data = (uint32_t)((rte & RTE_VECTOR) |
                       (((rte >> RTE_DELIVERY_SHIFT) & 7) << 8) |
                       ((rte & RTE_LEVEL) ? 1u << 15 : 0));
}

static void update_route(struct ioapic *s, unsigned int pin)
{
    struct kvm_irq_routing_entry e = { .gsi = pin, .type = KVM_IRQ_ROUTING_MSI };
    uint64_t addr;
    uint32_t data;

    rte_to_msi(s->rte[pin], &addr, &data);
    e.u.msi.address_lo = (uint32_t)addr;
    e.u.msi.address_hi = (uint32_t)(addr >> 32);
    e.u.msi.data = data;
    kvm_irqchip_add_route(s->kvm, &e);
}

/* Deliver pin if it should fire now. Called with the lock held. */
static void service(struct ioapic *s, unsigned int pin)
{
    uint64_t rte = s->rte[pin];

    if ((rte & RTE_MASKED) || !(s->irr & (1u << pin)))
        return;
    if (rte & RTE_LEVEL) {
        if (rte & RTE_REMOTE_IRR)
            return;     /* in service: wait for the EOI */
        s->rte[pin] |= RTE_REMOTE_IRR;
        kvm_set_irq(s->kvm, pin, 1);
    } else {
        s->irr &= ~(1u << pin);     /* an edge is consumed by delivery */
        kvm_set_irq(s->kvm, pin, 1);
        kvm_set_irq(s->kvm, pin, 0);
    }
}

void ioapic_set_irq(void *opaque, unsigned int pin, int level)
{
    struct ioapic *s = opaque;
    uint32_t bit;

    if (pin >= IOAPIC_NUM_PINS)
        return;
    bit = 1u << pin;
    pthread_mutex_lock(&s->lock);
    if (s->rte[pin] & RTE_LEVEL) {
        if (level)
            s->irr |= bit;
        else
            s->irr &= ~bit;
        service(s, pin);
    } else if (level && !(s->irr & bit)) {
        s->irr |= bit;      /* rising edge */
        service(s, pin);
        if (s->rte[pin] & RTE_MASKED)
            s->irr &= ~bit; /* a masked edge is lost, as on the chip */
    } else if (!level) {
        s->irr &= ~bit;
    }
    pthread_mutex_unlock(&s->lock);
}

void ioapic_eoi(struct ioapic *s, unsigned int vector)
{
    pthread_mutex_lock(&s->lock);
    for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = s->rte[pin];

        if ((rte & RTE_VECTOR) != vector || !(rte & RTE_LEVEL) || !(rte & RTE_REMOTE_IRR))
            continue;
        s->rte[pin] &= ~RTE_REMOTE_IRR;
        kvm_set_irq(s->kvm, pin, 0);
        service(s, pin);
    }
    pthread_mutex_unlock(&s->lock);
}

static uint32_t read_reg(struct ioapic *s)
{
    uint32_t reg = s->regsel;

    switch (reg) {
    case REG_ID:
    case REG_ARB:
        return s->id << 24;
    case REG_VER:
        return ((IOAPIC_NUM_PINS - 1) << 16) | VERSION;
    default:
        if (reg >= REG_REDTBL && reg < REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
            uint64_t rte = s->rte[(reg - REG_REDTBL) / 2];

            return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
        }
        return 0;
    }
}

static void write_reg(struct ioapic *s, uint32_t val)
{
    uint32_t reg = s->regsel;
    unsigned int pin;
    uint64_t rte;

    if (reg == REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_NUM_PINS)
        return;     /* version and arbitration are read-only */
    pin = (reg - REG_REDTBL) / 2;
    rte = s->rte[pin];
    if (reg & 1)
        rte = (rte & 0xffffffffULL) | ((uint64_t)val << 32);
    else
        rte = (rte & 0xffffffff00000000ULL) | val;
    s->rte[pin] = (rte & ~RTE_RO_BITS) | (s->rte[pin] & RTE_RO_BITS);
    if (!(s->rte[pin] & RTE_LEVEL))
        s->rte[pin] &= ~RTE_REMOTE_IRR;
    update_route(s, pin);
    kvm_irqchip_commit_routes(s->kvm);
    /* unmasking a level line that is asserted delivers it now */
    service(s, pin);
}

static uint64_t ioapic_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *s = opaque;
    uint32_t v = 0;

    pthread_mutex_lock(&s->lock);
    if (offset == IOREGSEL)
        v = s->regsel;
    else if (offset == IOWIN)
        v = read_reg(s);
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void ioapic_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct ioapic *s = opaque;

    if (offset == IOEOI) {
        ioapic_eoi(s, (unsigned int)(value & 0xff));
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (offset == IOREGSEL)
        s->regsel = (uint32_t)value & 0xff;
    else if (offset == IOWIN)
        write_reg(s, (uint32_t)value);
    pthread_mutex_unlock(&s->lock);
}

static const MemoryRegionOps ioapic_ops = {
    .read = ioapic_read,
    .write = ioapic_write,
    .valid_sizes = ACCESS_4,
};

void ioapic_reset(struct ioapic *s)
{
    pthread_mutex_lock(&s->lock);
    s->regsel = 0;
    s->irr = 0;
    for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        s->rte[pin] = RTE_MASKED;
        update_route(s, pin);
    }
    kvm_irqchip_commit_routes(s->kvm);
    pthread_mutex_unlock(&s->lock);
}

static int ioapic_save(void *opaque, GByteArray *b)
{
    struct ioapic *s = opaque;

    pthread_mutex_lock(&s->lock);
    put_u32(b, s->regsel);
    put_u32(b, s->id);
    put_u32(b, s->irr);
    for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        put_u64(b, s->rte[pin]);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int ioapic_load(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                       GError **errp)
{
    struct ioapic *s = opaque;
    struct vm_reader r = { .p = buf, .len = len };
    uint64_t rte[IOAPIC_NUM_PINS];
    uint32_t regsel = get_u32(&r), id = get_u32(&r), irr = get_u32(&r);

    for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        rte[pin] = get_u64(&r);
    if (r.error || r.pos != len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "IOAPIC state is corrupt");
        return -EINVAL;
    }
    pthread_mutex_lock(&s->lock);
    s->regsel = regsel & 0xff;
    s->id = id & 0xf;
    s->irr = irr & ((1u << IOAPIC_NUM_PINS) - 1);
    memcpy(s->rte, rte, sizeof(rte));
    for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        update_route(s, pin);
    kvm_irqchip_commit_routes(s->kvm);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

struct ioapic *ioapic_create(KVMState *kvm, AddressSpace *mem, uint64_t base,
                             unsigned int id, GError **errp)
{
    struct ioapic *s = g_new0(struct ioapic, 1);

    pthread_mutex_init(&s->lock, NULL);
    s->kvm = kvm;
    s->id = id;
    ioapic_reset(s);
    s->mr = memory_region_map_io(mem, "ioapic", base, 0x1000, &ioapic_ops, s, errp);
    if (!s->mr) {
        g_free(s);
        return NULL;
    }
    {
        struct vmstate_ops ops = {
            .name = "ioapic", .instance = 0, .version = 1,
            .save = ioapic_save, .load = ioapic_load, .opaque = s,
        };

        vmstate_register(&ops);
    }
    return s;
}

uint64_t ioapic_get_rte(struct ioapic *s, unsigned int pin)
{
    uint64_t v;

    pthread_mutex_lock(&s->lock);
    v = pin < IOAPIC_NUM_PINS ? s->rte[pin] : 0;
    pthread_mutex_unlock(&s->lock);
    return v;
}
