/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef QEMU_VMM_CRC32_H
#define QEMU_VMM_CRC32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc32(0, buf, len) starts a sum. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
/* The same sum with the table only (tests compare the two). */
uint32_t crc32_update_portable(uint32_t crc, const void *buf, size_t len);
/* True when crc32_update() uses carry-less multiplies (PCLMULQDQ). */
bool crc32_accelerated(void);

#endif
