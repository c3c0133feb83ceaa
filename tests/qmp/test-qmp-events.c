/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP events emitted on another thread (the migration thread, a vCPU)
 * reach the clients complete and in order, through the main loop.  A real
 * server on a unix socket, a client in this process, and the main context
 * iterated by hand; no KVM needed.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "qemu-vmm/monitor.h"
#include "qemu-vmm/runstate.h"

#define N_EVENTS    500

static char *sock_dir;
static char *sock_path;
static int client_fd = -1;
static GString *inbuf;

static void remove_sock_dir(void)
{
    if (sock_dir)
        g_rmdir(sock_dir);
}

/* The next line from the server, running the server meanwhile. */
static JsonObject *read_message(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (;;) {
        char *nl = strchr(inbuf->str, '\n');
        struct pollfd p = { .fd = client_fd, .events = POLLIN };
        char buf[4096];
        ssize_t n;

        if (nl) {
            g_autofree char *line = g_strndup(inbuf->str, (gsize)(nl - inbuf->str));
            g_autoptr(JsonNode) root = NULL;

            g_string_erase(inbuf, 0, nl - inbuf->str + 1);
            g_assert_true(g_str_has_suffix(line, "\r"));
            root = json_from_string(line, NULL);
            g_assert_nonnull(root);
            g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
            return json_object_ref(json_node_get_object(root));
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (poll(&p, 1, 5) <= 0)
            continue;
        n = recv(client_fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(inbuf, buf, n);
    }
}

static void *emit_events(void *opaque)
{
    for (int i = 0; i < N_EVENTS; i++) {
        char data[32];

        snprintf(data, sizeof(data), "{\"n\": %d}", i);
        vm_emit_event("TEST_EVENT", data);
    }
    return NULL;
}

static void start_server_and_client(void)
{
    static MachineState ms = { .smp = 0 };
    g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *cmd = "{\"execute\": \"qmp_capabilities\"}\n";
    JsonObject *m;

    sock_dir = g_dir_make_tmp("qmp-events-XXXXXX", NULL);
    g_assert_nonnull(sock_dir);
    atexit(remove_sock_dir);    /* runs after the monitor removed its socket */
    sock_path = g_build_filename(sock_dir, "qmp.sock", NULL);
    g_ptr_array_add(specs, g_strdup_printf("unix:%s,server=on,wait=off", sock_path));
    g_assert_cmpint(monitor_init(&ms, specs, &err), ==, 0);
    g_assert_no_error(err);

    client_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(client_fd, >=, 0);
    strcpy(sa.sun_path, sock_path);
    g_assert_cmpint(connect(client_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    inbuf = g_string_new(NULL);
    m = read_message();
    g_assert_true(json_object_has_member(m, "QMP"));
    json_object_unref(m);
    g_assert_cmpint(write(client_fd, cmd, strlen(cmd)), ==, (gssize)strlen(cmd));
    m = read_message();
    g_assert_true(json_object_has_member(m, "return"));
    json_object_unref(m);
}

static void test_events_from_threads(void)
{
    pthread_t t;
    JsonObject *m;

    start_server_and_client();
    g_assert_cmpint(pthread_create(&t, NULL, emit_events, NULL), ==, 0);
    for (int i = 0; i < N_EVENTS; i++) {
        JsonObject *ts;

        m = read_message();
        g_assert_cmpstr(json_object_get_string_member(m, "event"), ==, "TEST_EVENT");
        g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(m, "data"),
                                                   "n"), ==, i);
        ts = json_object_get_object_member(m, "timestamp");
        g_assert_nonnull(ts);
        g_assert_true(json_object_has_member(ts, "seconds"));
        g_assert_true(json_object_has_member(ts, "microseconds"));
        json_object_unref(m);
    }
    pthread_join(t, NULL);

    /* one from the main thread comes after all of them, without "data" */
    vm_emit_event("MAIN_EVENT", NULL);
    m = read_message();
    g_assert_cmpstr(json_object_get_string_member(m, "event"), ==, "MAIN_EVENT");
    g_assert_false(json_object_has_member(m, "data"));
    json_object_unref(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/events-from-threads", test_events_from_threads);
    return g_test_run();
}
