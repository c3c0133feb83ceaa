/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scripted boots: --expect REGEX ends qemu-vmm with 0 as soon as the serial
 * console output matches; --expect-timeout SECONDS ends it with
 * EXIT_EXPECT_TIMEOUT if that has not happened in time.  While expecting,
 * a guest kernel panic on the console ends it with EXIT_GUEST_PANIC.
 */
#ifndef QEMU_VMM_EXPECT_H
#define QEMU_VMM_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Either may be NULL / 0. Returns -EINVAL with errp set for a bad regex. */
int expect_init(const char *regex, unsigned int timeout_s, GError **errp);
/* Console output, from any thread (a chardev tap). */
void expect_feed(const char *buf, size_t len);
/* Whether --expect or --expect-timeout was given. */
bool expect_active(void);

#endif
