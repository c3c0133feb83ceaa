/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exit and reset requests, and the main loop that carries them out.
 *
 * vCPU threads and devices only record a request and wake the main
 * context; the main thread pauses, resets or stops the vCPUs.  So a device
 * callback never has to join the thread it runs on.
 */
#include <glib.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"

static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static bool exit_req;
static int exit_code;
static enum shutdown_cause exit_cause;
static bool reset_req;
static enum shutdown_cause reset_cause;
static bool no_reboot;
static enum run_state state = RUN_STATE_PRELAUNCH;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

struct event_handler {
    vm_event_handler fn;
    void *opaque;
};
static GArray *event_handlers;

static const char *const state_names[RUN_STATE__MAX] = {
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

enum run_state runstate_get(void)
{
    enum run_state s;

    pthread_mutex_lock(&state_lock);
    s = state;
    pthread_mutex_unlock(&state_lock);
    return s;
}

const char *runstate_name(enum run_state s)
{
    return s < RUN_STATE__MAX ? state_names[s] : "unknown";
}

void runstate_set(enum run_state s)
{
    pthread_mutex_lock(&state_lock);
    state = s;
    pthread_mutex_unlock(&state_lock);
}

bool runstate_is_running(void)
{
    return runstate_get() == RUN_STATE_RUNNING;
}

void vm_add_event_handler(vm_event_handler fn, void *opaque)
{
    struct event_handler h = { fn, opaque };

    if (!event_handlers)
        event_handlers = g_array_new(FALSE, FALSE, sizeof(h));
    g_array_append_val(event_handlers, h);
}

void vm_emit_event(const char *event, const char *json_data)
{
    vmm_log(LOG_KVM, "event %s %s", event, json_data ? json_data : "");
    for (guint i = 0; event_handlers && i < event_handlers->len; i++) {
        struct event_handler *h = &g_array_index(event_handlers, struct event_handler, i);

        h->fn(event, json_data, h->opaque);
    }
}

const char *shutdown_cause_name(enum shutdown_cause cause)
{
    switch (cause) {
    case SHUTDOWN_CAUSE_HOST_ERROR: return "host-error";
    case SHUTDOWN_CAUSE_HOST_QMP_QUIT: return "host-qmp-quit";
    case SHUTDOWN_CAUSE_HOST_SIGNAL: return "host-signal";
    case SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET: return "host-qmp-system-reset";
    case SHUTDOWN_CAUSE_GUEST_SHUTDOWN: return "guest-shutdown";
    case SHUTDOWN_CAUSE_GUEST_EXIT: return "guest-shutdown";
    case SHUTDOWN_CAUSE_GUEST_PANIC: return "guest-panic";
    case SHUTDOWN_CAUSE_GUEST_RESET: return "guest-reset";
    default: return "none";
    }
}

bool shutdown_caused_by_guest(enum shutdown_cause cause)
{
    return cause >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN;
}

void vm_stop(enum run_state s)
{
    bool was_running = runstate_is_running();

    vcpus_pause_all();
    runstate_set(s);
    if (was_running)
        vm_emit_event("STOP", NULL);
}

void vm_start(void)
{
    if (runstate_is_running())
        return;
    runstate_set(RUN_STATE_RUNNING);
    vcpus_resume_all();
    vm_emit_event("RESUME", NULL);
}

void vm_set_no_reboot(bool on)
{
    no_reboot = on;
}

void vm_request_exit(enum shutdown_cause cause, int code)
{
    pthread_mutex_lock(&req_lock);
    if (!exit_req) {
        /* code and cause first: a reader that sees the flag sees them too */
        exit_code = code;
        exit_cause = cause;
        __atomic_store_n(&exit_req, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&req_lock);
    g_main_context_wakeup(NULL);
}

void vm_request_reset(void)
{
    vm_request_reset_cause(SHUTDOWN_CAUSE_GUEST_RESET);
}

void vm_request_reset_cause(enum shutdown_cause cause)
{
    if (no_reboot) {
        /* a guest reset has always ended as guest-shutdown here; QMP's keeps its cause */
        vm_request_exit(cause == SHUTDOWN_CAUSE_GUEST_RESET ? SHUTDOWN_CAUSE_GUEST_SHUTDOWN
                                                            : cause, EXIT_OK);
        return;
    }
    pthread_mutex_lock(&req_lock);
    reset_req = true;
    reset_cause = cause;
    pthread_mutex_unlock(&req_lock);
    /* the vCPU that asked must not go on running the old guest */
    vcpus_pause_all();
    g_main_context_wakeup(NULL);
}

/* Read by every vCPU before each KVM_RUN: a load, not a lock. */
bool vm_exit_requested(void)
{
    return __atomic_load_n(&exit_req, __ATOMIC_ACQUIRE);
}

int main_loop_run(int (*reset_fn)(void *opaque), void *opaque)
{
    for (;;) {
        enum shutdown_cause cause;
        bool do_reset;

        pthread_mutex_lock(&req_lock);
        do_reset = reset_req && !exit_req;
        cause = reset_cause;
        reset_req = false;
        if (exit_req) {
            pthread_mutex_unlock(&req_lock);
            break;
        }
        pthread_mutex_unlock(&req_lock);

        if (do_reset) {
            vcpus_pause_all();
            if (reset_fn(opaque) < 0)
                vm_request_exit(SHUTDOWN_CAUSE_HOST_ERROR, EXIT_VM_ERROR);
            {
                g_autofree char *data = g_strdup_printf(
                    "{\"guest\": %s, \"reason\": \"%s\"}",
                    shutdown_caused_by_guest(cause) ? "true" : "false",
                    shutdown_cause_name(cause));

                vm_emit_event("RESET", data);
            }
            /*
             * A reset does not unpause a VM that was stopped; as in QEMU,
             * such a VM is then in prelaunch (query-status shows it).
             */
            if (runstate_is_running())
                vcpus_resume_all();
            else if (runstate_get() != RUN_STATE_INMIGRATE &&
                     runstate_get() != RUN_STATE_FINISH_MIGRATE)
                runstate_set(RUN_STATE_PRELAUNCH);
            continue;
        }
        g_main_context_iteration(NULL, TRUE);
    }
    runstate_set(exit_cause == SHUTDOWN_CAUSE_HOST_ERROR ? RUN_STATE_INTERNAL_ERROR
                                                         : RUN_STATE_SHUTDOWN);
    {
        g_autofree char *data = g_strdup_printf(
            "{\"guest\": %s, \"reason\": \"%s\"}",
            shutdown_caused_by_guest(exit_cause) ? "true" : "false",
            shutdown_cause_name(exit_cause));

        vm_emit_event("SHUTDOWN", data);
    }
    vcpus_stop();
    return exit_code;
}
