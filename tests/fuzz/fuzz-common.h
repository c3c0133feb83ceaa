/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the fuzz targets: reading a fuzzer's input as a stream
 * of little-endian values (running out yields zeros), and host memory for
 * fake guest RAM fenced by PROT_NONE pages, so that an access by the VMM
 * outside what the guest owns faults at once (under ASan or not).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, also called by regress-main.c */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
    const uint8_t *p;
    size_t len;
};

static inline uint8_t fin_u8(struct fuzz_in *in)
{
    uint8_t v = 0;

    if (in->len) {
        v = *in->p++;
        in->len--;
    }
    return v;
}

static inline uint16_t fin_u16(struct fuzz_in *in)
{
    uint16_t lo = fin_u8(in);

    return (uint16_t)(lo | fin_u8(in) << 8);
}

static inline uint32_t fin_u32(struct fuzz_in *in)
{
    uint32_t lo = fin_u16(in);

    return lo | (uint32_t)fin_u16(in) << 16;
}

static inline uint64_t fin_u64(struct fuzz_in *in)
{
    uint64_t lo = fin_u32(in);

    return lo | (uint64_t)fin_u32(in) << 32;
}

/* Up to n bytes of the input (*got says how many); they stay in place. */
static inline const uint8_t *fin_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
    const uint8_t *p = in->p;

    if (n > in->len)
        n = in->len;
    in->p += n;
    in->len -= n;
    *got = n;
    return p;
}

/* 1, 2, 4 or 8 from the low bits of b */
static inline unsigned fuzz_width(uint8_t b)
{
    return 1u << (b & 3);
}

/*
 * size bytes (a multiple of the page size) of zeroed read-write memory
 * with an inaccessible page on each side; never freed (targets keep their
 * fake machine for the whole run).  Aborts if the host is out of memory.
 */
uint8_t *fuzz_guarded_alloc(size_t size);

#endif
