/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When the source stops the guest: not before what is left fits in the
 * downtime limit; after that, only while another pass still halves it
 * (and is worth it, and at most a few more passes).
 */
#include <glib.h>

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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/converge/limit-not-met", test_limit_not_met);
    g_test_add_func("/migration/converge/extra-passes", test_extra_passes_while_shrinking);
    g_test_add_func("/migration/converge/not-shrinking", test_stop_when_not_shrinking);
    g_test_add_func("/migration/converge/extra-pass-cap", test_extra_pass_cap);
    g_test_add_func("/migration/converge/nothing-sent", test_nothing_sent);
    return g_test_run();
}
