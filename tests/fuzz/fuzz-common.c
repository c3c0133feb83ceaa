/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/mman.h>

#include "fuzz-common.h"

#define GUARD 4096

uint8_t *fuzz_guarded_alloc(size_t size)
{
    uint8_t *p = mmap(NULL, size + 2 * GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);

    if (p == MAP_FAILED || mprotect(p + GUARD, size, PROT_READ | PROT_WRITE) < 0)
        abort();
    return p + GUARD;
}
