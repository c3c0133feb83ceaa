/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration and snapshots: pre-copy of RAM with KVM's dirty log, then
 * the vCPU and device state, over tcp:, unix:, fd: or into a file:.  The
 * stream format is docs/migration-format.md.
 *
 * The source runs the migration on a thread of its own; the guest keeps
 * running until the last pass.  On any failure or cancel the source
 * resumes the guest.  The destination (-incoming) loads on a thread too,
 * and starts the guest only once the whole stream has arrived intact.
 */
#ifndef QEMU_VMM_MIGRATION_H
#define QEMU_VMM_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu-vmm/machine.h"

enum migration_status {
    MIGRATION_NONE,
    MIGRATION_SETUP,
    MIGRATION_ACTIVE,
    MIGRATION_DEVICE,       /* vCPUs stopped, last pass and device state */
    MIGRATION_COMPLETED,
    MIGRATION_FAILED,
    MIGRATION_CANCELLING,
    MIGRATION_CANCELLED,
};

struct migration_params {
    uint64_t downtime_limit_ms;     /* default 300, as QEMU */
    uint64_t max_bandwidth;         /* bytes/s; default 128 MiB/s, as QEMU */
    bool auto_converge;             /* throttle vCPUs that dirty faster than we send */
};

struct migration_info {
    enum migration_status status;
    uint64_t transferred;           /* bytes sent */
    uint64_t remaining;             /* bytes of dirty RAM left */
    uint64_t total_ram;
    uint64_t duplicate_pages;       /* zero pages, sent as a flag */
    uint64_t normal_pages;
    uint64_t dirty_pages_rate;      /* pages/s in the last pass */
    uint64_t dirty_sync_count;      /* passes */
    uint64_t expected_downtime_ms;
    uint64_t downtime_ms;
    uint64_t total_time_ms;
    uint64_t setup_time_ms;
    uint64_t mbps_x1000;            /* throughput in Mbit/s * 1000 */
    unsigned int throttle_pct;
    char error[256];
};

const char *migration_status_name(enum migration_status s);

/* A device's state section (docs/migration-format.md, STATE records). */
struct vmstate_ops {
    const char *name;
    uint32_t instance;
    uint32_t version;
    int (*save)(void *opaque, GByteArray *out);
    /* -EINVAL (with a reason in errp) on anything that does not parse */
    int (*load)(void *opaque, const uint8_t *buf, size_t len, uint32_t version,
                GError **errp);
    void *opaque;
};
void vmstate_register(const struct vmstate_ops *ops);
/* Drop the sections registered with this opaque (a device going away). */
void vmstate_unregister(void *opaque);

void migration_init(MachineState *ms);
/* Add the migration commands to QMP (a no-op without QMP). */
void migration_qmp_register(void);
void migration_get_params(struct migration_params *p);
/* "downtime-limit" (ms), "max-bandwidth" (bytes/s); -EINVAL on bad values */
int migration_set_param(const char *name, uint64_t value, GError **errp);
int migration_set_auto_converge(bool on);

/* Start migrating to uri (tcp:H:P, unix:PATH, fd:N, file:PATH). */
int migration_start(const char *uri, GError **errp);
void migration_cancel(void);
void migration_query(struct migration_info *out);

/* -incoming: load from uri (tcp:, unix:, fd:, file:), then start the guest. */
int migration_incoming(const char *uri, GError **errp);

/* Little-endian serialization with bounds checks, for state sections. */
struct vm_reader {
    const uint8_t *p;
    size_t len, pos;
    bool error;             /* a read ran past the end */
};
void put_u8(GByteArray *b, uint8_t v);
void put_u16(GByteArray *b, uint16_t v);
void put_u32(GByteArray *b, uint32_t v);
void put_u64(GByteArray *b, uint64_t v);
void put_bytes(GByteArray *b, const void *p, size_t len);
uint8_t get_u8(struct vm_reader *r);
uint16_t get_u16(struct vm_reader *r);
uint32_t get_u32(struct vm_reader *r);
uint64_t get_u64(struct vm_reader *r);
/* Copies len bytes (zeros if short, and sets error). */
void get_bytes(struct vm_reader *r, void *out, size_t len);

#endif
