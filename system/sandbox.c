/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp sandbox: one allow-list filter per thread type, built with
 * libseccomp.  See include/qemu-vmm/sandbox.h and docs/architecture.md.
 *
 * Filters stack: a thread created after its creator installed a filter
 * runs under both, so every list here is contained in the main thread's
 * (checked by tests/unit/test-sandbox.c).
 *
 * A denied call is SECCOMP_RET_TRAP rather than KILL_PROCESS so that the
 * user sees which thread made which call on stderr, not only in the audit
 * log.  The SIGSYS handler resets itself (SA_RESETHAND), writes one line
 * with write(2) and sends SIGSYS to its own thread, and the process dies of
 * it exactly as with a killing filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/vhost.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/sandbox.h"

#define M (1u << SANDBOX_MAIN)
#define V (1u << SANDBOX_VCPU)
#define I (1u << SANDBOX_IOTHREAD)
#define B (1u << SANDBOX_BLOCK_WORKER)
#define G (1u << SANDBOX_MIGRATION)
#define T (1u << SANDBOX_THROTTLE)
#define R (1u << SANDBOX_DIRTY_REAPER)
#define ALL (M | V | I | B | G | T | R)

/* What a rule checks besides the call itself. */
enum arg_check {
    ANY_ARGS,
    NO_EXEC,            /* mmap/mprotect: never PROT_EXEC (no new code) */
    TO_SELF,            /* tgkill: only threads of this process */
    THREAD_ONLY,        /* clone: threads, never a new process */
    NO_CLONE3,          /* clone3: ENOSYS, glibc falls back to clone */
    NO_THREADS,         /* clone: EPERM, pthread_create() fails (see below) */
    SET_NAME,           /* prctl: PR_SET_NAME (pthread_setname_np) */
    NO_NEW_PRIVS,       /* prctl: PR_SET_NO_NEW_PRIVS, which seccomp_load() sets */
    SOCKET_FAMILY,      /* socket: unix, IPv4, IPv6 */
    KVM_ANY_FD,         /* ioctl: KVM requests (type 0xAE) on any fd */
    KVM_VCPU_FD,        /* ioctl: KVM requests on the thread's own vCPU */
    KVM_VM_IRQ,         /* ioctl: the interrupt requests on the VM fd */
    KVM_VM_MEMORY,      /* ioctl: the memory listener's requests on the VM fd */
    TTY_IOCTL,          /* ioctl: terminal set-up and restore (-serial stdio) */
    TAP_OFFLOAD,        /* ioctl: the offloads a virtio-net driver accepted */
    SOCKET_OUTQ,        /* ioctl: SIOCOUTQ, bytes the peer has not read yet */
    VHOST_ANY_FD,       /* ioctl: vhost requests (type 0xAF) */
};

struct rule {
    const char *name;
    unsigned int types;
    enum arg_check check;
};

/* a call allowed whatever its arguments */
#define A(name, types) { name, types, ANY_ARGS }

static const struct rule rules[] = {
    /* every thread: memory, locks, I/O on the fds it was given, exit */
    A("read", ALL), A("write", ALL), A("readv", ALL), A("writev", ALL), A("close", ALL),
    A("futex", ALL), A("exit", ALL), A("exit_group", ALL), A("rt_sigreturn", ALL),
    A("rt_sigprocmask", ALL), A("restart_syscall", ALL), A("madvise", ALL),
    A("munmap", ALL), A("brk", ALL), A("mremap", ALL),
    { "mmap", ALL, NO_EXEC }, { "mprotect", ALL, NO_EXEC },
    A("clock_gettime", ALL), A("clock_nanosleep", ALL), A("nanosleep", ALL),
    A("gettid", ALL), A("getpid", ALL), A("sched_yield", ALL), A("newfstatat", ALL),
    A("fstat", ALL), A("lseek", ALL), A("getrandom", ALL),
    /* a thread made after its creator's filter still loads its own */
    A("seccomp", ALL), { "prctl", ALL, NO_NEW_PRIVS },
    { "tgkill", ALL, TO_SELF },

    /* KVM: the main loop and migration reach every fd; the others less */
    { "ioctl", M | G, KVM_ANY_FD },
    { "ioctl", V, KVM_VCPU_FD },
    { "ioctl", V | I | B, KVM_VM_IRQ },
    { "ioctl", V | R, KVM_VM_MEMORY },
    { "ioctl", M, TTY_IOCTL },
    { "ioctl", M | V | G, TAP_OFFLOAD },
    { "ioctl", M | G, SOCKET_OUTQ },
    /*
     * vhost-net starts on the vCPU whose write set DRIVER_OK, and hands its
     * rings back to userspace on the thread that starts dirty logging
     */
    { "ioctl", M | V | G, VHOST_ANY_FD },

    /*
     * virtio back ends: eventfds, io_uring, timers, the console socket;
     * migration hands vhost-net queues back to the I/O thread (epoll_ctl)
     */
    A("epoll_wait", M | I), A("epoll_pwait", M | I), A("epoll_ctl", M | V | I | G),
    A("io_uring_enter", M | V | I), A("timerfd_settime", M | I),
    A("timerfd_gettime", M | I), A("sendto", M | V | I | G), A("recvfrom", M | I | G),
    A("sendmsg", M | I | G), A("recvmsg", M | I | G), A("accept4", M | I | G),
    A("poll", M | I | G), A("ppoll", M | I | G), A("shutdown", M | I | G),
    A("fcntl", M | I | G), A("setsockopt", M | G), A("getsockopt", M | G),
    A("getsockname", M | G), A("getpeername", M | G),

    /* the block thread pool; migration reads /proc/self/pagemap */
    A("pread64", M | B | G), A("pwrite64", M | B), A("preadv", M | B), A("pwritev", M | B),
    A("preadv2", M | B), A("pwritev2", M | B), A("fallocate", M | B),
    A("fsync", M | B | G), A("fdatasync", M | B | G),

    /* creating threads (migration starts the throttle thread) */
    { "clone", M | G, THREAD_ONLY }, { "clone3", ALL, NO_CLONE3 },
#ifndef QEMU_VMM_SANITIZER_BUILD
    /*
     * Everyone else gets an error, not the trap: glibc's pthread_create()
     * blocks every signal around clone, and a SIGSYS raised while blocked
     * kills without running the handler, so the process would die without
     * its log line.  The caller sees pthread_create() fail and says so.
     */
    { "clone", ALL & ~(M | G), NO_THREADS },
#endif
    A("set_robust_list", M | G), A("rseq", M | G), { "prctl", M | G, SET_NAME },

    /* the main loop: QMP, migration and snapshot channels, resets, exit */
    A("openat", M), A("open", M), A("unlink", M), A("unlinkat", M),
    { "socket", M, SOCKET_FAMILY }, A("bind", M), A("listen", M), A("connect", M),
    A("accept", M), A("dup", M), A("dup2", M), A("dup3", M), A("pipe2", M),
    A("eventfd2", M), A("epoll_create1", M), A("ftruncate", M), A("rt_sigaction", M),
    A("getdents64", M), A("readlink", M), A("uname", M), A("sysinfo", M),
    A("getuid", M), A("geteuid", M), A("getgid", M), A("getegid", M),
    A("prlimit64", M), A("sched_getaffinity", M), A("statx", M), A("faccessat", M),
    A("faccessat2", M), A("access", M), A("statfs", M), A("fstatfs", M), A("getcwd", M),

#ifdef QEMU_VMM_SANITIZER_BUILD
    /*
     * The sanitizer runtime, in sanitizer builds only: LeakSanitizer's exit
     * check clones a tracer (a plain clone) that ptrace()s every thread and
     * lists /proc/self/task with getdents; reports symbolize from
     * /proc/self/exe; ASan sets and tears down signal stacks.  Any thread
     * may be the one that exits or reports.
     */
    A("clone", ALL), A("ptrace", ALL), A("wait4", ALL), A("prctl", ALL),
    A("openat", ALL), A("open", ALL), A("readlink", ALL), A("readlinkat", ALL),
    A("getdents", ALL), A("getdents64", ALL), A("sigaltstack", ALL),
    A("rt_sigaction", ALL), A("sched_getaffinity", ALL), A("getppid", ALL),
    A("pipe", ALL), A("pipe2", ALL),
#endif
};

/*
 * The VM-fd requests a vCPU, an I/O thread or a block worker makes: raising
 * interrupts (a finished request raises its line; with a userspace
 * interrupt controller that is KVM_IRQ_LINE or KVM_SIGNAL_MSI).
 */
static const unsigned long vm_irq_ioctls[] = {
    KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SIGNAL_MSI, KVM_CHECK_EXTENSION,
};

/*
 * The memory API's listener on the VM fd: device code running on a vCPU
 * changes the memory map (a driver enabling a queue adds its ioeventfd
 * and irqfd, the test device starts and reads dirty logging; a full dirty
 * ring is harvested and reset on the vCPU) and the dirty-ring reaper.
 * Creating vCPUs or devices stays out.
 */
static const unsigned long vm_memory_ioctls[] = {
    KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
    KVM_RESET_DIRTY_RINGS, KVM_IOEVENTFD,
    KVM_IRQFD, KVM_SET_GSI_ROUTING, KVM_REGISTER_COALESCED_MMIO,
    KVM_UNREGISTER_COALESCED_MMIO,
};

/* isatty(), tcgetattr()/tcsetattr() of -serial stdio and its restore at exit */
static const unsigned long tty_ioctls[] = {
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
};

static const char *const type_names[SANDBOX_NR_THREADS] = {
    [SANDBOX_MAIN] = "main",
    [SANDBOX_VCPU] = "vcpu",
    [SANDBOX_IOTHREAD] = "iothread",
    [SANDBOX_BLOCK_WORKER] = "block-worker",
    [SANDBOX_MIGRATION] = "migration",
    [SANDBOX_THROTTLE] = "throttle",
    [SANDBOX_DIRTY_REAPER] = "dirty-reaper",
};

static bool enabled;
static uint32_t native_arch;
static int ioctl_nr;

/*
 * Syscall names by number for the SIGSYS handler, resolved when the
 * sandbox is enabled: libseccomp's resolver allocates, a handler must not.
 */
#define MAX_SYSCALL_NR 1024
static char *syscall_names[MAX_SYSCALL_NR];

/* The thread's name for the log line (static TLS: safe in a handler). */
static __thread char thread_name[32];

const char *sandbox_thread_type_name(enum sandbox_thread type)
{
    return type < SANDBOX_NR_THREADS ? type_names[type] : "?";
}

GPtrArray *sandbox_syscall_names(enum sandbox_thread type)
{
    GPtrArray *names = g_ptr_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(rules); i++) {
        if (!(rules[i].types & (1u << type)))
            continue;
        /* rules that only fail a call with an errno allow nothing */
        if (rules[i].check == NO_CLONE3 || rules[i].check == NO_THREADS)
            continue;
        if (!g_ptr_array_find_with_equal_func(names, rules[i].name, g_str_equal, NULL))
            g_ptr_array_add(names, (gpointer)rules[i].name);
    }
    return names;
}

/*
 * Argument comparisons, every field set (libseccomp's macros leave some).
 * The low 32 bits only: what the kernel reads of an int argument (fds,
 * pids, options) and of an ioctl request (an unsigned int there).
 */
static struct scmp_arg_cmp arg_eq32(unsigned int arg, uint32_t v)
{
    return (struct scmp_arg_cmp){ .arg = arg, .op = SCMP_CMP_MASKED_EQ,
                                  .datum_a = 0xffffffffu, .datum_b = v };
}

static struct scmp_arg_cmp arg_masked(unsigned int arg, uint64_t mask, uint64_t v)
{
    return (struct scmp_arg_cmp){ .arg = arg, .op = SCMP_CMP_MASKED_EQ,
                                  .datum_a = mask, .datum_b = v };
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int n,
               const struct scmp_arg_cmp *cmp)
{
    return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int add_ioctls(scmp_filter_ctx ctx, int nr, int fd, const unsigned long *reqs,
                      size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct scmp_arg_cmp cmp[2] = {
            arg_eq32(1, (uint32_t)reqs[i]),
            arg_eq32(0, (uint32_t)fd),
        };
        int ret = add(ctx, SCMP_ACT_ALLOW, nr, fd >= 0 ? 2 : 1, cmp);

        if (ret < 0)
            return ret;
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r, int nr,
                    const struct sandbox_fds *fds)
{
    uint32_t pid = (uint32_t)getpid();
    const uint64_t kvm_type = (uint64_t)KVMIO << _IOC_TYPESHIFT;
    const uint64_t type_mask = (uint64_t)_IOC_TYPEMASK << _IOC_TYPESHIFT;
    struct scmp_arg_cmp cmp[2];

    switch (r->check) {
    case ANY_ARGS:
        return add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
    case NO_EXEC:
        cmp[0] = arg_masked(2, PROT_EXEC, 0);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case TO_SELF:
        cmp[0] = arg_eq32(0, pid);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case THREAD_ONLY:
        cmp[0] = arg_masked(0, CLONE_THREAD, CLONE_THREAD);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case NO_CLONE3:
        /* its flags are in memory, out of a filter's reach */
        return add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0, NULL);
    case NO_THREADS:
        return add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0, NULL);
    case SET_NAME:
        cmp[0] = arg_eq32(0, PR_SET_NAME);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case NO_NEW_PRIVS:
        cmp[0] = arg_eq32(0, PR_SET_NO_NEW_PRIVS);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case SOCKET_FAMILY: {
        static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };

        for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
            int ret;

            cmp[0] = arg_eq32(0, (uint32_t)families[i]);
            ret = add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
            if (ret < 0)
                return ret;
        }
        return 0;
    }
    case KVM_ANY_FD:
        cmp[0] = arg_masked(1, type_mask, kvm_type);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case KVM_VCPU_FD:
        if (fds->vcpu_fd < 0)
            return 0;
        cmp[0] = arg_eq32(0, (uint32_t)fds->vcpu_fd);
        cmp[1] = arg_masked(1, type_mask, kvm_type);
        return add(ctx, SCMP_ACT_ALLOW, nr, 2, cmp);
    case KVM_VM_IRQ:
        if (fds->vm_fd < 0)
            return 0;
        return add_ioctls(ctx, nr, fds->vm_fd, vm_irq_ioctls, G_N_ELEMENTS(vm_irq_ioctls));
    case KVM_VM_MEMORY:
        if (fds->vm_fd < 0)
            return 0;
        return add_ioctls(ctx, nr, fds->vm_fd, vm_memory_ioctls,
                          G_N_ELEMENTS(vm_memory_ioctls));
    case TTY_IOCTL:
        return add_ioctls(ctx, nr, -1, tty_ioctls, G_N_ELEMENTS(tty_ioctls));
    case TAP_OFFLOAD:
        return add_ioctls(ctx, nr, -1, (const unsigned long[]){ TUNSETOFFLOAD }, 1);
    case VHOST_ANY_FD:
        cmp[0] = arg_masked(1, type_mask, (uint64_t)VHOST_VIRTIO << _IOC_TYPESHIFT);
        return add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
    case SOCKET_OUTQ:
        /* the pre-copy pass waits until the destination has read it all */
        return add_ioctls(ctx, nr, -1, (const unsigned long[]){ SIOCOUTQ }, 1);
    }
    return -EINVAL;
}

/* Builds the filter of @type; NULL with @errp set on failure. */
static scmp_filter_ctx build_filter(enum sandbox_thread type, const struct sandbox_fds *fds,
                                    GError **errp)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    int ret = 0;

    if (!ctx) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "seccomp_init failed");
        return NULL;
    }
    /* a call through another ABI (int $0x80 on x86_64) traps too */
    ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    for (size_t i = 0; i < G_N_ELEMENTS(rules) && ret == 0; i++) {
        const struct rule *r = &rules[i];
        int nr;

        if (!(r->types & (1u << type)))
            continue;
        nr = seccomp_syscall_resolve_name(r->name);
        if (nr == __NR_SCMP_ERROR || nr < 0)
            continue;       /* not a call of this architecture (open on arm64) */
        ret = add_rule(ctx, r, nr, fds);
        if (ret < 0)
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-ret),
                        "the %s filter: rule for %s: %s", type_names[type], r->name,
                        strerror(-ret));
    }
    if (ret < 0) {
        if (errp && !*errp)
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-ret),
                        "the %s filter: %s", type_names[type], strerror(-ret));
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

/* Async-signal-safe pieces of the log line. */
static size_t put_str(char *buf, size_t pos, size_t size, const char *s)
{
    while (*s && pos < size)
        buf[pos++] = *s++;
    return pos;
}

static size_t put_uint(char *buf, size_t pos, size_t size, unsigned long v)
{
    char digits[24];
    int n = 0;

    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < (int)sizeof(digits));
    while (n && pos < size)
        buf[pos++] = digits[--n];
    return pos;
}

/* The second argument of the trapped call: an ioctl's request. */
static unsigned long trapped_arg1(void *uctx)
{
    ucontext_t *uc = uctx;

#if defined(__x86_64__)
    return (unsigned long)uc->uc_mcontext.gregs[REG_RSI];
#elif defined(__aarch64__)
    return (unsigned long)uc->uc_mcontext.regs[1];
#else
    (void)uc;
    return 0;
#endif
}

static size_t put_hex(char *buf, size_t pos, size_t size, unsigned long v)
{
    int shift = 60;

    while (shift > 0 && !(v >> shift))
        shift -= 4;
    pos = put_str(buf, pos, size, "0x");
    for (; shift >= 0 && pos < size; shift -= 4)
        buf[pos++] = "0123456789abcdef"[(v >> shift) & 0xf];
    return pos;
}

static void sigsys_handler(int sig, siginfo_t *info, void *uctx)
{
    char line[256];
    size_t pos = 0, size = sizeof(line) - 1;
    int nr = info->si_syscall;
    const char *name = NULL;

    if (info->si_arch == native_arch && nr >= 0 && nr < MAX_SYSCALL_NR)
        name = syscall_names[nr];
    pos = put_str(line, pos, size, "qemu-vmm: sandbox: thread ");
    pos = put_str(line, pos, size, thread_name[0] ? thread_name : "?");
    pos = put_str(line, pos, size, " made a forbidden system call: ");
    pos = put_str(line, pos, size, name ? name : "syscall");
    pos = put_str(line, pos, size, " (");
    if (info->si_arch != native_arch)
        pos = put_str(line, pos, size, "non-native ABI, ");
    pos = put_uint(line, pos, size, (unsigned long)(unsigned int)nr);
    if (info->si_arch == native_arch && nr == ioctl_nr) {
        pos = put_str(line, pos, size, ", request ");
        pos = put_hex(line, pos, size, trapped_arg1(uctx));
    }
    pos = put_str(line, pos, size, "); killing the process\n");
    if (write(STDERR_FILENO, line, pos) < 0) {
        /* nowhere else to say it */
    }
    /*
     * SA_RESETHAND made SIGSYS fatal again: die of it, in this thread (a
     * signal sent to the process could be taken by another thread while
     * this one went on).
     */
    syscall(SYS_tgkill, getpid(), gettid(), sig);
    syscall(SYS_exit_group, 128 + sig);
}

int sandbox_enable(GError **errp)
{
    struct sigaction sa = {
        .sa_sigaction = sigsys_handler,
        .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER,
    };

    if (enabled)
        return 0;
    native_arch = seccomp_arch_native();
    ioctl_nr = seccomp_syscall_resolve_name("ioctl");
    for (int nr = 0; nr < MAX_SYSCALL_NR; nr++)
        syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "sandbox: cannot install the SIGSYS handler: %s", strerror(errno));
        return -errno;
    }
    enabled = true;
    return 0;
}

bool sandbox_enabled(void)
{
    return enabled;
}

int sandbox_install(enum sandbox_thread type, const char *name,
                    const struct sandbox_fds *fds, GError **errp)
{
    scmp_filter_ctx ctx = build_filter(type, fds, errp);
    int ret;

    if (!ctx)
        return -EINVAL;
    g_strlcpy(thread_name, name, sizeof(thread_name));
    ret = seccomp_load(ctx);
    seccomp_release(ctx);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-ret),
                    "cannot load the %s filter: %s", type_names[type], strerror(-ret));
        return ret;
    }
    return 0;
}

void sandbox_thread_start(enum sandbox_thread type, const char *name, int vcpu_fd)
{
    struct sandbox_fds fds = {
        .vm_fd = kvm_state ? kvm_state->vmfd : -1,
        .vcpu_fd = vcpu_fd,
    };
    g_autoptr(GError) err = NULL;

    if (!enabled)
        return;
    if (sandbox_install(type, name, &fds, &err) < 0) {
        error_report("sandbox: thread %s: %s", name, err->message);
        _exit(EXIT_VM_ERROR);
    }
}
