/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --expect / --expect-timeout; see include/qemu-vmm/expect.h.
 *
 * Output is matched line by line (a line is matched when it is complete,
 * and the unfinished last line too, so a prompt without a newline matches).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "qemu-vmm/expect.h"
#include "qemu-vmm/log.h"
#include "qemu-vmm/runstate.h"

#define LINE_MAX_LEN 4096

static GRegex *expect_re;
static GRegex *panic_re;
static GString *line;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool active, done;
static unsigned int timeout_s;

static gboolean on_timeout(gpointer data)
{
    pthread_mutex_lock(&lock);
    if (!done) {
        done = true;
        error_report("--expect-timeout: no match for the expected output after %u seconds",
                     timeout_s);
        vm_request_exit(SHUTDOWN_CAUSE_HOST_SIGNAL, EXIT_EXPECT_TIMEOUT);
    }
    pthread_mutex_unlock(&lock);
    return G_SOURCE_REMOVE;
}

int expect_init(const char *regex, unsigned int timeout, GError **errp)
{
    if (regex) {
        expect_re = g_regex_new(regex, G_REGEX_OPTIMIZE, 0, errp);
        if (!expect_re)
            return -EINVAL;
    }
    if (!regex && !timeout)
        return 0;
    active = true;
    panic_re = g_regex_new("Kernel panic - not syncing", 0, 0, NULL);
    line = g_string_new(NULL);
    timeout_s = timeout;
    if (timeout)
        g_timeout_add(timeout * 1000, on_timeout, NULL);
    return 0;
}

bool expect_active(void)
{
    return active;
}

/* Called with lock held on the current (possibly partial) line. */
static void check_line(void)
{
    if (done)
        return;
    if (expect_re && g_regex_match(expect_re, line->str, 0, NULL)) {
        done = true;
        vm_request_exit(SHUTDOWN_CAUSE_GUEST_SHUTDOWN, EXIT_OK);
    } else if (g_regex_match(panic_re, line->str, 0, NULL)) {
        done = true;
        error_report("--expect: the guest kernel panicked");
        vm_request_exit(SHUTDOWN_CAUSE_GUEST_PANIC, EXIT_GUEST_PANIC);
    }
}

void expect_feed(const char *buf, size_t len)
{
    if (!active)
        return;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < len && !done; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') {
            check_line();
            g_string_truncate(line, 0);
            continue;
        }
        if (line->len < LINE_MAX_LEN)
            g_string_append_c(line, buf[i]);
    }
    if (line->len)
        check_line();
    pthread_mutex_unlock(&lock);
}
