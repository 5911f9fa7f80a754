/* tests for t30/rxcall's identity line and t30/audiosocket's UUIDs: the
 * parts of the call core and the AudioSocket line that read hostile text */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "t30/audiosocket.h"
#include "t30/rxcall.h"

static void
test_id_line_parsed(void **state)
{
    static const char t[] = "CALL caller=4930555 called=100 name=ACME_GmbH\r";
    struct rxcall_id id;

    (void)state;
    assert_true(rxcall_id_parse(&id, t, strlen(t)));
    assert_string_equal(id.caller, "4930555");
    assert_string_equal(id.called, "100");
    assert_string_equal(id.name, "ACME_GmbH");
}

static void
test_id_line_hostile(void **state)
{
    char t[512];
    struct rxcall_id id;

    (void)state;
    /* not a CALL line: refused, left empty */
    assert_false(rxcall_id_parse(&id, "HELO x", 6));
    assert_string_equal(id.caller, "");
    /* values cut to CALLREC_ID_MAX; unknown keys, empty values, '=' in a
     * value and bytes that are not UTF-8 kept raw */
    memset(t, 0, sizeof t);
    strcpy(t, "CALL x=1 caller= called=a=b name=\xff\xfe ");
    memset(t + strlen(t), '9', 300);
    memcpy(t + strlen(t) - 300, "caller=", 7);
    assert_true(rxcall_id_parse(&id, t, strlen(t)));
    assert_int_equal(strlen(id.caller), CALLREC_ID_MAX);
    assert_string_equal(id.called, "a=b");
    assert_string_equal(id.name, "\xff\xfe");
    /* no NUL needed: n bytes only */
    assert_true(rxcall_id_parse(&id, "CALL called=12345", 14));
    assert_string_equal(id.called, "12");
}

static void
test_uuid_text(void **state)
{
    static const uint8_t u[16] = {0x04, 0x36, 0x43, 0x0c, 0x2b, 0x02,
                                  0x62, 0x4c, 0x20, 0x32, 0x57, 0x05,
                                  0x01, 0x21, 0x2b, 0x57};
    char s[37];

    (void)state;
    audiosocket_uuid_str(u, s);
    assert_string_equal(s, "0436430c-2b02-624c-2032-570501212b57");
    assert_true(audiosocket_uuid_valid(s));
    /* only the canonical lowercase form names an announcement file */
    assert_false(audiosocket_uuid_valid("0436430C-2b02-624c-2032-570501212b57"));
    assert_false(audiosocket_uuid_valid("../../etc/passwd-2032-570501212b57xx"));
    assert_false(audiosocket_uuid_valid("0436430c2b02624c2032570501212b57"));
    assert_false(audiosocket_uuid_valid(""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_line_parsed),
        cmocka_unit_test(test_id_line_hostile),
        cmocka_unit_test(test_uuid_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
