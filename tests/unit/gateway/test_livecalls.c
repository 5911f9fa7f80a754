/* tests for gateway/livecalls: one entry per call, updated in place,
 * removed at its end, never more than max (a new call when full is
 * refused), far-end strings kept raw and cut to the fields */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/livecalls.h"

static struct line_report
rep(const char *id, enum line_status st, int page, int rate)
{
    struct line_report r = {.line = "pbx",
                            .status = st,
                            .page = page,
                            .bit_rate = rate,
                            .call = id,
                            .caller = "100",
                            .called = "200"};
    return r;
}

static void
test_add_update_remove(void **state)
{
    struct livecalls t;
    struct livecalls_entry out[4];
    struct line_report r = rep("a", LINE_STATUS_RECEIVING, 1, 0);

    (void)state;
    livecalls_init(&t, 4);
    assert_int_equal(livecalls_report(&t, &r, 1000), LIVECALLS_ADDED);
    r = rep("b", LINE_STATUS_RECEIVING, 1, 0);
    assert_int_equal(livecalls_report(&t, &r, 1500), LIVECALLS_ADDED);
    r = rep("a", LINE_STATUS_RECEIVING, 2, 14400);
    r.csid = "+49 30 1";
    assert_int_equal(livecalls_report(&t, &r, 2000), LIVECALLS_UPDATED);
    assert_int_equal(livecalls_copy(&t, out, 4), 2);
    assert_string_equal(out[0].id, "a");
    assert_int_equal(out[0].page, 2);
    assert_int_equal(out[0].bit_rate, 14400);
    assert_string_equal(out[0].csid, "+49 30 1");
    assert_string_equal(out[0].caller, "100");
    assert_string_equal(out[0].called, "200");
    assert_int_equal(out[0].start_ms, 1000);
    assert_int_equal(out[0].progress_ms, 2000);
    /* nothing moved: progress time kept; a later NULL csid keeps it */
    r.csid = NULL;
    assert_int_equal(livecalls_report(&t, &r, 3000), LIVECALLS_UPDATED);
    assert_int_equal(livecalls_copy(&t, out, 4), 2);
    assert_int_equal(out[0].progress_ms, 2000);
    assert_string_equal(out[0].csid, "+49 30 1");
    /* the end removes the entry; order (oldest first) kept */
    r = rep("a", LINE_STATUS_IDLE, 0, 0);
    assert_int_equal(livecalls_report(&t, &r, 4000), LIVECALLS_REMOVED);
    assert_int_equal(livecalls_copy(&t, out, 4), 1);
    assert_string_equal(out[0].id, "b");
    assert_int_equal(livecalls_report(&t, &r, 4000), LIVECALLS_UNKNOWN);
    r = rep("b", LINE_STATUS_IDLE, 0, 0);
    assert_int_equal(livecalls_report(&t, &r, 4000), LIVECALLS_REMOVED);
    assert_int_equal(livecalls_copy(&t, out, 4), 0);
    livecalls_free(&t);
}

static void
test_bounded(void **state)
{
    struct livecalls t;
    struct livecalls_entry out[3];
    char id[8];

    (void)state;
    livecalls_init(&t, 2);
    for (int i = 0; i < 5; i++) {
        struct line_report r;

        snprintf(id, sizeof id, "c%d", i);
        r = rep(id, LINE_STATUS_RECEIVING, 1, 0);
        assert_int_equal(livecalls_report(&t, &r, i),
                         i < 2 ? LIVECALLS_ADDED : LIVECALLS_FULL);
    }
    assert_int_equal(t.n, 2);
    assert_int_equal(livecalls_copy(&t, out, 1), 1); /* out's max holds */
    /* a call in the table is still updated when full; after an end
     * there is room again */
    struct line_report r = rep("c1", LINE_STATUS_RECEIVING, 3, 9600);
    assert_int_equal(livecalls_report(&t, &r, 9), LIVECALLS_UPDATED);
    r = rep("c0", LINE_STATUS_DOWN, 0, 0);
    assert_int_equal(livecalls_report(&t, &r, 9), LIVECALLS_REMOVED);
    r = rep("c9", LINE_STATUS_RECEIVING, 1, 0);
    assert_int_equal(livecalls_report(&t, &r, 9), LIVECALLS_ADDED);
    assert_int_equal(livecalls_copy(&t, out, 3), 2);
    assert_string_equal(out[0].id, "c1");
    assert_string_equal(out[1].id, "c9");
    livecalls_free(&t);
    /* max 0: nothing is ever stored */
    livecalls_init(&t, 0);
    assert_int_equal(livecalls_report(&t, &r, 1), LIVECALLS_FULL);
    livecalls_free(&t);
}

static void
test_hostile(void **state)
{
    struct livecalls t;
    struct livecalls_entry out[1];
    char longid[64], longcsid[100];
    struct line_report r = rep(NULL, LINE_STATUS_RECEIVING, 1, 0);

    (void)state;
    livecalls_init(&t, 1);
    assert_int_equal(livecalls_report(&t, &r, 1), LIVECALLS_BAD);
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    r.call = longid; /* longer than a UUID: refused, not cut (no clash) */
    assert_int_equal(livecalls_report(&t, &r, 1), LIVECALLS_BAD);
    memset(longcsid, 'y', sizeof longcsid - 1);
    longcsid[sizeof longcsid - 1] = '\0';
    r.call = "u";
    r.caller = "<img src=x onerror=alert(1)>\xff\xfe";
    r.csid = longcsid;
    assert_int_equal(livecalls_report(&t, &r, 1), LIVECALLS_ADDED);
    assert_int_equal(livecalls_copy(&t, out, 1), 1);
    assert_string_equal(out[0].caller, "<img src=x onerror=alert(1)>\xff\xfe");
    assert_int_equal(strlen(out[0].csid), sizeof out[0].csid - 1);
    livecalls_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_update_remove),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
