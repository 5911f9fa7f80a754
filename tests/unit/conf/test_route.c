/* tests for conf/route: first match wins, criteria, subject escaping */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "conf/route.h"

static const char routes_conf[] =
    "lines = ( { name = \"l1\"; device = \"/dev/ttyS0\"; },\n"
    "          { name = \"l2\"; device = \"/dev/ttyS1\"; } );\n"
    "scan_profiles = ( { name = \"desk\"; },\n"
    "                  { name = \"own\"; recipients = \"own@m.example\"; },\n"
    "                  { name = \"named\"; route = \"sales\"; } );\n"
    "routes = (\n"
    "  { name = \"blocked\"; match = { caller = [\"0900*\", \"+1900*\"]; };\n"
    "    reject = true; },\n"
    "  { name = \"night\"; match = { source = [\"l1\"]; time = "
    "\"22:00-06:00\"; };\n"
    "    recipients = \"night@m.example\"; },\n"
    "  { name = \"acme\"; match = { csid = \"^ACME[0-9]+$\"; };\n"
    "    recipients = \"acme@m.example\"; },\n"
    "  { name = \"sales\"; match = { called = [\"10[0-4]\", \"2*\"]; };\n"
    "    recipients = \"sales@ifax.example\";\n"
    "    subject = \"Fax ${csid} from ${caller} to ${called} on ${line}: "
    "${pages} p. ${job} ${time} ${source}\"; },\n"
    "  { name = \"scans\"; match = { source = [\"scan:desk\"]; };\n"
    "    recipients = \"scans@m.example\"; },\n"
    "  { name = \"day\"; match = { source = [\"l1\"]; time = \"08:00-18:00\"; "
    "};\n"
    "    recipients = \"day@m.example\"; }\n"
    ");\n";

static const struct config_route *
match(const struct config *cf, const char *line, const char *called,
      const char *caller, const char *csid, int minute)
{
    struct route_query q = {.line = line,
                            .called = called,
                            .caller = caller,
                            .csid = csid,
                            .minute_of_day = minute};
    char why[ROUTE_WHY_MAX];
    const struct config_route *r = route_match(cf, &q, why, sizeof why);

    assert_true(strlen(why) > 0);
    assert_null(strpbrk(why, "\r\n"));
    return r;
}

static const char *
name_of(const struct config_route *r)
{
    return r != NULL ? r->name : "(none)";
}

static int
setup(void **state)
{
    struct config_errors e;

    *state = config_load_string(routes_conf, "routes.conf", &e);
    for (int i = 0; i < e.count; i++)
        print_message("%s\n", e.msg[i]);
    return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    config_free(*state);
    return 0;
}

static void
test_route_match_first_match_wins(void **state)
{
    const struct config *cf = *state;

    /* Both night (l1 at 23:00) and sales (called 101) hold: night is first. */
    assert_string_equal(name_of(match(cf, "l1", "101", "555", "", 23 * 60)),
                        "night");
    /* Same call on l2: night does not hold, sales does. */
    assert_string_equal(name_of(match(cf, "l2", "101", "555", "", 23 * 60)),
                        "sales");
}

static void
test_route_match_globs(void **state)
{
    const struct config *cf = *state;

    assert_string_equal(name_of(match(cf, "l2", "104", "", "", 600)), "sales");
    assert_string_equal(name_of(match(cf, "l2", "2999", "", "", 600)), "sales");
    assert_null(match(cf, "l2", "105", "", "", 600));
    assert_null(match(cf, "l2", "1010", "", "", 600));
    assert_null(match(cf, "l2", NULL, NULL, NULL, 600));
}

static void
test_route_match_reject_by_caller(void **state)
{
    const struct config *cf = *state;
    const struct config_route *r = match(cf, "l1", "101", "0900123", "", 600);

    assert_string_equal(name_of(r), "blocked");
    assert_true(r->reject);
    r = match(cf, "l2", "", "+1900555", "", 600);
    assert_string_equal(name_of(r), "blocked");
    assert_string_equal(name_of(match(cf, "l2", "101", "+1800", "", 600)),
                        "sales");
}

static void
test_route_match_csid_regex(void **state)
{
    const struct config *cf = *state;

    assert_string_equal(name_of(match(cf, "l2", "", "", "ACME42", 600)),
                        "acme");
    assert_null(match(cf, "l2", "", "", "ACME42x", 600));
    assert_null(match(cf, "l2", "", "", "acme42", 600));
}

static void
test_route_match_time_windows(void **state)
{
    const struct config *cf = *state;

    /* night wraps midnight: 22:00 <= t or t < 06:00 */
    assert_string_equal(name_of(match(cf, "l1", "", "", "", 22 * 60)), "night");
    assert_string_equal(name_of(match(cf, "l1", "", "", "", 0)), "night");
    assert_string_equal(name_of(match(cf, "l1", "", "", "", 359)), "night");
    /* 06:00 is outside night (end exclusive), and before day */
    assert_null(match(cf, "l1", "", "", "", 360));
    assert_string_equal(name_of(match(cf, "l1", "", "", "", 8 * 60)), "day");
    assert_string_equal(name_of(match(cf, "l1", "", "", "", 18 * 60 - 1)),
                        "day");
    assert_null(match(cf, "l1", "", "", "", 18 * 60));
    assert_null(match(cf, "l1", "", "", "", 21 * 60 + 59));
    /* unknown time: no time rule holds */
    assert_null(match(cf, "l1", "", "", "", -1));
}

static void
test_route_match_scan_sources(void **state)
{
    const struct config *cf = *state;
    struct route_query q = {.source = "scan:desk", .minute_of_day = 600};
    char why[ROUTE_WHY_MAX];
    const struct config_route *r;

    assert_string_equal(name_of(route_match(cf, &q, why, sizeof why)), "scans");
    q.source = "scan:own";
    r = route_match(cf, &q, why, sizeof why);
    assert_string_equal(name_of(r), "scan:own");
    assert_string_equal(r->recipients[0].address, "own@m.example");
    assert_non_null(strstr(why, "own recipients"));
    q.source = "scan:named";
    assert_string_equal(name_of(route_match(cf, &q, why, sizeof why)), "sales");
    assert_non_null(strstr(why, "names route 'sales'"));
}

static void
test_route_match_why_names_criteria(void **state)
{
    const struct config *cf = *state;
    struct route_query q = {.line = "l2",
                            .called = "101",
                            .caller = "555",
                            .csid = "x\r\nBcc: evil",
                            .minute_of_day = 600};
    char why[ROUTE_WHY_MAX];

    assert_non_null(route_match(cf, &q, why, sizeof why));
    assert_non_null(strstr(why, "route 'sales' matched"));
    assert_non_null(strstr(why, "called '101' ~ '10[0-4]'"));
    q.called = "999";
    q.csid = "ACME1";
    assert_non_null(route_match(cf, &q, why, sizeof why));
    assert_non_null(strstr(why, "csid 'ACME1' ~ /^ACME[0-9]+$/"));
    q.csid = "\r\n";
    assert_null(route_match(cf, &q, why, sizeof why));
    assert_non_null(strstr(why, "no route matched"));
    assert_non_null(strstr(why, "blocked (caller), night (source), acme "
                                "(csid), sales (called)"));
}

static void
test_route_match_catch_all_and_default(void **state)
{
    struct config *cf;
    struct route_query q = {.line = "a", .called = "9", .minute_of_day = 0};

    (void)state;
    /* A catch-all in the middle wins over later routes. */
    cf = config_load_string(
        "lines = ( { name = \"a\"; audio = \"-\"; } );\n"
        "routes = ( { name = \"one\"; match = { called = [\"1\"]; }; "
        "recipients = \"a@b.example\"; },\n"
        "{ name = \"all\"; recipients = \"all@b.example\"; },\n"
        "{ name = \"nine\"; match = { called = [\"9\"]; }; "
        "recipients = \"n@b.example\"; } );",
        "t.conf", NULL);
    assert_non_null(cf);
    assert_string_equal(name_of(route_match(cf, &q, NULL, 0)), "all");
    config_free(cf);
    /* No match: the route named default, wherever it sits. */
    cf = config_load_string(
        "lines = ( { name = \"a\"; audio = \"-\"; } );\n"
        "routes = ( { name = \"default\"; match = { called = [\"7\"]; }; "
        "recipients = \"d@b.example\"; },\n"
        "{ name = \"one\"; match = { called = [\"1\"]; }; "
        "recipients = \"a@b.example\"; } );",
        "t.conf", NULL);
    assert_non_null(cf);
    assert_string_equal(name_of(route_match(cf, &q, NULL, 0)), "default");
    config_free(cf);
}

static void
test_route_subject_expands_variables(void **state)
{
    const struct config *cf = *state;
    const struct config_route *r = config_route_find(cf, "sales");
    struct route_vars v = {.csid = "+1 555",
                           .caller = "555",
                           .called = "101",
                           .line = "l2",
                           .source = "l2",
                           .job = "J1",
                           .time = "10:00",
                           .pages = 3};
    char out[256];

    assert_non_null(r);
    route_subject(r, &v, out, sizeof out);
    assert_string_equal(out, "Fax +1 555 from 555 to 101 on l2: 3 p. J1 10:00 "
                             "l2");
    route_expand("${bogus} ${csid", &v, out, sizeof out);
    assert_string_equal(out, "${bogus} ${csid");
}

static void
test_route_subject_strips_control_bytes(void **state)
{
    const struct config *cf = *state;
    const struct config_route *r = config_route_find(cf, "sales");
    struct route_vars v = {.csid = "EVIL\r\nBcc: victim@x.example\r\n",
                           .caller = "\x1b[31m\x7f",
                           .called = "\n",
                           .line = "l\t2",
                           .pages = 1};
    char out[512];

    assert_non_null(r);
    route_subject(r, &v, out, sizeof out);
    for (const char *p = out; *p != '\0'; p++)
        assert_false((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f);
    assert_non_null(strstr(out, "Fax EVIL  Bcc: victim@x.example   from"));
    /* Missing values expand to nothing, and NULL vars are safe. */
    assert_non_null(strstr(out, "p.  "));
}

static void
test_route_expand_truncates_safely(void **state)
{
    struct route_vars v = {.csid = "0123456789", .pages = 12};
    char out[8];

    (void)state;
    assert_int_equal(route_expand("${csid}${pages}", &v, out, sizeof out), 7);
    assert_string_equal(out, "0123456");
    assert_int_equal(route_expand("a${pages}\rb", &v, out, sizeof out), 5);
    assert_string_equal(out, "a12 b");
    assert_int_equal(route_expand("x", &v, out, 1), 0);
    assert_string_equal(out, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_match_first_match_wins),
        cmocka_unit_test(test_route_match_globs),
        cmocka_unit_test(test_route_match_reject_by_caller),
        cmocka_unit_test(test_route_match_csid_regex),
        cmocka_unit_test(test_route_match_time_windows),
        cmocka_unit_test(test_route_match_scan_sources),
        cmocka_unit_test(test_route_match_why_names_criteria),
        cmocka_unit_test(test_route_match_catch_all_and_default),
        cmocka_unit_test(test_route_subject_expands_variables),
        cmocka_unit_test(test_route_subject_strips_control_bytes),
        cmocka_unit_test(test_route_expand_truncates_safely),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
