/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef QEMU_VMM_CRC32_H
#define QEMU_VMM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected, as zlib): crc32(0, buf, len) starts a sum. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
