/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads and the KVM_RUN loop.  See include/qemu-vmm/cpus.h.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/sandbox.h"

#define SIG_KICK SIGUSR1

static __thread CPUState *this_cpu;

/* One lock for the pause/halt/stop state of all vCPUs. */
static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cpu_state_cond = PTHREAD_COND_INITIALIZER; /* a vCPU parked */
static pthread_cond_t cpu_wake_cond = PTHREAD_COND_INITIALIZER;  /* resume, kick, stop */
static bool pause_requested;
static unsigned int throttle_pct;
static pthread_t throttle_thread;
static bool throttle_thread_running;

#define THROTTLE_PERIOD_US 10000
static CPUState **all_cpus;
static int nr_cpus;

CPUState *current_vcpu(void)
{
    return this_cpu;
}

/*
 * The kick signal: interrupts KVM_RUN (EINTR), and immediate_exit makes a
 * KVM_RUN that has not started yet return at once.
 */
static void kick_handler(int sig)
{
    (void)sig;
    if (this_cpu)
        this_cpu->run->immediate_exit = 1;
}

static void install_kick_handler(void)
{
    static bool done;
    struct sigaction sa = { .sa_handler = kick_handler };

    if (done)
        return;
    sigemptyset(&sa.sa_mask);
    sigaction(SIG_KICK, &sa, NULL);   /* no SA_RESTART: KVM_RUN must return */
    done = true;
}

int vcpu_create(int index, const struct vcpu_arch_ops *ops, CPUState **out)
{
    KVMState *s = kvm_state;
    CPUState *cpu;
    void *run;
    int fd, ret;

    fd = kvm_vm_ioctl(s, KVM_CREATE_VCPU, (void *)(long)index);
    if (fd < 0)
        return fd;
    run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (run == MAP_FAILED) {
        int err = -errno;

        close(fd);
        return err;
    }
    ret = kvm_dirty_ring_vcpu_init(s, index, fd);
    if (ret < 0) {
        error_report("vCPU %d: cannot map its dirty ring: %s", index, strerror(-ret));
        munmap(run, s->vcpu_mmap_size);
        close(fd);
        return ret;
    }
    cpu = g_new0(CPUState, 1);
    cpu->index = index;
    cpu->fd = fd;
    cpu->run = run;
    cpu->ops = ops;
    if (s->caps.coalesced_mmio && !s->coalesced_ring &&
        (long)s->caps.coalesced_mmio * getpagesize() < s->vcpu_mmap_size)
        s->coalesced_ring = (void *)((char *)run + s->caps.coalesced_mmio * getpagesize());
    install_kick_handler();
    *out = cpu;
    return 0;
}

void vcpu_destroy(CPUState *cpu)
{
    if (!cpu)
        return;
    kvm_dirty_ring_vcpu_fini(kvm_state, cpu->index);
    munmap(cpu->run, kvm_state->vcpu_mmap_size);
    close(cpu->fd);
    g_free(cpu->arch);
    g_free(cpu);
}

void vcpu_kick(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_lock);
    cpu->kicked = true;
    pthread_cond_broadcast(&cpu_wake_cond);
    pthread_mutex_unlock(&cpu_lock);
    if (cpu->thread_running && cpu != this_cpu)
        pthread_kill(cpu->thread, SIG_KICK);
}

void vcpu_dump_state(CPUState *cpu)
{
    if (cpu->ops && cpu->ops->dump_state)
        cpu->ops->dump_state(cpu);
}

/* Park here while a pause is requested. Returns false if the vCPU must stop. */
static bool wait_while_paused(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_lock);
    while (pause_requested && !cpu->stop) {
        if (!cpu->paused) {
            cpu->paused = true;
            pthread_cond_broadcast(&cpu_state_cond);
        }
        pthread_cond_wait(&cpu_wake_cond, &cpu_lock);
    }
    cpu->paused = false;
    pthread_mutex_unlock(&cpu_lock);
    return !cpu->stop;
}

/*
 * An MMIO or port read is only finished (the value in its register, the PC
 * past the instruction) when KVM_RUN is entered again; until then the
 * registers userspace can read are those of before the access, while the
 * device has already acted on it (a GIC's IAR read has acknowledged the
 * interrupt).  Before parking, where the state may be saved for migration,
 * enter KVM_RUN once with immediate_exit set: KVM completes the access and
 * returns EINTR without running any guest instruction (the KVM API's rule for
 * KVM_EXIT_MMIO and KVM_EXIT_IO).
 */
static void complete_pending_io(CPUState *cpu)
{
    if (!cpu->exits)
        return;
    cpu->run->immediate_exit = 1;
    if (ioctl(cpu->fd, KVM_RUN, 0) == 0)
        vmm_log(LOG_KVM, "vCPU %d: exit %u while completing I/O before a pause", cpu->index,
                cpu->run->exit_reason);
    cpu->run->immediate_exit = 0;
}

/*
 * KVM_EXIT_HLT only happens without an in-kernel irqchip: the vCPU sleeps
 * until someone kicks it (an interrupt for it, a pause, a stop).
 */
static void wait_for_kick(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_lock);
    cpu->halted = true;
    while (!cpu->kicked && !pause_requested && !cpu->stop)
        pthread_cond_wait(&cpu_wake_cond, &cpu_lock);
    cpu->halted = false;
    pthread_mutex_unlock(&cpu_lock);
}

static void handle_io(CPUState *cpu)
{
    struct kvm_run *run = cpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    AddressSpace *as = kvm_state->io_as;

    /* string I/O (rep outs/ins) arrives as count back-to-back elements */
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        uint64_t v = 0;

        if (run->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&v, data, run->io.size);
            address_space_write_io(as, run->io.port, v, run->io.size);
        } else {
            v = address_space_read_io(as, run->io.port, run->io.size);
            memcpy(data, &v, run->io.size);
        }
    }
}

static void handle_mmio(CPUState *cpu)
{
    struct kvm_run *run = cpu->run;
    unsigned int len = run->mmio.len;
    uint64_t v = 0;

    if (len != 1 && len != 2 && len != 4 && len != 8) {
        vmm_log(LOG_GUEST_ERROR, "MMIO access of %u bytes at 0x%llx ignored", len,
                (unsigned long long)run->mmio.phys_addr);
        if (!run->mmio.is_write)
            memset(run->mmio.data, 0, sizeof(run->mmio.data));
        return;
    }
    if (run->mmio.is_write) {
        memcpy(&v, run->mmio.data, len);
        address_space_write_io(kvm_state->mem_as, run->mmio.phys_addr, v, len);
    } else {
        v = address_space_read_io(kvm_state->mem_as, run->mmio.phys_addr, len);
        memcpy(run->mmio.data, &v, len);
    }
}

static const char *system_event_name(uint32_t type)
{
    switch (type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN: return "shutdown";
    case KVM_SYSTEM_EVENT_RESET: return "reset";
    case KVM_SYSTEM_EVENT_CRASH: return "crash";
    default: return "unknown";
    }
}

/* Report an exit the guest cannot continue from and stop the VM. */
static int fatal_exit(CPUState *cpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fatal_exit(CPUState *cpu, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("vCPU %d: %s", cpu->index, msg);
    g_free(msg);
    vcpu_dump_state(cpu);
    vm_request_exit(SHUTDOWN_CAUSE_HOST_ERROR, EXIT_VM_ERROR);
    return -1;
}

/* Returns 0 to keep running, < 0 to leave the loop. */
static int handle_exit(CPUState *cpu)
{
    struct kvm_run *run = cpu->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(cpu);
        return 0;
    case KVM_EXIT_MMIO:
        handle_mmio(cpu);
        return 0;
    case KVM_EXIT_HLT:
        wait_for_kick(cpu);
        return 0;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        run->request_interrupt_window = 0;
        return 0;
    case KVM_EXIT_INTR:
        return 0;
    case KVM_EXIT_DIRTY_RING_FULL: {
        /* KVM will not run this vCPU again until its ring has room */
        int ret = kvm_dirty_ring_full(kvm_state);

        vmm_log(LOG_KVM, "vCPU %d: dirty ring full, harvested", cpu->index);

        return ret < 0 ? fatal_exit(cpu, "dirty ring full, and harvesting it failed: %s",
                                    strerror(-ret)) : 0;
    }
    case KVM_EXIT_SHUTDOWN:
        /* a triple fault: real hardware resets */
        vmm_log(LOG_KVM, "vCPU %d: shutdown (triple fault), resetting", cpu->index);
        vm_request_reset();
        return 0;
    case KVM_EXIT_SYSTEM_EVENT:
        vmm_log(LOG_KVM, "vCPU %d: system event %s", cpu->index,
                system_event_name(run->system_event.type));
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            vm_request_exit(SHUTDOWN_CAUSE_GUEST_SHUTDOWN, EXIT_OK);
            return 0;
        case KVM_SYSTEM_EVENT_RESET:
            vm_request_reset();
            return 0;
        case KVM_SYSTEM_EVENT_CRASH:
            error_report("vCPU %d: the guest reported a crash", cpu->index);
            vm_request_exit(SHUTDOWN_CAUSE_GUEST_PANIC, EXIT_VM_ERROR);
            return 0;
        default:
            return fatal_exit(cpu, "unknown system event %u", run->system_event.type);
        }
    case KVM_EXIT_INTERNAL_ERROR:
        return fatal_exit(cpu, "KVM internal error, suberror %u%s", run->internal.suberror,
                          run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                              ? " (instruction emulation failed)" : "");
    case KVM_EXIT_FAIL_ENTRY:
        return fatal_exit(cpu, "KVM could not enter the guest: hardware reason 0x%llx",
                          (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    default:
        if (cpu->ops && cpu->ops->handle_exit) {
            int ret = cpu->ops->handle_exit(cpu);

            if (ret != -ENOSYS)
                return ret;
        }
        return fatal_exit(cpu, "unhandled KVM exit reason %u", run->exit_reason);
    }
}

/* Sleep the throttled share of a period, at most once per period. */
static void throttle_vcpu(int64_t *last_sleep_us)
{
    unsigned int pct = __atomic_load_n(&throttle_pct, __ATOMIC_RELAXED);
    int64_t now;

    if (!pct)
        return;
    now = g_get_monotonic_time();
    if (now - *last_sleep_us < THROTTLE_PERIOD_US * (100 - pct) / 100)
        return;
    g_usleep(THROTTLE_PERIOD_US * pct / 100);
    *last_sleep_us = g_get_monotonic_time();
}

static void *throttle_kicker(void *opaque)
{
    sandbox_thread_start(SANDBOX_THROTTLE, "throttle", -1);
    while (__atomic_load_n(&throttle_pct, __ATOMIC_RELAXED)) {
        for (int i = 0; i < nr_cpus; i++)
            if (all_cpus[i]->thread_running)
                pthread_kill(all_cpus[i]->thread, SIG_KICK);
        g_usleep(THROTTLE_PERIOD_US);
    }
    return NULL;
}

void vcpus_set_throttle(unsigned int pct)
{
    pct = MIN(pct, 99u);
    __atomic_store_n(&throttle_pct, pct, __ATOMIC_RELAXED);
    if (pct && !throttle_thread_running) {
        throttle_thread_running = pthread_create(&throttle_thread, NULL,
                                                 throttle_kicker, NULL) == 0;
    } else if (!pct && throttle_thread_running) {
        pthread_join(throttle_thread, NULL);
        throttle_thread_running = false;
    }
}

static void *vcpu_thread(void *opaque)
{
    CPUState *cpu = opaque;
    KVMState *s = kvm_state;
    int64_t last_sleep_us = 0;
    char name[16];

    this_cpu = cpu;
    __atomic_store_n(&cpu->tid, gettid(), __ATOMIC_RELEASE);
    snprintf(name, sizeof(name), "vcpu%d", cpu->index);
    pthread_setname_np(pthread_self(), name);
    sandbox_thread_start(SANDBOX_VCPU, name, cpu->fd);

    for (;;) {
        int ret;

        if (__atomic_load_n(&pause_requested, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&cpu->stop, __ATOMIC_ACQUIRE)) {
            complete_pending_io(cpu);
            if (!wait_while_paused(cpu))
                break;
        }
        if (vm_exit_requested())
            break;
        throttle_vcpu(&last_sleep_us);
        __atomic_store_n(&cpu->kicked, false, __ATOMIC_RELAXED);
        if (cpu->ops && cpu->ops->pre_run)
            cpu->ops->pre_run(cpu);
        ret = ioctl(cpu->fd, KVM_RUN, 0);
        /* cleared after, not before: a kick during the check above is kept */
        cpu->run->immediate_exit = 0;
        if (cpu->ops && cpu->ops->post_run)
            cpu->ops->post_run(cpu);
        if (ret < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fatal_exit(cpu, "KVM_RUN failed: %s", strerror(errno));
            break;
        }
        cpu->exits++;
        /* writes batched in the coalesced ring happened before this exit */
        kvm_flush_coalesced_mmio(s);
        if (handle_exit(cpu) < 0)
            break;
    }

    pthread_mutex_lock(&cpu_lock);
    cpu->stop = true;
    cpu->paused = true;     /* a finished vCPU never blocks a pause */
    pthread_cond_broadcast(&cpu_state_cond);
    pthread_mutex_unlock(&cpu_lock);
    return NULL;
}

int vcpus_start(CPUState **cpus, int n, bool paused)
{
    all_cpus = cpus;
    nr_cpus = n;
    pause_requested = paused;
    for (int i = 0; i < n; i++) {
        sigset_t none, old;
        int ret;

        /* the thread starts with the kick signal unblocked */
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, &old);
        ret = pthread_create(&cpus[i]->thread, NULL, vcpu_thread, cpus[i]);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (ret) {
            error_report("cannot create the thread of vCPU %d: %s", i, strerror(ret));
            return -ret;
        }
        cpus[i]->thread_running = true;
    }
    return 0;
}

void vcpus_stop(void)
{
    for (int i = 0; i < nr_cpus; i++) {
        pthread_mutex_lock(&cpu_lock);
        /* the vCPU loop reads it without the lock */
        __atomic_store_n(&all_cpus[i]->stop, true, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&cpu_wake_cond);
        pthread_mutex_unlock(&cpu_lock);
        if (all_cpus[i]->thread_running && all_cpus[i] != this_cpu)
            pthread_kill(all_cpus[i]->thread, SIG_KICK);
    }
    for (int i = 0; i < nr_cpus; i++) {
        if (all_cpus[i]->thread_running && all_cpus[i] != this_cpu) {
            pthread_join(all_cpus[i]->thread, NULL);
            all_cpus[i]->thread_running = false;
        }
    }
}

void vcpus_pause_all(void)
{
    pthread_mutex_lock(&cpu_lock);
    pause_requested = true;
    pthread_cond_broadcast(&cpu_wake_cond);
    pthread_mutex_unlock(&cpu_lock);
    for (int i = 0; i < nr_cpus; i++)
        if (all_cpus[i]->thread_running && all_cpus[i] != this_cpu)
            pthread_kill(all_cpus[i]->thread, SIG_KICK);

    pthread_mutex_lock(&cpu_lock);
    for (int i = 0; i < nr_cpus; i++) {
        CPUState *cpu = all_cpus[i];

        if (cpu == this_cpu || !cpu->thread_running)
            continue;
        while (!cpu->paused) {
            pthread_mutex_unlock(&cpu_lock);
            /* re-kick: the first signal may have landed before KVM_RUN */
            pthread_kill(cpu->thread, SIG_KICK);
            pthread_mutex_lock(&cpu_lock);
            if (!cpu->paused) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 10 * 1000 * 1000;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&cpu_state_cond, &cpu_lock, &ts);
            }
        }
    }
    pthread_mutex_unlock(&cpu_lock);
}

void vcpus_resume_all(void)
{
    pthread_mutex_lock(&cpu_lock);
    pause_requested = false;
    pthread_cond_broadcast(&cpu_wake_cond);
    pthread_mutex_unlock(&cpu_lock);
}

bool vcpus_paused(void)
{
    return __atomic_load_n(&pause_requested, __ATOMIC_ACQUIRE);
}
