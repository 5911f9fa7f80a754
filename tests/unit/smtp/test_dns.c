/* tests for smtp/dns without a name server: host[:port] parsing, address
 * literals, pinned numeric hosts, options from the config */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "smtp/dns.h"

static void
test_dns_split_hostport_cases(void **state)
{
    (void)state;
    char host[64];
    int port = 25;
    struct errbuf why;

    assert_int_equal(
        dns_split_hostport("mx.test", host, sizeof host, &port, &why), 0);
    assert_string_equal(host, "mx.test");
    assert_int_equal(port, 25);
    assert_int_equal(
        dns_split_hostport("10.0.0.1:2525", host, sizeof host, &port, &why), 0);
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 2525);
    assert_int_equal(
        dns_split_hostport("[::1]:26", host, sizeof host, &port, &why), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 26);
    port = 25;
    assert_int_equal(
        dns_split_hostport("2001:db8::1", host, sizeof host, &port, &why), 0);
    assert_string_equal(host, "2001:db8::1");
    assert_int_equal(port, 25);
    assert_int_equal(dns_split_hostport("h:0", host, sizeof host, &port, &why),
                     -1);
    assert_int_equal(
        dns_split_hostport("h:70000", host, sizeof host, &port, &why), -1);
    assert_int_equal(dns_split_hostport("[::1", host, sizeof host, &port, &why),
                     -1);
    assert_int_equal(dns_split_hostport(":25", host, sizeof host, &port, &why),
                     -1);
    assert_int_equal(why.cls, ERR_PERM);
}

static void
test_dns_resolve_literals(void **state)
{
    (void)state;
    struct dns_opts o = {.timeout_s = 1, .port = 2525};
    struct dns_targets *t = malloc(sizeof *t);
    struct errbuf why;

    assert_int_equal(dns_resolve("fax@[192.0.2.7]", &o, t, &why), 0);
    assert_int_equal(t->count, 1);
    assert_string_equal(t->t[0].addr, "192.0.2.7");
    assert_string_equal(t->t[0].host, "[192.0.2.7]");
    assert_int_equal(t->t[0].port, 2525);
    assert_int_equal(dns_resolve("[IPv6:2001:DB8::1]", &o, t, &why), 0);
    assert_string_equal(t->t[0].addr, "2001:db8::1");
    assert_int_equal(dns_resolve("fax@[ipv6:::1]", &o, t, &why), 0);
    assert_string_equal(t->t[0].addr, "::1");
    assert_int_equal(dns_resolve("fax@[192.0.2.300]", &o, t, &why), -1);
    assert_int_equal(why.cls, ERR_PERM);
    assert_string_equal(why.status, "5.1.2");
    assert_int_equal(dns_resolve("fax@[IPv6:192.0.2.1]", &o, t, &why), -1);
    assert_int_equal(dns_resolve("fax@[x-tag:abc]", &o, t, &why), -1);
    assert_int_equal(dns_resolve("fax@", &o, t, &why), -1);
    free(t);
}

static void
test_dns_resolve_pins(void **state)
{
    (void)state;
    static const struct dns_pin pins[] = {
        {"ifax.test", "127.0.0.7:2526"},
        {"Boss@IFAX.test", "[::1]:2527"},
    };
    struct dns_opts o = {.timeout_s = 1, .pins = pins, .npins = 2};
    struct dns_targets *t = malloc(sizeof *t);
    struct errbuf why;

    assert_int_equal(dns_resolve("fax@IFAX.TEST", &o, t, &why), 0);
    assert_int_equal(t->count, 1);
    assert_string_equal(t->t[0].addr, "127.0.0.7");
    assert_int_equal(t->t[0].port, 2526);
    /* the full address wins over the domain */
    assert_int_equal(dns_resolve("boss@ifax.test", &o, t, &why), 0);
    assert_string_equal(t->t[0].addr, "::1");
    assert_int_equal(t->t[0].port, 2527);
    /* a pin on an address literal */
    static const struct dns_pin lit[] = {{"[192.0.2.9]", "127.0.0.8"}};
    o.pins = lit;
    o.npins = 1;
    o.port = 2000;
    assert_int_equal(dns_resolve("fax@[192.0.2.9]", &o, t, &why), 0);
    assert_string_equal(t->t[0].addr, "127.0.0.8");
    assert_int_equal(t->t[0].port, 2000);
    free(t);
}

static void
test_dns_conf_init_from_config(void **state)
{
    (void)state;
    struct config_errors e;
    struct config *cf = config_load_string(
        "smtp: { port = 2025; pinned = ( { domain = \"ifax.example\"; host = "
        "\"[::1]:2526\"; }, { domain = \"b.example\"; host = \"10.0.0.2\"; } "
        "); dns_servers = [\"127.0.0.1:5353\", \"::1\"]; };\n",
        "t.conf", &e);
    struct dns_conf dc;

    if (cf == NULL)
        for (int i = 0; i < e.count; i++)
            print_message("%s\n", e.msg[i]);
    assert_non_null(cf);
    dns_conf_init(&dc, &cf->smtp);
    config_free(cf);
    assert_string_equal(dc.opts.servers, "127.0.0.1:5353,[::1]:53");
    assert_int_equal(dc.opts.npins, 2);
    assert_string_equal(dc.opts.pins[0].match, "ifax.example");
    assert_string_equal(dc.opts.pins[0].target, "[::1]:2526");
    /* conf/ gives a pin without a port smtp.port */
    assert_string_equal(dc.opts.pins[1].target, "10.0.0.2:2025");
    assert_int_equal(dc.opts.port, 2025);
    assert_true(dc.opts.timeout_s > 0);
    dns_conf_release(&dc);
    dns_conf_release(&dc); /* safe twice */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_split_hostport_cases),
        cmocka_unit_test(test_dns_resolve_literals),
        cmocka_unit_test(test_dns_resolve_pins),
        cmocka_unit_test(test_dns_conf_init_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
