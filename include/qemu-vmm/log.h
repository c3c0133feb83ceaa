/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Error and debug logging.
 *
 * error_report() is for messages the user must see (one line, prefixed with
 * the program name).  vmm_log() is for debug categories enabled with -d; the
 * output goes to stderr or the -D log file.
 */
#ifndef QEMU_VMM_LOG_H
#define QEMU_VMM_LOG_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

enum log_category {
    LOG_UNIMP   = 1 << 0,   /* guest touched something we do not model */
    LOG_GUEST_ERROR = 1 << 1, /* guest did something architecturally wrong */
    LOG_KVM     = 1 << 2,   /* KVM exits and ioctls */
    LOG_MEMORY  = 1 << 3,   /* memory slot changes */
    LOG_IRQ     = 1 << 4,   /* interrupt routing */
    LOG_MIGRATION = 1 << 5, /* migration passes and the stop-and-copy steps */
};

extern unsigned int log_mask;

void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmm_log(unsigned int category, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline bool log_enabled(unsigned int category)
{
    return (log_mask & category) != 0;
}
/* Parse "-d unimp,guest_errors,...". Returns 0 or -EINVAL. */
int log_parse_categories(const char *list, unsigned int *mask);
/* Print the list of categories for "-d help". */
void log_print_categories(FILE *out);
/* Send log output to a file (-D); NULL means stderr. */
int log_set_file(const char *path);

#endif
