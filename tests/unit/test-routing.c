/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GSI routing table: batching, replacement, virq allocation, release.
 * The commit callback stands in for KVM_SET_GSI_ROUTING and keeps a copy of
 * what KVM would have been given.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "qemu-vmm/irq-routing.h"

struct fake_kvm {
    struct kvm_irq_routing_entry table[64];
    unsigned int nr;
    int fail;       /* next commit fails with this */
};

static int fake_commit(void *opaque, const struct kvm_irq_routing *t)
{
    struct fake_kvm *k = opaque;

    if (k->fail) {
        int ret = k->fail;

        k->fail = 0;
        return ret;
    }
    g_assert_cmpuint(t->nr, <=, G_N_ELEMENTS(k->table));
    memcpy(k->table, t->entries, t->nr * sizeof(t->entries[0]));
    k->nr = t->nr;
    return 0;
}

static struct kvm_irq_routing_entry pin(unsigned int gsi, unsigned int chip, unsigned int p)
{
    return (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
        .u.irqchip = { .irqchip = chip, .pin = p },
    };
}

static struct kvm_irq_routing_entry msi(unsigned int gsi, uint32_t data)
{
    return (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
        .u.msi = { .address_lo = 0xfee00000, .data = data },
    };
}

static void test_batched_commit(void)
{
    struct fake_kvm k = { 0 };
    struct gsi_routing r;
    struct kvm_irq_routing_entry e;

    gsi_routing_init(&r, 64, 24, fake_commit, &k);
    for (unsigned int i = 0; i < 24; i++) {
        e = pin(i, KVM_IRQCHIP_IOAPIC, i);
        g_assert_cmpint(gsi_routing_add(&r, &e), ==, 0);
    }
    g_assert_cmpuint(r.commits, ==, 0);         /* nothing pushed yet */
    g_assert_cmpint(gsi_routing_commit(&r), ==, 0);
    g_assert_cmpuint(r.commits, ==, 1);
    g_assert_cmpuint(k.nr, ==, 24);
    g_assert_cmpint(gsi_routing_commit(&r), ==, 0);     /* unchanged: free */
    g_assert_cmpuint(r.commits, ==, 1);

    /* the same GSI on two chips is two routes; the same chip replaces */
    e = pin(3, KVM_IRQCHIP_PIC_MASTER, 3);
    gsi_routing_add(&r, &e);
    e = pin(3, KVM_IRQCHIP_IOAPIC, 7);
    gsi_routing_add(&r, &e);
    g_assert_cmpint(gsi_routing_commit(&r), ==, 0);
    g_assert_cmpuint(k.nr, ==, 25);
    for (unsigned int i = 0; i < k.nr; i++)
        if (k.table[i].gsi == 3 && k.table[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
            g_assert_cmpuint(k.table[i].u.irqchip.pin, ==, 7);

    /* a failed commit stays pending and is retried */
    e = msi(40, 1);
    gsi_routing_add(&r, &e);
    k.fail = -EINVAL;
    g_assert_cmpint(gsi_routing_commit(&r), ==, -EINVAL);
    g_assert_cmpuint(k.nr, ==, 25);
    g_assert_cmpint(gsi_routing_commit(&r), ==, 0);
    g_assert_cmpuint(k.nr, ==, 26);

    e = pin(64, KVM_IRQCHIP_IOAPIC, 0);
    g_assert_cmpint(gsi_routing_add(&r, &e), ==, -EINVAL);
    gsi_routing_destroy(&r);
}

static void test_virq_alloc_release(void)
{
    struct fake_kvm k = { 0 };
    struct gsi_routing r;
    struct kvm_irq_routing_entry e;
    int v[8];

    gsi_routing_init(&r, 32, 24, fake_commit, &k);
    for (int i = 0; i < 8; i++) {
        v[i] = gsi_routing_alloc_virq(&r);
        g_assert_cmpint(v[i], ==, 24 + i);      /* never below first_virq */
        e = msi(v[i], 100 + i);
        g_assert_cmpint(gsi_routing_add(&r, &e), ==, 0);
    }
    g_assert_cmpint(gsi_routing_alloc_virq(&r), ==, -ENOSPC);
    gsi_routing_commit(&r);
    g_assert_cmpuint(k.nr, ==, 8);

    gsi_routing_release(&r, 27);
    g_assert_false(gsi_routing_gsi_used(&r, 27));
    g_assert_cmpint(gsi_routing_alloc_virq(&r), ==, 27);   /* reused */
    gsi_routing_release(&r, 27);
    gsi_routing_commit(&r);
    g_assert_cmpuint(k.nr, ==, 7);
    for (unsigned int i = 0; i < k.nr; i++)
        g_assert_cmpuint(k.table[i].gsi, !=, 27);

    /* update changes the message in place */
    e = msi(25, 999);
    g_assert_cmpint(gsi_routing_update(&r, &e), ==, 0);
    gsi_routing_commit(&r);
    for (unsigned int i = 0; i < k.nr; i++)
        if (k.table[i].gsi == 25)
            g_assert_cmpuint(k.table[i].u.msi.data, ==, 999);
    e = msi(27, 1);
    g_assert_cmpint(gsi_routing_update(&r, &e), ==, -ENOENT);
    gsi_routing_destroy(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/routing/batched-commit", test_batched_commit);
    g_test_add_func("/routing/virq-alloc-release", test_virq_alloc_release);
    return g_test_run();
}
