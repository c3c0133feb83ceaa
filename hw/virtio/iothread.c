/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio devices' I/O threads: one epoll loop per device.
 *
 * Handlers removed while the loop runs are only marked dead and freed
 * between iterations: an event for them may already sit in the batch
 * epoll_wait() returned.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/sandbox.h"
#include "qemu-vmm/virtio-iothread.h"

#define MAX_EVENTS 32

struct virtio_fd_handler {
    int fd;
    virtio_fd_fn fn;
    void *opaque;
    bool dead;
};

struct virtio_iothread {
    char *name;
    int epfd;
    int stop_fd;
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;   /* handlers, dead */
    GPtrArray *handlers;
    GPtrArray *dead;
};

static void reap(struct virtio_iothread *t)
{
    pthread_mutex_lock(&t->lock);
    g_ptr_array_set_size(t->dead, 0);   /* the free function releases them */
    pthread_mutex_unlock(&t->lock);
}

static void *iothread_run(void *opaque)
{
    struct virtio_iothread *t = opaque;
    struct epoll_event ev[MAX_EVENTS];

    pthread_setname_np(pthread_self(), t->name);
    sandbox_thread_start(SANDBOX_IOTHREAD, t->name, -1);
    for (;;) {
        int n = epoll_wait(t->epfd, ev, MAX_EVENTS, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            error_report("%s: epoll_wait: %s", t->name, strerror(errno));
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            struct virtio_fd_handler *h = ev[i].data.ptr;
            bool dead;

            if (!h)
                return NULL;    /* the stop eventfd */
            pthread_mutex_lock(&t->lock);
            dead = h->dead;
            pthread_mutex_unlock(&t->lock);
            if (!dead)
                h->fn(h->opaque, ev[i].events);
        }
        reap(t);
    }
}

struct virtio_iothread *virtio_iothread_new(const char *name, GError **errp)
{
    struct virtio_iothread *t = g_new0(struct virtio_iothread, 1);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    int ret;

    t->name = g_strndup(name, 15);      /* the kernel's limit for thread names */
    t->handlers = g_ptr_array_new();
    t->dead = g_ptr_array_new_with_free_func(g_free);
    pthread_mutex_init(&t->lock, NULL);
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->epfd < 0 || t->stop_fd < 0 ||
        epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_fd, &ev) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot create the I/O thread's epoll set: %s", name,
                    strerror(errno));
        virtio_iothread_free(t);
        return NULL;
    }
    ret = pthread_create(&t->thread, NULL, iothread_run, t);
    if (ret) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "%s: cannot start the I/O thread: %s", name, strerror(ret));
        virtio_iothread_free(t);
        return NULL;
    }
    t->running = true;
    return t;
}

void virtio_iothread_free(struct virtio_iothread *t)
{
    if (!t)
        return;
    if (t->running) {
        uint64_t one = 1;

        if (write(t->stop_fd, &one, sizeof(one)) < 0)
            error_report("%s: cannot stop the I/O thread: %s", t->name, strerror(errno));
        pthread_join(t->thread, NULL);
    }
    if (t->epfd >= 0)
        close(t->epfd);
    if (t->stop_fd >= 0)
        close(t->stop_fd);
    g_ptr_array_set_size(t->dead, 0);
    g_ptr_array_free(t->dead, TRUE);
    for (guint i = 0; i < t->handlers->len; i++)
        g_free(g_ptr_array_index(t->handlers, i));
    g_ptr_array_free(t->handlers, TRUE);
    g_free(t->name);
    g_free(t);
}

struct virtio_fd_handler *virtio_iothread_add_fd(struct virtio_iothread *t, int fd,
                                                 uint32_t events, virtio_fd_fn fn,
                                                 void *opaque, GError **errp)
{
    struct virtio_fd_handler *h = g_new0(struct virtio_fd_handler, 1);
    struct epoll_event ev = { .events = events };

    h->fd = fd;
    h->fn = fn;
    h->opaque = opaque;
    ev.data.ptr = h;
    pthread_mutex_lock(&t->lock);
    g_ptr_array_add(t->handlers, h);
    pthread_mutex_unlock(&t->lock);
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot watch fd %d: %s", t->name, fd, strerror(errno));
        pthread_mutex_lock(&t->lock);
        g_ptr_array_remove(t->handlers, h);
        pthread_mutex_unlock(&t->lock);
        g_free(h);
        return NULL;
    }
    return h;
}

int virtio_iothread_mod_fd(struct virtio_iothread *t, struct virtio_fd_handler *h,
                           uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = h };

    return epoll_ctl(t->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0 ? -errno : 0;
}

void virtio_iothread_del_fd(struct virtio_iothread *t, struct virtio_fd_handler *h)
{
    if (!h)
        return;
    epoll_ctl(t->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    pthread_mutex_lock(&t->lock);
    h->dead = true;
    g_ptr_array_remove(t->handlers, h);
    g_ptr_array_add(t->dead, h);
    pthread_mutex_unlock(&t->lock);
}
