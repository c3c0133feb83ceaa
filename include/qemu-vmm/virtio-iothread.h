/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An I/O thread for a virtio device: an epoll loop that waits on the
 * queues' kick eventfds, the interrupt resample fd and the backend's fds,
 * so that no device work runs on a vCPU thread or the main loop.
 */
#ifndef QEMU_VMM_VIRTIO_IOTHREAD_H
#define QEMU_VMM_VIRTIO_IOTHREAD_H

#include <stdint.h>
#include <glib.h>

struct virtio_iothread;
struct virtio_fd_handler;

/* Called on the I/O thread with the epoll events that fired. */
typedef void (*virtio_fd_fn)(void *opaque, uint32_t events);

/* Create and start the thread ("name" shows in top/gdb). */
struct virtio_iothread *virtio_iothread_new(const char *name, GError **errp);
/* Stop and join the thread; handlers are freed. */
void virtio_iothread_free(struct virtio_iothread *t);

/*
 * Watch fd for events (EPOLLIN, EPOLLOUT...; level-triggered).  May be
 * called from any thread, including from a handler.
 */
struct virtio_fd_handler *virtio_iothread_add_fd(struct virtio_iothread *t, int fd,
                                                 uint32_t events, virtio_fd_fn fn,
                                                 void *opaque, GError **errp);
/* Change the events watched (e.g. EPOLLOUT only while output is pending). */
int virtio_iothread_mod_fd(struct virtio_iothread *t, struct virtio_fd_handler *h,
                           uint32_t events);
/*
 * Stop watching; the handler is not called again once this returns on the
 * I/O thread itself, or once the current loop iteration ends elsewhere.
 * The fd is not closed.
 */
void virtio_iothread_del_fd(struct virtio_iothread *t, struct virtio_fd_handler *h);

#endif
