/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dirty-bitmap arithmetic against a plain bool-per-bit reference, at
 * unaligned offsets and lengths (KVM slots need not start on a word).
 */
#include <string.h>
#include <glib.h>

#include "qemu-vmm/bitmap.h"

#define NBITS 1000

static void check_equal(const unsigned long *map, const bool *ref, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_assert_cmpint(test_bit(i, map), ==, ref[i]);
}

static void test_set_clear_count(void)
{
    GRand *r = g_rand_new_with_seed(1);

    for (int iter = 0; iter < 500; iter++) {
        unsigned long *map = bitmap_new(NBITS);
        bool ref[NBITS] = { 0 };

        for (int op = 0; op < 20; op++) {
            size_t start = g_rand_int_range(r, 0, NBITS);
            size_t nr = g_rand_int_range(r, 0, NBITS - start + 1);
            bool set = g_rand_boolean(r);
            size_t want = 0;

            if (set)
                bitmap_set_range(map, start, nr);
            else
                bitmap_clear_range(map, start, nr);
            for (size_t i = start; i < start + nr; i++)
                ref[i] = set;
            check_equal(map, ref, NBITS);
            start = g_rand_int_range(r, 0, NBITS);
            nr = g_rand_int_range(r, 0, NBITS - start + 1);
            for (size_t i = start; i < start + nr; i++)
                want += ref[i];
            g_assert_cmpuint(bitmap_count_range(map, start, nr), ==, want);
        }
        bitmap_free(map);
    }
    g_rand_free(r);
}

static void test_find(void)
{
    unsigned long *map = bitmap_new(300);

    g_assert_cmpuint(bitmap_find_next_bit(map, 300, 0), ==, 300);
    g_assert_cmpuint(bitmap_find_next_zero_bit(map, 300, 5), ==, 5);
    set_bit(64, map);
    set_bit(299, map);
    g_assert_cmpuint(bitmap_find_next_bit(map, 300, 0), ==, 64);
    g_assert_cmpuint(bitmap_find_next_bit(map, 300, 65), ==, 299);
    g_assert_cmpuint(bitmap_find_next_bit(map, 299, 65), ==, 299); /* size bound */
    bitmap_set_range(map, 0, 300);
    g_assert_cmpuint(bitmap_find_next_zero_bit(map, 300, 0), ==, 300);
    clear_bit(200, map);
    g_assert_cmpuint(bitmap_find_next_zero_bit(map, 300, 3), ==, 200);
    bitmap_free(map);
}

static void test_or_at_and_extract(void)
{
    GRand *r = g_rand_new_with_seed(2);

    for (int iter = 0; iter < 500; iter++) {
        size_t nr = g_rand_int_range(r, 1, 400);
        size_t at = g_rand_int_range(r, 0, NBITS - nr);
        unsigned long *src = bitmap_new(nr), *dst = bitmap_new(NBITS);
        unsigned long *back = bitmap_new(nr);
        bool ref[NBITS] = { 0 };

        for (size_t i = 0; i < NBITS; i++)
            if (g_rand_int_range(r, 0, 4) == 0) {
                set_bit(i, dst);
                ref[i] = true;
            }
        for (size_t i = 0; i < nr; i++)
            if (g_rand_boolean(r)) {
                set_bit(i, src);
                ref[at + i] = true;
            }
        bitmap_or_at(dst, at, src, nr);
        check_equal(dst, ref, NBITS);

        /* extract gives back exactly the window, zero beyond nr */
        bitmap_extract(back, dst, at, nr);
        for (size_t i = 0; i < nr; i++)
            g_assert_cmpint(test_bit(i, back), ==, ref[at + i]);
        for (size_t i = nr; i < BITS_TO_LONGS(nr) * BITS_PER_LONG; i++)
            g_assert_false(test_bit(i, back));
        bitmap_free(src);
        bitmap_free(dst);
        bitmap_free(back);
    }
    g_rand_free(r);
}

static void test_test_and_clear(void)
{
    unsigned long *map = bitmap_new(NBITS), *out = bitmap_new(200);

    bitmap_set_range(map, 90, 20);      /* 90..109 */
    set_bit(250, map);
    bitmap_test_and_clear_to(out, map, 100, 200);   /* takes 100..299 */
    g_assert_cmpuint(bitmap_count_range(out, 0, 200), ==, 11);
    for (size_t i = 0; i < 10; i++)
        g_assert_true(test_bit(i, out));
    g_assert_true(test_bit(150, out));
    /* bits outside the window survive, inside are gone */
    g_assert_cmpuint(bitmap_count_range(map, 0, NBITS), ==, 10);
    g_assert_cmpuint(bitmap_count_range(map, 90, 10), ==, 10);
    bitmap_free(map);
    bitmap_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bitmap/set-clear-count", test_set_clear_count);
    g_test_add_func("/bitmap/find", test_find);
    g_test_add_func("/bitmap/or-at-extract", test_or_at_and_extract);
    g_test_add_func("/bitmap/test-and-clear", test_test_and_clear);
    return g_test_run();
}
