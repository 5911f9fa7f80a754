/* tests for smtp/smtp_reply and smtp/smtp_addr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/errbuf.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reply.h"

struct reply_case {
    const char *name;
    const char *in;     /* whole reply, CRLF lines */
    int rc;             /* smtp_reply_parse() result */
    int code;           /* when rc == 0 */
    const char *status; /* when rc == 0 */
    const char *text;   /* when rc == 0 */
    enum err_class cls; /* smtp_reply_class() when rc == 0 */
};

static const struct reply_case reply_cases[] = {
    {"one line", "250 OK\r\n", 0, 250, "", "OK", ERR_NONE},
    {"bare code", "250\r\n", 0, 250, "", "", ERR_NONE},
    {"bare code and space", "250 \r\n", 0, 250, "", "", ERR_NONE},
    {"LF only", "354 go ahead\n", 0, 354, "", "go ahead", ERR_NONE},
    {"multi line", "250-a\r\n250-b\r\n250 c\r\n", 0, 250, "", "a\nb\nc",
     ERR_NONE},
    {"bare continuation", "250-\r\n250 x\r\n", 0, 250, "", "\nx", ERR_NONE},
    {"enhanced", "550 5.1.1 <x@y> unknown\r\n", 0, 550, "5.1.1",
     "5.1.1 <x@y> unknown", ERR_PERM},
    {"enhanced 3 digits", "451 4.123.456 later\r\n", 0, 451, "4.123.456",
     "4.123.456 later", ERR_TEMP},
    {"enhanced wrong class", "250 5.1.1 odd\r\n", 0, 250, "", "5.1.1 odd",
     ERR_NONE},
    {"enhanced 4 digits", "550 5.1111.1 x\r\n", 0, 550, "", "5.1111.1 x",
     ERR_PERM},
    {"enhanced glued", "550 5.1.1x\r\n", 0, 550, "", "5.1.1x", ERR_PERM},
    {"enhanced alone", "421 4.4.2\r\n", 0, 421, "4.4.2", "4.4.2", ERR_TEMP},
    {"panasonic layout", "250-<j@p> ok\r\n250-(&(a=1)\r\n250  (b=2) )\r\n", 0,
     250, "", "<j@p> ok\n(&(a=1)\n (b=2) )", ERR_NONE},
    {"unknown code class 6", "650 x\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"code 199", "199 x\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"garbage", "HELLO\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"two digits", "25\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"bad separator", "250+x\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"code changes", "250-a\r\n251 b\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"unterminated", "250 x", -1, 0, NULL, NULL, ERR_NONE},
    {"incomplete", "250-x\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"data after", "250 x\r\n250 y\r\n", -1, 0, NULL, NULL, ERR_NONE},
    {"empty", "", -1, 0, NULL, NULL, ERR_NONE},
};

static void
test_smtp_reply_parse_table(void **state)
{
    (void)state;
    struct smtp_reply *r = malloc(sizeof *r);
    for (size_t i = 0; i < sizeof reply_cases / sizeof reply_cases[0]; i++) {
        const struct reply_case *c = &reply_cases[i];
        struct errbuf why;
        int rc;

        errbuf_clear(&why);
        rc = smtp_reply_parse(r, c->in, strlen(c->in), &why);
        print_message("case: %s\n", c->name);
        assert_int_equal(rc, c->rc);
        if (rc == -1) {
            assert_int_equal(why.cls, ERR_TEMP);
            continue;
        }
        assert_int_equal(r->code, c->code);
        assert_string_equal(r->status, c->status);
        assert_string_equal(r->text, c->text);
        assert_int_equal(r->len, strlen(c->text));
        assert_int_equal(smtp_reply_class(r), c->cls);
    }
    free(r);
}

static void
test_smtp_reply_add_rejects_nul(void **state)
{
    (void)state;
    struct smtp_reply r;
    struct errbuf why;

    smtp_reply_init(&r);
    assert_int_equal(smtp_reply_add(&r, "250-2.1.5 a", 11, &why), 0);
    assert_int_equal(smtp_reply_add(&r, "250 a\0b", 7, &why), -1);
    assert_int_equal(why.cls, ERR_TEMP);
    assert_non_null(strstr(why.text, "NUL"));
    /* after an error the next line starts a new reply (fuzz_smtp_reply) */
    assert_int_equal(smtp_reply_add(&r, "550 x", 5, &why), 1);
    assert_string_equal(r.status, "");
    assert_string_equal(r.text, "x");
}

static void
test_smtp_reply_add_line_limit(void **state)
{
    (void)state;
    struct smtp_reply *r = malloc(sizeof *r);
    char *line = malloc(SMTP_LINE_MAX + 2);
    struct errbuf why;

    memset(line, 'x', SMTP_LINE_MAX + 1);
    memcpy(line, "250 ", 4);
    smtp_reply_init(r);
    assert_int_equal(smtp_reply_add(r, line, SMTP_LINE_MAX, &why), 1);
    assert_int_equal(r->len, SMTP_LINE_MAX - 4);
    smtp_reply_init(r);
    /* a trailing CR does not count */
    line[SMTP_LINE_MAX] = '\r';
    assert_int_equal(smtp_reply_add(r, line, SMTP_LINE_MAX + 1, &why), 1);
    line[SMTP_LINE_MAX] = 'x';
    assert_int_equal(smtp_reply_add(r, line, SMTP_LINE_MAX + 1, &why), -1);
    assert_int_equal(why.cls, ERR_TEMP);
    assert_string_equal(why.status, "4.5.0");
    free(line);
    free(r);
}

static void
test_smtp_reply_add_whole_limit(void **state)
{
    (void)state;
    struct smtp_reply *r = malloc(sizeof *r);
    char line[1004];
    struct errbuf why;
    int rc = 0, lines = 0;

    memset(line, 'c', sizeof line);
    memcpy(line, "250-", 4);
    smtp_reply_init(r);
    /* 16 lines of 1000 text bytes fit (16 KiB - separators), the 17th not */
    while ((rc = smtp_reply_add(r, line, sizeof line, &why)) == 0)
        lines++;
    assert_int_equal(rc, -1);
    assert_int_equal(lines, SMTP_REPLY_MAX / 1001);
    assert_non_null(strstr(why.text, "reply over"));
    assert_true(r->len < SMTP_REPLY_MAX);
    free(r);
}

static void
test_smtp_reply_add_reuses_after_complete(void **state)
{
    (void)state;
    struct smtp_reply r;
    struct errbuf why;

    smtp_reply_init(&r);
    assert_int_equal(smtp_reply_add(&r, "250-a", 5, &why), 0);
    assert_int_equal(r.code, 0);
    assert_int_equal(smtp_reply_add(&r, "250 b", 5, &why), 1);
    assert_int_equal(r.code, 250);
    assert_int_equal(smtp_reply_add(&r, "354 go", 6, &why), 1);
    assert_int_equal(r.code, 354);
    assert_string_equal(r.text, "go");
}

static void
test_smtp_reply_error_fills_class_and_escapes(void **state)
{
    (void)state;
    struct smtp_reply r;
    struct errbuf why;
    static const char in[] = "452-4.2.2 box \x01 full\r\n452 more\r\n";

    assert_int_equal(smtp_reply_parse(&r, in, sizeof in - 1, &why), 0);
    assert_int_equal(smtp_reply_error(&r, &why, "rcpt"), -1);
    assert_int_equal(why.cls, ERR_TEMP);
    assert_string_equal(why.status, "4.2.2");
    assert_string_equal(why.text, "rcpt: 452 4.2.2 box \\x01 full");
    assert_int_equal(smtp_reply_parse(&r, "554 no\r\n", 8, &why), 0);
    smtp_reply_error(&r, &why, "greeting");
    assert_int_equal(why.cls, ERR_PERM);
    assert_string_equal(why.status, "5.0.0");
}

static void
test_smtp_reply_status_len_cases(void **state)
{
    (void)state;
    assert_int_equal(smtp_reply_status_len("2.0.0", 5), 5);
    assert_int_equal(smtp_reply_status_len("5.7.1 x", 7), 5);
    assert_int_equal(smtp_reply_status_len("3.0.0", 5), 0);
    assert_int_equal(smtp_reply_status_len("5..1", 4), 0);
    assert_int_equal(smtp_reply_status_len("5.1.", 4), 0);
    assert_int_equal(smtp_reply_status_len("5.1.1000", 8), 0);
}

static void
test_smtp_addr_check_cases(void **state)
{
    (void)state;
    struct errbuf why;
    char big[300];

    assert_int_equal(smtp_addr_check("fax@ifax.test", false, &why), 0);
    assert_int_equal(smtp_addr_check("fax@[192.0.2.7]", false, &why), 0);
    assert_int_equal(smtp_addr_check("", true, &why), 0);
    assert_int_equal(smtp_addr_check("", false, &why), -1);
    assert_int_equal(smtp_addr_check("a@b> NOTIFY=NEVER", false, &why), -1);
    assert_int_equal(why.cls, ERR_PERM);
    assert_int_equal(smtp_addr_check("a@b\r\nRSET", false, &why), -1);
    assert_int_equal(smtp_addr_check("nodomain", false, &why), -1);
    assert_int_equal(smtp_addr_check("@x", false, &why), -1);
    memset(big, 'a', 65);
    snprintf(big + 65, sizeof big - 65, "@x.test");
    assert_int_equal(smtp_addr_check(big, false, &why), -1);
    assert_non_null(strstr(why.text, "local part"));
    assert_string_equal(smtp_addr_domain("a@b@c.test"), "c.test");
    assert_null(smtp_addr_domain("abc"));
}

static void
test_smtp_xtext_encode_cases(void **state)
{
    (void)state;
    char out[32];
    struct errbuf why;

    assert_int_equal(smtp_xtext_encode(out, sizeof out, "job-1", &why), 5);
    assert_string_equal(out, "job-1");
    assert_int_equal(smtp_xtext_encode(out, sizeof out, "a+b=c d", &why), 13);
    assert_string_equal(out, "a+2Bb+3Dc+20d");
    assert_int_equal(smtp_xtext_encode(out, sizeof out, "\x7f", &why), -1);
    assert_int_equal(smtp_xtext_encode(out, 4, "++", &why), -1);
    assert_string_equal(out, "");
    assert_int_equal(smtp_xtext_encode(out, 4, "+", &why), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_reply_parse_table),
        cmocka_unit_test(test_smtp_reply_add_rejects_nul),
        cmocka_unit_test(test_smtp_reply_add_line_limit),
        cmocka_unit_test(test_smtp_reply_add_whole_limit),
        cmocka_unit_test(test_smtp_reply_add_reuses_after_complete),
        cmocka_unit_test(test_smtp_reply_error_fills_class_and_escapes),
        cmocka_unit_test(test_smtp_reply_status_len_cases),
        cmocka_unit_test(test_smtp_addr_check_cases),
        cmocka_unit_test(test_smtp_xtext_encode_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
