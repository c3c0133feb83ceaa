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
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,  /* power off, or a reset with -no-reboot */
    SHUTDOWN_CAUSE_GUEST_EXIT,      /* the debug-exit device */
    SHUTDOWN_CAUSE_GUEST_PANIC,
    SHUTDOWN_CAUSE_GUEST_RESET,
};

/* Ask the main loop to end qemu-vmm with this exit code (first request wins). */
void vm_request_exit(enum shutdown_cause cause, int exit_code);
/* The guest asked for a reset (triple fault, reset port, PSCI). */
void vm_request_reset(void);
/*
 * A reset for this cause (QMP system_reset: SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
 * the RESET event reports it.  With -no-reboot it ends qemu-vmm instead.
 */
void vm_request_reset_cause(enum shutdown_cause cause);
/* True once an exit was requested: vCPUs must not re-enter the guest. */
bool vm_exit_requested(void);
/* -no-reboot: a guest reset ends qemu-vmm with exit code 0. */
void vm_set_no_reboot(bool no_reboot);

/* QEMU's run states, as query-status reports them. */
enum run_state {
    RUN_STATE_PRELAUNCH,        /* -S: created, never run */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,           /* stop */
    RUN_STATE_SHUTDOWN,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_INMIGRATE,        /* -incoming: waiting for the stream */
    RUN_STATE_FINISH_MIGRATE,   /* source: vCPUs stopped for the last pass */
    RUN_STATE_POSTMIGRATE,      /* source: migration done, stays paused */
    RUN_STATE__MAX,
};

enum run_state runstate_get(void);
const char *runstate_name(enum run_state s);
void runstate_set(enum run_state s);
bool runstate_is_running(void);
/* Pause every vCPU and enter state s (PAUSED, FINISH_MIGRATE...); emits STOP. */
void vm_stop(enum run_state s);
/* Resume the vCPUs and enter RUNNING; emits RESUME. */
void vm_start(void);

/*
 * Asynchronous events (QMP's STOP, RESUME, SHUTDOWN, RESET...): data is a
 * JSON object text or NULL.  Handlers run on the thread that emits.
 */
typedef void (*vm_event_handler)(const char *event, const char *json_data, void *opaque);
void vm_add_event_handler(vm_event_handler fn, void *opaque);
void vm_emit_event(const char *event, const char *json_data);
/* The cause's QMP name: "guest-shutdown", "host-qmp-quit", ... */
const char *shutdown_cause_name(enum shutdown_cause cause);
/* The "guest" member of SHUTDOWN and RESET: did the guest itself ask? */
bool shutdown_caused_by_guest(enum shutdown_cause cause);

/* Wakes the main loop; returns the exit code once an exit is requested. */
int main_loop_run(int (*reset_fn)(void *opaque), void *opaque);

#endif
