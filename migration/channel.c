/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a stream goes: tcp:HOST:PORT, unix:PATH, fd:N, file:PATH. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "migration/migration-internal.h"

static void set_err(GError **errp, const char *uri, const char *what, int err)
{
    g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s: %s",
                uri, what, g_strerror(err));
}

static int unix_socket(const char *path, bool listen_side, const char *uri, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        set_err(errp, uri, "socket path too long", ENAMETOOLONG);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (listen_side) {
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
            goto fail;
    } else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        goto fail;
    }
    return fd;
fail:
    set_err(errp, uri, listen_side ? "cannot listen" : "cannot connect", errno);
    if (fd >= 0)
        close(fd);
    return -errno;
}

static int tcp_socket(const char *hostport, bool listen_side, const char *uri, GError **errp)
{
    g_autofree char *host = NULL;
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = listen_side ? AI_PASSIVE : 0 };
    struct addrinfo *res = NULL, *ai;
    int fd = -1, ret, one = 1;

    if (!colon || !colon[1]) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: expected tcp:HOST:PORT", uri);
        return -EINVAL;
    }
    host = g_strndup(hostport, colon - hostport);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {   /* [::1] */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    ret = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
    if (ret) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", uri, gai_strerror(ret));
        return -EINVAL;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (listen_side) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
                break;
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        ret = errno;
        close(fd);
        fd = -1;
        errno = ret;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        set_err(errp, uri, listen_side ? "cannot listen" : "cannot connect", errno);
        return -errno;
    }
    return fd;
}

static int parse_fd(const char *s, const char *uri, GError **errp)
{
    char *end;
    long n = strtol(s, &end, 10);

    if (*s == '\0' || *end || n < 0 || n > 65535 || fcntl((int)n, F_GETFD) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_BADF, "%s: not an open file descriptor", uri);
        return -EBADF;
    }
    return (int)n;
}

/*
 * A deeper socket buffer: the sender can run ahead of the receiver by a few
 * MiB instead of ~200 KiB, so each side wakes the other far less often.
 * The kernel caps it (net.core.wmem_max / rmem_max); failing is harmless.
 */
void channel_set_buffer(int fd, bool sending)
{
    int size = CHANNEL_BUFFER_BYTES;

    setsockopt(fd, SOL_SOCKET, sending ? SO_SNDBUF : SO_RCVBUF, &size, sizeof(size));
}

static bool fd_is_socket(int fd)
{
    int type;
    socklen_t len = sizeof(type);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

int channel_open_outgoing(const char *uri, bool *is_socket, GError **errp)
{
    int fd;

    *is_socket = true;
    if (g_str_has_prefix(uri, "tcp:") || g_str_has_prefix(uri, "unix:")) {
        fd = uri[0] == 't' ? tcp_socket(uri + 4, false, uri, errp)
                           : unix_socket(uri + 5, false, uri, errp);
        if (fd >= 0)
            channel_set_buffer(fd, true);
        return fd;
    }
    if (g_str_has_prefix(uri, "fd:")) {
        fd = parse_fd(uri + 3, uri, errp);
        if (fd >= 0)
            *is_socket = fd_is_socket(fd);
        return fd;
    }
    if (g_str_has_prefix(uri, "file:")) {
        *is_socket = false;
        fd = open(uri + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            set_err(errp, uri, "cannot create", errno);
            return -errno;
        }
        return fd;
    }
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: unknown migration URI (tcp:HOST:PORT, unix:PATH, fd:N, file:PATH)", uri);
    return -EINVAL;
}

int channel_open_incoming(const char *uri, bool *needs_accept, GError **errp)
{
    int fd;

    *needs_accept = true;
    if (g_str_has_prefix(uri, "tcp:"))
        return tcp_socket(uri + 4, true, uri, errp);
    if (g_str_has_prefix(uri, "unix:"))
        return unix_socket(uri + 5, true, uri, errp);
    *needs_accept = false;
    if (g_str_has_prefix(uri, "fd:"))
        return parse_fd(uri + 3, uri, errp);
    if (g_str_has_prefix(uri, "file:")) {
        fd = open(uri + 5, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            set_err(errp, uri, "cannot open", errno);
            return -errno;
        }
        return fd;
    }
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: unknown incoming URI (tcp:HOST:PORT, unix:PATH, fd:N, file:PATH, defer)",
                uri);
    return -EINVAL;
}
