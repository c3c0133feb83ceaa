/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bitmaps of unsigned long words, bit i in word i / BITS_PER_LONG, the layout
 * KVM uses for dirty logs (little endian hosts: byte i / 8 holds bit i).
 */
#ifndef QEMU_VMM_BITMAP_H
#define QEMU_VMM_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITS_PER_LONG (sizeof(unsigned long) * 8)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

unsigned long *bitmap_new(size_t nbits);
void bitmap_free(unsigned long *map);
static inline size_t bitmap_bytes(size_t nbits)
{
    return BITS_TO_LONGS(nbits) * sizeof(unsigned long);
}

static inline bool test_bit(size_t nr, const unsigned long *map)
{
    return (map[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}
static inline void set_bit(size_t nr, unsigned long *map)
{
    map[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void clear_bit(size_t nr, unsigned long *map)
{
    map[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}
/* Atomic variant for bitmaps written from several threads (dirty tracking). */
static inline void set_bit_atomic(size_t nr, unsigned long *map)
{
    __atomic_fetch_or(&map[nr / BITS_PER_LONG], 1UL << (nr % BITS_PER_LONG),
                      __ATOMIC_RELAXED);
}

void bitmap_set_range(unsigned long *map, size_t start, size_t nr);
void bitmap_clear_range(unsigned long *map, size_t start, size_t nr);
/* Set bits atomically: safe against concurrent set_bit_atomic(). */
void bitmap_set_range_atomic(unsigned long *map, size_t start, size_t nr);
size_t bitmap_count_range(const unsigned long *map, size_t start, size_t nr);
/* Index of the first set bit in [start, size), or size if none. */
size_t bitmap_find_next_bit(const unsigned long *map, size_t size, size_t start);
/* Index of the first clear bit in [start, size), or size if none. */
size_t bitmap_find_next_zero_bit(const unsigned long *map, size_t size, size_t start);
/*
 * dst[dst_start + i] |= src[i] for i in [0, nr).  dst_start need not be
 * word aligned: KVM slots need not start on a 64-page boundary of the
 * region they belong to.  The OR is atomic per destination word.
 */
void bitmap_or_at(unsigned long *dst, size_t dst_start,
                  const unsigned long *src, size_t nr);
/*
 * Copy bits [src_start, src_start + nr) of src to bits [0, nr) of dst
 * (dst is cleared beyond nr up to its last word).
 */
void bitmap_extract(unsigned long *dst, const unsigned long *src,
                    size_t src_start, size_t nr);
/* Atomically fetch-and-clear bits [start, start+nr) of map into dst[0..nr). */
void bitmap_test_and_clear_to(unsigned long *dst, unsigned long *map,
                              size_t start, size_t nr);

#endif
