/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run state for the QMP fuzz target: the same transitions as
 * system/runstate.c, without vCPUs or a main loop.
 */
#include "qemu-vmm/runstate.h"

void qmp_fuzz_reset_runstate(void);

static enum run_state state;
static bool exit_requested;

static const char *const names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
};

void qmp_fuzz_reset_runstate(void)
{
    state = RUN_STATE_RUNNING;
    exit_requested = false;
}

enum run_state runstate_get(void)
{
    return state;
}

const char *runstate_name(enum run_state s)
{
    return s < RUN_STATE__MAX ? names[s] : "unknown";
}

bool runstate_is_running(void)
{
    return state == RUN_STATE_RUNNING;
}

void vm_stop(enum run_state s)
{
    state = s;
}

void vm_start(void)
{
    state = RUN_STATE_RUNNING;
}

void vm_request_reset_cause(enum shutdown_cause cause)
{
    (void)cause;
    if (state != RUN_STATE_RUNNING)
        state = RUN_STATE_PRELAUNCH;
}

void vm_request_exit(enum shutdown_cause cause, int exit_code)
{
    (void)cause;
    (void)exit_code;
    exit_requested = true;
}
