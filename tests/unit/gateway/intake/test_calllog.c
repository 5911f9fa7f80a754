/* tests for gateway/intake/calllog: one durable record per call, pages or
 * none */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <spandsp.h>

#include "gateway/intake/calllog.h"
#include "t30/callrec.h"

struct fixture {
    char spool[64];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    snprintf(f->spool, sizeof f->spool, "/tmp/calllog.XXXXXX");
    assert_non_null(mkdtemp(f->spool));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->spool);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Real frames of a SpanDSP call that failed: DIS, TSI, DCS, FTT, DCN. */
static void
failed_rec(struct callrec *r, const char *csid, int64_t start_ms)
{
    static const uint8_t dis[] = {0xff, 0x13, 0x80, 0x00, 0xee, 0xf8, 0x80,
                                  0x80, 0x91, 0x80, 0x80, 0x80, 0x18};
    static const uint8_t dcs[] = {0xff, 0x13, 0x83, 0x00, 0xe2, 0x78};
    static const uint8_t ftt[] = {0xff, 0x13, 0x44};
    static const uint8_t dcn[] = {0xff, 0x13, 0xfb};

    callrec_init(r, "line0");
    callrec_set_str(r->remote_csid, sizeof r->remote_csid, csid);
    callrec_set_str(r->caller_id, sizeof r->caller_id, "4930555");
    callrec_set_str(r->called_number, sizeof r->called_number, "5550100");
    r->start_ms = start_ms;
    callrec_add_frame(r, 3659, false, dis, sizeof dis);
    callrec_add_frame(r, 6938, true, dcs, sizeof dcs);
    callrec_add_frame(r, 9919, false, ftt, sizeof ftt);
    callrec_add_frame(r, 12000, true, dcn, sizeof dcn);
    callrec_finish(r, CALLREC_END_T30, T30_ERR_RX_NOCARRIER, "Carrier lost",
                   start_ms + 12500);
}

static void
write_rec(const char *spool, const struct callrec *r, const char *reason,
          const char *job, char *id, size_t n)
{
    struct calllog_call c;
    struct errbuf why;

    calllog_from_rec(&c, r);
    c.reason = reason;
    c.job = job;
    assert_int_equal(calllog_write(spool, &c, id, n, &why), 0);
}

static size_t
count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void
test_failed_call_leaves_a_record_with_frames(void **state)
{
    struct fixture *f = *state;
    struct callrec r;
    struct calllog *cl;
    struct errbuf why;
    json_t *call = NULL, *frames;
    char id[64], dir[128];
    uint8_t data[64];
    size_t len;
    int64_t t;
    bool in;
    uint32_t cnt;

    failed_rec(&r, "+49 30 1234", 1764770400000);
    write_rec(f->spool, &r, NULL, NULL, id, sizeof id);
    assert_memory_equal(id, "20251203T140000.000-", 20);
    snprintf(dir, sizeof dir, "%s/calls", f->spool);
    assert_int_equal(count_files(dir), 1); /* no temporary file left */
    cl = calllog_open(f->spool);
    assert_int_equal(calllog_show(cl, id, &call, &why), 0);
    assert_string_equal(json_string_value(json_object_get(call, "result")),
                        "failed");
    assert_string_equal(json_string_value(json_object_get(call, "reason")),
                        "t30: Carrier lost (no page received)");
    assert_string_equal(json_string_value(json_object_get(call, "line")),
                        "line0");
    assert_true(json_is_null(json_object_get(call, "job")));
    assert_int_equal(json_integer_value(json_object_get(call, "npages")), 0);
    assert_int_equal(json_integer_value(json_object_get(call, "duration_ms")),
                     12500);
    assert_non_null(strstr(
        json_string_value(json_object_get(call, "transcript")), "-> FTT"));
    frames = json_object_get(call, "frames");
    assert_int_equal(json_array_size(frames), 4);
    assert_int_equal(calllog_frame(json_array_get(frames, 1), data, sizeof data,
                                   &len, &t, &in, &cnt),
                     0);
    assert_int_equal(len, 6);
    assert_int_equal(t, 6938);
    assert_true(in);
    assert_int_equal(data[2], 0x83);
    assert_int_equal(data[4], 0xe2);
    json_decref(call);
    assert_int_equal(
        calllog_show(cl, "20251203T140000.000-00000000", &call, &why),
        CALLLOG_NOT_FOUND);
    assert_int_equal(calllog_show(cl, "../meta", &call, &why),
                     CALLLOG_NOT_FOUND);
    calllog_free(cl);
    callrec_release(&r);
}

static void
test_refused_call_without_record(void **state)
{
    struct fixture *f = *state;
    struct calllog_call c;
    struct calllog_query q = {0};
    struct calllog *cl;
    struct errbuf why;
    json_t *calls = NULL, *s;
    size_t total = 0;

    calllog_from_rec(&c, NULL);
    c.line = "line1";
    c.start_ms = c.end_ms = 1764770460000;
    c.caller_id = "12125550000";
    c.caller_name = "ACME";
    c.called = "5550101";
    c.result = "refused";
    c.reason = "no route accepts it";
    assert_int_equal(calllog_write(f->spool, &c, NULL, 0, &why), 0);
    cl = calllog_open(f->spool);
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 1);
    s = json_array_get(calls, 0);
    assert_string_equal(json_string_value(json_object_get(s, "result")),
                        "refused");
    assert_string_equal(json_string_value(json_object_get(s, "caller_name")),
                        "ACME");
    assert_string_equal(json_string_value(json_object_get(s, "reason")),
                        "no route accepts it");
    assert_null(json_object_get(s, "frames")); /* summaries stay small */
    json_decref(calls);
    calllog_free(cl);
}

static void
test_list_filters_newest_first_and_sees_new_files(void **state)
{
    struct fixture *f = *state;
    struct calllog_query q = {0};
    struct calllog *cl = calllog_open(f->spool);
    struct callrec r;
    struct errbuf why;
    json_t *calls = NULL;
    size_t total = 0;
    char id[64];

    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 0); /* no calls/ yet */
    json_decref(calls);
    for (int i = 0; i < 5; i++) {
        char csid[32];

        snprintf(csid, sizeof csid, "STATION %d", i);
        failed_rec(&r, csid, 1764770400000 + i * 60000);
        write_rec(f->spool, &r, NULL,
                  i == 3 ? "20251203T140300.000-1a2b3c4d" : NULL, id,
                  sizeof id);
        callrec_release(&r);
    }
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(calls, 0), "remote_csid")),
                        "STATION 4");
    json_decref(calls);
    q.offset = 1;
    q.limit = 2;
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 5);
    assert_int_equal(json_array_size(calls), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(calls, 0), "remote_csid")),
                        "STATION 3");
    json_decref(calls);
    memset(&q, 0, sizeof q);
    q.text = "station 2"; /* case-insensitive */
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 1);
    json_decref(calls);
    q.text = "1a2b3c"; /* the job id */
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 1);
    json_decref(calls);
    q.text = NULL;
    q.line = "line9";
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 0);
    json_decref(calls);
    q.line = "line0";
    q.result = "failed";
    q.since_ms = 1764770400000 + 3 * 60000;
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 2);
    json_decref(calls);
    /* a record written by another process after the first listing */
    failed_rec(&r, "LATE", 1764770400000 + 10 * 60000);
    write_rec(f->spool, &r, NULL, NULL, id, sizeof id);
    callrec_release(&r);
    memset(&q, 0, sizeof q);
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 6);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(calls, 0), "remote_csid")),
                        "LATE");
    json_decref(calls);
    calllog_free(cl);
}

static void
test_hostile_csid_kept_converted(void **state)
{
    struct fixture *f = *state;
    struct calllog_query q = {0};
    struct calllog *cl;
    struct callrec r;
    struct errbuf why;
    json_t *calls = NULL;
    size_t total = 0;
    char id[64];

    failed_rec(&r, "M\xfcller <b>\"", 1764770400000);
    write_rec(f->spool, &r, NULL, NULL, id, sizeof id);
    callrec_release(&r);
    cl = calllog_open(f->spool);
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 1);
    /* read as Latin-1, so nothing is lost and JSON stays UTF-8 */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(calls, 0), "remote_csid")),
                        "M\xc3\xbcller <b>\"");
    json_decref(calls);
    calllog_free(cl);
}

static void
test_purge_and_trim_bound_the_log(void **state)
{
    struct fixture *f = *state;
    struct calllog_query q = {0};
    struct calllog *cl = calllog_open(f->spool);
    struct callrec r;
    struct errbuf why;
    json_t *calls = NULL;
    size_t total = 0;
    char id[64];

    for (int i = 0; i < 4; i++) {
        failed_rec(&r, "X", 1764770400000 + i * 3600000);
        write_rec(f->spool, &r, NULL, NULL, id, sizeof id);
        callrec_release(&r);
    }
    /* older than 2 h after the first: the first two go */
    assert_int_equal(calllog_purge(f->spool, 1764770400000 + 2 * 3600000, &why),
                     2);
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 2);
    json_decref(calls);
    assert_int_equal(calllog_trim(f->spool, 1, &why), 1);
    assert_int_equal(calllog_list(cl, &q, &calls, &total, &why), 0);
    assert_int_equal(total, 1);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(calls, 0), "start_ms")),
                     1764770400000 + 3 * 3600000); /* the newest stays */
    json_decref(calls);
    calllog_free(cl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_failed_call_leaves_a_record_with_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_call_without_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_list_filters_newest_first_and_sees_new_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_csid_kept_converted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purge_and_trim_bound_the_log,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
