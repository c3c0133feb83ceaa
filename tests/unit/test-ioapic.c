/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The userspace IOAPIC on a real split-irqchip VM: register access through
 * the address space, the MSI routes it keeps in KVM's table, Remote IRR for
 * level-triggered pins and its EOI, edge and masking behaviour.
 */
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/ioapic.h"

#define BASE 0xfec00000ULL
#define RTE_REMOTE_IRR (1ULL << 14)

static AddressSpace *mem;

static void reg_write(uint32_t reg, uint32_t val)
{
    address_space_write_io(mem, BASE, reg, 4);
    address_space_write_io(mem, BASE + 0x10, val, 4);
}

static uint32_t reg_read(uint32_t reg)
{
    address_space_write_io(mem, BASE, reg, 4);
    return (uint32_t)address_space_read_io(mem, BASE + 0x10, 4);
}

static const struct kvm_irq_routing_entry *route(KVMState *s, unsigned int gsi)
{
    for (unsigned int i = 0; i < s->routing.nr; i++)
        if (s->routing.entries[i].gsi == gsi)
            return &s->routing.entries[i];
    return NULL;
}

static void test_ioapic(void)
{
    g_autoptr(GError) err = NULL;
    struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = 24 };
    KVMState *s;
    struct ioapic *io;
    const struct kvm_irq_routing_entry *r;

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        g_test_skip("no usable /dev/kvm");
        return;
    }
    s = kvm_init(0, &err);
    g_assert_no_error(err);
    if (!s->caps.split_irqchip) {
        g_test_skip("no KVM_CAP_SPLIT_IRQCHIP");
        return;
    }
    g_assert_cmpint(kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap), ==, 0);
    mem = address_space_new("memory", 1ULL << 40, false);
    g_assert_cmpint(kvm_attach_address_space(s, mem, &err), ==, 0);
    io = ioapic_create(s, mem, BASE, 2, &err);
    g_assert_no_error(err);

    /* identification: id, 24 pins, version 0x20; all pins start masked */
    g_assert_cmphex(reg_read(0x00), ==, 2u << 24);
    g_assert_cmphex(reg_read(0x01), ==, 0x170020);
    for (unsigned int pin = 0; pin < 24; pin++)
        g_assert_true(ioapic_get_rte(io, pin) & (1ULL << 16));

    /* pin 5: level, vector 0x35, fixed, physical destination 1 */
    reg_write(0x10 + 2 * 5 + 1, 1u << 24);
    reg_write(0x10 + 2 * 5, 0x35 | (1u << 15));
    r = route(s, 5);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->type, ==, KVM_IRQ_ROUTING_MSI);
    g_assert_cmphex(r->u.msi.address_lo, ==, 0xfee01000);
    g_assert_cmphex(r->u.msi.data, ==, 0x35 | (1u << 15));
    g_assert_cmpuint(s->routing.dirty, ==, 0);      /* committed */

    /* a level line: delivered once, Remote IRR until the EOI */
    ioapic_set_irq(io, 5, 1);
    g_assert_true(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);
    ioapic_eoi(io, 0x35);       /* still asserted: delivered again */
    g_assert_true(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);
    ioapic_set_irq(io, 5, 0);
    ioapic_eoi(io, 0x35);
    g_assert_false(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);
    ioapic_eoi(io, 0x40);       /* another vector: nothing */
    /* the guest cannot write Remote IRR */
    reg_write(0x10 + 2 * 5, 0x35 | (1u << 15) | (1u << 14));
    g_assert_false(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);

    /* masked while asserted: pending, delivered on unmask */
    reg_write(0x10 + 2 * 5, 0x35 | (1u << 15) | (1u << 16));
    ioapic_set_irq(io, 5, 1);
    g_assert_false(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);
    reg_write(0x10 + 2 * 5, 0x35 | (1u << 15));
    g_assert_true(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);

    /* edge pins never hold Remote IRR */
    reg_write(0x10 + 2 * 4, 0x24);
    ioapic_set_irq(io, 4, 1);
    ioapic_set_irq(io, 4, 0);
    g_assert_false(ioapic_get_rte(io, 4) & RTE_REMOTE_IRR);

    /* register window: out-of-range registers read 0, version is read-only */
    reg_write(0x01, 0);
    g_assert_cmphex(reg_read(0x01), ==, 0x170020);
    g_assert_cmphex(reg_read(0x40), ==, 0);
    /* the EOI register (version 0x20) */
    ioapic_set_irq(io, 5, 0);
    address_space_write_io(mem, BASE + 0x40, 0x35, 4);
    g_assert_false(ioapic_get_rte(io, 5) & RTE_REMOTE_IRR);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ioapic/split", test_ioapic);
    return g_test_run();
}
