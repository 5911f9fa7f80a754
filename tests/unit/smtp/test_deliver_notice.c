/* tests for smtp/notice: failure/success notices and the transcript keeper */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/notice.h"

static void
fake_job(struct job *j, struct job_rcpt *r)
{
    memset(j, 0, sizeof *j);
    memset(r, 0, sizeof *r);
    snprintf(j->id, sizeof j->id, "20261122T193000.123-1a2b3c4d");
    j->csid = "EVIL\r\nBcc: x@y";
    j->caller = "0301234";
    j->line = "line0";
    j->pages = 2;
    j->created_ms = 1795000000000;
    j->message_id = "<20261122T193000.123-1a2b3c4d@gw.example>";
    j->route = "sales";
    j->n_rcpt = 1;
    j->rcpt = r;
    r->address = "fax@ifax.example";
    r->attempts = 3;
    r->profile = "S MH 204x98 1728";
}

static void
test_notice_failure_has_reason_and_transcript(void **state)
{
    struct job j;
    struct job_rcpt r;
    struct notice_info ni = {0};
    struct errbuf why;
    struct mime_msg *m;
    char id[512], *s;

    (void)state;
    fake_job(&j, &r);
    ni.from = "ifaxgw@gw.example";
    ni.to = "ops@example.org";
    ni.job = &j;
    ni.rcpt = 0;
    ni.reason = "550 5.1.1 <fax@ifax.example> no such fax mailbox";
    ni.transcript = "> RCPT TO:<fax@ifax.example> CONNEG\n< 550 5.1.1 no\n";
    ni.now_ms = 1795000100000;
    m = notice_new(&ni, id, sizeof id, &why);
    assert_non_null(m);
    assert_string_equal(id, "fail-0.20261122T193000.123-1a2b3c4d@gw.example");
    s = mime_compose(m, NULL);
    assert_non_null(strstr(s, "\r\nTo: ops@example.org\r\n"));
    assert_non_null(
        strstr(s, "Subject: Fax delivery failed: fax@ifax.example"));
    assert_non_null(
        strstr(s, "References: <20261122T193000.123-1a2b3c4d@gw.example>"));
    assert_non_null(strstr(s, "\r\nReason:     550 5.1.1 <fax@"));
    assert_non_null(strstr(s, "failed after 3 attempts"));
    assert_non_null(strstr(s, "< 550 5.1.1 no\r\n"));
    /* the hostile CSID stays on its line */
    assert_null(strstr(s, "\r\nBcc:"));
    free(s);
    mime_free(m);
}

/* Issue 16.2/16.6: the notice says the recorded first cause as it is
 * stored (host, step, the far end's bytes escaped once), not a second
 * escape of it and not "connection to  lost". */
static void
test_notice_reason_first_cause_escaped_once(void **state)
{
    struct job j;
    struct job_rcpt r;
    struct notice_info ni = {0};
    struct errbuf why;
    struct mime_msg *m;
    char id[512], *s;

    (void)state;
    fake_job(&j, &r);
    ni.from = "ifaxgw@gw.example";
    ni.to = "ops@example.org";
    ni.job = &j;
    ni.rcpt = 0;
    ni.reason = "127.0.0.1[127.0.0.1]:25 rcpt: bad reply line: \"\\x00x\"";
    ni.transcript = "";
    ni.now_ms = 1795000100000;
    m = notice_new(&ni, id, sizeof id, &why);
    assert_non_null(m);
    s = mime_compose(m, NULL);
    /* one body line (under 76 characters: no quoted-printable break) */
    assert_non_null(strstr(s, "\r\nReason:     127.0.0.1[127.0.0.1]:25 rcpt: "
                              "bad reply line: \"\\x00x\"\r\n"));
    assert_null(strstr(s, "\\x5c"));
    assert_null(strstr(s, "connection to  lost"));
    free(s);
    mime_free(m);
}

static void
test_notice_log_keeps_last_lines(void **state)
{
    struct notice_log l;
    char buf[NOTICE_TAIL_LINES * 16], line[32];
    int i;

    (void)state;
    notice_log_init(&l, NULL);
    for (i = 0; i < NOTICE_TAIL_LINES + 5; i++) {
        snprintf(line, sizeof line, "line %d", i);
        notice_log_line(&l, line);
    }
    notice_log_tail(&l, buf, sizeof buf);
    assert_null(strstr(buf, "line 4\n"));
    assert_non_null(strstr(buf, "line 5\n"));
    assert_non_null(strstr(buf, "line 44\n"));
    assert_true(strncmp(buf, "line 5\n", 7) == 0);
    notice_log_reset(&l);
    notice_log_tail(&l, buf, sizeof buf);
    assert_string_equal(buf, "");
    notice_log_release(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_failure_has_reason_and_transcript),
        cmocka_unit_test(test_notice_reason_first_cause_escaped_once),
        cmocka_unit_test(test_notice_log_keeps_last_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
