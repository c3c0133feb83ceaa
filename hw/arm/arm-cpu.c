/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arm64 vCPUs: KVM_ARM_VCPU_INIT with the host's preferred target and
 * in-kernel PSCI 0.2, registers through KVM_{GET,SET}_ONE_REG, and, when no
 * in-kernel GIC exists, the timer outputs KVM reports after each exit in
 * kvm_run->s.regs.device_irq_level.  arm64 hosts only.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/arm.h"
#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"

#define CORE_REG(x)     (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
                         KVM_REG_ARM_CORE_REG(x))
#define MPIDR_EL1       ARM64_SYS_REG(3, 0, 0, 0, 5)
#define ESR_EL1         ARM64_SYS_REG(3, 0, 5, 2, 0)
#define FAR_EL1         ARM64_SYS_REG(3, 0, 6, 0, 0)
#define MPIDR_AFF_MASK  0xff00ffffffULL

/* The timer outputs in device_irq_level and the PPIs they are wired to. */
static const struct {
    uint64_t bit;
    unsigned int intid;
} timer_lines[] = {
    { KVM_ARM_DEV_EL1_VTIMER, GIC_PPI_BASE + ARCH_TIMER_VIRT_PPI },
    { KVM_ARM_DEV_EL1_PTIMER, GIC_PPI_BASE + ARCH_TIMER_NS_EL1_PPI },
};

static int get_reg(CPUState *cpu, uint64_t id, uint64_t *v)
{
    struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)v };

    return ioctl(cpu->fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

static int set_reg(CPUState *cpu, uint64_t id, uint64_t v)
{
    struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&v };

    return ioctl(cpu->fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

/*
 * Called at creation and at every machine reset: KVM_ARM_VCPU_INIT puts
 * the vCPU back to its architectural reset state (EL1h, interrupts masked,
 * MMU off).  The boot vCPU starts running; the others stay powered off
 * until the guest's PSCI CPU_ON, which KVM handles.
 */
int arm_cpu_reset(CPUState *cpu, GError **errp)
{
    struct arm_cpu *a = cpu->arch;
    struct kvm_vcpu_init init = { 0 };
    int ret;

    if (!a->target) {
        ret = kvm_vm_ioctl(kvm_state, KVM_ARM_PREFERRED_TARGET, &init);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "KVM_ARM_PREFERRED_TARGET: %s", strerror(-ret));
            return ret;
        }
        /* target 0 is a valid KVM target (AEM v8): remember it as +1 */
        a->target = init.target + 1;
    }
    memset(&init, 0, sizeof(init));
    init.target = a->target - 1;
    init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (!a->boot)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    if (ioctl(cpu->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        ret = -errno;
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_ARM_VCPU_INIT of vCPU %d (target %u): %s", cpu->index,
                    init.target, strerror(-ret));
        return ret;
    }
    ret = get_reg(cpu, MPIDR_EL1, &a->mpidr);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "reading MPIDR_EL1 of vCPU %d: %s", cpu->index, strerror(-ret));
        return ret;
    }
    a->mpidr &= MPIDR_AFF_MASK;
    /* the reset timer is off: lower what the last exit left raised */
    for (size_t i = 0; i < G_N_ELEMENTS(timer_lines); i++)
        if ((a->irq_level & timer_lines[i].bit) && a->timer_set)
            a->timer_set(a->timer_opaque, cpu->index, timer_lines[i].intid, 0);
    a->irq_level = 0;
    return 0;
}

/* Linux's entry conditions: x0 the DTB, x1-x3 zero, at the Image's first byte. */
int arm_cpu_set_boot_regs(CPUState *cpu, uint64_t pc, uint64_t x0)
{
    int ret = set_reg(cpu, CORE_REG(regs.pc), pc);

    if (ret == 0)
        ret = set_reg(cpu, CORE_REG(regs.regs[0]), x0);
    for (int i = 1; i < 4 && ret == 0; i++)
        ret = set_reg(cpu, CORE_REG(regs.regs[i]), 0);
    return ret;
}

int arm_cpu_set_irq_line(CPUState *cpu, bool fiq, int level)
{
    struct kvm_irq_level irq = {
        .irq = (KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT) |
               (((uint32_t)cpu->index & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT) |
               (fiq ? KVM_ARM_IRQ_CPU_FIQ : KVM_ARM_IRQ_CPU_IRQ),
        .level = level,
    };

    return kvm_vm_ioctl(kvm_state, KVM_IRQ_LINE, &irq);
}

/*
 * Without an in-kernel GIC, KVM tells us after every exit where the timer
 * outputs stand; the userspace GIC gets each change as a PPI level.
 */
static void arm_post_run(CPUState *cpu)
{
    struct arm_cpu *a = cpu->arch;
    uint64_t now = cpu->run->s.regs.device_irq_level;
    uint64_t changed = now ^ a->irq_level;

    if (!changed || !a->timer_set)
        return;
    a->irq_level = now;
    for (size_t i = 0; i < G_N_ELEMENTS(timer_lines); i++)
        if (changed & timer_lines[i].bit)
            a->timer_set(a->timer_opaque, cpu->index, timer_lines[i].intid,
                         (now & timer_lines[i].bit) != 0);
}

/*
 * An MMIO access KVM could not decode (no valid instruction syndrome: a
 * load/store pair, writeback, an unaligned access on a host that lets it
 * through...): as on hardware for an access a device cannot take, the guest
 * gets a synchronous external abort.  Only exits with KVM_CAP_ARM_NISV_TO_USER
 * enabled, which the machine does when KVM can also inject the abort.
 */
static int handle_nisv(CPUState *cpu)
{
    struct kvm_vcpu_events ev = { .exception.ext_dabt_pending = 1 };

    vmm_log(LOG_GUEST_ERROR, "vCPU %d: access at 0x%llx that KVM cannot emulate (ESR ISS "
            "0x%llx): external abort injected", cpu->index,
            (unsigned long long)cpu->run->arm_nisv.fault_ipa,
            (unsigned long long)cpu->run->arm_nisv.esr_iss);
    if (ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
        error_report("vCPU %d: cannot inject an external abort for an access at 0x%llx: %s",
                     cpu->index, (unsigned long long)cpu->run->arm_nisv.fault_ipa,
                     strerror(errno));
        return -EIO;
    }
    return 0;
}

static int arm_handle_exit(CPUState *cpu)
{
    if (cpu->run->exit_reason == KVM_EXIT_ARM_NISV)
        return handle_nisv(cpu);
    return -ENOSYS;
}

int arm_enable_nisv_to_user(KVMState *s)
{
    struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

    if (kvm_vm_check_extension(s, KVM_CAP_ARM_NISV_TO_USER) <= 0 ||
        kvm_vm_check_extension(s, KVM_CAP_ARM_INJECT_EXT_DABT) <= 0)
        return -ENOTSUP;
    return kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap);
}

static void arm_dump_state(CPUState *cpu)
{
    uint64_t x[31], pc = 0, sp = 0, pstate = 0, sp_el1 = 0, elr = 0, esr = 0, far = 0;

    for (int i = 0; i < 31; i++)
        if (get_reg(cpu, CORE_REG(regs.regs[i]), &x[i]) < 0)
            x[i] = 0;
    get_reg(cpu, CORE_REG(regs.pc), &pc);
    get_reg(cpu, CORE_REG(regs.sp), &sp);
    get_reg(cpu, CORE_REG(regs.pstate), &pstate);
    get_reg(cpu, CORE_REG(sp_el1), &sp_el1);
    get_reg(cpu, CORE_REG(elr_el1), &elr);
    get_reg(cpu, ESR_EL1, &esr);
    get_reg(cpu, FAR_EL1, &far);
    fprintf(stderr, " PC=%016" PRIx64 " PSTATE=%08" PRIx64 " SP_EL0=%016" PRIx64
            " SP_EL1=%016" PRIx64 "\n", pc, pstate, sp, sp_el1);
    fprintf(stderr, " ELR_EL1=%016" PRIx64 " ESR_EL1=%08" PRIx64 " FAR_EL1=%016" PRIx64
            "\n", elr, esr, far);
    for (int i = 0; i < 31; i++)
        fprintf(stderr, " X%02d=%016" PRIx64 "%s", i, x[i], i % 4 == 3 ? "\n" : "");
    fprintf(stderr, "\n");
}

const struct vcpu_arch_ops arm_vcpu_ops = {
    .post_run = arm_post_run,
    .handle_exit = arm_handle_exit,
    .dump_state = arm_dump_state,
};
