/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration, source and destination; see include/qemu-vmm/migration.h and
 * docs/migration-format.md.
 *
 * Source: a thread sends all RAM, then keeps sending what the guest
 * dirtied until the rest would go within the downtime limit at the
 * bandwidth measured on the last pass; then it stops the vCPUs, sends the
 * last pages and every state section, and waits for the destination's ACK.
 * Anything going wrong before the ACK resumes the guest here.
 *
 * Destination: a thread reads and checks the whole stream, keeping state
 * sections aside until END; only then are they applied and the guest
 * started.  Any error ends qemu-vmm with exit code 1, the guest never run.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "qemu-vmm/cpus.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/sandbox.h"
#include "migration/migration-internal.h"

#define ACK_TIMEOUT_MS      30000
#define NONCONVERGED_PASSES 2       /* before auto-converge raises the throttle */
#define THROTTLE_STEP       20
#define THROTTLE_MAX        99
/* Below this expected downtime, another pass is not worth it. */
#define CONVERGED_US        1000
/* Passes past the point where the downtime limit would be met. */
#define MAX_EXTRA_PASSES    4
/* How long a pass waits for the destination to read what was sent. */
#define DRAIN_TIMEOUT_MS    1000

static MachineState *machine;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct migration_params params = {
    .downtime_limit_ms = 300,
    .max_bandwidth = 128ULL << 20,
    .auto_converge = true,
};
static struct migration_info info;
static int64_t start_us;
static pthread_t thread;
static bool thread_running;
static volatile bool cancel_requested;
/* the outgoing socket while the thread uses it, -1 otherwise (under lock) */
static int out_socket = -1;

/* -d migration: what happened when, in ms since the start, and CPU time spent */
static void mig_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mig_log(const char *fmt, ...)
{
    struct timespec cpu;
    g_autofree char *msg = NULL;
    va_list ap;

    if (!log_enabled(LOG_MIGRATION))
        return;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vmm_log(LOG_MIGRATION, "migration: %8.1f ms (thread cpu %6.1f ms): %s",
            (g_get_monotonic_time() - start_us) / 1000.0,
            cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6, msg);
}

static const char *const status_names[] = {
    [MIGRATION_NONE] = "none",
    [MIGRATION_SETUP] = "setup",
    [MIGRATION_ACTIVE] = "active",
    [MIGRATION_DEVICE] = "device",
    [MIGRATION_COMPLETED] = "completed",
    [MIGRATION_FAILED] = "failed",
    [MIGRATION_CANCELLING] = "cancelling",
    [MIGRATION_CANCELLED] = "cancelled",
};

const char *migration_status_name(enum migration_status s)
{
    return s <= MIGRATION_CANCELLED ? status_names[s] : "unknown";
}

void migration_init(MachineState *ms)
{
    machine = ms;
    ram_pagemap_open();
}

static void set_status(enum migration_status s)
{
    g_autofree char *data = g_strdup_printf("{\"status\": \"%s\"}", migration_status_name(s));

    pthread_mutex_lock(&lock);
    info.status = s;
    pthread_mutex_unlock(&lock);
    vm_emit_event("MIGRATION", data);
}

void migration_get_params(struct migration_params *p)
{
    pthread_mutex_lock(&lock);
    *p = params;
    pthread_mutex_unlock(&lock);
}

int migration_set_param(const char *name, uint64_t value, GError **errp)
{
    int ret = 0;

    pthread_mutex_lock(&lock);
    if (!strcmp(name, "downtime-limit")) {
        if (value > 2000000)
            ret = -EINVAL;
        else
            params.downtime_limit_ms = value;
    } else if (!strcmp(name, "max-bandwidth")) {
        if (value > (UINT64_MAX >> 1))
            ret = -EINVAL;
        else
            params.max_bandwidth = value;
    } else {
        ret = -ENOENT;
    }
    pthread_mutex_unlock(&lock);
    if (ret == -ENOENT)
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                    "unknown migration parameter '%s'", name);
    else if (ret < 0)
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "migration parameter '%s': value out of range", name);
    return ret;
}

int migration_set_auto_converge(bool on)
{
    pthread_mutex_lock(&lock);
    params.auto_converge = on;
    pthread_mutex_unlock(&lock);
    return 0;
}

void migration_query(struct migration_info *out)
{
    pthread_mutex_lock(&lock);
    *out = info;
    if (info.status == MIGRATION_SETUP || info.status == MIGRATION_ACTIVE ||
        info.status == MIGRATION_DEVICE || info.status == MIGRATION_CANCELLING)
        out->total_time_ms = (uint64_t)(g_get_monotonic_time() - start_us) / 1000;
    pthread_mutex_unlock(&lock);
}

void migration_cancel(void)
{
    pthread_mutex_lock(&lock);
    if (info.status == MIGRATION_SETUP || info.status == MIGRATION_ACTIVE ||
        info.status == MIGRATION_DEVICE) {
        cancel_requested = true;
        info.status = MIGRATION_CANCELLING;
        /*
         * A send() blocked on a destination that does not read would not
         * see the flag: shut the socket down, as QEMU does, so it returns.
         */
        if (out_socket >= 0)
            shutdown(out_socket, SHUT_RDWR);
    }
    pthread_mutex_unlock(&lock);
}

/* ---- source ---- */

static int save_states(struct mig_stream *s, uint32_t *count)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    *count = 0;
    for (unsigned int i = 0; i < vmstate_count(); i++) {
        const struct vmstate_ops *o = vmstate_get(i);
        int ret;

        g_byte_array_set_size(b, 0);
        put_u16(b, (uint16_t)strlen(o->name));
        put_bytes(b, o->name, strlen(o->name));
        put_u32(b, o->instance);
        put_u32(b, o->version);
        ret = o->save(o->opaque, b);
        if (ret < 0) {
            error_report("migration: saving state '%s' %u failed: %s", o->name,
                         o->instance, strerror(-ret));
            return ret;
        }
        ret = stream_write_record(s, REC_STATE, b->data, b->len);
        if (ret < 0)
            return ret;
        (*count)++;
    }
    return 0;
}

/* The destination says everything arrived and loaded. */
static int wait_ack(struct mig_stream *s)
{
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    uint8_t b;

    for (int waited = 0; waited < ACK_TIMEOUT_MS; waited += 100) {
        int n = poll(&pfd, 1, 100);

        if (cancel_requested)
            return -ECANCELED;
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0) {
            ssize_t r = read(s->fd, &b, 1);

            return (r == 1 && b == ACK_BYTE) ? 0 : -EPIPE;
        }
    }
    return -ETIMEDOUT;
}

static void update_pass(struct mig_stream *s, struct ram_state *rs, uint64_t pending,
                        uint64_t bandwidth, uint64_t pass_us)
{
    pthread_mutex_lock(&lock);
    info.transferred = s->bytes;
    info.remaining = pending * VMM_PAGE_SIZE;
    info.duplicate_pages = rs->zero_pages;
    info.normal_pages = rs->normal_pages;
    info.dirty_sync_count++;
    info.dirty_pages_rate = pass_us ? pending * 1000000 / pass_us : 0;
    info.expected_downtime_ms = bandwidth ? info.remaining * 1000 / bandwidth : 0;
    info.mbps_x1000 = bandwidth * 8 / 1000;
    pthread_mutex_unlock(&lock);
}

bool migration_converged(uint64_t downtime_limit_ms, struct pass_stats *p)
{
    uint64_t expected_us;

    if (!p->bandwidth)
        return true;
    expected_us = p->pending_pages * VMM_PAGE_SIZE * 1000000 / p->bandwidth;
    if (expected_us > downtime_limit_ms * 1000)
        return false;
    /*
     * Within the limit.  The limit is what the user tolerates, not a goal:
     * while a pass still at least halves what is left, one more costs
     * little (it is short) and takes that much off the downtime.
     */
    if (expected_us <= CONVERGED_US || p->extra_passes >= MAX_EXTRA_PASSES ||
        p->pending_pages * 2 > p->sent_pages)
        return true;
    p->extra_passes++;
    return false;
}

static int migrate_ram_and_state(struct mig_stream *s, struct ram_state *rs,
                                 int64_t *downtime_us)
{
    AddressSpace *as = machine->mem;
    struct migration_params p;
    unsigned int slow_passes = 0, throttle = 0;
    struct pass_stats pass = { 0 };
    uint64_t pending;
    int64_t stop_us;
    uint32_t nstates = 0;
    int ret;

    migration_get_params(&p);
    s->max_bandwidth = p.max_bandwidth;
    ret = stream_write_header(s);
    if (ret == 0)
        ret = ram_save_layout(rs, s);
    if (ret < 0)
        return ret;
    memory_global_dirty_log_start(as);
    mig_log("dirty logging started");
    ram_drop_dirty(rs);         /* what was marked before: all is sent anyway */
    ram_mark_all(rs);
    mig_log("all %" PRIu64 " pages marked, %s", rs->total_pages,
            rs->populated ? "the unpopulated ones known zero" : "populated pages unknown");
    pthread_mutex_lock(&lock);
    info.setup_time_ms = (uint64_t)(g_get_monotonic_time() - start_us) / 1000;
    info.total_ram = rs->total_pages * VMM_PAGE_SIZE;
    pthread_mutex_unlock(&lock);
    set_status(MIGRATION_ACTIVE);

    for (;;) {
        int64_t t0 = g_get_monotonic_time();
        uint64_t b0 = s->bytes, bandwidth, pass_us;
        uint64_t pages0 = rs->zero_pages + rs->normal_pages;

        ret = ram_save_pending(rs, s, 0);
        if (ret == 0)
            ret = stream_flush(s);
        /*
         * A pass ends when the destination has the data, not when the
         * socket buffer does: what it still has to read would otherwise
         * be read while the guest is stopped, and the bandwidth would be
         * overestimated.  (A slow peer just makes the pass longer.)
         */
        if (ret == 0 && stream_wait_drained(s, DRAIN_TIMEOUT_MS) == -ECANCELED)
            ret = -ECANCELED;
        if (ret < 0)
            return ret;
        pass_us = (uint64_t)MAX(g_get_monotonic_time() - t0, 1);
        bandwidth = (s->bytes - b0) * 1000000 / pass_us;
        pending = ram_sync(rs, as);
        mig_log("pass %" PRIu64 ": %" PRIu64 " pages, %.1f MiB in %.1f ms; %" PRIu64
                " pages dirtied meanwhile", info.dirty_sync_count + 1,
                rs->zero_pages + rs->normal_pages - pages0, (s->bytes - b0) / 1048576.0,
                pass_us / 1000.0, pending);
        update_pass(s, rs, pending, bandwidth, pass_us);
        migration_get_params(&p);
        s->max_bandwidth = p.max_bandwidth;
        pass = (struct pass_stats){
            .sent_pages = rs->zero_pages + rs->normal_pages - pages0,
            .pending_pages = pending,
            .bandwidth = bandwidth,
            .extra_passes = pass.extra_passes,
        };
        if (migration_converged(p.downtime_limit_ms, &pass))
            break;
        /* not converging: the guest dirties faster than half what we send */
        if (p.auto_converge && pending * VMM_PAGE_SIZE * 1000000 / pass_us > bandwidth / 2 &&
            ++slow_passes >= NONCONVERGED_PASSES && throttle < THROTTLE_MAX) {
            throttle = MIN(throttle + THROTTLE_STEP, THROTTLE_MAX);
            vcpus_set_throttle(throttle);
            pthread_mutex_lock(&lock);
            info.throttle_pct = throttle;
            pthread_mutex_unlock(&lock);
            slow_passes = 0;
        }
        if (cancel_requested)
            return -ECANCELED;
    }

    stop_us = g_get_monotonic_time();
    vm_stop(RUN_STATE_FINISH_MIGRATE);
    vcpus_set_throttle(0);
    set_status(MIGRATION_DEVICE);
    mig_log("vCPUs stopped");
    pending = ram_sync(rs, as);
    ret = ram_save_pending(rs, s, 0);
    mig_log("last %" PRIu64 " pages sent", pending);
    if (ret == 0)
        ret = save_states(s, &nstates);
    mig_log("%u state sections sent", nstates);
    if (ret == 0) {
        uint8_t end[4] = { (uint8_t)nstates, (uint8_t)(nstates >> 8),
                           (uint8_t)(nstates >> 16), (uint8_t)(nstates >> 24) };

        ret = stream_write_record(s, REC_END, end, sizeof(end));
    }
    if (ret == 0)
        ret = stream_flush(s);
    mig_log("all sent");
    if (ret == 0 && s->is_socket)
        ret = wait_ack(s);
    else if (ret == 0)
        ret = fsync(s->fd) < 0 && errno != EINVAL ? -errno : 0;
    /* the ACK comes once the guest runs there: the downtime ends here */
    *downtime_us = g_get_monotonic_time() - stop_us;
    mig_log("%s", s->is_socket ? "acknowledged: the guest runs on the destination"
                                : "written");
    update_pass(s, rs, 0, 0, 1);
    return ret;
}

/* What migration_start() hands its thread: the channel as opened. */
struct outgoing {
    int fd;
    bool is_socket;
};

static void *migration_thread(void *opaque)
{
    struct outgoing *out = opaque;
    struct mig_stream s;
    struct ram_state rs;
    bool was_running = runstate_is_running();
    int64_t downtime_us = 0;
    int ret;

    sandbox_thread_start(SANDBOX_MIGRATION, "migration", -1);
    stream_init(&s, out->fd, out->is_socket, &cancel_requested);
    g_free(out);
    ram_state_init(&rs, machine->mem);
    ret = migrate_ram_and_state(&s, &rs, &downtime_us);
    if (ret < 0 && cancel_requested)
        ret = -ECANCELED;   /* whatever the shut-down socket made it fail with */
    memory_global_dirty_log_stop(machine->mem);
    vcpus_set_throttle(0);

    pthread_mutex_lock(&lock);
    info.transferred = s.bytes;
    info.total_time_ms = (uint64_t)(g_get_monotonic_time() - start_us) / 1000;
    info.throttle_pct = 0;
    if (ret == 0)
        info.downtime_ms = (uint64_t)downtime_us / 1000;
    else
        snprintf(info.error, sizeof(info.error), "%s", strerror(-ret));
    pthread_mutex_unlock(&lock);

    if (ret == 0) {
        runstate_set(RUN_STATE_POSTMIGRATE);
        set_status(MIGRATION_COMPLETED);
    } else {
        /* the guest is intact here: let it go on as if nothing happened */
        if (was_running)
            vm_start();
        else if (runstate_get() == RUN_STATE_FINISH_MIGRATE)
            runstate_set(RUN_STATE_PAUSED);
        warn_report("migration %s: %s", ret == -ECANCELED ? "cancelled" : "failed",
                    strerror(-ret));
        set_status(ret == -ECANCELED ? MIGRATION_CANCELLED : MIGRATION_FAILED);
    }
    stream_destroy(&s);
    ram_state_destroy(&rs);
    pthread_mutex_lock(&lock);
    out_socket = -1;
    pthread_mutex_unlock(&lock);
    close(s.fd);
    return NULL;
}

int migration_start(const char *uri, GError **errp)
{
    struct outgoing *out;
    bool is_socket;
    int fd;

    pthread_mutex_lock(&lock);
    if (info.status == MIGRATION_SETUP || info.status == MIGRATION_ACTIVE ||
        info.status == MIGRATION_DEVICE || info.status == MIGRATION_CANCELLING) {
        pthread_mutex_unlock(&lock);
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_EXIST, "a migration is already running");
        return -EBUSY;
    }
    pthread_mutex_unlock(&lock);
    if (runstate_get() == RUN_STATE_INMIGRATE || runstate_get() == RUN_STATE_POSTMIGRATE ||
        runstate_get() == RUN_STATE_SHUTDOWN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "cannot migrate in state %s", runstate_name(runstate_get()));
        return -EINVAL;
    }
    fd = channel_open_outgoing(uri, &is_socket, errp);
    if (fd < 0)
        return fd;
    if (thread_running)
        pthread_join(thread, NULL);
    pthread_mutex_lock(&lock);
    memset(&info, 0, sizeof(info));
    info.status = MIGRATION_SETUP;
    start_us = g_get_monotonic_time();
    cancel_requested = false;
    out_socket = is_socket ? fd : -1;
    pthread_mutex_unlock(&lock);
    vm_emit_event("MIGRATION", "{\"status\": \"setup\"}");
    out = g_new(struct outgoing, 1);
    *out = (struct outgoing){ .fd = fd, .is_socket = is_socket };
    if (pthread_create(&thread, NULL, migration_thread, out)) {
        g_free(out);
        pthread_mutex_lock(&lock);
        out_socket = -1;
        pthread_mutex_unlock(&lock);
        close(fd);
        set_status(MIGRATION_FAILED);
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot start the migration thread");
        return -EAGAIN;
    }
    thread_running = true;
    return 0;
}

/* ---- destination ---- */

struct pending_state {
    const struct vmstate_ops *ops;
    uint32_t version;
    GByteArray *data;
};

static void free_pending(gpointer p)
{
    struct pending_state *ps = p;

    g_byte_array_free(ps->data, TRUE);
    g_free(ps);
}

static int take_state(const GByteArray *rec, GPtrArray *pending, GError **errp)
{
    struct vm_reader r = { .p = rec->data, .len = rec->len };
    uint16_t nlen = get_u16(&r);
    char name[64] = { 0 };
    uint32_t instance, version;
    struct pending_state *ps;

    if (nlen >= sizeof(name))
        r.error = true;
    get_bytes(&r, name, MIN(nlen, (uint16_t)(sizeof(name) - 1)));
    instance = get_u32(&r);
    version = get_u32(&r);
    if (r.error) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "corrupt state record header");
        return -EINVAL;
    }
    ps = g_new0(struct pending_state, 1);
    ps->ops = vmstate_find(name, instance);
    if (!ps->ops || version != ps->ops->version) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    ps->ops ? "state section '%s' %u has version %u, this VM knows %u"
                            : "unknown state section '%s' %u (version %u)",
                    name, instance, version, ps->ops ? ps->ops->version : 0);
        g_free(ps);
        return -EINVAL;
    }
    ps->version = version;
    ps->data = g_byte_array_new();
    g_byte_array_append(ps->data, rec->data + r.pos, rec->len - (guint)r.pos);
    g_ptr_array_add(pending, ps);
    return 0;
}

/* Every record after the layout, up to and including END. */
static int load_records(struct mig_stream *s, struct ram_load *rl, GPtrArray *pending,
                        GByteArray *rec, GError **errp)
{
    uint32_t type, len;
    int ret;

    for (;;) {
        ret = stream_read_record_begin(s, &type, &len, errp);
        if (ret < 0)
            return ret;
        if (type == REC_RAM_PAGES) {
            /* pages go straight to guest RAM, checked as a whole at the end */
            ret = ram_load_pages(rl, s, len, errp);
            if (ret == 0)
                ret = stream_read_record_end(s, errp);
            if (ret < 0)
                return ret;
            continue;
        }
        g_byte_array_set_size(rec, len);
        ret = stream_read_part(s, rec->data, len, errp);
        if (ret == 0)
            ret = stream_read_record_end(s, errp);
        if (ret < 0)
            return ret;
        if (type == REC_STATE) {
            ret = take_state(rec, pending, errp);
        } else if (type == REC_END) {
            uint32_t n = rec->len == 4 ? (uint32_t)rec->data[0] | (uint32_t)rec->data[1] << 8 |
                                         (uint32_t)rec->data[2] << 16 |
                                         (uint32_t)rec->data[3] << 24 : UINT32_MAX;

            mig_log("END received, %u state sections", pending->len);
            if (n != pending->len) {
                g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "migration stream ended with %u state sections, %u announced",
                            pending->len, n);
                return -EPROTO;
            }
            break;
        } else {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "migration stream out of order: unexpected record type %u", type);
            return -EPROTO;
        }
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Every section this machine registered must have come in the stream. */
static int check_sections_complete(GPtrArray *pending, GError **errp)
{
    g_autofree const struct vmstate_ops **loaded = g_new0(const struct vmstate_ops *,
                                                          pending->len + 1);

    for (guint i = 0; i < pending->len; i++)
        loaded[i] = ((struct pending_state *)g_ptr_array_index(pending, i))->ops;
    return vmstate_check_complete(loaded, pending->len, errp);
}

int migration_load_stream(struct mig_stream *s, GError **errp)
{
    g_autoptr(GByteArray) rec = g_byte_array_new();
    g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(free_pending);
    struct ram_load rl = { 0 };
    uint32_t type;
    int ret;

    ret = stream_read_header(s, errp);
    if (ret < 0)
        return ret;
    ret = stream_read_record(s, &type, rec, errp);
    if (ret < 0)
        return ret;
    if (type != REC_RAM_LAYOUT) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "migration stream out of order: record type %u before the RAM layout",
                    type);
        return -EPROTO;
    }
    ret = ram_load_layout(machine->mem, rec->data, rec->len, &rl, errp);
    if (ret < 0)
        return ret;
    ret = load_records(s, &rl, pending, rec, errp);
    ram_load_destroy(&rl);
    if (ret < 0)
        return ret;
    ret = check_sections_complete(pending, errp);
    if (ret < 0)
        return ret;
    for (guint i = 0; i < pending->len; i++) {
        struct pending_state *ps = g_ptr_array_index(pending, i);

        ret = ps->ops->load(ps->ops->opaque, ps->data->data, ps->data->len, ps->version, errp);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static void *incoming_thread(void *opaque)
{
    struct mig_stream s;
    g_autoptr(GError) err = NULL;
    int ret;

    sandbox_thread_start(SANDBOX_MIGRATION, "incoming", -1);
    stream_init(&s, (int)(intptr_t)opaque, false, NULL);
    start_us = g_get_monotonic_time();      /* for -d migration's times */
    ret = migration_load_stream(&s, &err);
    if (ret == 0) {
        uint8_t ack = ACK_BYTE;

        /*
         * Start the guest first, from here rather than through the main
         * loop: the source counts its downtime until this ACK, so the ACK
         * must mean "running here", and sooner is less downtime.
         */
        mig_log("state loaded");
        vm_start();
        mig_log("guest started");
        /* a file or pipe has no one to answer */
        if (send(s.fd, &ack, 1, MSG_NOSIGNAL) < 0 && errno != ENOTSOCK)
            warn_report("migration: could not acknowledge the stream: %s", strerror(errno));
    } else {
        error_report("migration: %s; the incoming VM will not run", err->message);
        vm_request_exit(SHUTDOWN_CAUSE_HOST_ERROR, EXIT_CONFIG_ERROR);
    }
    stream_destroy(&s);
    close(s.fd);
    return NULL;
}

static int start_incoming_thread(int fd)
{
    pthread_t t;

    if (pthread_create(&t, NULL, incoming_thread, (void *)(intptr_t)fd)) {
        close(fd);
        return -EAGAIN;
    }
    pthread_detach(t);
    return 0;
}

static gboolean on_incoming_connection(gint listen_fd, GIOCondition cond, gpointer data)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return G_SOURCE_CONTINUE;
    close(listen_fd);   /* one stream per incoming VM */
    channel_set_buffer(fd, false);
    if (start_incoming_thread(fd) < 0) {
        error_report("migration: cannot start the incoming thread");
        vm_request_exit(SHUTDOWN_CAUSE_HOST_ERROR, EXIT_CONFIG_ERROR);
    }
    return G_SOURCE_REMOVE;
}

int migration_incoming(const char *uri, GError **errp)
{
    bool needs_accept;
    int fd = channel_open_incoming(uri, &needs_accept, errp);

    if (fd < 0)
        return fd;
    runstate_set(RUN_STATE_INMIGRATE);
    if (needs_accept) {
        g_unix_fd_add(fd, G_IO_IN, on_incoming_connection, NULL);
        return 0;
    }
    return start_incoming_thread(fd);
}
