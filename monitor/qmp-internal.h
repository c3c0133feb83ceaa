/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the QMP monitor.  One job per file:
 *
 *   qmp-stream.c    a client's bytes -> complete JSON messages (framing,
 *                   lexical checks, size and depth limits)
 *   qmp-dispatch.c  a message -> request checks, negotiation, argument
 *                   checks, the handler, the response or error text
 *   qmp-commands.c  the command table and the built-in commands
 *   qmp-events.c    run-state events -> timestamped QMP events, moved to
 *                   the main thread
 *   qmp-server.c    -qmp specs, listening sockets, clients, output
 *
 * Everything but qmp-events.c's handler runs on the main thread.
 */
#ifndef QEMU_VMM_QMP_INTERNAL_H
#define QEMU_VMM_QMP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "qemu-vmm/machine.h"
#include "qemu-vmm/qmp.h"

/* A request may be this big and this deep (QEMU allows 64 MiB, 1024). */
#define QMP_MAX_MESSAGE     (1024 * 1024)
#define QMP_MAX_NESTING     1024

/* The version the greeting and query-version report: qemu-vmm's own. */
#define QMP_VERSION_MAJOR   0
#define QMP_VERSION_MINOR   1
#define QMP_VERSION_MICRO   0

struct QmpSession {
    MachineState *ms;
    bool negotiated;        /* qmp_capabilities done: all commands, events */
};

/* ---- qmp-stream.c ---- */

struct qmp_stream;

/*
 * Called for each complete message (msg: NUL-terminated JSON text, only
 * double-quoted strings) or each error (msg NULL, error "JSON parse
 * error, ...").  Return false to stop: qmp_stream_feed() returns early
 * and the caller feeds the rest later.
 */
typedef bool (*qmp_stream_emit_fn)(void *opaque, const char *msg, size_t len,
                                   const char *error);

struct qmp_stream *qmp_stream_new(qmp_stream_emit_fn emit, void *opaque,
                                  size_t max_message, unsigned int max_nesting);
void qmp_stream_free(struct qmp_stream *s);
/* Returns the number of bytes consumed: len unless emit asked to stop. */
size_t qmp_stream_feed(struct qmp_stream *s, const char *buf, size_t len);

/* ---- qmp-dispatch.c ---- */

/* The response to one message ("...\r\n"), never NULL. */
char *qmp_dispatch(QmpSession *s, const char *msg, size_t len);
/* The response to a framing error from the stream. */
char *qmp_parse_error_response(const char *desc);
/* {"QMP": {"version": ..., "capabilities": []}} */
char *qmp_greeting(void);
/* A JSON value as one line of QMP output ("...\r\n"); takes node. */
char *qmp_node_to_line(JsonNode *node);

/* ---- qmp-commands.c ---- */

const struct qmp_command *qmp_find_command(const char *name);
/* For query-commands: calls fn for every command, built-in and registered. */
void qmp_foreach_command(void (*fn)(const struct qmp_command *cmd, void *opaque),
                         void *opaque);
/* {"qemu": {"major": .., "minor": .., "micro": ..}, "package": ""} */
JsonNode *qmp_version_node(void);

/* ---- qmp-events.c ---- */

/* Forward vm_emit_event() to the clients; call on the main thread. */
void qmp_events_init(void);
/* {"event": .., "data": .., "timestamp": ..} as a line; data may be NULL. */
char *qmp_event_format(const char *event, const char *json_data);
/* Deliver events queued by other threads now (main thread). */
void qmp_events_drain(void);

/* ---- qmp-server.c ---- */

/* Send an event line to every negotiated client (main thread). */
void qmp_server_broadcast(const char *line);
/* Write out what the clients are owed, waiting at most timeout_ms. */
void qmp_server_flush(int timeout_ms);

#endif
