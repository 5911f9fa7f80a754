/* tests for t30/class1: the Class 1 modem byte level */
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>

#include "t30/class1.h"

/* Collects events as text: "L:OK" "F:ff13..(ok|over)" "D:n" "E". */
struct sink {
    char log[2048];
    enum class1_mode after_connect; /* mode to enter after CONNECT */
};

static enum class1_mode
on_event(void *arg, const struct class1_event *ev)
{
    struct sink *s = arg;
    size_t o = strlen(s->log);
    char *p = s->log + o;
    size_t n = sizeof s->log - o;

    switch (ev->ev) {
    case CLASS1_EV_LINE:
        snprintf(p, n, "L:%s|", ev->text);
        if (class1_result_parse(ev->text) == CLASS1_RES_CONNECT)
            return s->after_connect;
        break;
    case CLASS1_EV_FRAME:
        snprintf(p, n, "F:");
        for (size_t i = 0; i < ev->len && i < 8; i++)
            snprintf(s->log + strlen(s->log), sizeof s->log - strlen(s->log),
                     "%02x", ev->data[i]);
        snprintf(s->log + strlen(s->log), sizeof s->log - strlen(s->log),
                 "/%zu%s|", ev->len, ev->overflow ? "!" : "");
        break;
    case CLASS1_EV_DATA:
        snprintf(p, n, "D:%zu|", ev->len);
        break;
    case CLASS1_EV_END:
        snprintf(p, n, "E|");
        break;
    }
    return CLASS1_MODE_LINES;
}

static void
feed_split(const char *in, size_t len, enum class1_mode after, size_t step,
           char *out, size_t outlen)
{
    struct class1_parser p;
    struct sink s = {.after_connect = after};

    class1_parser_init(&p);
    for (size_t i = 0; i < len; i += step)
        class1_feed(&p, (const uint8_t *)in + i,
                    len - i < step ? len - i : step, on_event, &s);
    snprintf(out, outlen, "%s", s.log);
}

struct feed_case {
    const char *name;
    const char *in;
    size_t len;
    enum class1_mode after;
    const char *want; /* for whole-buffer feeding */
};

#define C(s) s, sizeof(s) - 1

static const struct feed_case cases[] = {
    {"results", C("\r\nOK\r\n\r\nERROR\r\nRING\r\n"), CLASS1_MODE_LINES,
     "L:OK|L:ERROR|L:RING|"},
    /* the LF after CONNECT is never frame data ("Bad HDLC header 0a") */
    {"hdlc frame with FCS",
     C("\r\nCONNECT\r\n\xff\x13\x80\x00\xaa\xbb\x10\x03"
       "\r\nOK\r\n"),
     CLASS1_MODE_HDLC, "L:CONNECT|F:ff138000aabb/6|L:OK|"},
    {"dle doubled in frame", C("CONNECT\r\n\xff\x03\x10\x10\x41\x10\x03OK\r\n"),
     CLASS1_MODE_HDLC, "L:CONNECT|F:ff031041/4|L:OK|"},
    {"non-ecm data then no carrier",
     C("CONNECT\r\n\x01\x02\x10\x10\x10\x1a\x03\x10\x03\r\nNO CARRIER\r\n"),
     CLASS1_MODE_DATA, "L:CONNECT|D:6|E|L:NO CARRIER|"},
    {"xon xoff and nul in lines", C("\x11O\x13K\x00\r\n"), CLASS1_MODE_LINES,
     "L:OK|"},
    {"unknown dle code dropped", C("CONNECT\r\n\xff\x10\x41\x03\x10\x03"),
     CLASS1_MODE_HDLC, "L:CONNECT|F:ff03/2|"},
};

static void
test_class1_feed_table(void **st)
{
    char got[2048];

    (void)st;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct feed_case *c = &cases[i];

        feed_split(c->in, c->len, c->after, c->len, got, sizeof got);
        if (strcmp(got, c->want) != 0)
            fail_msg("%s: got %s want %s", c->name, got, c->want);
        /* byte by byte the frames and lines are the same (data chunks
         * may be split differently, so compare only data-free cases) */
        if (c->after != CLASS1_MODE_DATA) {
            feed_split(c->in, c->len, c->after, 1, got, sizeof got);
            if (strcmp(got, c->want) != 0)
                fail_msg("%s (1 byte at a time): got %s", c->name, got);
        }
    }
}

static void
test_class1_frame_overflow_is_bad(void **st)
{
    char in[CLASS1_FRAME_MAX + 64], got[2048];
    size_t n = 0;

    (void)st;
    n += (size_t)snprintf(in, sizeof in, "CONNECT\r\n");
    memset(in + n, 0x55, CLASS1_FRAME_MAX + 20);
    n += CLASS1_FRAME_MAX + 20;
    in[n++] = 0x10;
    in[n++] = 0x03;
    feed_split(in, n, CLASS1_MODE_HDLC, n, got, sizeof got);
    assert_non_null(strstr(got, "/512!|"));
}

static void
test_class1_long_line_cut(void **st)
{
    char in[1000], got[2048];

    (void)st;
    memset(in, 'x', 600);
    memcpy(in + 600, "\r\nOK\r\n", 6);
    feed_split(in, 606, CLASS1_MODE_LINES, 606, got, sizeof got);
    assert_int_equal(strlen(got), 2 + CLASS1_LINE_MAX + 1 + 5);
    assert_non_null(strstr(got, "|L:OK|"));
}

static void
test_class1_result_parse(void **st)
{
    (void)st;
    assert_int_equal(class1_result_parse("OK"), CLASS1_RES_OK);
    assert_int_equal(class1_result_parse("CONNECT 14400"), CLASS1_RES_CONNECT);
    assert_int_equal(class1_result_parse("+FCERROR"), CLASS1_RES_FCERROR);
    assert_int_equal(class1_result_parse("NO CARRIER"), CLASS1_RES_NO_CARRIER);
    assert_int_equal(class1_result_parse("OKAY"), CLASS1_RES_NONE);
    assert_int_equal(class1_result_parse("RINGING"), CLASS1_RES_NONE);
    assert_int_equal(class1_result_parse(""), CLASS1_RES_NONE);
}

static void
test_class1_callinfo(void **st)
{
    struct class1_callinfo ci;

    (void)st;
    memset(&ci, 0, sizeof ci);
    assert_true(class1_callinfo_parse("NMBR = 5551234", &ci));
    assert_true(class1_callinfo_parse("NAME=<script>", &ci));
    assert_true(class1_callinfo_parse("NDID = 5550199", &ci));
    assert_false(class1_callinfo_parse("NMBRX = 1", &ci));
    assert_false(class1_callinfo_parse("DATE = 1122", &ci));
    assert_string_equal(ci.number, "5551234");
    assert_string_equal(ci.name, "<script>");
    assert_string_equal(ci.called, "5550199");
}

static void
test_class1_frame_stuff(void **st)
{
    const uint8_t msg[] = {0xff, 0x13, 0x10, 0x84};
    uint8_t out[16];

    (void)st;
    assert_int_equal(class1_frame_stuff(msg, 4, out, sizeof out), 7);
    assert_memory_equal(out, "\xff\x13\x10\x10\x84\x10\x03", 7);
    assert_int_equal(class1_frame_stuff(msg, 4, out, 9), 0);
}

static void
test_class1_mod_code(void **st)
{
    (void)st;
    assert_int_equal(class1_mod_code(T30_MODEM_V17, 14400, true), 146);
    assert_int_equal(class1_mod_code(T30_MODEM_V17, 14400, false), 145);
    assert_int_equal(class1_mod_code(T30_MODEM_V17, 7200, true), 74);
    assert_int_equal(class1_mod_code(T30_MODEM_V29, 9600, false), 96);
    assert_int_equal(class1_mod_code(T30_MODEM_V29, 7200, false), 72);
    assert_int_equal(class1_mod_code(T30_MODEM_V27TER, 2400, false), 24);
    assert_int_equal(class1_mod_code(T30_MODEM_V27TER, 4800, false), 48);
    assert_int_equal(class1_mod_code(T30_MODEM_V21, 300, false), 3);
    assert_int_equal(class1_mod_code(T30_MODEM_NONE, 0, false), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class1_feed_table),
        cmocka_unit_test(test_class1_frame_overflow_is_bad),
        cmocka_unit_test(test_class1_long_line_cut),
        cmocka_unit_test(test_class1_result_parse),
        cmocka_unit_test(test_class1_callinfo),
        cmocka_unit_test(test_class1_frame_stuff),
        cmocka_unit_test(test_class1_mod_code),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
