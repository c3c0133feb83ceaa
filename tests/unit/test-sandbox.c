/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp filters of system/sandbox.c, loaded for real in a child
 * process (g_test_trap_subprocess): what each thread type may and may not
 * do, and how a denied call ends the process.  The children leave with
 * _exit(): the filters under test do not allow what a normal exit of the
 * test framework needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/sandbox.h"

/* Filters stack, so every type's calls must be allowed by the main one. */
static void test_lists_within_main(void)
{
    g_autoptr(GPtrArray) main_names = sandbox_syscall_names(SANDBOX_MAIN);

    g_assert_cmpuint(main_names->len, >, 20);
    for (int t = 0; t < SANDBOX_NR_THREADS; t++) {
        g_autoptr(GPtrArray) names = sandbox_syscall_names(t);

        g_assert_cmpuint(names->len, >, 0);
        for (guint i = 0; i < names->len; i++) {
            const char *n = g_ptr_array_index(names, i);

            if (!g_ptr_array_find_with_equal_func(main_names, n, g_str_equal, NULL))
                g_error("%s allows %s, the main filter does not",
                        sandbox_thread_type_name(t), n);
        }
    }
}

/* A vCPU has no business with sockets, processes or executable memory. */
static void test_vcpu_set(void)
{
    g_autoptr(GPtrArray) names = sandbox_syscall_names(SANDBOX_VCPU);
    static const char *const forbidden[] = {
        "socket", "connect", "openat", "execve", "clone", "clone3", "ptrace", "bind",
    };

    g_assert_true(g_ptr_array_find_with_equal_func(names, "ioctl", g_str_equal, NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(forbidden); i++) {
#ifndef QEMU_VMM_SANITIZER_BUILD
        g_assert_false(g_ptr_array_find_with_equal_func(names, forbidden[i], g_str_equal,
                                                        NULL));
#else
        /* the sanitizer runtime's calls are allowed everywhere there */
        if (strcmp(forbidden[i], "openat") && strcmp(forbidden[i], "clone") &&
            strcmp(forbidden[i], "ptrace"))
            g_assert_false(g_ptr_array_find_with_equal_func(names, forbidden[i],
                                                            g_str_equal, NULL));
#endif
    }
}

static void install(enum sandbox_thread type, int vm_fd, int vcpu_fd)
{
    struct sandbox_fds fds = { .vm_fd = vm_fd, .vcpu_fd = vcpu_fd };
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(sandbox_enable(&err), ==, 0);
    if (sandbox_install(type, "test-thread", &fds, &err) < 0)
        g_error("install: %s", err->message);
}

static void say(const char *s)
{
    if (write(STDOUT_FILENO, s, strlen(s)) < 0)
        _exit(3);
}

/* The documented end: the log line, then death by SIGSYS. */
static void test_denied_call_kills(void)
{
    if (g_test_subprocess()) {
        install(SANDBOX_VCPU, -1, -1);
        say("installed\n");
        syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        say("survived\n");
        _exit(0);
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stdout("installed\n");
    g_test_trap_assert_stdout_unmatched("*survived*");
    g_test_trap_assert_stderr("qemu-vmm: sandbox: thread test-thread made a forbidden "
                              "system call: socket (*); killing the process\n");
}

/* The same process with its filter is killed by SIGSYS, not exited. */
static void test_killed_by_sigsys(void)
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, STDERR_FILENO);      /* the line is checked above */
        install(SANDBOX_BLOCK_WORKER, -1, -1);
        syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
}

/* ioctl: KVM requests on the vCPU's own fd only, and a few on the VM fd. */
static void test_vcpu_ioctl(void)
{
    if (g_test_subprocess()) {
        int vcpu = eventfd(0, 0), vm = eventfd(0, 0), other = eventfd(0, 0);
        const char *what = g_getenv("SANDBOX_TEST_IOCTL");
        struct kvm_regs regs;
        struct termios tio;
        int ret = 0;

        install(SANDBOX_VCPU, vm, vcpu);
        /* allowed: the kernel then refuses them (an eventfd is no vCPU) */
        if (ioctl(vcpu, KVM_GET_REGS, &regs) == 0 || errno != ENOTTY)
            _exit(4);
        if (ioctl(vm, KVM_IRQ_LINE, NULL) == 0 || errno != ENOTTY)
            _exit(5);
        say("allowed ones pass\n");
        if (!g_strcmp0(what, "other-fd"))
            ret = ioctl(other, KVM_GET_REGS, &regs);
        else if (!g_strcmp0(what, "not-kvm"))
            ret = ioctl(vcpu, TCGETS, &tio);
        else if (!g_strcmp0(what, "vm-create-vcpu"))
            ret = ioctl(vm, KVM_CREATE_VCPU, 0);
        say("survived\n");
        _exit(ret < 0 ? 0 : 6);
    }
    static const char *const cases[] = { "other-fd", "not-kvm", "vm-create-vcpu" };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_setenv("SANDBOX_TEST_IOCTL", cases[i], TRUE);
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDIN);
        g_test_trap_assert_failed();
        g_test_trap_assert_stdout("allowed ones pass\n");
        g_test_trap_assert_stdout_unmatched("*survived*");
        g_test_trap_assert_stderr("*forbidden system call: ioctl (*, request 0x*)*");
    }
    g_unsetenv("SANDBOX_TEST_IOCTL");
}

/* No thread may map new executable memory. */
static void test_no_exec_mapping(void)
{
    if (g_test_subprocess()) {
        void *p;

        install(SANDBOX_IOTHREAD, -1, -1);
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            _exit(4);
        say("rw mapping ok\n");
        mprotect(p, 4096, PROT_READ | PROT_EXEC);
        _exit(0);
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_stdout("rw mapping ok\n");
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*forbidden system call: mprotect*");
}

/* The main thread makes threads, never processes; clone3 says ENOSYS. */
static void test_main_no_fork(void)
{
    if (g_test_subprocess()) {
        install(SANDBOX_MAIN, -1, -1);
        if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
            _exit(4);
        say("clone3 refused\n");
#ifndef QEMU_VMM_SANITIZER_BUILD
        /* (LeakSanitizer's tracer needs a plain clone in sanitizer builds) */
        syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
        say("survived\n");
#endif
        _exit(0);
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_stdout("clone3 refused\n");
#ifndef QEMU_VMM_SANITIZER_BUILD
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*forbidden system call: clone (*");
#endif
}

/* A thread made after its creator's filter adds its own: they stack. */
static void *second_thread(void *opaque)
{
    struct sandbox_fds fds = { -1, -1 };
    g_autoptr(GError) err = NULL;

    if (sandbox_install(SANDBOX_THROTTLE, "throttle", &fds, &err) < 0)
        _exit(4);
    say("throttle filter stacked\n");
    /* allowed by main, not by throttle */
    syscall(SYS_eventfd2, 0, 0);
    return NULL;
}

static void test_stacking(void)
{
    if (g_test_subprocess()) {
        pthread_t t;

        install(SANDBOX_MAIN, -1, -1);
        if (pthread_create(&t, NULL, second_thread, NULL))
            _exit(5);
        pthread_join(t, NULL);
        say("survived\n");
        _exit(0);
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stdout("throttle filter stacked\n");
    g_test_trap_assert_stderr("*thread throttle made a forbidden system call: eventfd2*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sandbox/lists-within-main", test_lists_within_main);
    g_test_add_func("/sandbox/vcpu-set", test_vcpu_set);
    g_test_add_func("/sandbox/denied-call-kills", test_denied_call_kills);
    g_test_add_func("/sandbox/killed-by-sigsys", test_killed_by_sigsys);
    g_test_add_func("/sandbox/vcpu-ioctl", test_vcpu_ioctl);
    g_test_add_func("/sandbox/no-exec-mapping", test_no_exec_mapping);
    g_test_add_func("/sandbox/main-no-fork", test_main_no_fork);
    g_test_add_func("/sandbox/stacking", test_stacking);
    return g_test_run();
}
