/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 vCPU set-up: CPUID, the boot register state, and the register dump
 * printed when the guest cannot go on.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/x86.h"

#define MAX_CPUID_ENTRIES 256

static struct kvm_cpuid2 *supported_cpuid(GError **errp)
{
    static struct kvm_cpuid2 *cached;
    int nent = MAX_CPUID_ENTRIES;

    while (!cached) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + nent * sizeof(c->entries[0]));
        int ret;

        c->nent = nent;
        ret = kvm_ioctl(kvm_state, KVM_GET_SUPPORTED_CPUID, c);
        if (ret == -E2BIG) {
            g_free(c);
            nent *= 2;
            continue;
        }
        if (ret < 0) {
            g_free(c);
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
            return NULL;
        }
        cached = c;
    }
    return cached;
}

static unsigned int bits_for(unsigned int n)
{
    unsigned int b = 0;

    while ((1u << b) < n)
        b++;
    return b;
}

int x86_cpu_setup_cpuid(CPUState *cpu, int nr_cpus, GError **errp)
{
    struct kvm_cpuid2 *sup = supported_cpuid(errp);
    g_autofree struct kvm_cpuid2 *c = NULL;
    unsigned int apic_id = (unsigned int)cpu->index;
    int ret;

    if (!sup)
        return -EINVAL;
    c = g_memdup2(sup, sizeof(*sup) + sup->nent * sizeof(sup->entries[0]));
    for (unsigned int i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        switch (e->function) {
        case 1:
            /* initial APIC id, logical processor count, hypervisor present */
            e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) |
                     ((unsigned int)(nr_cpus > 1 ? nr_cpus : 1) << 16);
            if (nr_cpus > 1)
                e->edx |= 1u << 28;     /* HTT: the count above is valid */
            e->ecx |= 1u << 31;
            /*
             * The in-kernel LAPIC has a TSC-deadline timer, but KVM lists it
             * only as emulated: without the bit Linux calibrates the LAPIC
             * timer against the PIT, which fails when the host is slow.
             */
            if (kvm_check_extension(kvm_state, KVM_CAP_TSC_DEADLINE_TIMER))
                e->ecx |= 1u << 24;
            break;
        case 0xb:
        case 0x1f:
            /* one core per package level: SMT level 1 thread, core level n */
            if (e->index == 0) {
                e->eax = 0;
                e->ebx = 1;
                e->ecx = (1u << 8) | e->index;
            } else if (e->index == 1) {
                e->eax = bits_for((unsigned int)nr_cpus);
                e->ebx = (unsigned int)nr_cpus;
                e->ecx = (2u << 8) | e->index;
            } else {
                e->eax = e->ebx = 0;
                e->ecx = e->index;
            }
            e->edx = apic_id;
            break;
        }
    }
    ret = ioctl(cpu->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    if (ret < 0)
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "vCPU %d: KVM_SET_CPUID2: %s", cpu->index, strerror(-ret));
    return ret;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64, .g = 1,
    };
}

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

int x86_cpu_set_boot_regs(CPUState *cpu, const struct x86_boot_state *b)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs = { 0 };

    if (ioctl(cpu->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    /* the selectors of the boot GDT written by x86_write_boot_tables() */
    flat_segment(&sregs.cs, 0x10, 0xb, b->long_mode);   /* execute/read, accessed */
    flat_segment(&sregs.ds, 0x18, 0x3, false);          /* read/write, accessed */
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    /* a valid TR and LDTR: VM entry checks them even if the guest never does */
    sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
    sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
    sregs.gdt.base = X86_BOOT_GDT;
    sregs.gdt.limit = 4 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr0 = CR0_PE | CR0_ET;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (b->long_mode) {
        sregs.cr0 |= CR0_PG;
        sregs.cr3 = X86_BOOT_PML4;
        sregs.cr4 = CR4_PAE;
        sregs.efer = EFER_LME | EFER_LMA;
    }
    if (ioctl(cpu->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;
    regs.rflags = 0x2;
    regs.rip = b->entry;
    regs.rax = b->eax;
    regs.rbx = b->ebx;
    regs.rsi = b->rsi;
    if (ioctl(cpu->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    return 0;
}

#define MSR_IA32_APICBASE        0x1b
#define MSR_IA32_APICBASE_BSP    (1ULL << 8)
#define MSR_IA32_APICBASE_ENABLE (1ULL << 11)
#define MSR_KVM_WALL_CLOCK_NEW   0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01
#define MSR_KVM_ASYNC_PF_EN      0x4b564d02
#define MSR_KVM_STEAL_TIME       0x4b564d03
#define MSR_KVM_PV_EOI_EN        0x4b564d04
#define MSR_IA32_TSC             0x10
#define LAPIC_ID                 0x20
#define LAPIC_LVT_FIRST          0x320
#define LAPIC_LVT_LAST           0x370
#define LAPIC_SVR                0xf0
#define LAPIC_DFR                0xe0
#define LVT_MASKED               (1u << 16)

/*
 * Power-on state, as far as a guest can tell: a rebooted Linux must not
 * find its predecessor's kvmclock page still being written, an armed LAPIC
 * timer, or pending events.
 */
int x86_cpu_reset(CPUState *cpu)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[8];
    } msrs = { 0 };
    static const uint32_t zeroed[] = {
        MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_ASYNC_PF_EN,
        MSR_KVM_STEAL_TIME, MSR_KVM_PV_EOI_EN, MSR_IA32_TSC,
    };
    struct kvm_lapic_state lapic = { 0 };
    struct kvm_vcpu_events events = { 0 };
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    struct kvm_mp_state mp = {
        .mp_state = cpu->index == 0 ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
    };
    uint32_t v;
    unsigned int n = 0;

    msrs.e[n++] = (struct kvm_msr_entry){
        .index = MSR_IA32_APICBASE,
        .data = 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE |
                (cpu->index == 0 ? MSR_IA32_APICBASE_BSP : 0),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(zeroed); i++)
        msrs.e[n++] = (struct kvm_msr_entry){ .index = zeroed[i] };
    msrs.hdr.nmsrs = n;
    /* KVM_SET_MSRS returns how many it set; an unknown one stops it early */
    if (ioctl(cpu->fd, KVM_SET_MSRS, &msrs) < 1)
        vmm_log(LOG_KVM, "vCPU %d: resetting MSRs failed", cpu->index);

    /* the LAPIC after INIT: every LVT masked, software-disabled, flat DFR */
    v = (uint32_t)cpu->index << 24;
    memcpy(lapic.regs + LAPIC_ID, &v, 4);
    v = 0xffffffff;
    memcpy(lapic.regs + LAPIC_DFR, &v, 4);
    v = 0xff;
    memcpy(lapic.regs + LAPIC_SVR, &v, 4);
    v = LVT_MASKED;
    for (unsigned int r = LAPIC_LVT_FIRST; r <= LAPIC_LVT_LAST; r += 0x10)
        memcpy(lapic.regs + r, &v, 4);
    if (ioctl(cpu->fd, KVM_SET_LAPIC, &lapic) < 0 ||
        ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &events) < 0 ||
        ioctl(cpu->fd, KVM_SET_FPU, &fpu) < 0 ||
        ioctl(cpu->fd, KVM_SET_MP_STATE, &mp) < 0)
        return -errno;
    return 0;
}

static void dump_segment(const char *name, const struct kvm_segment *s)
{
    fprintf(stderr, "%-3s =%04x %016llx %08x type %x dpl %u p %u db %u l %u g %u\n",
            name, s->selector, (unsigned long long)s->base, s->limit, s->type,
            s->dpl, s->present, s->db, s->l, s->g);
}

static void x86_dump_state(CPUState *cpu)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    if (ioctl(cpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(stderr, "vCPU %d: registers unavailable\n", cpu->index);
        return;
    }
    fprintf(stderr, "vCPU %d registers:\n", cpu->index);
    fprintf(stderr, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
            r.rax, r.rbx, r.rcx, r.rdx);
    fprintf(stderr, "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n",
            r.rsi, r.rdi, r.rbp, r.rsp);
    fprintf(stderr, "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n",
            r.r8, r.r9, r.r10, r.r11);
    fprintf(stderr, "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n",
            r.r12, r.r13, r.r14, r.r15);
    fprintf(stderr, "RIP=%016llx RFL=%08llx\n", r.rip, r.rflags);
    dump_segment("CS", &s.cs);
    dump_segment("DS", &s.ds);
    dump_segment("SS", &s.ss);
    dump_segment("TR", &s.tr);
    fprintf(stderr, "GDT=%016llx %08x IDT=%016llx %08x\n",
            (unsigned long long)s.gdt.base, s.gdt.limit,
            (unsigned long long)s.idt.base, s.idt.limit);
    fprintf(stderr, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx EFER=%08llx\n",
            s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

const struct vcpu_arch_ops x86_vcpu_ops = {
    .dump_state = x86_dump_state,
};
