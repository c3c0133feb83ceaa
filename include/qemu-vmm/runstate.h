/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests that end or reset the VM, made from any thread and carried out
 * by the main loop.
 */
#ifndef QEMU_VMM_RUNSTATE_H
#define QEMU_VMM_RUNSTATE_H

#include <stdbool.h>

/* Exit codes of qemu-vmm itself (the debug-exit device adds (v << 1) | 1). */
enum {
    EXIT_OK = 0,
    EXIT_CONFIG_ERROR = 1,      /* bad command line, image, missing KVM */
    EXIT_VM_ERROR = 2,          /* the vCPU could not go on (internal error...) */
    EXIT_EXPECT_TIMEOUT = 4,    /* --expect did not match in time */
    EXIT_GUEST_PANIC = 6,       /* the guest panicked (while --expect was waiting) */
};

enum shutdown_cause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,      /* KVM could not run the guest */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,  /* power off, or a reset with -no-reboot */
    SHUTDOWN_CAUSE_GUEST_EXIT,      /* the debug-exit device */
    SHUTDOWN_CAUSE_GUEST_PANIC,
};

/* Ask the main loop to end qemu-vmm with this exit code (first request wins). */
void vm_request_exit(enum shutdown_cause cause, int exit_code);
/* The guest asked for a reset (triple fault, reset port, PSCI). */
void vm_request_reset(void);
/* True once an exit was requested: vCPUs must not re-enter the guest. */
bool vm_exit_requested(void);
/* -no-reboot: a guest reset ends qemu-vmm with exit code 0. */
void vm_set_no_reboot(bool no_reboot);

/* Wakes the main loop; returns the exit code once an exit is requested. */
int main_loop_run(int (*reset_fn)(void *opaque), void *opaque);

#endif
