/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * raw-exit-loop: the baseline for bench/exit-latency.
 *
 * Runs a Multiboot guest (normally exitbench.elf) with nothing but plain
 * KVM ioctls and the smallest possible KVM_RUN loop, so that the guest's
 * per-exit cycle counts show what an exit costs before any VMM dispatch:
 *
 *   port 0x3f8 out   -> putchar
 *   port 0xf4 out    -> exit((value << 1) | 1), the isa-debug-exit contract
 *   any other I/O    -> ignored, reads return 0
 *   any MMIO         -> ignored, reads return 0
 *
 * The VM is set up like qemu-vmm's microvm machine (TSS and identity-map
 * pages, in-kernel irqchip and PIT, one RAM slot at 0, supported CPUID) so
 * the guest runs in the same environment; only the userspace side differs.
 * The image is loaded by qemu-vmm's own multiboot_load(); the boot registers
 * are set here (the Multiboot state: flat 32-bit protected mode, paging off)
 * so this file does not follow changes to the VMM's vCPU set-up code.
 *
 * Usage: raw-exit-loop [--no-pit] KERNEL [CMDLINE]
 *
 * --no-pit leaves out the in-kernel PIT.  The guests never program it, but
 * on some hosts creating and destroying it costs more than the rest of a
 * short VM's life (see docs/benchmarks.md); this shows by how much.
 *
 * The guest's TSC rate goes to stderr ("tsc-khz N"), so that cycle counts
 * can be turned into time.  Exit status: the guest's debug-exit status, or
 * 125 on a host-side error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/x86.h"

#define RAM_SIZE            (64ULL << 20)
#define IDENTITY_MAP_ADDR   0xfeffc000ULL   /* as microvm: below the TSS */
#define TSS_ADDR            0xfeffd000ULL
#define SERIAL_PORT         0x3f8
#define DEBUG_EXIT_PORT     0xf4
#define HOST_ERROR          125

static void die(const char *what)
{
    fprintf(stderr, "raw-exit-loop: %s: %s\n", what, strerror(errno));
    exit(HOST_ERROR);
}

static void die_msg(const char *msg)
{
    fprintf(stderr, "raw-exit-loop: %s\n", msg);
    exit(HOST_ERROR);
}

static void set_supported_cpuid(int kvm_fd, int vcpu_fd)
{
    struct kvm_cpuid2 *c = NULL;
    int nent = 64;

    for (;;) {
        c = realloc(c, sizeof(*c) + nent * sizeof(c->entries[0]));
        if (!c)
            die_msg("out of memory");
        c->nent = nent;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            break;
        if (errno != E2BIG)
            die("KVM_GET_SUPPORTED_CPUID");
        nent *= 2;
    }
    if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
        die("KVM_SET_CPUID2");
    free(c);
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .db = 1, .s = 1, .g = 1,
    };
}

/* What Multiboot promises: EAX magic, EBX info, flat segments, no paging. */
static void set_boot_regs(int vcpu_fd, const struct x86_boot_state *boot)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs = {
        .rflags = 0x2, .rip = boot->entry, .rax = boot->eax, .rbx = boot->ebx,
    };

    if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    flat_segment(&sregs.cs, 0x10, 0xb);     /* execute/read, accessed */
    flat_segment(&sregs.ds, 0x18, 0x3);     /* read/write, accessed */
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    /* VM entry checks TR and LDTR even though the guest never uses them */
    sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
    sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
    sregs.gdt = (struct kvm_dtable){ .base = 0, .limit = 0xffff };
    sregs.idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
    sregs.cr0 = 0x11;       /* PE | ET */
    sregs.cr3 = sregs.cr4 = sregs.efer = 0;
    if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");
}

/* Guest RAM in an AddressSpace only so that multiboot_load() can fill it. */
static void *load_guest(const char *kernel, const char *cmdline,
                        struct x86_boot_state *boot)
{
    g_autoptr(GError) err = NULL;
    gchar *image;
    gsize len;
    AddressSpace *as;
    MemoryRegion *mr;
    void *ram;

    if (!g_file_get_contents(kernel, &image, &len, &err))
        die_msg(err->message);
    ram = guest_ram_alloc(RAM_SIZE, &err);
    if (!ram)
        die_msg(err->message);
    as = address_space_new("memory", 1ULL << 32, false);
    mr = memory_region_new_ram_ptr("ram", RAM_SIZE, ram);
    if (memory_region_map(as, mr, 0, 0) < 0)
        die_msg("cannot map guest RAM");
    if (multiboot_load(as, RAM_SIZE, 0, (const uint8_t *)image, len, cmdline,
                       NULL, 0, boot, &err) < 0)
        die_msg(err->message);
    /* the RAM outlives the bookkeeping: KVM has it as a slot from now on */
    g_free(image);
    return ram;
}

static void handle_io(struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    uint32_t value = 0;

    if (run->io.direction == KVM_EXIT_IO_IN) {
        memset(data, 0, (size_t)run->io.size * run->io.count);
        return;
    }
    if (run->io.port == SERIAL_PORT) {
        for (uint32_t i = 0; i < run->io.count; i++)
            putchar(data[i * run->io.size]);
    } else if (run->io.port == DEBUG_EXIT_PORT) {
        memcpy(&value, data, run->io.size < 4 ? run->io.size : 4);
        fflush(stdout);
        exit((int)(((value << 1) | 1) & 0xff));
    }
}

int main(int argc, char **argv)
{
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    uint64_t identity = IDENTITY_MAP_ADDR;
    struct kvm_userspace_memory_region slot;
    struct x86_boot_state boot;
    struct kvm_run *run;
    int kvm_fd, vm_fd, vcpu_fd, mmap_size, tsc_khz;
    bool with_pit = true;
    void *ram;

    if (argc > 1 && !strcmp(argv[1], "--no-pit")) {
        with_pit = false;
        argc--;
        argv++;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: raw-exit-loop [--no-pit] KERNEL [CMDLINE]\n");
        return HOST_ERROR;
    }
    ram = load_guest(argv[1], argc > 2 ? argv[2] : "", &boot);

    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0)
        die("/dev/kvm");
    vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (vm_fd < 0)
        die("KVM_CREATE_VM");
    if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
        die("KVM_SET_IDENTITY_MAP_ADDR");
    if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)TSS_ADDR) < 0)
        die("KVM_SET_TSS_ADDR");
    if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        die("KVM_CREATE_IRQCHIP");
    if (with_pit && ioctl(vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        die("KVM_CREATE_PIT2");
    slot = (struct kvm_userspace_memory_region){
        .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
        .userspace_addr = (uintptr_t)ram,
    };
    if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
    if (vcpu_fd < 0)
        die("KVM_CREATE_VCPU");
    mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(*run))
        die("KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
    if (run == MAP_FAILED)
        die("mmap(kvm_run)");
    set_supported_cpuid(kvm_fd, vcpu_fd);
    tsc_khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (tsc_khz > 0)
        fprintf(stderr, "tsc-khz %d\n", tsc_khz);
    set_boot_regs(vcpu_fd, &boot);

    for (;;) {
        if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            handle_io(run);
            break;
        case KVM_EXIT_MMIO:
            if (!run->mmio.is_write)
                memset(run->mmio.data, 0, sizeof(run->mmio.data));
            break;
        case KVM_EXIT_INTR:
            break;
        default:
            /* anything else means the guest did not run as it should */
            fflush(stdout);
            fprintf(stderr, "raw-exit-loop: unexpected exit reason %u\n",
                    run->exit_reason);
            return HOST_ERROR;
        }
    }
}
