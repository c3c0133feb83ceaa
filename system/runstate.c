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
static bool no_reboot;

void vm_set_no_reboot(bool on)
{
    no_reboot = on;
}

void vm_request_exit(enum shutdown_cause cause, int code)
{
    pthread_mutex_lock(&req_lock);
    if (!exit_req) {
        exit_req = true;
        exit_code = code;
        exit_cause = cause;
    }
    pthread_mutex_unlock(&req_lock);
    g_main_context_wakeup(NULL);
}

void vm_request_reset(void)
{
    if (no_reboot) {
        vm_request_exit(SHUTDOWN_CAUSE_GUEST_SHUTDOWN, EXIT_OK);
        return;
    }
    pthread_mutex_lock(&req_lock);
    reset_req = true;
    pthread_mutex_unlock(&req_lock);
    /* the vCPU that asked must not go on running the old guest */
    vcpus_pause_all();
    g_main_context_wakeup(NULL);
}

bool vm_exit_requested(void)
{
    bool r;

    pthread_mutex_lock(&req_lock);
    r = exit_req;
    pthread_mutex_unlock(&req_lock);
    return r;
}

int main_loop_run(int (*reset_fn)(void *opaque), void *opaque)
{
    for (;;) {
        bool do_reset;

        pthread_mutex_lock(&req_lock);
        do_reset = reset_req && !exit_req;
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
            vcpus_resume_all();
            continue;
        }
        g_main_context_iteration(NULL, TRUE);
    }
    vcpus_stop();
    return exit_code;
}
