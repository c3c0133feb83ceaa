/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <string.h>

#include "qemu-vmm/bitmap.h"

unsigned long *bitmap_new(size_t nbits)
{
    return g_malloc0(bitmap_bytes(nbits ? nbits : 1));
}

void bitmap_free(unsigned long *map)
{
    g_free(map);
}

/* Mask of bits [lo, hi) inside one word, 0 <= lo < hi <= BITS_PER_LONG. */
static unsigned long word_mask(size_t lo, size_t hi)
{
    unsigned long m = ~0UL << lo;

    if (hi < BITS_PER_LONG)
        m &= (1UL << hi) - 1;
    return m;
}

/*
 * The piece of [*pos, end) that lies in one word: its word index and mask.
 * Advances *pos past it; returns false once *pos reaches end.
 */
struct word_span {
    size_t word;
    size_t first_bit;       /* offset of the span from the range start */
    unsigned long mask;
};

static bool next_span(size_t *pos, size_t start, size_t end, struct word_span *s)
{
    size_t lo, hi;

    if (*pos >= end)
        return false;
    lo = *pos % BITS_PER_LONG;
    hi = MIN(BITS_PER_LONG, lo + (end - *pos));
    s->word = *pos / BITS_PER_LONG;
    s->first_bit = *pos - start;
    s->mask = word_mask(lo, hi);
    *pos += hi - lo;
    return true;
}

void bitmap_set_range(unsigned long *map, size_t start, size_t nr)
{
    struct word_span s;

    for (size_t pos = start; next_span(&pos, start, start + nr, &s);)
        map[s.word] |= s.mask;
}

void bitmap_set_range_atomic(unsigned long *map, size_t start, size_t nr)
{
    struct word_span s;

    for (size_t pos = start; next_span(&pos, start, start + nr, &s);)
        __atomic_fetch_or(&map[s.word], s.mask, __ATOMIC_RELAXED);
}

void bitmap_clear_range(unsigned long *map, size_t start, size_t nr)
{
    struct word_span s;

    for (size_t pos = start; next_span(&pos, start, start + nr, &s);)
        map[s.word] &= ~s.mask;
}

size_t bitmap_count_range(const unsigned long *map, size_t start, size_t nr)
{
    struct word_span s;
    size_t count = 0;

    for (size_t pos = start; next_span(&pos, start, start + nr, &s);)
        count += __builtin_popcountl(map[s.word] & s.mask);
    return count;
}

size_t bitmap_find_next_bit(const unsigned long *map, size_t size, size_t start)
{
    while (start < size) {
        size_t w = start / BITS_PER_LONG;
        unsigned long bits = map[w] & (~0UL << (start % BITS_PER_LONG));

        if (bits) {
            size_t found = w * BITS_PER_LONG + __builtin_ctzl(bits);

            return found < size ? found : size;
        }
        start = (w + 1) * BITS_PER_LONG;
    }
    return size;
}

size_t bitmap_find_next_zero_bit(const unsigned long *map, size_t size, size_t start)
{
    while (start < size) {
        size_t w = start / BITS_PER_LONG;
        unsigned long bits = ~map[w] & (~0UL << (start % BITS_PER_LONG));

        if (bits) {
            size_t found = w * BITS_PER_LONG + __builtin_ctzl(bits);

            return found < size ? found : size;
        }
        start = (w + 1) * BITS_PER_LONG;
    }
    return size;
}

/* The word of src holding bits [bit, bit + BITS_PER_LONG), bit unaligned. */
static unsigned long load_unaligned(const unsigned long *src, size_t bit,
                                    size_t nbits)
{
    size_t w = bit / BITS_PER_LONG, sh = bit % BITS_PER_LONG;
    unsigned long v = src[w] >> sh;

    if (sh && bit + (BITS_PER_LONG - sh) < nbits)
        v |= src[w + 1] << (BITS_PER_LONG - sh);
    return v;
}

void bitmap_or_at(unsigned long *dst, size_t dst_start,
                  const unsigned long *src, size_t nr)
{
    size_t done = 0;

    while (done < nr) {
        size_t pos = dst_start + done;
        size_t lo = pos % BITS_PER_LONG;
        size_t n = MIN(BITS_PER_LONG - lo, nr - done);
        unsigned long bits = load_unaligned(src, done, nr) & word_mask(0, n);

        if (bits)
            __atomic_fetch_or(&dst[pos / BITS_PER_LONG], bits << lo,
                              __ATOMIC_RELAXED);
        done += n;
    }
}

void bitmap_extract(unsigned long *dst, const unsigned long *src,
                    size_t src_start, size_t nr)
{
    size_t words = BITS_TO_LONGS(nr);

    for (size_t i = 0; i < words; i++) {
        size_t n = MIN(BITS_PER_LONG, nr - i * BITS_PER_LONG);

        dst[i] = load_unaligned(src, src_start + i * BITS_PER_LONG,
                                src_start + nr) & word_mask(0, n);
    }
}

void bitmap_test_and_clear_to(unsigned long *dst, unsigned long *map,
                              size_t start, size_t nr)
{
    struct word_span s;

    memset(dst, 0, bitmap_bytes(nr));
    for (size_t pos = start; next_span(&pos, start, start + nr, &s);) {
        unsigned long old = __atomic_fetch_and(&map[s.word], ~s.mask,
                                               __ATOMIC_RELAXED);
        unsigned long bits = (old & s.mask) >> __builtin_ctzl(s.mask);

        bitmap_or_at(dst, s.first_bit, &bits, __builtin_popcountl(s.mask));
    }
}
