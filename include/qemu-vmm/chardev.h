/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backends for serial ports and consoles: stdio, a file, none.
 */
#ifndef QEMU_VMM_CHARDEV_H
#define QEMU_VMM_CHARDEV_H

#include <stddef.h>
#include <glib.h>

struct chardev;

/* "stdio", "none", "file:PATH" */
struct chardev *chardev_open(const char *spec, GError **errp);
void chardev_close(struct chardev *c);
/* Write all of buf (blocking); output to a closed reader is dropped. */
void chardev_write(struct chardev *c, const void *buf, size_t len);

#endif
