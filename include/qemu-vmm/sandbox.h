/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp sandbox (-sandbox on|off).  See docs/architecture.md.
 *
 * Each thread type has its own list of allowed system calls.  A thread
 * installs its filter itself, at its start (seccomp filters apply to the
 * calling thread and the threads it creates later); the main thread
 * installs the broadest one once the machine is set up, before its main
 * loop takes any input.  A forbidden call raises SIGSYS: the handler writes
 * one line naming the thread and the call to stderr and the process dies of
 * SIGSYS.
 */
#ifndef QEMU_VMM_SANDBOX_H
#define QEMU_VMM_SANDBOX_H

#include <stdbool.h>
#include <glib.h>

enum sandbox_thread {
    SANDBOX_MAIN,           /* main loop: QMP, resets, migration set-up */
    SANDBOX_VCPU,           /* the KVM_RUN loop and the devices it calls */
    SANDBOX_IOTHREAD,       /* a virtio device's epoll loop */
    SANDBOX_BLOCK_WORKER,   /* virtio-blk thread-pool worker */
    SANDBOX_MIGRATION,      /* outgoing and incoming migration threads */
    SANDBOX_THROTTLE,       /* migration's vCPU throttle kicker */
    SANDBOX_DIRTY_REAPER,   /* harvests the KVM dirty rings */
    SANDBOX_NR_THREADS,
};

/* The fds a filter may let ioctl() reach; -1 where not known. */
struct sandbox_fds {
    int vm_fd;
    int vcpu_fd;
};

/*
 * Turn the sandbox on for this process (before any thread that calls
 * sandbox_thread_start() exists): installs the SIGSYS handler.  Off by
 * default, so unit tests and benchmarks that link the code run without it.
 */
int sandbox_enable(GError **errp);
bool sandbox_enabled(void);

/*
 * Install the filter of thread type @type on the calling thread, named
 * @name in the log line; @vcpu_fd is the vCPU's own fd (SANDBOX_VCPU) or
 * -1.  Does nothing when the sandbox is off.  A filter that cannot be
 * installed ends the process (exit 2): running unconfined when the user
 * asked for the sandbox is not an option.
 */
void sandbox_thread_start(enum sandbox_thread type, const char *name, int vcpu_fd);

/*
 * Build and load one filter; sandbox_thread_start() without the exit.
 * Returns 0 or -errno.  For tests.
 */
int sandbox_install(enum sandbox_thread type, const char *name,
                    const struct sandbox_fds *fds, GError **errp);

/* The system calls @type may make, some with argument checks (tests). */
GPtrArray *sandbox_syscall_names(enum sandbox_thread type);
const char *sandbox_thread_type_name(enum sandbox_thread type);

#endif
