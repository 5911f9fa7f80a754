/* class1 - T.31 Class 1 byte level (contract in class1.h) */
#include "t30/class1.h"

#include <stdio.h>
#include <string.h>

#include <spandsp.h>

void
class1_parser_init(struct class1_parser *p)
{
    memset(p, 0, sizeof *p);
    p->mode = CLASS1_MODE_LINES;
}

void
class1_parser_set_mode(struct class1_parser *p, enum class1_mode m)
{
    p->mode = m;
    p->dle = false;
    p->len = 0;
    p->overflow = false;
}

static void
put(struct class1_parser *p, uint8_t c, size_t max)
{
    if (p->len < max)
        p->buf[p->len++] = c;
    else
        p->overflow = true;
}

static void
line_byte(struct class1_parser *p, uint8_t c, class1_event_fn fn, void *arg)
{
    struct class1_event ev = {.ev = CLASS1_EV_LINE};
    enum class1_mode next;

    if (c == '\r' || c == 0x11 || c == 0x13 || c == 0)
        return; /* CR, NUL and flow control bytes are never line text */
    if (c != '\n') {
        put(p, c, CLASS1_LINE_MAX);
        return;
    }
    if (p->len == 0)
        return;
    p->buf[p->len] = '\0';
    ev.text = (const char *)p->buf;
    ev.len = p->len;
    ev.overflow = p->overflow;
    next = fn(arg, &ev);
    class1_parser_set_mode(p, next);
}

/* Flush collected non-ECM data before it fills the buffer or ends. */
static void
data_flush(struct class1_parser *p, class1_event_fn fn, void *arg)
{
    struct class1_event ev = {
        .ev = CLASS1_EV_DATA, .data = p->buf, .len = p->len};

    if (p->len > 0)
        fn(arg, &ev);
    p->len = 0;
}

static void
stuffed_byte(struct class1_parser *p, uint8_t c, class1_event_fn fn, void *arg)
{
    bool hdlc = p->mode == CLASS1_MODE_HDLC;
    struct class1_event ev;

    if (!p->dle) {
        if (c == CLASS1_DLE)
            p->dle = true;
        else
            put(p, c, CLASS1_FRAME_MAX);
    } else {
        p->dle = false;
        if (c == CLASS1_ETX) {
            memset(&ev, 0, sizeof ev);
            if (hdlc) {
                ev.ev = CLASS1_EV_FRAME;
                ev.data = p->buf;
                ev.len = p->len;
                ev.overflow = p->overflow;
                fn(arg, &ev);
            } else {
                data_flush(p, fn, arg);
                ev.ev = CLASS1_EV_END;
                fn(arg, &ev);
            }
            class1_parser_set_mode(p, CLASS1_MODE_LINES);
            return;
        }
        if (c == CLASS1_DLE) {
            put(p, CLASS1_DLE, CLASS1_FRAME_MAX);
        } else if (c == CLASS1_SUB) {
            put(p, CLASS1_DLE, CLASS1_FRAME_MAX);
            put(p, CLASS1_DLE, CLASS1_FRAME_MAX);
        }
        /* other <DLE>x are T.31 control codes we do not use: dropped */
    }
    if (!hdlc && p->len + 2 >= CLASS1_FRAME_MAX)
        data_flush(p, fn, arg);
}

void
class1_feed(struct class1_parser *p, const uint8_t *in, size_t n,
            class1_event_fn fn, void *arg)
{
    for (size_t i = 0; i < n; i++) {
        if (p->mode == CLASS1_MODE_LINES)
            line_byte(p, in[i], fn, arg);
        else
            stuffed_byte(p, in[i], fn, arg);
    }
    if (p->mode == CLASS1_MODE_DATA)
        data_flush(p, fn, arg); /* hand data on at once: no latency */
}

static const struct {
    const char *text;
    enum class1_result res;
} results[] = {
    {"OK", CLASS1_RES_OK},
    {"CONNECT", CLASS1_RES_CONNECT},
    {"ERROR", CLASS1_RES_ERROR},
    {"NO CARRIER", CLASS1_RES_NO_CARRIER},
    {"RING", CLASS1_RES_RING},
    {"+FCERROR", CLASS1_RES_FCERROR},
    {"BUSY", CLASS1_RES_BUSY},
    {"NO DIALTONE", CLASS1_RES_NO_DIALTONE},
    {"NO DIAL TONE", CLASS1_RES_NO_DIALTONE},
    {"NO ANSWER", CLASS1_RES_NO_ANSWER},
};

enum class1_result
class1_result_parse(const char *line)
{
    size_t n;

    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++) {
        n = strlen(results[i].text);
        /* "CONNECT 14400" and "RING" with trailing text count too */
        if (strncmp(line, results[i].text, n) == 0 &&
            (line[n] == '\0' || line[n] == ' '))
            return results[i].res;
    }
    return CLASS1_RES_NONE;
}

const char *
class1_result_name(enum class1_result r)
{
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        if (results[i].res == r)
            return results[i].text;
    return "none";
}

static bool
field(const char *line, const char *key, char *out, size_t size)
{
    size_t k = strlen(key);

    if (strncmp(line, key, k) != 0)
        return false;
    line += k;
    while (*line == ' ')
        line++;
    if (*line != '=')
        return false;
    line++;
    while (*line == ' ')
        line++;
    snprintf(out, size, "%s", line);
    return true;
}

bool
class1_callinfo_parse(const char *line, struct class1_callinfo *ci)
{
    return field(line, "NMBR", ci->number, sizeof ci->number) ||
           field(line, "NAME", ci->name, sizeof ci->name) ||
           field(line, "NDID", ci->called, sizeof ci->called);
}

size_t
class1_frame_stuff(const uint8_t *msg, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0;

    if (cap < 2 * n + 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (msg[i] == CLASS1_DLE)
            out[o++] = CLASS1_DLE;
        out[o++] = msg[i];
    }
    out[o++] = CLASS1_DLE;
    out[o++] = CLASS1_ETX;
    return o;
}

int
class1_mod_code(int t30_modem, int bit_rate, bool short_train)
{
    switch (t30_modem) {
    case T30_MODEM_V27TER:
        return bit_rate == 2400 ? 24 : 48;
    case T30_MODEM_V29:
        return bit_rate == 7200 ? 72 : 96;
    case T30_MODEM_V17:
        switch (bit_rate) {
        case 7200:
            return short_train ? 74 : 73;
        case 9600:
            return short_train ? 98 : 97;
        case 12000:
            return short_train ? 122 : 121;
        default:
            return short_train ? 146 : 145;
        }
    case T30_MODEM_V21:
        return 3;
    }
    return -1;
}
