/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-vmm/options.h"

/* The next item of a comma list, with ",," unescaped; *p moves past it. */
static char *next_item(const char **p)
{
    GString *item = g_string_new(NULL);
    const char *s = *p;

    while (*s) {
        if (*s == ',') {
            if (s[1] == ',') {
                g_string_append_c(item, ',');
                s += 2;
                continue;
            }
            s++;
            break;
        }
        g_string_append_c(item, *s++);
    }
    *p = s;
    return g_string_free(item, FALSE);
}

GHashTable *keyval_parse(const char *str, const char *implied_key, GError **errp)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *p = str;
    bool first = true;

    while (*p || first) {
        char *item = next_item(&p);
        char *eq = strchr(item, '=');

        if (!eq) {
            if (!first || !implied_key || !*item) {
                g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            *item ? "expected key=value, got '%s'" : "empty item in '%s'",
                            *item ? item : str);
                g_free(item);
                g_hash_table_destroy(t);
                return NULL;
            }
            g_hash_table_replace(t, g_strdup(implied_key), item);
        } else {
            *eq = '\0';
            if (!*item) {
                g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "missing key before '=' in '%s'", str);
                g_free(item);
                g_hash_table_destroy(t);
                return NULL;
            }
            g_hash_table_replace(t, g_strdup(item), g_strdup(eq + 1));
            g_free(item);
        }
        first = false;
    }
    return t;
}

int parse_uint(const char *str, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!str || !*str || *str == '-' || *str == '+' || g_ascii_isspace(*str))
        return -EINVAL;
    errno = 0;
    v = strtoull(str, &end, 0);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end)
        return -EINVAL;
    *out = v;
    return 0;
}

int parse_size(const char *str, uint64_t default_unit, uint64_t *out)
{
    char *end;
    unsigned long long v;
    uint64_t unit;

    if (!str || !g_ascii_isdigit(*str))
        return -EINVAL;
    errno = 0;
    v = strtoull(str, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    switch (g_ascii_toupper(*end)) {
    case '\0': unit = default_unit; break;
    case 'B': unit = 1; end++; break;
    case 'K': unit = 1ULL << 10; end++; break;
    case 'M': unit = 1ULL << 20; end++; break;
    case 'G': unit = 1ULL << 30; end++; break;
    case 'T': unit = 1ULL << 40; end++; break;
    default: return -EINVAL;
    }
    if (*end)
        return -EINVAL;
    if (v && unit > UINT64_MAX / v)
        return -ERANGE;
    *out = v * unit;
    return 0;
}

int parse_bool(const char *str, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", NULL };
    static const char *const no[] = { "off", "no", "false", NULL };

    for (int i = 0; yes[i]; i++) {
        if (!strcmp(str, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcmp(str, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}
