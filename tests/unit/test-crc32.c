/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC-32: the known check value, and the accelerated path against the
 * table path at every length and alignment around its thresholds, and in
 * pieces (a running sum over several calls).
 */
#include <string.h>
#include <glib.h>

#include "qemu-vmm/crc32.h"

static void test_check_value(void)
{
    g_assert_cmphex(crc32_update(0, "123456789", 9), ==, 0xcbf43926);
    g_assert_cmphex(crc32_update_portable(0, "123456789", 9), ==, 0xcbf43926);
    g_assert_cmphex(crc32_update(0, "", 0), ==, 0);
}

static void test_against_table(void)
{
    g_autofree uint8_t *buf = g_malloc(70000);
    GRand *r = g_rand_new_with_seed(7);

    for (size_t i = 0; i < 70000; i++)
        buf[i] = (uint8_t)g_rand_int(r);
    if (!crc32_accelerated())
        g_test_message("no PCLMULQDQ here: both paths are the table");
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len < 300; len++)
            g_assert_cmphex(crc32_update(0x12345678, buf + off, len), ==,
                            crc32_update_portable(0x12345678, buf + off, len));
    for (size_t len = 4000; len < 70000 - 16; len += 4093)
        g_assert_cmphex(crc32_update(0, buf + 3, len), ==,
                        crc32_update_portable(0, buf + 3, len));
    /* a sum in pieces equals the sum in one go */
    g_assert_cmphex(crc32_update(crc32_update(crc32_update(0, buf, 12), buf + 12, 4096),
                                 buf + 4108, 777), ==,
                    crc32_update_portable(0, buf, 4108 + 777));
    /* a one-bit change anywhere changes the sum */
    {
        uint32_t a = crc32_update(0, buf, 65536);

        buf[40000] ^= 0x10;
        g_assert_cmphex(a, !=, crc32_update(0, buf, 65536));
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/crc32/check-value", test_check_value);
    g_test_add_func("/crc32/against-table", test_against_table);
    return g_test_run();
}
