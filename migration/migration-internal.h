/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the files of migration/; not for devices. */
#ifndef MIGRATION_INTERNAL_H
#define MIGRATION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/memory.h"
#include "qemu-vmm/migration.h"

#define STREAM_MAGIC        "QVMMSTRM"
#define STREAM_VERSION      1
#define RECORD_MAX          (64u << 20)
#define PAGES_PER_RECORD    1024
#define ACK_BYTE            0x06

enum record_type {
    REC_RAM_LAYOUT = 1,
    REC_RAM_PAGES = 2,
    REC_STATE = 3,
    REC_END = 4,
};

unsigned int vmstate_count(void);
const struct vmstate_ops *vmstate_get(unsigned int i);
const struct vmstate_ops *vmstate_find(const char *name, uint32_t instance);
/* Every registered section is among loaded[0..n): else a device the source lacks. */
int vmstate_check_complete(const struct vmstate_ops *const *loaded, unsigned int n,
                           GError **errp);

/* ---- channels (channel.c) ---- */
/* Outgoing: connect or create; returns an fd or -errno with errp set. */
int channel_open_outgoing(const char *uri, bool *is_socket, GError **errp);
/* Socket buffers of this size where the kernel allows (channel_set_buffer). */
#define CHANNEL_BUFFER_BYTES    (4 << 20)
void channel_set_buffer(int fd, bool sending);
/* Incoming: a listening socket (accept later) or a file/fd to read at once. */
int channel_open_incoming(const char *uri, bool *needs_accept, GError **errp);

/* ---- stream (stream.c) ---- */
struct mig_stream {
    int fd;
    bool is_socket;
    uint64_t bytes;             /* through this stream so far */
    uint64_t max_bandwidth;     /* bytes/s, 0 = unlimited */
    int64_t window_start_us;
    uint64_t window_bytes;
    volatile bool *cancel;      /* checked between writes */
    GByteArray *out;            /* write buffer */
    /* the record being built in out (stream_record_*) or read in parts */
    guint rec_start;
    size_t rec_left;
    uint32_t rec_crc;
    uint32_t rec_type;
    uint64_t rec_start_bytes;
};

void stream_init(struct mig_stream *s, int fd, bool is_socket, volatile bool *cancel);
void stream_destroy(struct mig_stream *s);
int stream_write_header(struct mig_stream *s);
int stream_write_record(struct mig_stream *s, uint32_t type, const void *payload,
                        size_t len);
/*
 * A record built in place, without a payload buffer of its own: begin with
 * its exact payload length, put the bytes (copied once, summed as they are
 * copied), end.  Same bytes on the wire as stream_write_record().
 */
int stream_record_begin(struct mig_stream *s, uint32_t type, size_t len);
void stream_record_put(struct mig_stream *s, const void *p, size_t len);
int stream_record_end(struct mig_stream *s);
int stream_flush(struct mig_stream *s);
/*
 * Over a socket, wait (at most timeout_ms) until the peer has taken in all
 * that was sent: 0, -ETIMEDOUT or -ECANCELED.  Files return at once.
 */
int stream_wait_drained(struct mig_stream *s, unsigned int timeout_ms);
int stream_read_header(struct mig_stream *s, GError **errp);
/* The next record into payload; -EPROTO etc. with errp saying why. */
int stream_read_record(struct mig_stream *s, uint32_t *type, GByteArray *payload,
                       GError **errp);
/*
 * The same in parts, to read a payload straight where it belongs: begin
 * (type and length checked), parts adding up to exactly the length (each
 * summed as it arrives), end (the checksum compared).  Whatever the parts
 * were read into must not be used before end succeeded.
 */
int stream_read_record_begin(struct mig_stream *s, uint32_t *type, uint32_t *len,
                             GError **errp);
int stream_read_part(struct mig_stream *s, void *buf, size_t len, GError **errp);
int stream_read_record_end(struct mig_stream *s, GError **errp);

/* ---- RAM (ram.c) ---- */
struct ram_state {
    GPtrArray *regions;         /* MemoryRegion *, in mapping order */
    unsigned long **dirty;      /* per region: pages to send */
    unsigned long **populated;  /* first pass: pages the host ever backed (or NULL) */
    uint64_t total_pages;
    uint64_t zero_pages, normal_pages;
};

void ram_state_init(struct ram_state *rs, AddressSpace *as);
void ram_state_destroy(struct ram_state *rs);
int ram_save_layout(struct ram_state *rs, struct mig_stream *s);
/* Mark every page to be sent (the first pass); call with logging on. */
void ram_mark_all(struct ram_state *rs);
void ram_forget_populated(struct ram_state *rs);
/*
 * Bit i of out: page i of [host, host + pages * 4 KiB) is backed (present
 * or swapped), from /proc/self/pagemap.  A page that is not was never
 * written, or was discarded: it reads as zero.  -errno where that cannot be
 * known (no pagemap, or memory that is not private and anonymous).
 */
int ram_populated_map(void *host, uint64_t pages, unsigned long *out);
/* Open /proc/self/pagemap and maps for ram_populated_map(), at set-up. */
void ram_pagemap_open(void);
/* Forget the regions' dirty bits (VMM writes from before logging started). */
void ram_drop_dirty(struct ram_state *rs);
/* Pull KVM's dirty log into the to-send bitmaps; returns the pages pending. */
uint64_t ram_sync(struct ram_state *rs, AddressSpace *as);
/* Send pending pages; stops early after budget bytes (0 = all). */
int ram_save_pending(struct ram_state *rs, struct mig_stream *s, uint64_t budget);
uint64_t ram_pending(struct ram_state *rs);
/* The destination's side: its regions, and which of their pages are backed. */
struct ram_load {
    GPtrArray *regions;         /* MemoryRegion *, in the layout's order */
    unsigned long **populated;  /* per region, or NULL: unknown */
    bool no_populate;           /* MADV_POPULATE_WRITE is not known here */
};
int ram_load_layout(AddressSpace *as, const uint8_t *p, size_t len, struct ram_load *rl,
                    GError **errp);
/*
 * The payload (len bytes) of a RAM_PAGES record whose header was just read:
 * data pages are read from the stream straight into guest RAM.  The caller
 * checks the record's checksum afterwards; the guest does not run before.
 */
int ram_load_pages(struct ram_load *rl, struct mig_stream *s, uint32_t len, GError **errp);
void ram_load_destroy(struct ram_load *rl);

/* ---- the convergence decision (migration.c) ---- */
struct pass_stats {
    uint64_t sent_pages;        /* in the pass just done */
    uint64_t pending_pages;     /* dirtied meanwhile: what the next pass sends */
    uint64_t bandwidth;         /* bytes/s the pass achieved */
    unsigned int extra_passes;  /* passes made though the limit was met */
};
/*
 * Stop the guest now?  Yes once the pending pages would go within the
 * downtime limit and another pass would not at least halve them (or they
 * would go in under 1 ms, or 4 extra passes were made); counts extra passes.
 */
bool migration_converged(uint64_t downtime_limit_ms, struct pass_stats *p);

/* ---- destination (migration.c) ---- */
/*
 * Read and check a whole stream from s, then apply its state sections to
 * the machine given to migration_init().  Out of line for the fuzz target
 * (tests/fuzz/migration-fuzz.c), which feeds it hostile streams.
 */
int migration_load_stream(struct mig_stream *s, GError **errp);

#endif
