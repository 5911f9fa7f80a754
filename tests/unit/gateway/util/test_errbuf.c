/* tests for gateway/util/errbuf and gateway/util/log escaping */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/errbuf.h"
#include "gateway/util/log.h"

static void
test_errbuf_set_fills_class_status_text(void **state)
{
    struct errbuf why;

    (void)state;
    errbuf_clear(&why);
    assert_int_equal(errbuf_set(&why, ERR_PERM, "5.1.1", "no such %s", "box"),
                     -1);
    assert_int_equal(why.cls, ERR_PERM);
    assert_string_equal(why.status, "5.1.1");
    assert_string_equal(why.text, "no such box");
}

static void
test_errbuf_errno_enospc_is_temporary(void **state)
{
    struct errbuf why;

    (void)state;
    errno = ENOSPC;
    errbuf_errno(&why, "write %s", "meta.json");
    assert_int_equal(why.cls, ERR_TEMP);
    assert_non_null(strstr(why.text, "meta.json: "));
    errno = EACCES;
    errbuf_errno(&why, "open");
    assert_int_equal(why.cls, ERR_PERM);
}

static void
test_errbuf_escapes_hostile_text(void **state)
{
    struct errbuf why;

    (void)state;
    errbuf_set(&why, ERR_TEMP, NULL, "reply %s", "evil\r\nX-Injected: 1");
    assert_null(strchr(why.text, '\r'));
    assert_null(strchr(why.text, '\n'));
    assert_non_null(strstr(why.text, "\\x0d\\x0a"));
}

static void
test_log_esc_truncates_visibly(void **state)
{
    char out[10];

    (void)state;
    log_esc(out, sizeof out, "abcdefghijklmnop");
    assert_int_equal(strlen(out), 9);
    assert_string_equal(out + 6, "...");
    log_esc(out, sizeof out, "a\"b");
    assert_string_equal(out, "a\\x22b");
}

static void
test_errbuf_prefix_keeps_class(void **state)
{
    struct errbuf why;

    (void)state;
    errbuf_set(&why, ERR_TEMP, "4.4.2", "timeout");
    errbuf_prefix(&why, "rcpt %d", 3);
    assert_string_equal(why.text, "rcpt 3: timeout");
    assert_int_equal(why.cls, ERR_TEMP);
    assert_string_equal(why.status, "4.4.2");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errbuf_set_fills_class_status_text),
        cmocka_unit_test(test_errbuf_errno_enospc_is_temporary),
        cmocka_unit_test(test_errbuf_escapes_hostile_text),
        cmocka_unit_test(test_log_esc_truncates_visibly),
        cmocka_unit_test(test_errbuf_prefix_keeps_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
