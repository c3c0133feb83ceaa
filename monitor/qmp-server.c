/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP server: -qmp specs, listening sockets and clients, all on the
 * main loop.
 *
 * Each -qmp listens on a unix or TCP socket and takes several clients at
 * once (QEMU takes one per -qmp).  A client gets the greeting, then each
 * message it sends is dispatched at once and the response queued.  Output
 * is written without blocking; while a client lets more than
 * OUT_HIGH_WATER pile up, its further requests wait unread, and a client
 * that lets OUT_MAX pile up (events it never reads) is dropped.  A client
 * that goes away is only marked dead and freed from an idle callback, so
 * nothing that is still looking at it (a dispatch, a broadcast) is left
 * with a dangling pointer; the VM never notices.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <glib-unix.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/monitor.h"
#include "qemu-vmm/options.h"
#include "qmp-internal.h"

#define MAX_CLIENTS     64
#define READ_CHUNK      65536
/* Stop reading a client's requests while this much output waits for it... */
#define OUT_HIGH_WATER  (1024 * 1024)
/* ...and drop a client that lets this much pile up. */
#define OUT_MAX         (16 * 1024 * 1024)
#define LISTEN_BACKLOG  16
/* After accept() fails for want of file descriptors, wait before trying again. */
#define ACCEPT_RETRY_MS 100

struct qmp_spec {
    bool is_unix;
    char *path;         /* unix */
    char *host;         /* tcp; "" for any address */
    char *port;
    bool wait;          /* wait for a client before the VM starts */
};

struct qmp_listener {
    char *spec;         /* as given, for messages */
    int fd;
    guint watch;
    bool wait;
};

struct qmp_client {
    int fd;
    QmpSession session;
    struct qmp_stream *stream;
    GByteArray *in;     /* read, not yet parsed: held back while output is high */
    GByteArray *out;    /* not yet written */
    GSource *source;
    gpointer fd_tag;
    GIOCondition cond;
    bool eof;           /* the client closed its side: answer, then close */
    bool dead;
};

struct client_source {
    GSource source;
    struct qmp_client *client;
};

static MachineState *machine;
static GPtrArray *clients;          /* struct qmp_client * */
static GPtrArray *unix_paths;       /* removed at exit */
static pid_t owner_pid;
static bool reap_scheduled;

static void client_io(struct qmp_client *c, GIOCondition cond);

/* ---- clients ---- */

static gboolean reap_clients(gpointer opaque)
{
    for (guint i = 0; i < clients->len;) {
        struct qmp_client *c = g_ptr_array_index(clients, i);

        if (!c->dead) {
            i++;
            continue;
        }
        g_ptr_array_remove_index_fast(clients, i);
        g_source_unref(c->source);
        qmp_stream_free(c->stream);
        g_byte_array_free(c->in, TRUE);
        g_byte_array_free(c->out, TRUE);
        g_free(c);
    }
    reap_scheduled = false;
    return G_SOURCE_REMOVE;
}

/* Close now; free later, when nothing on the stack can point at it. */
static void client_kill(struct qmp_client *c)
{
    if (c->dead)
        return;
    c->dead = true;
    g_source_destroy(c->source);
    close(c->fd);
    c->fd = -1;
    if (!reap_scheduled) {
        reap_scheduled = true;
        g_idle_add(reap_clients, NULL);
    }
}

static void client_write(struct qmp_client *c)
{
    while (!c->dead && c->out->len) {
        ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                client_kill(c);     /* EPIPE, ECONNRESET: the client left */
            return;
        }
        g_byte_array_remove_range(c->out, 0, (guint)n);
    }
}

static void client_send(struct qmp_client *c, const char *line)
{
    if (c->dead)
        return;
    g_byte_array_append(c->out, (const guint8 *)line, (guint)strlen(line));
    if (c->out->len > OUT_MAX) {
        warn_report("QMP client not reading its output: disconnected");
        client_kill(c);
        return;
    }
    client_write(c);
}

/* Watch for what the client's state calls for; close it once it is done. */
static void client_update(struct qmp_client *c)
{
    GIOCondition cond = G_IO_HUP | G_IO_ERR;

    if (c->dead)
        return;
    if (c->eof && !c->in->len && !c->out->len) {
        client_kill(c);
        return;
    }
    if (c->out->len)
        cond |= G_IO_OUT;
    if (!c->eof && !c->in->len)
        cond |= G_IO_IN;
    if (cond != c->cond) {
        g_source_modify_unix_fd(c->source, c->fd_tag, cond);
        c->cond = cond;
    }
}

/* The stream found a message or an error: answer it. */
static bool on_message(void *opaque, const char *msg, size_t len, const char *error)
{
    struct qmp_client *c = opaque;
    g_autofree char *rsp = NULL;

    if (c->dead)
        return false;
    rsp = msg ? qmp_dispatch(&c->session, msg, len) : qmp_parse_error_response(error);
    client_send(c, rsp);
    return !c->dead && c->out->len < OUT_HIGH_WATER;
}

/* Dispatch what was read, as far as the output allows. */
static void client_parse(struct qmp_client *c)
{
    while (!c->dead && c->in->len && c->out->len < OUT_HIGH_WATER) {
        size_t used = qmp_stream_feed(c->stream, (const char *)c->in->data, c->in->len);

        if (c->dead)
            return;
        g_byte_array_remove_range(c->in, 0, (guint)used);
    }
}

static void client_read(struct qmp_client *c)
{
    guint8 buf[READ_CHUNK];
    ssize_t n;

    if (c->in->len || c->eof)
        return;     /* held back: output first */
    n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            client_kill(c);
        return;
    }
    if (n == 0) {
        /* a half-sent request dies with the connection; the VM never saw it */
        c->eof = true;
        return;
    }
    g_byte_array_append(c->in, buf, (guint)n);
    client_parse(c);
}

static void client_io(struct qmp_client *c, GIOCondition cond)
{
    if (cond & (G_IO_ERR | G_IO_NVAL)) {
        client_kill(c);
        return;
    }
    if (cond & G_IO_OUT) {
        client_write(c);
        if (c->in->len && c->out->len < OUT_HIGH_WATER)
            client_parse(c);
    }
    if (cond & G_IO_IN)
        client_read(c);
    if (!c->dead && (cond & G_IO_HUP) && !(cond & G_IO_IN)) {
        /* both directions closed: nobody is left to answer */
        client_kill(c);
        return;
    }
    client_update(c);
}

static gboolean client_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    struct qmp_client *c = ((struct client_source *)source)->client;

    client_io(c, g_source_query_unix_fd(source, c->fd_tag));
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs client_source_funcs = {
    .dispatch = client_dispatch,
};

static int live_clients(void)
{
    int n = 0;

    for (guint i = 0; i < clients->len; i++)
        n += !((struct qmp_client *)g_ptr_array_index(clients, i))->dead;
    return n;
}

static void client_new(int fd)
{
    struct qmp_client *c = g_new0(struct qmp_client, 1);
    g_autofree char *greeting = qmp_greeting();
    int one = 1;

    /* small request/response traffic: do not wait to fill a segment */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->session.ms = machine;
    c->stream = qmp_stream_new(on_message, c, QMP_MAX_MESSAGE, QMP_MAX_NESTING);
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->source = g_source_new(&client_source_funcs, sizeof(struct client_source));
    ((struct client_source *)c->source)->client = c;
    c->cond = G_IO_IN | G_IO_HUP | G_IO_ERR;
    c->fd_tag = g_source_add_unix_fd(c->source, fd, c->cond);
    g_source_attach(c->source, NULL);
    g_ptr_array_add(clients, c);
    client_send(c, greeting);
    client_update(c);
}

/* ---- listeners ---- */

static gboolean on_accept(gint fd, GIOCondition cond, gpointer opaque);

static gboolean resume_accept(gpointer opaque)
{
    struct qmp_listener *l = opaque;

    l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
    return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer opaque)
{
    struct qmp_listener *l = opaque;

    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return G_SOURCE_CONTINUE;
            /* out of descriptors: the socket stays readable, so do not spin */
            warn_report("-qmp %s: accept: %s", l->spec, strerror(errno));
            l->watch = 0;
            g_timeout_add(ACCEPT_RETRY_MS, resume_accept, l);
            return G_SOURCE_REMOVE;
        }
        if (live_clients() >= MAX_CLIENTS) {
            close(cfd);     /* the client sees the connection closed at once */
            continue;
        }
        client_new(cfd);
    }
}

/* -qmp ...,wait=on: like QEMU, the VM does not start before a client is there. */
static int wait_for_client(struct qmp_listener *l, GError **errp)
{
    struct pollfd p = { .fd = l->fd, .events = POLLIN };

    fprintf(stderr, "qemu-vmm: -qmp %s: waiting for a client to connect\n", l->spec);
    for (;;) {
        int cfd;

        if (poll(&p, 1, -1) < 0 && errno != EINTR) {
            int err = errno;

            g_set_error(errp, G_IO_ERROR, g_io_error_from_errno(err), "-qmp %s: %s",
                        l->spec, strerror(err));
            return -err;
        }
        cfd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd >= 0) {
            client_new(cfd);
            return 0;
        }
    }
}

static int fail(GError **errp, int err, const char *spec, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static int fail(GError **errp, int err, const char *spec, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-qmp %s: %s", spec, msg);
    return -err;
}

static int parse_addr(const char *spec, const char *addr, struct qmp_spec *out, GError **errp)
{
    if (g_str_has_prefix(addr, "unix:")) {
        const char *path = addr + strlen("unix:");

        if (!*path)
            return fail(errp, EINVAL, spec, "the socket path is empty");
        if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
            return fail(errp, ENAMETOOLONG, spec, "the socket path is too long (at most %zu bytes)",
                        sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
        out->is_unix = true;
        out->path = g_strdup(path);
        return 0;
    }
    if (g_str_has_prefix(addr, "tcp:")) {
        const char *hostport = addr + strlen("tcp:");
        const char *colon = strrchr(hostport, ':');
        uint64_t port;

        if (!colon || parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535)
            return fail(errp, EINVAL, spec, "expected tcp:HOST:PORT with a port from 1 to 65535");
        out->host = g_strndup(hostport, (gsize)(colon - hostport));
        /* [::1] is how an IPv6 address is written with a port */
        if (out->host[0] == '[' && g_str_has_suffix(out->host, "]")) {
            char *inner = g_strndup(out->host + 1, strlen(out->host) - 2);

            g_free(out->host);
            out->host = inner;
        }
        out->port = g_strdup(colon + 1);
        return 0;
    }
    return fail(errp, EINVAL, spec, "expected unix:PATH or tcp:HOST:PORT");
}

static int parse_spec(const char *spec, struct qmp_spec *out, GError **errp)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) kv = keyval_parse(spec, "addr", &err);
    const char *addr, *server, *wait;
    GHashTableIter it;
    gpointer k, v;
    bool b;

    if (!kv)
        return fail(errp, EINVAL, spec, "%s", err->message);
    g_hash_table_iter_init(&it, kv);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!strcmp(k, "addr") || !strcmp(k, "server") || !strcmp(k, "wait"))
            continue;
        if (!strcmp(k, "nodelay") && parse_bool(v, &b) == 0)
            continue;       /* always on */
        return fail(errp, EINVAL, spec, "unknown option '%s' (server, wait, nodelay)",
                    (char *)k);
    }
    addr = g_hash_table_lookup(kv, "addr");
    if (!addr)
        return fail(errp, EINVAL, spec, "expected unix:PATH or tcp:HOST:PORT");
    server = g_hash_table_lookup(kv, "server");
    if (!server || parse_bool(server, &b) < 0 || !b)
        return fail(errp, EINVAL, spec,
                    "qemu-vmm only listens for QMP clients: add server=on");
    wait = g_hash_table_lookup(kv, "wait");
    out->wait = true;
    if (wait && parse_bool(wait, &out->wait) < 0)
        return fail(errp, EINVAL, spec, "wait=%s: expected on or off", wait);
    return parse_addr(spec, addr, out, errp);
}

static void spec_clear(struct qmp_spec *s)
{
    g_free(s->path);
    g_free(s->host);
    g_free(s->port);
}

static int listen_unix(const char *spec, const char *path, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, err;

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fail(errp, EEXIST, spec, "%s exists and is not a socket", path);
        unlink(path);   /* left by an earlier run: QEMU replaces it too */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail(errp, errno, spec, "socket: %s", strerror(errno));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = errno;
        close(fd);
        return fail(errp, err, spec, "cannot bind %s: %s", path, strerror(err));
    }
    g_ptr_array_add(unix_paths, g_strdup(path));
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        err = errno;
        close(fd);
        return fail(errp, err, spec, "listen: %s", strerror(err));
    }
    return fd;
}

static int listen_tcp(const char *spec, const char *host, const char *port, GError **errp)
{
    struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *ai;
    int fd = -1, err = 0, rc, one = 1;

    rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc)
        return fail(errp, EINVAL, spec, "cannot resolve '%s': %s", host, gai_strerror(rc));
    /* the first address that works, as QEMU does */
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return fail(errp, err ? err : EADDRNOTAVAIL, spec, "cannot listen on %s:%s: %s",
                    host, port, strerror(err ? err : EADDRNOTAVAIL));
    return fd;
}

static void remove_unix_sockets(void)
{
    /* a forked child (-daemonize's parent never gets here) must not remove them */
    if (getpid() != owner_pid)
        return;
    for (guint i = 0; i < unix_paths->len; i++)
        unlink(g_ptr_array_index(unix_paths, i));
}

static bool path_taken(const char *path)
{
    for (guint i = 0; i < unix_paths->len; i++)
        if (!strcmp(g_ptr_array_index(unix_paths, i), path))
            return true;
    return false;
}

static int open_listener(const char *spec, GPtrArray *listeners, GError **errp)
{
    struct qmp_spec s = { 0 };
    struct qmp_listener *l;
    int fd;

    fd = parse_spec(spec, &s, errp);
    if (fd < 0)
        goto out;
    if (s.is_unix && path_taken(s.path)) {
        fd = fail(errp, EEXIST, spec, "%s is already used by another -qmp", s.path);
        goto out;
    }
    fd = s.is_unix ? listen_unix(spec, s.path, errp) : listen_tcp(spec, s.host, s.port, errp);
    if (fd < 0)
        goto out;
    l = g_new0(struct qmp_listener, 1);
    l->spec = g_strdup(spec);
    l->fd = fd;
    l->wait = s.wait;
    g_ptr_array_add(listeners, l);
    fd = 0;
out:
    spec_clear(&s);
    return fd;
}

int monitor_init(MachineState *ms, GPtrArray *qmp_specs, GError **errp)
{
    static GPtrArray *listeners;     /* struct qmp_listener *, for the process's life */

    if (!qmp_specs->len)
        return 0;
    machine = ms;
    clients = g_ptr_array_new();
    listeners = g_ptr_array_new();
    unix_paths = g_ptr_array_new_with_free_func(g_free);
    owner_pid = getpid();
    atexit(remove_unix_sockets);

    for (guint i = 0; i < qmp_specs->len; i++) {
        int ret = open_listener(g_ptr_array_index(qmp_specs, i), listeners, errp);

        if (ret < 0)
            return ret;
    }
    qmp_events_init();
    for (guint i = 0; i < listeners->len; i++) {
        struct qmp_listener *l = g_ptr_array_index(listeners, i);

        l->watch = g_unix_fd_add(l->fd, G_IO_IN, on_accept, l);
    }
    for (guint i = 0; i < listeners->len; i++) {
        struct qmp_listener *l = g_ptr_array_index(listeners, i);
        int ret = l->wait ? wait_for_client(l, errp) : 0;

        if (ret < 0)
            return ret;
    }
    return 0;
}

void qmp_server_broadcast(const char *line)
{
    for (guint i = 0; clients && i < clients->len; i++) {
        struct qmp_client *c = g_ptr_array_index(clients, i);

        /* as QEMU: no events before capabilities negotiation */
        if (c->dead || !c->session.negotiated)
            continue;
        client_send(c, line);
        client_update(c);
    }
}

void qmp_server_flush(int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (guint i = 0; clients && i < clients->len; i++) {
        struct qmp_client *c = g_ptr_array_index(clients, i);

        while (!c->dead && c->out->len) {
            gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };

            if (left_ms <= 0)
                return;
            if (poll(&p, 1, (int)left_ms) < 0 && errno != EINTR)
                break;
            client_write(c);
        }
    }
}
