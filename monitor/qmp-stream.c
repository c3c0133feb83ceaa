/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP framing: cut a client's byte stream into JSON messages.
 *
 * QMP has no delimiter: a message ends where its top-level value ends (as
 * in QEMU's json-streamer), so this is a small JSON lexer that follows
 * strings and bracket depth.  It also does the lexical checks json-glib
 * is lax about (control characters in strings, bad escapes, lone
 * surrogates, \u0000, numbers out of range, hex numbers) and rewrites
 * QEMU's single-quoted strings as JSON ones; json-glib then does the
 * grammar (qmp-dispatch.c).
 *
 * Limits keep a client from growing our memory: past max_message bytes
 * or max_nesting brackets the client gets one error and the rest of the
 * message is consumed without being stored.  After a lexical error,
 * input is skipped up to the next bracket or control character (a
 * newline), as QEMU does, so a client can always resynchronise.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "qmp-internal.h"

enum lex_state {
    LEX_START,      /* between tokens */
    LEX_BARE,       /* in true, false, null or a number */
    LEX_STRING,
    LEX_ESCAPE,     /* after a backslash in a string */
    LEX_UNICODE,    /* in the four hex digits of \uXXXX */
    LEX_RECOVER,    /* after a lexical error: skipping to a sync point */
};

struct qmp_stream {
    qmp_stream_emit_fn emit;
    void *opaque;
    size_t max_message;
    unsigned int max_nesting;

    GString *msg;           /* the message so far, normalised */
    size_t raw_len;         /* input bytes of this message */
    bool skipping;          /* over a limit: follow the syntax, store nothing */
    char *deferred;         /* the message is bad: the error to give at its end */
    bool stop;              /* emit asked us to return */
    enum lex_state state;
    char quote;             /* the quote that opened the string */
    int braces, brackets;
    size_t bare_start;      /* where the bare token starts in msg */
    unsigned int hex_digits;
    unsigned int code_unit;
    unsigned int high_surrogate;    /* a \uD800-\uDBFF waiting for its low half */
};

struct qmp_stream *qmp_stream_new(qmp_stream_emit_fn emit, void *opaque,
                                  size_t max_message, unsigned int max_nesting)
{
    struct qmp_stream *s = g_new0(struct qmp_stream, 1);

    s->emit = emit;
    s->opaque = opaque;
    s->max_message = max_message;
    s->max_nesting = max_nesting;
    s->msg = g_string_new(NULL);
    return s;
}

void qmp_stream_free(struct qmp_stream *s)
{
    if (!s)
        return;
    g_free(s->deferred);
    g_string_free(s->msg, TRUE);
    g_free(s);
}

static void reset_message(struct qmp_stream *s)
{
    g_string_truncate(s->msg, 0);
    s->raw_len = 0;
    s->skipping = false;
    s->braces = 0;
    s->brackets = 0;
    s->high_surrogate = 0;
    g_clear_pointer(&s->deferred, g_free);
}

static void emit_error(struct qmp_stream *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void emit_error(struct qmp_stream *s, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    g_autofree char *desc = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    desc = g_strdup_printf("JSON parse error, %s", what);
    if (!s->emit(s->opaque, NULL, 0, desc))
        s->stop = true;
}

/* A limit was hit: tell the client once, then consume the message unstored. */
static void over_limit(struct qmp_stream *s, const char *what)
{
    if (s->skipping)
        return;
    emit_error(s, "%s", what);
    g_string_truncate(s->msg, 0);
    s->skipping = true;
}

/*
 * The input cannot be JSON: report it (unless the message was already
 * reported as over a limit), drop the message and resynchronise.
 */
static void lexical_error(struct qmp_stream *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void lexical_error(struct qmp_stream *s, const char *fmt, ...)
{
    if (s->deferred) {
        emit_error(s, "%s", s->deferred);
    } else if (!s->skipping) {
        g_autofree char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        what = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        emit_error(s, "%s", what);
    }
    reset_message(s);
    s->state = LEX_RECOVER;
}

/*
 * Lexically fine but not acceptable (a bad keyword or number, \u0000, a
 * lone surrogate): like QEMU's parser, answer once for the whole message,
 * when it ends, and store nothing more of it.
 */
static void message_error(struct qmp_stream *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void message_error(struct qmp_stream *s, const char *fmt, ...)
{
    va_list ap;

    if (s->skipping)
        return;
    va_start(ap, fmt);
    s->deferred = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_string_truncate(s->msg, 0);
    s->skipping = true;
}

/* After each token: the message is complete when no bracket is left open. */
static void check_end(struct qmp_stream *s)
{
    if ((s->braces > 0 || s->brackets > 0) && s->braces >= 0 && s->brackets >= 0)
        return;
    if (s->deferred)
        emit_error(s, "%s", s->deferred);
    else if (!s->skipping && !s->emit(s->opaque, s->msg->str, s->msg->len, NULL))
        s->stop = true;
    reset_message(s);
}

static void store(struct qmp_stream *s, char c)
{
    if (!s->skipping)
        g_string_append_c(s->msg, c);
}

static bool is_bare_char(unsigned char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
}

static const char *skip_digits(const char *p)
{
    while (g_ascii_isdigit(*p))
        p++;
    return p;
}

/* JSON's number grammar; *is_int says there is no fraction or exponent. */
static bool is_json_number(const char *p, bool *is_int)
{
    *is_int = true;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (g_ascii_isdigit(*p))
        p = skip_digits(p);
    else
        return false;
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p))
            return false;
        p = skip_digits(p);
        *is_int = false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!g_ascii_isdigit(*p))
            return false;
        p = skip_digits(p);
        *is_int = false;
    }
    return *p == '\0';
}

/* The bare token ended: check it (json-glib takes 0x10, and wraps big integers). */
static void end_bare(struct qmp_stream *s)
{
    const char *tok;
    bool is_int;

    if (s->skipping)
        return;
    tok = s->msg->str + s->bare_start;
    if (!strcmp(tok, "true") || !strcmp(tok, "false") || !strcmp(tok, "null"))
        return;
    if (!is_json_number(tok, &is_int)) {
        message_error(s, "invalid %s '%.32s'", g_ascii_isalpha(*tok) ? "keyword" : "number",
                      tok);
        return;
    }
    if (is_int) {
        /* json-glib wraps integers past 64 bits: make them doubles, as QEMU does */
        errno = 0;
        g_ascii_strtoll(tok, NULL, 10);
        if (errno == ERANGE)
            g_string_append(s->msg, ".0");
    } else if (!isfinite(g_ascii_strtod(tok, NULL))) {
        /* json-glib would print it back as "inf", which is not JSON */
        message_error(s, "number '%.32s' out of range", tok);
    }
}

/*
 * \u0000 (json-glib would cut the string there) and surrogates that are
 * not a pair (json-glib would make bad UTF-8 of them) spoil the message,
 * not the lexing: the message gets one error when it ends.
 */
static void bad_surrogate(struct qmp_stream *s, unsigned int u)
{
    message_error(s, "\\u%04X is not a valid Unicode character", u);
    s->high_surrogate = 0;
}

static void end_unicode_escape(struct qmp_stream *s)
{
    unsigned int u = s->code_unit;

    s->state = LEX_STRING;
    if (u == 0) {
        message_error(s, "\\u0000 is not supported");
        s->high_surrogate = 0;
        return;
    }
    if (s->high_surrogate) {
        if (u < 0xdc00 || u > 0xdfff) {
            bad_surrogate(s, s->high_surrogate);
            return;
        }
        if (!s->skipping)
            g_string_append_printf(s->msg, "\\u%04X\\u%04X", s->high_surrogate, u);
        s->high_surrogate = 0;
        return;
    }
    if (u >= 0xd800 && u <= 0xdbff) {
        s->high_surrogate = u;      /* stored with its low half */
        return;
    }
    if (u >= 0xdc00 && u <= 0xdfff) {
        bad_surrogate(s, u);
        return;
    }
    if (!s->skipping)
        g_string_append_printf(s->msg, "\\u%04X", u);
}

static void lex_string(struct qmp_stream *s, unsigned char c)
{
    if (s->high_surrogate && c != '\\')
        bad_surrogate(s, s->high_surrogate);
    if (c == (unsigned char)s->quote) {
        store(s, '"');
        s->state = LEX_START;
        check_end(s);
    } else if (c == '\\') {
        s->state = LEX_ESCAPE;
    } else if (c < 0x20) {
        lexical_error(s, "control character 0x%02x in a string", c);
    } else if (c == '"') {
        /* a double quote inside a single-quoted string */
        store(s, '\\');
        store(s, '"');
    } else {
        store(s, (char)c);
    }
}

static void lex_escape(struct qmp_stream *s, unsigned char c)
{
    if (s->high_surrogate && c != 'u')
        bad_surrogate(s, s->high_surrogate);
    s->state = LEX_STRING;
    switch (c) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        store(s, '\\');
        store(s, (char)c);
        break;
    case '\'':
        store(s, '\'');     /* QEMU's extension, for single-quoted strings */
        break;
    case 'u':
        s->state = LEX_UNICODE;
        s->hex_digits = 0;
        s->code_unit = 0;
        break;
    default:
        /* a bad escape spoils the message; a control character also ends it */
        if (c < 0x20)
            lexical_error(s, "control character 0x%02x in a string", c);
        else if (g_ascii_isprint(c))
            message_error(s, "invalid escape '\\%c'", c);
        else
            message_error(s, "invalid escape '\\' followed by 0x%02x", c);
        break;
    }
}

static void lex_unicode(struct qmp_stream *s, unsigned char c)
{
    if (!g_ascii_isxdigit(c)) {
        message_error(s, "invalid \\u escape");
        s->state = LEX_STRING;
        lex_string(s, c);      /* the string goes on (or ends) here */
        return;
    }
    s->code_unit = s->code_unit * 16 + (unsigned int)g_ascii_xdigit_value(c);
    if (++s->hex_digits == 4)
        end_unicode_escape(s);
}

static void open_bracket(struct qmp_stream *s, char c)
{
    if (c == '{')
        s->braces++;
    else
        s->brackets++;
    store(s, c);
    if ((unsigned int)(s->braces + s->brackets) > s->max_nesting)
        over_limit(s, "nesting too deep");
}

static void lex_start(struct qmp_stream *s, unsigned char c)
{
    switch (c) {
    case ' ': case '\t': case '\n': case '\r':
        /* keep one blank where there was one: "[1 2]" is not "[12]" */
        if (s->msg->len && s->msg->str[s->msg->len - 1] != ' ')
            store(s, ' ');
        return;
    case '{': case '[':
        open_bracket(s, (char)c);
        return;
    case '}': case ']':
        if (c == '}')
            s->braces--;
        else
            s->brackets--;
        store(s, (char)c);
        check_end(s);
        return;
    case ':': case ',':
        store(s, (char)c);
        check_end(s);
        return;
    case '"': case '\'':
        s->quote = (char)c;
        s->state = LEX_STRING;
        store(s, '"');
        return;
    }
    if (is_bare_char(c)) {
        s->bare_start = s->msg->len;
        s->state = LEX_BARE;
        store(s, (char)c);
    } else if (g_ascii_isprint(c)) {
        lexical_error(s, "stray '%c'", c);
    } else {
        lexical_error(s, "stray byte 0x%02x", c);
    }
}

/* Resynchronise on a bracket, a control character or a byte never in UTF-8. */
static bool is_sync_point(unsigned char c)
{
    return c == '{' || c == '}' || c == '[' || c == ']' || (c < 0x20 && c != '\t') ||
           c >= 0xfe;
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Returns false if c was not consumed (it ends a bare token or a recovery). */
static bool lex_char(struct qmp_stream *s, unsigned char c)
{
    if (s->state == LEX_RECOVER) {
        if (!is_sync_point(c))
            return true;
        s->state = LEX_START;
    }
    if (s->state == LEX_BARE && !is_bare_char(c)) {
        s->state = LEX_START;
        end_bare(s);
        check_end(s);
        return false;
    }
    /* blanks between messages are not part of one */
    if (s->state != LEX_START || s->braces || s->brackets || !is_blank(c)) {
        if (++s->raw_len > s->max_message)
            over_limit(s, "message too long");
    }
    switch (s->state) {
    case LEX_START:
        lex_start(s, c);
        break;
    case LEX_BARE:
        store(s, (char)c);
        break;
    case LEX_STRING:
        lex_string(s, c);
        break;
    case LEX_ESCAPE:
        lex_escape(s, c);
        break;
    case LEX_UNICODE:
        lex_unicode(s, c);
        break;
    case LEX_RECOVER:
        break;
    }
    return true;
}

size_t qmp_stream_feed(struct qmp_stream *s, const char *buf, size_t len)
{
    size_t i = 0;

    s->stop = false;
    while (i < len && !s->stop) {
        if (lex_char(s, (unsigned char)buf[i]))
            i++;
    }
    return i;
}
