/* tests for conf/address: mail address and host:port syntax */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conf/address.h"

static void
test_address_valid_cases(void **state)
{
    static const char *const good[] = {"a@b.example",       "fax@[127.0.0.1]",
                                       "x.y+z@m-1.example", "fax@[IPv6:::1]",
                                       "\"a b\"@c.example", "a@localhost"};
    static const char *const bad[] = {"",
                                      "a",
                                      "@b.example",
                                      "a@",
                                      "a..b@c.example",
                                      "a@b..c",
                                      "a@[1.2.3]",
                                      "a@[IPv6:zz]",
                                      "a@1.2.3.4",
                                      "a b@c.example",
                                      "a@-b.example",
                                      "a@b.example\r\nRCPT TO:<x@y>"};
    char why[100];

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!address_valid(good[i], why, sizeof why))
            fail_msg("'%s' should be valid: %s", good[i], why);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (address_valid(bad[i], why, sizeof why))
            fail_msg("'%s' should be invalid", bad[i]);
}

static void
test_address_hostport_cases(void **state)
{
    char host[ADDRESS_HOST_MAX + 1], why[100];
    int port;

    (void)state;
    assert_int_equal(address_hostport("mx.example:2525", host, sizeof host,
                                      &port, why, sizeof why),
                     0);
    assert_string_equal(host, "mx.example");
    assert_int_equal(port, 2525);
    assert_int_equal(
        address_hostport("[::1]:25", host, sizeof host, &port, why, sizeof why),
        0);
    assert_string_equal(host, "::1");
    assert_int_equal(address_hostport("2001:db8::5", host, sizeof host, &port,
                                      why, sizeof why),
                     0);
    assert_int_equal(port, 0);
    assert_int_equal(
        address_hostport("h:0", host, sizeof host, &port, why, sizeof why), -1);
    assert_int_equal(
        address_hostport("h:25x", host, sizeof host, &port, why, sizeof why),
        -1);
    assert_int_equal(
        address_hostport("[::1", host, sizeof host, &port, why, sizeof why),
        -1);
    assert_int_equal(
        address_hostport(":25", host, sizeof host, &port, why, sizeof why), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_valid_cases),
        cmocka_unit_test(test_address_hostport_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
