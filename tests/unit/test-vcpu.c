/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads on the real /dev/kvm: two vCPUs run a real-mode loop that
 * writes a counter to a port; pausing must stop both (no access arrives
 * while paused), resuming must restart them, and stop must join them.
 * This exercises the kick (signal + immediate_exit) and the PIO exit path.
 * Skipped where /dev/kvm cannot be opened.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/kvm.h"

static volatile gint port_writes[2];

static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    g_atomic_int_inc(&port_writes[off / 2]);
}

static const MemoryRegionOps port_ops = {
    .read = port_read, .write = port_write, .valid_sizes = ACCESS_2,
};

/* Real mode at cs:ip = 0:start; out %ax, $port; inc %ax; jmp back */
static int setup_vcpu(CPUState *cpu, uint16_t start)
{
    struct kvm_sregs s;
    struct kvm_regs r = { .rip = start, .rflags = 2 };

    if (ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0)
        return -1;
    s.cs.base = 0;
    s.cs.selector = 0;
    if (ioctl(cpu->fd, KVM_SET_SREGS, &s) < 0)
        return -1;
    return ioctl(cpu->fd, KVM_SET_REGS, &r);
}

static gint total(void)
{
    return g_atomic_int_get(&port_writes[0]) + g_atomic_int_get(&port_writes[1]);
}

static void wait_progress(int idx, gint from)
{
    for (int i = 0; i < 2000 && g_atomic_int_get(&port_writes[idx]) <= from + 10; i++)
        g_usleep(1000);
    g_assert_cmpint(g_atomic_int_get(&port_writes[idx]), >, from + 10);
}

static void test_pause_resume(void)
{
    g_autoptr(GError) err = NULL;
    KVMState *s;
    AddressSpace *mem, *io;
    MemoryRegion *ram_mr, *port;
    CPUState *cpus[2];
    /* vCPU n: out %ax, $(0x80 + 2n); inc %ax; jmp -5 */
    static const uint8_t code0[] = { 0xe7, 0x80, 0x40, 0xeb, 0xfb };
    static const uint8_t code1[] = { 0xe7, 0x82, 0x40, 0xeb, 0xfb };
    gint before;

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        g_test_skip("no usable /dev/kvm");
        return;
    }
    s = kvm_init(0, &err);
    g_assert_no_error(err);
    mem = address_space_new("memory", 1ULL << 40, false);
    io = address_space_new("io", 0x10000, true);
    g_assert_cmpint(kvm_attach_address_space(s, mem, &err), ==, 0);
    g_assert_cmpint(kvm_attach_address_space(s, io, &err), ==, 0);
    /* KVM needs page-aligned host memory */
    ram_mr = memory_region_new_ram_ptr("ram", 2 << 20, guest_ram_alloc(2 << 20, &err));
    g_assert_nonnull(ram_mr->host);
    memcpy(ram_mr->host + 0x1000, code0, sizeof(code0));
    memcpy(ram_mr->host + 0x2000, code1, sizeof(code1));
    g_assert_cmpint(memory_region_map(mem, ram_mr, 0, 0), ==, 0);
    port = memory_region_new_io("port", 4, &port_ops, NULL);
    g_assert_cmpint(memory_region_map(io, port, 0x80, 0), ==, 0);

    for (int i = 0; i < 2; i++) {
        g_assert_cmpint(vcpu_create(i, NULL, &cpus[i]), ==, 0);
        g_assert_cmpint(setup_vcpu(cpus[i], i ? 0x2000 : 0x1000), ==, 0);
    }
    g_assert_cmpint(vcpus_start(cpus, 2, false), ==, 0);
    wait_progress(0, 0);
    wait_progress(1, 0);

    for (int round = 0; round < 5; round++) {
        gint a, b;

        vcpus_pause_all();
        a = total();
        g_usleep(30 * 1000);
        b = total();
        g_assert_cmpint(a, ==, b);          /* nothing ran while paused */
        vcpus_resume_all();
        before = b;
        wait_progress(0, g_atomic_int_get(&port_writes[0]));
        wait_progress(1, g_atomic_int_get(&port_writes[1]));
        g_assert_cmpint(total(), >, before);
    }
    vcpus_stop();
    before = total();
    g_usleep(20 * 1000);
    g_assert_cmpint(total(), ==, before);   /* threads are gone */
    for (int i = 0; i < 2; i++)
        vcpu_destroy(cpus[i]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vcpu/pause-resume", test_pause_resume);
    return g_test_run();
}
