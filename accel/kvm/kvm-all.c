/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVMState: /dev/kvm, the VM file descriptor, and the memory listeners that
 * keep KVM's view (slots, ioeventfds, coalesced zones) in step with the
 * address spaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-vmm/kvm.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/options.h"

#define KVM_DEVICE "/dev/kvm"

KVMState *kvm_state;
static struct kvm_accel_opts accel_opts;

/*
 * Only EINTR is retried: EAGAIN is an answer (KVM_IRQFD without a vGIC
 * returns it for good), and retrying it would spin forever.
 */
static int retry_ioctl(int fd, unsigned long req, void *arg)
{
    int ret;

    do {
        ret = ioctl(fd, req, arg);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? -errno : ret;
}

int kvm_ioctl(KVMState *s, unsigned long req, void *arg)
{
    return retry_ioctl(s->fd, req, arg);
}

int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg)
{
    return retry_ioctl(s->vmfd, req, arg);
}

int kvm_check_extension(KVMState *s, unsigned int cap)
{
    int ret = ioctl(s->fd, KVM_CHECK_EXTENSION, (unsigned long)cap);

    return ret < 0 ? 0 : ret;
}

int kvm_vm_check_extension(KVMState *s, unsigned int cap)
{
    int ret = ioctl(s->vmfd, KVM_CHECK_EXTENSION, (unsigned long)cap);

    return ret < 0 ? kvm_check_extension(s, cap) : ret;
}

static int probe_vm_cap(unsigned int cap, void *opaque)
{
    return kvm_vm_check_extension(opaque, cap);
}

/* ---- slots: the ioctls behind struct kvm_slots ---- */

static int set_slot(void *opaque, const struct kvm_slot *k)
{
    KVMState *s = opaque;
    struct kvm_userspace_memory_region r = {
        .slot = k->id,
        .flags = k->flags,
        .guest_phys_addr = k->gpa,
        .memory_size = k->size,
        .userspace_addr = (uintptr_t)k->host,
    };
    int ret = kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &r);

    if (ret < 0)
        error_report("KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%" PRIx64
                     " size 0x%" PRIx64 ": %s", k->id, k->gpa, k->size, strerror(-ret));
    return ret;
}

static int get_dirty(void *opaque, struct kvm_slot *k)
{
    struct kvm_dirty_log log = { .slot = k->id, .dirty_bitmap = k->dirty };

    return kvm_vm_ioctl(opaque, KVM_GET_DIRTY_LOG, &log);
}

static int clear_dirty(void *opaque, struct kvm_slot *k, uint64_t first,
                       uint64_t npages, const unsigned long *bits)
{
    struct kvm_clear_dirty_log c = {
        .slot = k->id,
        .num_pages = (uint32_t)npages,
        .first_page = first,
        .dirty_bitmap = (void *)bits,
    };

    return kvm_vm_ioctl(opaque, KVM_CLEAR_DIRTY_LOG, &c);
}

static int mem_region_add(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;
    int ret = kvm_slots_add(&s->slots, sec, sec->mr->as && sec->mr->as->log_dirty);

    if (ret == -ENOSPC)
        error_report("cannot map %s at 0x%" PRIx64 ": all %u KVM memory slots "
                     "(KVM_CAP_NR_MEMSLOTS) are in use", sec->mr->name, sec->addr,
                     s->slots.nr);
    return ret;
}

static void mem_region_del(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;

    kvm_slots_del(&s->slots, sec);
}

static void mem_log_start(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;

    if (kvm_slots_set_logging(&s->slots, sec, true) < 0)
        error_report("cannot start dirty logging on %s", sec->mr->name);
    if (s->dirty_ring)
        kvm_dirty_ring_set_logging(s->dirty_ring, true);
}

static void mem_log_stop(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;

    if (s->dirty_ring)
        kvm_dirty_ring_set_logging(s->dirty_ring, false);
    kvm_slots_set_logging(&s->slots, sec, false);
}

/*
 * The one "sync dirty" entry point, whichever back end: with the ring,
 * harvest all vCPUs' rings into the slots' bitmaps first; either way the
 * slots' bitmaps then go into the region's (s->mr->dirty).
 */
static int mem_log_sync(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;

    if (s->dirty_ring) {
        int ret = kvm_dirty_ring_reap(s->dirty_ring);

        if (ret < 0)
            return ret;
    }
    return kvm_slots_sync(&s->slots, sec);
}

static int mem_log_clear(MemoryListener *l, const MemorySection *sec)
{
    KVMState *s = l->opaque;

    return kvm_slots_clear(&s->slots, sec);
}

/* ---- ioeventfds and coalesced zones, on both address spaces ---- */

static int ioeventfd_ioctl(KVMState *s, AddressSpace *as, uint64_t addr,
                           const struct mr_eventfd *e, bool assign)
{
    struct kvm_ioeventfd io = {
        .datamatch = e->match_data ? e->data : 0,
        .addr = addr,
        .len = e->size,
        .fd = e->fd,
        .flags = (as->is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (e->match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return kvm_vm_ioctl(s, KVM_IOEVENTFD, &io);
}

static int eventfd_add(MemoryListener *l, AddressSpace *as, uint64_t addr,
                       const struct mr_eventfd *e)
{
    int ret = ioeventfd_ioctl(l->opaque, as, addr, e, true);

    if (ret < 0)
        error_report("KVM_IOEVENTFD at %s 0x%" PRIx64 ": %s", as->name, addr,
                     strerror(-ret));
    return ret;
}

static void eventfd_del(MemoryListener *l, AddressSpace *as, uint64_t addr,
                        const struct mr_eventfd *e)
{
    ioeventfd_ioctl(l->opaque, as, addr, e, false);
}

static int coalesced_ioctl(KVMState *s, AddressSpace *as, const MemorySection *sec,
                           unsigned long req)
{
    struct kvm_coalesced_mmio_zone z = {
        .addr = sec->addr,
        .size = (uint32_t)sec->size,
        .pio = as->is_pio,
    };

    /* the ring is mapped with the first vCPU; registering needs only the cap */
    if (!s->caps.coalesced_mmio || (as->is_pio && !s->caps.coalesced_pio))
        return -ENOTSUP;
    return kvm_vm_ioctl(s, req, &z);
}

static int coalesced_add(MemoryListener *l, AddressSpace *as, const MemorySection *sec)
{
    return coalesced_ioctl(l->opaque, as, sec, KVM_REGISTER_COALESCED_MMIO);
}

static void coalesced_del(MemoryListener *l, AddressSpace *as, const MemorySection *sec)
{
    coalesced_ioctl(l->opaque, as, sec, KVM_UNREGISTER_COALESCED_MMIO);
}

void kvm_flush_coalesced_mmio(KVMState *s)
{
    struct kvm_coalesced_mmio_ring *ring = s->coalesced_ring;
    unsigned int max;

    if (!ring || __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) ==
                 __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
        return;
    max = (getpagesize() - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]);
    pthread_mutex_lock(&s->coalesced_lock);
    while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
        struct kvm_coalesced_mmio *ent = &ring->coalesced_mmio[ring->first % max];
        uint64_t v = 0;
        unsigned int len = ent->len <= 8 ? ent->len : 8;

        memcpy(&v, ent->data, len);
        address_space_write_io(ent->pio ? s->io_as : s->mem_as, ent->phys_addr, v, len);
        __atomic_store_n(&ring->first, (ring->first + 1) % max, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&s->coalesced_lock);
}

/* ---- interrupts ---- */

static int commit_routes(void *opaque, const struct kvm_irq_routing *table)
{
    int ret = kvm_vm_ioctl(opaque, KVM_SET_GSI_ROUTING, (void *)table);

    if (ret < 0)
        error_report("KVM_SET_GSI_ROUTING (%u routes): %s", table->nr, strerror(-ret));
    else
        vmm_log(LOG_IRQ, "GSI routing: %u routes committed", table->nr);
    return ret;
}

int kvm_set_irq(KVMState *s, unsigned int gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level };

    return kvm_vm_ioctl(s, KVM_IRQ_LINE, &irq);
}

int kvm_irqchip_add_route(KVMState *s, const struct kvm_irq_routing_entry *e)
{
    int ret;

    pthread_mutex_lock(&s->routing_lock);
    ret = gsi_routing_add(&s->routing, e);
    pthread_mutex_unlock(&s->routing_lock);
    return ret;
}

static struct kvm_irq_routing_entry msi_entry(int virq, uint64_t addr, uint32_t data)
{
    return (struct kvm_irq_routing_entry){
        .gsi = (uint32_t)virq,
        .type = KVM_IRQ_ROUTING_MSI,
        .u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
                   .data = data },
    };
}

int kvm_irqchip_add_msi_route(KVMState *s, uint64_t addr, uint32_t data)
{
    struct kvm_irq_routing_entry e;
    int virq, ret;

    pthread_mutex_lock(&s->routing_lock);
    virq = gsi_routing_alloc_virq(&s->routing);
    if (virq >= 0) {
        e = msi_entry(virq, addr, data);
        ret = gsi_routing_add(&s->routing, &e);
        if (ret < 0) {
            gsi_routing_release(&s->routing, virq);
            virq = ret;
        }
    }
    pthread_mutex_unlock(&s->routing_lock);
    return virq;
}

int kvm_irqchip_update_msi_route(KVMState *s, int virq, uint64_t addr, uint32_t data)
{
    struct kvm_irq_routing_entry e = msi_entry(virq, addr, data);
    int ret;

    pthread_mutex_lock(&s->routing_lock);
    ret = gsi_routing_update(&s->routing, &e);
    pthread_mutex_unlock(&s->routing_lock);
    return ret;
}

void kvm_irqchip_release_virq(KVMState *s, int virq)
{
    pthread_mutex_lock(&s->routing_lock);
    gsi_routing_release(&s->routing, virq);
    pthread_mutex_unlock(&s->routing_lock);
}

int kvm_irqchip_commit_routes(KVMState *s)
{
    int ret;

    pthread_mutex_lock(&s->routing_lock);
    ret = gsi_routing_commit(&s->routing);
    pthread_mutex_unlock(&s->routing_lock);
    return ret;
}

int kvm_irqchip_send_msi(KVMState *s, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
    };
    int virq, ret;

    if (s->caps.signal_msi)
        return kvm_vm_ioctl(s, KVM_SIGNAL_MSI, &msi);
    /* no KVM_SIGNAL_MSI: a route for the message, pulsed like a line */
    virq = kvm_irqchip_add_msi_route(s, addr, data);
    if (virq < 0)
        return virq;
    ret = kvm_irqchip_commit_routes(s);
    if (ret == 0)
        ret = kvm_set_irq(s, virq, 1);
    kvm_irqchip_release_virq(s, virq);
    return ret < 0 ? ret : 0;
}

int kvm_irqchip_add_irqfd(KVMState *s, int fd, int resample_fd, unsigned int gsi)
{
    struct kvm_irqfd irqfd = {
        .fd = (uint32_t)fd,
        .gsi = gsi,
        .flags = resample_fd >= 0 ? KVM_IRQFD_FLAG_RESAMPLE : 0,
        .resamplefd = resample_fd >= 0 ? (uint32_t)resample_fd : 0,
    };

    if (resample_fd >= 0 && !s->caps.irqfd_resample)
        return -ENOTSUP;
    return kvm_vm_ioctl(s, KVM_IRQFD, &irqfd);
}

int kvm_irqchip_remove_irqfd(KVMState *s, int fd, unsigned int gsi)
{
    struct kvm_irqfd irqfd = {
        .fd = (uint32_t)fd,
        .gsi = gsi,
        .flags = KVM_IRQFD_FLAG_DEASSIGN,
    };

    return kvm_vm_ioctl(s, KVM_IRQFD, &irqfd);
}

/* ---- the dirty ring ---- */

static int reset_dirty_rings(void *opaque)
{
    return kvm_vm_ioctl(opaque, KVM_RESET_DIRTY_RINGS, NULL);
}

/*
 * Before any vCPU exists (KVM refuses later): enable the ring, the
 * acquire/release flavour where the kernel has it.
 */
static int enable_dirty_ring(KVMState *s, uint64_t entries, GError **errp)
{
    unsigned int cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
    int max = kvm_vm_check_extension(s, cap);
    struct kvm_enable_cap ec = { 0 };
    int ret;

    if (max <= 0) {
        cap = KVM_CAP_DIRTY_LOG_RING;
        max = kvm_vm_check_extension(s, cap);
    }
    ret = kvm_dirty_ring_check_size(entries, max, errp);
    if (ret < 0)
        return ret;
    ec.cap = cap;
    ec.args[0] = entries * sizeof(struct kvm_dirty_gfn);
    ret = kvm_vm_ioctl(s, KVM_ENABLE_CAP, &ec);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "dirty-ring-size=%" PRIu64 ": enabling the KVM dirty ring failed: %s%s",
                    entries, strerror(-ret),
                    ret == -EINVAL ? " (the kernel may need more entries; try 4096)" : "");
        return ret;
    }
    s->dirty_ring = g_new0(struct kvm_dirty_ring, 1);
    kvm_dirty_ring_init(s->dirty_ring, (uint32_t)entries, cap, &s->slots,
                        reset_dirty_rings, s);
    s->slots.dirty_ring = true;
    vmm_log(LOG_KVM, "dirty ring: %" PRIu64 " entries per vCPU (%s)", entries,
            cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL ? "acquire/release" : "plain");
    return 0;
}

int kvm_dirty_ring_vcpu_init(KVMState *s, int index, int vcpu_fd)
{
    return s->dirty_ring ? kvm_dirty_ring_add_vcpu(s->dirty_ring, index, vcpu_fd) : 0;
}

void kvm_dirty_ring_vcpu_fini(KVMState *s, int index)
{
    if (s->dirty_ring)
        kvm_dirty_ring_del_vcpu(s->dirty_ring, index);
}

int kvm_dirty_ring_full(KVMState *s)
{
    int ret;

    if (!s->dirty_ring)
        return -ENOTSUP;
    __atomic_fetch_add(&s->dirty_ring->full_exits, 1, __ATOMIC_RELAXED);
    /* waits on the ring lock if the reaper is harvesting right now */
    ret = kvm_dirty_ring_reap(s->dirty_ring);
    return ret < 0 ? ret : 0;
}

void kvm_set_accel_opts(const struct kvm_accel_opts *o)
{
    accel_opts = *o;
}

int kvm_parse_accel_opts(const char *str, struct kvm_accel_opts *o, GError **errp)
{
    g_autoptr(GHashTable) kv = keyval_parse(str, "accel", errp);
    GHashTableIter it;
    gpointer k, v;

    memset(o, 0, sizeof(*o));
    if (!kv)
        return -EINVAL;
    if (g_strcmp0(g_hash_table_lookup(kv, "accel"), "kvm")) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "only the kvm accelerator is supported");
        return -EINVAL;
    }
    g_hash_table_iter_init(&it, kv);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!strcmp(k, "accel"))
            continue;
        if (strcmp(k, "dirty-ring-size")) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown property '%s' (known: dirty-ring-size)", (char *)k);
            return -EINVAL;
        }
        if (parse_uint(v, &o->dirty_ring_size) < 0) {
            g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "dirty-ring-size=%s: expected a number of entries", (char *)v);
            return -EINVAL;
        }
        /* 0 means off, as in QEMU */
        if (o->dirty_ring_size && kvm_dirty_ring_check_size(o->dirty_ring_size, -1, errp) < 0)
            return -EINVAL;
    }
    return 0;
}

/* ---- set-up ---- */

static void enable_manual_dirty_protect(KVMState *s)
{
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
        /*
         * Not INITIALLY_SET: a log that starts empty reports exactly the
         * pages written after logging starts.
         */
        .args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
    };

    if (!(s->caps.manual_dirty_log_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
        return;
    if (kvm_vm_ioctl(s, KVM_ENABLE_CAP, &cap) == 0)
        s->manual_dirty_protect = true;
}

KVMState *kvm_init(unsigned long vm_type, GError **errp)
{
    KVMState *s = g_new0(KVMState, 1);
    const struct kvm_cap_info *missing;
    int ret;

    s->fd = -1;
    s->vmfd = -1;
    s->fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "Could not access KVM kernel module: " KVM_DEVICE ": %s",
                    strerror(errno));
        goto fail;
    }
    ret = ioctl(s->fd, KVM_GET_API_VERSION, 0);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_GET_API_VERSION on " KVM_DEVICE " failed: %s", strerror(errno));
        goto fail;
    }
    if (ret != KVM_API_VERSION) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM API version %d is not supported (need %d)", ret, KVM_API_VERSION);
        goto fail;
    }
    ret = retry_ioctl(s->fd, KVM_CREATE_VM, (void *)vm_type);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_CREATE_VM failed: %s", strerror(-ret));
        goto fail;
    }
    s->vmfd = ret;
    missing = kvm_probe_caps(&s->caps, probe_vm_cap, s);
    if (missing) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM lacks the required capability %s", missing->name);
        goto fail;
    }
    s->vcpu_mmap_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
        goto fail;
    }

    kvm_slots_init(&s->slots, s->caps.nr_memslots ? s->caps.nr_memslots : 32);
    s->slots.set_fn = set_slot;
    s->slots.get_dirty_fn = get_dirty;
    s->slots.clear_dirty_fn = clear_dirty;
    s->slots.opaque = s;
    if (accel_opts.dirty_ring_size) {
        if (enable_dirty_ring(s, accel_opts.dirty_ring_size, errp) < 0)
            goto fail;
    } else {
        /* the ring has no bitmap to clear: manual protect is for the bitmap only */
        enable_manual_dirty_protect(s);
        s->slots.manual_protect = s->manual_dirty_protect;
    }

    gsi_routing_init(&s->routing, s->caps.irq_routing, 0, commit_routes, s);
    pthread_mutex_init(&s->routing_lock, NULL);
    pthread_mutex_init(&s->coalesced_lock, NULL);

    s->mem_listener = (MemoryListener){
        .region_add = mem_region_add,
        .region_del = mem_region_del,
        .log_start = mem_log_start,
        .log_stop = mem_log_stop,
        .log_sync = mem_log_sync,
        .log_clear = mem_log_clear,
        .eventfd_add = eventfd_add,
        .eventfd_del = eventfd_del,
        .coalesced_add = coalesced_add,
        .coalesced_del = coalesced_del,
        .opaque = s,
    };
    s->io_listener = (MemoryListener){
        .eventfd_add = eventfd_add,
        .eventfd_del = eventfd_del,
        .coalesced_add = coalesced_add,
        .coalesced_del = coalesced_del,
        .opaque = s,
    };
    kvm_state = s;
    /* after kvm_state is set: the reaper's sandbox filter names the VM fd */
    if (s->dirty_ring) {
        int ret = kvm_dirty_ring_start_reaper(s->dirty_ring);

        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "cannot start the dirty-ring reaper thread: %s", strerror(-ret));
            kvm_state = NULL;
            goto fail;
        }
    }
    return s;

fail:
    kvm_destroy(s);
    return NULL;
}

int kvm_attach_address_space(KVMState *s, AddressSpace *as, GError **errp)
{
    int ret = address_space_add_listener(as, as->is_pio ? &s->io_listener
                                                        : &s->mem_listener);

    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "KVM could not follow address space %s: %s", as->name,
                    strerror(-ret));
        return ret;
    }
    if (as->is_pio)
        s->io_as = as;
    else
        s->mem_as = as;
    return 0;
}

void kvm_destroy(KVMState *s)
{
    if (!s)
        return;
    if (s->mem_as)
        address_space_remove_listener(s->mem_as, &s->mem_listener);
    if (s->io_as)
        address_space_remove_listener(s->io_as, &s->io_listener);
    if (s->dirty_ring) {
        kvm_dirty_ring_destroy(s->dirty_ring);
        g_free(s->dirty_ring);
    }
    if (s->slots.slot)
        kvm_slots_destroy(&s->slots);
    if (s->routing.used)
        gsi_routing_destroy(&s->routing);
    if (s->vmfd >= 0)
        close(s->vmfd);
    if (s->fd >= 0)
        close(s->fd);
    if (kvm_state == s)
        kvm_state = NULL;
    g_free(s);
}
