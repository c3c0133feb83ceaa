/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP dispatch: one complete message in, one response out.
 *
 * The checks, their order and their error texts follow QEMU 7.2
 * (qapi/qmp-dispatch.c, monitor/qmp.c) so that clients written against
 * QEMU see the same error classes:
 *   - not JSON                       GenericError "JSON parse error, ..."
 *   - not an object, bad members     GenericError "QMP input ..."
 *   - unknown command                CommandNotFound
 *   - any command but qmp_capabilities before negotiation
 *                                    CommandNotFound "Expecting capabilities
 *                                    negotiation with 'qmp_capabilities'"
 *   - bad arguments                  GenericError "Parameter 'x' is ..."
 * and "id", whatever its type, is echoed in the response.
 */
#include <string.h>

#include "qmp-internal.h"

static const char *const error_class_names[QMP_ERROR__MAX] = {
    [QMP_ERROR_GENERIC] = "GenericError",
    [QMP_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [QMP_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [QMP_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [QMP_ERROR_KVM_MISSING_CAP] = "KVMMissingCap",
};

G_DEFINE_QUARK(qmp-error-quark, qmp_error)

const char *qmp_error_class_name(enum qmp_error_class c)
{
    return (unsigned int)c < QMP_ERROR__MAX ? error_class_names[c] : "GenericError";
}

MachineState *qmp_session_machine(QmpSession *s)
{
    return s->ms;
}

char *qmp_node_to_line(JsonNode *node)
{
    g_autofree char *text = json_to_string(node, FALSE);

    json_node_unref(node);
    return g_strconcat(text, "\r\n", NULL);
}

static char *object_to_line(JsonObject *obj)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);

    json_object_unref(obj);
    return qmp_node_to_line(node);
}

/* {"error": {"class": .., "desc": ..}, "id": ..}; takes id. */
static char *error_response(const GError *err, JsonNode *id)
{
    JsonObject *rsp = json_object_new();
    JsonObject *e = json_object_new();
    enum qmp_error_class c = QMP_ERROR_GENERIC;

    if (err->domain == QMP_ERROR)
        c = (enum qmp_error_class)err->code;
    json_object_set_string_member(e, "class", qmp_error_class_name(c));
    json_object_set_string_member(e, "desc", err->message);
    json_object_set_object_member(rsp, "error", e);
    if (id)
        json_object_set_member(rsp, "id", id);
    return object_to_line(rsp);
}

char *qmp_parse_error_response(const char *desc)
{
    g_autoptr(GError) err = g_error_new_literal(QMP_ERROR, QMP_ERROR_GENERIC, desc);

    return error_response(err, NULL);
}

char *qmp_greeting(void)
{
    JsonObject *qmp = json_object_new();
    JsonObject *greeting = json_object_new();

    json_object_set_member(qmp, "version", qmp_version_node());
    /* no "oob": commands run one at a time on the main thread */
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(greeting, "QMP", qmp);
    return object_to_line(greeting);
}

/*
 * json-glib keeps the last of duplicate members; QEMU refuses them.  Count
 * the members the parser reports per object and compare at its end.
 */
struct dup_check {
    GHashTable *members;    /* JsonObject * -> count */
    bool duplicate;
};

static void on_object_member(JsonParser *p, JsonObject *obj, const char *name, gpointer opaque)
{
    struct dup_check *d = opaque;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(d->members, obj));

    g_hash_table_insert(d->members, obj, GUINT_TO_POINTER(n + 1));
}

static void on_object_end(JsonParser *p, JsonObject *obj, gpointer opaque)
{
    struct dup_check *d = opaque;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(d->members, obj));

    if (n != json_object_get_size(obj))
        d->duplicate = true;
    g_hash_table_remove(d->members, obj);
}

/* json-glib says "<data>:1:5: Parse error: unexpected ..."; keep the "unexpected ...". */
static const char *parse_error_detail(const char *msg)
{
    const char *p = strstr(msg, "Parse error: ");

    return p ? p + strlen("Parse error: ") : msg;
}

static JsonNode *parse_message(const char *msg, size_t len, GError **errp)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) err = NULL;
    struct dup_check dups = { 0 };
    JsonNode *root = NULL;

    if (!g_utf8_validate(msg, (gssize)len, NULL)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "JSON parse error, invalid UTF-8");
        return NULL;
    }
    parser = json_parser_new();
    dups.members = g_hash_table_new(NULL, NULL);
    g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &dups);
    g_signal_connect(parser, "object-end", G_CALLBACK(on_object_end), &dups);
    if (!json_parser_load_from_data(parser, msg, (gssize)len, &err)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "JSON parse error, %s",
                    parse_error_detail(err->message));
    } else if (dups.duplicate) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "JSON parse error, duplicate key");
    } else if (!json_parser_get_root(parser)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "JSON parse error, expecting value");
    } else {
        root = json_parser_steal_root(parser);
    }
    g_hash_table_destroy(dups.members);
    return root;
}

static bool is_integer(JsonNode *n)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static bool is_number(JsonNode *n)
{
    return is_integer(n) ||
           (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_DOUBLE);
}

static bool is_string(JsonNode *n)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

static bool is_bool(JsonNode *n)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;
}

/* QAPI's names for the types in "expected: ..." */
static const char *arg_type_name(enum qmp_arg_type t)
{
    switch (t) {
    case QMP_ARG_STRING: return "string";
    case QMP_ARG_INT: return "integer";
    case QMP_ARG_BOOL: return "boolean";
    case QMP_ARG_NUMBER: return "number";
    case QMP_ARG_STRING_LIST: return "array";
    case QMP_ARG_OBJECT: return "object";
    default: return "any";
    }
}

static bool arg_type_ok(JsonNode *n, enum qmp_arg_type t)
{
    switch (t) {
    case QMP_ARG_STRING: return is_string(n);
    case QMP_ARG_INT: return is_integer(n);
    case QMP_ARG_BOOL: return is_bool(n);
    case QMP_ARG_NUMBER: return is_number(n);
    case QMP_ARG_STRING_LIST: return JSON_NODE_HOLDS_ARRAY(n);
    case QMP_ARG_OBJECT: return JSON_NODE_HOLDS_OBJECT(n);
    default: return true;
    }
}

static const struct qmp_arg *find_arg(const struct qmp_command *cmd, const char *name)
{
    for (const struct qmp_arg *a = cmd->args; a && a->name; a++)
        if (!strcmp(a->name, name))
            return a;
    return NULL;
}

/*
 * Arguments against the command's declaration, in QEMU's order: declared
 * arguments first (missing, wrong type), then members nobody declared.
 */
static bool check_args(const struct qmp_command *cmd, JsonObject *args, GError **errp)
{
    g_autoptr(GList) members = NULL;

    for (const struct qmp_arg *a = cmd->args; a && a->name; a++) {
        JsonNode *v = json_object_get_member(args, a->name);

        /* an optional argument given as null is absent, as in QEMU */
        if (!v || (a->optional && JSON_NODE_HOLDS_NULL(v))) {
            if (a->optional)
                continue;
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is missing",
                        a->name);
            return false;
        }
        if (!arg_type_ok(v, a->type)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Invalid parameter type for '%s', expected: %s", a->name,
                        arg_type_name(a->type));
            return false;
        }
        if (a->type == QMP_ARG_STRING_LIST) {
            JsonArray *arr = json_node_get_array(v);

            for (guint i = 0; i < json_array_get_length(arr); i++) {
                if (!is_string(json_array_get_element(arr, i))) {
                    g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                                "Invalid parameter type for '%s[%u]', expected: string",
                                a->name, i);
                    return false;
                }
            }
        }
    }
    members = json_object_get_members(args);
    for (GList *m = members; m; m = m->next) {
        if (!find_arg(cmd, m->data)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is unexpected",
                        (const char *)m->data);
            return false;
        }
    }
    return true;
}

/* The request's members (QEMU's qmp_dispatch_check_obj); returns "execute". */
static const char *check_request(JsonObject *req, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(req);

    for (GList *m = members; m; m = m->next) {
        const char *name = m->data;
        JsonNode *v = json_object_get_member(req, name);

        if (!strcmp(name, "execute")) {
            if (!is_string(v)) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "QMP input member 'execute' must be a string");
                return NULL;
            }
        } else if (!strcmp(name, "arguments")) {
            if (!JSON_NODE_HOLDS_OBJECT(v)) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                            "QMP input member 'arguments' must be an object");
                return NULL;
            }
        } else if (strcmp(name, "id")) {
            /* "exec-oob" too: out-of-band execution is not offered */
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "QMP input member '%s' is unexpected", name);
            return NULL;
        }
    }
    if (!json_object_has_member(req, "execute")) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "QMP input lacks member 'execute'");
        return NULL;
    }
    return json_object_get_string_member(req, "execute");
}

static const struct qmp_command *find_command(QmpSession *s, const char *name, GError **errp)
{
    const struct qmp_command *cmd = qmp_find_command(name);

    if (!s->negotiated && (!cmd || strcmp(name, "qmp_capabilities"))) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "Expecting capabilities negotiation with 'qmp_capabilities'");
        return NULL;
    }
    if (!cmd)
        g_set_error(errp, QMP_ERROR, QMP_ERROR_COMMAND_NOT_FOUND,
                    "The command %s has not been found", name);
    return cmd;
}

static char *run_command(QmpSession *s, JsonObject *req, JsonNode *id)
{
    g_autoptr(GError) err = NULL;
    const struct qmp_command *cmd;
    JsonObject *args = NULL;
    JsonObject *rsp;
    JsonNode *ret;
    const char *name;

    name = check_request(req, &err);
    if (!name)
        return error_response(err, id);
    cmd = find_command(s, name, &err);
    if (!cmd)
        return error_response(err, id);
    if (json_object_has_member(req, "arguments"))
        args = json_object_ref(json_object_get_object_member(req, "arguments"));
    else
        args = json_object_new();
    if (!check_args(cmd, args, &err)) {
        json_object_unref(args);
        return error_response(err, id);
    }
    ret = cmd->fn(s, args, &err);
    json_object_unref(args);
    if (err) {
        if (ret)
            json_node_unref(ret);
        return error_response(err, id);
    }
    if (!ret) {
        JsonObject *empty = json_object_new();

        /* the node takes its own reference */
        ret = json_node_init_object(json_node_alloc(), empty);
        json_object_unref(empty);
    }
    rsp = json_object_new();
    json_object_set_member(rsp, "return", ret);
    if (id)
        json_object_set_member(rsp, "id", id);
    return object_to_line(rsp);
}

char *qmp_dispatch(QmpSession *s, const char *msg, size_t len)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) root = parse_message(msg, len, &err);
    JsonObject *req;
    JsonNode *id = NULL;

    if (!root)
        return error_response(err, NULL);
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(&err, QMP_ERROR, QMP_ERROR_GENERIC, "QMP input must be a JSON object");
        return error_response(err, NULL);
    }
    req = json_node_get_object(root);
    if (json_object_has_member(req, "id"))
        id = json_node_copy(json_object_get_member(req, "id"));
    return run_command(s, req, id);
}
