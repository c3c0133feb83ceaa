/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP stream (monitor/qmp-stream.c): which messages and errors a byte
 * stream gives, whatever the reads it arrives in, and whether the consumer
 * stops after each message or not.
 */
#include <string.h>
#include <glib.h>

#include "qmp-internal.h"

#define MAX_MESSAGE 64
#define MAX_NESTING 4

struct expect {
    const char *input;
    /* "M:text" a message, "E:text" an error (after "JSON parse error, "), NULL-ended */
    const char *out[6];
};

static const struct expect cases[] = {
    { "{\"execute\": \"stop\"}", { "M:{\"execute\": \"stop\"}" } },
    { "  {\"a\":\n1}\r\n{}", { "M:{\"a\": 1}", "M:{}" } },
    { "{}{}[]", { "M:{}", "M:{}", "M:[]" } },
    { "[1 2]", { "M:[1 2]" } },     /* json-glib rejects it, the stream keeps the blank */
    /* top-level scalars end at the next delimiter */
    { "42 \"s\" null\n", { "M:42", "M:\"s\"", "M:null" } },
    { "42", { NULL } },
    /* single quotes become double quotes */
    { "{'a': 'it\\'s \"x\"'}", { "M:{\"a\": \"it's \\\"x\\\"\"}" } },
    { "{\"a\": 'b'}", { "M:{\"a\": \"b\"}" } },
    /* escapes */
    { "[\"\\n\\t\\\\\\/\\u00e9\\ud83d\\ude00\"]", { "M:[\"\\n\\t\\\\\\/\\u00E9\\uD83D\\uDE00\"]" } },
    { "[\"\\x\"]", { "E:invalid escape '\\x'" } },
    { "[\"\\u0000\"]", { "E:\\u0000 is not supported" } },
    { "[\"\\ud800\"] {}", { "E:\\uD800 is not a valid Unicode character", "M:{}" } },
    { "[\"\\udc00\"]", { "E:\\uDC00 is not a valid Unicode character" } },
    { "[\"\\ud800\\u0041\"]", { "E:\\uD800 is not a valid Unicode character" } },
    { "[\"\\u12g4\"]", { "E:invalid \\u escape" } },
    /* bad tokens spoil only their message, answered once at its end */
    { "{bad json} {}", { "E:invalid keyword 'bad'", "M:{}" } },
    { "[0x10, 1e999, 01]", { "E:invalid number '0x10'" } },
    { "[1e999]", { "E:number '1e999' out of range" } },
    { "[-0.5e+3, 0, -0, 1E2]", { "M:[-0.5e+3, 0, -0, 1E2]" } },
    /* integers past 64 bits become doubles */
    { "[123456789012345678901234567890]", { "M:[123456789012345678901234567890.0]" } },
    /* lexical errors: dropped up to the next bracket or control character */
    { "@@ {}", { "E:stray '@'", "M:{}" } },
    { "{\"a\": \"x\x01y\"} {}", { "E:control character 0x01 in a string", "M:}", "M:{}" } },
    { "\x7f{}", { "E:stray byte 0x7f", "M:{}" } },
    /* unbalanced closers end a message at once */
    { "}", { "M:}" } },
    { "{]", { "M:{]" } },
    { ":", { "M::" } },
    /* limits: one error, the rest of that message is skipped */
    { "[\"0123456789012345678901234567890123456789012345678901234567890123456789\"] {}",
      { "E:message too long", "M:{}" } },
    { "[[[[[]]]]] {}", { "E:nesting too deep", "M:{}" } },
    { "[[[[]]]]", { "M:[[[[]]]]" } },
    /* blanks between messages do not count toward the limit */
    { "                                                                          {}",
      { "M:{}" } },
};

struct sink {
    GPtrArray *got;
    bool stop_each;
};

static bool emit(void *opaque, const char *msg, size_t len, const char *error)
{
    struct sink *k = opaque;

    if (msg) {
        g_assert_cmpuint(strlen(msg), ==, len);
        g_ptr_array_add(k->got, g_strdup_printf("M:%s", msg));
    } else {
        g_assert_true(g_str_has_prefix(error, "JSON parse error, "));
        g_ptr_array_add(k->got, g_strdup_printf("E:%s", error + strlen("JSON parse error, ")));
    }
    return !k->stop_each;
}

static void run_case(const struct expect *e, size_t chunk, bool stop_each)
{
    g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
    struct sink k = { got, stop_each };
    struct qmp_stream *s = qmp_stream_new(emit, &k, MAX_MESSAGE, MAX_NESTING);
    size_t len = strlen(e->input), off = 0;
    guint n = 0;

    while (off < len) {
        size_t piece = MIN(chunk, len - off);
        size_t used = qmp_stream_feed(s, e->input + off, piece);

        g_assert_cmpuint(used, <=, piece);
        if (!stop_each)
            g_assert_cmpuint(used, ==, piece);
        off += used;
    }
    qmp_stream_free(s);
    for (; e->out[n]; n++) {
        if (n >= got->len || strcmp(e->out[n], g_ptr_array_index(got, n)))
            g_error("input %s, reads of %zu%s: output %u is %s, expected %s", e->input, chunk,
                    stop_each ? ", stopping" : "", n,
                    n < got->len ? (char *)g_ptr_array_index(got, n) : "(none)", e->out[n]);
    }
    if (got->len != n)
        g_error("input %s: %u outputs, expected %u (extra: %s)", e->input, got->len, n,
                (char *)g_ptr_array_index(got, n));
}

static void test_cases(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        size_t len = strlen(cases[i].input);

        /* every way of cutting it into equal reads gives the same result */
        for (size_t chunk = 1; chunk <= len; chunk++) {
            run_case(&cases[i], chunk, false);
            run_case(&cases[i], chunk, true);
        }
    }
}

/* A stop requested by the consumer leaves the rest for the next feed. */
static void test_stop_resumes(void)
{
    g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
    struct sink k = { got, true };
    struct qmp_stream *s = qmp_stream_new(emit, &k, MAX_MESSAGE, MAX_NESTING);
    const char *in = "1 {} 2 ";
    size_t used;

    used = qmp_stream_feed(s, in, strlen(in));
    /* "1" ends at the blank, which is not consumed before the stop */
    g_assert_cmpuint(used, ==, 1);
    used += qmp_stream_feed(s, in + used, strlen(in) - used);
    g_assert_cmpuint(used, ==, 4);
    used += qmp_stream_feed(s, in + used, strlen(in) - used);
    g_assert_cmpuint(used, ==, 6);
    g_assert_cmpuint(got->len, ==, 3);
    qmp_stream_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/stream/cases", test_cases);
    g_test_add_func("/qmp/stream/stop-resumes", test_stop_resumes);
    return g_test_run();
}
