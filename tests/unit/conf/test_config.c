/* tests for conf/config: defaults, every class of error with its file:line */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"

#define MINIMAL                                                                \
    "lines = ( { name = \"fax1\"; device = \"/dev/ttyUSB0\"; } );\n"           \
    "routes = ( { name = \"all\"; recipients = ( \"fax@ifax.example\" ); } "   \
    ");\n"

/* Does errs hold a problem starting "t.conf:LINE: " and containing text? */
static bool
has_problem(const struct config_errors *e, int line, const char *text)
{
    char prefix[32];

    snprintf(prefix, sizeof prefix, "t.conf:%d: ", line);
    for (int i = 0; i < e->count; i++)
        if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 &&
            strstr(e->msg[i], text) != NULL)
            return true;
    return false;
}

static void
dump(const struct config_errors *e)
{
    for (int i = 0; i < e->count; i++)
        print_message("  got: %s\n", e->msg[i]);
}

static void
test_config_minimal_gets_defaults(void **state)
{
    struct config_errors e;
    struct config *cf = config_load_string(MINIMAL, "t.conf", &e);

    (void)state;
    if (cf == NULL)
        dump(&e);
    assert_non_null(cf);
    assert_int_equal(e.count, 0);
    assert_int_equal(cf->n_lines, 1);
    assert_int_equal(cf->lines[0].kind, CONFIG_LINE_MODEM);
    assert_string_equal(cf->lines[0].device, "/dev/ttyUSB0");
    assert_int_equal(cf->lines[0].rings, 2);
    assert_true(cf->lines[0].ecm);
    assert_int_equal(cf->lines[0].modems, 7);
    assert_int_equal(cf->lines[0].compressions, 7);
    assert_string_equal(cf->gateway.spool, "/var/spool/ifaxgw");
    assert_int_equal(cf->gateway.retention_s, 7 * 86400);
    assert_int_equal(cf->smtp.port, 25);
    assert_int_equal(cf->smtp.mode, CONFIG_SMTP_DIRECT);
    assert_int_equal(cf->smtp.direct_tls, CONFIG_TLS_OPPORTUNISTIC);
    assert_int_equal(cf->smtp.relay_tls, CONFIG_TLS_REQUIRED);
    assert_int_equal(cf->smtp.expiry_s, 4 * 86400);
    assert_int_equal(cf->smtp.n_retry, 5);
    assert_int_equal(cf->smtp.retry_s[0], 300);
    assert_int_equal(cf->smtp.retry_s[4], 7200);
    assert_string_equal(cf->web.listen, "127.0.0.1");
    assert_int_equal(cf->web.port, 8025);
    assert_int_equal(cf->n_routes, 1);
    assert_false(cf->routes[0].has_match);
    assert_int_equal(cf->routes[0].recipients[0].format, CONFIG_FORMAT_AUTO);
    assert_non_null(strchr(cf->smtp.from, '@'));
    config_free(cf);
}

static void
test_config_timeouts_default_to_rfc5321(void **state)
{
    struct config *cf = config_load_string(MINIMAL, "t.conf", NULL);
    const struct smtp_timeouts *t;

    (void)state;
    assert_non_null(cf);
    t = &cf->smtp.timeouts;
    /* RFC 5321 4.5.3.2.1 .. 4.5.3.2.6 */
    assert_int_equal(t->secs[SMTP_STEP_GREETING], 300);
    assert_int_equal(t->secs[SMTP_STEP_MAIL], 300);
    assert_int_equal(t->secs[SMTP_STEP_RCPT], 300);
    assert_int_equal(t->secs[SMTP_STEP_DATA], 120);
    assert_int_equal(t->secs[SMTP_STEP_BLOCK], 180);
    assert_int_equal(t->secs[SMTP_STEP_DOT], 600);
    for (int i = 0; i < SMTP_STEP_COUNT; i++)
        assert_true(t->secs[i] > 0);
    assert_string_equal(config_smtp_step_name(SMTP_STEP_DOT), "dot");
    assert_string_equal(config_smtp_step_name(SMTP_STEP_COUNT), "?");
    config_free(cf);
}

static void
test_config_timeouts_overridable(void **state)
{
    struct config *cf = config_load_string(
        MINIMAL "smtp: { timeouts: { connect = 5; dot = 1200; quit = 2; }; };",
        "t.conf", NULL);

    (void)state;
    assert_non_null(cf);
    assert_int_equal(cf->smtp.timeouts.secs[SMTP_STEP_CONNECT], 5);
    assert_int_equal(cf->smtp.timeouts.secs[SMTP_STEP_DOT], 1200);
    assert_int_equal(cf->smtp.timeouts.secs[SMTP_STEP_QUIT], 2);
    assert_int_equal(cf->smtp.timeouts.secs[SMTP_STEP_RCPT], 300);
    config_free(cf);
}

static void
test_config_default_validates(void **state)
{
    struct config_errors e;
    struct config *cf =
        config_load_string(config_default_text(), "<default>", &e);

    (void)state;
    if (cf == NULL)
        dump(&e);
    assert_non_null(cf);
    assert_int_equal(e.nwarn, 0);
    assert_string_equal(cf->gateway.spool, "./demo/spool");
    assert_string_equal(cf->web.listen, "127.0.0.1");
    assert_int_equal(cf->n_lines, 1);
    /* the demo: a modem on the virtual line, the device on 10025 */
    assert_int_equal(cf->lines[0].kind, CONFIG_LINE_MODEM);
    assert_string_equal(cf->lines[0].device, "./demo/ttyIFX0");
    assert_int_equal(cf->n_routes, 1);
    assert_string_equal(cf->routes[0].recipients[0].host, "127.0.0.1");
    assert_int_equal(cf->routes[0].recipients[0].port, 10025);
    assert_non_null(cf->web.token);
    config_free(cf);
    cf = config_default();
    assert_non_null(cf);
    config_free(cf);
}

/* One case per class of error: the text and the line it must be blamed on. */
struct err_case {
    const char *name;
    const char *text;
    int line;
    const char *problem;
};

static const struct err_case err_cases[] = {
    {"syntax", MINIMAL "gateway: {\n name = = \"x\"; };", 4, "syntax error"},
    {"duplicate key (libconfig)", MINIMAL "web: { port = 1;\n port = 2; };", 4,
     "duplicate setting name"},
    {"unknown top key", MINIMAL "\n\nfrobnicate = 1;", 5,
     "unknown key 'frobnicate'"},
    {"unknown key in group", MINIMAL "gateway: {\n  spool_dir = \"/x\"; };", 4,
     "gateway: unknown key 'spool_dir'"},
    {"unknown key in line",
     "lines = ( { name = \"a\";\n device = \"/dev/x\";\n speed = 9600; } );", 3,
     "lines[0]: unknown key 'speed'"},
    {"wrong type int", MINIMAL "gateway: { workers = \"four\"; };", 3,
     "gateway.workers: expected an integer, got a string"},
    {"wrong type string", MINIMAL "gateway: { spool = 42; };", 3,
     "gateway.spool: expected a string, got an integer"},
    {"wrong type bool", MINIMAL "\nweb: { enable = 1; };", 4,
     "web.enable: expected a boolean"},
    {"wrong type group", MINIMAL "smtp = 3;", 3, "expected a group"},
    {"float for int", MINIMAL "gateway: { workers = 2.5; };", 3, "got a float"},
    {"out of range", MINIMAL "\n\ngateway: { workers = 0; };", 5,
     "workers: 0 is out of range 1..64"},
    {"timeout zero", MINIMAL "smtp: {\n timeouts: {\n  dot = 0; }; };", 5,
     "smtp.timeouts.dot: 0 is out of range"},
    {"timeout negative", MINIMAL "smtp: { timeouts: { rcpt = -5; }; };", 3,
     "rcpt: -5 is out of range"},
    {"unknown timeout", MINIMAL "smtp: { timeouts: {\n helo = 5; }; };", 4,
     "unknown key 'helo'"},
    {"bad enum", MINIMAL "smtp: { mode = \"carrier-pigeon\"; };", 3,
     "'carrier-pigeon' is not one of: direct, relay"},
    {"duplicate route name",
     "lines = ( { name = \"a\"; audio = \"-\"; } );\nroutes = (\n"
     " { name = \"r\"; recipients = \"a@b.example\"; },\n"
     " { name = \"r\"; recipients = \"c@d.example\"; } );",
     4, "duplicate route name 'r' (first at line 3)"},
    {"duplicate line name",
     "lines = ( { name = \"a\"; audio = \"-\"; },\n"
     "{ name = \"a\"; device = \"/dev/x\"; } );",
     2, "duplicate line name 'a'"},
    {"bad address no at",
     "lines = ( { name = \"a\"; audio = \"-\"; } );\nroutes = (\n"
     " { name = \"r\"; recipients = ( \"fax.example\" ); } );",
     3, "'fax.example': no '@'"},
    {"bad address domain",
     "routes = ( { name = \"r\";\n recipients = ( {\n address = "
     "\"a@-bad-.example\"; } ); } );",
     2, "bad domain"},
    {"bad address literal",
     "routes = ( { name = \"r\"; recipients = ( \"a@[300.1.1.1]\" ); } );", 1,
     "bad address literal"},
    {"bad notify",
     "routes = ( { name = \"r\"; recipients = \"a@b.example\";\n notify = "
     "\"admin\"; } );",
     2, "routes[0].notify: 'admin': no '@'"},
    {"bad regex",
     "lines = ( { name = \"a\"; audio = \"-\"; } );\nroutes = ( { name = \"r\";"
     "\n match = { csid = \"([a-z\"; };\n recipients = \"a@b.example\"; } );",
     3, "routes[0].match.csid: bad regular expression"},
    {"bad time",
     "routes = ( { name = \"r\"; match = {\n time = \"8:00-17:00\"; };\n "
     "recipients = \"a@b.example\"; } );",
     2, "want \"HH:MM-HH:MM\""},
    {"empty time range",
     "routes = ( { name = \"r\"; match = { time = \"08:00-08:00\"; }; "
     "recipients = \"a@b.example\"; } );",
     1, "from != to"},
    {"bad hostport",
     MINIMAL "smtp: {\n smarthost = \"relay.example:70000\"; };", 4,
     "smtp.smarthost: 'relay.example:70000': port out of range"},
    {"bad host name", MINIMAL "smtp: { smarthost = \"bad_host\"; };", 3,
     "bad host name"},
    {"bad dns server", MINIMAL "smtp: { dns_servers = [ \"ns.example\" ]; };",
     3, "not an IP address"},
    {"unknown source",
     "lines = ( { name = \"a\"; audio = \"-\"; } );\nroutes = ( { name = "
     "\"r\"; "
     "match = {\n source = [ \"b\", \"scan:none\" ]; }; recipients = "
     "\"a@b.example\"; } );",
     3, "'b' names no line"},
    {"unknown scan source",
     "lines = ( { name = \"a\"; audio = \"-\"; } );\nroutes = ( { name = "
     "\"r\"; "
     "match = {\n source = [ \"scan:none\" ]; }; recipients = "
     "\"a@b.example\"; } );",
     3, "'scan:none' names no scan profile"},
    {"station id too long",
     "lines = ( { name = \"a\"; audio = \"-\";\n station_id = "
     "\"123456789012345678901\"; } );",
     2, "longer than 20"},
    {"station id charset",
     "lines = ( { name = \"a\"; audio = \"-\"; station_id = \"ACME\"; } );", 1,
     "only digits"},
    {"modem without device", "lines = ( { name = \"a\"; kind = \"modem\"; } );",
     1, "a modem line needs device"},
    {"bad modulation",
     "lines = ( { name = \"a\"; device = \"/dev/x\";\n modems = [ \"V34\" ]; } "
     ");",
     2, "unknown 'V34'"},
    {"t6 without ecm",
     "lines = ( { name = \"a\"; device = \"/dev/x\"; ecm = false;\n "
     "compressions = [ \"T4_1D\", \"T6\" ]; } );",
     2, "T6 needs ecm"},
    {"bad init",
     "lines = ( { name = \"a\"; device = \"/dev/x\";\n init = [ "
     "\"ATZ\", \"&K3\" ]; } );",
     2, "'&K3' is not an AT command"},
    {"bad name", "lines = ( { name = \"a b\"; audio = \"-\"; } );", 1,
     "use 1..64 of"},
    {"missing name", "lines = ( { audio = \"-\"; } );", 1, "missing name"},
    {"audiosocket without port",
     "lines = ( { name = \"a\"; kind = \"audiosocket\"; } );", 1,
     "an audiosocket line needs port"},
    {"audiosocket port range",
     "lines = ( { name = \"a\"; kind = \"audiosocket\";\n port = 70000; } );",
     2, "lines[0].port: 70000 is out of range 1..65535"},
    {"audiosocket bad listen",
     "lines = ( { name = \"a\"; kind = \"audiosocket\"; port = 9092;\n "
     "listen = \"localhost\"; } );",
     2, "'localhost' is not a numeric IPv4 or IPv6 address"},
    {"audiosocket max_calls range",
     "lines = ( { name = \"a\"; kind = \"audiosocket\"; port = 9092;\n\n "
     "max_calls = 0; } );",
     3, "max_calls: 0 is out of range 1..256"},
    {"audiosocket with audio",
     "lines = ( { name = \"a\"; kind = \"audiosocket\"; port = 9092; "
     "audio = \"-\"; } );",
     1, "not device or audio"},
    {"port on an audio line",
     "lines = ( { name = \"a\"; audio = \"-\"; port = 9092; } );", 1,
     "are for kind = \"audiosocket\" lines"},
    {"route without recipients", "routes = ( { name = \"r\"; } );", 1,
     "needs recipients"},
    {"reject with recipients",
     "routes = ( { name = \"r\"; reject = true; recipients = \"a@b.example\"; "
     "} );",
     1, "a reject route has no recipients"},
    {"relay without smarthost",
     "routes = ( { name = \"r\";\n recipients = ( { address = \"a@b.example\"; "
     "mode = \"relay\"; } ); } );",
     2, "mode relay needs smtp.smarthost"},
    {"bad subject variable",
     "routes = ( { name = \"r\"; recipients = \"a@b.example\";\n subject = "
     "\"Fax ${nope}\"; } );",
     2, "unknown variable ${nope}"},
    {"unterminated subject",
     "routes = ( { name = \"r\"; recipients = \"a@b.example\";\n subject = "
     "\"Fax ${csid\"; } );",
     2, "unterminated"},
    {"control char in string", MINIMAL "gateway: { name = \"a\\nb\"; };", 3,
     "control characters"},
    {"include refused", MINIMAL "@include \"/etc/passwd\"\n", 3,
     "@include is not supported"},
    {"profile names unknown route",
     "scan_profiles = ( {\n name = \"p\"; route = \"nowhere\"; } );", 2,
     "no route named 'nowhere'"},
    {"button profile unknown",
     MINIMAL "scanner: { device = \"test:0\";\n button_profile = \"nope\"; };",
     4, "scanner.button_profile: no scan profile named 'nope'"},
    {"button poll range",
     MINIMAL "scanner: { button_poll_ms = 5; };", 3,
     "5 is out of range 100..60000"},
    {"scan stall timeout range",
     MINIMAL "scanner: {\n stall_timeout_s = 2; };", 4,
     "2 is out of range 5..3600"},
    {"scan close timeout range",
     MINIMAL "scanner: { close_timeout_s = 0; };", 3,
     "0 is out of range 1..600"},
    {"profile bad paper",
     "scan_profiles = ( { name = \"p\";\n paper = \"a5\"; recipients = "
     "\"a@b.example\"; } );",
     2, "'a5' is not one of"},
    {"profile threshold range",
     "scan_profiles = ( { name = \"p\"; threshold = 300; recipients = "
     "\"a@b.example\"; } );",
     1, "300 is out of range 0..255"},
    {"auth without password",
     MINIMAL "smtp: { smarthost = \"r.example\";\n user = \"u\"; };", 3,
     "auth plain needs user and password"},
    {"web listen not ip", MINIMAL "web: { listen = \"example.com\"; };", 3,
     "not an IPv4 or IPv6 address"},
    {"lines not a list", "lines = { name = \"a\"; };", 1, "expected a list"},
    {"pinned domain bad",
     MINIMAL "smtp: { pinned = ( { domain = \"a..b\"; host = \"10.0.0.1\"; } "
             "); };",
     3, "is not a domain"},
};

static void
test_config_errors_name_file_and_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const struct err_case *c = &err_cases[i];
        struct config_errors e;
        struct config *cf = config_load_string(c->text, "t.conf", &e);

        if (cf != NULL || !has_problem(&e, c->line, c->problem)) {
            print_message("case '%s': want t.conf:%d: ...%s...\n", c->name,
                          c->line, c->problem);
            dump(&e);
            fail();
        }
    }
}

/* Every problem is reported, not just the first. */
static void
test_config_collects_all_problems(void **state)
{
    struct config_errors e;
    struct config *cf = config_load_string(
        "gateway: { workers = 0; };\n"
        "web: { port = 70000; };\n"
        "smtp: { port = \"25\"; };\n"
        "lines = ( { name = \"a\"; audio = \"-\"; rings = 99; } );\n",
        "t.conf", &e);

    (void)state;
    assert_null(cf);
    assert_true(has_problem(&e, 1, "workers"));
    assert_true(has_problem(&e, 2, "web.port"));
    assert_true(has_problem(&e, 3, "smtp.port"));
    assert_true(has_problem(&e, 4, "rings"));
    assert_int_equal(e.count, 4);
}

static void
test_config_error_count_is_bounded(void **state)
{
    char *text = malloc(200 * 32 + 64);
    size_t used = 0;
    struct config_errors e;

    (void)state;
    used += (size_t)sprintf(text, "gateway: {\n");
    for (int i = 0; i < 200; i++)
        used += (size_t)sprintf(text + used, "k%d = 1;\n", i);
    sprintf(text + used, "};\n");
    assert_null(config_load_string(text, "t.conf", &e));
    assert_int_equal(e.count, CONFIG_ERRORS_MAX);
    assert_int_equal(e.dropped, 200 - CONFIG_ERRORS_MAX);
    free(text);
}

static void
test_config_file_errors(void **state)
{
    char path[] = "/tmp/test_config_XXXXXX";
    char prefix[64];
    int fd = mkstemp(path);
    struct config_errors e;
    static const char text[] = "lines = ( { name = \"a\"; audio = \"-\"; } );\n"
                               "routes = ( { name = \"r\";\n"
                               "  recipients = \"bad\"; } );\n";

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof text - 1),
                     (ssize_t)sizeof text - 1);
    close(fd);
    assert_null(config_load(path, &e));
    snprintf(prefix, sizeof prefix, "%s:3: ", path);
    assert_int_equal(e.count, 1);
    assert_memory_equal(e.msg[0], prefix, strlen(prefix));

    /* A NUL byte makes it not a text file. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "a\0b", 3), 3);
    close(fd);
    assert_null(config_load(path, &e));
    assert_non_null(strstr(e.msg[0], "NUL byte"));
    unlink(path);

    assert_null(config_load(path, &e)); /* gone */
    assert_non_null(strstr(e.msg[0], "cannot open"));
}

static void
test_config_routes_and_recipients_parsed(void **state)
{
    struct config_errors e;
    struct config *cf = config_load_string(
        "lines = ( { name = \"l1\"; device = \"/dev/ttyS0\"; station_id = "
        "\"+49 30 1234\"; init = [\"ATZ\", \"AT&F\"]; modems = [\"V29\", "
        "\"V27ter\"]; flow = \"xonxoff\"; baud = 19200; } );\n"
        "smtp: { smarthost = \"relay.example:2525\"; user = \"u\"; password = "
        "\"p\"; pinned = ( { domain = \"ifax.example\"; host = "
        "\"[::1]:2526\"; } ); dns_servers = [\"127.0.0.1:5353\", \"::1\"]; "
        "retry = [10, 20]; };\n"
        "routes = ( { name = \"sales\"; match = { source = [\"l1\"]; called = "
        "[\"100*\"]; csid = \"^ACME\"; time = \"22:00-06:00\"; }; "
        "recipients = ( { address = \"fax@[IPv6:2001:db8::1]\"; format = "
        "\"tiff-s\"; host = \"10.1.1.1\"; }, { address = \"\\\"a "
        "b\\\"@m.example\"; "
        "mode = \"relay\"; format = \"pdf\"; mdn = true; } ); notify = "
        "\"admin@m.example\"; notify_success = true; } );",
        "t.conf", &e);
    const struct config_route *r;

    (void)state;
    if (cf == NULL)
        dump(&e);
    assert_non_null(cf);
    assert_string_equal(cf->lines[0].station_id, "+49 30 1234");
    assert_int_equal(cf->lines[0].n_init, 2);
    assert_int_equal(cf->lines[0].modems,
                     CONFIG_MODEM_V29 | CONFIG_MODEM_V27TER);
    assert_int_equal(cf->lines[0].flow, CONFIG_FLOW_XONXOFF);
    assert_string_equal(cf->smtp.smarthost.host, "relay.example");
    assert_int_equal(cf->smtp.smarthost.port, 2525);
    assert_int_equal(cf->smtp.auth, CONFIG_AUTH_PLAIN);
    assert_string_equal(cf->smtp.pins[0].to.host, "::1");
    assert_int_equal(cf->smtp.pins[0].to.port, 2526);
    assert_int_equal(cf->smtp.n_dns, 2);
    assert_int_equal(cf->smtp.dns_servers[0].port, 5353);
    assert_int_equal(cf->smtp.dns_servers[1].port, 53);
    assert_int_equal(cf->smtp.n_retry, 2);
    r = config_route_find(cf, "sales");
    assert_non_null(r);
    assert_int_equal(r->time_from, 22 * 60);
    assert_int_equal(r->time_to, 6 * 60);
    assert_int_equal(r->recipients[0].format, CONFIG_FORMAT_TIFF_S);
    assert_string_equal(r->recipients[0].host, "10.1.1.1");
    assert_int_equal(r->recipients[0].port, 25);
    assert_int_equal(r->recipients[0].tls, CONFIG_TLS_OPPORTUNISTIC);
    assert_int_equal(r->recipients[1].mode, CONFIG_SMTP_RELAY);
    assert_int_equal(r->recipients[1].tls, CONFIG_TLS_REQUIRED);
    assert_true(r->recipients[1].mdn);
    assert_true(r->notify_success);
    assert_null(config_route_find(cf, "nope"));
    config_free(cf);
}

static void
test_config_warns_without_catch_all(void **state)
{
    struct config_errors e;
    struct config *cf = config_load_string(
        "lines = ( { name = \"a\"; audio = \"-\"; } );\n"
        "routes = ( { name = \"r\"; match = { called = [\"1\"]; }; recipients "
        "= \"a@b.example\"; } );",
        "t.conf", &e);

    (void)state;
    assert_non_null(cf);
    assert_int_equal(e.nwarn, 1);
    assert_non_null(strstr(e.warn[0], "no catch-all route"));
    config_free(cf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_minimal_gets_defaults),
        cmocka_unit_test(test_config_timeouts_default_to_rfc5321),
        cmocka_unit_test(test_config_timeouts_overridable),
        cmocka_unit_test(test_config_default_validates),
        cmocka_unit_test(test_config_errors_name_file_and_line),
        cmocka_unit_test(test_config_collects_all_problems),
        cmocka_unit_test(test_config_error_count_is_bounded),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_config_routes_and_recipients_parsed),
        cmocka_unit_test(test_config_warns_without_catch_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
