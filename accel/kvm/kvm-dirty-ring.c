/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM dirty ring and its reaper; see include/qemu-vmm/kvm-dirty-ring.h.
 *
 * Ordering: KVM publishes an entry by writing its slot and offset, then its
 * flags (DIRTY); we read flags with acquire, so slot and offset are valid,
 * and hand the entry back by storing RESET with release, so KVM never sees
 * it collected before we are done reading it.  That is what
 * KVM_CAP_DIRTY_LOG_RING_ACQ_REL asks of userspace, and it is also correct
 * under the plain capability.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "qemu-vmm/bitmap.h"
#include "qemu-vmm/kvm-dirty-ring.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/sandbox.h"

int kvm_dirty_ring_check_size(uint64_t entries, int cap_bytes, GError **errp)
{
    uint64_t max = cap_bytes > 0 ? (uint64_t)cap_bytes / sizeof(struct kvm_dirty_gfn) : 0;

    if (entries == 0 || (entries & (entries - 1))) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "dirty-ring-size=%" PRIu64 ": must be a power of two (entries per vCPU)",
                    entries);
        return -EINVAL;
    }
    if (entries < KVM_DIRTY_RING_MIN_ENTRIES) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "dirty-ring-size=%" PRIu64 ": at least %zu entries (one page) are needed",
                    entries, (size_t)KVM_DIRTY_RING_MIN_ENTRIES);
        return -EINVAL;
    }
    if (cap_bytes < 0)
        return 0;
    if (cap_bytes == 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
                    "dirty-ring-size: this KVM has no dirty ring "
                    "(KVM_CAP_DIRTY_LOG_RING); leave the option out to use the dirty bitmap");
        return -ENOTSUP;
    }
    if (entries > max) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "dirty-ring-size=%" PRIu64 ": too big, this KVM allows at most %" PRIu64
                    " entries per vCPU (KVM_CAP_DIRTY_LOG_RING: %d bytes)",
                    entries, max, cap_bytes);
        return -E2BIG;
    }
    return 0;
}

uint32_t kvm_dirty_ring_collect(struct kvm_dirty_gfn *gfns, uint32_t entries,
                                uint32_t *fetch,
                                void (*fn)(void *opaque, uint32_t slot, uint64_t offset),
                                void *opaque)
{
    uint32_t n = 0;

    /* at most one lap: a ring KVM keeps filling must not hold us forever */
    while (n < entries) {
        struct kvm_dirty_gfn *e = &gfns[*fetch & (entries - 1)];

        if (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) != KVM_DIRTY_GFN_F_DIRTY)
            break;
        fn(opaque, e->slot, e->offset);
        __atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
        (*fetch)++;
        n++;
    }
    return n;
}

void kvm_dirty_ring_init(struct kvm_dirty_ring *r, uint32_t entries, unsigned int cap,
                         struct kvm_slots *slots, int (*reset_fn)(void *opaque),
                         void *opaque)
{
    pthread_condattr_t ca;

    memset(r, 0, sizeof(*r));
    r->entries = entries;
    r->bytes = (size_t)entries * sizeof(struct kvm_dirty_gfn);
    r->cap = cap;
    r->slots = slots;
    r->reset_fn = reset_fn;
    r->opaque = opaque;
    r->period_ms = KVM_DIRTY_RING_REAP_PERIOD_MS;
    r->vcpus = g_array_new(FALSE, TRUE, sizeof(struct kvm_dirty_ring_vcpu));
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->reaper_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->reaper_cond, &ca);
    pthread_condattr_destroy(&ca);
}

static struct kvm_dirty_ring_vcpu *find_vcpu(struct kvm_dirty_ring *r, int index)
{
    for (guint i = 0; i < r->vcpus->len; i++) {
        struct kvm_dirty_ring_vcpu *v = &g_array_index(r->vcpus, struct kvm_dirty_ring_vcpu, i);

        if (v->index == index)
            return v;
    }
    return NULL;
}

static void add_ring(struct kvm_dirty_ring *r, int index, struct kvm_dirty_gfn *gfns,
                     bool mapped)
{
    struct kvm_dirty_ring_vcpu v = { .gfns = gfns, .index = index, .mapped = mapped };

    pthread_mutex_lock(&r->lock);
    g_array_append_val(r->vcpus, v);
    pthread_mutex_unlock(&r->lock);
}

void kvm_dirty_ring_add_ring(struct kvm_dirty_ring *r, int index, struct kvm_dirty_gfn *gfns)
{
    add_ring(r, index, gfns, false);
}

int kvm_dirty_ring_add_vcpu(struct kvm_dirty_ring *r, int index, int vcpu_fd)
{
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd,
                   (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * page);

    if (p == MAP_FAILED)
        return -errno;
    add_ring(r, index, p, true);
    return 0;
}

void kvm_dirty_ring_del_vcpu(struct kvm_dirty_ring *r, int index)
{
    struct kvm_dirty_ring_vcpu *v;

    pthread_mutex_lock(&r->lock);
    v = find_vcpu(r, index);
    if (v) {
        if (v->mapped)
            munmap(v->gfns, r->bytes);
        g_array_remove_index(r->vcpus, (guint)(v - &g_array_index(r->vcpus,
                                                   struct kvm_dirty_ring_vcpu, 0)));
    }
    pthread_mutex_unlock(&r->lock);
}

static void record(void *opaque, uint32_t slot, uint64_t offset)
{
    kvm_slots_mark_dirty_locked(opaque, slot, offset);
}

int kvm_dirty_ring_reap(struct kvm_dirty_ring *r)
{
    uint32_t n = 0;
    int ret = 0;

    pthread_mutex_lock(&r->lock);
    pthread_mutex_lock(&r->slots->lock);
    for (guint i = 0; i < r->vcpus->len; i++) {
        struct kvm_dirty_ring_vcpu *v = &g_array_index(r->vcpus, struct kvm_dirty_ring_vcpu, i);

        n += kvm_dirty_ring_collect(v->gfns, r->entries, &v->fetch, record, r->slots);
    }
    pthread_mutex_unlock(&r->slots->lock);
    /* the pages are in the bitmaps now: KVM may re-protect them and reuse the entries */
    if (n && r->reset_fn) {
        ret = r->reset_fn(r->opaque);
        if (ret < 0)
            error_report("KVM_RESET_DIRTY_RINGS: %s", strerror(-ret));
    }
    if (n) {
        r->reaps++;
        r->harvested += n;
    }
    pthread_mutex_unlock(&r->lock);
    return ret < 0 ? ret : (int)n;
}

static void *reaper_thread(void *opaque)
{
    struct kvm_dirty_ring *r = opaque;

    pthread_setname_np(pthread_self(), "dirty-reaper");
    sandbox_thread_start(SANDBOX_DIRTY_REAPER, "dirty-reaper", -1);
    pthread_mutex_lock(&r->reaper_lock);
    while (!r->reaper_stop) {
        struct timespec ts;

        if (!r->logging) {
            pthread_cond_wait(&r->reaper_cond, &r->reaper_lock);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += r->period_ms / 1000;
        ts.tv_nsec += (long)(r->period_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->reaper_cond, &r->reaper_lock, &ts);
        if (r->reaper_stop || !r->logging)
            continue;
        pthread_mutex_unlock(&r->reaper_lock);
        kvm_dirty_ring_reap(r);
        pthread_mutex_lock(&r->reaper_lock);
    }
    pthread_mutex_unlock(&r->reaper_lock);
    return NULL;
}

/*
 * The reaper is made at set-up, not when logging starts: logging starts on
 * whatever thread asked for it (a vCPU running the test device, the
 * migration thread), and those may not create threads under the sandbox.
 * Until then it sleeps on its condition variable.
 */
int kvm_dirty_ring_start_reaper(struct kvm_dirty_ring *r)
{
    int ret;

    r->reaper_stop = false;
    ret = pthread_create(&r->reaper, NULL, reaper_thread, r);
    r->reaper_running = ret == 0;
    return -ret;
}

void kvm_dirty_ring_set_logging(struct kvm_dirty_ring *r, bool on)
{
    pthread_mutex_lock(&r->reaper_lock);
    r->logging = on;
    pthread_cond_broadcast(&r->reaper_cond);
    pthread_mutex_unlock(&r->reaper_lock);
}

void kvm_dirty_ring_destroy(struct kvm_dirty_ring *r)
{
    if (!r->vcpus)
        return;
    pthread_mutex_lock(&r->reaper_lock);
    r->reaper_stop = true;
    pthread_cond_broadcast(&r->reaper_cond);
    pthread_mutex_unlock(&r->reaper_lock);
    if (r->reaper_running)
        pthread_join(r->reaper, NULL);
    r->reaper_running = false;
    while (r->vcpus->len) {
        struct kvm_dirty_ring_vcpu *v = &g_array_index(r->vcpus, struct kvm_dirty_ring_vcpu, 0);

        kvm_dirty_ring_del_vcpu(r, v->index);
    }
    g_array_free(r->vcpus, TRUE);
    r->vcpus = NULL;
}
