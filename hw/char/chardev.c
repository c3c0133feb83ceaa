/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib-unix.h>

#include "qemu-vmm/chardev.h"
#include "qemu-vmm/runstate.h"

#define INPUT_MAX   4096    /* beyond this, input is dropped like a UART overrun */
#define ESCAPE_CHAR 0x01    /* Ctrl-A */

struct chardev {
    int out_fd;             /* -1: output discarded */
    int in_fd;              /* -1: no input */
    bool own_fd;
    pthread_mutex_t lock;
    GByteArray *input;
    void (*on_input)(void *opaque);
    void *opaque;
    void (*tap)(const char *buf, size_t len);
    bool escape;            /* the last byte typed was Ctrl-A */
    bool is_tty;
};

static struct termios saved_tty;
static bool tty_saved;

static void restore_tty(void)
{
    if (tty_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
}

/* Raw input, but keep output post-processing so "\n" still returns the carriage. */
static void make_tty_raw(void)
{
    struct termios t;

    if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
        return;
    tty_saved = true;
    atexit(restore_tty);
    t = saved_tty;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/* Ctrl-A x quits; Ctrl-A Ctrl-A is a literal Ctrl-A; others pass through. */
static size_t filter_escapes(struct chardev *c, uint8_t *buf, size_t n)
{
    size_t out = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];

        if (c->escape) {
            c->escape = false;
            if (ch == 'x') {
                restore_tty();
                fprintf(stderr, "qemu-vmm: terminating on Ctrl-A x\n");
                vm_request_exit(SHUTDOWN_CAUSE_HOST_SIGNAL, EXIT_OK);
                return out;
            }
            if (ch != ESCAPE_CHAR)
                continue;   /* unknown escape: swallowed */
        } else if (ch == ESCAPE_CHAR) {
            c->escape = true;
            continue;
        }
        buf[out++] = ch;
    }
    return out;
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer opaque)
{
    struct chardev *c = opaque;
    uint8_t buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) {
        c->in_fd = -1;      /* end of input: stop watching */
        return G_SOURCE_REMOVE;
    }
    if (n <= 0)
        return G_SOURCE_CONTINUE;
    if (c->is_tty)
        n = (ssize_t)filter_escapes(c, buf, (size_t)n);
    pthread_mutex_lock(&c->lock);
    g_byte_array_append(c->input, buf, (guint)MIN((size_t)n, INPUT_MAX - c->input->len));
    pthread_mutex_unlock(&c->lock);
    if (c->on_input)
        c->on_input(c->opaque);
    return G_SOURCE_CONTINUE;
}

struct chardev *chardev_open(const char *spec, GError **errp)
{
    struct chardev *c = g_new0(struct chardev, 1);

    c->out_fd = -1;
    c->in_fd = -1;
    c->input = g_byte_array_new();
    pthread_mutex_init(&c->lock, NULL);
    if (!strcmp(spec, "stdio")) {
        c->out_fd = STDOUT_FILENO;
        c->in_fd = STDIN_FILENO;
        c->is_tty = isatty(STDIN_FILENO);
        if (c->is_tty)
            make_tty_raw();
    } else if (!strncmp(spec, "file:", 5)) {
        c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (c->out_fd < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot open '%s': %s", spec + 5, strerror(errno));
            chardev_close(c);
            return NULL;
        }
        c->own_fd = true;
    } else if (strcmp(spec, "none")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "unknown character backend '%s' (stdio, none, file:PATH)", spec);
        chardev_close(c);
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
    g_byte_array_free(c->input, TRUE);
    g_free(c);
}

void chardev_set_input_handler(struct chardev *c, void (*fn)(void *opaque), void *opaque)
{
    c->on_input = fn;
    c->opaque = opaque;
    if (c->in_fd >= 0) {
        g_unix_set_fd_nonblocking(c->in_fd, TRUE, NULL);
        g_unix_fd_add(c->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, c);
    }
}

size_t chardev_read(struct chardev *c, void *buf, size_t max)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = MIN(max, (size_t)c->input->len);
    if (n) {    /* an empty array's data may be NULL: no memcpy() from it */
        memcpy(buf, c->input->data, n);
        g_byte_array_remove_range(c->input, 0, (guint)n);
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

void chardev_set_tap(struct chardev *c, void (*tap)(const char *buf, size_t len))
{
    c->tap = tap;
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
    const char *p = buf;

    if (!c)
        return;
    if (c->tap)
        c->tap(buf, len);
    if (c->out_fd < 0)
        return;
    while (len) {
        ssize_t n = write(c->out_fd, p, len);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return;     /* reader gone: the guest must not notice */
        p += n;
        len -= (size_t)n;
    }
}
