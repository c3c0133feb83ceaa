/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP commands: what a subsystem needs to add its own (migration, devices).
 *
 * A command is a row in a table: its name, its arguments (checked by the
 * dispatcher before the handler runs, with QEMU's error texts) and a
 * handler that returns the "return" value or fails with a QMP_ERROR.
 * Handlers run on the main thread.  Events need nothing from here: every
 * vm_emit_event() (runstate.h) reaches the QMP clients.
 */
#ifndef QEMU_VMM_QMP_H
#define QEMU_VMM_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "qemu-vmm/machine.h"

/* QEMU's error classes (qapi/error.json); the GError code of QMP_ERROR. */
enum qmp_error_class {
    QMP_ERROR_GENERIC,              /* "GenericError": nearly everything */
    QMP_ERROR_COMMAND_NOT_FOUND,    /* "CommandNotFound" */
    QMP_ERROR_DEVICE_NOT_ACTIVE,    /* "DeviceNotActive" */
    QMP_ERROR_DEVICE_NOT_FOUND,     /* "DeviceNotFound" */
    QMP_ERROR_KVM_MISSING_CAP,      /* "KVMMissingCap" */
    QMP_ERROR__MAX,
};

#define QMP_ERROR (qmp_error_quark())
GQuark qmp_error_quark(void);
/* "GenericError", "CommandNotFound", ... */
const char *qmp_error_class_name(enum qmp_error_class c);

enum qmp_arg_type {
    QMP_ARG_STRING,
    QMP_ARG_INT,
    QMP_ARG_BOOL,
    QMP_ARG_NUMBER,                 /* int or float */
    QMP_ARG_STRING_LIST,            /* an array of strings */
    QMP_ARG_OBJECT,
    QMP_ARG_ANY,
};

struct qmp_arg {
    const char *name;
    enum qmp_arg_type type;
    bool optional;
};

/* One client's connection state, as a handler may need it. */
typedef struct QmpSession QmpSession;
MachineState *qmp_session_machine(QmpSession *s);

/*
 * args holds only declared members, of the declared types.  Return the
 * "return" value (NULL means {}), or NULL with errp set (QMP_ERROR).
 */
typedef JsonNode *(*qmp_command_fn)(QmpSession *s, JsonObject *args, GError **errp);

struct qmp_command {
    const char *name;
    qmp_command_fn fn;
    const struct qmp_arg *args;     /* ended by { .name = NULL }; NULL: no arguments */
};

/*
 * Add a table of n commands (kept by pointer: make it static).  Main
 * thread, before clients connect.  -EEXIST if a name is taken.
 */
int qmp_register_commands(const struct qmp_command *cmds, size_t n);

#endif
