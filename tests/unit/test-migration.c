/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration logic without a VM.  When the source stops the guest: not
 * before what is left fits in the downtime limit; after that, only while
 * another pass still halves it (and is worth it, and at most a few more
 * passes).  Which pages the host backs (from /proc/self/pagemap): exactly
 * those written, and nothing claimed for memory that is not private and
 * anonymous.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"

#include "../../migration/migration-internal.h"

#define GB (1000ULL * 1000 * 1000)

static void test_limit_not_met(void)
{
    /* 100k pages (400 MiB) at 1 GB/s: 410 ms > 300 ms */
    struct pass_stats p = { .sent_pages = 150000, .pending_pages = 100000, .bandwidth = GB };

    g_assert_false(migration_converged(300, &p));
    g_assert_cmpuint(p.extra_passes, ==, 0);
    /* a longer limit: now it fits, and the pass did not halve it: stop */
    g_assert_true(migration_converged(500, &p));
}

static void test_extra_passes_while_shrinking(void)
{
    /* 5000 pages (20 MB at 2 GB/s: 10 ms) after sending 262144: halves fast */
    struct pass_stats p = { .sent_pages = 262144, .pending_pages = 5000, .bandwidth = 2 * GB };

    g_assert_false(migration_converged(300, &p));
    g_assert_cmpuint(p.extra_passes, ==, 1);
    /* the next pass: 5000 sent, 300 dirtied: 0.6 ms left, under the floor */
    p = (struct pass_stats){ .sent_pages = 5000, .pending_pages = 300, .bandwidth = 2 * GB,
                             .extra_passes = 1 };
    g_assert_true(migration_converged(300, &p));
}

static void test_stop_when_not_shrinking(void)
{
    /* 3000 sent, 2000 dirtied meanwhile: a pass does not halve it */
    struct pass_stats p = { .sent_pages = 3000, .pending_pages = 2000, .bandwidth = GB };

    g_assert_true(migration_converged(300, &p));
}

static void test_extra_pass_cap(void)
{
    struct pass_stats p = { .sent_pages = 100000, .pending_pages = 10000, .bandwidth = GB };

    for (int i = 0; i < 4; i++)
        g_assert_false(migration_converged(300, &p));
    g_assert_cmpuint(p.extra_passes, ==, 4);
    g_assert_true(migration_converged(300, &p));
}

static void test_nothing_sent(void)
{
    struct pass_stats p = { .pending_pages = 10 };

    g_assert_true(migration_converged(300, &p));
    /* a zero limit with pages left never converges by itself */
    p = (struct pass_stats){ .sent_pages = 10, .pending_pages = 10, .bandwidth = GB };
    g_assert_false(migration_converged(0, &p));
}

static void test_populated_map(void)
{
    const size_t pages = 64;
    uint8_t *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    unsigned long *map = bitmap_new(pages);
    volatile uint8_t sink;
    FILE *f;
    int ret;

    g_assert_true(p != MAP_FAILED);
    p[3 * 4096] = 1;
    p[10 * 4096 + 100] = 2;
    sink = p[20 * 4096];            /* a read maps the zero page: still zero */
    (void)sink;
    ret = ram_populated_map(p, pages, map);
    if (ret == -EACCES || ret == -EPERM || ret == -ENOENT) {
        g_test_skip("no /proc/self/pagemap");
        return;
    }
    g_assert_cmpint(ret, ==, 0);
    g_assert_true(test_bit(3, map));
    g_assert_true(test_bit(10, map));
    g_assert_false(test_bit(0, map));
    g_assert_false(test_bit(63, map));
    /* the zero page counts as backed (it reads as zero all the same) or not */
    g_assert_cmpuint(bitmap_count_range(map, 0, pages) - test_bit(20, map), ==, 2);
    munmap(p, pages * 4096);

    /* a file mapping: not mapped in does not mean zero */
    f = tmpfile();
    g_assert_nonnull(f);
    g_assert_cmpint(ftruncate(fileno(f), pages * 4096), ==, 0);
    p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileno(f), 0);
    g_assert_true(p != MAP_FAILED);
    g_assert_cmpint(ram_populated_map(p, pages, map), ==, -ENOTSUP);
    munmap(p, pages * 4096);
    fclose(f);
    bitmap_free(map);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/converge/limit-not-met", test_limit_not_met);
    g_test_add_func("/migration/converge/extra-passes", test_extra_passes_while_shrinking);
    g_test_add_func("/migration/converge/not-shrinking", test_stop_when_not_shrinking);
    g_test_add_func("/migration/converge/extra-pass-cap", test_extra_pass_cap);
    g_test_add_func("/migration/converge/nothing-sent", test_nothing_sent);
    g_test_add_func("/migration/populated-map", test_populated_map);
    return g_test_run();
}
