/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Option-value parsing in QEMU's spelling: "key=value,key=value" lists with
 * an implied first key, ",," for a literal comma, and sizes with suffixes.
 */
#ifndef QEMU_VMM_OPTIONS_H
#define QEMU_VMM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * Parse "a,b=1,c=x,,y" into a table (char * -> char *).  The first item may
 * lack "=": it is then the value of implied_key (NULL: not allowed).
 * A later duplicate key replaces an earlier one, as in QEMU.
 */
GHashTable *keyval_parse(const char *str, const char *implied_key, GError **errp);
/*
 * "128", "128M", "2G", "4096K": default unit default_unit (bytes per unit).
 * Returns 0, or -EINVAL on syntax, -ERANGE on overflow.
 */
int parse_size(const char *str, uint64_t default_unit, uint64_t *out);
/* Decimal or 0x hex, the whole string; -EINVAL / -ERANGE. */
int parse_uint(const char *str, uint64_t *out);
/* on/off/yes/no/true/false; -EINVAL otherwise. */
int parse_bool(const char *str, bool *out);

#endif
