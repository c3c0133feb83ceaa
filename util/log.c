/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <glib.h>

#include "qemu-vmm/log.h"

unsigned int log_mask;
static FILE *log_file;

static const struct {
    const char *name;
    unsigned int mask;
    const char *help;
} categories[] = {
    { "unimp", LOG_UNIMP, "accesses to unowned or unimplemented device addresses" },
    { "guest_errors", LOG_GUEST_ERROR, "invalid guest accesses (bad widths, offsets, descriptors)" },
    { "kvm", LOG_KVM, "KVM exits and vCPU state changes" },
    { "memory", LOG_MEMORY, "memory slot changes" },
    { "irq", LOG_IRQ, "interrupt routing changes" },
    { "migration", LOG_MIGRATION, "migration: each pass, and the steps while the guest is stopped" },
};

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
    fprintf(stderr, "qemu-vmm: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

void vmm_log(unsigned int category, const char *fmt, ...)
{
    va_list ap;
    FILE *out = log_file ? log_file : stderr;

    if (!log_enabled(category))
        return;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

int log_parse_categories(const char *list, unsigned int *mask)
{
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    unsigned int m = 0;

    for (char **n = names; *n; n++) {
        size_t i;

        if (!**n)
            continue;
        for (i = 0; i < G_N_ELEMENTS(categories); i++) {
            if (!strcmp(*n, categories[i].name)) {
                m |= categories[i].mask;
                break;
            }
        }
        if (i == G_N_ELEMENTS(categories)) {
            error_report("-d: unknown log category '%s' (try -d help)", *n);
            return -EINVAL;
        }
    }
    *mask = m;
    return 0;
}

void log_print_categories(FILE *out)
{
    fprintf(out, "Log categories for -d:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(categories); i++)
        fprintf(out, "%-14s %s\n", categories[i].name, categories[i].help);
}

int log_set_file(const char *path)
{
    FILE *f = fopen(path, "a");

    if (!f) {
        int err = errno;

        error_report("-D: cannot open log file '%s': %s", path, strerror(err));
        return -err;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_file = f;
    return 0;
}
