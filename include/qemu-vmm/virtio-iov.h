/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scatter-gather helpers for the virtio devices. */
#ifndef QEMU_VMM_VIRTIO_IOV_H
#define QEMU_VMM_VIRTIO_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copy between an iovec and a flat buffer, starting offset bytes into the iovec. */
size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
                  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int cnt, size_t offset,
                    const void *buf, size_t len);
/* Fill len bytes of the iovec, starting offset bytes in, with c. */
size_t iov_memset(const struct iovec *iov, unsigned int cnt, size_t offset, int c,
                  size_t len);
/*
 * Describe bytes [offset, offset + len) of src as iovec pieces in dst (room
 * for dst_max).  Returns the number of pieces, or -1 if dst_max is too
 * small.  Fewer bytes are described if src ends first.
 */
int iov_slice(const struct iovec *src, unsigned int cnt, size_t offset, size_t len,
              struct iovec *dst, unsigned int dst_max);
/* Drop the first n bytes of an iovec in place (after a short transfer). */
void iov_advance(struct iovec **iov, int *iovcnt, size_t n);
size_t iov_size(const struct iovec *iov, unsigned int cnt);

#endif
