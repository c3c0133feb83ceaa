/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP commands: a dispatch table and one small handler each.  Return
 * values have QEMU 7.2's shape (the same members and types), so QEMU's
 * clients can read them.
 */
#include <errno.h>
#include <string.h>

#include "qemu-vmm/runstate.h"
#include "qmp-internal.h"

#if defined(__x86_64__)
#define QMP_TARGET "x86_64"
#elif defined(__aarch64__)
#define QMP_TARGET "aarch64"
#else
#define QMP_TARGET "unknown"
#endif

/* The capabilities qmp_capabilities knows (QEMU's QMPCapability enum). */
static const char *const known_capabilities[] = { "oob", NULL };

static JsonNode *object_node(JsonObject *obj)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), obj);

    json_object_unref(obj);
    return n;
}

JsonNode *qmp_version_node(void)
{
    JsonObject *v = json_object_new();
    JsonObject *qemu = json_object_new();

    json_object_set_int_member(qemu, "micro", QMP_VERSION_MICRO);
    json_object_set_int_member(qemu, "minor", QMP_VERSION_MINOR);
    json_object_set_int_member(qemu, "major", QMP_VERSION_MAJOR);
    json_object_set_object_member(v, "qemu", qemu);
    json_object_set_string_member(v, "package", "");
    return object_node(v);
}

static JsonNode *qmp_qmp_capabilities(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonNode *enable = json_object_get_member(args, "enable");
    JsonArray *arr = enable && JSON_NODE_HOLDS_ARRAY(enable) ? json_node_get_array(enable) : NULL;
    g_autoptr(GString) unavailable = g_string_new(NULL);

    /* QEMU checks the values (an enum) before anything else */
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
        const char *cap = json_array_get_string_element(arr, i);

        if (!g_strv_contains(known_capabilities, cap)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter 'enable[%u]' does not accept value '%s'", i, cap);
            return NULL;
        }
        /* the greeting offers none: commands run in order on one thread */
        g_string_append_printf(unavailable, "%s%s", unavailable->len ? ", " : "", cap);
    }
    if (s->negotiated) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "Capabilities negotiation is already complete, command ignored");
        return NULL;
    }
    if (unavailable->len) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Capability %s not available",
                    unavailable->str);
        return NULL;
    }
    s->negotiated = true;
    return NULL;
}

static JsonNode *qmp_query_version(QmpSession *s, JsonObject *args, GError **errp)
{
    return qmp_version_node();
}

static JsonNode *qmp_query_status(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonObject *r = json_object_new();
    enum run_state st = runstate_get();

    json_object_set_string_member(r, "status", runstate_name(st));
    /* never single-stepped: there is no gdbstub */
    json_object_set_boolean_member(r, "singlestep", FALSE);
    json_object_set_boolean_member(r, "running", st == RUN_STATE_RUNNING);
    return object_node(r);
}

static JsonNode *qmp_query_kvm(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonObject *r = json_object_new();

    /* the machine exists, so KVM is there and in use */
    json_object_set_boolean_member(r, "enabled", TRUE);
    json_object_set_boolean_member(r, "present", TRUE);
    return object_node(r);
}

static JsonNode *qmp_query_name(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonObject *r = json_object_new();

    if (s->ms && s->ms->name)
        json_object_set_string_member(r, "name", s->ms->name);
    return object_node(r);
}

static JsonNode *cpu_info(const CPUState *cpu)
{
    JsonObject *c = json_object_new();
    JsonObject *props = json_object_new();
    g_autofree char *qom = NULL;

    /* QEMU's microvm has one socket of N cores; -smp N here is the same */
    json_object_set_int_member(props, "core-id", cpu->index);
    json_object_set_int_member(props, "thread-id", 0);
    json_object_set_int_member(props, "socket-id", 0);
    json_object_set_int_member(c, "thread-id", __atomic_load_n(&cpu->tid, __ATOMIC_ACQUIRE));
    json_object_set_object_member(c, "props", props);
    /* QEMU's path: each vCPU and its LAPIC are unattached devices */
    qom = g_strdup_printf("/machine/unattached/device[%d]", cpu->index * 2);
    json_object_set_string_member(c, "qom-path", qom);
    json_object_set_int_member(c, "cpu-index", cpu->index);
    json_object_set_string_member(c, "target", QMP_TARGET);
    return object_node(c);
}

static JsonNode *qmp_query_cpus_fast(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonArray *cpus = json_array_new();
    JsonNode *n = json_node_init_array(json_node_alloc(), cpus);

    for (int i = 0; s->ms && s->ms->cpus && i < s->ms->smp; i++)
        if (s->ms->cpus[i])
            json_array_add_element(cpus, cpu_info(s->ms->cpus[i]));
    json_array_unref(cpus);
    return n;
}

static void add_command_name(const struct qmp_command *cmd, void *opaque)
{
    JsonObject *c = json_object_new();

    json_object_set_string_member(c, "name", cmd->name);
    json_array_add_object_element(opaque, c);
}

static JsonNode *qmp_query_commands(QmpSession *s, JsonObject *args, GError **errp)
{
    JsonArray *list = json_array_new();
    JsonNode *n = json_node_init_array(json_node_alloc(), list);

    qmp_foreach_command(add_command_name, list);
    json_array_unref(list);
    return n;
}

static JsonNode *qmp_stop(QmpSession *s, JsonObject *args, GError **errp)
{
    /* as QEMU: only a running VM stops; prelaunch stays prelaunch */
    if (runstate_is_running())
        vm_stop(RUN_STATE_PAUSED);
    return NULL;
}

static JsonNode *qmp_cont(QmpSession *s, JsonObject *args, GError **errp)
{
    switch (runstate_get()) {
    case RUN_STATE_INTERNAL_ERROR:
    case RUN_STATE_SHUTDOWN:
    case RUN_STATE_GUEST_PANICKED:
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Resetting the Virtual Machine is required");
        return NULL;
    case RUN_STATE_FINISH_MIGRATE:
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Migration is not finalized yet");
        return NULL;
    case RUN_STATE_INMIGRATE:
        /* QEMU would start the VM once the migration ends: not possible yet */
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "The VM is waiting for an incoming migration");
        return NULL;
    case RUN_STATE_RUNNING:
        return NULL;    /* no RESUME event, as in QEMU */
    default:
        vm_start();
        return NULL;
    }
}

static JsonNode *qmp_system_reset(QmpSession *s, JsonObject *args, GError **errp)
{
    /* carried out by the main loop once this command has returned */
    vm_request_reset_cause(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return NULL;
}

static JsonNode *qmp_system_powerdown(QmpSession *s, JsonObject *args, GError **errp)
{
    /* QEMU signals the guest through ACPI; this machine has no ACPI */
    g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                "system_powerdown is not supported: the machine has no ACPI or other "
                "power button to tell the guest (use quit or system_reset)");
    return NULL;
}

static JsonNode *qmp_quit(QmpSession *s, JsonObject *args, GError **errp)
{
    /* the main loop ends after this reply is queued; SHUTDOWN follows */
    vm_request_exit(SHUTDOWN_CAUSE_HOST_QMP_QUIT, EXIT_OK);
    return NULL;
}

static const struct qmp_arg qmp_capabilities_args[] = {
    { "enable", QMP_ARG_STRING_LIST, true },
    { .name = NULL },
};

/* The dispatch table, in the order query-commands lists it. */
static const struct qmp_command builtin_commands[] = {
    { "qmp_capabilities", qmp_qmp_capabilities, qmp_capabilities_args },
    { "query-commands", qmp_query_commands, NULL },
    { "query-version", qmp_query_version, NULL },
    { "query-status", qmp_query_status, NULL },
    { "query-kvm", qmp_query_kvm, NULL },
    { "query-name", qmp_query_name, NULL },
    { "query-cpus-fast", qmp_query_cpus_fast, NULL },
    { "stop", qmp_stop, NULL },
    { "cont", qmp_cont, NULL },
    { "system_reset", qmp_system_reset, NULL },
    { "system_powerdown", qmp_system_powerdown, NULL },
    { "quit", qmp_quit, NULL },
};

/* Tables other subsystems added with qmp_register_commands(). */
struct command_table {
    const struct qmp_command *cmds;
    size_t n;
};
static GArray *registered;

const struct qmp_command *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(builtin_commands); i++)
        if (!strcmp(builtin_commands[i].name, name))
            return &builtin_commands[i];
    for (guint t = 0; registered && t < registered->len; t++) {
        const struct command_table *tab = &g_array_index(registered, struct command_table, t);

        for (size_t i = 0; i < tab->n; i++)
            if (!strcmp(tab->cmds[i].name, name))
                return &tab->cmds[i];
    }
    return NULL;
}

void qmp_foreach_command(void (*fn)(const struct qmp_command *cmd, void *opaque), void *opaque)
{
    for (size_t i = 0; i < G_N_ELEMENTS(builtin_commands); i++)
        fn(&builtin_commands[i], opaque);
    for (guint t = 0; registered && t < registered->len; t++) {
        const struct command_table *tab = &g_array_index(registered, struct command_table, t);

        for (size_t i = 0; i < tab->n; i++)
            fn(&tab->cmds[i], opaque);
    }
}

int qmp_register_commands(const struct qmp_command *cmds, size_t n)
{
    struct command_table tab = { cmds, n };

    for (size_t i = 0; i < n; i++)
        if (qmp_find_command(cmds[i].name))
            return -EEXIST;
    if (!registered)
        registered = g_array_new(FALSE, FALSE, sizeof(tab));
    g_array_append_val(registered, tab);
    return 0;
}
