/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Records on the wire: u32 type, u32 length, payload, u32 CRC-32 of all
 * three (docs/migration-format.md).  Writes are buffered and paced to
 * max-bandwidth; reads check everything before a byte is used.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "qemu-vmm/crc32.h"
#include "migration/migration-internal.h"

#define FLUSH_AT        (256 * 1024)
#define PACE_WINDOW_US  50000       /* bandwidth is enforced per 50 ms */

void stream_init(struct mig_stream *s, int fd, bool is_socket, volatile bool *cancel)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->is_socket = is_socket;
    s->cancel = cancel;
    s->out = g_byte_array_sized_new(FLUSH_AT + 8192);
}

void stream_destroy(struct mig_stream *s)
{
    if (s->out)
        g_byte_array_free(s->out, TRUE);
    s->out = NULL;
}

static int write_all(struct mig_stream *s, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n;

        if (s->cancel && *s->cancel)
            return -ECANCELED;
        n = s->is_socket ? send(s->fd, p, len, MSG_NOSIGNAL) : write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sleep as needed so that no window sends more than its share. */
static void pace(struct mig_stream *s, size_t len)
{
    int64_t now = g_get_monotonic_time();
    uint64_t per_window;

    if (!s->max_bandwidth)
        return;
    per_window = s->max_bandwidth * PACE_WINDOW_US / 1000000;
    if (now - s->window_start_us >= PACE_WINDOW_US) {
        s->window_start_us = now;
        s->window_bytes = 0;
    }
    s->window_bytes += len;
    if (s->window_bytes >= per_window) {
        int64_t left = s->window_start_us + PACE_WINDOW_US - now;

        if (left > 0)
            g_usleep((gulong)left);
        s->window_start_us = g_get_monotonic_time();
        s->window_bytes = 0;
    }
}

int stream_flush(struct mig_stream *s)
{
    int ret;

    if (!s->out->len)
        return 0;
    pace(s, s->out->len);
    ret = write_all(s, s->out->data, s->out->len);
    g_byte_array_set_size(s->out, 0);
    return ret;
}

int stream_wait_drained(struct mig_stream *s, unsigned int timeout_ms)
{
    int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    int queued;

    if (!s->is_socket)
        return 0;
    /* SIOCOUTQ: bytes sent but not yet read by the peer (unix) or acked (tcp) */
    while (ioctl(s->fd, SIOCOUTQ, &queued) == 0 && queued > 0) {
        if (s->cancel && *s->cancel)
            return -ECANCELED;
        if (g_get_monotonic_time() >= deadline)
            return -ETIMEDOUT;
        g_usleep(100);
    }
    return 0;
}

int stream_write_header(struct mig_stream *s)
{
    GByteArray *b = s->out;

    g_byte_array_append(b, (const guint8 *)STREAM_MAGIC, 8);
    put_u32(b, STREAM_VERSION);
    put_u32(b, 0);
    s->bytes += 16;
    return 0;
}

int stream_record_begin(struct mig_stream *s, uint32_t type, size_t len)
{
    uint8_t hdr[8];

    if (len > RECORD_MAX)
        return -EMSGSIZE;
    for (int i = 0; i < 4; i++) {
        hdr[i] = (uint8_t)(type >> (8 * i));
        hdr[4 + i] = (uint8_t)(len >> (8 * i));
    }
    s->rec_crc = crc32_update(0, hdr, sizeof(hdr));
    s->rec_left = len;
    s->rec_start = s->out->len;
    g_byte_array_append(s->out, hdr, sizeof(hdr));
    return 0;
}

void stream_record_put(struct mig_stream *s, const void *p, size_t len)
{
    guint at = s->out->len;

    g_assert(len <= s->rec_left);
    g_byte_array_append(s->out, p, (guint)len);
    /* the sum of the copy just made, while it is still in the cache */
    s->rec_crc = crc32_update(s->rec_crc, s->out->data + at, len);
    s->rec_left -= len;
}

int stream_record_end(struct mig_stream *s)
{
    uint32_t crc_le = GUINT32_TO_LE(s->rec_crc);

    g_assert(s->rec_left == 0);
    g_byte_array_append(s->out, (const guint8 *)&crc_le, 4);
    s->bytes += s->out->len - s->rec_start;
    return s->out->len >= FLUSH_AT ? stream_flush(s) : 0;
}

int stream_write_record(struct mig_stream *s, uint32_t type, const void *payload, size_t len)
{
    int ret = stream_record_begin(s, type, len);

    if (ret < 0)
        return ret;
    stream_record_put(s, payload, len);
    return stream_record_end(s);
}

/* 0, or -EIO for a short stream (with what was being read in errp). */
static int read_all(struct mig_stream *s, void *buf, size_t len, const char *what,
                    GError **errp)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = read(s->fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO,
                        "migration stream ended early (reading %s%s%s)", what,
                        n < 0 ? ": " : "", n < 0 ? g_strerror(errno) : "");
            return -EIO;
        }
        p += n;
        len -= (size_t)n;
        s->bytes += (uint64_t)n;
    }
    return 0;
}

int stream_read_header(struct mig_stream *s, GError **errp)
{
    uint8_t h[16];
    uint32_t version;

    if (read_all(s, h, sizeof(h), "the header", errp) < 0)
        return -EIO;
    if (memcmp(h, STREAM_MAGIC, 8)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "not a qemu-vmm migration stream (bad magic)");
        return -EPROTO;
    }
    version = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 |
              (uint32_t)h[11] << 24;
    if (version != STREAM_VERSION) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "migration stream version %u is not supported (need %u)",
                    version, STREAM_VERSION);
        return -EPROTO;
    }
    return 0;
}

int stream_read_record_begin(struct mig_stream *s, uint32_t *type, uint32_t *len,
                             GError **errp)
{
    uint8_t hdr[8];

    if (read_all(s, hdr, sizeof(hdr), "a record header", errp) < 0)
        return -EIO;
    *type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
            (uint32_t)hdr[3] << 24;
    *len = (uint32_t)hdr[4] | (uint32_t)hdr[5] << 8 | (uint32_t)hdr[6] << 16 |
           (uint32_t)hdr[7] << 24;
    if (*len > RECORD_MAX) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "corrupt migration stream: record of %u bytes (type %u)", *len, *type);
        return -EPROTO;
    }
    s->rec_type = *type;
    s->rec_left = *len;
    s->rec_crc = crc32_update(0, hdr, sizeof(hdr));
    s->rec_start_bytes = s->bytes - sizeof(hdr);
    return 0;
}

int stream_read_part(struct mig_stream *s, void *buf, size_t len, GError **errp)
{
    if (len > s->rec_left) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "corrupt migration stream: a record of type %u is shorter than its content",
                    s->rec_type);
        return -EPROTO;
    }
    if (read_all(s, buf, len, "a record", errp) < 0)
        return -EIO;
    s->rec_crc = crc32_update(s->rec_crc, buf, len);
    s->rec_left -= len;
    return 0;
}

int stream_read_record_end(struct mig_stream *s, GError **errp)
{
    uint8_t crc_bytes[4];
    uint32_t want;

    if (s->rec_left) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "corrupt migration stream: a record of type %u is longer than its content",
                    s->rec_type);
        return -EPROTO;
    }
    if (read_all(s, crc_bytes, 4, "a record checksum", errp) < 0)
        return -EIO;
    want = (uint32_t)crc_bytes[0] | (uint32_t)crc_bytes[1] << 8 |
           (uint32_t)crc_bytes[2] << 16 | (uint32_t)crc_bytes[3] << 24;
    if (s->rec_crc != want) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "corrupt migration stream: checksum mismatch in a record of type %u "
                    "at byte %" PRIu64, s->rec_type, s->rec_start_bytes);
        return -EPROTO;
    }
    return 0;
}

int stream_read_record(struct mig_stream *s, uint32_t *type, GByteArray *payload,
                       GError **errp)
{
    uint32_t len;
    int ret = stream_read_record_begin(s, type, &len, errp);

    if (ret < 0)
        return ret;
    g_byte_array_set_size(payload, len);
    ret = stream_read_part(s, payload->data, len, errp);
    return ret < 0 ? ret : stream_read_record_end(s, errp);
}
