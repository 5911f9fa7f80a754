/* tests for gateway/web/web_auth: job ids, token, sessions, CSRF, rate limit */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/web/web_auth.h"

struct id_case {
    const char *id;
    bool ok;
};

static const struct id_case id_cases[] = {
    {"20261122T193000.123-1a2b3c4d", true},
    {"1795377083.000-000002", true},
    {"a", true},
    {"job_1", true},
    {"", false},
    {"..", false},
    {".", false},
    {"../etc", false},
    {"a/../b", false},
    {"a..b", false},
    {"a/b", false},
    {".hidden", false},
    {"-rf", false},
    {"a b", false},
    {"a%2e", false},
    {"a\\b", false},
    {"caf\xc3\xa9", false},
    {"a\nb", false},
    {"0123456789012345678901234567890123456789012345678901234567890123", true},
    {"01234567890123456789012345678901234567890123456789012345678901234",
     false},
};

static void
test_web_auth_job_id_ok_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
        if (web_auth_job_id_ok(id_cases[i].id) != id_cases[i].ok)
            fail_msg("job id \"%s\": want %d", id_cases[i].id, id_cases[i].ok);
    }
    assert_false(web_auth_job_id_ok(NULL));
}

static void
test_web_auth_equal(void **state)
{
    (void)state;
    assert_true(web_auth_equal("secret", "secret"));
    assert_false(web_auth_equal("secret", "secreT"));
    assert_false(web_auth_equal("secret", "secret2"));
    assert_false(web_auth_equal("secret2", "secret"));
    assert_false(web_auth_equal("", "x"));
    assert_true(web_auth_equal("", ""));
}

static void
test_web_auth_check_bearer(void **state)
{
    struct web_auth *a = web_auth_init("tok", 0);
    struct web_auth_request rq = {0};

    (void)state;
    assert_int_equal(web_auth_check(a, &rq, 1000), WEB_AUTH_MISSING);
    rq.authorization = "Bearer tok";
    assert_int_equal(web_auth_check(a, &rq, 1000), WEB_AUTH_OK);
    rq.authorization = "Bearer tok2";
    assert_int_equal(web_auth_check(a, &rq, 1000), WEB_AUTH_DENIED);
    rq.authorization = "Basic dG9r";
    assert_int_equal(web_auth_check(a, &rq, 1000), WEB_AUTH_DENIED);
    rq.authorization = "tok";
    assert_int_equal(web_auth_check(a, &rq, 1000), WEB_AUTH_DENIED);
    web_auth_free(a);
}

static void
test_web_auth_no_token_refuses_everything(void **state)
{
    struct web_auth *a = web_auth_init(NULL, 0);
    struct web_auth_request rq = {"Bearer ", NULL, NULL};
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];

    (void)state;
    assert_int_equal(web_auth_check(a, &rq, 1), WEB_AUTH_DENIED);
    assert_int_equal(web_auth_login(a, "", 1, sid, csrf), -1);
    web_auth_free(a);
}

static void
test_web_auth_session_needs_csrf(void **state)
{
    struct web_auth *a = web_auth_init("tok", 0);
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];
    char again[WEB_AUTH_ID_HEX + 1];
    struct web_auth_request rq = {0};

    (void)state;
    assert_int_equal(web_auth_login(a, "wrong", 100, sid, csrf), -1);
    assert_int_equal(web_auth_login(a, "tok", 100, sid, csrf), 0);
    assert_int_equal(strlen(sid), WEB_AUTH_ID_HEX);
    assert_string_not_equal(sid, csrf);
    rq.session = sid;
    assert_int_equal(web_auth_check(a, &rq, 101), WEB_AUTH_DENIED);
    rq.csrf = "nope";
    assert_int_equal(web_auth_check(a, &rq, 101), WEB_AUTH_DENIED);
    rq.csrf = csrf;
    assert_int_equal(web_auth_check(a, &rq, 101), WEB_AUTH_OK);
    assert_int_equal(web_auth_session_csrf(a, sid, 101, again), 0);
    assert_string_equal(again, csrf);
    /* expiry */
    assert_int_equal(web_auth_check(a, &rq, 100 + WEB_AUTH_SESSION_S),
                     WEB_AUTH_DENIED);
    web_auth_free(a);
}

static void
test_web_auth_logout_ends_session(void **state)
{
    struct web_auth *a = web_auth_init("tok", 0);
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];
    struct web_auth_request rq = {NULL, sid, csrf};

    (void)state;
    assert_int_equal(web_auth_login(a, "tok", 5, sid, csrf), 0);
    assert_int_equal(web_auth_check(a, &rq, 6), WEB_AUTH_OK);
    web_auth_logout(a, sid);
    assert_int_equal(web_auth_check(a, &rq, 6), WEB_AUTH_DENIED);
    web_auth_free(a);
}

/* A new token on reload: the old one and its sessions are out at once; the
 * same token again changes nothing and keeps the sessions. */
static void
test_web_auth_set_token_ends_sessions(void **state)
{
    struct web_auth *a = web_auth_init("old", 0);
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];
    struct web_auth_request rq = {NULL, sid, csrf};
    struct web_auth_request old = {"Bearer old", NULL, NULL};
    struct web_auth_request new = {"Bearer new", NULL, NULL};

    (void)state;
    assert_int_equal(web_auth_login(a, "old", 5, sid, csrf), 0);
    assert_false(web_auth_set_token(a, "old"));
    assert_int_equal(web_auth_check(a, &rq, 6), WEB_AUTH_OK);
    assert_true(web_auth_set_token(a, "new"));
    assert_int_equal(web_auth_check(a, &rq, 6), WEB_AUTH_DENIED);
    assert_int_equal(web_auth_check(a, &old, 6), WEB_AUTH_DENIED);
    assert_int_equal(web_auth_check(a, &new, 6), WEB_AUTH_OK);
    assert_int_equal(web_auth_login(a, "old", 7, sid, csrf), -1);
    assert_int_equal(web_auth_login(a, "new", 7, sid, csrf), 0);
    assert_true(web_auth_set_token(a, NULL)); /* no token: nothing allowed */
    assert_int_equal(web_auth_check(a, &new, 8), WEB_AUTH_DENIED);
    assert_int_equal(web_auth_login(a, "", 8, sid, csrf), -1);
    web_auth_free(a);
}

static void
test_web_auth_sessions_evict_oldest(void **state)
{
    struct web_auth *a = web_auth_init("tok", 0);
    char first[WEB_AUTH_ID_HEX + 1], csrf0[WEB_AUTH_ID_HEX + 1];
    char sid[WEB_AUTH_ID_HEX + 1], csrf[WEB_AUTH_ID_HEX + 1];
    struct web_auth_request rq = {NULL, sid, csrf};
    struct web_auth_request rq0 = {NULL, first, csrf0};

    (void)state;
    assert_int_equal(web_auth_login(a, "tok", 0, first, csrf0), 0);
    for (int i = 1; i <= WEB_AUTH_SESSIONS; i++)
        assert_int_equal(web_auth_login(a, "tok", i, sid, csrf), 0);
    assert_int_equal(web_auth_check(a, &rq, 100), WEB_AUTH_OK);
    assert_int_equal(web_auth_check(a, &rq0, 100), WEB_AUTH_DENIED);
    web_auth_free(a);
}

static void
test_web_auth_rate_burst_then_refill(void **state)
{
    struct web_auth *a = web_auth_init("tok", 60); /* 1/s, burst 30 */
    int ok = 0;

    (void)state;
    for (int i = 0; i < 100; i++)
        ok += web_auth_rate_take(a, "10.0.0.1", 5000);
    assert_int_equal(ok, WEB_AUTH_BURST(60));
    assert_false(web_auth_rate_take(a, "10.0.0.1", 5500));
    assert_true(web_auth_rate_take(a, "10.0.0.1", 6000)); /* 1 s later */
    assert_false(web_auth_rate_take(a, "10.0.0.1", 6000));
    /* another client has its own bucket */
    assert_true(web_auth_rate_take(a, "10.0.0.2", 6000));
    /* a long pause refills to the burst, not beyond */
    ok = 0;
    for (int i = 0; i < 100; i++)
        ok += web_auth_rate_take(a, "10.0.0.1", 10000000);
    assert_int_equal(ok, WEB_AUTH_BURST(60));
    web_auth_free(a);
}

static void
test_web_auth_rate_zero_is_unlimited(void **state)
{
    struct web_auth *a = web_auth_init("tok", 0);

    (void)state;
    for (int i = 0; i < 10000; i++)
        assert_true(web_auth_rate_take(a, "c", 1));
    web_auth_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_auth_job_id_ok_table),
        cmocka_unit_test(test_web_auth_equal),
        cmocka_unit_test(test_web_auth_check_bearer),
        cmocka_unit_test(test_web_auth_no_token_refuses_everything),
        cmocka_unit_test(test_web_auth_session_needs_csrf),
        cmocka_unit_test(test_web_auth_logout_ends_session),
        cmocka_unit_test(test_web_auth_set_token_ends_sessions),
        cmocka_unit_test(test_web_auth_sessions_evict_oldest),
        cmocka_unit_test(test_web_auth_rate_burst_then_refill),
        cmocka_unit_test(test_web_auth_rate_zero_is_unlimited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
