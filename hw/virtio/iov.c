/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scatter-gather helpers for the virtio devices. */
#include <string.h>

#include "qemu-vmm/virtio-iov.h"

size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
                  void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned int i = 0; i < cnt && done < len; i++) {
        size_t n;

        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - offset;
        if (n > len - done)
            n = len - done;
        memcpy((char *)buf + done, (char *)iov[i].iov_base + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
                    const void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned int i = 0; i < cnt && done < len; i++) {
        size_t n;

        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - offset;
        if (n > len - done)
            n = len - done;
        memcpy((char *)iov[i].iov_base + offset, (const char *)buf + done, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t iov_memset(const struct iovec *iov, unsigned int cnt, size_t offset, int c,
                  size_t len)
{
    size_t done = 0;

    for (unsigned int i = 0; i < cnt && done < len; i++) {
        size_t n;

        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - offset;
        if (n > len - done)
            n = len - done;
        memset((char *)iov[i].iov_base + offset, c, n);
        done += n;
        offset = 0;
    }
    return done;
}

int iov_slice(const struct iovec *src, unsigned int cnt, size_t offset, size_t len,
              struct iovec *dst, unsigned int dst_max)
{
    unsigned int out = 0;

    for (unsigned int i = 0; i < cnt && len; i++) {
        size_t n;

        if (offset >= src[i].iov_len) {
            offset -= src[i].iov_len;
            continue;
        }
        n = src[i].iov_len - offset;
        if (n > len)
            n = len;
        if (out == dst_max)
            return -1;
        dst[out].iov_base = (char *)src[i].iov_base + offset;
        dst[out].iov_len = n;
        out++;
        len -= n;
        offset = 0;
    }
    return (int)out;
}

size_t iov_size(const struct iovec *iov, unsigned int cnt)
{
    size_t n = 0;

    for (unsigned int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    return n;
}

void iov_advance(struct iovec **iov, int *iovcnt, size_t n)
{
    while (n && *iovcnt) {
        if (n < (*iov)->iov_len) {
            (*iov)->iov_base = (char *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            return;
        }
        n -= (*iov)->iov_len;
        (*iov)++;
        (*iovcnt)--;
    }
}
