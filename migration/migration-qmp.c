/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP commands of migration, in QEMU's names and shapes: migrate,
 * migrate_cancel, query-migrate, migrate-set-parameters,
 * query-migrate-parameters, migrate-set-capabilities (auto-converge) and
 * migrate-incoming (for -incoming defer).
 */
#include "qemu-vmm/migration.h"
#include "qemu-vmm/qmp.h"
#include "qemu-vmm/runstate.h"

static JsonNode *object_node(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);

    json_object_unref(o);
    return n;
}

static JsonNode *qmp_migrate(QmpSession *s, JsonObject *args, GError **errp)
{
    g_autoptr(GError) err = NULL;

    if (migration_start(json_object_get_string_member(args, "uri"), &err) < 0) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "%s", err->message);
        return NULL;
    }
    return NULL;
}

static JsonNode *qmp_migrate_cancel(QmpSession *s, JsonObject *args, GError **errp)
{
    migration_cancel();
    return NULL;
}

static JsonNode *qmp_query_migrate(QmpSession *s, JsonObject *args, GError **errp)
{
    struct migration_info i;
    JsonObject *o = json_object_new(), *ram;

    migration_query(&i);
    if (i.status == MIGRATION_NONE)
        return object_node(o);      /* as QEMU: {} before any migration */
    json_object_set_string_member(o, "status", migration_status_name(i.status));
    if (i.status == MIGRATION_SETUP)
        return object_node(o);
    json_object_set_int_member(o, "total-time", (gint64)i.total_time_ms);
    json_object_set_int_member(o, "setup-time", (gint64)i.setup_time_ms);
    if (i.status == MIGRATION_COMPLETED)
        json_object_set_int_member(o, "downtime", (gint64)i.downtime_ms);
    else
        json_object_set_int_member(o, "expected-downtime", (gint64)i.expected_downtime_ms);
    if (i.throttle_pct)
        json_object_set_int_member(o, "cpu-throttle-percentage", i.throttle_pct);
    if (i.status == MIGRATION_FAILED && i.error[0])
        json_object_set_string_member(o, "error-desc", i.error);
    ram = json_object_new();
    json_object_set_int_member(ram, "transferred", (gint64)i.transferred);
    json_object_set_int_member(ram, "remaining", (gint64)i.remaining);
    json_object_set_int_member(ram, "total", (gint64)i.total_ram);
    json_object_set_int_member(ram, "duplicate", (gint64)i.duplicate_pages);
    json_object_set_int_member(ram, "normal", (gint64)i.normal_pages);
    json_object_set_int_member(ram, "normal-bytes", (gint64)(i.normal_pages * 4096));
    json_object_set_int_member(ram, "dirty-pages-rate", (gint64)i.dirty_pages_rate);
    json_object_set_int_member(ram, "dirty-sync-count", (gint64)i.dirty_sync_count);
    json_object_set_int_member(ram, "page-size", 4096);
    json_object_set_double_member(ram, "mbps", (double)i.mbps_x1000 / 1000.0);
    json_object_set_object_member(o, "ram", ram);
    return object_node(o);
}

static JsonNode *qmp_migrate_set_parameters(QmpSession *s, JsonObject *args, GError **errp)
{
    static const char *const names[] = { "downtime-limit", "max-bandwidth" };
    g_autoptr(GError) err = NULL;

    /* check all first: a bad value changes nothing */
    for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
        if (json_object_has_member(args, names[k]) &&
            json_object_get_int_member(args, names[k]) < 0) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter '%s' expects a non-negative value", names[k]);
            return NULL;
        }
    }
    for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
        if (!json_object_has_member(args, names[k]))
            continue;
        if (migration_set_param(names[k],
                                (uint64_t)json_object_get_int_member(args, names[k]),
                                &err) < 0) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "%s", err->message);
            return NULL;
        }
    }
    return NULL;
}

static JsonNode *qmp_query_migrate_parameters(QmpSession *s, JsonObject *args,
                                              GError **errp)
{
    struct migration_params p;
    JsonObject *o = json_object_new();

    migration_get_params(&p);
    json_object_set_int_member(o, "downtime-limit", (gint64)p.downtime_limit_ms);
    json_object_set_int_member(o, "max-bandwidth", (gint64)p.max_bandwidth);
    return object_node(o);
}

static JsonNode *qmp_migrate_set_capabilities(QmpSession *s, JsonObject *args,
                                              GError **errp)
{
    JsonArray *caps = json_object_get_array_member(args, "capabilities");

    for (guint i = 0; i < json_array_get_length(caps); i++) {
        JsonObject *c = json_array_get_object_element(caps, i);
        const char *name = c && json_object_has_member(c, "capability")
                               ? json_object_get_string_member(c, "capability") : NULL;

        if (!name || !json_object_has_member(c, "state")) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Parameter 'capabilities' expects {'capability': str, 'state': bool}");
            return NULL;
        }
        if (g_strcmp0(name, "auto-converge")) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Migration capability '%s' is not supported", name);
            return NULL;
        }
    }
    for (guint i = 0; i < json_array_get_length(caps); i++) {
        JsonObject *c = json_array_get_object_element(caps, i);

        migration_set_auto_converge(json_object_get_boolean_member(c, "state"));
    }
    return NULL;
}

static JsonNode *qmp_migrate_incoming(QmpSession *s, JsonObject *args, GError **errp)
{
    g_autoptr(GError) err = NULL;

    if (runstate_get() != RUN_STATE_INMIGRATE) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "'-incoming' was not specified on the command line");
        return NULL;
    }
    if (migration_incoming(json_object_get_string_member(args, "uri"), &err) < 0) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "%s", err->message);
        return NULL;
    }
    return NULL;
}

static const struct qmp_arg migrate_args[] = {
    { "uri", QMP_ARG_STRING, false },
    { "blk", QMP_ARG_BOOL, true },
    { "inc", QMP_ARG_BOOL, true },
    { "detach", QMP_ARG_BOOL, true },
    { "resume", QMP_ARG_BOOL, true },
    { .name = NULL },
};

static const struct qmp_arg set_params_args[] = {
    { "downtime-limit", QMP_ARG_INT, true },
    { "max-bandwidth", QMP_ARG_INT, true },
    { .name = NULL },
};

static const struct qmp_arg set_caps_args[] = {
    { "capabilities", QMP_ARG_ANY, false },
    { .name = NULL },
};

static const struct qmp_arg incoming_args[] = {
    { "uri", QMP_ARG_STRING, false },
    { .name = NULL },
};

static const struct qmp_command migration_commands[] = {
    { "migrate", qmp_migrate, migrate_args },
    { "migrate_cancel", qmp_migrate_cancel, NULL },
    { "query-migrate", qmp_query_migrate, NULL },
    { "migrate-set-parameters", qmp_migrate_set_parameters, set_params_args },
    { "query-migrate-parameters", qmp_query_migrate_parameters, NULL },
    { "migrate-set-capabilities", qmp_migrate_set_capabilities, set_caps_args },
    { "migrate-incoming", qmp_migrate_incoming, incoming_args },
};

void migration_qmp_register(void)
{
    qmp_register_commands(migration_commands, G_N_ELEMENTS(migration_commands));
}
