/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console (VIRTIO 1.2, 5.3) with one port, the console (hvc0 in a
 * Linux guest), and the character backends it can sit on: stdio, a file,
 * nothing, or a unix socket (server or client).
 */
#ifndef QEMU_VMM_VIRTIO_CONSOLE_H
#define QEMU_VMM_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/virtio-dev.h"
#include "qemu-vmm/virtio-iothread.h"

enum vcon_chr_kind { VCON_CHR_NULL, VCON_CHR_STDIO, VCON_CHR_FILE, VCON_CHR_SOCKET };

/* A parsed -chardev option. */
struct vcon_chr_conf {
    enum vcon_chr_kind kind;
    const char *id;
    const char *path;       /* FILE, SOCKET */
    bool server;            /* SOCKET: listen on path (else connect to it) */
    bool wait;              /* SOCKET server: wait for a client before starting */
};

struct vcon_chr;

/* Open the backend (a socket server starts listening). */
struct vcon_chr *vcon_chr_open(const struct vcon_chr_conf *conf, GError **errp);
/*
 * Start watching the backend's fds on io.  notify(opaque) is called, from
 * any thread, when input arrives or output that would block can go on.
 */
int vcon_chr_attach(struct vcon_chr *c, struct virtio_iothread *io,
                    void (*notify)(void *opaque), void *opaque, GError **errp);
/*
 * Write up to len bytes; returns how many were taken.  Fewer than len: the
 * rest would block, notify comes when it can go on.  Output with nobody
 * connected is dropped (all taken).
 */
size_t vcon_chr_write(struct vcon_chr *c, const void *buf, size_t len);
/* Take up to max bytes of pending input. */
size_t vcon_chr_read(struct vcon_chr *c, void *buf, size_t max);
/* After the I/O thread it was attached to has stopped. */
void vcon_chr_free(struct vcon_chr *c);

/* The device; chr may be NULL (a virtio-serial-device without virtconsole). */
struct virtio_device *virtio_console_create(const char *name, AddressSpace *as,
                                            struct vcon_chr *chr, GError **errp);
void virtio_console_free(struct virtio_device *vdev);

#endif
