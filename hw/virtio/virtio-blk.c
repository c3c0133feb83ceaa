/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk (VIRTIO 1.2, 5.2) on a raw image: read, write, flush, get-id,
 * discard and write-zeroes, one request queue.
 *
 * Requests are parsed on the device's I/O thread and handed to the block
 * backend (io_uring or a thread pool); the data goes straight between the
 * file and guest RAM (host pointers of the translated chain), except with
 * cache=none when a guest buffer is not aligned for O_DIRECT: that request
 * goes through an aligned bounce buffer.
 *
 * A chain too short to hold a header and a status byte cannot be answered:
 * the device then needs a reset.  Everything else that is wrong with a
 * request (range, size, type, read-only disk) is answered with a status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "qemu-vmm/log.h"
#include "qemu-vmm/migration.h"
#include "qemu-vmm/runstate.h"
#include "qemu-vmm/virtio-blk.h"
#include "qemu-vmm/virtio-blk-io.h"
#include "qemu-vmm/virtio-iov.h"

#define QUEUE_SIZE          256
#define SECTOR              512ULL
#define DWZ_MAX_SEG         32          /* discard / write-zeroes segments per request */
#define DWZ_MAX_SECTORS     65536       /* 32 MiB per segment */
#define ZERO_CHUNK          (64 * 1024)
#define ZERO_IOV            16          /* a fallback zero write: 1 MiB */
#define BOUNCE_MAX          (64ULL << 20)     /* per device, in flight */
#define DEFER               (-2)              /* start_rw: no bounce memory now */
#define POOL_THREADS        4

struct virtio_blk {
    struct virtio_device vdev;
    int fd;
    struct blk_backend *be;
    uint64_t capacity;      /* sectors */
    bool readonly;
    bool locked;            /* we hold the image's lock (not while handed over) */
    char *path;             /* for messages */
    bool direct;
    bool ignore_flush;
    bool discard_unmap;
    uint32_t blk_size;
    uint64_t mem_align;     /* O_DIRECT buffer alignment */
    uint64_t bounce_bytes;  /* bounce buffers in flight */
    bool bounce_waiting;    /* a request waits in the ring for bounce memory */
    char serial[VIRTIO_BLK_ID_BYTES];
};

struct blk_req {
    struct virtio_blk *s;
    struct virtqueue *vq;
    struct virtq_elem *elem;
    uint32_t type;
    uint64_t sector;
    uint8_t *status;        /* the last device-writable byte of the chain */
    struct iovec *data;     /* the data part of the chain */
    int data_cnt;
    uint64_t data_len;
    void *bounce;
    unsigned int pending;   /* backend operations not done yet */
    int error;
    GPtrArray *aios;        /* struct blk_aio *, freed with the request */
    GPtrArray *bufs;        /* iovec arrays the aios use, freed with it too */
};

static const uint8_t zero_buf[ZERO_CHUNK] __attribute__((aligned(4096)));

static struct virtio_blk *to_blk(struct virtio_device *vdev)
{
    return (struct virtio_blk *)vdev;
}

/* ---- completion ---- */

static void req_free(struct blk_req *r)
{
    struct virtio_blk *s = r->s;

    if (r->bounce) {
        free(r->bounce);
        s->bounce_bytes -= r->data_len;
        if (s->bounce_waiting) {
            s->bounce_waiting = false;
            virtio_queue_kick(&s->vdev, 0);
        }
    }
    virtqueue_elem_free(r->elem);
    g_free(r->data);
    g_ptr_array_free(r->aios, TRUE);
    g_ptr_array_free(r->bufs, TRUE);
    g_free(r);
}

/* Lock held.  The whole device-writable part may have been written. */
static void req_complete(struct blk_req *r, uint8_t status)
{
    __atomic_store_n(r->status, status, __ATOMIC_RELAXED);
    virtqueue_push(r->vq, r->elem, (uint32_t)MIN(r->elem->in_len, UINT32_MAX));
    req_free(r);
}

static void aio_done(struct blk_aio *aio, int ret);

static struct blk_aio *new_aio(struct blk_req *r, enum blk_op op, uint64_t offset)
{
    struct blk_aio *aio = g_new0(struct blk_aio, 1);

    aio->op = op;
    aio->offset = offset;
    aio->done = aio_done;
    aio->opaque = r;
    g_ptr_array_add(r->aios, aio);
    return aio;
}

static struct iovec *new_iov(struct blk_req *r, int cnt)
{
    struct iovec *iov = g_new0(struct iovec, cnt);

    g_ptr_array_add(r->bufs, iov);
    return iov;
}

/* Write-zeroes without fallocate support: plain writes of a zero buffer. */
static void submit_zero_writes(struct blk_req *r, uint64_t offset, uint64_t len)
{
    while (len) {
        uint64_t n = MIN(len, (uint64_t)ZERO_CHUNK * ZERO_IOV);
        struct blk_aio *aio = new_aio(r, BLK_OP_WRITE, offset);
        struct iovec *iov = new_iov(r, ZERO_IOV);
        int cnt = 0;

        for (uint64_t left = n; left; cnt++) {
            iov[cnt].iov_base = (void *)zero_buf;
            iov[cnt].iov_len = MIN(left, (uint64_t)ZERO_CHUNK);
            left -= iov[cnt].iov_len;
        }
        aio->iov = iov;
        aio->iovcnt = cnt;
        r->pending++;
        blk_backend_submit(r->s->be, aio);
        offset += n;
        len -= n;
    }
}

static void aio_done(struct blk_aio *aio, int ret)
{
    struct blk_req *r = aio->opaque;
    struct virtio_blk *s = r->s;
    struct virtqueue *vq = r->vq;

    pthread_mutex_lock(&s->vdev.lock);
    if (aio->op == BLK_OP_FALLOCATE && r->type == VIRTIO_BLK_T_WRITE_ZEROES &&
        (ret == -EOPNOTSUPP || ret == -ENOTSUP || ret == -EINVAL)) {
        submit_zero_writes(r, aio->offset, aio->len);
        ret = 0;
    }
    if (aio->op == BLK_OP_FALLOCATE && r->type == VIRTIO_BLK_T_DISCARD)
        ret = 0;    /* discard is a hint: a file system that cannot punch holes is fine */
    if (ret < 0 && !r->error)
        r->error = ret;
    if (--r->pending == 0) {
        if (r->bounce && r->type == VIRTIO_BLK_T_IN && !r->error)
            iov_from_buf(r->data, (unsigned int)r->data_cnt, 0, r->bounce, r->data_len);
        req_complete(r, r->error ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
        virtio_notify(&s->vdev, vq);
        virtio_inflight_dec(&s->vdev);
    }
    pthread_mutex_unlock(&s->vdev.lock);
}

/* ---- requests ---- */

static bool in_range(struct virtio_blk *s, uint64_t sector, uint64_t nsectors)
{
    return sector <= s->capacity && nsectors <= s->capacity - sector;
}

static bool iov_aligned(const struct iovec *iov, int cnt, uint64_t align)
{
    for (int i = 0; i < cnt; i++)
        if ((uintptr_t)iov[i].iov_base % align || iov[i].iov_len % align)
            return false;
    return true;
}

/*
 * Read or write; returns a status if the request ends here, -1 if it went
 * to the backend, DEFER if it must wait for bounce memory.
 */
static int start_rw(struct blk_req *r)
{
    struct virtio_blk *s = r->s;
    bool write = r->type == VIRTIO_BLK_T_OUT;
    struct blk_aio *aio;

    if (write && s->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (r->data_len % SECTOR || !in_range(s, r->sector, r->data_len / SECTOR) ||
        r->data_cnt > IOV_MAX)
        return VIRTIO_BLK_S_IOERR;
    if (r->data_len == 0)
        return VIRTIO_BLK_S_OK;
    aio = new_aio(r, write ? BLK_OP_WRITE : BLK_OP_READ, r->sector * SECTOR);
    if (s->direct && !iov_aligned(r->data, r->data_cnt, s->mem_align)) {
        /* bounded, so that a guest cannot make us allocate without limit */
        if (r->data_len > BOUNCE_MAX)
            return VIRTIO_BLK_S_IOERR;
        if (s->bounce_bytes + r->data_len > BOUNCE_MAX)
            return DEFER;
        if (posix_memalign(&r->bounce, s->mem_align, r->data_len))
            return VIRTIO_BLK_S_IOERR;
        s->bounce_bytes += r->data_len;
        if (write)
            iov_to_buf(r->data, (unsigned int)r->data_cnt, 0, r->bounce, r->data_len);
        aio->iov = new_iov(r, 1);
        aio->iov->iov_base = r->bounce;
        aio->iov->iov_len = r->data_len;
        aio->iovcnt = 1;
    } else {
        /* the backend advances the iovec: give it a copy */
        aio->iov = new_iov(r, r->data_cnt);
        memcpy(aio->iov, r->data, sizeof(struct iovec) * (size_t)r->data_cnt);
        aio->iovcnt = r->data_cnt;
    }
    return -1;
}

static int start_flush(struct blk_req *r)
{
    if (r->s->ignore_flush)
        return VIRTIO_BLK_S_OK;
    new_aio(r, BLK_OP_FLUSH, 0);
    return -1;
}

static int get_id(struct blk_req *r)
{
    iov_from_buf(r->data, (unsigned int)r->data_cnt, 0, r->s->serial,
                 MIN(r->data_len, (uint64_t)VIRTIO_BLK_ID_BYTES));
    return VIRTIO_BLK_S_OK;
}

/* Discard and write-zeroes: one fallocate per segment. */
static int start_dwz(struct blk_req *r, const struct iovec *out, unsigned int out_num)
{
    struct virtio_blk *s = r->s;
    bool discard = r->type == VIRTIO_BLK_T_DISCARD;
    uint64_t payload = iov_size(out, out_num) - sizeof(struct virtio_blk_outhdr);
    struct virtio_blk_discard_write_zeroes seg[DWZ_MAX_SEG];
    unsigned int nseg;

    if (!virtio_has_feature(&s->vdev, discard ? VIRTIO_BLK_F_DISCARD :
                                               VIRTIO_BLK_F_WRITE_ZEROES))
        return VIRTIO_BLK_S_UNSUPP;
    if (s->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (payload == 0 || payload % sizeof(seg[0]) || payload / sizeof(seg[0]) > DWZ_MAX_SEG)
        return VIRTIO_BLK_S_IOERR;
    nseg = (unsigned int)(payload / sizeof(seg[0]));
    iov_to_buf(out, out_num, sizeof(struct virtio_blk_outhdr), seg, payload);
    for (unsigned int i = 0; i < nseg; i++) {
        uint32_t flags = le32toh(seg[i].flags);
        uint64_t sector = le64toh(seg[i].sector);
        uint32_t n = le32toh(seg[i].num_sectors);

        /* 5.2.6.2: unknown flags, or unmap on a discard, are not supported */
        if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
            (discard && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
            return VIRTIO_BLK_S_UNSUPP;
        if (n > DWZ_MAX_SECTORS || !in_range(s, sector, n))
            return VIRTIO_BLK_S_IOERR;
    }
    for (unsigned int i = 0; i < nseg; i++) {
        uint64_t off = le64toh(seg[i].sector) * SECTOR;
        uint64_t len = le32toh(seg[i].num_sectors) * SECTOR;
        bool unmap = le32toh(seg[i].flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
        struct blk_aio *aio;

        if (len == 0 || (discard && !s->discard_unmap))
            continue;   /* discard=ignore: a discard is only a hint */
        aio = new_aio(r, BLK_OP_FALLOCATE, off);
        aio->len = len;
        if (discard || (unmap && s->discard_unmap))
            aio->mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        else
            aio->mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    }
    return r->aios->len ? -1 : VIRTIO_BLK_S_OK;
}

enum req_outcome { REQ_ANSWERED, REQ_STARTED, REQ_DEFERRED, REQ_BROKEN };

/* Parse and start one request.  Lock held. */
static enum req_outcome handle_request(struct virtio_blk *s, struct virtqueue *vq,
                                       struct virtq_elem *e)
{
    struct virtio_blk_outhdr hdr;
    struct blk_req *r;
    const struct iovec *last;
    int status;

    if (e->out_len < sizeof(hdr) || e->in_len < 1) {
        virtio_error(&s->vdev, "virtio-blk request without a header and a status byte "
                     "(%" PRIu64 " readable, %" PRIu64 " writable bytes)", e->out_len,
                     e->in_len);
        virtqueue_elem_free(e);
        return REQ_BROKEN;
    }
    r = g_new0(struct blk_req, 1);
    r->s = s;
    r->vq = vq;
    r->elem = e;
    r->aios = g_ptr_array_new_with_free_func(g_free);
    r->bufs = g_ptr_array_new_with_free_func(g_free);
    iov_to_buf(e->out_sg, e->out_num, 0, &hdr, sizeof(hdr));
    r->type = le32toh(hdr.type);
    r->sector = le64toh(hdr.sector);
    last = &e->in_sg[e->in_num - 1];
    r->status = (uint8_t *)last->iov_base + last->iov_len - 1;

    /* the data: readable after the header for writes, writable before the status */
    r->data = g_new(struct iovec, MAX(e->out_num, e->in_num));
    if (r->type == VIRTIO_BLK_T_OUT) {
        r->data_len = e->out_len - sizeof(hdr);
        r->data_cnt = iov_slice(e->out_sg, e->out_num, sizeof(hdr), r->data_len,
                                r->data, e->out_num);
    } else {
        r->data_len = e->in_len - 1;
        r->data_cnt = iov_slice(e->in_sg, e->in_num, 0, r->data_len, r->data, e->in_num);
    }

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        status = start_rw(r);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status = start_flush(r);
        break;
    case VIRTIO_BLK_T_GET_ID:
        status = get_id(r);
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        status = start_dwz(r, e->out_sg, e->out_num);
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (status == DEFER) {
        /* back to the ring: a completion kicks the queue when memory is free */
        virtqueue_unpop(vq, e);
        s->bounce_waiting = true;
        req_free(r);
        return REQ_DEFERRED;
    }
    if (status >= 0) {
        req_complete(r, (uint8_t)status);
        return REQ_ANSWERED;
    }
    /*
     * Completions take the lock we hold, so none can end the request before
     * the last submission; a fallback may add operations to r->aios later.
     */
    virtio_inflight_inc(&s->vdev);
    r->pending = r->aios->len;
    for (guint i = 0, n = r->aios->len; i < n; i++)
        blk_backend_submit(s->be, g_ptr_array_index(r->aios, i));
    return REQ_STARTED;
}

static void blk_handle_queue(struct virtio_device *vdev, unsigned int q)
{
    struct virtio_blk *s = to_blk(vdev);
    struct virtqueue *vq = &vdev->vq[q];
    enum req_outcome outcome = REQ_STARTED;
    bool answered = false;

    do {
        struct virtq_elem *e;
        int ret;

        virtqueue_set_notification(vq, false);
        while ((ret = virtqueue_pop(vq, &e)) > 0) {
            outcome = handle_request(s, vq, e);
            answered |= outcome == REQ_ANSWERED;
            if (outcome == REQ_DEFERRED || outcome == REQ_BROKEN)
                break;
        }
        if (ret < 0) {
            virtio_error(vdev, "%s", vq->error);
            break;
        }
        if (outcome == REQ_DEFERRED || outcome == REQ_BROKEN)
            break;
        virtqueue_set_notification(vq, true);
    } while (!virtqueue_empty(vq));
    if (answered)
        virtio_notify(vdev, vq);
}

/* ---- set-up ---- */

/* ---- migration (lock held, nothing in flight) ---- */

/* Two VMs writing one image corrupt it; readers may share it. */
static int lock_image(struct virtio_blk *s, GError **errp)
{
    struct flock lk = { .l_type = s->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

    if (s->locked)
        return 0;
    if (fcntl(s->fd, F_OFD_SETLK, &lk) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "'%s' is in use by another process (cannot get a %s lock)",
                    s->path, s->readonly ? "shared" : "write");
        return -EBUSY;
    }
    s->locked = true;
    return 0;
}


/*
 * The state goes to another VM that opens the same image: what we wrote
 * must be on the disk, and the image's lock free for the destination.
 */
static int blk_save(struct virtio_device *vdev, GByteArray *out)
{
    struct virtio_blk *s = to_blk(vdev);
    struct flock lk = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

    if (!s->readonly && fdatasync(s->fd) < 0 && errno != EINVAL)
        return -errno;
    if (s->locked && fcntl(s->fd, F_OFD_SETLK, &lk) == 0)
        s->locked = false;
    put_u64(out, s->capacity);
    put_u8(out, s->readonly);
    return 0;
}

/* The same disk behind the device, or the guest's view of it breaks. */
static int blk_load(struct virtio_device *vdev, struct vm_reader *r, GError **errp)
{
    struct virtio_blk *s = to_blk(vdev);
    uint64_t capacity = get_u64(r);
    uint8_t readonly = get_u8(r);

    if (r->error)
        return 0;       /* the caller reports the short section */
    if (capacity != s->capacity || readonly != s->readonly) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: the source's disk has %" PRIu64 " sectors%s, '%s' here %" PRIu64
                    "%s", vdev->name, capacity, readonly ? " (read-only)" : "", s->path,
                    s->capacity, s->readonly ? " (read-only)" : "");
        return -EINVAL;
    }
    if (lock_image(s, errp) < 0) {
        g_prefix_error(errp, "%s: ", vdev->name);
        return -EBUSY;
    }
    return 0;
}

/* Running again after a failed migration: the image is ours again. */
static void blk_resume(struct virtio_device *vdev)
{
    g_autoptr(GError) err = NULL;

    if (lock_image(to_blk(vdev), &err) < 0)
        error_report("%s: %s", vdev->name, err->message);
}

static const struct virtio_device_ops blk_ops = {
    .handle_queue = blk_handle_queue,
    .save = blk_save,
    .load = blk_load,
    .resume = blk_resume,
};

static void fill_config(struct virtio_blk *s)
{
    struct virtio_blk_config *c = (struct virtio_blk_config *)s->vdev.config;

    c->capacity = htole64(s->capacity);
    c->seg_max = htole32(QUEUE_SIZE - 2);   /* room for the header and the status */
    c->blk_size = htole32(s->blk_size);
    c->max_discard_sectors = htole32(DWZ_MAX_SECTORS);
    c->max_discard_seg = htole32(DWZ_MAX_SEG);
    c->discard_sector_alignment = htole32(s->blk_size / SECTOR);
    c->max_write_zeroes_sectors = htole32(DWZ_MAX_SECTORS);
    c->max_write_zeroes_seg = htole32(DWZ_MAX_SEG);
    c->write_zeroes_may_unmap = s->discard_unmap;
}

/* O_DIRECT alignment from statx where the kernel reports it, else cautious values. */
static void probe_direct_alignment(struct virtio_blk *s)
{
    struct statx stx;

    s->blk_size = SECTOR;
    s->mem_align = 4096;
    if (statx(s->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
        s->blk_size = MAX((uint32_t)SECTOR, stx.stx_dio_offset_align);
        s->mem_align = MAX(stx.stx_dio_mem_align, 8u);
    }
}

static int open_image(struct virtio_blk *s, const struct virtio_blk_conf *conf,
                      GError **errp)
{
    int flags = O_CLOEXEC | (conf->readonly ? O_RDONLY : O_RDWR);
    struct stat st;
    off_t size;

    if (conf->cache == BLK_CACHE_NONE || conf->cache == BLK_CACHE_DIRECTSYNC)
        flags |= O_DIRECT;
    if (conf->cache == BLK_CACHE_WRITETHROUGH || conf->cache == BLK_CACHE_DIRECTSYNC)
        flags |= O_DSYNC;
    s->readonly = conf->readonly;
    s->path = g_strdup(conf->path);
    s->fd = open(conf->path, flags);
    if (s->fd < 0 && errno == EINVAL && (flags & O_DIRECT)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "cache=none: the file system of '%s' does not support O_DIRECT",
                    conf->path);
        return -EINVAL;
    }
    if (s->fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open '%s'%s: %s", conf->path,
                    conf->readonly ? "" : " for writing", strerror(errno));
        return -errno;
    }
    if (fstat(s->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "'%s' is not a regular file or a block device", conf->path);
        return -EINVAL;
    }
    /*
     * An incoming VM takes the lock only with the state, once the source
     * has let go of the image (see blk_save).
     */
    if (runstate_get() != RUN_STATE_INMIGRATE && lock_image(s, errp) < 0)
        return -EBUSY;
    size = lseek(s->fd, 0, SEEK_END);
    if (size < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot get the size of '%s': %s", conf->path, strerror(errno));
        return -errno;
    }
    s->capacity = (uint64_t)size / SECTOR;
    s->direct = flags & O_DIRECT;
    s->blk_size = SECTOR;
    s->mem_align = 1;
    if (s->direct)
        probe_direct_alignment(s);
    return 0;
}

static int open_backend(struct virtio_blk *s, enum blk_aio_mode mode, GError **errp)
{
    g_autoptr(GError) err = NULL;

    if (mode != BLK_AIO_THREADS) {
        s->be = blk_backend_new_io_uring(s->fd, s->vdev.iothread, &err);
        if (s->be)
            return 0;
        if (mode == BLK_AIO_IO_URING) {
            g_propagate_prefixed_error(errp, g_steal_pointer(&err), "aio=io_uring: ");
            return -ENOTSUP;
        }
        vmm_log(LOG_UNIMP, "%s: %s; using a thread pool", s->vdev.name, err->message);
    }
    s->be = blk_backend_new_threads(s->fd, POOL_THREADS, errp);
    return s->be ? 0 : -EIO;
}

struct virtio_device *virtio_blk_create(const char *name, AddressSpace *as,
                                        const struct virtio_blk_conf *conf,
                                        GError **errp)
{
    struct virtio_blk *s = g_new0(struct virtio_blk, 1);
    uint16_t qmax = QUEUE_SIZE;
    uint64_t features;

    if (open_image(s, conf, errp) < 0) {
        if (s->fd >= 0)
            close(s->fd);
        g_free(s->path);
        g_free(s);
        return NULL;
    }
    s->ignore_flush = conf->cache == BLK_CACHE_UNSAFE;
    s->discard_unmap = conf->discard_unmap;
    if (conf->serial)
        memcpy(s->serial, conf->serial, MIN(strlen(conf->serial), sizeof(s->serial)));
    features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
               (1ULL << VIRTIO_BLK_F_FLUSH);
    if (s->readonly)
        features |= 1ULL << VIRTIO_BLK_F_RO;
    else
        features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    if (virtio_device_init(&s->vdev, name, VIRTIO_ID_BLOCK, &blk_ops, as, features, 1,
                           &qmax, sizeof(struct virtio_blk_config), errp) < 0 ||
        open_backend(s, conf->aio, errp) < 0) {
        virtio_blk_free(&s->vdev);
        return NULL;
    }
    fill_config(s);
    return &s->vdev;
}

void virtio_blk_free(struct virtio_device *vdev)
{
    struct virtio_blk *s = to_blk(vdev);

    if (!vdev)
        return;
    pthread_mutex_lock(&vdev->lock);
    virtio_reset(vdev);     /* waits for in-flight requests */
    pthread_mutex_unlock(&vdev->lock);
    blk_backend_free(s->be);
    virtio_device_cleanup(vdev);
    close(s->fd);
    g_free(s->path);
    g_free(s);
}
