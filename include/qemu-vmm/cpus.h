/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPUs: one thread each, running the KVM_RUN loop.
 *
 * Any thread can pause all vCPUs (migration, QMP stop) and resume them; a
 * vCPU thread may pause the others from inside a device callback.  A vCPU
 * is kicked out of KVM_RUN by a signal whose handler sets immediate_exit,
 * so a kick that lands just before KVM_RUN is not lost.
 */
#ifndef QEMU_VMM_CPUS_H
#define QEMU_VMM_CPUS_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <linux/kvm.h>

typedef struct CPUState CPUState;

/* What the architecture (machine) adds to the generic run loop. */
struct vcpu_arch_ops {
    /* called before each KVM_RUN (e.g. to inject pending interrupts) */
    void (*pre_run)(CPUState *cpu);
    /* called after each KVM_RUN, whatever the exit (e.g. timer lines) */
    void (*post_run)(CPUState *cpu);
    /* an exit the generic loop does not know; 0 to continue, <0 to stop */
    int (*handle_exit)(CPUState *cpu);
    /* print the registers to stderr after a fatal exit */
    void (*dump_state)(CPUState *cpu);
};

struct CPUState {
    int index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    pid_t tid;                  /* the thread's id (QMP query-cpus-fast), set when it starts */
    bool thread_running;
    const struct vcpu_arch_ops *ops;
    void *arch;                 /* the machine's per-vCPU state */

    /* guarded by the vCPU lock in cpus.c */
    bool paused;                /* acknowledged a pause request */
    bool halted;                /* waiting in KVM_EXIT_HLT for a kick */
    bool kicked;
    bool stop;                  /* leave the loop for good */
    unsigned long long exits;   /* statistics */
};

int vcpu_create(int index, const struct vcpu_arch_ops *ops, CPUState **out);
void vcpu_destroy(CPUState *cpu);
/* Start the vCPU threads; with paused, none runs guest code before vcpus_resume_all(). */
int vcpus_start(CPUState **cpus, int n, bool paused);
/* Stop all vCPU threads and join them. */
void vcpus_stop(void);
void vcpu_kick(CPUState *cpu);
/* Wait until every vCPU (but the caller's own) is out of KVM_RUN and parked. */
void vcpus_pause_all(void);
void vcpus_resume_all(void);
bool vcpus_paused(void);
/*
 * Auto-converge: each vCPU sleeps pct% of every 10 ms period (0 = off).
 * A helper thread kicks the vCPUs each period, so even a guest that never
 * exits is held back.
 */
void vcpus_set_throttle(unsigned int pct);
/* The vCPU of the calling thread, or NULL. */
CPUState *current_vcpu(void);
void vcpu_dump_state(CPUState *cpu);

#endif
