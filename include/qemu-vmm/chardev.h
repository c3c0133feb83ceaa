/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backends for serial ports and consoles: stdio, a file, none.
 *
 * Output is written at once (the writer's thread blocks if the reader is
 * slow).  Input (stdio only) is read by the main loop into a bounded buffer;
 * the device is told there is input and pulls it when it has room, as a
 * UART's FIFO drains.  On a terminal, stdio is put in raw mode and Ctrl-A x
 * quits, Ctrl-A Ctrl-A sends a Ctrl-A, as in QEMU's -nographic.
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
/* Called (main thread) when input arrives; the device then calls chardev_read. */
void chardev_set_input_handler(struct chardev *c, void (*fn)(void *opaque), void *opaque);
/* Take up to max bytes of pending input (any thread). */
size_t chardev_read(struct chardev *c, void *buf, size_t max);
/* Everything written is also passed to tap (e.g. --expect matching). */
void chardev_set_tap(struct chardev *c, void (*tap)(const char *buf, size_t len));

#endif
