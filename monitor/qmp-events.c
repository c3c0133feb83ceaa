/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP events: every vm_emit_event() becomes
 *   {"event": NAME, "data": {...}, "timestamp": {"seconds": S, "microseconds": US}}
 * ("data" only when the event has some, as in QEMU) for each negotiated
 * client.
 *
 * Events are emitted on any thread (a vCPU stopping the VM, the main
 * loop's SHUTDOWN) but the sockets belong to the main thread.  So each
 * event is stamped where it happens and queued in order; the main thread
 * delivers the queue at once, another thread schedules an idle callback
 * and wakes the main loop.  SHUTDOWN is the last thing the main loop
 * does: after it the clients' output is flushed before main() returns.
 */
#include <pthread.h>
#include <string.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"
#include "qmp-internal.h"

/* How long the last words (SHUTDOWN) may wait for a slow reader. */
#define SHUTDOWN_FLUSH_MS   2000

static pthread_t main_thread;
static GMutex queue_lock;
static GQueue pending = G_QUEUE_INIT;   /* event lines, oldest first */
static bool drain_scheduled;

char *qmp_event_format(const char *event, const char *json_data)
{
    gint64 now = g_get_real_time();
    JsonObject *ev = json_object_new();
    JsonObject *ts = json_object_new();
    JsonNode *node;

    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(ev, "timestamp", ts);
    json_object_set_string_member(ev, "event", event);
    if (json_data) {
        g_autoptr(GError) err = NULL;
        JsonNode *data = json_from_string(json_data, &err);

        if (data)
            json_object_set_member(ev, "data", data);
        else
            warn_report("QMP event %s: bad data '%s' dropped", event, json_data);
    }
    node = json_node_init_object(json_node_alloc(), ev);
    json_object_unref(ev);
    return qmp_node_to_line(node);
}

void qmp_events_drain(void)
{
    for (;;) {
        char *line;

        g_mutex_lock(&queue_lock);
        line = g_queue_pop_head(&pending);
        if (!line)
            drain_scheduled = false;
        g_mutex_unlock(&queue_lock);
        if (!line)
            return;
        qmp_server_broadcast(line);
        g_free(line);
    }
}

static gboolean drain_cb(gpointer opaque)
{
    qmp_events_drain();
    return G_SOURCE_REMOVE;
}

static void on_vm_event(const char *event, const char *json_data, void *opaque)
{
    char *line = qmp_event_format(event, json_data);
    bool on_main = pthread_equal(pthread_self(), main_thread);
    bool schedule = false;

    g_mutex_lock(&queue_lock);
    g_queue_push_tail(&pending, line);
    if (!on_main && !drain_scheduled) {
        drain_scheduled = true;
        schedule = true;
    }
    g_mutex_unlock(&queue_lock);

    if (on_main) {
        qmp_events_drain();
        /* main() returns right after SHUTDOWN: make sure it is read */
        if (!strcmp(event, "SHUTDOWN"))
            qmp_server_flush(SHUTDOWN_FLUSH_MS);
    } else if (schedule) {
        g_idle_add_full(G_PRIORITY_HIGH, drain_cb, NULL, NULL);
        g_main_context_wakeup(NULL);
    }
}

void qmp_events_init(void)
{
    main_thread = pthread_self();
    vm_add_event_handler(on_vm_event, NULL);
}
