/* test_farend - the one rule for far-end text: UTF-8 kept, else Latin-1 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/farend.h"

static void
test_farend_utf8_kept(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(farend_utf8("+49 30 1234", out, sizeof out),
                        "+49 30 1234");
    assert_string_equal(
        farend_utf8("M\xc3\xbcller \xe2\x9c\x93", out, sizeof out),
        "M\xc3\xbcller \xe2\x9c\x93");
    assert_true(farend_is_utf8(""));
}

static void
test_farend_latin1_read(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(farend_utf8("M\xfcller GmbH", out, sizeof out),
                        "M\xc3\xbcller GmbH");
    /* overlong, surrogate, truncated, above U+10FFFF: not UTF-8 */
    assert_false(farend_is_utf8("\xc0\xaf"));
    assert_false(farend_is_utf8("\xed\xa0\x80"));
    assert_false(farend_is_utf8("ab\xe2\x9c"));
    assert_false(farend_is_utf8("\xf4\x90\x80\x80"));
    assert_string_equal(farend_utf8("ab\xe2\x9c", out, sizeof out),
                        "ab\xc3\xa2\xc2\x9c");
    assert_true(farend_is_utf8(out));
}

static void
test_farend_cut_at_whole_characters(void **state)
{
    char out[5];

    (void)state;
    /* "M" + "ü" (2) + "ü" would need 6 bytes: the second ü is left out */
    assert_string_equal(farend_utf8("M\xfc\xfc", out, sizeof out), "M\xc3\xbc");
    assert_string_equal(farend_utf8("ab\xc3\xbc\xc3\xbc", out, sizeof out),
                        "ab\xc3\xbc");
    assert_true(farend_is_utf8(out));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_farend_utf8_kept),
        cmocka_unit_test(test_farend_latin1_read),
        cmocka_unit_test(test_farend_cut_at_whole_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
