/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The microvm machine: RAM, the in-kernel irqchip (PIC, IOAPIC, LAPICs) and
 * PIT, a 16550A UART at 0x3f8 on IRQ 4, isa-debug-exit at 0xf4, the i8042
 * reset command at 0x64, an MP table, ACPI tables (acpi=on, the default:
 * hw/i386/acpi-build.c) with their sleep registers at 0x600, and the kernel
 * loaders (Linux bzImage, PVH ELF, Multiboot).  No firmware, no PCI: the
 * kernel is entered directly.
 *
 * Guest-physical layout:
 *   0 .. min(RAM, 3 GiB)      RAM ("ram-below-4g")
 *   3 GiB .. 4 GiB            the 32-bit hole: MMIO (testdev 0xfe900000,
 *                             LAPIC 0xfee00000, IOAPIC 0xfec00000), TSS
 *   4 GiB .. 4 GiB + rest     RAM above 3 GiB ("ram-above-4g")
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/acpi.h"
#include "qemu-vmm/expect.h"
#include "qemu-vmm/hw.h"
#include "qemu-vmm/ioapic.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/machine.h"
#include "qemu-vmm/options.h"
#include "qemu-vmm/virtio.h"
#include "qemu-vmm/x86.h"

#define BELOW_4G_MAX        (3ULL << 30)
#define HIGH_RAM_BASE       (1ULL << 32)
#define IDENTITY_MAP_ADDR   0xfeffc000ULL   /* one page, for VMX real mode */
#define TSS_ADDR            0xfeffd000ULL   /* three pages */
#define SERIAL_BASE         0x3f8
#define SERIAL_IRQ          4
#define DEBUG_EXIT_BASE     0xf4
#define RESET_PORT          0x64    /* the i8042 command port: 0xfe resets */
#define RESET_VALUE         0xfe
#define ACPI_SLEEP_PORT     0x600   /* sleep control, sleep status */
#define IOAPIC_PINS         24
#define IOAPIC_BASE         0xfec00000ULL
#define LAPIC_BASE          0xfee00000ULL
#define VIRTIO_MMIO_BASE    0xfeb00000ULL   /* as QEMU's microvm */
#define VIRTIO_GSI_BASE     5               /* GSIs 5..23 minus the UART's 4 */
#define VIRTIO_MAX          19
#define PHYS_ADDR_SPACE     (1ULL << 52)

enum on_off_auto { ON_OFF_AUTO_AUTO, ON_OFF_AUTO_ON, ON_OFF_AUTO_OFF };

struct microvm {
    bool split_irqchip;     /* IOAPIC in userspace, LAPICs in KVM, no PIC/PIT */
    bool acpi;              /* ACPI tables describe the devices (default) */
    enum on_off_auto pit;   /* the in-kernel i8254; auto: with the in-kernel PIC */
    struct acpi_mmio_device virtio[VIRTIO_MAX];
    int nr_virtio;
    struct ioapic *ioapic;
    uint64_t below_4g, above_4g;
    uint8_t *ram;
    MemoryRegion *ram_lo, *ram_hi;
    struct serial *uart;
    struct chardev *serial_chr;
    struct testdev *testdev;
    enum { KERNEL_MULTIBOOT, KERNEL_BZIMAGE, KERNEL_PVH } kind;
    uint8_t *kernel;
    size_t kernel_len;
    uint8_t *initrd;        /* Linux and PVH */
    size_t initrd_len;
    GPtrArray *modules;     /* Multiboot: struct multiboot_module * */
    struct x86_boot_state boot;
};

static const char *const microvm_devices[] = {
    "vmm-testdev", "isa-debug-exit", "virtio-blk-device", "virtio-net-device",
    "virtio-rng-device", "virtio-serial-device", "virtconsole", NULL,
};

/* The one machine of the process: the vCPU exit hook needs its IOAPIC. */
static struct microvm *the_microvm;

static int microvm_set_prop(MachineState *ms, const char *key, const char *value,
                            GError **errp)
{
    struct microvm *m = ms->priv;

    if (!strcmp(key, "kernel_irqchip")) {
        if (!strcmp(value, "on") || !strcmp(value, "split")) {
            m->split_irqchip = !strcmp(value, "split");
            return 0;
        }
        if (!strcmp(value, "off")) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "kernel_irqchip=off is not supported on x86 (use on or split)");
            return -EINVAL;
        }
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "kernel_irqchip=%s: expected on or split", value);
        return -EINVAL;
    }
    if (!strcmp(key, "acpi") || !strcmp(key, "pit")) {
        /* QEMU's are OnOffAuto; auto means on here as there */
        enum on_off_auto v;

        if (!strcmp(value, "on"))
            v = ON_OFF_AUTO_ON;
        else if (!strcmp(value, "off"))
            v = ON_OFF_AUTO_OFF;
        else if (!strcmp(value, "auto"))
            v = ON_OFF_AUTO_AUTO;
        else {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s=%s: expected on, off or auto", key, value);
            return -EINVAL;
        }
        if (!strcmp(key, "acpi"))
            m->acpi = v != ON_OFF_AUTO_OFF;
        else
            m->pit = v;
        return 0;
    }
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                "machine microvm has no property '%s'", key);
    return -EINVAL;
}

static int require(KVMState *s, int have, const char *name, GError **errp)
{
    if (have)
        return 0;
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                "KVM lacks the capability %s that the microvm machine needs", name);
    return -ENOTSUP;
}

/* The routes KVM_CREATE_IRQCHIP sets up, kept in our table (SET replaces all). */
static int setup_irqchip_routes(KVMState *s)
{
    for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++) {
        struct kvm_irq_routing_entry e = {
            .gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP,
        };

        if (pin < 16 && pin != 2) {
            e.u.irqchip.irqchip = pin < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
            e.u.irqchip.pin = pin % 8;
            kvm_irqchip_add_route(s, &e);
        }
        e.u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        e.u.irqchip.pin = pin == 0 ? 2 : pin;   /* the PIT's IRQ 0 is IOAPIC pin 2 */
        kvm_irqchip_add_route(s, &e);
    }
    s->routing.first_virq = IOAPIC_PINS;
    return kvm_irqchip_commit_routes(s);
}

/*
 * kernel_irqchip=split: the LAPICs in KVM, GSIs 0-23 reserved for the
 * userspace IOAPIC's MSI routes.  There is no in-kernel PIT then (KVM ties
 * it to the in-kernel PIC); Linux does without it given the TSC-deadline
 * LAPIC timer and the TSC frequency from kvmclock.
 */
static int create_split_irqchip(KVMState *s, GError **errp)
{
    struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = IOAPIC_PINS };
    int ret;

    if (require(s, s->caps.split_irqchip, "KVM_CAP_SPLIT_IRQCHIP", errp) < 0)
        return -ENOTSUP;
    ret = kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s", strerror(-ret));
        return ret;
    }
    s->routing.first_virq = IOAPIC_PINS;
    return 0;
}

static int create_vm_devices(KVMState *s, bool split, bool with_pit, GError **errp)
{
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    uint64_t identity = IDENTITY_MAP_ADDR;
    int ret;

    if (require(s, s->caps.set_tss_addr, "KVM_CAP_SET_TSS_ADDR", errp) < 0 ||
        require(s, s->caps.ext_cpuid, "KVM_CAP_EXT_CPUID", errp) < 0)
        return -ENOTSUP;
    ret = kvm_vm_ioctl(s, KVM_SET_IDENTITY_MAP_ADDR, &identity);
    if (ret == 0)
        ret = kvm_vm_ioctl(s, KVM_SET_TSS_ADDR, (void *)TSS_ADDR);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_SET_TSS_ADDR: %s", strerror(-ret));
        return ret;
    }
    if (split)
        return create_split_irqchip(s, errp);
    if (require(s, s->caps.irqchip, "KVM_CAP_IRQCHIP", errp) < 0 ||
        (with_pit && require(s, s->caps.pit2, "KVM_CAP_PIT2", errp) < 0))
        return -ENOTSUP;
    ret = kvm_vm_ioctl(s, KVM_CREATE_IRQCHIP, NULL);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_CREATE_IRQCHIP: %s", strerror(-ret));
        return ret;
    }
    ret = setup_irqchip_routes(s);
    if (ret == 0 && with_pit)
        ret = kvm_vm_ioctl(s, KVM_CREATE_PIT2, &pit);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "setting up the in-kernel PIT and interrupt routes: %s", strerror(-ret));
        return ret;
    }
    return 0;
}

static int map_ram(MachineState *ms, struct microvm *m, GError **errp)
{
    int ret;

    m->below_4g = MIN(ms->ram_size, BELOW_4G_MAX);
    m->above_4g = ms->ram_size - m->below_4g;
    m->ram = guest_ram_alloc(ms->ram_size, errp);
    if (!m->ram)
        return -ENOMEM;
    m->ram_lo = memory_region_new_ram_ptr("ram-below-4g", m->below_4g, m->ram);
    ret = memory_region_map(ms->mem, m->ram_lo, 0, 0);
    if (ret == 0 && m->above_4g) {
        m->ram_hi = memory_region_new_ram_ptr("ram-above-4g", m->above_4g,
                                              m->ram + m->below_4g);
        ret = memory_region_map(ms->mem, m->ram_hi, HIGH_RAM_BASE, 0);
    }
    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot map %" PRIu64 " MiB of guest RAM: %s", ms->ram_size >> 20,
                    strerror(-ret));
    return ret;
}

/*
 * The images are read at start and at each reset, and freed once loaded:
 * a kernel and initrd are megabytes the VMM need not keep resident.
 */
static void release_images(struct microvm *m)
{
    g_clear_pointer(&m->kernel, g_free);
    g_clear_pointer(&m->initrd, g_free);
    if (m->modules) {
        for (guint i = 0; i < m->modules->len; i++) {
            struct multiboot_module *mod = g_ptr_array_index(m->modules, i);

            g_free((void *)mod->name);
            g_free((void *)mod->data);
            g_free(mod);
        }
        g_clear_pointer(&m->modules, g_ptr_array_unref);
    }
}

/*
 * Read -kernel (and -initrd).  For a
 * Multiboot kernel -initrd is QEMU's module list ("file args,file args");
 * for Linux and PVH it is one initrd file.
 */
static int read_kernel(MachineState *ms, struct microvm *m, GError **errp)
{
    int ret = machine_read_file("kernel", ms->kernel, &m->kernel, &m->kernel_len, errp);

    if (ret < 0)
        return ret;
    if (multiboot_probe(m->kernel, m->kernel_len))
        m->kind = KERNEL_MULTIBOOT;
    else if (linux_bzimage_probe(m->kernel, m->kernel_len))
        m->kind = KERNEL_BZIMAGE;
    else if (pvh_probe(m->kernel, m->kernel_len))
        m->kind = KERNEL_PVH;
    else {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "kernel '%s' is not a Linux bzImage, a PVH ELF or a Multiboot image",
                    ms->kernel);
        return -EINVAL;
    }
    m->modules = g_ptr_array_new();
    if (!ms->initrd)
        return 0;
    if (m->kind != KERNEL_MULTIBOOT)
        return machine_read_file("initrd", ms->initrd, &m->initrd, &m->initrd_len, errp);
    {
        g_auto(GStrv) items = g_strsplit(ms->initrd, ",", -1);

        for (char **it = items; *it; it++) {
            struct multiboot_module *mod = g_new0(struct multiboot_module, 1);
            g_autofree char *path = g_strndup(*it, strcspn(*it, " "));
            uint8_t *data;
            size_t len;

            ret = machine_read_file("initrd", path, &data, &len, errp);
            if (ret < 0) {
                g_free(mod);
                return ret;
            }
            mod->name = g_strdup(*it);
            mod->data = data;
            mod->size = len;
            g_ptr_array_add(m->modules, mod);
        }
    }
    return 0;
}

static int write_acpi_tables(MachineState *ms, struct microvm *m, GError **errp)
{
    struct x86_acpi_config c = {
        .nr_cpus = ms->smp,
        .pcat_compat = !m->split_irqchip,
        .ioapic_id = (uint8_t)ms->smp,      /* as in the MP table */
        .ioapic_addr = IOAPIC_BASE,
        .lapic_addr = LAPIC_BASE,
        .serial_port = SERIAL_BASE,
        .serial_irq = SERIAL_IRQ,
        .sleep_port = ACPI_SLEEP_PORT,
        .reset_port = RESET_PORT,
        .reset_value = RESET_VALUE,
        .virtio = m->virtio,
        .nr_virtio = m->nr_virtio,
    };

    return x86_acpi_write(ms->mem, &c, errp);
}

static int load_kernel(MachineState *ms, struct microvm *m, GError **errp)
{
    struct x86_ram_layout ram = { m->below_4g, m->above_4g, m->acpi };
    g_autofree struct multiboot_module *mods = NULL;
    g_autoptr(GError) err = NULL;
    int ret;

    switch (m->kind) {
    case KERNEL_MULTIBOOT:
        mods = g_new0(struct multiboot_module, m->modules->len + 1);
        for (guint i = 0; i < m->modules->len; i++)
            mods[i] = *(struct multiboot_module *)g_ptr_array_index(m->modules, i);
        ret = multiboot_load(ms->mem, m->below_4g, m->above_4g, m->kernel, m->kernel_len,
                             ms->append, mods, (int)m->modules->len, &m->boot, &err);
        if (ret == 0)
            ret = x86_write_boot_tables(ms->mem, false);
        break;
    case KERNEL_BZIMAGE:
        ret = linux_bzimage_load(ms->mem, &ram, m->kernel, m->kernel_len, ms->append,
                                 m->initrd, m->initrd_len, &m->boot, &err);
        break;
    default:
        ret = pvh_load(ms->mem, &ram, m->kernel, m->kernel_len, ms->append,
                       m->initrd, m->initrd_len, &m->boot, &err);
        break;
    }
    if (ret == 0)
        ret = x86_write_mptable(ms->mem, ms->smp);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "kernel '%s': %s",
                    ms->kernel, err ? err->message : "guest RAM too small for the MP table");
        return ret;
    }
    /* after the loaders: nothing of theirs may overwrite the tables */
    return m->acpi ? write_acpi_tables(ms, m, errp) : 0;
}

/*
 * Linux finds virtio-mmio devices on x86 through the DSDT (acpi=on), or
 * else through the command line (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).  As
 * QEMU's microvm, never both: a kernel with ACPI and the command-line
 * option would probe each device twice.
 */
static void announce_virtio(void *opaque, uint64_t base, uint64_t size, unsigned int gsi)
{
    MachineState *ms = opaque;
    struct microvm *m = ms->priv;
    char *old = ms->append;

    if (m->acpi) {
        if (m->nr_virtio < VIRTIO_MAX)      /* virtio_devices_init() stops there */
            m->virtio[m->nr_virtio++] = (struct acpi_mmio_device){ base, size, gsi };
        return;
    }

    ms->append = g_strdup_printf("%s%svirtio_mmio.device=%" PRIu64 "@0x%" PRIx64 ":%u",
                                 old, *old ? " " : "", size, base, gsi);
    g_free(old);
}

static int create_devices(MachineState *ms, struct microvm *m, GError **errp)
{
    struct irq_line irq = irq_line_kvm(ms->kvm, SERIAL_IRQ);

    if (m->split_irqchip) {
        m->ioapic = ioapic_create(ms->kvm, ms->mem, IOAPIC_BASE, (unsigned int)ms->smp, errp);
        if (!m->ioapic)
            return -EINVAL;
        irq.set = ioapic_set_irq;
        irq.opaque = m->ioapic;
    }
    m->serial_chr = chardev_open(ms->serial, errp);
    if (!m->serial_chr)
        return -EINVAL;
    chardev_set_tap(m->serial_chr, expect_feed);
    m->uart = serial_create(ms->io, SERIAL_BASE, irq, m->serial_chr, errp);
    if (!m->uart)
        return -EINVAL;
    if (debug_exit_create(ms->io, DEBUG_EXIT_BASE, 4, errp) < 0 ||
        reset_port_create(ms->io, RESET_PORT, errp) < 0 ||
        (m->acpi && acpi_sleep_create(ms->io, ACPI_SLEEP_PORT, errp) < 0))
        return -EINVAL;
    for (guint i = 0; i < ms->devices->len; i++) {
        struct device_opts *d = g_ptr_array_index(ms->devices, i);

        if (virtio_is_device_driver(d->driver))
            continue;       /* virtio_devices_init() below */
        if (g_hash_table_size(d->props)) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "-device %s: this device takes no properties", d->driver);
            return -EINVAL;
        }
        if (!strcmp(d->driver, "vmm-testdev")) {
            if (m->testdev) {
                g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "-device vmm-testdev: only one is allowed");
                return -EINVAL;
            }
            m->testdev = testdev_create(ms->mem, ms->io, errp);
            if (!m->testdev)
                return -EINVAL;
        }
        /* isa-debug-exit is always present at 0xf4: accepted for QEMU's spelling */
    }
    return virtio_devices_init(ms, VIRTIO_MMIO_BASE, VIRTIO_GSI_BASE, VIRTIO_MAX,
                               announce_virtio, ms, errp);
}

/* Exits only this machine produces: the split IOAPIC's EOIs. */
static int microvm_handle_exit(CPUState *cpu)
{
    if (cpu->run->exit_reason == KVM_EXIT_IOAPIC_EOI && the_microvm->ioapic) {
        ioapic_eoi(the_microvm->ioapic, cpu->run->eoi.vector);
        return 0;
    }
    return -ENOSYS;
}

static struct vcpu_arch_ops microvm_vcpu_ops;

static int setup_cpus(MachineState *ms, struct microvm *m, GError **errp)
{
    int ret;

    microvm_vcpu_ops = x86_vcpu_ops;
    microvm_vcpu_ops.handle_exit = microvm_handle_exit;
    ms->cpus = g_new0(CPUState *, ms->smp);
    for (int i = 0; i < ms->smp; i++) {
        ret = vcpu_create(i, &microvm_vcpu_ops, &ms->cpus[i]);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "cannot create vCPU %d: %s", i, strerror(-ret));
            return ret;
        }
        ret = x86_cpu_setup_cpuid(ms->cpus[i], ms->smp, errp);
        if (ret < 0)
            return ret;
    }
    x86_register_vmstate(ms->cpus, ms->smp, !m->split_irqchip);
    ret = x86_cpu_set_boot_regs(ms->cpus[0], &m->boot);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot set the boot vCPU's registers: %s", strerror(-ret));
        return ret;
    }
    return 0;
}

static int microvm_init(MachineState *ms, GError **errp)
{
    struct microvm *m = ms->priv;
    int ret;

    the_microvm = m;
    /* read the image first: a bad -kernel fails before any KVM work */
    ret = read_kernel(ms, m, errp);
    if (ret < 0)
        return ret;
    ms->kvm = kvm_init(0, errp);
    if (!ms->kvm)
        return -ENODEV;
    if (ms->smp > ms->kvm->caps.max_vcpus && ms->kvm->caps.max_vcpus > 0) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-smp %d: KVM supports at most %d vCPUs", ms->smp,
                    ms->kvm->caps.max_vcpus);
        return -EINVAL;
    }
    if (m->split_irqchip && m->pit == ON_OFF_AUTO_ON) {
        /* KVM's PIT needs its PIC; there is no userspace PIT */
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "pit=on needs kernel_irqchip=on (split has no PIT)");
        return -EINVAL;
    }
    ret = create_vm_devices(ms->kvm, m->split_irqchip,
                            !m->split_irqchip && m->pit != ON_OFF_AUTO_OFF, errp);
    if (ret < 0)
        return ret;
    ms->mem = address_space_new("memory", PHYS_ADDR_SPACE, false);
    ms->io = address_space_new("io", 0x10000, true);
    if (kvm_attach_address_space(ms->kvm, ms->mem, errp) < 0 ||
        kvm_attach_address_space(ms->kvm, ms->io, errp) < 0)
        return -EINVAL;
    ret = map_ram(ms, m, errp);
    if (ret == 0)
        ret = create_devices(ms, m, errp);
    if (ret == 0)
        ret = load_kernel(ms, m, errp);
    if (ret == 0)
        ret = setup_cpus(ms, m, errp);
    release_images(m);
    return ret;
}

static int microvm_reset(MachineState *ms)
{
    struct microvm *m = ms->priv;
    g_autoptr(GError) err = NULL;

    serial_reset(m->uart);
    if (m->ioapic)
        ioapic_reset(m->ioapic);
    if (read_kernel(ms, m, &err) < 0 || load_kernel(ms, m, &err) < 0) {
        error_report("reset: %s", err->message);
        release_images(m);
        return -EINVAL;
    }
    release_images(m);
    for (int i = 0; i < ms->smp; i++) {
        int ret = x86_cpu_reset(ms->cpus[i]);

        if (ret < 0) {
            error_report("reset: vCPU %d: %s", i, strerror(-ret));
            return ret;
        }
    }
    return x86_cpu_set_boot_regs(ms->cpus[0], &m->boot);
}

static void microvm_create(MachineState *ms)
{
    struct microvm *m = g_new0(struct microvm, 1);

    m->acpi = true;         /* as QEMU's microvm */
    ms->priv = m;
}

const MachineClass microvm_machine = {
    .name = "microvm",
    .create = microvm_create,
    .desc = "microvm (i386): no firmware, in-kernel irqchip, Multiboot kernels",
    .is_default = true,
    .set_prop = microvm_set_prop,
    .init = microvm_init,
    .reset = microvm_reset,
    .devices = microvm_devices,
};
