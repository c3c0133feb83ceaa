/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backends of virtio-console: stdio, file and null go through
 * hw/char's chardev (input arrives on the main loop); a unix socket is
 * handled here, on the device's I/O thread.
 *
 * A socket takes one client at a time.  Input is buffered up to INBUF
 * bytes; beyond that the socket is not read (the client's writes block),
 * which is the flow control a slow guest gets.  Output is non-blocking: what
 * the socket does not take now is retried when it becomes writable, so a
 * client that stops reading stalls the guest's console, never a thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu-vmm/chardev.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/virtio-console.h"

#define INBUF 4096

struct vcon_chr {
    enum vcon_chr_kind kind;
    struct chardev *chr;        /* NULL, STDIO, FILE */
    void (*notify)(void *opaque);
    void *opaque;

    /* SOCKET */
    pthread_mutex_t lock;
    char *path;
    bool server;
    int listen_fd, conn_fd;
    struct virtio_iothread *io;
    struct virtio_fd_handler *listen_h, *conn_h;
    uint32_t conn_events;
    uint8_t inbuf[INBUF];
    size_t in_len;
};

static void notify(struct vcon_chr *c)
{
    if (c->notify)
        c->notify(c->opaque);
}

static void on_chardev_input(void *opaque)
{
    notify(opaque);
}

/* ---- sockets (c->lock held) ---- */

static void set_conn_events(struct vcon_chr *c, uint32_t events)
{
    if (c->conn_h && events != c->conn_events &&
        virtio_iothread_mod_fd(c->io, c->conn_h, events) == 0)
        c->conn_events = events;
}

static uint32_t wanted_events(struct vcon_chr *c, bool out)
{
    return (c->in_len < INBUF ? EPOLLIN : 0) | (out ? EPOLLOUT : 0);
}

static void disconnect(struct vcon_chr *c)
{
    if (c->conn_fd < 0)
        return;
    virtio_iothread_del_fd(c->io, c->conn_h);
    c->conn_h = NULL;
    close(c->conn_fd);
    c->conn_fd = -1;
}

static void on_conn(void *opaque, uint32_t events)
{
    struct vcon_chr *c = opaque;
    bool told = false, gone = events & (EPOLLHUP | EPOLLERR);

    pthread_mutex_lock(&c->lock);
    if (c->conn_fd < 0) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    /* after a hang-up, take what the client sent before it went */
    while ((events & (EPOLLIN | EPOLLHUP)) && c->in_len < INBUF) {
        ssize_t n = read(c->conn_fd, c->inbuf + c->in_len, INBUF - c->in_len);

        if (n > 0) {
            c->in_len += (size_t)n;
            told = true;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            gone = true;
        if (n == 0 || errno != EINTR)
            break;
    }
    if (gone) {
        disconnect(c);
        told = true;    /* pending output is dropped now: let the device go on */
    } else {
        /* EPOLLOUT is wanted again only if a write comes up short */
        if (events & EPOLLOUT)
            told = true;
        set_conn_events(c, wanted_events(c, (c->conn_events & EPOLLOUT) &&
                                            !(events & EPOLLOUT)));
    }
    pthread_mutex_unlock(&c->lock);
    if (told)
        notify(c);
}

static int watch_conn(struct vcon_chr *c, int fd)
{
    g_autoptr(GError) err = NULL;

    c->conn_fd = fd;
    c->conn_events = wanted_events(c, false);
    c->conn_h = virtio_iothread_add_fd(c->io, fd, c->conn_events, on_conn, c, &err);
    if (!c->conn_h) {
        warn_report("chardev %s: %s", c->path, err->message);
        close(fd);
        c->conn_fd = -1;
        return -EIO;
    }
    return 0;
}

static void on_listen(void *opaque, uint32_t events)
{
    struct vcon_chr *c = opaque;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)events;
    if (fd < 0)
        return;
    pthread_mutex_lock(&c->lock);
    if (c->conn_fd >= 0) {
        close(fd);      /* one client at a time, as QEMU's socket chardev */
    } else {
        c->in_len = 0;
        watch_conn(c, fd);
    }
    pthread_mutex_unlock(&c->lock);
    notify(c);
}

static int open_socket(struct vcon_chr *c, const struct vcon_chr_conf *conf, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(conf->path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "socket path '%s' is too long", conf->path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, conf->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (conf->server) {
        /* a stale socket of an earlier run is replaced; any other file is not */
        if (lstat(conf->path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(conf->path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
            goto fail;
        c->listen_fd = fd;
        if (conf->wait) {
            fprintf(stderr, "qemu-vmm: waiting for a connection on %s\n", conf->path);
            fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                goto fail;
            c->conn_fd = fd;
        }
    } else {
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            goto fail;
        c->conn_fd = fd;
    }
    if (c->conn_fd >= 0)
        fcntl(c->conn_fd, F_SETFL, fcntl(c->conn_fd, F_GETFL) | O_NONBLOCK);
    return 0;
fail:
    g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                "cannot %s unix socket '%s': %s", conf->server ? "listen on" : "connect to",
                conf->path, strerror(errno));
    if (fd >= 0 && fd != c->listen_fd)
        close(fd);
    return -errno;
}

/* ---- the interface ---- */

struct vcon_chr *vcon_chr_open(const struct vcon_chr_conf *conf, GError **errp)
{
    struct vcon_chr *c = g_new0(struct vcon_chr, 1);
    g_autofree char *spec = NULL;

    c->kind = conf->kind;
    c->listen_fd = c->conn_fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    switch (conf->kind) {
    case VCON_CHR_SOCKET:
        c->path = g_strdup(conf->path);
        c->server = conf->server;
        if (open_socket(c, conf, errp) < 0) {
            vcon_chr_free(c);
            return NULL;
        }
        return c;
    case VCON_CHR_STDIO:
        spec = g_strdup("stdio");
        break;
    case VCON_CHR_FILE:
        spec = g_strdup_printf("file:%s", conf->path);
        break;
    default:
        spec = g_strdup("none");
        break;
    }
    c->chr = chardev_open(spec, errp);
    if (!c->chr) {
        vcon_chr_free(c);
        return NULL;
    }
    return c;
}

int vcon_chr_attach(struct vcon_chr *c, struct virtio_iothread *io,
                    void (*fn)(void *opaque), void *opaque, GError **errp)
{
    c->notify = fn;
    c->opaque = opaque;
    c->io = io;
    if (c->kind != VCON_CHR_SOCKET) {
        if (c->kind == VCON_CHR_STDIO)
            chardev_set_input_handler(c->chr, on_chardev_input, c);
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    if (c->listen_fd >= 0) {
        c->listen_h = virtio_iothread_add_fd(io, c->listen_fd, EPOLLIN, on_listen, c, errp);
        if (!c->listen_h) {
            pthread_mutex_unlock(&c->lock);
            return -EIO;
        }
    }
    if (c->conn_fd >= 0) {
        int fd = c->conn_fd;

        c->conn_fd = -1;
        watch_conn(c, fd);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

size_t vcon_chr_write(struct vcon_chr *c, const void *buf, size_t len)
{
    ssize_t n;

    if (c->kind != VCON_CHR_SOCKET) {
        chardev_write(c->chr, buf, len);
        return len;
    }
    pthread_mutex_lock(&c->lock);
    if (c->conn_fd < 0) {
        pthread_mutex_unlock(&c->lock);
        return len;
    }
    do {
        n = send(c->conn_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
        disconnect(c);
        n = (ssize_t)len;
    } else if (n < 0 || (size_t)n < len) {
        set_conn_events(c, wanted_events(c, true));
        n = n < 0 ? 0 : n;
    }
    pthread_mutex_unlock(&c->lock);
    return (size_t)n;
}

size_t vcon_chr_read(struct vcon_chr *c, void *buf, size_t max)
{
    size_t n;

    if (c->kind != VCON_CHR_SOCKET)
        return c->kind == VCON_CHR_STDIO ? chardev_read(c->chr, buf, max) : 0;
    pthread_mutex_lock(&c->lock);
    n = MIN(max, c->in_len);
    memcpy(buf, c->inbuf, n);
    memmove(c->inbuf, c->inbuf + n, c->in_len - n);
    c->in_len -= n;
    if (n && c->conn_fd >= 0)
        set_conn_events(c, wanted_events(c, c->conn_events & EPOLLOUT));
    pthread_mutex_unlock(&c->lock);
    return n;
}

void vcon_chr_free(struct vcon_chr *c)
{
    if (!c)
        return;
    /* the I/O thread is gone by now, and with it the handlers */
    if (c->conn_fd >= 0)
        close(c->conn_fd);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    chardev_close(c->chr);
    g_free(c->path);
    g_free(c);
}
