/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capability table: values stored, the first missing required one named. */
#include <string.h>
#include <glib.h>

#include "qemu-vmm/kvm.h"

static unsigned int missing_cap;

static int fake_probe(unsigned int cap, void *opaque)
{
    (void)opaque;
    if (cap == missing_cap)
        return 0;
    return cap == KVM_CAP_NR_MEMSLOTS ? 509 : 1;
}

static void test_all_present(void)
{
    struct kvm_caps caps;

    missing_cap = ~0u;
    memset(&caps, 0, sizeof(caps));
    g_assert_null(kvm_probe_caps(&caps, fake_probe, NULL));
    g_assert_cmpint(caps.nr_memslots, ==, 509);
    g_assert_cmpint(caps.ioeventfd, ==, 1);
}

static void test_required_missing(void)
{
    struct kvm_caps caps;
    const struct kvm_cap_info *m;

    missing_cap = KVM_CAP_IRQFD;
    m = kvm_probe_caps(&caps, fake_probe, NULL);
    g_assert_nonnull(m);
    g_assert_cmpstr(m->name, ==, "KVM_CAP_IRQFD");
    g_assert_cmpint(caps.irqfd, ==, 0);

    /* an optional one missing is fine */
    missing_cap = KVM_CAP_SIGNAL_MSI;
    g_assert_null(kvm_probe_caps(&caps, fake_probe, NULL));
    g_assert_cmpint(caps.signal_msi, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/caps/all-present", test_all_present);
    g_test_add_func("/caps/required-missing", test_required_missing);
    return g_test_run();
}
