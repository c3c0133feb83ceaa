/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "qemu-vmm/chardev.h"

struct chardev {
    int out_fd;     /* -1: output discarded */
    bool own_fd;
};

struct chardev *chardev_open(const char *spec, GError **errp)
{
    struct chardev *c = g_new0(struct chardev, 1);

    c->out_fd = -1;
    if (!strcmp(spec, "stdio")) {
        c->out_fd = STDOUT_FILENO;
    } else if (!strncmp(spec, "file:", 5)) {
        c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot open '%s': %s", spec + 5, strerror(errno));
            g_free(c);
            return NULL;
        }
        c->own_fd = true;
    } else if (strcmp(spec, "none")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "unknown character backend '%s' (stdio, none, file:PATH)", spec);
        g_free(c);
        return NULL;
    }
    return c;
}

void chardev_close(struct chardev *c)
{
    if (!c)
        return;
    if (c->own_fd)
        close(c->out_fd);
    g_free(c);
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
    const char *p = buf;

    if (!c || c->out_fd < 0)
        return;
    while (len) {
        ssize_t n = write(c->out_fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;     /* reader gone: the guest must not notice */
        p += n;
        len -= (size_t)n;
    }
}
