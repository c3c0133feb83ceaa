/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arm64 virt machine: QEMU's virt memory map, an in-kernel vGICv2 or
 * vGICv3, the architected timer, in-kernel PSCI, a PL011 console, virtio-mmio
 * transports, and a Linux Image entered directly with a device tree in x0.
 * No firmware.  arm64 hosts only.
 *
 * Guest-physical layout:
 *   0x08000000  GIC distributor
 *   0x08010000  GICv2 CPU interface      0x080a0000  GICv3 redistributors
 *   0x09000000  PL011 (SPI 1)
 *   0x0a000000  virtio-mmio, 0x200 apart (SPI 16 and up)
 *   0x40000000  RAM: the kernel at its bottom, the initrd and the device
 *               tree at its top
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/arm.h"
#include "qemu-vmm/expect.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/machine.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/virtio.h"

#define DEFAULT_IPA_BITS    40      /* what KVM gives a VM of type 0 */
#define RNG_SEED_BYTES      32

struct virt {
    int gic_version;        /* 2, 3, or 0 for "the host's" */
    bool kernel_irqchip;    /* off: the userspace GICv2 */
    unsigned int ipa_bits;
    uint8_t *ram;
    MemoryRegion *ram_mr;
    struct arm_gic *gic;
    struct pl011 *uart;
    struct chardev *serial_chr;
    uint8_t *kernel;        /* the uncompressed Image */
    size_t kernel_len;
    struct arm64_image image;
    uint8_t *initrd;
    size_t initrd_len;
    struct arm64_boot_layout layout;
    GArray *virtio;         /* struct arm_fdt_virtio, as the transports were placed */
    void *dtb;
    size_t dtb_len;
};

static const char *const virt_devices[] = {
    "virtio-blk-device", "virtio-net-device", "virtio-rng-device",
    "virtio-serial-device", "virtconsole", NULL,
};

static int bad_value(GError **errp, const char *key, const char *value, const char *expected)
{
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s=%s: expected %s",
                key, value, expected);
    return -EINVAL;
}

static int virt_set_prop(MachineState *ms, const char *key, const char *value,
                         GError **errp)
{
    struct virt *v = ms->priv;

    if (!strcmp(key, "kernel_irqchip")) {
        if (!strcmp(value, "on") || !strcmp(value, "off")) {
            v->kernel_irqchip = !strcmp(value, "on");
            return 0;
        }
        if (!strcmp(value, "split"))
            return bad_value(errp, key, value, "on or off (split is x86 only)");
        return bad_value(errp, key, value, "on or off");
    }
    if (!strcmp(key, "gic-version")) {
        if (!strcmp(value, "2") || !strcmp(value, "3")) {
            v->gic_version = value[0] - '0';
            return 0;
        }
        if (!strcmp(value, "host") || !strcmp(value, "max")) {
            v->gic_version = 0;
            return 0;
        }
        return bad_value(errp, key, value, "2, 3, host or max");
    }
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                "machine virt has no property '%s'", key);
    return -EINVAL;
}

/* -kernel is an Image or a gzip-compressed Image (Image.gz). */
static int read_kernel(MachineState *ms, struct virt *v, GError **errp)
{
    g_autoptr(GError) err = NULL;
    int ret = machine_read_file("kernel", ms->kernel, &v->kernel, &v->kernel_len, errp);

    if (ret < 0)
        return ret;
    if (arm64_image_is_gzip(v->kernel, v->kernel_len)) {
        uint8_t *image;
        size_t len;

        ret = arm64_gunzip(v->kernel, v->kernel_len, ARM64_IMAGE_MAX, &image, &len, &err);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "kernel '%s': %s",
                        ms->kernel, err->message);
            return ret;
        }
        g_free(v->kernel);
        v->kernel = image;
        v->kernel_len = len;
    }
    ret = arm64_image_parse(v->kernel, v->kernel_len, &v->image, &err);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "kernel '%s': %s", ms->kernel,
                    err->message);
        return ret;
    }
    if (ms->initrd)
        return machine_read_file("initrd", ms->initrd, &v->initrd, &v->initrd_len, errp);
    return 0;
}

/* The guest-physical address bits RAM needs; KVM gives 40 unless asked for more. */
static unsigned int ipa_bits_for(uint64_t ram_size)
{
    uint64_t top = VIRT_RAM_BASE + ram_size - 1;
    unsigned int bits = DEFAULT_IPA_BITS;

    while (bits < 64 && (top >> bits))
        bits++;
    return bits;
}

/* gic-version=host: the in-kernel GICv3 if KVM can make one, else the GICv2. */
static int choose_gic(MachineState *ms, struct virt *v, GError **errp)
{
    int max_cpus;

    if (!v->kernel_irqchip) {
        if (v->gic_version == 3) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "kernel_irqchip=off needs gic-version=2: only a GICv2 is "
                        "modelled in userspace");
            return -EINVAL;
        }
        v->gic_version = 2;
    } else if (v->gic_version == 0) {
        struct kvm_create_device cd = {
            .type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST,
        };

        v->gic_version = kvm_vm_ioctl(ms->kvm, KVM_CREATE_DEVICE, &cd) == 0 ? 3 : 2;
    }
    max_cpus = v->gic_version == 3 ? (int)VIRT_GICV3_MAX_CPUS : VIRT_GICV2_MAX_CPUS;
    if (ms->smp > max_cpus) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-smp %d: a GICv%d machine has at most %d vCPUs", ms->smp,
                    v->gic_version, max_cpus);
        return -EINVAL;
    }
    return 0;
}

static int check_kvm(MachineState *ms, struct virt *v, GError **errp)
{
    KVMState *s = ms->kvm;

    if (ms->smp > s->caps.max_vcpus && s->caps.max_vcpus > 0) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-smp %d: KVM supports at most %d vCPUs", ms->smp, s->caps.max_vcpus);
        return -EINVAL;
    }
    if (!s->caps.arm_psci_0_2) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM lacks the capability KVM_CAP_ARM_PSCI_0_2 that the virt machine "
                    "needs");
        return -ENOTSUP;
    }
    if (!v->kernel_irqchip && !s->caps.arm_user_irq) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "kernel_irqchip=off needs KVM_CAP_ARM_USER_IRQ (timer interrupts "
                    "delivered to userspace), which this KVM lacks");
        return -ENOTSUP;
    }
    return 0;
}

static int map_ram(MachineState *ms, struct virt *v, GError **errp)
{
    int ret;

    v->ram = guest_ram_alloc(ms->ram_size, errp);
    if (!v->ram)
        return -ENOMEM;
    v->ram_mr = memory_region_new_ram_ptr("ram", ms->ram_size, v->ram);
    ret = memory_region_map(ms->mem, v->ram_mr, VIRT_RAM_BASE, 0);
    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot map %" PRIu64 " MiB of guest RAM: %s", ms->ram_size >> 20,
                    strerror(-ret));
    return ret;
}

static int create_irqchip(MachineState *ms, struct virt *v, GError **errp)
{
    if (v->kernel_irqchip)
        v->gic = arm_gic_create_kvm(v->gic_version, ms->smp, errp);
    else
        v->gic = arm_gic_create_user(ms->mem, ms->smp, errp);
    return v->gic ? 0 : -EINVAL;
}

static int create_cpus(MachineState *ms, struct virt *v, GError **errp)
{
    ms->cpus = g_new0(CPUState *, ms->smp);
    for (int i = 0; i < ms->smp; i++) {
        struct arm_cpu *a;
        int ret = vcpu_create(i, &arm_vcpu_ops, &ms->cpus[i]);

        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "cannot create vCPU %d: %s", i, strerror(-ret));
            return ret;
        }
        a = g_new0(struct arm_cpu, 1);
        a->boot = i == 0;
        if (!arm_gic_in_kernel(v->gic)) {
            a->timer_set = arm_gic_set_ppi;
            a->timer_opaque = v->gic;
        }
        ms->cpus[i]->arch = a;
        ret = arm_cpu_reset(ms->cpus[i], errp);
        if (ret < 0)
            return ret;
        arm_cpu_register_vmstate(ms->cpus[i]);
    }
    return arm_gic_realize(v->gic, ms->cpus, errp);
}

/* A virtio-mmio transport was placed: it goes into the device tree. */
static void virtio_placed(void *opaque, uint64_t base, uint64_t size, unsigned int gsi)
{
    struct virt *v = opaque;
    struct arm_fdt_virtio t = { .base = base, .size = size, .spi = gsi };

    g_array_append_val(v->virtio, t);
}

/*
 * Device pin n is SPI n: with the in-kernel GIC a GSI (KVM routes GSI n
 * to SPI n, so irqfds work), with the userspace GIC an input of the model.
 */
static struct irq_line virt_irq_line(MachineState *ms, unsigned int spi)
{
    struct virt *v = ms->priv;

    return arm_gic_spi_line(v->gic, spi);
}

static int create_devices(MachineState *ms, struct virt *v, GError **errp)
{
    v->serial_chr = chardev_open(ms->serial, errp);
    if (!v->serial_chr)
        return -EINVAL;
    chardev_set_tap(v->serial_chr, expect_feed);
    v->uart = pl011_create(ms->mem, VIRT_UART, arm_gic_spi_line(v->gic, VIRT_UART_SPI),
                           v->serial_chr, errp);
    if (!v->uart)
        return -EINVAL;
    v->virtio = g_array_new(FALSE, TRUE, sizeof(struct arm_fdt_virtio));
    /* a transport's pin is its SPI number (virt_irq_line) */
    return virtio_devices_init(ms, VIRT_MMIO, VIRT_MMIO_SPI_BASE, VIRT_MMIO_COUNT,
                               virtio_placed, v, errp);
}

static int build_dtb(MachineState *ms, struct virt *v, GError **errp)
{
    g_autofree uint64_t *mpidr = g_new0(uint64_t, ms->smp);
    uint8_t seed[RNG_SEED_BYTES];
    struct arm_fdt_config c = {
        .ram_base = VIRT_RAM_BASE,
        .ram_size = ms->ram_size,
        .nr_cpus = ms->smp,
        .mpidr = mpidr,
        .gic_version = v->gic_version,
        .uart_base = VIRT_UART,
        .uart_spi = VIRT_UART_SPI,
        .virtio = (const struct arm_fdt_virtio *)v->virtio->data,
        .nr_virtio = (int)v->virtio->len,
        .bootargs = ms->append,
        .initrd_start = v->layout.initrd_addr,
        .initrd_end = v->layout.initrd_addr + v->layout.initrd_size,
        .rng_seed = seed,
        .rng_seed_len = sizeof(seed),
    };

    for (int i = 0; i < ms->smp; i++)
        mpidr[i] = ((struct arm_cpu *)ms->cpus[i]->arch)->mpidr;
    for (size_t i = 0; i < sizeof(seed); i += 4) {
        uint32_t r = g_random_int();

        memcpy(seed + i, &r, 4);
    }
    return arm_fdt_build(&c, &v->dtb, &v->dtb_len, errp);
}

/* Kernel, initrd and device tree into RAM, and the boot vCPU at the kernel. */
static int load_images(MachineState *ms, struct virt *v, GError **errp)
{
    const struct arm64_boot_layout *l = &v->layout;
    int ret;

    ret = address_space_write(ms->mem, l->kernel_addr, v->kernel, v->kernel_len);
    if (ret == 0 && v->initrd_len)
        ret = address_space_write(ms->mem, l->initrd_addr, v->initrd, v->initrd_len);
    if (ret == 0)
        ret = address_space_write(ms->mem, l->dtb_addr, v->dtb, v->dtb_len);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot write the kernel, initrd and device tree to RAM: %s",
                    strerror(-ret));
        return ret;
    }
    ret = arm_cpu_set_boot_regs(ms->cpus[0], l->kernel_addr, l->dtb_addr);
    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot set the boot vCPU's registers: %s", strerror(-ret));
    return ret;
}

static int virt_init(MachineState *ms, GError **errp)
{
    struct virt *v = ms->priv;
    g_autoptr(GError) err = NULL;
    int ret;

    /* the images first: a bad -kernel fails before any KVM work */
    ret = read_kernel(ms, v, errp);
    if (ret == 0)
        ret = arm64_boot_layout(VIRT_RAM_BASE, ms->ram_size, &v->image, v->initrd_len,
                                &v->layout, errp);
    if (ret < 0)
        return ret;
    v->ipa_bits = ipa_bits_for(ms->ram_size);
    ms->kvm = kvm_init(v->ipa_bits > DEFAULT_IPA_BITS ?
                       KVM_VM_TYPE_ARM_IPA_SIZE(v->ipa_bits) : 0, &err);
    if (!ms->kvm) {
        if (v->ipa_bits > DEFAULT_IPA_BITS)
            g_prefix_error(&err, "-m %" PRIu64 "M needs a %u-bit guest physical address "
                           "space: ", ms->ram_size >> 20, v->ipa_bits);
        g_propagate_error(errp, g_steal_pointer(&err));
        return -ENODEV;
    }
    ret = check_kvm(ms, v, errp);
    if (ret == 0)
        ret = choose_gic(ms, v, errp);
    if (ret < 0)
        return ret;
    /* without it, such an access stops the VM (KVM_RUN fails with ENOSYS) */
    if (arm_enable_nisv_to_user(ms->kvm) < 0)
        vmm_log(LOG_KVM, "KVM cannot report undecodable MMIO accesses "
                "(KVM_CAP_ARM_NISV_TO_USER): they stop the VM");
    ms->mem = address_space_new("memory", 1ULL << v->ipa_bits, false);
    if (kvm_attach_address_space(ms->kvm, ms->mem, errp) < 0)
        return -EINVAL;
    ret = map_ram(ms, v, errp);
    if (ret == 0)
        ret = create_irqchip(ms, v, errp);
    if (ret == 0)
        ret = create_cpus(ms, v, errp);
    if (ret == 0)
        ret = create_devices(ms, v, errp);
    if (ret == 0)
        ret = build_dtb(ms, v, errp);
    if (ret == 0)
        ret = load_images(ms, v, errp);
    return ret;
}

/* PSCI SYSTEM_RESET: vCPUs to power-on state, the images loaded again. */
static int virt_reset(MachineState *ms)
{
    struct virt *v = ms->priv;
    g_autoptr(GError) err = NULL;

    pl011_reset(v->uart);
    if (arm_gic_reset(v->gic, &err) < 0) {
        error_report("reset: %s", err->message);
        return -EINVAL;
    }
    for (int i = 0; i < ms->smp; i++) {
        if (arm_cpu_reset(ms->cpus[i], &err) < 0) {
            error_report("reset: %s", err->message);
            return -EINVAL;
        }
    }
    if (load_images(ms, v, &err) < 0) {
        error_report("reset: %s", err->message);
        return -EINVAL;
    }
    return 0;
}

static void virt_create(MachineState *ms)
{
    struct virt *v = g_new0(struct virt, 1);

    v->kernel_irqchip = true;
    ms->priv = v;
}

const MachineClass virt_machine = {
    .name = "virt",
    .desc = "arm64 virt: GICv2/v3, PL011, virtio-mmio, Linux Image with a device tree",
    .is_default = true,
    .create = virt_create,
    .set_prop = virt_set_prop,
    .init = virt_init,
    .reset = virt_reset,
    .devices = virt_devices,
    .irq_line = virt_irq_line,
};
