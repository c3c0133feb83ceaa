/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the QMP monitor: the input is a client's byte
 * stream.  It goes through the real stream (framing, lexical checks,
 * limits), dispatcher and commands of monitor/; only the run state is
 * stubbed (qmp-fuzz-stubs.c).  Every answer must be one CRLF-ended line
 * holding a JSON object with "return" or "error" (and maybe "id"), and
 * every error must have a known class and a description.
 *
 * The first byte says how the rest is cut into reads (1-64 bytes), whether
 * the consumer stops after each message (feeding must then resume where
 * it stopped) and whether the session starts negotiated.  The limits are
 * small so that the fuzzer reaches them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp-internal.h"

#define FUZZ_MAX_MESSAGE    256
#define FUZZ_MAX_NESTING    32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void qmp_fuzz_reset_runstate(void);

struct fuzz_client {
    QmpSession session;
    bool stop_each;
};

static void check_error_object(JsonNode *n)
{
    JsonObject *e;
    const char *cls;

    if (!JSON_NODE_HOLDS_OBJECT(n))
        abort();
    e = json_node_get_object(n);
    if (json_object_get_size(e) != 2 || !json_object_has_member(e, "desc") ||
        !json_object_has_member(e, "class"))
        abort();
    cls = json_object_get_string_member(e, "class");
    if (!cls || !json_object_get_string_member(e, "desc"))
        abort();
    for (int c = 0; c < QMP_ERROR__MAX; c++)
        if (!strcmp(cls, qmp_error_class_name(c)))
            return;
    abort();
}

static void check_answer(const char *line)
{
    size_t len = strlen(line);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o;
    guint expected = 1;

    if (len < 3 || strcmp(line + len - 2, "\r\n") || memchr(line, '\n', len - 1) ||
        !g_utf8_validate(line, (gssize)len, NULL))
        abort();
    if (!json_parser_load_from_data(p, line, (gssize)(len - 2), NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        abort();
    o = json_node_get_object(json_parser_get_root(p));
    if (json_object_has_member(o, "id"))
        expected++;
    if (json_object_has_member(o, "error"))
        check_error_object(json_object_get_member(o, "error"));
    else if (!json_object_has_member(o, "return"))
        abort();
    if (json_object_get_size(o) != expected)
        abort();
}

static bool on_message(void *opaque, const char *msg, size_t len, const char *error)
{
    struct fuzz_client *c = opaque;
    g_autofree char *answer = NULL;

    if (msg) {
        /* the stream never passes a NUL on: it is not JSON outside or inside strings */
        if (strlen(msg) != len || len > 2 * FUZZ_MAX_MESSAGE + 8)
            abort();
        answer = qmp_dispatch(&c->session, msg, len);
    } else {
        if (!g_str_has_prefix(error, "JSON parse error, "))
            abort();
        answer = qmp_parse_error_response(error);
    }
    check_answer(answer);
    return !c->stop_each;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static CPUState cpu[2];
    static CPUState *cpus[2] = { &cpu[0], &cpu[1] };
    static MachineState ms = { .smp = 2, .cpus = cpus, .name = (char *)"fuzz" };
    struct fuzz_client c = { .session.ms = &ms };
    struct qmp_stream *s;
    size_t chunk, off = 0;
    int stalls = 0;

    if (size < 1)
        return 0;
    cpu[1].index = 1;
    qmp_fuzz_reset_runstate();
    chunk = (size_t)(data[0] & 0x3f) + 1;
    c.stop_each = data[0] & 0x40;
    c.session.negotiated = data[0] & 0x80;
    data++;
    size--;

    s = qmp_stream_new(on_message, &c, FUZZ_MAX_MESSAGE, FUZZ_MAX_NESTING);
    while (off < size) {
        size_t n = MIN(chunk, size - off);
        size_t used = qmp_stream_feed(s, (const char *)data + off, n);

        if (used > n || (!c.stop_each && used != n))
            abort();
        /* a stop may come before the byte that ended a token: then it is next */
        stalls = used ? 0 : stalls + 1;
        if (stalls > 1)
            abort();
        off += used;
    }
    qmp_stream_free(s);
    return 0;
}
