/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The regression runner of a fuzz target, for the ordinary (gcc) build:
 * no libFuzzer, every file of the directories (or the files) named on
 * the command line goes once through LLVMFuzzerTestOneInput, in name
 * order.  A target signals a bug by crashing or aborting, which fails
 * the meson test.  A path that does not exist is skipped (a target may
 * have no regression inputs yet), but no inputs at all is an error: that
 * would test nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "fuzz-common.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *path, unsigned int *count)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *data = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "%s\n", err->message);
        exit(1);
    }
    printf("%s (%zu bytes)\n", path, (size_t)len);
    fflush(stdout);
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    (*count)++;
}

static void run_dir(const char *path, unsigned int *count)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) dir = g_dir_open(path, 0, &err);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!dir) {
        fprintf(stderr, "%s\n", err->message);
        exit(1);
    }
    while ((name = g_dir_read_name(dir)))
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
    qsort(names->pdata, names->len, sizeof(char *), cmp_names);
    for (guint i = 0; i < names->len; i++) {
        const char *p = g_ptr_array_index(names, i);

        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            run_file(p, count);
    }
}

int main(int argc, char **argv)
{
    unsigned int count = 0;

    for (int i = 1; i < argc; i++) {
        if (!g_file_test(argv[i], G_FILE_TEST_EXISTS))
            printf("%s: not there, skipped\n", argv[i]);
        else if (g_file_test(argv[i], G_FILE_TEST_IS_DIR))
            run_dir(argv[i], &count);
        else
            run_file(argv[i], &count);
    }
    if (!count) {
        fprintf(stderr, "no inputs found\n");
        return 1;
    }
    printf("%u inputs ran without a crash\n", count);
    return 0;
}
