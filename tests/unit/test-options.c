/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <glib.h>

#include "qemu-vmm/options.h"

static void test_keyval(void)
{
    g_autoptr(GError) err = NULL;
    GHashTable *t = keyval_parse("microvm,kernel_irqchip=on,x=a,,b", "type", &err);

    g_assert_nonnull(t);
    g_assert_cmpstr(g_hash_table_lookup(t, "type"), ==, "microvm");
    g_assert_cmpstr(g_hash_table_lookup(t, "kernel_irqchip"), ==, "on");
    g_assert_cmpstr(g_hash_table_lookup(t, "x"), ==, "a,b");
    g_hash_table_destroy(t);

    t = keyval_parse("a=1,a=2", NULL, &err);    /* later wins, as in QEMU */
    g_assert_cmpstr(g_hash_table_lookup(t, "a"), ==, "2");
    g_hash_table_destroy(t);

    g_assert_null(keyval_parse("microvm", NULL, &err));     /* no implied key */
    g_clear_error(&err);
    g_assert_null(keyval_parse("a=1,b", "type", &err));     /* only first implied */
    g_clear_error(&err);
    g_assert_null(keyval_parse("=1", "type", &err));
    g_clear_error(&err);
    g_assert_null(keyval_parse("", "type", &err));
    g_clear_error(&err);
    t = keyval_parse("a,,", "type", &err);     /* ",," is a literal comma */
    g_assert_cmpstr(g_hash_table_lookup(t, "type"), ==, "a,");
    g_hash_table_destroy(t);
}

static void test_size(void)
{
    uint64_t v;

    g_assert_cmpint(parse_size("128", 1 << 20, &v), ==, 0);
    g_assert_cmpuint(v, ==, 128ULL << 20);
    g_assert_cmpint(parse_size("2G", 1 << 20, &v), ==, 0);
    g_assert_cmpuint(v, ==, 2ULL << 30);
    g_assert_cmpint(parse_size("4096k", 1 << 20, &v), ==, 0);
    g_assert_cmpuint(v, ==, 4096ULL << 10);
    g_assert_cmpint(parse_size("1T", 1, &v), ==, 0);
    g_assert_cmpuint(v, ==, 1ULL << 40);
    g_assert_cmpint(parse_size("12X", 1, &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("-1", 1, &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("", 1, &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("1MB", 1, &v), ==, -EINVAL);
    g_assert_cmpint(parse_size("99999999999999999999", 1, &v), ==, -ERANGE);
    g_assert_cmpint(parse_size("99999999999T", 1, &v), ==, -ERANGE);
}

static void test_uint_bool(void)
{
    uint64_t v;
    bool b;

    g_assert_cmpint(parse_uint("0x10", &v), ==, 0);
    g_assert_cmpuint(v, ==, 16);
    g_assert_cmpint(parse_uint("12a", &v), ==, -EINVAL);
    g_assert_cmpint(parse_uint("-3", &v), ==, -EINVAL);
    g_assert_cmpint(parse_bool("on", &b), ==, 0);
    g_assert_true(b);
    g_assert_cmpint(parse_bool("no", &b), ==, 0);
    g_assert_false(b);
    g_assert_cmpint(parse_bool("maybe", &b), ==, -EINVAL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/keyval", test_keyval);
    g_test_add_func("/options/size", test_size);
    g_test_add_func("/options/uint-bool", test_uint_bool);
    return g_test_run();
}
