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

/* ---- channels (channel.c) ---- */
/* Outgoing: connect or create; returns an fd or -errno with errp set. */
int channel_open_outgoing(const char *uri, bool *is_socket, GError **errp);
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
};

void stream_init(struct mig_stream *s, int fd, bool is_socket, volatile bool *cancel);
void stream_destroy(struct mig_stream *s);
int stream_write_header(struct mig_stream *s);
int stream_write_record(struct mig_stream *s, uint32_t type, const void *payload,
                        size_t len);
int stream_flush(struct mig_stream *s);
int stream_read_header(struct mig_stream *s, GError **errp);
/* The next record into payload; -EPROTO etc. with errp saying why. */
int stream_read_record(struct mig_stream *s, uint32_t *type, GByteArray *payload,
                       GError **errp);

/* ---- RAM (ram.c) ---- */
struct ram_state {
    GPtrArray *regions;         /* MemoryRegion *, in mapping order */
    unsigned long **dirty;      /* per region: pages to send */
    uint64_t total_pages;
    uint64_t zero_pages, normal_pages;
};

void ram_state_init(struct ram_state *rs, AddressSpace *as);
void ram_state_destroy(struct ram_state *rs);
int ram_save_layout(struct ram_state *rs, struct mig_stream *s);
/* Mark every page to be sent (the first pass). */
void ram_mark_all(struct ram_state *rs);
/* Pull KVM's dirty log into the to-send bitmaps; returns the pages pending. */
uint64_t ram_sync(struct ram_state *rs, AddressSpace *as);
/* Send pending pages; stops early after budget bytes (0 = all). */
int ram_save_pending(struct ram_state *rs, struct mig_stream *s, uint64_t budget);
uint64_t ram_pending(struct ram_state *rs);
int ram_load_layout(AddressSpace *as, const uint8_t *p, size_t len, GPtrArray **regions,
                    GError **errp);
int ram_load_pages(GPtrArray *regions, const uint8_t *p, size_t len, GError **errp);

/* ---- destination (migration.c) ---- */
/*
 * Read and check a whole stream from s, then apply its state sections to
 * the machine given to migration_init().  Out of line for the fuzz target
 * (tests/fuzz/migration-fuzz.c), which feeds it hostile streams.
 */
int migration_load_stream(struct mig_stream *s, GError **errp);

#endif
